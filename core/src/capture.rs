//! Captures: what a page's own browser measured of its load, read on that page by the
//! capture script (`static/capture.js`, run as a bookmarklet or pasted into the console) and
//! handed to connscope. Here: the bookmarklet and snippet built from that script, and the
//! capture read as untrusted input into the requests of a run.

use crate::request::{Kind, Request};
use crate::session::{Level, Message};
use crate::timing::Timing;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The capture script, as written (readable; the bookmarklet is built from it).
pub const SCRIPT: &str = include_str!("../../static/capture.js");
/// The `format` member every capture starts with.
pub const FORMAT: &str = "connscope-capture";
/// The largest capture read (bytes of JSON). A page's 250 entries take about 250 KB; a page
/// that raised its buffer to 20,000 about 20 MB.
pub const MAX_BYTES: usize = 32 * 1024 * 1024;
/// The most resource entries read from one capture.
pub const MAX_ENTRIES: usize = 20_000;
/// The resource timing buffer browsers keep unless the page raises it.
pub const DEFAULT_BUFFER: usize = 250;
/// A clock this coarse (ms) or coarser cannot show a connection set up on the same machine
/// (a loopback TCP connect takes some tens of µs): cross-origin isolated pages step in 5 µs
/// (Chromium) or 20 µs (Firefox), others in 100 µs or 1 ms.
pub const COARSE_CLOCK_MS: f64 = 0.05;
/// Per-entry problems listed one by one; past this many they are counted.
const MAX_ENTRY_NOTES: usize = 20;

/// The placeholder of the app's URL in [`SCRIPT`].
const APP_PLACEHOLDER: &str = "CONNSCOPE_APP";

/// The script with connscope's URL built in and its comment lines dropped: what the
/// console snippet shows.
pub fn snippet(app_url: &str) -> String {
    let app = serde_json::to_string(app_url).unwrap_or_else(|_| "\"\"".into());
    SCRIPT
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace(APP_PLACEHOLDER, &app)
}

/// The `javascript:` link of the bookmarklet: the snippet, percent-encoded where a URL
/// would read it otherwise (`%`, `#`, line breaks, which a URL parser drops, and anything
/// not ASCII); the browser decodes it once before running it.
pub fn bookmarklet(app_url: &str) -> String {
    let mut out = String::from("javascript:");
    for b in snippet(app_url).bytes() {
        if (b.is_ascii_graphic() || b == b' ') && b != b'%' && b != b'#' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The code of a `javascript:` link, percent-decoded as a browser decodes it before running
/// it (the inverse of [`bookmarklet`]); None when it is no such link or escapes badly.
pub fn decode_bookmarklet(href: &str) -> Option<String> {
    let bytes = href.strip_prefix("javascript:")?.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Whether a text is a capture rather than a HAR: captures begin with their `format`.
pub fn is_capture(text: &str) -> bool {
    let head = text.trim_start();
    let head = head.get(..head.len().min(200)).unwrap_or(head);
    head.starts_with('{') && head.contains("\"format\"") && head.contains("\"connscope-capture\"")
}

/// A hint of the page (`<link rel=preconnect|dns-prefetch|preload|modulepreload>`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Hint {
    /// The link's relations among those four, space-separated.
    pub rel: String,
    /// The URL, resolved by the page.
    pub href: String,
    /// `as` (for preload).
    #[serde(rename = "as")]
    pub as_: String,
    /// The `crossorigin` attribute: None when absent ("" means anonymous).
    pub crossorigin: Option<String>,
}

impl Hint {
    pub fn is(&self, rel: &str) -> bool {
        self.rel.split_ascii_whitespace().any(|r| r == rel)
    }
}

/// Whether the page's resource timing buffer overflowed before the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum Buffer {
    /// Room was left (or the browser said none was dropped).
    #[default]
    Room,
    /// The browser said this many entries were dropped (Chromium's droppedEntriesCount).
    Full { dropped: u64 },
    /// The browser does not say; the page holds `entries`, at least the default size.
    MaybeFull { entries: usize },
}

/// What a capture says besides its entries, kept with the run for the site report (and in
/// its HAR export, as `log.pages[0]._connscopeCapture`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CaptureInfo {
    pub page_url: String,
    pub title: String,
    pub user_agent: String,
    /// Whether the page was cross-origin isolated (a finer clock); None when not said.
    pub cross_origin_isolated: Option<bool>,
    /// The smallest step the page's clock took (ms), as the capture measured it.
    pub clock_resolution_ms: Option<f64>,
    pub hints: Vec<Hint>,
    pub buffer: Buffer,
    /// Resource entries the page held.
    pub entries: usize,
}

