//! Totals per origin and for the whole run, and the paragraph a student can read aloud.

use crate::analysis::Analysed;
use crate::request::{Outcome, Request};
use crate::reuse::{Agreement, Reuse};
use crate::text::{format_ms, plural};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub origin: String,
    pub requests: usize,
    pub new_connections: usize,
    pub reused: usize,
    pub unknown: usize,
    /// Requests of a run in progress whose response has not ended: no timing yet, so not
    /// counted as unknown.
    #[serde(default)]
    pub loading: usize,
    /// reused / (new + reused); None when nothing is known.
    pub reuse_ratio: Option<f64>,
    pub dns_ms: f64,
    pub tcp_ms: f64,
    pub tls_ms: f64,
    pub protocols: Vec<String>,
    /// From the first request's start to the last one's end.
    pub span_ms: f64,
    /// Median TCP+TLS handshake measured on this origin in this run.
    pub median_handshake_ms: Option<f64>,
    /// Handshakes the reused requests avoided, priced at the median handshake. For the
    /// whole run: the sum over the origins where one was measured.
    pub saved_ms: Option<f64>,
    /// Reused requests left out of `saved_ms`: their origin showed no handshake to price.
    pub unpriced_reused: usize,
    /// Requests whose timing verdict was compared with the server's truth, and of those
    /// how many agreed (the rest are explained: preconnected or late-bound sockets).
    pub compared: usize,
    pub agreed: usize,
    /// HTTP/1.x: the most requests on the wire to this origin at one moment (each from its
    /// connect, or its send on a reused connection, to its last byte). HTTP/1.1 carries one
    /// request per connection at a time, so this is the most connections in use at once;
    /// browsers open at most 6 per host. None for multiplexed origins or when no request's
    /// timing was readable.
    #[serde(default)]
    pub peak_in_use: Option<usize>,
    /// Requests that waited at least [`QUEUED_MS`] before reaching the network (the
    /// queueing phase), and their waits in all.
    #[serde(default)]
    pub queued: usize,
    #[serde(default)]
    pub queued_ms: f64,
    /// Every request of this origin went on a recorded connection that another origin's
    /// request opened (HTTP/2 connection coalescing): that origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coalesced_onto: Option<String>,
}

/// A wait before the network this long or longer counts as queueing in the summary
/// (shorter ones are the browser's own bookkeeping).
pub const QUEUED_MS: f64 = 10.0;
/// Connections a browser opens at most to one HTTP/1.1 host (Chromium, Firefox and WebKit
/// all use 6).
pub const PER_HOST_LIMIT: usize = 6;

/// The most intervals `[start, end)` open at one moment.
pub(crate) fn most_at_once(mut spans: Vec<(f64, f64)>) -> usize {
    let mut edges: Vec<(f64, i32)> = Vec::with_capacity(spans.len() * 2);
    for (a, b) in spans.drain(..) {
        if b > a {
            edges.push((a, 1));
            edges.push((b, -1));
        }
    }
    // Ends before starts at the same moment: a connection handed on is not two.
    edges.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    let (mut now, mut most) = (0i32, 0i32);
    for (_, d) in edges {
        now += d;
        most = most.max(now);
    }
    most.max(0) as usize
}

pub(crate) fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

