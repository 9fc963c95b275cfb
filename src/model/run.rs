//! A run: the requests of one page load, and everything derived from them — verdicts,
//! phases, connections (from the server's truth and inferred from timing), summaries per
//! origin and a plain-language reading.

use super::phases::Phases;
use super::reuse::{verdict, Agreement, Reuse, Verdict};
use super::timing::Timing;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What kind of resource a request fetched, as the loader discovered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Document,
    Stylesheet,
    Script,
    Image,
    Font,
    Media,
    Other,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Document => "document",
            Kind::Stylesheet => "stylesheet",
            Kind::Script => "script",
            Kind::Image => "image",
            Kind::Font => "font",
            Kind::Media => "media",
            Kind::Other => "other",
        }
    }
}

/// How a request ended, as the loader saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "state")]
pub enum Outcome {
    Pending,
    Running,
    Done { status: u16 },
    Failed { message: String },
}

/// One request of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: usize,
    /// The URL as the page named it (without the run token).
    pub url: String,
    pub origin: String,
    pub kind: Kind,
    pub parent: Option<usize>,
    pub depth: u32,
    pub outcome: Outcome,
    pub timing: Option<Timing>,
    /// A connection id recorded by the browser itself (HAR `connection`), when imported.
    pub recorded_connection: Option<String>,
}

impl Request {
    /// A request known only by its timing entry (captured entries, imports): its URL is
    /// the entry's name without the run token, its kind guessed from the URL.
    pub fn from_entry(id: usize, timing: Timing) -> Option<Request> {
        let url = super::discover::strip_token(&timing.name);
        let origin = super::discover::origin_of(&url)?;
        let path = url.split(['?', '#']).next().unwrap_or("").to_ascii_lowercase();
        let kind = match path.rsplit('.').next().unwrap_or("") {
            "html" | "htm" => Kind::Document,
            "css" => Kind::Stylesheet,
            "js" | "mjs" => Kind::Script,
            "png" | "jpg" | "jpeg" | "gif" | "svg" | "webp" | "avif" | "ico" => Kind::Image,
            "woff" | "woff2" | "ttf" | "otf" => Kind::Font,
            _ => Kind::Other,
        };
        let status = timing.response_status.filter(|s| *s > 0).unwrap_or(200);
        Some(Request {
            id,
            url,
            origin,
            kind,
            parent: None,
            depth: 0,
            outcome: Outcome::Done { status },
            timing: Some(timing),
            recorded_connection: None,
        })
    }
}

/// Where a connection's identity comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The server's `Server-Timing` (or the browser's own id in a HAR).
    Truth,
    /// Guessed from timing: a lane, not a proven connection.
    Inferred,
}

/// Who named a connection that was not guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Witness {
    /// The server, in `Server-Timing` (the testbed, or any server that says so).
    Server,
    /// The browser's own connection id, recorded by its DevTools in a HAR.
    Browser,
}

/// A connection and the requests it carried, in start order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    /// The id shown to the user: the server's id, or `~N` for an inferred lane.
    pub id: String,
    pub origin: String,
    pub protocol: String,
    pub source: Source,
    /// For `Source::Truth`: whose word it is.
    #[serde(default)]
    pub witness: Option<Witness>,
    pub requests: Vec<usize>,
    /// The handshake (TCP + TLS) measured on the request that opened it, when seen.
    pub handshake_ms: Option<f64>,
    /// The request whose timing shows the handshake.
    pub opened_by: Option<usize>,
}

impl Connection {
    /// The request to select when a keyboard user presses Enter on this lane: the one after
    /// `selected` on this connection, or its first when the selection is elsewhere or last.
    pub fn next_request(&self, selected: Option<usize>) -> Option<usize> {
        let here = selected.and_then(|s| self.requests.iter().position(|&r| r == s));
        match here {
            Some(k) => self.requests.get(k + 1).or(self.requests.first()).copied(),
            None => self.requests.first().copied(),
        }
    }
}

/// Everything derived for one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysed {
    pub verdict: Verdict,
    pub phases: Phases,
    /// Index into `Analysis::truth_connections`.
    pub truth_connection: Option<usize>,
    /// Index into `Analysis::inferred_connections`.
    pub inferred_connection: Option<usize>,
}

/// Totals for one origin, or for the whole run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub origin: String,
    pub requests: usize,
    pub new_connections: usize,
    pub reused: usize,
    pub unknown: usize,
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
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Analysis {
    pub requests: Vec<Analysed>,
    pub truth_connections: Vec<Connection>,
    pub inferred_connections: Vec<Connection>,
    pub origins: Vec<Summary>,
    pub total: Summary,
    pub reading: String,
}

