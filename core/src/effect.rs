//! What a core state machine (the crawl, the probe) and the browser shell say to each
//! other: the effects it asks for and the outcomes fed back. The shell
//! (`src/browser/loader.rs`) runs any [`Machine`] the same way.

use crate::crawl::html::HtmlDocument;
use crate::failure::FetchFailure;
use crate::session::Event;
use crate::timing::Timing;

/// URL resolution, the browser's job: the shell resolves with the platform's URL parser.
pub trait Resolve {
    /// `href` resolved against `base` (or, without one, `href` as an absolute URL), in the
    /// browser's normal form and without its fragment; None when it is not a valid URL.
    fn resolve(&self, href: &str, base: Option<&str>) -> Option<String>;
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
    /// The body was longer than this many bytes and only they were read (pages and
    /// stylesheets are read up to [`crate::crawl::MAX_TEXT_BYTES`]).
    pub cut_at: Option<usize>,
}

/// A body as the effect asked it to be read.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Discarded,
    Text(String),
    Html(HtmlDocument),
}

/// A state machine the shell runs: it carries out each effect and feeds every outcome back
/// through these, until [`Machine::is_over`].
pub trait Machine {
    /// A fetch came back, with a response or a failure.
    fn fetched(&mut self, id: usize, outcome: Result<Response, FetchFailure>, urls: &dyn Resolve) -> Vec<Effect>;
    /// A request's timing entry was looked up (None: the browser gave none).
    fn timed(&mut self, id: usize, timing: Option<Timing>) -> Vec<Effect>;
    /// The pause asked for by [`Effect::Pause`] is over.
    fn paused(&mut self) -> Vec<Effect>;
    /// The user cancelled; the shell aborts what is in flight and feeds it back.
    fn cancel(&mut self) -> Vec<Effect>;
    /// Nothing more will be asked of the shell.
    fn is_over(&self) -> bool;
    /// The prefix every tokened URL of this machine carries, so the shell keeps only its
    /// timing entries.
    fn token_prefix(&self) -> String;
}
