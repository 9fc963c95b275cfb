//! The thin glue to the browser: fetch with AbortController, DOMParser, Resource Timing.
//! It reads browser objects into model types and decides nothing.

pub mod loader;
pub mod page;
pub mod timing;

use wasm_bindgen::JsValue;

/// A JS exception as text a person can read.
pub fn js_error_text(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return format!("{}: {}", String::from(err.name()), String::from(err.message()));
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

use wasm_bindgen::JsCast;

/// Sleeps without blocking the page.
pub async fn sleep_ms(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}
