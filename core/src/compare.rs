//! Two runs side by side (`?compare=<a>,<b>`): each run's requests moved onto a clock that
//! starts at its own first request, so both draw on one time axis, and the difference a class
//! can see — connections opened, handshakes paid, the time each took, measured — beside the
//! saving the summary estimates.

use crate::analysis::Analysis;
use crate::contract::ScenarioInfo;
use crate::request::Request;
use crate::text::{format_ms, plural};
use serde::Serialize;

/// The pairs a class compares, one click away: (the link's `compare=` value, what it shows).
pub const PAIRS: [(&str, &str); 4] = [
    ("keepalive,close", "Keep-alive vs Connection: close"),
    ("https-keepalive,h2", "HTTP/1.1 vs HTTP/2 (both over TLS)"),
    ("keepalive,keepalive", "Cold vs warm (the same page twice)"),
    ("keepalive,https-keepalive", "Without vs with TLS"),
];

/// The pairs whose scenarios the testbed serves (`ids`).
pub fn pairs_served(ids: &[String]) -> Vec<(&'static str, &'static str)> {
    PAIRS.iter().copied().filter(|(pair, _)| pair.split(',').all(|id| ids.iter().any(|s| s == id))).collect()
}

/// The pages the two sides load, or why they cannot be compared: each side is a scenario
/// id (its test page) or the URL of any page.
pub fn targets(scenarios: &[ScenarioInfo], a: &str, b: &str) -> Result<[String; 2], String> {
    let page = |side: &str| -> Result<String, String> {
        if side.contains("://") && !crate::url::is_http(side) {
            return Err(format!("compare= names {side}: connscope loads pages over http:// or https:// only."));
        }
        if crate::url::is_http(side) {
            return crate::url::origin_of(side)
                .map(|_| side.to_string())
                .ok_or_else(|| format!("compare= names {side}, which is not the URL of a page."));
        }
        scenarios.iter().find(|s| s.id == side).map(|s| format!("{}/page.html", s.origin)).ok_or_else(|| {
            let known: Vec<&str> = scenarios.iter().map(|s| s.id.as_str()).collect();
            format!(
                "compare= names {side}, which the testbed does not serve; it serves {} (or name a page by its URL).",
                known.join(", ")
            )
        })
    };
    Ok([page(a)?, page(b)?])
}

/// The two sides of `compare=<a>,<b>`, where either may be a URL (which may hold commas of
/// its own): the second side starts at the last comma followed by `http`, or else at the
/// first comma.
pub fn split_sides(v: &str) -> Option<(String, String)> {
    let at = v
        .match_indices(',')
        .map(|(i, _)| i)
        .rfind(|&i| v[i + 1..].trim_start().starts_with("http://") || v[i + 1..].trim_start().starts_with("https://"))
        .or_else(|| v.find(','))?;
    let (a, b) = (v[..at].trim(), v[at + 1..].trim());
    let one_side = |s: &str| !s.is_empty() && (crate::url::is_http(s) || !s.contains(','));
    (one_side(a) && one_side(b)).then(|| (a.to_string(), b.to_string()))
}

/// How long to wait before a side so that it starts from cold connections (ms): the longest
/// idle timeout of the persistent origins (the test pages share the cdn origin), and a margin.
pub fn cold_after_ms(scenarios: &[ScenarioInfo]) -> u32 {
    let idle = scenarios.iter().filter(|s| s.keep_alive).filter_map(|s| s.idle_timeout_ms).max().unwrap_or(0);
    (idle + 500).min(30_000) as u32
}

/// One run's figures in the difference table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    pub label: String,
    pub requests: usize,
    /// Requests that opened a connection (as shown: the server's word where it gave one).
    pub connections: usize,
    /// Handshakes whose time the browser measured, and that time (TCP and TLS) in all.
    pub handshakes: usize,
    pub handshake_ms: f64,
    /// From the first request's start to the last byte (wall clock, measured).
    pub total_ms: f64,
    /// What reuse saved, as the summary estimates it (handshakes avoided × their median).
    pub estimated_saving_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub a: Side,
    pub b: Side,
    /// b's total time minus a's (measured).
    pub measured_ms: f64,
    /// The measured difference in words ("B took 110 ms longer than A").
    pub measured: String,
    /// Why the measured and the estimated differ, in one sentence.
    pub why: String,
}

impl Difference {
    /// Whether the handshakes measured cost under a millisecond each on average on both
    /// sides (a server on this machine): then other work decides the totals.
    pub fn handshakes_negligible(&self) -> bool {
        let mean = |s: &Side| (s.handshakes > 0).then(|| s.handshake_ms / s.handshakes as f64);
        [mean(&self.a), mean(&self.b)].iter().all(|m| m.is_none_or(|m| m < 1.0))
    }
}

