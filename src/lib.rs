//! connscope, the app: the shell around `connscope-core`. `browser` carries out the
//! core's effects and reads the platform; `ui` draws; `app` holds the state and performs
//! side effects in response to actions. `docs/ARCHITECTURE.md` draws the layers.

pub mod app;
pub mod browser;
pub mod ui;

/// Mounts the app on the document's body, once it is settled what a panic does.
pub fn start() {
    // Through Yew, which otherwise puts its own hook (the console only) in place of this one.
    yew::set_custom_panic_hook(Box::new(crashed));
    yew::Renderer::<app::App>::new().render();
}

/// A panic is a bug, and WebAssembly goes on after one in no state to trust: the page says
/// so where the user looks (not only in the console), keeps what is drawn, and says how to
/// start again. `[data-crashed]` lets the end-to-end tests fail at once, with the message.
fn crashed(info: &std::panic::PanicHookInfo<'_>) {
    console_error_panic_hook::hook(info);
    let what = info.to_string();
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let (Some(body), Ok(banner)) = (document.body(), document.create_element("div")) else { return };
    let _ = banner.set_attribute("role", "alert");
    let _ = banner.set_attribute("class", "crashed");
    let _ = banner.set_attribute("data-crashed", "");
    banner.set_text_content(Some(&format!(
        "connscope stopped on a bug and will not update any more. What is shown stays as it was; reload the page to start again. The bug: {what}"
    )));
    let _ = body.prepend_with_node_1(&banner);
}