impl CaptureInfo {
    /// The page's origin.
    pub fn page_origin(&self) -> Option<String> {
        crate::url::origin_of(&self.page_url)
    }
}

/// A capture read into a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Captured {
    pub info: CaptureInfo,
    /// The document first (from the navigation entry), then every resource by start.
    pub requests: Vec<Request>,
    pub notes: Vec<Message>,
    /// The page's `performance.timeOrigin` (epoch ms).
    pub time_origin_ms: f64,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CaptureError {
    #[error("the capture is empty")]
    Empty,
    #[error("the capture is {mb} MB; connscope reads captures up to {max_mb} MB")]
    TooBig { mb: usize, max_mb: usize },
    #[error("this is not a capture's JSON ({0}); copy the whole text the capture shows, from its first `{{` to its last `}}`")]
    NotJson(String),
    #[error("this JSON is not a connscope capture (its `format` is not \"connscope-capture\")")]
    NotCapture,
    #[error(
        "this capture is of version {0}; this connscope reads version 1 (use the bookmarklet this connscope offers)"
    )]
    Version(u64),
    #[error("the capture's `{field}` is {problem}")]
    Field { field: &'static str, problem: String },
    #[error("the capture holds no timing entry connscope can read{0}")]
    NothingUsable(String),
}

fn field<'a>(v: &'a Value, name: &'static str) -> Option<&'a Value> {
    v.get(name).filter(|x| !x.is_null())
}

fn text(v: &Value, name: &'static str) -> Result<String, CaptureError> {
    match field(v, name) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.chars().take(4096).collect()),
        Some(_) => Err(CaptureError::Field { field: name, problem: "not text".into() }),
    }
}

/// A number that is a size (or an epoch time): finite and not negative.
fn sane(n: f64) -> bool {
    n.is_finite() && (0.0..1e13).contains(&n)
}

/// A time relative to the page's time origin: finite, and not far before it. Firefox writes
/// a navigation's fetchStart as -1 where its coarse clock rounds it below the origin.
fn sane_time(n: f64) -> bool {
    n.is_finite() && (-60_000.0..1e13).contains(&n)
}

/// Every time and size of an entry sane, or the first that is not.
fn check_timing(t: &Timing) -> Result<(), String> {
    let times = t.times();
    let sizes = [
        ("transferSize", t.transfer_size),
        ("encodedBodySize", t.encoded_body_size),
        ("decodedBodySize", t.decoded_body_size),
    ];
    if let Some((name, v)) = times.iter().find(|(_, v)| !sane_time(*v)) {
        return Err(format!("its {name} is {v}, not a time"));
    }
    match sizes.iter().find(|(_, v)| !sane(*v)) {
        Some((name, v)) => Err(format!("its {name} is {v}, not a size")),
        None => Ok(()),
    }
}

/// The kind of a captured request: from its content type where the browser gives one, else
/// what started it (`initiatorType`), else its URL.
fn kind_of(entry: &Value, url: &str) -> Kind {
    let content_type = entry.get("contentType").and_then(Value::as_str).unwrap_or("");
    let by_type = Kind::guess(content_type, "");
    if !content_type.is_empty() && by_type != Kind::Other {
        return by_type;
    }
    let by_url = Kind::guess("", url);
    if by_url != Kind::Other {
        return by_url;
    }
    match entry.get("initiatorType").and_then(Value::as_str).unwrap_or("") {
        "script" => Kind::Script,
        "img" | "image" | "input" => Kind::Image,
        "video" | "audio" | "track" => Kind::Media,
        "iframe" | "frame" | "navigation" => Kind::Document,
        _ => Kind::Other,
    }
}