/// The requests of a run on a clock that starts at its first request (every time of every
/// entry moved by the same amount; times that read 0, "not exposed", stay 0).
pub fn from_zero(requests: &[Request]) -> Vec<Request> {
    let first = requests
        .iter()
        .filter_map(|r| r.timing.as_ref())
        .map(|t| t.start_time)
        .filter(|t| t.is_finite())
        .fold(f64::INFINITY, f64::min);
    if !first.is_finite() {
        return requests.to_vec();
    }
    requests
        .iter()
        .cloned()
        .map(|mut r| {
            if let Some(t) = r.timing.as_mut() {
                // 0 means "not exposed" and stays so.
                for v in t.moments_mut().into_iter().filter(|v| **v != 0.0) {
                    *v -= first;
                }
                t.start_time -= first;
            }
            r
        })
        .collect()
}

fn side(label: &str, analysis: &Analysis) -> Side {
    let t = &analysis.total;
    let handshakes = analysis
        .requests
        .iter()
        .filter(|a| a.verdict.reuse == crate::Reuse::New && a.verdict.inference.handshake_ms.is_some_and(|h| h > 0.0))
        .count();
    Side {
        label: label.to_string(),
        requests: t.requests,
        connections: t.new_connections,
        handshakes,
        handshake_ms: t.tcp_ms + t.tls_ms,
        total_ms: t.span_ms,
        estimated_saving_ms: t.saved_ms,
    }
}