impl Analysis {
    /// The connection a request is shown on: the server's (or browser's) own record where
    /// there is one, else the lane inferred from timing, else none (`data-connection`).
    pub fn connection_of(&self, request: usize) -> Option<&Connection> {
        let a = self.requests.get(request)?;
        a.truth_connection
            .and_then(|c| self.truth_connections.get(c))
            .or_else(|| a.inferred_connection.and_then(|c| self.inferred_connections.get(c)))
    }
}

pub fn analyse(requests: &[Request]) -> Analysis {
    let mut analysed: Vec<Analysed> = requests
        .iter()
        .map(|r| {
            let mut v = verdict(r.timing.as_ref());
            if r.timing.is_none() {
                if let Outcome::Failed { message } = &r.outcome {
                    v.evidence = format!("{} ({message})", v.evidence);
                }
            }
            Analysed {
                verdict: v,
                phases: r.timing.as_ref().map(Phases::from_timing).unwrap_or_default(),
                truth_connection: None,
                inferred_connection: None,
            }
        })
        .collect();
    let truth_connections = truth_connections(requests, &mut analysed);
    let inferred_connections = inferred_connections(requests, &mut analysed);
    let mut by_origin: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    // Positions, not `Request::id`: the analysis indexes by position, whatever the ids say.
    for (i, r) in requests.iter().enumerate() {
        by_origin.entry(r.origin.as_str()).or_default().push(i);
    }
    let origins: Vec<Summary> = by_origin.iter().map(|(o, ids)| summarise(o, ids, requests, &analysed)).collect();
    let all: Vec<usize> = (0..requests.len()).collect();
    let mut total = summarise("all origins", &all, requests, &analysed);
    // A handshake to one server prices nothing on another: the run saved what its origins saved.
    let priced: Vec<f64> = origins.iter().filter_map(|o| o.saved_ms).collect();
    total.saved_ms = (!priced.is_empty()).then(|| priced.iter().sum());
    total.unpriced_reused = origins.iter().map(|o| o.unpriced_reused).sum();
    let reading = reading(&origins, &total);
    Analysis { requests: analysed, truth_connections, inferred_connections, origins, total, reading }
}

fn start_of(r: &Request) -> f64 {
    r.timing.as_ref().map_or(f64::INFINITY, |t| t.start_time)
}

fn protocol_of(r: &Request) -> String {
    r.timing.as_ref().and_then(|t| t.protocol()).unwrap_or("unknown").to_string()
}

fn ordered(requests: &[Request]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..requests.len()).collect();
    order.sort_by(|a, b| start_of(&requests[*a]).total_cmp(&start_of(&requests[*b])).then(a.cmp(b)));
    order
}

/// Connections as the server (or the browser's own HAR) identified them.
fn truth_connections(requests: &[Request], analysed: &mut [Analysed]) -> Vec<Connection> {
    let mut conns: Vec<Connection> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for i in ordered(requests) {
        let r = &requests[i];
        let (shown, witness) = match (&analysed[i].verdict.truth, &r.recorded_connection) {
            (Some(t), _) => (t.connection.clone(), Witness::Server),
            (None, Some(c)) => (c.clone(), Witness::Browser),
            (None, None) => continue,
        };
        // Per origin, and the browser's ids apart from the server's (they count differently).
        let key = format!("{}|{witness:?}|{shown}", r.origin);
        let k = *index.entry(key).or_insert_with(|| {
            conns.push(Connection {
                id: shown,
                origin: r.origin.clone(),
                protocol: protocol_of(r),
                source: Source::Truth,
                witness: Some(witness),
                requests: Vec::new(),
                handshake_ms: None,
                opened_by: None,
            });
            conns.len() - 1
        });
        let c = &mut conns[k];
        c.requests.push(i);
        if c.handshake_ms.is_none() {
            if let Some(h) = analysed[i].verdict.inference.handshake_ms {
                c.handshake_ms = Some(h);
                c.opened_by = Some(i);
            }
        }
        if c.protocol == "unknown" {
            c.protocol = protocol_of(r);
        }
        analysed[i].truth_connection = Some(k);
    }
    conns
}