/// Reads a capture: a bad field of one entry skips that entry with a note; what makes the
/// whole capture unreadable is an error that says what to do.
pub fn import(input: &str) -> Result<Captured, CaptureError> {
    if input.trim().is_empty() {
        return Err(CaptureError::Empty);
    }
    if input.len() > MAX_BYTES {
        return Err(CaptureError::TooBig { mb: input.len() / (1024 * 1024), max_mb: MAX_BYTES / (1024 * 1024) });
    }
    let doc: Value = serde_json::from_str(input).map_err(|e| CaptureError::NotJson(e.to_string()))?;
    if doc.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(CaptureError::NotCapture);
    }
    match doc.get("version").and_then(Value::as_u64) {
        Some(1) => {}
        Some(v) => return Err(CaptureError::Version(v)),
        None => return Err(CaptureError::Field { field: "version", problem: "missing or not a number".into() }),
    }
    let page = field(&doc, "page").cloned().unwrap_or(Value::Null);
    let page_url = text(&page, "url")?;
    if !crate::url::is_http(&page_url) {
        return Err(CaptureError::Field {
            field: "page.url",
            problem: format!("{page_url:?}, not an http(s) address"),
        });
    }
    let time_origin = match field(&doc, "timeOrigin").and_then(Value::as_f64) {
        Some(t) if sane(t) => t,
        _ => return Err(CaptureError::Field { field: "timeOrigin", problem: "missing or not a time".into() }),
    };
    let resources = match field(&doc, "resources") {
        None => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => return Err(CaptureError::Field { field: "resources", problem: "not a list".into() }),
    };
    let mut notes = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let mut requests = Vec::new();

    // The document, from the navigation entry.
    match field(&doc, "navigation") {
        Some(nav) => match Timing::deserialize(nav).map_err(|e| e.to_string()).and_then(|t| check_timing(&t).map(|_| t)) {
            Ok(mut t) => {
                if t.name.is_empty() {
                    t.name = page_url.clone();
                }
                if let Some(mut r) = Request::from_entry(0, t) {
                    r.kind = Kind::Document;
                    requests.push(r);
                }
            }
            Err(e) => problems.push(format!("The navigation entry was not read: {e}.")),
        },
        None => problems.push(
            "The capture has no navigation entry (this browser keeps none, or the page is not a document): the page's own request is not shown.".into(),
        ),
    }

    let mut resource_requests = Vec::new();
    let taken = resources.len().min(MAX_ENTRIES);
    for (i, entry) in resources.iter().take(taken).enumerate() {
        let read = Timing::deserialize(entry).map_err(|e| e.to_string()).and_then(|t| check_timing(&t).map(|_| t));
        match read {
            Ok(t) if crate::url::is_http(&t.name) => {
                let kind = kind_of(entry, &t.name);
                if let Some(mut r) = Request::from_entry(0, t) {
                    r.kind = kind;
                    resource_requests.push(r);
                } else {
                    problems.push(format!("Resource entry {} was skipped: its name is not a URL.", i + 1));
                }
            }
            Ok(t) => {
                // data:, blob: and the like never touch a connection.
                let scheme = t.name.split(':').next().unwrap_or("").chars().take(16).collect::<String>();
                problems.push(format!("Resource entry {} was skipped: a {scheme}: URL uses no connection.", i + 1));
            }
            Err(e) => {
                problems.push(format!("Resource entry {} was skipped: {e}.", i + 1));
            }
        }
    }
    if resources.len() > taken {
        notes.push(Message {
            level: Level::Warning,
            text: format!(
                "The capture holds {} resource entries; connscope read the first {MAX_ENTRIES}.",
                resources.len()
            ),
        });
    }
    resource_requests.sort_by(|a, b| {
        let start = |r: &Request| r.timing.as_ref().map_or(0.0, |t| t.start_time);
        start(a).total_cmp(&start(b))
    });
    requests.extend(resource_requests);
    for (id, r) in requests.iter_mut().enumerate() {
        r.id = id;
    }
    if requests.is_empty() {
        let first = problems.first().map(|p| format!(": {p}")).unwrap_or_default();
        return Err(CaptureError::NothingUsable(first));
    }
    for p in problems.iter().take(MAX_ENTRY_NOTES) {
        notes.push(Message { level: Level::Warning, text: p.clone() });
    }
    if problems.len() > MAX_ENTRY_NOTES {
        notes.push(Message {
            level: Level::Warning,
            text: format!("…and {} more entries were skipped or partly read.", problems.len() - MAX_ENTRY_NOTES),
        });
    }

    let hints = match field(&doc, "hints") {
        Some(Value::Array(a)) => a
            .iter()
            .take(500)
            .filter_map(|h| Hint::deserialize(h).ok())
            .filter(|h| crate::url::is_http(&h.href))
            .collect(),
        _ => Vec::new(),
    };
    let buffer_doc = field(&doc, "buffer").cloned().unwrap_or(Value::Null);
    let held = buffer_doc.get("entries").and_then(Value::as_u64).map_or(resources.len(), |n| n as usize);
    let buffer = match buffer_doc.get("dropped").and_then(Value::as_u64) {
        Some(0) => Buffer::Room,
        Some(dropped) => Buffer::Full { dropped },
        None if held >= DEFAULT_BUFFER => Buffer::MaybeFull { entries: held },
        None => Buffer::Room,
    };
    let info = CaptureInfo {
        page_url,
        title: text(&page, "title")?,
        user_agent: text(&doc, "userAgent")?,
        cross_origin_isolated: field(&doc, "crossOriginIsolated").and_then(Value::as_bool),
        clock_resolution_ms: field(&doc, "clockResolution").and_then(Value::as_f64).filter(|r| sane(*r) && *r > 0.0),
        hints,
        buffer,
        entries: held,
    };
    mark_unreliable_readings(&info, &mut requests, &mut notes);
    notes.extend(describe(&info));
    let truth = requests.iter().filter(|r| r.timing.as_ref().and_then(Timing::server_truth).is_some()).count();
    if truth > 0 {
        notes.push(Message {
            level: Level::Info,
            text: format!(
                "{truth} of {} responses carry the server's Server-Timing record of their connection: for those, the connections shown are the server's.",
                requests.len()
            ),
        });
    }
    Ok(Captured { info, requests, notes, time_origin_ms: time_origin })
}

