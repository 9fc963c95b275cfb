//! One request's Resource Timing entry, as browsers expose it (PerformanceResourceTiming).
//! Field names follow the entry's `toJSON()`, so entries captured from a browser with
//! `JSON.stringify(entry)` deserialise directly.

use crate::contract::ServerTruth;
use serde::{Deserialize, Serialize};

/// A PerformanceResourceTiming entry. Times are in ms relative to the page's time origin;
/// 0 means "not exposed" (opaque cross-origin entries, failed fetches).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Timing {
    pub name: String,
    pub initiator_type: String,
    pub start_time: f64,
    pub duration: f64,
    pub redirect_start: f64,
    pub redirect_end: f64,
    pub fetch_start: f64,
    pub domain_lookup_start: f64,
    pub domain_lookup_end: f64,
    pub connect_start: f64,
    pub connect_end: f64,
    pub secure_connection_start: f64,
    pub request_start: f64,
    pub response_start: f64,
    pub response_end: f64,
    pub transfer_size: f64,
    pub encoded_body_size: f64,
    pub decoded_body_size: f64,
    pub next_hop_protocol: String,
    /// Not in every browser (Firefox and Safari lacked it for long).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_status: Option<u16>,
    /// Not in every browser (Firefox has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_type: Option<String>,
    pub server_timing: Vec<ServerTimingEntry>,
    /// Not a browser attribute: set by HAR imports whose recorder rounds phases to whole
    /// milliseconds and writes 0 for both a reused and a fast new connection (Firefox
    /// DevTools), so the connect times say nothing about reuse.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub connect_unmeasured: bool,
    /// Not a browser attribute: set by a capture where connect times that read "already
    /// open" are no evidence of it (why, as the reason a verdict gives). A connect that
    /// shows still counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_reading_unreliable: Option<crate::reuse::UnknownReason>,
    /// Not a browser attribute: set by a capture or a run in a browser that records a 0 ms
    /// connect (a stamp, not a measured connect) on an HTTP/1.x request it hands a
    /// connection that has just fallen free (Firefox; `reuse::mark_hand_over_stamp`): the
    /// page's clock tick (ms). Such a connect is evidence of a new connection only where no
    /// other request of its origin finished around it (`reuse::refine`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hand_over_stamp_tick_ms: Option<f64>,
}

/// One metric of a `Server-Timing` header.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerTimingEntry {
    pub name: String,
    pub duration: f64,
    pub description: String,
}

impl ServerTimingEntry {
    /// Parses a `Server-Timing` header value the way browsers fill `serverTiming`
    /// (W3C Server Timing, §3): comma-separated metrics, each with `;`-separated
    /// parameters; `dur` is a number, `desc` a token or a quoted string. A metric with a
    /// malformed parameter keeps what could be read; an empty name is dropped; the first
    /// `dur` and `desc` win. Used for HAR imports, where the header is all there is.
    pub fn parse_header(value: &str) -> Vec<ServerTimingEntry> {
        let mut out = Vec::new();
        for metric in split_outside_quotes(value, ',') {
            let mut parts = split_outside_quotes(&metric, ';').into_iter();
            let name = parts.next().unwrap_or_default().trim().to_string();
            if name.is_empty() || name.contains(['"', '=', ' ']) {
                continue;
            }
            let mut entry = ServerTimingEntry { name, ..ServerTimingEntry::default() };
            let (mut dur_seen, mut desc_seen) = (false, false);
            for param in parts {
                let (key, raw) = param.split_once('=').unwrap_or((param.as_str(), ""));
                let value = unquote(raw.trim());
                match key.trim().to_ascii_lowercase().as_str() {
                    "dur" if !dur_seen => {
                        dur_seen = true;
                        entry.duration = value.parse().ok().filter(|d: &f64| d.is_finite()).unwrap_or(0.0);
                    }
                    "desc" if !desc_seen => {
                        desc_seen = true;
                        entry.description = value;
                    }
                    _ => {}
                }
            }
            out.push(entry);
        }
        out
    }
}

/// Splits on `sep` where it is not inside a quoted string (which may escape with `\`).
fn split_outside_quotes(s: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut part = String::new();
    let (mut quoted, mut escaped) = (false, false);
    for c in s.chars() {
        if c == sep && !quoted {
            parts.push(std::mem::take(&mut part));
            continue;
        }
        part.push(c);
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        }
    }
    parts.push(part);
    parts
}

/// A token as it is; a quoted string without its quotes and escapes.
fn unquote(v: &str) -> String {
    match v.strip_prefix('"') {
        Some(inner) => {
            let mut out = String::new();
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => out.extend(chars.next()),
                    '"' => break,
                    c => out.push(c),
                }
            }
            out
        }
        None => v.to_string(),
    }
}

/// Whether an ALPN protocol id multiplexes requests on one connection (h2, h3 and its drafts).
pub fn multiplexed(protocol: &str) -> bool {
    protocol == "h2" || protocol == "h3" || protocol.starts_with("h3-")
}

/// Whether an ALPN protocol id carries one request at a time per connection: HTTP/1.x and
/// HTTP/0.9 (no browser pipelines).
pub fn one_at_a_time(protocol: &str) -> bool {
    protocol.starts_with("http/1") || protocol.starts_with("http/0.9")
}

