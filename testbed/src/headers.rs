//! The headers contract: what every testbed response says about itself, so the app can
//! read the truth (`Server-Timing`, written by `connscope_core::contract`), read timing
//! cross-origin (`Timing-Allow-Origin`, CORS), and see the connection policy (`Connection`,
//! `Keep-Alive`); and what the app's own pages carry to be cross-origin isolated.

use crate::scenario::Scenario;
use connscope_core::ServerTruth;
use hyper::header::{self, HeaderMap, HeaderValue};

/// What one response on a connection needs to know to state the contract.
pub(crate) struct Stated<'a> {
    pub policy: &'a Scenario,
    pub truth: ServerTruth,
    /// A scenario origin (read cross-origin by the app), not the app's own.
    pub cross_origin: bool,
    /// HTTP/2: no `Connection` or `Keep-Alive` headers (they are forbidden there).
    pub h2: bool,
}

/// Adds the contract's headers to a response.
pub(crate) fn apply(h: &mut HeaderMap, s: &Stated) {
    // Appended: a proxy's answer already says the hop behind it.
    if let Ok(v) = HeaderValue::from_str(&s.truth.header_value()) {
        h.append("server-timing", v);
    }
    if s.policy.timing_allow_origin {
        h.insert("timing-allow-origin", HeaderValue::from_static("*"));
    }
    if s.cross_origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("Server-Timing"));
        h.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    }
    // Unless the route said otherwise (the app's content-addressed files).
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    if !s.h2 {
        let last = !s.policy.keep_alive || s.policy.max_requests.is_some_and(|m| s.truth.request_number >= m);
        if last {
            h.insert(header::CONNECTION, HeaderValue::from_static("close"));
        } else if let Some(ka) = s.policy.keep_alive_header().and_then(|v| HeaderValue::from_str(&v).ok()) {
            h.insert("keep-alive", ka);
        }
    }
}

/// The app's own files: cross-origin isolated (so its timers are precise), and locked down.
pub(crate) fn apply_app(h: &mut HeaderMap, csp: &str) {
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-embedder-policy", HeaderValue::from_static("require-corp"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if let Ok(csp) = HeaderValue::from_str(csp) {
        h.insert("content-security-policy", csp);
    }
}
