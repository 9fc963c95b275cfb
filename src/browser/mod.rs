//! The shell's hands in the browser: it carries out the crawl's effects (fetch with
//! AbortController, pauses, Resource Timing look-ups), reads the platform (DOMParser, URL
//! resolution, the window, the page's address) and writes to it (downloads, the theme).
//! It reads browser objects into core types and decides nothing.

pub mod capture;
pub mod dom;
pub mod fetch;
pub mod frame;
pub mod loader;
pub mod page;
pub mod timing;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;

#[wasm_bindgen(module = "/src/browser/watch.js")]
extern "C" {
    #[wasm_bindgen(js_name = watchErrors)]
    fn watch_errors_js();
    #[wasm_bindgen(js_name = exposeFutureTick)]
    fn expose_future_tick_js(tick: &JsValue);
    #[wasm_bindgen(js_name = showCrashed)]
    fn show_crashed_js(kind: &str, cause: &str);
}

/// Puts up the banner that says the app stopped on a bug (a panic), with `what` it said: the
/// one watch.js also shows for a WebAssembly trap.
pub fn show_crashed(what: &str) {
    show_crashed_js("bug", &format!("on a bug ({what})"));
}

/// Keeps the page's last uncaught errors (`window.connscopeErrors`), and lets a test ask
/// whether the app's futures still run (`window.connscopeFutureTick()` spawns one that sets
/// `window.connscopeFutureRan`): see watch.js.
pub fn watch() {
    watch_errors_js();
    let tick = Closure::<dyn Fn()>::new(|| {
        wasm_bindgen_futures::spawn_local(async {
            if let Some(w) = web_sys::window() {
                let _ = js_sys::Reflect::set(&w, &"connscopeFutureRan".into(), &JsValue::TRUE);
            }
        });
    });
    expose_future_tick_js(tick.as_ref());
    // Called at any time for the page's life.
    tick.forget();
}

/// A JS exception as text a person can read.
pub fn js_error_text(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return format!("{}: {}", String::from(err.name()), String::from(err.message()));
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// A property of a JS object (None if it has none).
pub fn field(object: &JsValue, key: &str) -> Option<JsValue> {
    js_sys::Reflect::get(object, &JsValue::from_str(key)).ok().filter(|v| !v.is_undefined())
}

/// A string property of a JS object.
pub fn text_field(object: &JsValue, key: &str) -> Option<String> {
    field(object, key)?.as_string()
}

/// A finite number property of a JS object.
pub fn number_field(object: &JsValue, key: &str) -> Option<f64> {
    field(object, key)?.as_f64().filter(|v| v.is_finite())
}

/// Lets the page run whatever task waits (a response, a frame), then goes on: a task of its
/// own through a message channel, which no browser delays the way it clamps chained timers.
pub async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Ok(channel) = web_sys::MessageChannel::new() {
            let port = channel.port1();
            // Setting onmessage starts the port; a port with a message for its handler is
            // kept alive until the message is handled.
            port.set_onmessage(Some(resolve.unchecked_ref()));
            let _ = channel.port2().post_message(&JsValue::NULL);
        } else {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Waits until the page has drawn what it shows now: its next frame, then a task after it
/// (or `no_frame_ms`, where the page paints no frames: a hidden tab). A timer left over from
/// a frame that came resolves a promise already resolved: it hurries nothing.
pub async fn after_paint(no_frame_ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let Some(w) = web_sys::window() else {
            let _ = resolve.call0(&JsValue::NULL);
            return;
        };
        if w.request_animation_frame(&resolve).is_err() {
            let _ = resolve.call0(&JsValue::NULL);
        }
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, no_frame_ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    yield_now().await;
}

/// Runs `f` in a task of its own, queued now (see [`yield_now`]).
pub fn in_own_task(f: impl FnOnce() + 'static) {
    wasm_bindgen_futures::spawn_local(async move {
        yield_now().await;
        f();
    });
}

/// Sleeps without blocking the page.
pub async fn sleep_ms(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}