pub(crate) fn summarise(origin: &str, ids: &[usize], requests: &[Request], analysed: &[Analysed]) -> Summary {
    use crate::phases::Phase;
    let mut s = Summary { origin: origin.to_string(), requests: ids.len(), ..Summary::default() };
    let mut handshakes = Vec::new();
    let (mut first, mut last) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut on_wire = Vec::new();
    let mut one_at_a_time = true;
    for &i in ids {
        let a = &analysed[i];
        if let Some(q) = a.phases.duration(Phase::Blocked).filter(|q| *q >= QUEUED_MS) {
            s.queued += 1;
            s.queued_ms += q;
        }
        if let Some(t) = &requests[i].timing {
            one_at_a_time &= t.is_one_at_a_time();
            // On the wire from its connect when it opened a connection (the verdict shown: the
            // server's word where it gave one), else from its send: whatever its connection,
            // an HTTP/1.x request holds one from then to its last byte.
            let from = match a.verdict.reuse {
                Reuse::New => Some(t.connect_start),
                Reuse::Reused | Reuse::Unknown => Some(t.request_start),
            };
            if let Some(from) = from.filter(|f| *f > 0.0 && t.response_end > *f) {
                on_wire.push((from, t.response_end));
            }
        }
        let loading =
            requests[i].timing.is_none() && matches!(requests[i].outcome, Outcome::Pending | Outcome::Running);
        match a.verdict.reuse {
            _ if loading => s.loading += 1,
            Reuse::New => s.new_connections += 1,
            Reuse::Reused => s.reused += 1,
            Reuse::Unknown => s.unknown += 1,
        }
        if a.verdict.agreement != Agreement::NotComparable {
            s.compared += 1;
        }
        if a.verdict.agreement == Agreement::Agrees {
            s.agreed += 1;
        }
        s.dns_ms += a.phases.duration(Phase::Dns).unwrap_or(0.0);
        s.tcp_ms += a.phases.duration(Phase::Tcp).unwrap_or(0.0);
        s.tls_ms += a.phases.duration(Phase::Tls).unwrap_or(0.0);
        if let Some(h) = a.verdict.inference.handshake_ms {
            handshakes.push(h);
        }
        if let Some(t) = &requests[i].timing {
            first = first.min(t.start_time);
            last = last.max(t.response_end);
            if let Some(p) = t.protocol() {
                if !s.protocols.iter().any(|q| q == p) {
                    s.protocols.push(p.to_string());
                }
            }
        }
    }
    let known = s.new_connections + s.reused;
    s.reuse_ratio = (known > 0).then(|| s.reused as f64 / known as f64);
    s.span_ms = if last >= first { last - first } else { 0.0 };
    s.median_handshake_ms = median(handshakes);
    s.saved_ms = s.median_handshake_ms.map(|m| m * s.reused as f64);
    s.unpriced_reused = if s.saved_ms.is_none() { s.reused } else { 0 };
    s.peak_in_use = (one_at_a_time && !on_wire.is_empty()).then(|| most_at_once(on_wire));
    s
}

/// What an origin's queue says, or nothing when no request waited.
fn queueing(o: &Summary) -> String {
    if o.queued == 0 {
        return String::new();
    }
    let waited = format!(
        "{} waited {} in all in the browser's queue before being sent",
        plural(o.queued, "request"),
        format_ms(o.queued_ms)
    );
    match o.peak_in_use {
        Some(peak) if peak >= PER_HOST_LIMIT => format!(
            "At most {peak} connections were in use at once: HTTP/1.1 sends one request per connection at a time and browsers open at most {PER_HOST_LIMIT} per host, so {waited} for a connection to fall free (queueing; HTTP/2 would send them all at once on one connection). "
        ),
        Some(peak) => format!(
            "At most {} in use at once, below the browser's limit of {PER_HOST_LIMIT} per host, yet {waited} (the browser was busy, or held them back by priority). ",
            plural(peak, "connection")
        ),
        None => format!("{waited}. "),
    }
}