/// Whether a URL's host is this machine (127.0.0.0/8, `localhost` and its subdomains, `[::1]`).
fn is_loopback(origin: &str) -> bool {
    let Some(host) = crate::url::host_of(origin) else { return false };
    let labels: Vec<&str> = host.split('.').collect();
    let v4 = labels.len() == 4 && labels[0] == "127" && labels.iter().all(|l| l.parse::<u8>().is_ok());
    v4 || host == "localhost" || host.ends_with(".localhost") || host == "[::1]"
}

/// Where a reading of "already open" is no evidence of reuse in this capture, marks it so
/// (the verdict is then unknown, with why) and says so once.
fn mark_unreliable_readings(info: &CaptureInfo, requests: &mut [Request], notes: &mut Vec<Message>) {
    use crate::reuse::UnknownReason;
    let coarse = match info.clock_resolution_ms {
        Some(r) => r >= COARSE_CLOCK_MS,
        None => info.cross_origin_isolated != Some(true),
    };
    let browser = crate::probe::Browser::from_user_agent(&info.user_agent);
    let webkit = browser == crate::probe::Browser::Safari;
    let mut loopback = 0;
    for r in requests.iter_mut() {
        let Some(t) = r.timing.as_mut() else { continue };
        if webkit && r.kind == Kind::Document && r.id == 0 {
            t.open_reading_unreliable = Some(UnknownReason::NavigationConnectUnrecorded);
        } else if coarse && is_loopback(&r.origin) {
            t.open_reading_unreliable = Some(UnknownReason::LoopbackUnderCoarseClock);
            loopback += 1;
        }
    }
    if browser == crate::probe::Browser::Firefox {
        // Without a measured resolution: Firefox's 1 ms clock, or its 20 µs one when the
        // page is cross-origin isolated.
        let fallback = if coarse { 1.0 } else { 0.02 };
        let tick = info.clock_resolution_ms.unwrap_or(fallback).max(crate::phases::EPSILON_MS);
        let mut stamps = 0;
        for t in requests.iter_mut().filter_map(|r| r.timing.as_mut()) {
            crate::reuse::mark_hand_over_stamp(t, browser, tick);
            stamps += usize::from(
                t.hand_over_stamp_tick_ms.is_some()
                    && crate::reuse::connect_reads_zero(t)
                    && t.connect_start > t.fetch_start + crate::phases::EPSILON_MS,
            );
        }
        if stamps > 0 {
            let text = if coarse {
                "Firefox records a 0 ms connect both on a request it gives a new connection and on one it hands a connection that has just fallen free, and under this page's coarse clock the two read the same: where another request to the same origin finished around such a connect, timing alone says unknown (the site report counts these under a clock too coarse to tell)."
            } else {
                "Firefox records a 0 ms connect on a request it hands a connection that has just fallen free (a reused connection): where another request to the same origin finished just before such a connect, timing alone says unknown rather than new."
            };
            notes.push(Message { level: Level::Info, text: text.into() });
        }
    }
    if loopback > 0 {
        notes.push(Message {
            level: Level::Info,
            text: format!(
                "{loopback} {} went to a server on this machine, whose connections are set up faster than the page's clock shows: for those, a connection that reads as already open may be new, so timing alone says unknown (a connect that shows still says new). Where the server sends Server-Timing, its word is shown.",
                if loopback == 1 { "request" } else { "requests" }
            ),
        });
    }
}

