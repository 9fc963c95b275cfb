//! The site report: per origin what its connections did, and named findings — each with
//! the rows it rests on and what to change — stated only where the entries support them.

use crate::analysis::Analysis;
use crate::capture::{Buffer, CaptureInfo};
use crate::phases::Phase;
use crate::request::{Kind, Request};
use crate::reuse::{Reuse, UnknownReason};
use crate::summary::{PER_HOST_LIMIT, QUEUED_MS};
use crate::text::{format_ms, plural};
use crate::timing::one_at_a_time;
use serde::Serialize;

/// One origin's line of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OriginLine {
    pub origin: String,
    /// The protocols its responses came over (`h2`, `http/1.1`), or empty when hidden.
    pub protocol: String,
    pub requests: usize,
    /// Requests that opened a new connection (as far as known).
    pub connections: usize,
    /// reused ÷ (new + reused); None when nothing is known.
    pub reuse_rate: Option<f64>,
    /// TCP and TLS time paid on this origin's new connections.
    pub handshake_ms: f64,
    /// Requests whose timing the browser hid (no Timing-Allow-Origin).
    pub hidden: usize,
    /// Not the page's own origin.
    pub third_party: bool,
}

/// What a finding is about: its `data-finding` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    Http1Queueing,
    NoReuse,
    Sharding,
    PreconnectUnused,
    PreconnectWasted,
    TimingHidden,
    BufferFull,
}

