//! One `fetch()` as the crawl asks for it: CORS, no cache, no credentials, redirects
//! followed, aborted by a timeout or by the user's Cancel, the body read as asked.

use super::js_error_text;
use connscope_core::crawl::{Body, Read, Response, MAX_TEXT_BYTES};
use connscope_core::failure::FetchFailure;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Cancels a run: aborts every request in flight.
#[derive(Clone, Default)]
pub struct Cancel(Rc<CancelInner>);

#[derive(Default)]
struct CancelInner {
    cancelled: Cell<bool>,
    controllers: RefCell<Vec<web_sys::AbortController>>,
}

impl Cancel {
    pub fn cancel(&self) {
        self.0.cancelled.set(true);
        for c in self.0.controllers.borrow().iter() {
            c.abort();
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.get()
    }
}

impl PartialEq for Cancel {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Fetches `url` and reads its body as `read` says.
pub async fn fetch(url: &str, read: Read, timeout_ms: u32, cancel: &Cancel) -> Result<Response, FetchFailure> {
    if cancel.is_cancelled() {
        return Err(FetchFailure::Cancelled);
    }
    let window = web_sys::window().ok_or_else(|| FetchFailure::Rejected { detail: "no window".into() })?;
    let controller =
        web_sys::AbortController::new().map_err(|e| FetchFailure::Rejected { detail: js_error_text(&e) })?;
    cancel.0.controllers.borrow_mut().push(controller.clone());
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_cache(web_sys::RequestCache::NoStore);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    init.set_redirect(web_sys::RequestRedirect::Follow);
    init.set_signal(Some(&controller.signal()));
    let timed_out = Rc::new(Cell::new(false));
    let timer = {
        let controller = controller.clone();
        let flag = timed_out.clone();
        gloo_timers::callback::Timeout::new(timeout_ms, move || {
            flag.set(true);
            controller.abort();
        })
    };
    let classify = |e: wasm_bindgen::JsValue| {
        if timed_out.get() {
            FetchFailure::Timeout { ms: timeout_ms }
        } else if cancel.is_cancelled() {
            FetchFailure::Cancelled
        } else {
            FetchFailure::Rejected { detail: js_error_text(&e) }
        }
    };
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(classify)?
        .dyn_into()
        .map_err(|_| FetchFailure::Rejected { detail: "fetch did not return a Response".into() })?;
    let status = response.status();
    let content_type = response.headers().get("content-type").ok().flatten().unwrap_or_default();
    // Only what discovery reads is kept: pages and stylesheets up to MAX_TEXT_BYTES, other
    // bodies read to their end (so the timing entry is whole) and dropped chunk by chunk.
    let keep = if read == Read::Discard { 0 } else { MAX_TEXT_BYTES };
    let stop = || timed_out.get() || cancel.is_cancelled();
    let (bytes, cut) = read_body(&response, keep, &stop).await.map_err(|e| match classify(e) {
        FetchFailure::Rejected { detail } => FetchFailure::Body { detail },
        other => other,
    })?;
    drop(timer);
    let text = || String::from_utf8_lossy(&bytes).into_owned();
    Ok(Response {
        status,
        content_type,
        final_url: response.url(),
        redirected: response.redirected(),
        cut_at: cut.then_some(MAX_TEXT_BYTES),
        body: match read {
            Read::Discard => Body::Discarded,
            Read::Text => Body::Text(text()),
            Read::Html => Body::Html(super::dom::read_html(&text())),
        },
    })
}

/// Reads a body chunk by chunk through its stream, keeping the first `keep` bytes; past them
/// the rest is still read (so the timing entry ends where the body ends) but not kept, up
/// to ten times `keep`, after which the stream is cancelled. Returns the kept bytes and
/// whether any were left out.
async fn read_body(
    response: &web_sys::Response,
    keep: usize,
    stop: &dyn Fn() -> bool,
) -> Result<(Vec<u8>, bool), wasm_bindgen::JsValue> {
    let Some(stream) = response.body() else { return Ok((Vec::new(), false)) };
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut kept = Vec::new();
    let (mut seen, mut cut) = (0usize, false);
    loop {
        // A read the abort did not end (an engine that leaves a locked stream's read pending)
        // is given up when the request's timeout or Cancel fires, so a run never hangs.
        let read = JsFuture::from(reader.read());
        let watch = async {
            while !stop() {
                super::sleep_ms(50).await;
            }
        };
        futures::pin_mut!(read, watch);
        let chunk = match futures::future::select(read, watch).await {
            futures::future::Either::Left((chunk, _)) => chunk?,
            futures::future::Either::Right(((), _)) => {
                let _ = reader.cancel();
                return Err(wasm_bindgen::JsValue::from_str("aborted"));
            }
        };
        let done = js_sys::Reflect::get(&chunk, &"done".into())?.as_bool().unwrap_or(true);
        if done {
            break;
        }
        let value: js_sys::Uint8Array = js_sys::Reflect::get(&chunk, &"value".into())?.unchecked_into();
        let len = value.length() as usize;
        if kept.len() < keep {
            let take = len.min(keep - kept.len());
            let start = kept.len();
            kept.resize(start + take, 0);
            value.subarray(0, take as u32).copy_to(&mut kept[start..]);
        }
        seen += len;
        cut |= seen > keep && keep > 0;
        if keep > 0 && seen > keep.saturating_mul(10) {
            let _ = JsFuture::from(reader.cancel()).await;
            break;
        }
    }
    Ok((kept, cut))
}
