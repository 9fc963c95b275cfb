//! Everything derived from a run's requests: each one's verdict and phases, its
//! connection (recorded and inferred), the summaries per origin and the reading.

use crate::connections::{inferred_connections, truth_connections, Connection, Source};
use crate::phases::Phases;
use crate::request::{Outcome, Request};
use crate::reuse::{refine, verdict, Verdict};
use crate::summary::{reading, summarise, Summary};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
pub struct Analysis {
    pub requests: Vec<Analysed>,
    pub truth_connections: Vec<Connection>,
    pub inferred_connections: Vec<Connection>,
    /// Behind a proxy: the origin server's connections the proxy forwarded on (empty when
    /// no response named them).
    pub upstream_connections: Vec<Connection>,
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

    /// The `data-connection` of a request's row: the id of [`Analysis::connection_of`], or
    /// "" when its connection is unknown.
    pub fn connection_label(&self, request: usize) -> String {
        self.connection_of(request).map(|c| c.id.clone()).unwrap_or_default()
    }

    /// The lanes the connection view draws when `wanted` is asked for: the recorded ones,
    /// or the inferred ones when nothing was recorded (or they were asked for).
    pub fn lanes(&self, wanted: Source) -> (Source, &[Connection]) {
        if wanted == Source::Truth && !self.truth_connections.is_empty() {
            (Source::Truth, &self.truth_connections)
        } else if wanted == Source::Upstream && !self.upstream_connections.is_empty() {
            (Source::Upstream, &self.upstream_connections)
        } else {
            (Source::Inferred, &self.inferred_connections)
        }
    }

    /// How many requests timing and the server disagree on for a reason timing shows.
    pub fn differing(&self) -> usize {
        self.requests.iter().filter(|a| a.verdict.agreement.differs()).count()
    }
}

pub fn analyse(requests: &[Request]) -> Analysis {
    let mut verdicts: Vec<Verdict> = requests
        .iter()
        .map(|r| {
            let mut v = verdict(r.timing.as_ref());
            if r.timing.is_none() {
                if let Outcome::Failed { message } = &r.outcome {
                    v.failure = Some(message.clone());
                }
            }
            v
        })
        .collect();
    // Each origin numbered once, in order of first appearance: every later step groups
    // and compares by number, not by hashing or comparing the origin's text again.
    let mut names: Vec<&str> = Vec::new();
    let origin_of: Vec<usize> = {
        let mut numbered: rustc_hash::FxHashMap<&str, usize> = rustc_hash::FxHashMap::default();
        requests
            .iter()
            .map(|r| {
                *numbered.entry(r.origin.as_str()).or_insert_with(|| {
                    names.push(r.origin.as_str());
                    names.len() - 1
                })
            })
            .collect()
    };
    {
        let timings: Vec<Option<&crate::Timing>> = requests.iter().map(|r| r.timing.as_ref()).collect();
        refine(&timings, &origin_of, &mut verdicts);
    }
    let mut analysed: Vec<Analysed> = requests
        .iter()
        .zip(verdicts)
        .map(|(r, verdict)| Analysed {
            verdict,
            phases: r.timing.as_ref().map(Phases::from_timing).unwrap_or_default(),
            truth_connection: None,
            inferred_connection: None,
        })
        .collect();
    // Start order, sorted once for the three kinds of lanes.
    let order = crate::connections::ordered(requests);
    let truth_connections = truth_connections(requests, &order, &origin_of, &mut analysed);
    let inferred_connections = inferred_connections(requests, &order, &origin_of, &mut analysed);
    let upstream_connections = crate::connections::upstream_connections(requests, &order);
    let mut grouped: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
    // Positions, not `Request::id`: the analysis indexes by position, whatever the ids say.
    for (i, &o) in origin_of.iter().enumerate() {
        grouped[o].push(i);
    }
    // Origins in order of their names, as the summary lists them.
    let by_origin: BTreeMap<&str, Vec<usize>> = names.into_iter().zip(grouped).collect();
    let mut origins: Vec<Summary> = by_origin.iter().map(|(o, ids)| summarise(o, ids, requests, &analysed)).collect();
    // An origin whose every request went on a recorded connection of another origin.
    for (s, ids) in origins.iter_mut().zip(by_origin.values()) {
        let mut hosts = ids.iter().map(|&i| analysed[i].truth_connection.and_then(|c| truth_connections.get(c)));
        let first = hosts.next().flatten().map(|c| c.origin.clone());
        s.coalesced_onto = first.filter(|f| f != &s.origin && hosts.all(|c| c.is_some_and(|c| &c.origin == f)));
    }
    let all: Vec<usize> = (0..requests.len()).collect();
    let mut total = summarise("all origins", &all, requests, &analysed);
    // A handshake to one server prices nothing on another: the run saved what its origins saved.
    let priced: Vec<f64> = origins.iter().filter_map(|o| o.saved_ms).collect();
    total.saved_ms = (!priced.is_empty()).then(|| priced.iter().sum());
    total.unpriced_reused = origins.iter().map(|o| o.unpriced_reused).sum();
    // The per-host limit is per origin: a peak across origins says nothing about it.
    total.peak_in_use = None;
    let reading = reading(&origins, &total);
    Analysis {
        requests: analysed,
        truth_connections,
        inferred_connections,
        upstream_connections,
        origins,
        total,
        reading,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reuse::Agreement;
    use crate::testing::req;

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
    fn a_name_whose_requests_all_rode_another_names_h2_connection_is_said_to_be_coalesced() {
        let (a, b) = ("https://127.0.0.1:8090", "https://localhost:8090");
        let rs = vec![
            req(0, a, 0.0, 5.0, Some(2.0), Some(("4", 1)), "h2"),
            req(1, b, 6.0, 8.0, None, Some(("4", 2)), "h2"),
            req(2, b, 6.5, 9.0, None, Some(("4", 3)), "h2"),
        ];
        let an = analyse(&rs);
        assert_eq!(an.origins[1].coalesced_onto.as_deref(), Some(a));
        assert_eq!(an.origins[0].coalesced_onto, None);
        assert!(
            an.reading.contains("each went on the connection the browser had opened for https://127.0.0.1:8090"),
            "{}",
            an.reading
        );
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
}
