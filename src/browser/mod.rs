//! The shell's hands in the browser: it carries out the crawl's effects (fetch with
//! AbortController, pauses, Resource Timing look-ups), reads the platform (DOMParser, URL
//! resolution, the window, the page's address) and writes to it (downloads, the theme).
//! It reads browser objects into core types and decides nothing.

pub mod dom;
pub mod fetch;
pub mod frame;
pub mod loader;
pub mod page;
pub mod timing;

use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;

/// A JS exception as text a person can read.
pub fn js_error_text(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return format!("{}: {}", String::from(err.name()), String::from(err.message()));
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// Sleeps without blocking the page.
pub async fn sleep_ms(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}
