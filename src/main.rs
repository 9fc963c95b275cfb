//! The wasm entry point (built by Trunk).
fn main() {
    connscope::start();
}
