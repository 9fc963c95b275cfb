//! Connections: as the server (or the browser's own HAR) named them, and as lanes inferred
//! from timing alone.

use crate::analysis::Analysed;
use crate::request::Request;
use crate::reuse::Reuse;
use crate::timing::Timing;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The server's `Server-Timing` (or the browser's own id in a HAR).
    Truth,
    /// Guessed from timing: a lane, not a proven connection.
    Inferred,
    /// Behind a proxy: the origin server's connections that the proxy used to forward the
    /// requests (`up-conn` in Server-Timing), the hop the browser never sees.
    Upstream,
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

/// Whose word the recorded connections of a run are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The server's `Server-Timing` (or nothing recorded at all).
    ByServer,
    /// The browser's own connection ids, saved by its DevTools in a HAR.
    ByBrowser,
    /// Some of each.
    ByBoth,
}

impl Recorded {
    pub fn of(connections: &[Connection]) -> Recorded {
        let by = |w| connections.iter().any(|c| c.witness == Some(w));
        match (by(Witness::Server), by(Witness::Browser)) {
            (_, false) => Recorded::ByServer,
            (false, true) => Recorded::ByBrowser,
            (true, true) => Recorded::ByBoth,
        }
    }

    /// The toggle's name for the recorded lanes, and how the view's hint says whose they are.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Recorded::ByServer => ("Server's truth", "as the server saw it (Server-Timing)"),
            Recorded::ByBrowser => {
                ("Browser's record", "as the browser recorded it (its connection id, saved by its DevTools)")
            }
            Recorded::ByBoth => (
                "Recorded",
                "as the server saw it (Server-Timing) or, where the server said nothing, as the browser recorded it",
            ),
        }
    }
}

/// A connection and the requests it carried, in start order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    /// The id shown to the user: the server's id, or `~N` for an inferred lane.
    pub id: String,
    /// The origin of its first request.
    pub origin: String,
    /// Other origins it carried requests for (an HTTP/2 or HTTP/3 connection that the
    /// browser coalesced across host names of one server), in the order they first came.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_origins: Vec<String>,
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

fn start_of(r: &Request) -> f64 {
    r.timing.as_ref().map_or(f64::INFINITY, |t| t.start_time)
}

fn protocol_of(r: &Request) -> String {
    r.timing.as_ref().and_then(|t| t.protocol()).unwrap_or("unknown").to_string()
}

/// The requests' positions in start order (ties by position): every lane builder walks it.
pub(crate) fn ordered(requests: &[Request]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..requests.len()).collect();
    order.sort_by(|a, b| start_of(&requests[*a]).total_cmp(&start_of(&requests[*b])).then(a.cmp(b)));
    order
}

/// Connections as the server (or the browser's own HAR) identified them.
/// The connections of the hop behind a proxy, as the proxy reported them: one per upstream
/// connection id (per origin it forwarded to), its requests in start order.
pub(crate) fn upstream_connections(requests: &[Request], order: &[usize]) -> Vec<Connection> {
    let mut conns: Vec<Connection> = Vec::new();
    let mut index: rustc_hash::FxHashMap<(String, String), usize> = rustc_hash::FxHashMap::default();
    for &i in order {
        let Some(up) = requests[i].timing.as_ref().and_then(Timing::upstream_truth) else { continue };
        let k = *index.entry((up.origin.clone(), up.hop.connection.clone())).or_insert_with(|| {
            conns.push(Connection {
                id: up.hop.connection.clone(),
                origin: up.origin.clone(),
                other_origins: Vec::new(),
                protocol: "http/1.1".into(),
                source: Source::Upstream,
                witness: Some(Witness::Server),
                requests: Vec::new(),
                handshake_ms: None,
                opened_by: None,
            });
            conns.len() - 1
        });
        conns[k].requests.push(i);
    }
    conns
}

