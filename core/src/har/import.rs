//! HAR files as browsers' DevTools save them, read into requests with their timing.

use super::lean::{Json as Value, NULL};
use crate::request::{Kind, Outcome, Request};
use crate::session::{Level, Message};
use crate::timing::{ServerTimingEntry, Timing};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum HarError {
    #[error("the file is empty")]
    Empty,
    #[error("the file ends in the middle of its JSON ({0}): it was cut short, perhaps while saving or copying")]
    CutShort(String),
    #[error("this file is not JSON ({0}); a HAR file is the JSON a browser's DevTools saves from its Network panel (Export HAR, or Save All As HAR)")]
    NotJson(String),
    #[error("this JSON is not a HAR file: it has no `log` object")]
    NoLog,
    #[error("the HAR file has no `log.entries` list")]
    NoEntries,
    #[error("the file is {mb} MB; connscope imports HAR files up to {max_mb} MB (save the recording without content, or of fewer requests)")]
    TooBig { mb: usize, max_mb: usize },
    #[error("none of the HAR's {total} entries could be read: {first_problem}")]
    NothingUsable { total: usize, first_problem: String },
}

/// The timing connscope's own export keeps of each entry (`_connscope.timing`).
#[derive(serde::Deserialize)]
struct OwnTiming {
    timing: Timing,
}

/// Both of what connscope's own export keeps of each entry, read in one pass; when that
/// fails (one of them is malformed), each is read on its own, so the other still counts.
#[derive(serde::Deserialize)]
struct OwnEntry<'a> {
    timing: Timing,
    #[serde(borrow)]
    kind: std::borrow::Cow<'a, str>,
}

/// The kind connscope's own export gives each entry (`_connscope.kind`).
#[derive(serde::Deserialize)]
struct OwnKind<'a> {
    #[serde(borrow)]
    kind: std::borrow::Cow<'a, str>,
}

/// What an import produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub page: String,
    pub requests: Vec<Request>,
    /// Entries skipped or partly read, what the recording cannot tell (warnings), and
    /// where its connections come from (information).
    pub notes: Vec<Message>,
    /// Epoch ms of the earliest entry: the imported timings count from it.
    pub time_origin_ms: f64,
    /// What the capture this HAR was exported from said besides its entries (connscope's
    /// own export of a capture), read back for the site report.
    pub capture: Option<crate::capture::CaptureInfo>,
}

/// The capture connscope's export keeps on its page (`_connscope.capture`).
#[derive(serde::Deserialize)]
struct OwnPage {
    capture: crate::capture::CaptureInfo,
}