impl FindingKind {
    pub fn key(self) -> &'static str {
        match self {
            FindingKind::Http1Queueing => "http1-queueing",
            FindingKind::NoReuse => "no-reuse",
            FindingKind::Sharding => "sharding",
            FindingKind::PreconnectUnused => "preconnect-unused",
            FindingKind::PreconnectWasted => "preconnect-wasted",
            FindingKind::TimingHidden => "timing-hidden",
            FindingKind::BufferFull => "buffer-full",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// The origin it is about, where it is about one.
    pub origin: Option<String>,
    pub title: String,
    /// What the entries show, in figures.
    pub detail: String,
    pub advice: String,
    /// The rows it rests on (positions in the run).
    pub evidence: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SiteReport {
    pub origins: Vec<OriginLine>,
    pub findings: Vec<Finding>,
    /// What these entries cannot tell, and why.
    pub cannot_tell: Vec<String>,
}

/// The registrable part of a host, roughly: the last two labels (three under a common
/// two-level suffix such as `co.uk`); an IP address or a single label is its own site.
fn site_of(origin: &str) -> String {
    let scheme = origin.split_once("://").map_or("", |(s, _)| s);
    let host = crate::url::host_of(origin).unwrap_or_else(|| origin.to_string());
    let labels: Vec<&str> = host.split('.').collect();
    let ip = labels.len() == 4 && labels.iter().all(|l| l.parse::<u8>().is_ok());
    let site = if ip || labels.len() <= 2 || host.starts_with('[') {
        host.to_string()
    } else {
        let two_level = ["co", "com", "net", "org", "ac", "gov", "edu", "ne", "or"];
        let keep = if labels.len() >= 3
            && labels[labels.len() - 1].len() == 2
            && two_level.contains(&labels[labels.len() - 2])
        {
            3
        } else {
            2
        };
        labels[labels.len() - keep..].join(".")
    };
    format!("{scheme}://{site}")
}

fn start(r: &Request) -> f64 {
    r.timing.as_ref().map_or(f64::INFINITY, |t| t.start_time)
}

pub fn site_report(requests: &[Request], analysis: &Analysis, capture: Option<&CaptureInfo>) -> SiteReport {
    let mut report = SiteReport::default();
    let page_origin = capture.and_then(CaptureInfo::page_origin).or_else(|| requests.first().map(|r| r.origin.clone()));
    let of_origin = |o: &str| -> Vec<usize> { (0..requests.len()).filter(|&i| requests[i].origin == o).collect() };
    let verdict = |i: usize| analysis.requests.get(i).map(|a| &a.verdict);

    for s in &analysis.origins {
        let ids = of_origin(&s.origin);
        let hidden_ids: Vec<usize> = ids
            .iter()
            .copied()
            .filter(|&i| verdict(i).is_some_and(|v| v.inference.reason == Some(UnknownReason::NoTimingAllowOrigin)))
            .collect();
        let hidden = hidden_ids.len();
        report.origins.push(OriginLine {
            origin: s.origin.clone(),
            protocol: s.protocols.join(", "),
            requests: s.requests,
            connections: s.new_connections,
            reuse_rate: s.reuse_ratio,
            handshake_ms: s.tcp_ms + s.tls_ms,
            hidden,
            third_party: page_origin.as_deref() != Some(s.origin.as_str()),
        });
        let new_ones: Vec<usize> =
            ids.iter().copied().filter(|&i| verdict(i).is_some_and(|v| v.reuse == Reuse::New)).collect();

        // HTTP/1.1 at its per-host limit, with requests waiting for a connection.
        let h1 = !s.protocols.is_empty() && s.protocols.iter().all(|p| one_at_a_time(p));
        // At the limit: as many in use at once as a browser opens (requests that waited while
        // fewer were in use waited for something else, such as the browser's priorities).
        let at_limit = s.peak_in_use.is_some_and(|p| p >= PER_HOST_LIMIT);
        if h1 && at_limit && s.queued > 0 {
            let queued: Vec<usize> = ids
                .iter()
                .copied()
                .filter(|&i| {
                    analysis
                        .requests
                        .get(i)
                        .and_then(|a| a.phases.duration(Phase::Blocked))
                        .is_some_and(|b| b >= QUEUED_MS)
                })
                .collect();
            report.findings.push(Finding {
                kind: FindingKind::Http1Queueing,
                origin: Some(s.origin.clone()),
                title: format!("{} is HTTP/1.1 at its connection limit, and requests queued", s.origin),
                detail: format!(
                    "It opened {} (up to {} in use at once; browsers open at most {PER_HOST_LIMIT} per host), and {} waited {} in all for a free one.",
                    plural(s.new_connections, "connection"),
                    s.peak_in_use.map_or_else(|| "?".into(), |p| p.to_string()),
                    plural(s.queued, "request"),
                    format_ms(s.queued_ms)
                ),
                advice: "Serve this origin over HTTP/2 (or HTTP/3): one connection carries every request at once, so none waits for a connection and one handshake replaces several.".into(),
                evidence: queued,
            });
        }

        // Every request whose connection is known opened a new one, and some did so after an
        // earlier response of this origin had ended: a connection could have been reused
        // (requests in flight at once need connections of their own over HTTP/1.1).
        let known = s.new_connections + s.reused;
        let ended = |i: usize| requests[i].timing.as_ref().map(|t| t.response_end).filter(|e| *e > 0.0);
        let missed: Vec<usize> = new_ones
            .iter()
            .copied()
            .filter(|&i| {
                let fetch = requests[i].timing.as_ref().map_or(0.0, |t| t.fetch_start);
                ids.iter().any(|&j| j != i && ended(j).is_some_and(|e| e < fetch))
            })
            .collect();
        if known >= 3 && s.reused == 0 && !missed.is_empty() {
            report.findings.push(Finding {
                kind: FindingKind::NoReuse,
                origin: Some(s.origin.clone()),
                title: format!("Every request to {} opened a new connection", s.origin),
                detail: format!(
                    "{} of {} {} known and none reused one, though {} started after an earlier response of this origin had ended: {} paid in handshakes.",
                    s.new_connections,
                    plural(s.requests, "request"),
                    if s.new_connections == s.requests { "are" } else { "have their connection" },
                    missed.len(),
                    format_ms(s.tcp_ms + s.tls_ms)
                ),
                advice: "The server, or a proxy or load balancer in front of it, closes each connection after one response (Connection: close, keep-alive off, or a keep-alive limit of one request). Turn keep-alive on: later requests then skip the TCP and TLS handshakes.".into(),
                evidence: missed,
            });
        }

        // Timing hidden from the page.
        if hidden > 0 && page_origin.as_deref() != Some(s.origin.as_str()) {
            report.findings.push(Finding {
                kind: FindingKind::TimingHidden,
                origin: Some(s.origin.clone()),
                title: format!("{} hides its timing", s.origin),
                detail: format!(
                    "{} of its {} came without Timing-Allow-Origin: the browser zeroes their DNS, connect, TLS and waiting times, so whether they opened or reused connections cannot be known.",
                    hidden,
                    plural(s.requests, "request")
                ),
                advice: format!(
                    "Ask {} to send Timing-Allow-Origin: {} (or *) on its responses.",
                    s.origin,
                    page_origin.as_deref().unwrap_or("<this page's origin>")
                ),
                evidence: hidden_ids,
            });
        }
    }

    // Several origins of one site, each paying handshakes.
    let mut sites: std::collections::BTreeMap<String, Vec<&crate::Summary>> = Default::default();
    for s in analysis.origins.iter().filter(|s| s.new_connections > 0) {
        sites.entry(site_of(&s.origin)).or_default().push(s);
    }
    for (site, shards) in sites.iter().filter(|(_, v)| v.len() >= 3) {
        let handshakes: usize = shards.iter().map(|s| s.new_connections).sum();
        let ms: f64 = shards.iter().map(|s| s.tcp_ms + s.tls_ms).sum();
        let evidence = shards
            .iter()
            .filter_map(|s| {
                of_origin(&s.origin).into_iter().find(|&i| verdict(i).is_some_and(|v| v.reuse == Reuse::New))
            })
            .collect();
        report.findings.push(Finding {
            kind: FindingKind::Sharding,
            origin: None,
            title: format!("{} origins of {site} each opened their own connections", shards.len()),
            detail: format!(
                "{} opened {} in all ({} of handshakes); a connection to one cannot carry another's requests.",
                shards.iter().map(|s| s.origin.as_str()).collect::<Vec<_>>().join(", "),
                plural(handshakes, "connection"),
                format_ms(ms)
            ),
            advice: "Domain sharding: serve these from one origin over HTTP/2, where one connection carries them all; if they must keep their names, serve them over HTTP/2 from one IP address with one certificate naming them all, so the browser can coalesce them onto one connection.".into(),
            evidence,
        });
    }

    if let Some(c) = capture {
        for hint in c.hints.iter().filter(|h| h.is("preconnect")) {
            let Some(origin) = crate::url::origin_of(&hint.href) else { continue };
            let to_origin = of_origin(&origin);
            let first = to_origin.iter().copied().min_by(|&a, &b| start(&requests[a]).total_cmp(&start(&requests[b])));
            match first {
                None => report.findings.push(Finding {
                    kind: FindingKind::PreconnectUnused,
                    origin: Some(origin.clone()),
                    title: format!("The page preconnects to {origin}, which it never used"),
                    detail: format!(
                        "<link rel=preconnect href=\"{}\"> is in the page, and no request went to {origin}.",
                        hint.href
                    ),
                    advice: "Remove the hint (or point it where the page's requests go): an unused preconnect costs a DNS look-up, a TCP and a TLS handshake, and a connection held open, for nothing.".into(),
                    evidence: Vec::new(),
                }),
                Some(i) => {
                    // The browser gives a usable preconnected connection to the first request
                    // it sends there, at once. Requests that started within a tick of the
                    // clock of each other were sent in an order the entries do not tell (a
                    // coarse clock gives a page's images one start), so the finding needs each
                    // of them to have set up a connection of its own, or to have been sent only
                    // after another request there freed a connection (its response ended) or,
                    // over HTTP/2, set one up that it could join: such a one waited, which a
                    // request given the preconnected connection does not. One that cannot be
                    // told and was sent before may be the one the preconnect served.
                    let tick = c.clock_resolution_ms.unwrap_or(0.0).max(crate::phases::EPSILON_MS);
                    let paid = |j: usize| {
                        let inference = verdict(j).map(|v| &v.inference);
                        inference
                            .and_then(|inf| (inf.reuse == Reuse::New).then_some(inf.handshake_ms).flatten())
                            .filter(|ms| *ms > 0.0)
                    };
                    let mut freed: Vec<(f64, usize)> = to_origin
                        .iter()
                        .filter_map(|&k| {
                            let t = requests[k].timing.as_ref()?;
                            let joinable = !t.is_one_at_a_time() && paid(k).is_some();
                            Some((if joinable { t.connect_end.min(t.response_end) } else { t.response_end }, k))
                        })
                        .collect();
                    freed.sort_by(|a, b| a.0.total_cmp(&b.0));
                    let waited = |j: usize| {
                        let first_freed = freed.iter().find(|(_, k)| *k != j).map_or(f64::INFINITY, |f| f.0);
                        requests[j].timing.as_ref().is_some_and(|t| t.request_start > first_freed + tick)
                    };
                    let tied: Vec<usize> =
                        to_origin.iter().copied().filter(|&j| start(&requests[j]) <= start(&requests[i]) + tick).collect();
                    let all_accounted = tied.iter().all(|&j| paid(j).is_some() || waited(j));
                    let opener = tied.iter().find_map(|&j| paid(j).map(|ms| (j, ms))).filter(|_| all_accounted);
                    if let Some((i, ms)) = opener {
                        let cors = requests[i].kind == Kind::Font;
                        report.findings.push(Finding {
                            kind: FindingKind::PreconnectWasted,
                            origin: Some(origin.clone()),
                            title: format!("The preconnect to {origin} did not serve its first request"),
                            detail: format!(
                                "The page's first request to {origin} ({}) still set up a connection of its own: {} of connecting.",
                                requests[i].url,
                                format_ms(ms)
                            ),
                            advice: if cors && hint.crossorigin.is_none() {
                                "This request is a font, fetched in CORS mode, and a preconnect without crossorigin opens a connection only no-CORS requests may use: add crossorigin to the hint.".into()
                            } else {
                                "A preconnected connection serves only requests of the same credentials mode (add or remove crossorigin on the hint to match them), and the server closes it when it is idle too long: make sure the hint matches the requests and comes shortly before them.".into()
                            },
                            evidence: vec![i],
                        });
                    }
                }
            }
        }
        let full = match c.buffer {
            Buffer::Room => None,
            Buffer::Full { dropped } => Some((crate::capture::buffer_text(c.entries, Some(dropped)), "was full")),
            Buffer::MaybeFull { entries } => Some((crate::capture::buffer_text(entries, None), "may have been full")),
        };
        if let Some((detail, state)) = full {
            let (what, advice) = detail.split_once(" To see them all, ").unwrap_or((&detail, ""));
            report.findings.push(Finding {
                kind: FindingKind::BufferFull,
                origin: None,
                title: format!("The page's timing buffer {state}: this report covers only the entries it kept"),
                detail: what.to_string(),
                advice: format!("To see them all, {advice}"),
                evidence: Vec::new(),
            });
        }
    } else {
        report.cannot_tell.push(
            "The page's resource hints (preconnect, preload) and whether its timing buffer overflowed are known only for a capture: this recording says nothing of them.".into(),
        );
    }

    // What cannot be known, and why.
    let hidden_origins: Vec<&str> =
        report.origins.iter().filter(|o| o.hidden > 0 && o.hidden == o.requests).map(|o| o.origin.as_str()).collect();
    if !hidden_origins.is_empty() {
        report.cannot_tell.push(format!(
            "Nothing is said of the connections of {}: the browser hid every timing of {}.",
            hidden_origins.join(", "),
            if hidden_origins.len() == 1 { "its requests" } else { "their requests" }
        ));
    }
    let mut reasons: std::collections::BTreeMap<&'static str, usize> = Default::default();
    for a in &analysis.requests {
        if a.verdict.reuse == Reuse::Unknown {
            let why = match a.verdict.inference.reason {
                Some(UnknownReason::NoTimingAllowOrigin) => continue,
                Some(UnknownReason::Cache) => "served from the browser's cache",
                Some(UnknownReason::NoEntry) => "no timing entry",
                Some(
                    UnknownReason::TooCoarse
                    | UnknownReason::LoopbackUnderCoarseClock
                    | UnknownReason::HandOverUnderCoarseClock,
                ) => "a clock too coarse to tell",
                Some(UnknownReason::HandOverStamp) => "a 0 ms connect that may be a connection handed over",
                Some(UnknownReason::NavigationConnectUnrecorded) => {
                    "a navigation entry that records no connection setup"
                }
                Some(UnknownReason::JoinedConnectionBeingSetUp | UnknownReason::WaitedForAConnection) => {
                    "waited for a connection another request was setting up"
                }
                Some(UnknownReason::ServerClosesConnections) => {
                    "waited for a connection at a server that closes its connections"
                }
                Some(UnknownReason::Inconsistent) | None => "times that contradict each other",
            };
            *reasons.entry(why).or_default() += 1;
        }
    }
    if !reasons.is_empty() {
        let list: Vec<String> = reasons.iter().map(|(why, n)| format!("{n} {why}")).collect();
        report.cannot_tell.push(format!(
            "For {} whether a connection was new or reused cannot be told ({}); they are left out of the counts above.",
            plural(reasons.values().sum(), "request"),
            list.join("; ")
        ));
    }
    if analysis.truth_connections.is_empty() {
        report.cannot_tell.push(
            "No response carried the server's own record of its connection (Server-Timing): connections are counted from timing alone.".into(),
        );
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Hint;
    use crate::testing::req;
    use crate::{analyse, Timing};

    #[test]
    fn sites_group_subdomains_and_keep_addresses_apart() {
        assert_eq!(site_of("https://static1.example.com"), "https://example.com");
        assert_eq!(site_of("https://a.b.example.co.uk:8443"), "https://example.co.uk");
        assert_eq!(site_of("http://127.0.0.1:9001"), "http://127.0.0.1");
        assert_eq!(site_of("http://localhost:9001"), "http://localhost");
        assert_eq!(site_of("https://[::1]:443"), "https://[::1]");
    }

    fn keys(r: &SiteReport) -> Vec<&'static str> {
        r.findings.iter().map(|f| f.kind.key()).collect()
    }

    #[test]
    fn no_reuse_is_found_only_where_every_known_request_opened_a_connection() {
        let o = "http://close.example";
        let rs: Vec<Request> =
            (0..4).map(|i| req(i, o, i as f64 * 10.0, i as f64 * 10.0 + 5.0, Some(1.5), None, "http/1.1")).collect();
        let a = analyse(&rs);
        let r = site_report(&rs, &a, None);
        assert_eq!(keys(&r), ["no-reuse"]);
        assert_eq!(r.findings[0].evidence, [1, 2, 3], "the first had no connection to reuse");
        assert!(r.findings[0].detail.contains("6.0 ms paid"), "{}", r.findings[0].detail);
        assert_eq!(r.origins[0].connections, 4);
        assert!(r.cannot_tell.iter().any(|c| c.contains("Server-Timing")));
        // Four at once each need a connection of their own: no cause.
        let at_once: Vec<Request> = (0..4).map(|i| req(i, o, i as f64, 20.0, Some(1.5), None, "http/1.1")).collect();
        assert!(keys(&site_report(&at_once, &analyse(&at_once), None)).is_empty());
        // One reused request and there is no finding.
        let mut rs = rs;
        rs.push(req(4, o, 50.0, 52.0, None, None, "http/1.1"));
        let a = analyse(&rs);
        assert!(keys(&site_report(&rs, &a, None)).is_empty());
    }

    #[test]
    fn queueing_is_found_where_an_http1_origin_had_six_in_use_and_requests_waited() {
        let o = "http://shop.example";
        let mut rs: Vec<Request> = (0..6).map(|i| req(i, o, 1.0, 100.0, Some(1.0), None, "http/1.1")).collect();
        for i in 6..8 {
            let mut r = req(i, o, 1.0, 150.0, None, None, "http/1.1");
            if let Some(t) = r.timing.as_mut() {
                t.request_start = 100.5;
            }
            rs.push(r);
        }
        let a = analyse(&rs);
        assert_eq!(a.origins[0].peak_in_use, Some(6));
        let r = site_report(&rs, &a, None);
        assert_eq!(keys(&r), ["http1-queueing"]);
        assert_eq!(r.findings[0].evidence, [6, 7]);
        assert!(r.findings[0].detail.contains("2 requests waited 199 ms"), "{}", r.findings[0].detail);
        // Over h2 the same waits are no connection limit; with five in use neither.
        let h2: Vec<Request> = rs
            .iter()
            .cloned()
            .map(|mut r| {
                if let Some(t) = r.timing.as_mut() {
                    t.next_hop_protocol = "h2".into();
                }
                r
            })
            .collect();
        assert!(!keys(&site_report(&h2, &analyse(&h2), None)).contains(&"http1-queueing"));
        let five: Vec<Request> = rs.iter().enumerate().filter(|(i, _)| *i != 0).map(|(_, r)| r.clone()).collect();
        assert!(!keys(&site_report(&five, &analyse(&five), None)).contains(&"http1-queueing"));
    }

    #[test]
    fn three_origins_of_one_site_each_paying_handshakes_are_sharding() {
        let rs = vec![
            req(0, "https://www.shop.example", 0.0, 5.0, Some(3.0), None, "http/1.1"),
            req(1, "https://img1.shop.example", 6.0, 9.0, Some(3.0), None, "http/1.1"),
            req(2, "https://img2.shop.example", 6.0, 9.0, Some(3.0), None, "http/1.1"),
            req(3, "https://cdn.other.example", 6.0, 9.0, Some(3.0), None, "http/1.1"),
        ];
        let a = analyse(&rs);
        let r = site_report(&rs, &a, None);
        assert_eq!(keys(&r), ["sharding"]);
        assert_eq!(r.findings[0].evidence.len(), 3);
        assert!(r.findings[0].title.starts_with("3 origins of https://shop.example"), "{}", r.findings[0].title);
        // Two shards are not enough to call it sharding.
        let a = analyse(&rs[1..]);
        assert!(keys(&site_report(&rs[1..], &a, None)).is_empty());
    }

    #[test]
    fn a_preconnect_is_wasted_only_where_every_request_tied_for_first_set_up_its_own() {
        // WebKit under its 1 ms clock: a page's images share a start, and the preconnected
        // connection served one that reads unknown (a 0 ms connect), while the next opened
        // its own. Which was sent first the entries do not tell, so there is no finding.
        let page = "https://site.example";
        let cdn = "https://cdn.example";
        let capture = CaptureInfo {
            page_url: format!("{page}/"),
            clock_resolution_ms: Some(1.0),
            hints: vec![Hint { rel: "preconnect".into(), href: format!("{cdn}/"), ..Hint::default() }],
            ..CaptureInfo::default()
        };
        let finding = |cdn_requests: Vec<Request>, order_swapped: bool| {
            let mut rs = vec![req(0, page, 0.0, 2.0, Some(1.0), None, "http/1.1")];
            rs.extend(cdn_requests);
            if order_swapped {
                rs.swap(1, 2);
            }
            let a = analyse(&rs);
            site_report(&rs, &a, Some(&capture)).findings.into_iter().find(|f| f.kind == FindingKind::PreconnectWasted)
        };
        let wasted = |second_start: f64, order_swapped: bool| {
            let opened = req(1, cdn, 2.0, 30.0, Some(15.0), None, "http/1.1");
            let served = req(2, cdn, second_start, 20.0, None, None, "http/1.1");
            finding(vec![opened, served], order_swapped)
        };
        assert!(wasted(2.0, false).is_none());
        assert!(wasted(2.0, true).is_none());
        assert!(wasted(2.9, false).is_none());
        // A tick later it was sent later: the first set up its own connection.
        let f = wasted(3.5, false).expect("the first request, alone at its start, opened a connection");
        assert_eq!(f.evidence, [1]);
        // Chromium: the seventh image shares the first's start, waited for a connection to
        // fall free and went on it (reads reused); it was no preconnect's. Listed first.
        let late = |sent: f64| {
            let mut r = req(2, cdn, 2.0, sent + 5.0, None, None, "http/1.1");
            if let Some(t) = r.timing.as_mut() {
                t.request_start = sent;
            }
            vec![r, req(1, cdn, 2.0, 30.0, Some(15.0), None, "http/1.1")]
        };
        let f = finding(late(32.0), false).expect("the only request sent at once opened a connection");
        assert_eq!(f.evidence, [2]);
        // Sent before any request there ended, or within a tick of it: it may have gone on
        // the preconnected one.
        assert!(finding(late(29.0), false).is_none());
        assert!(finding(late(31.0), false).is_none());
        // Over HTTP/2 one that joined the connection another set up waited for it too.
        let h2 = |sent: f64| {
            let mut joined = req(2, cdn, 2.0, sent + 5.0, None, None, "h2");
            if let Some(t) = joined.timing.as_mut() {
                t.request_start = sent;
            }
            vec![req(1, cdn, 2.0, 30.0, Some(15.0), None, "h2"), joined]
        };
        assert!(finding(h2(18.5), false).is_some());
        assert!(finding(h2(10.0), false).is_none());
    }

    #[test]
    fn preconnects_unused_or_not_serving_their_first_request_and_hidden_timing() {
        let page = "https://site.example";
        let fonts = "https://fonts.example";
        let mut hidden = req(2, "https://ads.example", 3.0, 9.0, None, None, "");
        hidden.timing = Some(Timing {
            name: "https://ads.example/x.js".into(),
            start_time: 3.0,
            fetch_start: 3.0,
            response_end: 9.0,
            ..Timing::default()
        });
        let mut font = req(1, fonts, 2.0, 8.0, Some(4.0), None, "h2");
        font.kind = Kind::Font;
        let rs = vec![req(0, page, 0.0, 2.0, Some(1.0), None, "h2"), font, hidden];
        let capture = CaptureInfo {
            page_url: format!("{page}/"),
            hints: vec![
                Hint { rel: "preconnect".into(), href: format!("{fonts}/"), ..Hint::default() },
                Hint {
                    rel: "preconnect dns-prefetch".into(),
                    href: "https://never.example/".into(),
                    ..Hint::default()
                },
                Hint { rel: "preload".into(), href: "https://never2.example/x.css".into(), ..Hint::default() },
            ],
            buffer: Buffer::Full { dropped: 3 },
            entries: 250,
            ..CaptureInfo::default()
        };
        let a = analyse(&rs);
        let r = site_report(&rs, &a, Some(&capture));
        assert_eq!(keys(&r), ["timing-hidden", "preconnect-wasted", "preconnect-unused", "buffer-full"]);
        assert_eq!(r.findings[0].evidence, [2]);
        assert!(r.findings[0].advice.contains("Timing-Allow-Origin: https://site.example"));
        assert_eq!(r.findings[1].evidence, [1]);
        assert!(r.findings[1].advice.contains("add crossorigin"), "{}", r.findings[1].advice);
        assert_eq!(r.findings[2].origin.as_deref(), Some("https://never.example"));
        assert!(r.findings[3].detail.contains("dropped 3 entries"));
        assert!(r.findings[3].advice.starts_with("To see them all, raise the buffer"));
        assert!(r.cannot_tell.iter().any(|c| c.contains("https://ads.example")));
        assert!(r.origins.iter().find(|o| o.origin == page).is_some_and(|o| !o.third_party));
    }
}