/// `origin_of[i]` numbers request `i`'s origin (0, 1, … in order of first appearance).
pub(crate) fn truth_connections(
    requests: &[Request],
    order: &[usize],
    origin_of: &[usize],
    analysed: &mut [Analysed],
) -> Vec<Connection> {
    let origins = origin_of.iter().max().map_or(0, |m| m + 1);
    let mut conns: Vec<Connection> = Vec::new();
    // The origin number of each connection's first request.
    let mut conn_origin: Vec<usize> = Vec::new();
    // A multiplexed origin's server, numbered after the origins: one number per scheme and
    // port (`https://*:443`).
    let mut server_of_origin: Vec<Option<usize>> = vec![None; origins];
    let mut servers: rustc_hash::FxHashMap<String, usize> = rustc_hash::FxHashMap::default();
    for (r, &o) in requests.iter().zip(origin_of) {
        if server_of_origin[o].is_none() && r.timing.as_ref().is_some_and(Timing::is_multiplexed) {
            let (scheme, port) = (r.origin.split("://").next().unwrap_or(""), crate::url::port_of(&r.origin));
            let next = origins + servers.len();
            server_of_origin[o] =
                Some(*servers.entry(format!("{scheme}://*:{}", port.unwrap_or_default())).or_insert(next));
        }
    }
    // Keyed by (server or origin number, whose id, id): no string is built per request.
    let mut index: rustc_hash::FxHashMap<(usize, bool, &str), usize> = rustc_hash::FxHashMap::default();
    for &i in order {
        let r = &requests[i];
        let (shown, witness) = match (&analysed[i].verdict.truth, &r.recorded_connection) {
            (Some(t), _) => (t.connection.as_str(), Witness::Server),
            (None, Some(c)) => (c.as_str(), Witness::Browser),
            (None, None) => continue,
        };
        // The browser's ids apart from the server's (they count differently). Per origin,
        // but for a multiplexed protocol per server (scheme and port), where one connection
        // may carry requests for several host names of that server (coalescing).
        let multiplexed = r.timing.as_ref().is_some_and(Timing::is_multiplexed);
        let o = origin_of[i];
        let server = match server_of_origin[o] {
            Some(server) if multiplexed => server,
            _ => o,
        };
        let k = *index.entry((server, witness == Witness::Server, shown)).or_insert_with(|| {
            conn_origin.push(o);
            conns.push(Connection {
                id: shown.to_string(),
                origin: r.origin.clone(),
                other_origins: Vec::new(),
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
        if conn_origin[k] != o && !c.other_origins.contains(&r.origin) {
            c.other_origins.push(r.origin.clone());
        }
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
pub(crate) fn inferred_connections(
    requests: &[Request],
    order: &[usize],
    origin_of: &[usize],
    analysed: &mut [Analysed],
) -> Vec<Connection> {
    /// One pool of lanes: HTTP/1.x lanes ordered by when they fall free, so a request finds
    /// the one freed most recently before it was sent in O(log n); for h2/h3, the newest.
    #[derive(Default)]
    struct Pool {
        free_at: std::collections::BTreeSet<(i64, usize)>,
        newest: Option<usize>,
    }
    let mut lanes: Vec<Connection> = Vec::new();
    let mut busy_until: Vec<f64> = Vec::new();
    // Lanes by (origin, protocol), so each request looks only at its own pool.
    let mut pools: rustc_hash::FxHashMap<(usize, &str), Pool> = rustc_hash::FxHashMap::default();
    for &i in order {
        let r = &requests[i];
        let Some(t) = r.timing.as_ref() else { continue };
        let reuse = analysed[i].verdict.inference.reuse;
        if reuse == Reuse::Unknown {
            continue;
        }
        let protocol = t.protocol().unwrap_or("unknown");
        let sent = if t.request_start > 0.0 { t.request_start } else { t.fetch_start };
        let pool = pools.entry((origin_of[i], protocol)).or_default();
        let lane = if reuse == Reuse::New {
            None
        } else if t.is_multiplexed() {
            pool.newest
        } else {
            // The greatest (free moment, lane) at or before `sent`: among lanes freed at the
            // same moment, the newest.
            pool.free_at
                .range(..=(crate::phases::order_key(sent + crate::phases::EPSILON_MS), usize::MAX))
                .next_back()
                .map(|(_, k)| *k)
        };
        let k = match lane {
            Some(k) => k,
            None => {
                lanes.push(Connection {
                    other_origins: Vec::new(),
                    id: format!("~{}", lanes.len() + 1),
                    origin: r.origin.clone(),
                    protocol: protocol.to_string(),
                    source: Source::Inferred,
                    witness: None,
                    requests: Vec::new(),
                    handshake_ms: analysed[i].verdict.inference.handshake_ms,
                    opened_by: (reuse == Reuse::New).then_some(i),
                });
                busy_until.push(0.0);
                let k = lanes.len() - 1;
                pool.free_at.insert((crate::phases::order_key(0.0), k));
                pool.newest = Some(k);
                k
            }
        };
        lanes[k].requests.push(i);
        pool.free_at.remove(&(crate::phases::order_key(busy_until[k]), k));
        busy_until[k] = busy_until[k].max(t.response_end);
        pool.free_at.insert((crate::phases::order_key(busy_until[k]), k));
        analysed[i].inferred_connection = Some(k);
    }
    lanes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse;
    use crate::testing::req;

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
    fn one_h2_connection_that_served_two_host_names_is_one_lane_with_both_origins() {
        let (a, b) = ("https://127.0.0.1:8090", "https://localhost:8090");
        let rs = vec![
            req(0, a, 0.0, 5.0, Some(2.0), Some(("4", 1)), "h2"),
            req(1, b, 6.0, 8.0, None, Some(("4", 2)), "h2"),
            req(2, a, 6.5, 9.0, None, Some(("4", 3)), "h2"),
            // HTTP/1.1 connection ids stay per origin.
            req(3, "http://127.0.0.1:8081", 0.0, 1.0, Some(1.0), Some(("4", 1)), "http/1.1"),
        ];
        let a2 = analyse(&rs);
        assert_eq!(a2.truth_connections.len(), 2, "{:?}", a2.truth_connections);
        let c = &a2.truth_connections[0];
        assert_eq!(
            (c.origin.as_str(), c.other_origins.clone(), c.requests.clone()),
            (a, vec![b.to_string()], vec![0, 1, 2])
        );
        assert!(a2.truth_connections[1].other_origins.is_empty());
    }

    #[test]
    fn enter_on_a_lane_walks_its_requests_and_wraps() {
        let lane = Connection {
            other_origins: Vec::new(),
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
}
