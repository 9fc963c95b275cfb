//! The page the app runs in: its address (the link that reproduces a demo), the testbed's
//! scenario list, downloads and files the user picks.

use connscope_core::config::{RunConfig, STATIC_TESTPAGE};
use connscope_core::ScenarioInfo;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Reads the testbed's `GET api/scenarios` next to the app.
pub async fn fetch_scenarios() -> Result<Vec<ScenarioInfo>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let resp: web_sys::Response = JsFuture::from(window.fetch_with_str("api/scenarios"))
        .await
        .map_err(|e| super::js_error_text(&e))?
        .dyn_into()
        .map_err(|_| "not a Response".to_string())?;
    if !resp.ok() {
        return Err(format!("HTTP {}", resp.status()));
    }
    let text = JsFuture::from(resp.text().map_err(|e| super::js_error_text(&e))?)
        .await
        .map_err(|e| super::js_error_text(&e))?
        .as_string()
        .unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| format!("unexpected scenario list: {e}"))
}

/// `location.search` of the app.
pub fn location_search() -> String {
    web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default()
}

/// Puts the run's settings in the address bar, so the link reproduces the demo.
pub fn write_location(config: &RunConfig) {
    if let Some(w) = web_sys::window() {
        let path = w.location().pathname().unwrap_or_else(|_| "/".into());
        if let Ok(h) = w.history() {
            let _ = h.replace_state_with_url(
                &wasm_bindgen::JsValue::NULL,
                "",
                Some(&format!("{path}{}", config.to_query())),
            );
        }
    }
}

/// The built-in static test page, resolved against the app's own address.
pub fn static_page_url() -> String {
    let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
    web_sys::Url::new_with_base(STATIC_TESTPAGE, &href)
        .map(|u| u.href())
        .unwrap_or_else(|_| STATIC_TESTPAGE.to_string())
}

/// Saves `text` as a file the browser downloads; an error says why it could not.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    save(name, mime, text).map_err(|e| super::js_error_text(&e))
}

fn save(name: &str, mime: &str, text: &str) -> Result<(), wasm_bindgen::JsValue> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    web_sys::Url::revoke_object_url(&url)?;
    Ok(())
}

/// Reads a picked or dropped file as text and hands it on with its name, or with what kept
/// the browser from reading it (a file changed, moved or deleted since it was picked is
/// refused with `NotReadableError`): that is not an empty file, and must not be called one.
pub fn read_text(file: web_sys::File, then: impl FnOnce(String, Result<String, String>) + 'static) {
    let name = file.name();
    // The read starts now, while the picker still holds the file: the picker clears its
    // input once the file is handed on (so the same file can be picked again), and a read
    // that began only after that would rest on the browser keeping the file reachable.
    // As bytes, copied into wasm memory at once and checked as UTF-8 there: a JS string of
    // some MB takes several times longer to bring over (about 25 ms per 1.5 MB).
    let reading = JsFuture::from(file.array_buffer());
    wasm_bindgen_futures::spawn_local(async move {
        let text = match reading.await {
            Ok(buffer) => {
                let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
            }
            Err(e) => Err(super::js_error_text(&e)),
        };
        then(name, text);
    });
}

/// Resolves once the browser has painted what is in the DOM now (a frame, then a task), so a
/// progress message shows before long work that follows it on the same thread.
pub async fn after_paint() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let then = wasm_bindgen::closure::Closure::once_into_js(move || {
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(resolve.unchecked_ref(), 0);
            }
        });
        if let Some(w) = web_sys::window() {
            let _ = w.request_animation_frame(then.unchecked_ref());
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Sets (or, with None, removes) `data-theme` on the root element; the stylesheet follows.
pub fn set_theme(theme: Option<&str>) {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = match theme {
            Some(t) => root.set_attribute("data-theme", t),
            None => root.remove_attribute("data-theme"),
        };
    }
}

/// `navigator.userAgent`, to name the browser's own connection limits.
pub fn user_agent() -> String {
    web_sys::window().and_then(|w| w.navigator().user_agent().ok()).unwrap_or_default()
}

/// The browser this page runs in and this page's clock tick (ms), where the model says the
/// browser records a 0 ms connect on a request it hands a connection that has just fallen
/// free (`connscope_core::reuse::stamps_hand_overs`), for the collector to mark its entries
/// with (`connscope_core::reuse::mark_hand_over_stamp`); None elsewhere. Measured once, on
/// first use.
pub fn hand_over_stamp() -> Option<(connscope_core::probe::Browser, f64)> {
    thread_local! {
        static STAMP: std::cell::OnceCell<Option<(connscope_core::probe::Browser, f64)>> =
            const { std::cell::OnceCell::new() };
    }
    STAMP.with(|stamp| {
        *stamp.get_or_init(|| {
            let browser = connscope_core::probe::Browser::from_user_agent(&user_agent());
            connscope_core::reuse::stamps_hand_overs(browser).then(|| (browser, clock_tick_ms().unwrap_or(1.0)))
        })
    })
}

/// The smallest step `performance.now()` takes (ms): watched until it has stepped three
/// times, at most 3 ms (20 µs in a cross-origin isolated Firefox page, 1 ms otherwise).
fn clock_tick_ms() -> Option<f64> {
    let performance = web_sys::window()?.performance()?;
    let start = performance.now();
    let (mut last, mut smallest, mut steps) = (start, f64::INFINITY, 0);
    while steps < 3 {
        let now = performance.now();
        if now != last {
            smallest = smallest.min(now - last);
            last = now;
            steps += 1;
        }
        if now - start > 3.0 {
            break;
        }
    }
    smallest.is_finite().then_some(smallest)
}

/// Calls `step` with -1 for ← and +1 for → pressed on the page, except where the key already
/// means something: a text field or a list to pick from, and the charts (whose rows and
/// lanes it moves through). None where the page has no document.
pub fn on_arrow_keys(step: impl Fn(i32) + 'static) -> Option<gloo_events::EventListener> {
    let document = web_sys::window()?.document()?;
    Some(gloo_events::EventListener::new(&document, "keydown", move |e| {
        let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else { return };
        if e.default_prevented() || e.alt_key() || e.ctrl_key() || e.meta_key() || e.shift_key() {
            return;
        }
        let delta = match e.key().as_str() {
            "ArrowLeft" => -1,
            "ArrowRight" => 1,
            _ => return,
        };
        let taken = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("input, textarea, select, svg, [contenteditable]").ok().flatten())
            .is_some();
        if !taken {
            e.prevent_default();
            step(delta);
        }
    }))
}

/// Now on the page's clock (ms since the epoch).
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}