/// The difference table of runs `a` and `b`.
pub fn difference(a_label: &str, a: &Analysis, b_label: &str, b: &Analysis) -> Difference {
    let (a, b) = (side(a_label, a), side(b_label, b));
    let measured_ms = b.total_ms - a.total_ms;
    let (fewer, more) = if a.connections <= b.connections { (&a, &b) } else { (&b, &a) };
    let extra = more.connections.saturating_sub(fewer.connections);
    let took = more.total_ms - fewer.total_ms;
    let why = if extra == 0 {
        format!("Both opened {}: what differs is not connection setup.", plural(a.connections, "connection"))
    } else {
        let opened = format!(
            "{} opened {} more than {} and took {} {}",
            more.label,
            plural(extra, "connection"),
            fewer.label,
            format_ms(took.abs()),
            if took >= 0.0 { "longer" } else { "less" }
        );
        match fewer.estimated_saving_ms {
            _ if took < 0.0 => format!(
                "{} opened {} more than {} and yet took {} less: the browser sets up several connections at once, so their handshakes overlap each other and the waits for responses instead of adding up{}.",
                more.label,
                plural(extra, "connection"),
                fewer.label,
                format_ms(-took),
                if a.requests == b.requests { "" } else { " (and the two loaded different numbers of files)" }
            ),
            Some(est) if took < est => format!(
                "{opened}, less than the {} that reuse saved {} by the estimate: the browser sets up several connections at once, so their handshakes overlap each other and the waits for responses instead of adding up.",
                format_ms(est),
                fewer.label
            ),
            Some(est) => format!(
                "{opened}, more than the {} that reuse saved {} by the estimate: a new connection costs more than its measured handshake (the browser's and the server's work to set it up, which timing does not count as handshake), so the estimate, which prices handshakes only, is a lower bound.",
                format_ms(est),
                fewer.label
            ),
            None => format!("{opened}; {} reused no connection, so no saving was estimated.", fewer.label),
        }
    };
    let measured = format!(
        "B took {} {} than A",
        format_ms(measured_ms.abs()),
        if measured_ms >= 0.0 { "longer" } else { "less" }
    );
    Difference { a, b, measured_ms, measured, why }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse;
    use crate::testing::req;

    #[test]
    fn a_run_moves_onto_its_own_clock_and_zeros_stay_zero() {
        let mut rs = vec![req(0, "http://a", 1000.0, 1010.0, Some(2.0), None, "http/1.1")];
        if let Some(t) = rs[0].timing.as_mut() {
            t.secure_connection_start = 0.0;
        }
        let z = from_zero(&rs);
        let t = z[0].timing.as_ref().unwrap();
        assert_eq!((t.start_time, t.connect_end, t.response_end, t.secure_connection_start), (0.0, 2.0, 10.0, 0.0));
        assert_eq!(analyse(&z).requests[0].verdict.reuse, analyse(&rs).requests[0].verdict.reuse);
    }

    #[test]
    fn the_difference_is_measured_and_said() {
        // a: keep-alive, one connection then reuse; b: a connection per request, in parallel.
        let o = "http://k";
        let a: Vec<Request> = vec![
            req(0, o, 0.0, 10.0, Some(3.0), None, "http/1.1"),
            req(1, o, 11.0, 15.0, None, None, "http/1.1"),
            req(2, o, 16.0, 20.0, None, None, "http/1.1"),
        ];
        let c = "http://c";
        let b: Vec<Request> =
            (0..3).map(|i| req(i, c, i as f64, 12.0 + i as f64, Some(3.0), None, "http/1.1")).collect();
        let d = difference("keepalive", &analyse(&a), "close", &analyse(&b));
        assert_eq!((d.a.connections, d.b.connections), (1, 3));
        assert_eq!((d.a.handshakes, d.b.handshakes), (1, 3));
        assert_eq!((d.a.total_ms, d.b.total_ms), (20.0, 14.0));
        assert_eq!((d.measured_ms, d.measured.as_str()), (-6.0, "B took 6.0 ms less than A"));
        assert_eq!(d.a.estimated_saving_ms, Some(6.0));
        assert!(
            d.why.starts_with("close opened 2 connections more than keepalive and yet took 6.0 ms less: the browser sets up several connections at once"),
            "{}",
            d.why
        );
        // Fewer files on the faster side: said too.
        let fewer_files = &b[..2];
        let d = difference("keepalive", &analyse(&a), "close", &analyse(fewer_files));
        assert!(d.why.ends_with("instead of adding up (and the two loaded different numbers of files)."), "{}", d.why);
        // Measured beyond the estimate: the estimate is a lower bound.
        let slow: Vec<Request> =
            (0..3).map(|i| req(i, c, i as f64 * 10.0, 12.0 + i as f64 * 10.0, Some(3.0), None, "http/1.1")).collect();
        let d = difference("keepalive", &analyse(&a), "close", &analyse(&slow));
        assert_eq!(d.measured_ms, 12.0);
        assert!(
            d.why.contains("took 12.0 ms longer, more than the 6.0 ms that reuse saved keepalive by the estimate"),
            "{}",
            d.why
        );
        assert!(!d.handshakes_negligible(), "3 ms handshakes count");
        let same = difference("x", &analyse(&a), "y", &analyse(&a));
        assert!(same.why.starts_with("Both opened 1 connection"), "{}", same.why);
    }

    #[test]
    fn sides_may_be_urls_with_commas_of_their_own() {
        let split = |v| split_sides(v);
        assert_eq!(split("keepalive,close"), Some(("keepalive".into(), "close".into())));
        assert_eq!(
            split("keepalive, https://a.test/?x=1,2"),
            Some(("keepalive".into(), "https://a.test/?x=1,2".into()))
        );
        assert_eq!(
            split("https://a.test/?x=1,2,https://b.test/"),
            Some(("https://a.test/?x=1,2".into(), "https://b.test/".into()))
        );
        for bad in ["keepalive", "a,b,c", ",close", "keepalive,"] {
            assert_eq!(split(bad), None, "{bad}");
        }
    }

    #[test]
    fn pairs_targets_and_the_cold_wait_come_from_the_scenario_list() {
        let info = |id: &str, idle: Option<u64>| ScenarioInfo {
            id: id.into(),
            title: id.into(),
            explanation: String::new(),
            origin: format!("http://{id}.test"),
            protocol: "http/1.1".into(),
            tls: false,
            keep_alive: idle.is_some(),
            idle_timeout_ms: idle,
            max_requests: None,
            timing_allow_origin: true,
            policy: String::new(),
            rtt_ms: None,
        };
        let list = vec![info("keepalive", Some(5000)), info("close", None), info("short-idle", Some(1000))];
        assert_eq!(
            targets(&list, "keepalive", "close"),
            Ok(["http://keepalive.test/page.html".into(), "http://close.test/page.html".into()])
        );
        assert_eq!(
            targets(&list, "keepalive", "https://example.com/a,b"),
            Ok(["http://keepalive.test/page.html".into(), "https://example.com/a,b".into()])
        );
        assert_eq!(
            targets(&list, "keepalive", "ftp://x/").unwrap_err(),
            "compare= names ftp://x/: connscope loads pages over http:// or https:// only."
        );
        let err = targets(&list, "keepalive", "h3").unwrap_err();
        assert!(
            err.starts_with(
                "compare= names h3, which the testbed does not serve; it serves keepalive, close, short-idle"
            ),
            "{err}"
        );
        assert_eq!(cold_after_ms(&list), 5500);
        let ids: Vec<String> = list.iter().map(|s| s.id.clone()).collect();
        assert_eq!(
            pairs_served(&ids).iter().map(|p| p.0).collect::<Vec<_>>(),
            ["keepalive,close", "keepalive,keepalive"]
        );
    }
}