fn num(v: &Value<'_>, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}

fn protocol_of(version: &str) -> String {
    let v = version.to_ascii_lowercase();
    if v == "h2" || v.starts_with("http/2") {
        "h2".into()
    } else if v == "h3" || v.starts_with("http/3") || v.starts_with("h3-") {
        "h3".into()
    } else if v.starts_with("http/1.0") {
        "http/1.0".into()
    } else if v.starts_with("http/1") {
        "http/1.1".into()
    } else {
        String::new()
    }
}

/// Reads one DevTools entry's timings back into a Resource Timing shape, so the same
/// analysis applies. `connect` -1 means the connection was already open.
fn timing_from_entry(entry: &Value, start: f64, url: &str, whole_ms: bool) -> Result<Timing, String> {
    let timings = entry.get("timings").ok_or("no `timings`")?;
    let get = |k: &str| num(timings, k).filter(|v| *v >= 0.0);
    let wait = get("wait").ok_or("no `timings.wait`")?;
    let receive = get("receive").ok_or("no `timings.receive`")?;
    let blocked = get("blocked").unwrap_or(0.0);
    let dns = get("dns");
    let connect = get("connect");
    let ssl = get("ssl").filter(|s| *s > 0.0);
    let send = get("send").unwrap_or(0.0);
    let mut t = Timing { name: url.to_string(), start_time: start, fetch_start: start, ..Timing::default() };
    // Firefox writes 0 (not -1) for a reused connection's connect, in whole milliseconds,
    // which a sub-millisecond new connection also gives.
    t.connect_unmeasured = connect == Some(0.0) && whole_ms;
    let mut cursor = start + blocked;
    match connect {
        Some(c) => {
            let (ds, de) = match dns {
                Some(d) => (cursor, cursor + d),
                None => (cursor, cursor),
            };
            t.domain_lookup_start = ds;
            t.domain_lookup_end = de;
            t.connect_start = de;
            t.connect_end = de + c;
            if let Some(s) = ssl {
                t.secure_connection_start = (t.connect_end - s).max(t.connect_start);
            }
            cursor = t.connect_end;
        }
        None => {
            // Already open: Resource Timing would clamp these to fetchStart.
            t.domain_lookup_start = start;
            t.domain_lookup_end = start;
            t.connect_start = start;
            t.connect_end = start;
        }
    }
    t.request_start = cursor;
    t.response_start = cursor + send + wait;
    t.response_end = t.response_start + receive;
    t.duration = t.response_end - start;
    let response = entry.get("response").unwrap_or(&NULL);
    t.next_hop_protocol = protocol_of(response.get("httpVersion").and_then(Value::as_str).unwrap_or(""));
    // Chrome: `_fromCache`; WebKit: `_fetchType` "Memory Cache" / "Disk Cache".
    let from_cache = entry.get("_fromCache").is_some_and(|c| !c.is_null())
        || entry.get("_fetchType").and_then(Value::as_str).is_some_and(|f| f.ends_with("Cache"));
    let body = response.get("content").and_then(|c| num(c, "size")).unwrap_or(0.0).max(0.0);
    t.decoded_body_size = body;
    t.encoded_body_size = num(response, "bodySize").filter(|b| *b >= 0.0).unwrap_or(body);
    t.transfer_size = if from_cache {
        0.0
    } else {
        num(response, "_transferSize")
            .filter(|v| *v >= 0.0)
            .unwrap_or_else(|| t.encoded_body_size + num(response, "headersSize").filter(|h| *h >= 0.0).unwrap_or(0.0))
    };
    t.response_status = num(response, "status").map(|s| s as u16);
    Ok(t)
}

/// The browser's own id for the connection that carried the request, where its DevTools
/// records one: Chrome's socket id, WebKit's connection identifier. Firefox writes only
/// the server's port, which names no connection.
fn recorded_connection(creator: &str, entry: &Value, url: &str) -> Option<String> {
    match creator {
        CHROME => chrome_socket_id(entry, url),
        // WebKit's HARBuilder: `connection` is `resource.connectionIdentifier`, and the
        // port has its own field (`_serverPort`).
        WEBKIT => entry.get("connection").and_then(as_id),
        _ => None,
    }
}

/// `log.creator.name` of Chrome DevTools and of WebKit's Web Inspector.
const CHROME: &str = "WebInspector";
const WEBKIT: &str = "WebKit Web Inspector";

/// An id as DevTools writes it, string or number; `0` and empty mean none.
fn as_id(v: &Value<'_>) -> Option<String> {
    match v {
        Value::Str(s) if !s.trim().is_empty() && s.trim() != "0" => Some(s.trim().to_string()),
        Value::Int(n) if *n > 0 => Some(n.to_string()),
        _ => None,
    }
}

/// The socket Chrome says carried the request: the browser's own word on which connection
/// it was. Chrome DevTools writes it as `_connectionId`; `connection` holds the server's port
/// (Chromium 156, checked on `tests/fixtures/chromium-devtools-*.har`). Older versions wrote
/// the socket id into `connection`, so that is taken only when it is not the URL's port.
fn chrome_socket_id(entry: &Value, url: &str) -> Option<String> {
    if let Some(id) = entry.get("_connectionId").and_then(as_id) {
        return Some(id);
    }
    let legacy = entry.get("connection").and_then(as_id)?;
    (Some(legacy.as_str()) != crate::url::port_of(url).as_deref()).then_some(legacy)
}

/// The response's `Server-Timing` headers, read as the browser would have exposed them:
/// where a server tells which connection carried each request (the testbed does), an
/// imported recording has its truth too.
fn server_timing_of(entry: &Value) -> Vec<ServerTimingEntry> {
    let headers = entry.get("response").and_then(|r| r.get("headers")).and_then(Value::as_array);
    headers
        .into_iter()
        .flatten()
        .filter(|h| h.get("name").and_then(Value::as_str).is_some_and(|n| n.eq_ignore_ascii_case("server-timing")))
        .filter_map(|h| h.get("value").and_then(Value::as_str))
        .flat_map(ServerTimingEntry::parse_header)
        .collect()
}

/// The largest file imported (bytes): a HAR of 20,000 requests without bodies is about
/// 60 MB. Bodies are skipped as they are read, but the browser hands the file over as text
/// (held twice on the way), so a larger file is refused before it is read.
pub const MAX_FILE_BYTES: usize = 256 * 1024 * 1024;
/// Per-entry warnings listed one by one; past this many they are counted in one line.
pub const MAX_ENTRY_NOTES: usize = 50;

/// Refuses a file of `bytes` bytes when it is larger than [`MAX_FILE_BYTES`]: the app asks
/// before reading a picked file, the import again on the text.
pub fn check_size(bytes: f64) -> Result<(), HarError> {
    if bytes > MAX_FILE_BYTES as f64 {
        return Err(HarError::TooBig {
            mb: (bytes / (1024.0 * 1024.0)) as usize,
            max_mb: MAX_FILE_BYTES / (1024 * 1024),
        });
    }
    Ok(())
}

pub fn import(text: &str) -> Result<Imported, HarError> {
    if text.trim().is_empty() {
        return Err(HarError::Empty);
    }
    check_size(text.len() as f64)?;
    let doc = super::lean::parse(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Eof => HarError::CutShort(e.to_string()),
        _ => HarError::NotJson(e.to_string()),
    })?;
    let log = doc.get("log").filter(|l| l.is_object()).ok_or(HarError::NoLog)?;
    let entries = log.get("entries").and_then(Value::as_array).ok_or(HarError::NoEntries)?;
    let creator = log.get("creator").and_then(|c| c.get("name")).and_then(Value::as_str).unwrap_or("").to_string();
    let capture = log
        .get("pages")
        .and_then(Value::as_array)
        .and_then(|p| p.first())
        .and_then(|p| p.get("_connscope"))
        .and_then(Value::raw)
        .and_then(|j| serde_json::from_str::<OwnPage>(j).ok())
        .map(|o| o.capture);
    let page = log
        .get("pages")
        .and_then(Value::as_array)
        .and_then(|p| p.first())
        .and_then(|p| p.get("title"))
        .and_then(Value::as_str)
        .unwrap_or("HAR import")
        .to_string();
    let mut notes = Vec::new();
    // What went wrong with single entries: listed up to MAX_ENTRY_NOTES, then counted.
    let mut entry_notes: Vec<String> = Vec::new();
    let mut parsed: Vec<(f64, &Value<'_>, &str)> = Vec::new();
    let mut first_problem = None;
    for (i, e) in entries.iter().enumerate() {
        let url = e.get("request").and_then(|r| r.get("url")).and_then(Value::as_str);
        let started = e
            .get("startedDateTime")
            .and_then(Value::as_str)
            .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
            .map(|t| (t.unix_timestamp_nanos() as f64) / 1e6);
        match (url, started) {
            (Some(u), Some(s)) => parsed.push((s, e, u)),
            (None, _) => {
                let p = format!("entry {} has no request.url: skipped", i + 1);
                first_problem.get_or_insert(p.clone());
                entry_notes.push(p);
            }
            (_, None) => {
                let p = format!("entry {} has no readable startedDateTime: skipped", i + 1);
                first_problem.get_or_insert(p.clone());
                entry_notes.push(p);
            }
        }
    }
    let base = parsed.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    // Whether the recorder rounds phases to whole milliseconds (Firefox DevTools does).
    let whole_ms = parsed.iter().all(|(_, e, _)| {
        e.get("timings")
            .and_then(Value::as_object)
            .is_some_and(|t| t.iter().filter_map(|(_, v)| v.as_f64()).all(|v| v.fract() == 0.0))
    });
    let mut requests = Vec::new();
    for (started, e, url) in &parsed {
        // connscope's own export carries the original entry: a lossless round trip.
        let own_json = e.get("_connscope").and_then(Value::raw);
        let own_entry = own_json.and_then(|j| serde_json::from_str::<OwnEntry<'_>>(j).ok());
        let (own, own_kind) = match own_entry {
            Some(o) => (Some(o.timing), Some(o.kind)),
            None => (
                own_json.and_then(|j| serde_json::from_str::<OwnTiming>(j).ok()).map(|o| o.timing),
                own_json.and_then(|j| serde_json::from_str::<OwnKind<'_>>(j).ok()).map(|k| k.kind),
            ),
        };
        let timing = match own {
            Some(t) => t,
            None => match timing_from_entry(e, started - base, url, whole_ms) {
                Ok(mut t) => {
                    t.server_timing = server_timing_of(e);
                    t
                }
                Err(why) => {
                    let p = format!("{url}: {why}; skipped");
                    first_problem.get_or_insert(p.clone());
                    entry_notes.push(p);
                    continue;
                }
            },
        };
        let mime = e
            .get("response")
            .and_then(|r| r.get("content"))
            .and_then(|c| c.get("mimeType"))
            .and_then(Value::as_str)
            .unwrap_or("");
        // connscope's own export says what it discovered; DevTools say what the page used.
        let named = |v: Option<&str>| v.and_then(Kind::from_name);
        let kind = named(own_kind.as_deref())
            .or_else(|| named(e.get("_resourceType").and_then(Value::as_str)))
            .unwrap_or_else(|| Kind::guess(mime, url));
        let recorded_connection = recorded_connection(&creator, e, url);
        let status = timing
            .response_status
            .or_else(|| e.get("response").and_then(|r| num(r, "status")).map(|s| s as u16))
            .unwrap_or(0);
        requests.push(Request {
            id: requests.len(),
            origin: crate::url::origin_of(url).unwrap_or_else(|| "(no origin)".into()),
            url: url.to_string(),
            kind,
            parent: None,
            depth: u32::from(kind != Kind::Document),
            outcome: if status == 0 {
                Outcome::Failed { message: "no response in the recording".into() }
            } else {
                Outcome::Done { status }
            },
            timing: Some(timing),
            recorded_connection,
        });
    }
    let more = entry_notes.len().saturating_sub(MAX_ENTRY_NOTES);
    notes.extend(entry_notes.into_iter().take(MAX_ENTRY_NOTES).map(|text| Message { level: Level::Warning, text }));
    if more > 0 {
        notes.push(Message {
            level: Level::Warning,
            text: format!(
                "…and {more} more {} skipped or partly read, for the same kinds of reasons.",
                if more == 1 { "entry" } else { "entries" }
            ),
        });
    }
    if requests.is_empty() {
        return Err(HarError::NothingUsable {
            total: entries.len(),
            first_problem: first_problem.unwrap_or_else(|| "the list is empty".into()),
        });
    }
    let server_says = requests.iter().filter(|r| r.timing.as_ref().and_then(Timing::server_truth).is_some()).count();
    if server_says > 0 {
        notes.push(Message {
            level: Level::Info,
            text: format!(
                "{server_says} of {} responses carry the server's Server-Timing record of their connection: for those, the connections shown are the server's, and the timing is checked against them.",
                requests.len()
            ),
        });
    } else if requests.iter().all(|r| r.recorded_connection.is_none()) && creator != "connscope" {
        notes.push(Message {
            level: Level::Warning,
            text: format!(
                "Recorded by {}: connection ids are not in this HAR, so connections are inferred from timing.",
                if creator.is_empty() { "an unnamed tool" } else { &creator }
            ),
        });
    }
    if requests.iter().any(|r| r.timing.as_ref().is_some_and(|t| t.connect_unmeasured)) {
        notes.push(Message {
            level: Level::Warning,
            text: "This recording rounds every phase to whole milliseconds and writes 0 ms for connecting whether a connection was new or reused: for those requests the timing alone cannot tell, and says unknown.".into(),
        });
    }
    if requests.iter().any(|r| r.timing.as_ref().is_some_and(|t| t.from_cache())) {
        notes.push(Message {
            level: Level::Info,
            text: "Some entries were served from the browser's cache: no connection was used for them.".into(),
        });
    }
    Ok(Imported { page, requests, notes, time_origin_ms: base, capture })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyse, Phase, Reuse};

    /// Two entries in the shape older Chrome DevTools saved (the socket id in `connection`):
    /// a new TLS connection, then one reused. Today's shape is pinned on real recordings
    /// in `core/tests/fixtures.rs`.
    const CHROME_SHAPE: &str = r#"{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},
      "pages":[{"startedDateTime":"2026-11-25T10:00:00.000Z","id":"page_1","title":"https://example.com/","pageTimings":{}}],
      "entries":[
        {"startedDateTime":"2026-11-25T10:00:00.000Z","time":60.5,"_resourceType":"document","connection":"1234",
         "request":{"method":"GET","url":"https://example.com/","httpVersion":"http/2.0"},
         "response":{"status":200,"httpVersion":"http/2.0","content":{"size":5000,"mimeType":"text/html"},"bodySize":1800,"headersSize":-1,"_transferSize":2100},
         "timings":{"blocked":1.5,"dns":10,"connect":30,"ssl":18,"send":0.5,"wait":15,"receive":3.5}},
        {"startedDateTime":"2026-11-25T10:00:00.080+00:00","time":20,"_resourceType":"stylesheet","connection":"1234",
         "request":{"method":"GET","url":"https://example.com/a.css","httpVersion":"http/2.0"},
         "response":{"status":200,"httpVersion":"http/2.0","content":{"size":900,"mimeType":"text/css"},"bodySize":400,"_transferSize":500},
         "timings":{"blocked":0.4,"dns":-1,"connect":-1,"ssl":-1,"send":0.1,"wait":17,"receive":2.5}}]}}"#;

    #[test]
    fn devtools_entries_become_timings_with_the_same_verdicts() {
        let imported = import(CHROME_SHAPE).unwrap();
        assert_eq!(imported.requests.len(), 2);
        let a = analyse(&imported.requests);
        assert_eq!(a.requests[0].verdict.inference.reuse, Reuse::New);
        assert_eq!(a.requests[1].verdict.inference.reuse, Reuse::Reused);
        let p = &a.requests[0].phases;
        assert_eq!(p.duration(Phase::Dns), Some(10.0));
        assert_eq!(p.duration(Phase::Tcp), Some(12.0));
        assert_eq!(p.duration(Phase::Tls), Some(18.0));
        assert_eq!(imported.requests[1].timing.as_ref().unwrap().start_time, 80.0);
        assert_eq!(imported.requests[0].timing.as_ref().unwrap().next_hop_protocol, "h2");
        // Chrome's socket id counts as the browser's own record of the connection.
        assert_eq!(a.truth_connections.len(), 1);
        assert_eq!(a.truth_connections[0].requests, vec![0, 1]);
    }

    #[test]
    fn chromes_socket_id_is_its_own_field_and_a_port_is_never_taken_for_one() {
        let modern =
            CHROME_SHAPE.replace("\"connection\":\"1234\"", "\"connection\":\"443\",\"_connectionId\":\"1500\"");
        let imported = import(&modern).unwrap();
        assert!(imported.requests.iter().all(|r| r.recorded_connection.as_deref() == Some("1500")));
        // Only the port, no `_connectionId`: nothing is claimed.
        let port_only = CHROME_SHAPE.replace("\"connection\":\"1234\"", "\"connection\":\"443\"");
        let imported = import(&port_only).unwrap();
        assert!(imported.requests.iter().all(|r| r.recorded_connection.is_none()));
        assert!(analyse(&imported.requests).truth_connections.is_empty());
        // `0` is Chrome's "no socket" (cache, service worker).
        let none = CHROME_SHAPE.replace("\"connection\":\"1234\"", "\"_connectionId\":\"0\"");
        assert!(import(&none).unwrap().requests.iter().all(|r| r.recorded_connection.is_none()));
    }

    #[test]
    fn server_timing_headers_in_a_recording_are_the_servers_truth() {
        let with_headers = CHROME_SHAPE.replace(
            "\"response\":{\"status\":200,",
            "\"response\":{\"headers\":[{\"name\":\"server-timing\",\"value\":\"conn;desc=\\\"7\\\", req;desc=\\\"1\\\"\"}],\"status\":200,",
        );
        let imported = import(&with_headers).unwrap();
        let a = analyse(&imported.requests);
        // Both responses say "connection 7, request 1": the second's timing says reused.
        assert_eq!(a.requests[0].verdict.agreement, crate::Agreement::Agrees);
        assert_eq!(a.requests[1].verdict.truth.as_ref().map(|t| t.connection.as_str()), Some("7"));
        assert_eq!(a.requests[1].verdict.reuse, Reuse::New);
        assert_eq!(a.requests[1].verdict.agreement, crate::Agreement::Preconnected);
        assert!(imported.notes.iter().any(|n| n.text.starts_with("2 of 2 responses carry the server's Server-Timing")));
    }

    #[test]
    fn firefox_offsets_parse_and_its_port_is_not_taken_for_a_connection() {
        let ff = CHROME_SHAPE
            .replace("WebInspector", "Firefox")
            .replace("\"connection\":\"1234\"", "\"connection\":\"443\"")
            .replace("2026-11-25T10:00:00.080+00:00", "2026-11-25T11:00:00.080+01:00");
        let imported = import(&ff).unwrap();
        assert_eq!(imported.requests[1].timing.as_ref().unwrap().start_time, 80.0);
        assert!(imported.requests.iter().all(|r| r.recorded_connection.is_none()));
        assert!(imported.notes.iter().any(|n| n.text.contains("inferred")));
    }

    #[test]
    fn malformed_files_say_what_is_wrong() {
        assert!(matches!(import("<html>"), Err(HarError::NotJson(_))));
        assert_eq!(import(" \n"), Err(HarError::Empty));
        let cut = &CHROME_SHAPE[..CHROME_SHAPE.len() / 2];
        assert!(matches!(import(cut), Err(HarError::CutShort(_))), "{:?}", import(cut));
        assert_eq!(import("{}"), Err(HarError::NoLog));
        assert_eq!(import(r#"{"log":{}}"#), Err(HarError::NoEntries));
        let none = import(r#"{"log":{"entries":[{"request":{}}]}}"#).unwrap_err();
        assert!(none.to_string().contains("no request.url"), "{none}");
        let no_timings = r#"{"log":{"entries":[{"startedDateTime":"2026-11-25T10:00:00Z","request":{"url":"https://x/"},"response":{"status":301}}]}}"#;
        assert!(import(no_timings).unwrap_err().to_string().contains("timings"));
    }

    #[test]
    fn a_million_empty_entries_make_one_message_not_a_million() {
        let entries = vec!["{}"; 1_000_000].join(",");
        let err = import(&format!(r#"{{"log":{{"entries":[{entries}]}}}}"#)).unwrap_err();
        assert!(matches!(err, HarError::NothingUsable { total: 1_000_000, .. }), "{err}");
        let good = CHROME_SHAPE.replacen(r#""entries":["#, r#""entries":[{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},"#, 1);
        let imported = import(&good).unwrap();
        let warnings = imported.notes.iter().filter(|n| n.level == Level::Warning).count();
        assert!(warnings <= MAX_ENTRY_NOTES + 2, "{warnings} warnings");
        assert!(
            imported.notes.iter().any(|n| n.text.starts_with("…and 9 more entries skipped")),
            "{:?}",
            imported.notes
        );
    }

    #[test]
    fn bodies_are_never_held_and_a_huge_file_is_refused_with_its_size() {
        let body = "b".repeat(50 * 1024 * 1024);
        let with_body = CHROME_SHAPE.replacen(
            r#""mimeType":"text/html"}"#,
            &format!(r#""mimeType":"text/html","text":"{body}"}}"#),
            1,
        );
        assert_eq!(import(&with_body).unwrap().requests.len(), 2, "a 50 MB body is skipped, the entries kept");
        // Exactly the recording that aborted the app: one 400 MB content.text.
        let huge = CHROME_SHAPE.replacen(
            r#""mimeType":"text/html"}"#,
            &format!(r#""mimeType":"text/html","text":"{}"}}"#, "b".repeat(400 * 1024 * 1024)),
            1,
        );
        let err = import(&huge).unwrap_err();
        assert!(err.to_string().starts_with("the file is 400 MB; connscope imports HAR files up to 256 MB"), "{err}");
    }

    #[test]
    fn a_partial_har_keeps_what_it_can() {
        let partial = CHROME_SHAPE
            .replace("\"startedDateTime\":\"2026-11-25T10:00:00.080+00:00\"", "\"startedDateTime\":\"yesterday\"");
        let imported = import(&partial).unwrap();
        assert_eq!(imported.requests.len(), 1);
        assert!(imported.notes.iter().any(|n| n.text.contains("entry 2")));
    }

    #[test]
    fn a_redirect_only_recording_imports() {
        let redirect = r#"{"log":{"creator":{"name":"WebInspector"},"entries":[{"startedDateTime":"2026-11-25T10:00:00Z","connection":"9",
          "request":{"url":"http://example.com/"},"response":{"status":301,"httpVersion":"HTTP/1.1","content":{"size":0}},
          "timings":{"blocked":1,"dns":2,"connect":3,"send":0,"wait":4,"receive":0}}]}}"#;
        let imported = import(redirect).unwrap();
        assert_eq!(imported.requests[0].outcome, Outcome::Done { status: 301 });
    }

    #[test]
    fn connscopes_own_entry_reads_in_one_pass_and_one_bad_part_keeps_the_other() {
        let mut requests = crate::synthetic::requests(3);
        // A kind nothing else in the entry would suggest, so only the export's own can give it.
        requests[2].kind = if requests[2].kind == Kind::Media { Kind::Font } else { Kind::Media };
        let har = crate::har::export("own", &requests, &analyse(&requests), 1.7e12);
        let text = serde_json::to_string(&har).unwrap();
        // Whole: the timing and the kind come back as exported.
        let whole = import(&text).unwrap();
        assert_eq!(whole.requests.len(), 3);
        for (back, sent) in whole.requests.iter().zip(&requests) {
            assert_eq!(back.timing, sent.timing, "{}", sent.url);
            assert_eq!(back.kind, sent.kind, "{}", sent.url);
        }
        // A kind that is not a string: the timing still comes from the export.
        let mut bad_kind = har.clone();
        bad_kind["log"]["entries"][1]["_connscope"]["kind"] = serde_json::json!(7);
        let imported = import(&serde_json::to_string(&bad_kind).unwrap()).unwrap();
        assert_eq!(imported.requests[1].timing, requests[1].timing);
        // A timing that is not one: the kind still comes from the export.
        let mut bad_timing = har;
        bad_timing["log"]["entries"][2]["_connscope"]["timing"] = serde_json::json!("soon");
        let imported = import(&serde_json::to_string(&bad_timing).unwrap()).unwrap();
        assert_eq!(imported.requests[2].kind, requests[2].kind);
        assert_ne!(imported.requests[2].timing, requests[2].timing, "read from the HAR's own fields instead");
    }
}
