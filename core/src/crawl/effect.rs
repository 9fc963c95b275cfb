//! What the crawl and its shell say to each other: the effects it asks for, the outcomes
//! fed back, and the limits a run is given.

use super::html::HtmlDocument;
use crate::config::RunConfig;
use crate::session::Event;

/// How long the shell waits for the timing entry of a request that completed: browsers add
/// it once the body has been read and deliver it to observers a little later.
pub const TIMING_WAIT_MS: u32 = 2000;
/// The same for a request that failed: there may be no entry at all.
pub const FAILED_TIMING_WAIT_MS: u32 = 300;

/// URL resolution, the browser's job: the shell resolves with the platform's URL parser.
pub trait Resolve {
    /// `href` resolved against `base` (or, without one, `href` as an absolute URL), in the
    /// browser's normal form and without its fragment; None when it is not a valid URL.
    fn resolve(&self, href: &str, base: Option<&str>) -> Option<String>;
}

/// How a run loads its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// At most this many requests at once; None lets the browser schedule them all.
    pub concurrency: Option<usize>,
    /// Pause before each request after the first, so idle timeouts can close connections.
    pub pause_ms: u32,
    /// At most this many resources (the page included).
    pub limit: usize,
    /// How deep references are followed (page = 0, its stylesheets = 1, their imports = 2…).
    pub max_depth: u32,
    /// Each request is aborted after this long.
    pub timeout_ms: u32,
}

impl From<&RunConfig> for Limits {
    fn from(c: &RunConfig) -> Limits {
        Limits {
            concurrency: c.concurrency,
            pause_ms: c.pause_ms,
            limit: c.limit,
            max_depth: c.depth,
            timeout_ms: crate::config::REQUEST_TIMEOUT_MS,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::from(&RunConfig::default())
    }
}

/// What the shell reads of a response's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// Read it to the end (so the timing entry is complete) and drop it.
    Discard,
    /// Its text (stylesheets).
    Text,
    /// Its text, parsed by the browser's DOMParser into an [`HtmlDocument`] (pages).
    Html,
}

/// Something the shell must do for the crawl. (Effects live for a moment, in order, so
/// the size of the events they carry matters less than reading them as plain data.)
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Effect {
    /// Fetch `url` (CORS, no cache, no credentials, following redirects), abort it after
    /// `timeout_ms`, and call [`Crawl::fetched`] with what came back.
    Fetch { id: usize, url: String, read: Read, timeout_ms: u32 },
    /// Wait `ms`, then call [`Crawl::paused`].
    Pause { ms: u32 },
    /// Find the Resource Timing entry named `url`, waiting up to `wait_ms` for it, then call
    /// [`Crawl::timed`] with it (or with None).
    LookUpTiming { id: usize, url: String, wait_ms: u32 },
    /// Tell the session (and so the user).
    Report(Event),
}

/// What a fetch gave back.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    /// The URL after redirects, as the browser reports it (with the run token).
    pub final_url: String,
    pub redirected: bool,
    pub content_type: String,
    pub body: Body,
}

/// A body as the effect asked it to be read.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Discarded,
    Text(String),
    Html(HtmlDocument),
}