/// What a capture's circumstances mean for reading it: the buffer, the clock, the browser.
pub fn describe(info: &CaptureInfo) -> Vec<Message> {
    let mut notes = Vec::new();
    notes.push(Message {
        level: Level::Info,
        text: format!(
            "Captured from {} ({} resource entries){}.",
            info.page_url,
            info.entries,
            if info.user_agent.is_empty() { String::new() } else { format!(" in {}", info.user_agent) }
        ),
    });
    let buffer = match info.buffer {
        Buffer::Room => None,
        Buffer::Full { dropped } => Some(buffer_text(info.entries, Some(dropped))),
        Buffer::MaybeFull { entries } => Some(buffer_text(entries, None)),
    };
    notes.extend(buffer.map(|text| Message { level: Level::Warning, text }));
    if info.cross_origin_isolated == Some(false) {
        let step = info.clock_resolution_ms.map_or_else(
            || "coarse (0.1 ms in Chromium, 1 ms in Firefox and Safari)".to_string(),
            |r| format!("coarse: it stepped in {}", crate::text::format_ms(r)),
        );
        notes.push(Message {
            level: Level::Info,
            text: format!("The page was not cross-origin isolated, so its clock is {step}: a connection set up faster than that reads as 0 ms."),
        });
    }
    notes
}

