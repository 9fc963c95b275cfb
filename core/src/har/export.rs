//! A run as HAR 1.2, with connscope's own verdicts kept in `_connscope` fields.

use crate::analysis::Analysis;
use crate::phases::Phase;
use crate::request::{Outcome, Request};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

fn http_version(protocol: Option<&str>) -> &'static str {
    match protocol {
        Some("h2") => "h2",
        Some(p) if p.starts_with("h3") => "h3",
        Some("http/1.0") => "HTTP/1.0",
        Some(_) => "HTTP/1.1",
        None => "",
    }
}

fn iso(epoch_ms: f64) -> String {
    let nanos = (epoch_ms * 1e6) as i128;
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// The run as HAR 1.2. `time_origin_ms` is the page's `performance.timeOrigin` (epoch ms).
pub fn export(page: &str, requests: &[Request], analysis: &Analysis, time_origin_ms: f64) -> Value {
    export_run(page, requests, analysis, time_origin_ms, None)
}

/// The run as HAR 1.2, with what its capture said besides its entries (hints, buffer) in
/// the page's `_connscope.capture`, so the site report reads the same after an import.
pub fn export_run(
    page: &str,
    requests: &[Request],
    analysis: &Analysis,
    time_origin_ms: f64,
    capture: Option<&crate::capture::CaptureInfo>,
) -> Value {
    let first = requests.iter().filter_map(|r| r.timing.as_ref()).map(|t| t.start_time).fold(f64::INFINITY, f64::min);
    let first = if first.is_finite() { first } else { 0.0 };
    let entries: Vec<Value> = requests
        .iter()
        .zip(&analysis.requests)
        .filter_map(|(r, a)| {
            let t = r.timing.as_ref()?;
            let p = &a.phases;
            let d = |ph| p.duration(ph);
            let (blocked, dns, connect, ssl, wait, receive) = if p.detail_hidden {
                (p.total(), -1.0, -1.0, -1.0, 0.0, 0.0)
            } else {
                let tcp = d(Phase::Tcp);
                let tls = d(Phase::Tls);
                let connect = match (tcp, tls) {
                    (None, None) => -1.0,
                    (a, b) => a.unwrap_or(0.0) + b.unwrap_or(0.0),
                };
                (
                    d(Phase::Blocked).unwrap_or(0.0) + d(Phase::Redirect).unwrap_or(0.0),
                    d(Phase::Dns).unwrap_or(-1.0),
                    connect,
                    tls.unwrap_or(-1.0),
                    d(Phase::Waiting).unwrap_or(0.0),
                    d(Phase::Download).unwrap_or(0.0),
                )
            };
            let time: f64 = [blocked, dns, connect, 0.0, wait, receive].iter().filter(|v| **v >= 0.0).sum();
            let status = match &r.outcome {
                Outcome::Done { status } => *status,
                _ => t.response_status.unwrap_or(0),
            };
            let version = http_version(t.protocol());
            let connection = a.truth_connection.and_then(|c| analysis.truth_connections.get(c)).map(|c| c.id.clone());
            let mut entry = json!({
                "pageref": "page_1",
                "startedDateTime": iso(time_origin_ms + t.start_time),
                "time": time,
                "request": { "method": "GET", "url": r.url, "httpVersion": version, "cookies": [], "headers": [],
                             "queryString": [], "headersSize": -1, "bodySize": 0 },
                "response": { "status": status, "statusText": "", "httpVersion": version, "cookies": [], "headers": [],
                              "content": { "size": t.decoded_body_size, "mimeType": "" }, "redirectURL": "",
                              "headersSize": -1, "bodySize": if p.detail_hidden { -1.0 } else { t.encoded_body_size },
                              "_transferSize": t.transfer_size },
                "cache": {},
                "timings": { "blocked": blocked, "dns": dns, "connect": connect, "send": 0.0, "wait": wait,
                             "receive": receive, "ssl": ssl },
                "_connscope": {
                    "reuse": a.verdict.reuse.key(),
                    "inferred": a.verdict.inference.reuse.key(),
                    "agreement": a.verdict.agreement.key(),
                    "evidence": a.verdict.evidence(),
                    "kind": r.kind.label(),
                    "depth": r.depth,
                    "parent": r.parent,
                    "timing": t,
                }
            });
            if let (Some(c), Some(obj)) = (connection, entry.as_object_mut()) {
                obj.insert("connection".into(), Value::String(c));
            }
            Some(entry)
        })
        .collect();
    let mut page_doc = json!({ "startedDateTime": iso(time_origin_ms + first), "id": "page_1", "title": page,
                               "pageTimings": { "onContentLoad": -1, "onLoad": -1 } });
    if let (Some(c), Some(obj)) = (capture, page_doc.as_object_mut()) {
        obj.insert("_connscope".into(), json!({ "capture": c }));
    }
    json!({
        "log": {
            "version": "1.2",
            "creator": { "name": "connscope", "version": env!("CARGO_PKG_VERSION") },
            "pages": [page_doc],
            "entries": entries,
        }
    })
}