/// Lanes guessed from timing alone. HTTP/1.1 carries one request at a time, so a request
/// that shows a handshake opens a lane and a reused one takes the lane that fell free most
/// recently before it was sent (browsers reuse the most recently used idle socket). h2/h3
/// multiplex: one lane per origin until a request shows a new handshake.
fn inferred_connections(requests: &[Request], analysed: &mut [Analysed]) -> Vec<Connection> {
    let mut lanes: Vec<Connection> = Vec::new();
    let mut busy_until: Vec<f64> = Vec::new();
    // Lanes by (origin, protocol), so each request looks only at its own pool.
    let mut pools: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for i in ordered(requests) {
        let r = &requests[i];
        let Some(t) = r.timing.as_ref() else { continue };
        let reuse = analysed[i].verdict.inference.reuse;
        if reuse == Reuse::Unknown {
            continue;
        }
        let protocol = protocol_of(r);
        let sent = if t.request_start > 0.0 { t.request_start } else { t.fetch_start };
        let pool = pools.entry((r.origin.clone(), protocol.clone())).or_default();
        let lane = if reuse == Reuse::New {
            None
        } else if t.is_multiplexed() {
            pool.last().copied()
        } else {
            pool.iter()
                .copied()
                .filter(|k| busy_until[*k] <= sent + super::phases::EPSILON_MS)
                .max_by(|a, b| busy_until[*a].total_cmp(&busy_until[*b]))
        };
        let k = match lane {
            Some(k) => k,
            None => {
                lanes.push(Connection {
                    id: format!("~{}", lanes.len() + 1),
                    origin: r.origin.clone(),
                    protocol,
                    source: Source::Inferred,
                    witness: None,
                    requests: Vec::new(),
                    handshake_ms: analysed[i].verdict.inference.handshake_ms,
                    opened_by: (reuse == Reuse::New).then_some(i),
                });
                busy_until.push(0.0);
                pool.push(lanes.len() - 1);
                lanes.len() - 1
            }
        };
        lanes[k].requests.push(i);
        busy_until[k] = busy_until[k].max(t.response_end);
        analysed[i].inferred_connection = Some(k);
    }
    lanes
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

fn summarise(origin: &str, ids: &[usize], requests: &[Request], analysed: &[Analysed]) -> Summary {
    use super::phases::Phase;
    let mut s = Summary { origin: origin.to_string(), requests: ids.len(), ..Summary::default() };
    let mut handshakes = Vec::new();
    let (mut first, mut last) = (f64::INFINITY, f64::NEG_INFINITY);
    for &i in ids {
        let a = &analysed[i];
        match a.verdict.reuse {
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
    s
}

/// A duration for people: `0.42 ms`, `12.3 ms`, `340 ms`, `1.20 s`.
pub fn format_ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 1.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

/// A paragraph a student can read aloud.
fn reading(origins: &[Summary], total: &Summary) -> String {
    if total.requests == 0 {
        return "No requests yet.".to_string();
    }
    let mut out = format!(
        "{} request{} to {} origin{} took {} from the first start to the last byte. ",
        total.requests,
        if total.requests == 1 { "" } else { "s" },
        origins.len(),
        if origins.len() == 1 { "" } else { "s" },
        format_ms(total.span_ms)
    );
    let known = total.new_connections + total.reused;
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
    out.push_str(". ");
    for o in origins.iter().filter(|o| o.new_connections + o.reused > 0) {
        let proto = if o.protocols.is_empty() { "an unknown protocol".to_string() } else { o.protocols.join(" and ") };
        let opened = match o.new_connections {
            0 => "no new connection".to_string(),
            1 => "1 new connection".to_string(),
            n => format!("{n} new connections"),
        };
        out.push_str(&format!(
            "{} ({proto}): {opened} for {} request{}",
            o.origin,
            o.requests,
            if o.requests == 1 { "" } else { "s" }
        ));
        match (o.median_handshake_ms, o.saved_ms) {
            (Some(h), Some(saved)) if o.reused > 0 => out.push_str(&format!(
                "; each handshake cost about {}, so reuse saved about {} of connection setup. ",
                format_ms(h),
                format_ms(saved)
            )),
            (None, _) if o.reused > 0 && o.new_connections == 0 => out.push_str(
                "; each went on a connection already open before it started (left from an earlier load within the server's idle timeout, or opened ahead by the browser), so no handshake was measured and what reuse saved is not priced. ",
            ),
            (None, _) if o.reused > 0 => {
                out.push_str("; no handshake was measured here, so what reuse saved is not priced. ")
            }
            _ => out.push_str(". "),
        }
    }
    if total.compared > 0 {
        out.push_str(&format!(
            "The server's own record of its connections matched the timing for {} of {} request{}",
            total.agreed,
            total.compared,
            if total.compared == 1 { "" } else { "s" }
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
    use super::*;
    use crate::model::testing::req;

    #[test]
    fn http1_lanes_follow_the_most_recently_freed_connection() {
        let o = "http://a:1";
        let rs = vec![
            req(0, o, 0.0, 10.0, Some(1.0), None, "http/1.1"),
            req(1, o, 1.0, 5.0, Some(1.0), None, "http/1.1"),
            req(2, o, 6.0, 8.0, None, None, "http/1.1"), // lane 2 fell free at 5
            req(3, o, 11.0, 12.0, None, None, "http/1.1"), // lane 1 fell free at 10, lane 2 at 8
        ];
        let a = analyse(&rs);
        assert_eq!(a.inferred_connections.len(), 2);
        let lane = |i: usize| a.requests[i].inferred_connection;
        assert_eq!(a.connection_of(3).map(|c| c.id.as_str()), Some("~1"), "no truth: the inferred lane is shown");
        assert_eq!(lane(2), lane(1));
        assert_eq!(lane(3), lane(0));
        assert!(a.inferred_connections.iter().all(|c| c.source == Source::Inferred && c.id.starts_with('~')));
    }

    #[test]
    fn enter_on_a_lane_walks_its_requests_and_wraps() {
        let lane = Connection {
            id: "4".into(),
            origin: "http://h".into(),
            protocol: "http/1.1".into(),
            source: Source::Truth,
            witness: Some(Witness::Server),
            requests: vec![0, 3, 7],
            handshake_ms: None,
            opened_by: Some(0),
        };
        let walk: Vec<Option<usize>> =
            [None, Some(0), Some(3), Some(7), Some(5)].into_iter().map(|s| lane.next_request(s)).collect();
        assert_eq!(walk, [Some(0), Some(3), Some(7), Some(0), Some(0)]);
        assert_eq!(Connection { requests: vec![], ..lane }.next_request(Some(0)), None);
    }

    #[test]
    fn h2_requests_share_one_lane() {
        let o = "https://b:2";
        let rs = vec![
            req(0, o, 0.0, 10.0, Some(3.0), None, "h2"),
            req(1, o, 4.0, 9.0, None, None, "h2"),
            req(2, o, 4.1, 9.5, None, None, "h2"),
        ];
        let a = analyse(&rs);
        assert_eq!(a.inferred_connections.len(), 1);
        assert_eq!(a.inferred_connections[0].requests, vec![0, 1, 2]);
    }

    #[test]
    fn truth_groups_by_server_id_and_savings_are_priced_at_the_median_handshake() {
        let o = "http://c:3";
        let rs = vec![
            req(0, o, 0.0, 5.0, Some(2.0), Some(("7", 1)), "http/1.1"),
            req(1, o, 0.5, 6.0, Some(4.0), Some(("8", 1)), "http/1.1"),
            req(2, o, 6.5, 8.0, None, Some(("7", 2)), "http/1.1"),
            req(3, o, 7.0, 9.0, None, Some(("8", 2)), "http/1.1"),
            req(4, o, 9.5, 10.0, None, Some(("7", 3)), "http/1.1"),
        ];
        let a = analyse(&rs);
        assert_eq!(a.truth_connections.len(), 2);
        assert_eq!(a.truth_connections[0].requests, vec![0, 2, 4]);
        assert_eq!(a.truth_connections[0].handshake_ms, Some(2.0));
        assert_eq!(a.connection_of(3).map(|c| c.id.as_str()), Some("8"), "the server's id wins over a lane");
        let s = &a.origins[0];
        assert_eq!((s.new_connections, s.reused, s.unknown), (2, 3, 0));
        assert_eq!(s.median_handshake_ms, Some(3.0));
        assert_eq!(s.saved_ms, Some(9.0));
        assert_eq!((s.compared, s.agreed), (5, 5));
        assert!(a.reading.contains("2 opened a new connection and 3 reused"), "{}", a.reading);
        assert!(a.reading.contains("matched the timing for 5 of 5"), "{}", a.reading);
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
    fn a_preconnected_first_request_is_counted_as_explained_not_agreed() {
        let o = "http://e:5";
        let rs = vec![
            req(0, o, 0.0, 2.0, None, Some(("3", 1)), "http/1.1"),
            req(1, o, 3.0, 4.0, None, Some(("3", 2)), "http/1.1"),
        ];
        let a = analyse(&rs);
        assert_eq!(a.requests[0].verdict.agreement, Agreement::Preconnected);
        assert_eq!((a.total.compared, a.total.agreed), (2, 1));
        assert!(a.reading.contains("opened before the request started"), "{}", a.reading);
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
