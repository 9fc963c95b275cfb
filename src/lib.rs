//! connscope: how a web page's requests open and reuse connections.
//!
//! `model` decides (pure Rust, native tests); `browser` reads the browser; `ui` draws;
//! `app` holds the state and wires them together.

pub mod app;
pub mod browser;
pub mod model;
pub mod ui;

/// Mounts the app on the document's body.
pub fn start() {
    yew::Renderer::<app::App>::new().render();
}