impl Timing {
    /// Every moment of the entry (ms from the page's time origin, 0 where not exposed), and
    /// the duration, by their attribute names.
    pub fn times(&self) -> [(&'static str, f64); 13] {
        [
            ("startTime", self.start_time),
            ("duration", self.duration),
            ("redirectStart", self.redirect_start),
            ("redirectEnd", self.redirect_end),
            ("fetchStart", self.fetch_start),
            ("domainLookupStart", self.domain_lookup_start),
            ("domainLookupEnd", self.domain_lookup_end),
            ("connectStart", self.connect_start),
            ("connectEnd", self.connect_end),
            ("secureConnectionStart", self.secure_connection_start),
            ("requestStart", self.request_start),
            ("responseStart", self.response_start),
            ("responseEnd", self.response_end),
        ]
    }

    /// Every moment of the entry after `startTime` (not the duration), to move them all.
    pub fn moments_mut(&mut self) -> [&mut f64; 11] {
        [
            &mut self.redirect_start,
            &mut self.redirect_end,
            &mut self.fetch_start,
            &mut self.domain_lookup_start,
            &mut self.domain_lookup_end,
            &mut self.connect_start,
            &mut self.connect_end,
            &mut self.secure_connection_start,
            &mut self.request_start,
            &mut self.response_start,
            &mut self.response_end,
        ]
    }

    /// The server's account of the connection, when the response carried one.
    pub fn server_truth(&self) -> Option<ServerTruth> {
        ServerTruth::from_metrics(&self.server_timing)
    }

    /// Behind a proxy: the hop from the proxy to the origin server, when the response said.
    pub fn upstream_truth(&self) -> Option<crate::contract::UpstreamTruth> {
        crate::contract::UpstreamTruth::from_metrics(&self.server_timing)
    }

    /// The protocol as the ALPN id (`http/1.1`, `h2`, `h3`), or None when not exposed.
    pub fn protocol(&self) -> Option<&str> {
        let p = self.next_hop_protocol.trim_ascii();
        (!p.is_empty()).then_some(p)
    }

    /// Whether the protocol carries many requests at once per connection (h2, h3).
    pub fn is_multiplexed(&self) -> bool {
        self.protocol().is_some_and(multiplexed)
    }

    /// Whether the protocol carries one request at a time per connection (HTTP/1.x).
    pub fn is_one_at_a_time(&self) -> bool {
        self.protocol().is_some_and(one_at_a_time)
    }

    /// Cross-origin without Timing-Allow-Origin (or a failed fetch): the browser zeroed
    /// everything between fetchStart and responseEnd.
    pub fn is_opaque(&self) -> bool {
        self.request_start == 0.0
            && self.response_start == 0.0
            && self.connect_start == 0.0
            && self.domain_lookup_start == 0.0
    }

    /// Served from the HTTP cache: no bytes crossed the network.
    pub fn from_cache(&self) -> bool {
        (self.transfer_size == 0.0 && self.decoded_body_size > 0.0 && !self.is_opaque())
            || self.delivery_type.as_deref() == Some("cache")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_truth_is_read_from_server_timing() {
        let t = Timing {
            server_timing: vec![
                ServerTimingEntry { name: "conn".into(), duration: 0.0, description: "17".into() },
                ServerTimingEntry { name: "req".into(), duration: 0.0, description: "3".into() },
            ],
            ..Timing::default()
        };
        assert_eq!(t.server_truth(), Some(ServerTruth { connection: "17".into(), request_number: 3 }));
    }

    #[test]
    fn server_timing_headers_parse_as_browsers_read_them() {
        let parsed = ServerTimingEntry::parse_header(r#"conn;desc="1", req;desc="2""#);
        assert_eq!(
            parsed,
            vec![
                ServerTimingEntry { name: "conn".into(), duration: 0.0, description: "1".into() },
                ServerTimingEntry { name: "req".into(), duration: 0.0, description: "2".into() },
            ]
        );
        let t = Timing { server_timing: parsed, ..Timing::default() };
        assert_eq!(t.server_truth(), Some(ServerTruth { connection: "1".into(), request_number: 2 }));
        // Tokens, durations, case, commas and escapes inside quotes, first value wins.
        let parsed = ServerTimingEntry::parse_header(
            r#"db;dur=53.2;desc=query, cache;DESC="hit, \"warm\"";desc=ignored , total;dur=x, ;desc=1, =bad"#,
        );
        let names: Vec<&str> = parsed.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["db", "cache", "total"]);
        assert_eq!(parsed[0].duration, 53.2);
        assert_eq!(parsed[0].description, "query");
        assert_eq!(parsed[1].description, r#"hit, "warm""#);
        assert_eq!(parsed[2].duration, 0.0);
        assert!(ServerTimingEntry::parse_header("").is_empty());
        assert!(ServerTimingEntry::parse_header(r#""unterminated, conn;desc=1"#).is_empty());
    }

    #[test]
    fn entries_without_optional_fields_deserialise() {
        let t: Timing =
            serde_json::from_str(r#"{"name":"x","startTime":1.5,"fetchStart":1.5,"responseEnd":3}"#).unwrap();
        assert_eq!(t.response_status, None);
        assert_eq!(t.delivery_type, None);
        assert!(t.is_opaque());
    }
}
