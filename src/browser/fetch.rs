//! One `fetch()` as the crawl asks for it: CORS, no cache, no credentials, redirects
//! followed, aborted by a timeout or by the user's Cancel, the body read as asked. The
//! request itself runs in `fetch.js`, in one promise (why: see that file); this side hands
//! it what the crawl asked and reads its outcome into core types.

use super::{field, number_field, text_field};
use connscope_core::crawl::{Body, Read, Response, MAX_TEXT_BYTES};
use connscope_core::failure::FetchFailure;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/src/browser/fetch.js")]
extern "C" {
    #[wasm_bindgen(js_name = load)]
    fn load_js(url: &str, keep: u32, timeout_ms: u32, run: &web_sys::AbortSignal) -> js_sys::Promise;
}

/// Cancels a run: aborts every request in flight (they all listen to one signal).
#[derive(Clone, Default)]
pub struct Cancel(Rc<CancelInner>);

#[derive(Default)]
struct CancelInner {
    cancelled: Cell<bool>,
    /// Made on the first request (so a Cancel can exist where there is no browser).
    controller: RefCell<Option<web_sys::AbortController>>,
}

impl Cancel {
    pub fn cancel(&self) {
        self.0.cancelled.set(true);
        if let Some(c) = self.0.controller.borrow().as_ref() {
            c.abort();
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.get()
    }

    /// The signal every request of the run listens to.
    fn signal(&self) -> Result<web_sys::AbortSignal, JsValue> {
        let mut controller = self.0.controller.borrow_mut();
        if controller.is_none() {
            *controller = Some(web_sys::AbortController::new()?);
        }
        match controller.as_ref() {
            Some(c) => Ok(c.signal()),
            None => Err(JsValue::from_str("no AbortController")),
        }
    }
}

impl PartialEq for Cancel {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Starts fetching `url` now (the request is made before this returns) and gives the
/// outcome, its body read as `read` says: the loader times its starts, so the cost of a
/// start falls where it is counted, not in some later poll.
pub fn start(
    url: &str,
    read: Read,
    timeout_ms: u32,
    cancel: &Cancel,
) -> impl std::future::Future<Output = Result<Response, FetchFailure>> {
    // Only what discovery reads is kept: pages and stylesheets up to MAX_TEXT_BYTES.
    let keep = if read == Read::Discard { 0 } else { MAX_TEXT_BYTES as u32 };
    let started = if cancel.is_cancelled() {
        Err(FetchFailure::Cancelled)
    } else {
        cancel
            .signal()
            .map(|run| JsFuture::from(load_js(url, keep, timeout_ms, &run)))
            .map_err(|e| FetchFailure::Rejected { detail: super::js_error_text(&e) })
    };
    async move { outcome(started?.await, read, timeout_ms) }
}

/// What fetch.js resolved (or rejected) with, as core types.
fn outcome(out: Result<JsValue, JsValue>, read: Read, timeout_ms: u32) -> Result<Response, FetchFailure> {
    let out = out.map_err(|e| {
        let detail = text_field(&e, "detail").unwrap_or_default();
        match text_field(&e, "kind").unwrap_or_default().as_str() {
            "timeout" => FetchFailure::Timeout { ms: timeout_ms },
            "cancelled" => FetchFailure::Cancelled,
            "body" => FetchFailure::Body { detail },
            // "rejected", or anything fetch.js did not mean to throw.
            _ if detail.is_empty() => FetchFailure::Rejected { detail: super::js_error_text(&e) },
            _ => FetchFailure::Rejected { detail },
        }
    })?;
    let bytes = field(&out, "bytes")
        .and_then(|b| b.dyn_into::<js_sys::Uint8Array>().ok())
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let text = || String::from_utf8_lossy(&bytes).into_owned();
    let cut = field(&out, "cut").and_then(|c| c.as_bool()).unwrap_or(false);
    Ok(Response {
        status: number_field(&out, "status").unwrap_or(0.0) as u16,
        content_type: text_field(&out, "type").unwrap_or_default(),
        final_url: text_field(&out, "url").unwrap_or_default(),
        redirected: field(&out, "redirected").and_then(|r| r.as_bool()).unwrap_or(false),
        cut_at: cut.then_some(MAX_TEXT_BYTES),
        body: match read {
            Read::Discard => Body::Discarded,
            Read::Text => Body::Text(text()),
            Read::Html => Body::Html(super::dom::read_html(&text())),
        },
    })
}