/// The sentence on a full (or possibly full) timing buffer, with what to do.
pub fn buffer_text(entries: usize, dropped: Option<u64>) -> String {
    let what = match dropped {
        Some(d) => format!(
            "The page's Resource Timing buffer was full: the browser dropped {d} {} after the first {entries}, so they are missing here.",
            if d == 1 { "entry" } else { "entries" }
        ),
        None => format!(
            "The page holds {entries} resource entries, as many as a browser keeps unless the page asks for more ({DEFAULT_BUFFER}): later requests may be missing, and this browser does not say."
        ),
    };
    format!("{what} To see them all, raise the buffer early in the page (performance.setResourceTimingBufferSize(1000) in the first script of <head>), or record the load with DevTools (Save all as HAR), which has no such limit.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Outcome;

    #[test]
    fn the_bookmarklet_is_the_script_with_the_apps_url_in_it() {
        let s = snippet("http://127.0.0.1:8080/");
        assert!(s.contains(r#"var APP = "http://127.0.0.1:8080/";"#), "{s}");
        assert!(!s.contains(APP_PLACEHOLDER));
        assert!(!s.lines().any(|l| l.starts_with("//")));
        let b = bookmarklet("http://127.0.0.1:8080/");
        assert!(b.starts_with("javascript:(function"), "{}", &b[..40]);
        assert!(!b.contains(['#', '\n', '\t']), "fragments and breaks are encoded");
        // Decoding gives the snippet back.
        assert_eq!(decode_bookmarklet(&b).as_deref(), Some(s.as_str()));
        assert_eq!(decode_bookmarklet("javascript:%2"), None);
        assert_eq!(decode_bookmarklet("https://x/"), None);
        // A URL with a quote cannot break out of its string.
        assert!(snippet("http://h/\"+alert(1)+\"").contains(r#""http://h/\"+alert(1)+\"""#));
        assert!(b.len() < 8000, "bookmarklets stay small: {}", b.len());
    }

    fn capture(resources: &str, extra: &str) -> String {
        format!(
            r#"{{"format":"connscope-capture","version":1,"page":{{"url":"https://example.com/","title":"Example"}},
            "userAgent":"UA","timeOrigin":1764320000000.5,"crossOriginIsolated":false,
            "navigation":{{"name":"https://example.com/","entryType":"navigation","startTime":0,"fetchStart":1,"domainLookupStart":1,"domainLookupEnd":1,"connectStart":2,"connectEnd":30,"secureConnectionStart":10,"requestStart":31,"responseStart":60,"responseEnd":70,"nextHopProtocol":"h2","serverTiming":[]}},
            "resources":[{resources}]{extra}}}"#
        )
    }

    #[test]
    fn a_capture_reads_as_the_document_then_its_resources_by_start() {
        let c = import(&capture(
            r#"{"name":"https://cdn.example.net/b.png","initiatorType":"img","startTime":90,"fetchStart":90,"responseEnd":95},
               {"name":"https://example.com/a.css","initiatorType":"link","contentType":"text/css","startTime":75,"fetchStart":75,"domainLookupStart":75,"domainLookupEnd":75,"connectStart":75,"connectEnd":75,"requestStart":76,"responseStart":80,"responseEnd":81,"nextHopProtocol":"h2","responseStatus":404}"#,
            r#","hints":[{"rel":"preconnect","href":"https://fonts.example.org/","as":"","crossorigin":null},{"rel":"preconnect","href":"javascript:alert(1)"}],"buffer":{"entries":2,"dropped":null}"#,
        ))
        .unwrap();
        let urls: Vec<&str> = c.requests.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(urls, ["https://example.com/", "https://example.com/a.css", "https://cdn.example.net/b.png"]);
        assert_eq!(c.requests[0].kind, Kind::Document);
        assert_eq!(c.requests[1].kind, Kind::Stylesheet);
        assert_eq!(c.requests[2].kind, Kind::Image);
        assert_eq!(c.requests[1].outcome, Outcome::Done { status: 404 });
        assert_eq!(c.time_origin_ms, 1764320000000.5);
        assert_eq!(c.info.hints.len(), 1, "a hint that is not http(s) is dropped");
        assert_eq!(c.info.buffer, Buffer::Room);
        let a = crate::analyse(&c.requests);
        assert_eq!(a.requests[0].verdict.reuse, crate::Reuse::New);
        assert_eq!(a.requests[1].verdict.reuse, crate::Reuse::Reused);
        assert_eq!(a.requests[2].verdict.reuse, crate::Reuse::Unknown, "cross-origin without Timing-Allow-Origin");
    }

    #[test]
    fn a_capture_goes_to_har_and_back_with_its_hints_and_buffer() {
        let c = import(&capture(
            r#"{"name":"https://example.com/a.css","startTime":75,"fetchStart":75,"domainLookupStart":75,"domainLookupEnd":75,"connectStart":75,"connectEnd":75,"requestStart":76,"responseStart":80,"responseEnd":81,"nextHopProtocol":"h2"}"#,
            r#","hints":[{"rel":"preconnect","href":"https://fonts.example.org/","crossorigin":""}],"buffer":{"entries":300,"dropped":null}"#,
        ))
        .unwrap();
        let a = crate::analyse(&c.requests);
        let har =
            crate::export::Format::Har.write("Example", &c.requests, &a, c.time_origin_ms, Some(&c.info)).unwrap();
        let back = crate::har::import(&har).unwrap();
        assert_eq!(back.capture.as_ref(), Some(&c.info));
        assert_eq!(back.requests.len(), 2);
        assert_eq!(crate::analyse(&back.requests).requests[1].verdict.reuse, crate::Reuse::Reused);
        // A HAR of a live run carries none.
        let plain = crate::export::Format::Har.write("x", &c.requests, &a, 0.0, None).unwrap();
        assert_eq!(crate::har::import(&plain).unwrap().capture, None);
    }

    #[test]
    fn bad_captures_say_what_is_wrong_and_bad_entries_are_skipped_with_a_note() {
        assert_eq!(import("  "), Err(CaptureError::Empty));
        assert!(matches!(import("{\"format\":\"connscope-capture\""), Err(CaptureError::NotJson(_))));
        assert_eq!(import(r#"{"log":{}}"#), Err(CaptureError::NotCapture));
        assert_eq!(import(r#"{"format":"connscope-capture","version":7}"#), Err(CaptureError::Version(7)));
        let no_url = r#"{"format":"connscope-capture","version":1,"page":{"url":"file:///x"},"timeOrigin":1}"#;
        assert!(matches!(import(no_url), Err(CaptureError::Field { field: "page.url", .. })));
        let bad_list = capture("", "").replace(r#""resources":[]"#, r#""resources":{"a":1}"#);
        assert!(matches!(import(&bad_list), Err(CaptureError::Field { field: "resources", .. })));
        let huge = format!("{{\"format\":\"connscope-capture\",\"pad\":\"{}\"}}", "x".repeat(MAX_BYTES));
        assert!(matches!(import(&huge), Err(CaptureError::TooBig { .. })));

        let c = import(&capture(
            r#"{"name":"https://example.com/x","startTime":"soon"},
               {"name":"https://example.com/y","startTime":-90000,"fetchStart":1},
               {"name":"data:image/png;base64,AAAA","startTime":3},
               {"name":"https://example.com/ok.js","startTime":3,"fetchStart":3,"responseEnd":9}"#,
            "",
        ))
        .unwrap();
        assert_eq!(c.requests.len(), 2, "the document and ok.js");
        let notes: Vec<&str> = c.notes.iter().map(|n| n.text.as_str()).collect();
        assert!(notes.iter().any(|n| n.starts_with("Resource entry 1 was skipped: invalid type")), "{notes:?}");
        assert!(
            notes.iter().any(|n| n.contains("entry 2 was skipped: its startTime is -90000, not a time")),
            "{notes:?}"
        );
        assert!(notes.iter().any(|n| n.contains("entry 3 was skipped: a data: URL")), "{notes:?}");
        assert!(notes.iter().any(|n| n.contains("clock is coarse")), "{notes:?}");
    }

    #[test]
    fn firefoxs_navigation_a_millisecond_before_its_origin_is_read() {
        // Firefox 153 on a Connection: close page: fetchStart -1, its coarse clock rounding below 0.
        let c = import(&capture("", "").replace(r#""fetchStart":1,"#, r#""fetchStart":-1,"#)).unwrap();
        assert_eq!(c.requests[0].kind, Kind::Document);
        assert_eq!(c.requests[0].timing.as_ref().map(|t| t.fetch_start), Some(-1.0));
    }

    #[test]
    fn already_open_readings_are_no_evidence_on_loopback_under_a_coarse_clock_or_in_webkits_navigation() {
        let open = r#""startTime":5,"fetchStart":5,"domainLookupStart":5,"domainLookupEnd":5,"connectStart":5,"connectEnd":5,"requestStart":6,"responseStart":7,"responseEnd":8,"nextHopProtocol":"http/1.1""#;
        let page = |ua: &str, resolution: &str, host: &str| {
            format!(
                r#"{{"format":"connscope-capture","version":1,"page":{{"url":"http://{host}/"}},"userAgent":"{ua}","timeOrigin":1,
                "crossOriginIsolated":false,"clockResolution":{resolution},
                "navigation":{{"name":"http://{host}/",{}}},
                "resources":[{{"name":"http://{host}/a.css",{open}}},{{"name":"http://{host}/b.js","startTime":5,"fetchStart":5,"connectStart":5.2,"connectEnd":5.9,"requestStart":6,"responseEnd":8,"nextHopProtocol":"http/1.1"}}]}}"#,
                open.replace(r#""startTime":5"#, r#""startTime":0"#)
            )
        };
        let chromium =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
        let webkit =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15";
        let reuse = |text: &str| -> Vec<(crate::Reuse, Option<crate::UnknownReason>)> {
            let c = import(text).unwrap();
            crate::analyse(&c.requests).requests.iter().map(|a| (a.verdict.reuse, a.verdict.inference.reason)).collect()
        };
        use crate::{Reuse::*, UnknownReason::*};
        // Loopback, a 0.1 ms clock: "already open" says nothing; a connect that shows is new.
        assert_eq!(
            reuse(&page(chromium, "0.1", "127.0.0.1:8080")),
            [(Unknown, Some(LoopbackUnderCoarseClock)), (Unknown, Some(LoopbackUnderCoarseClock)), (New, None)]
        );
        // A real server, or an isolated 5 µs clock: the reading stands.
        assert_eq!(reuse(&page(chromium, "0.1", "example.com"))[1], (Reused, None));
        assert_eq!(reuse(&page(chromium, "0.005", "localhost:8080"))[1], (Reused, None));
        // WebKit's navigation entry, wherever the server is.
        assert_eq!(reuse(&page(webkit, "1", "example.com"))[0], (Unknown, Some(NavigationConnectUnrecorded)));
        assert_eq!(reuse(&page(webkit, "1", "example.com"))[1], (Reused, None));
        assert!(
            is_loopback("http://[::1]:80")
                && is_loopback("http://app.localhost:3000")
                && !is_loopback("http://127.evil.example")
        );
    }

    #[test]
    fn a_full_buffer_is_said_with_what_to_do() {
        let entries: Vec<String> = (0..DEFAULT_BUFFER)
            .map(|i| {
                format!(
                    r#"{{"name":"https://example.com/{i}.png","startTime":{i},"fetchStart":{i},"responseEnd":{}}}"#,
                    i + 1
                )
            })
            .collect();
        let full = import(&capture(&entries.join(","), r#","buffer":{"entries":250,"dropped":48}"#)).unwrap();
        assert_eq!(full.info.buffer, Buffer::Full { dropped: 48 });
        assert!(full
            .notes
            .iter()
            .any(|n| n.text.contains("dropped 48 entries") && n.text.contains("setResourceTimingBufferSize")));
        let maybe = import(&capture(&entries.join(","), r#","buffer":{"entries":250,"dropped":null}"#)).unwrap();
        assert_eq!(maybe.info.buffer, Buffer::MaybeFull { entries: 250 });
        let room = import(&capture(&entries[..10].join(","), r#","buffer":{"entries":10,"dropped":null}"#)).unwrap();
        assert_eq!(room.info.buffer, Buffer::Room);
        assert!(is_capture(&capture("", "")));
        assert!(!is_capture(r#"{"log":{"version":"1.2","creator":{"name":"connscope"}}}"#));
        assert!(!is_capture("[\"connscope-capture\"]"));
    }
}
