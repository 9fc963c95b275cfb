//! What the testbed and the app agree on, written and read in this one place: the
//! `Server-Timing` metrics that name the connection which carried a request, and the
//! scenario list `GET /api/scenarios` serves.

use crate::timing::ServerTimingEntry;
use serde::{Deserialize, Serialize};

/// The `Server-Timing` metric whose `desc` is the server's id of the connection.
pub const CONNECTION_METRIC: &str = "conn";
/// The `Server-Timing` metric whose `desc` is the request's number on its connection.
pub const REQUEST_METRIC: &str = "req";

/// What the server says carried a request: `Server-Timing: conn;desc="<id>", req;desc="<n>"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerTruth {
    pub connection: String,
    /// 1 for the first request on that connection.
    pub request_number: u32,
}

impl ServerTruth {
    /// The `Server-Timing` header value that says this (the testbed sends it).
    pub fn header_value(&self) -> String {
        format!("{CONNECTION_METRIC};desc=\"{}\", {REQUEST_METRIC};desc=\"{}\"", self.connection, self.request_number)
    }

    /// Reads the server's account from a response's `Server-Timing` metrics, as the browser
    /// exposes them (`serverTiming`) or as a HAR's header parses. None when either metric is
    /// missing or malformed (an empty id, a request number that is not a positive integer).
    pub fn from_metrics(metrics: &[ServerTimingEntry]) -> Option<ServerTruth> {
        let find = |name: &str| metrics.iter().find(|e| e.name == name).map(|e| e.description.trim_ascii());
        let connection = find(CONNECTION_METRIC).filter(|c| !c.is_empty())?;
        let request_number = find(REQUEST_METRIC)?.parse().ok().filter(|n| *n >= 1)?;
        Some(ServerTruth { connection: connection.to_string(), request_number })
    }
}

/// A scenario origin as `GET /api/scenarios` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioInfo {
    pub id: String,
    pub title: String,
    pub explanation: String,
    pub origin: String,
    /// The ALPN id the origin offers first: `http/1.1` or `h2`.
    pub protocol: String,
    pub tls: bool,
    pub keep_alive: bool,
    pub idle_timeout_ms: Option<u64>,
    pub max_requests: Option<u32>,
    pub timing_allow_origin: bool,
    /// The policy in numbers ("HTTP/1.1, idle timeout 5 s").
    #[serde(default)]
    pub policy: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_server_writes_the_app_reads_back() {
        let truth = ServerTruth { connection: "17".into(), request_number: 3 };
        let header = truth.header_value();
        assert_eq!(header, r#"conn;desc="17", req;desc="3""#);
        assert_eq!(ServerTruth::from_metrics(&ServerTimingEntry::parse_header(&header)), Some(truth));
    }

    #[test]
    fn malformed_metrics_give_no_truth() {
        for (conn, req) in [("", "1"), ("5", "zero"), ("5", "0"), ("5", "-1")] {
            let metrics = [
                ServerTimingEntry { name: "conn".into(), duration: 0.0, description: conn.into() },
                ServerTimingEntry { name: "req".into(), duration: 0.0, description: req.into() },
            ];
            assert_eq!(ServerTruth::from_metrics(&metrics), None, "{conn:?} {req:?}");
        }
        assert_eq!(ServerTruth::from_metrics(&ServerTimingEntry::parse_header(r#"conn;desc="4""#)), None);
    }
}
