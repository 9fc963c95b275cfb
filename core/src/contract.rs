//! What the testbed and the app agree on, written and read in this one place: the
//! `Server-Timing` metrics that name the connection which carried a request, and the
//! scenario list `GET /api/scenarios` serves.

use crate::timing::ServerTimingEntry;
use serde::{Deserialize, Serialize};

/// The `Server-Timing` metric whose `desc` is the server's id of the connection.
pub const CONNECTION_METRIC: &str = "conn";
/// The `Server-Timing` metric whose `desc` is the request's number on its connection.
pub const REQUEST_METRIC: &str = "req";

/// Behind a proxy, the metrics of the hop from the proxy to the origin server: the origin's
/// id of the connection the proxy's upstream pool used, the request's number on it, and
/// which origin the proxy forwarded to.
pub const UPSTREAM_CONNECTION_METRIC: &str = "up-conn";
pub const UPSTREAM_REQUEST_METRIC: &str = "up-req";
pub const UPSTREAM_ORIGIN_METRIC: &str = "up-origin";

/// What a proxy says carried a request on its way on, to the origin server:
/// `Server-Timing: up-conn;desc="<id>", up-req;desc="<n>", up-origin;desc="<origin>"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamTruth {
    pub hop: ServerTruth,
    pub origin: String,
}

impl UpstreamTruth {
    /// The `Server-Timing` header value that says this (the testbed's proxy sends it).
    pub fn header_value(&self) -> String {
        format!(
            "{UPSTREAM_CONNECTION_METRIC};desc=\"{}\", {UPSTREAM_REQUEST_METRIC};desc=\"{}\", {UPSTREAM_ORIGIN_METRIC};desc=\"{}\"",
            self.hop.connection, self.hop.request_number, self.origin
        )
    }

    /// Reads the upstream hop from a response's metrics; None when a metric is missing or
    /// malformed.
    pub fn from_metrics(metrics: &[ServerTimingEntry]) -> Option<UpstreamTruth> {
        let find = |name: &str| metrics.iter().find(|e| e.name == name).map(|e| e.description.trim_ascii());
        let connection = find(UPSTREAM_CONNECTION_METRIC).filter(|c| !c.is_empty())?;
        let request_number = find(UPSTREAM_REQUEST_METRIC)?.parse().ok().filter(|n| *n >= 1)?;
        let origin = find(UPSTREAM_ORIGIN_METRIC).filter(|o| crate::url::is_http(o))?;
        Some(UpstreamTruth {
            hop: ServerTruth { connection: connection.to_string(), request_number },
            origin: origin.to_string(),
        })
    }
}

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
    /// The round trip built into the origin (ms), where it has one.
    #[serde(default)]
    pub rtt_ms: Option<u64>,
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

#[cfg(test)]
mod upstream_tests {
    use super::*;

    #[test]
    fn the_upstream_hop_is_written_and_read_in_one_place() {
        let up = UpstreamTruth {
            hop: ServerTruth { connection: "41".into(), request_number: 1 },
            origin: "http://127.0.0.1:9001".into(),
        };
        let header = format!(
            "{}, {}",
            ServerTruth { connection: "7".into(), request_number: 3 }.header_value(),
            up.header_value()
        );
        let metrics = ServerTimingEntry::parse_header(&header);
        assert_eq!(UpstreamTruth::from_metrics(&metrics), Some(up));
        assert_eq!(ServerTruth::from_metrics(&metrics).map(|t| t.request_number), Some(3), "the proxy's own hop stays");
        assert_eq!(
            UpstreamTruth::from_metrics(&ServerTimingEntry::parse_header(
                r#"up-conn;desc="1", up-req;desc="0", up-origin;desc="http://h""#
            )),
            None
        );
        assert_eq!(
            UpstreamTruth::from_metrics(&ServerTimingEntry::parse_header(
                r#"up-conn;desc="1", up-req;desc="1", up-origin;desc="javascript:x""#
            )),
            None
        );
    }
}
