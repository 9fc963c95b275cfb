//! connscope, the app: the shell around `connscope-core`. `browser` carries out the
//! core's effects and reads the platform; `ui` draws; `app` holds the state and performs
//! side effects in response to actions. `docs/ARCHITECTURE.md` draws the layers.

pub mod app;
pub mod browser;
pub mod ui;

/// Mounts the app on the document's body.
pub fn start() {
    yew::Renderer::<app::App>::new().render();
}
