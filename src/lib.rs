//! connscope, the app: the shell around `connscope-core`. `browser` carries out the
//! core's effects and reads the platform; `ui` draws; `app` holds the state and performs
//! side effects in response to actions. `docs/ARCHITECTURE.md` draws the layers.

pub mod app;
pub mod browser;
pub mod ui;

/// Mounts the app on the document's body, once it is settled what a panic does.
pub fn start() {
    reserve_memory();
    // Through Yew, which otherwise puts its own hook (the console only) in place of this one.
    yew::set_custom_panic_hook(Box::new(crashed));
    browser::watch();
    yew::Renderer::<app::App>::new().render();
}

/// How much memory the app takes at start, to use before it asks for more (bytes).
const RESERVED: usize = 32 << 20;

/// Takes `RESERVED` bytes of memory at start and hands them back to the allocator, which
/// keeps them: the module then seldom grows its memory (the allocator gets memory only by
/// growing it). In Chromium a live run, a lesson and a HAR of 1,000 requests took the memory
/// from 22 pages (of 64 KiB) to 26, 65 and 82, a HAR of 5,000 to 335, all within 512; a HAR
/// of 20,000 needs more. Why: JavaScriptCore has had bugs in which JavaScript went on using
/// a view of WebAssembly memory from before a grow (a pointer its optimizing JIT had folded
/// in; fixed upstream in 2026), and apps hit by them in Safari 26.2 avoided them by taking
/// their memory at start. Panics that make no sense in this app's code have come in WebKitGTK
/// 2.50 only, now and then: a free of a larger block than was allocated (dlmalloc's own
/// check), an unwrap of None in Yew's generated props builder. They fit; it is not proven,
/// and it is not all: with this reserve in place, a probe in WebKitGTK once panicked the
/// same way (ui/progress.rs's props builder; not seen again in 6 runs of that test).
/// The pages are reserved, not used: engines commit them when first written.
fn reserve_memory() {
    drop(std::hint::black_box(Vec::<u8>::with_capacity(RESERVED)));
}

/// A panic is a bug, and WebAssembly goes on after one in no state to trust: the page says
/// so in its crash banner (`browser::show_crashed`), beside the console's stack.
fn crashed(info: &std::panic::PanicHookInfo<'_>) {
    console_error_panic_hook::hook(info);
    browser::show_crashed(&info.to_string());
}
