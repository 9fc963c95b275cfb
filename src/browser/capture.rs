//! Receiving a capture from the page that opened this tab: the capture script (see
//! `static/capture.js`) opens connscope with `?capture=<its origin>`, waits for "ready",
//! then posts the capture's JSON. Both sides name the other's origin; this side also takes
//! messages only from the very window that opened it.

use gloo_events::EventListener;
use wasm_bindgen::{JsCast, JsValue};

/// The app's own address (origin and path), built into the bookmarklet.
pub fn app_url() -> String {
    web_sys::window()
        .map(|w| {
            let l = w.location();
            format!("{}{}", l.origin().unwrap_or_default(), l.pathname().unwrap_or_else(|_| "/".into()))
        })
        .unwrap_or_default()
}

fn message(kind: &str) -> JsValue {
    let o = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&o, &"connscope".into(), &kind.into());
    o.into()
}

/// Waits for the capture from a page of `origin`: says "ready" to the window that opened
/// this tab, takes the first capture message from it, answers "received" and hands the
/// text (or why it was refused) to `on_text`. The listener lives as long as the value
/// returned; an error says why no capture can arrive.
pub fn receive(origin: String, on_text: impl Fn(Result<String, String>) + 'static) -> Result<EventListener, String> {
    let window = web_sys::window().ok_or("no window")?;
    let opener = window.opener().unwrap_or(JsValue::NULL);
    if opener.is_null() || opener.is_undefined() {
        return Err(format!(
            "This tab was opened to receive a capture from {origin}, but it has no link to the page that opened it (the page was closed, or this tab was opened by hand or reloaded). Run the capture again on that page, or paste its capture below."
        ));
    }
    let opener_window: web_sys::Window = opener.clone().unchecked_into();
    let listener = {
        let (origin, opener_window) = (origin.clone(), opener_window.clone());
        let taken = std::cell::Cell::new(false);
        EventListener::new(&window, "message", move |event| {
            let Some(event) = event.dyn_ref::<web_sys::MessageEvent>() else { return };
            let from_opener = event.source().is_some_and(|s| js_sys::Object::is(&s, &opener));
            if event.origin() != origin || !from_opener || taken.get() {
                return;
            }
            let data = event.data();
            let kind = super::text_field(&data, "connscope");
            if kind.as_deref() != Some("capture") {
                return;
            }
            taken.set(true);
            let json = super::field(&data, "json").unwrap_or(JsValue::UNDEFINED);
            let text = match json.dyn_ref::<js_sys::JsString>() {
                None => Err("the capture message holds no text".to_string()),
                // Refused before it is copied into the app: UTF-16 units, at least its bytes / 3.
                Some(s) if s.length() as usize > connscope_core::capture::MAX_BYTES => Err(format!(
                    "the capture is over {} MB; connscope reads captures up to that size",
                    connscope_core::capture::MAX_BYTES / (1024 * 1024)
                )),
                Some(s) => Ok(String::from(s)),
            };
            let _ = opener_window.post_message(&message("received"), &origin);
            on_text(text);
        })
    };
    opener_window.post_message(&message("ready"), &origin).map_err(|e| super::js_error_text(&e))?;
    Ok(listener)
}