/// A paragraph a student can read aloud.
pub(crate) fn reading(origins: &[Summary], total: &Summary) -> String {
    if total.requests == 0 {
        return "No requests yet.".to_string();
    }
    let mut out = format!(
        "{} to {} took {} from the first start to the last byte. ",
        plural(total.requests, "request"),
        plural(origins.len(), "origin"),
        format_ms(total.span_ms)
    );
    let known = total.new_connections + total.reused;
    if known == 0 && total.unknown == 0 && total.loading > 0 {
        out.push_str("Their timing arrives as each one finishes.");
        return out;
    }
    if known == 0 {
        out.push_str("Whether connections were reused cannot be told for any of them: ");
        out.push_str("the browser hid their connection times (no Timing-Allow-Origin) or recorded none.");
        return out;
    }
    out.push_str(&format!(
        "{} opened a new connection and {} reused one that was already open",
        total.new_connections, total.reused
    ));
    if total.unknown > 0 {
        out.push_str(&format!("; for {} it cannot be told", total.unknown));
    }
    if total.loading > 0 {
        out.push_str(&format!("; {} still loading", total.loading));
    }
    out.push_str(". ");
    for o in origins.iter().filter(|o| o.new_connections + o.reused > 0) {
        let proto = if o.protocols.is_empty() { "an unknown protocol".to_string() } else { o.protocols.join(" and ") };
        let opened = match o.new_connections {
            0 => "no new connection".to_string(),
            n => plural(n, "new connection"),
        };
        out.push_str(&format!("{} ({proto}): {opened} for {}", o.origin, plural(o.requests, "request")));
        match (o.median_handshake_ms, o.saved_ms) {
            (Some(h), Some(saved)) if o.reused > 0 => out.push_str(&format!(
                "; each handshake cost about {}, so reuse saved about {} of connection setup. ",
                format_ms(h),
                format_ms(saved)
            )),
            (None, _) if o.reused > 0 && o.new_connections == 0 && o.coalesced_onto.is_some() => {
                out.push_str(&format!(
                    "; each went on the connection the browser had opened for {} (the same server under another name: the browser coalesced both onto one HTTP/2 connection), so this name paid no handshake at all. ",
                    o.coalesced_onto.as_deref().unwrap_or_default()
                ));
            }
            (None, _) if o.reused > 0 && o.new_connections == 0 => out.push_str(
                "; each went on a connection already open before it started (left from an earlier load within the server's idle timeout, or opened ahead by the browser), so no handshake was measured and what reuse saved is not priced. ",
            ),
            (None, _) if o.reused > 0 => {
                out.push_str("; no handshake was measured here, so what reuse saved is not priced. ");
            }
            _ => out.push_str(". "),
        }
        out.push_str(&queueing(o));
    }
    if total.compared > 0 {
        out.push_str(&format!(
            "The server's own record of its connections matched the timing for {} of {}",
            total.agreed,
            plural(total.compared, "request")
        ));
        let explained = total.compared - total.agreed;
        if explained > 0 {
            out.push_str(&format!(
                "; for {explained} the browser used a connection it had opened before the request started, or one other than the one it opened for it (see the rows marked in the connection view)"
            ));
        }
        out.push('.');
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use crate::testing::req;
    use crate::{analyse, Outcome, Request, Timing};

    #[test]
    fn twelve_slow_requests_on_six_connections_are_named_queueing_at_the_per_host_limit() {
        let o = "http://q:7";
        let mut rs = Vec::new();
        for i in 0..12 {
            // The first six open connections at 0; the next six wait for them until 400.
            let mut r = req(i, o, 0.0, 400.0 * (1 + i / 6) as f64, (i < 6).then_some(1.0), None, "http/1.1");
            if let Some(t) = r.timing.as_mut() {
                if i >= 6 {
                    t.request_start = 400.0;
                    t.response_start = 799.0;
                }
            }
            rs.push(r);
        }
        let a = analyse(&rs);
        let s = &a.origins[0];
        assert_eq!(s.peak_in_use, Some(6), "handed on at 400, never 7 at once");
        assert_eq!(s.queued, 6);
        assert!((s.queued_ms - 6.0 * 400.0).abs() < 1e-6, "{}", s.queued_ms);
        assert!(a.reading.contains("At most 6 connections were in use at once"), "{}", a.reading);
        assert!(a.reading.contains("6 requests waited 2.40 s in all in the browser's queue"), "{}", a.reading);
        assert_eq!(a.total.peak_in_use, None);
        // Over h2 there is no per-host connection limit to report.
        let h2: Vec<_> = (0..3).map(|i| req(i, o, 0.0, 10.0, (i == 0).then_some(1.0), None, "h2")).collect();
        assert_eq!(analyse(&h2).origins[0].peak_in_use, None);
    }

    #[test]
    fn the_reading_counts_one_request_in_the_singular() {
        let a = analyse(&[req(0, "http://s:1", 0.0, 2.5, Some(1.0), None, "http/1.1")]);
        assert!(a.reading.starts_with("1 request to 1 origin took 2.5 ms"), "{}", a.reading);
    }

    #[test]
    fn nothing_is_claimed_saved_without_a_measured_handshake() {
        let o = "http://d:4";
        // Both reused (a connection from before the run): no handshake was seen.
        let rs = vec![req(0, o, 0.0, 2.0, None, None, "http/1.1"), req(1, o, 3.0, 4.0, None, None, "http/1.1")];
        let a = analyse(&rs);
        assert_eq!(a.origins[0].saved_ms, None);
        assert!(a.reading.contains("http://d:4 (http/1.1): no new connection for 2 requests; each went on a connection already open before it started"), "{}", a.reading);
        assert!(a.reading.contains("not priced"), "{}", a.reading);
    }

    #[test]
    fn the_runs_saving_adds_up_the_origins_and_never_prices_one_with_anothers_handshake() {
        let (measured, preconnected) = ("http://m:1", "https://p:2");
        let rs = vec![
            req(0, measured, 0.0, 5.0, Some(10.0), None, "http/1.1"),
            req(1, measured, 6.0, 8.0, None, None, "http/1.1"),
            // h2 on a socket opened before the run: reused three times, no handshake seen.
            req(2, preconnected, 0.0, 3.0, None, None, "h2"),
            req(3, preconnected, 0.5, 3.5, None, None, "h2"),
            req(4, preconnected, 1.0, 4.0, None, None, "h2"),
        ];
        let a = analyse(&rs);
        assert_eq!(a.origins[0].saved_ms, Some(10.0));
        assert_eq!((a.origins[1].saved_ms, a.origins[1].unpriced_reused), (None, 3));
        assert_eq!(a.total.saved_ms, Some(10.0), "not 4 × 10 ms");
        assert_eq!(a.total.unpriced_reused, 3);
        let none = analyse(&rs[2..]);
        assert_eq!((none.total.saved_ms, none.total.unpriced_reused), (None, 3));
    }

    #[test]
    fn a_run_in_progress_says_its_timing_is_on_its_way_not_hidden() {
        let loading = |id: usize| Request {
            id,
            url: format!("http://h/{id}"),
            origin: "http://h".into(),
            kind: crate::Kind::Image,
            parent: None,
            depth: 1,
            outcome: if id == 0 { Outcome::Running } else { Outcome::Pending },
            timing: None,
            recorded_connection: None,
        };
        let a = analyse(&[loading(0), loading(1)]);
        assert_eq!((a.total.loading, a.total.unknown), (2, 0));
        assert!(a.reading.ends_with("Their timing arrives as each one finishes."), "{}", a.reading);
        assert!(!a.reading.contains("hid"), "{}", a.reading);
        // A failed request without timing is unknown, not loading.
        let mut failed = loading(1);
        failed.outcome = Outcome::Failed { message: "HTTP 404".into() };
        let a = analyse(&[loading(0), failed]);
        assert_eq!((a.total.loading, a.total.unknown), (1, 1));
    }

    #[test]
    fn an_empty_or_hidden_run_says_so() {
        assert_eq!(analyse(&[]).reading, "No requests yet.");
        let hidden = Timing {
            name: "http://f:6/x".into(),
            start_time: 1.0,
            fetch_start: 1.0,
            response_end: 3.0,
            ..Timing::default()
        };
        let a = analyse(&[Request::from_entry(0, hidden).unwrap()]);
        assert!(a.reading.contains("cannot be told"), "{}", a.reading);
    }
}
