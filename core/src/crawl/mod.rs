//! The crawl: how a run loads a page's resource graph, as a state machine that decides and
//! never does. It returns [`Effect`]s (fetch this, wait that long, look up that timing
//! entry, report this event); the shell (`src/browser/loader.rs`) carries them out and feeds
//! each outcome back. Everything a run decides lives here: what to follow and as what kind,
//! the per-run token, the limit and the depth, duplicates and `@import` cycles, the pause
//! and the concurrency cap, what a failure means for the run, and when the run is over.
//!
//! ```text
//! start ──► Fetch ──► fetched(outcome) ──► LookUpTiming ──► timed(entry) ──► Report(RequestFinished)
//!              ▲            │ follows references (discover)                    │
//!              └── Pause ◄──┴───────────────────── pump ◄─────────────────────┘
//! ```

pub mod css;
pub mod html;
pub mod srcset;

pub use crate::effect::{Body, Effect, Machine, Read, Resolve, Response};

use crate::config::RunConfig;
use crate::failure::FetchFailure;
use crate::request::Kind;
use crate::session::{Event, Level};
use crate::text::plural;
use crate::timing::Timing;
use crate::url::{is_http, run_token, strip_token, token_prefix, with_token};
use html::Viewport;
use std::collections::{HashMap, HashSet, VecDeque};

/// Pages and stylesheets are read for references up to this many bytes; the rest of a
/// longer one is not read for references (and the user is told).
pub const MAX_TEXT_BYTES: usize = 8 * 1024 * 1024;

/// How long the shell waits for the timing entry of a request that completed: browsers add
/// it once the body has been read and deliver it to observers a little later.
pub const TIMING_WAIT_MS: u32 = 2000;
/// The same for a request that failed: there may be no entry at all.
pub const FAILED_TIMING_WAIT_MS: u32 = 300;

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

/// A request the crawl decided to load.
#[derive(Debug, Clone)]
struct Job {
    id: usize,
    url: String,
    kind: Kind,
    depth: u32,
}

/// What became of a fetch whose timing entry is being looked up.
#[derive(Debug)]
enum Ended {
    Answered { status: u16, fails_run: Option<String> },
    Failed(FetchFailure),
}

/// One run's crawl. See the module documentation.
pub struct Crawl {
    limits: Limits,
    viewport: Viewport,
    run: String,
    jobs: Vec<Job>,
    seen: HashSet<String>,
    queue: VecDeque<usize>,
    skipped: usize,
    started: usize,
    in_flight: usize,
    awaiting_timing: HashMap<usize, Ended>,
    /// A Pause effect is out; no fetch starts until it is over.
    pausing: bool,
    /// The pause before the next fetch has been waited.
    paused_enough: bool,
    cancelled: bool,
    over: bool,
}

impl Crawl {
    /// Starts a run of `target` (an absolute http(s) URL). `run` is a token unique to this
    /// run, `time_origin_ms` the clock origin of the page the shell runs in (epoch ms).
    pub fn start(
        target: &str,
        run: &str,
        time_origin_ms: f64,
        limits: Limits,
        viewport: Viewport,
        urls: &dyn Resolve,
    ) -> (Crawl, Vec<Effect>) {
        let mut crawl = Crawl {
            limits,
            viewport,
            run: run.to_string(),
            jobs: Vec::new(),
            seen: HashSet::new(),
            queue: VecDeque::new(),
            skipped: 0,
            started: 0,
            in_flight: 0,
            awaiting_timing: HashMap::new(),
            pausing: false,
            paused_enough: false,
            cancelled: false,
            over: false,
        };
        let mut fx = vec![Effect::Report(Event::Started { target: target.to_string(), time_origin_ms })];
        let page = match urls.resolve(target.trim(), None) {
            Some(url) if is_http(&url) => url,
            Some(url) => {
                let scheme = url.split(':').next().unwrap_or("");
                return crawl.fail(fx, format!("connscope loads http: and https: pages, not {scheme}: ones."));
            }
            None => {
                return crawl.fail(
                    fx,
                    format!("{target:?} is not a full URL. Type an address such as https://example.com/page.html (with http:// or https://)."),
                );
            }
        };
        crawl.discover(page, Kind::Document, None, 0, &mut fx);
        crawl.pump(&mut fx);
        (crawl, fx)
    }

    fn fail(mut self, mut fx: Vec<Effect>, message: String) -> (Crawl, Vec<Effect>) {
        fx.push(Effect::Report(Event::Failed { message }));
        self.over = true;
        (self, fx)
    }

    /// The prefix every tokened URL of this run carries in its query, so the shell keeps
    /// only this run's timing entries.
    pub fn token_prefix(&self) -> String {
        token_prefix(&self.run)
    }

    /// Whether the run has ended: nothing more will be asked of the shell.
    pub fn is_over(&self) -> bool {
        self.over
    }

    /// A fetch came back, with a response or a failure.
    pub fn fetched(&mut self, id: usize, outcome: Result<Response, FetchFailure>, urls: &dyn Resolve) -> Vec<Effect> {
        let mut fx = Vec::new();
        let Some(job) = self.jobs.get(id).cloned() else { return fx };
        if self.over {
            return fx;
        }
        self.in_flight = self.in_flight.saturating_sub(1);
        let tokened = self.tokened(&job);
        match outcome {
            Err(failure) => {
                self.awaiting_timing.insert(id, Ended::Failed(failure));
                fx.push(Effect::LookUpTiming { id, url: tokened, wait_ms: FAILED_TIMING_WAIT_MS });
            }
            Ok(response) => {
                let fails_run = (response.status >= 400 && job.kind == Kind::Document).then(|| {
                    format!(
                        "{} answered HTTP {}. There is no page to analyse; the request itself is shown.",
                        job.url, response.status
                    )
                });
                let stop = fails_run.is_some();
                self.awaiting_timing.insert(id, Ended::Answered { status: response.status, fails_run });
                fx.push(Effect::LookUpTiming { id, url: tokened, wait_ms: TIMING_WAIT_MS });
                if response.redirected {
                    let to = strip_token(&response.final_url);
                    note(&mut fx, Level::Info, format!("{} was redirected to {to}.", job.url));
                }
                if stop {
                    // The run ends once the page's own timing is in: nothing more starts.
                    self.queue.clear();
                    return fx;
                }
                if let Some(bytes) = response.cut_at {
                    note(
                        &mut fx,
                        Level::Warning,
                        format!(
                            "{} is larger than {} MB: connscope looked for references in its first {} MB only.",
                            job.url,
                            bytes / (1024 * 1024),
                            bytes / (1024 * 1024)
                        ),
                    );
                }
                if response.status >= 400 {
                    note(&mut fx, Level::Warning, format!("{} answered HTTP {}.", job.url, response.status));
                } else {
                    let base =
                        if response.final_url.is_empty() { job.url.clone() } else { strip_token(&response.final_url) };
                    self.follow(&job, &base, &response, urls, &mut fx);
                }
            }
        }
        self.pump(&mut fx);
        self.end_if_done(&mut fx);
        fx
    }

    /// What a response references, discovered as the next level.
    fn follow(&mut self, job: &Job, base: &str, response: &Response, urls: &dyn Resolve, fx: &mut Vec<Effect>) {
        match (job.kind, &response.body) {
            (Kind::Document, _) if !response.content_type.to_ascii_lowercase().contains("html") => {
                let ct = if response.content_type.is_empty() { "none" } else { &response.content_type };
                note(
                    fx,
                    Level::Warning,
                    format!("{} is not an HTML page (Content-Type: {ct}), so it has no subresources to follow; only this request is shown.", job.url),
                );
            }
            (Kind::Document, Body::Html(doc)) => {
                let base = doc
                    .base_href
                    .as_deref()
                    .and_then(|b| urls.resolve(b, Some(base)))
                    .filter(|b| is_http(b))
                    .unwrap_or_else(|| base.to_string());
                let (refs, srcset_note) = html::references(doc, self.viewport);
                for (href, kind) in refs {
                    if let Some(url) = resolve_http(urls, &href, &base) {
                        self.discover(url, kind, Some(job.id), 1, fx);
                    }
                }
                if let Some(text) = srcset_note {
                    note(fx, Level::Info, text);
                }
            }
            (Kind::Stylesheet, Body::Text(css)) => {
                for r in css::css_references(css) {
                    if let Some(url) = resolve_http(urls, &r.url, base) {
                        self.discover(url, r.kind, Some(job.id), job.depth + 1, fx);
                    }
                }
            }
            _ => {}
        }
    }

    /// A request's timing entry was looked up (None: the browser gave none).
    pub fn timed(&mut self, id: usize, timing: Option<Timing>) -> Vec<Effect> {
        let mut fx = Vec::new();
        let (Some(ended), Some(job)) = (self.awaiting_timing.remove(&id), self.jobs.get(id).cloned()) else {
            return fx;
        };
        if self.over {
            return fx;
        }
        match ended {
            Ended::Answered { status, fails_run } => {
                if timing.is_none() {
                    note(
                        &mut fx,
                        Level::Warning,
                        format!(
                            "{}: the browser gave no Resource Timing entry, so its connection cannot be judged.",
                            job.url
                        ),
                    );
                }
                report(&mut fx, Event::RequestFinished { id, status, timing });
                if let Some(message) = fails_run {
                    report(&mut fx, Event::Failed { message });
                    self.over = true;
                    return fx;
                }
            }
            Ended::Failed(failure) => {
                let message = failure.message(&job.url, timing.as_ref());
                let fails_run = job.kind == Kind::Document && failure != FetchFailure::Cancelled;
                report(&mut fx, Event::RequestFailed { id, message: message.clone(), timing });
                if fails_run {
                    report(&mut fx, Event::Failed { message: format!("The page could not be loaded. {message}") });
                    self.over = true;
                    return fx;
                }
            }
        }
        self.end_if_done(&mut fx);
        fx
    }

    /// The pause asked for by [`Effect::Pause`] is over.
    pub fn paused(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        if !self.pausing || self.over {
            return fx;
        }
        self.pausing = false;
        self.paused_enough = true;
        self.pump(&mut fx);
        self.end_if_done(&mut fx);
        fx
    }

    /// The user cancelled: nothing more starts (the shell aborts what is in flight, and
    /// feeds those fetches back as cancelled); the run ends once they are all back.
    pub fn cancel(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.cancelled = true;
        self.pausing = false;
        self.end_if_done(&mut fx);
        fx
    }

    fn tokened(&self, job: &Job) -> String {
        with_token(&job.url, &run_token(&self.run, job.id))
    }

    /// Decides whether a URL found on the page is loaded: each URL once (which also ends
    /// `@import` cycles), within the limit and the depth.
    fn discover(&mut self, url: String, kind: Kind, parent: Option<usize>, depth: u32, fx: &mut Vec<Effect>) {
        if !self.seen.insert(url.clone()) {
            return;
        }
        if self.jobs.len() >= self.limits.limit.max(1) || depth > self.limits.max_depth {
            self.skipped += 1;
            return;
        }
        let id = self.jobs.len();
        report(fx, Event::Discovered { url: url.clone(), kind, parent, depth });
        self.jobs.push(Job { id, url, kind, depth });
        self.queue.push_back(id);
    }

    /// Starts what may start: up to the concurrency cap, each after the pause.
    fn pump(&mut self, fx: &mut Vec<Effect>) {
        let cap = self.limits.concurrency.unwrap_or(usize::MAX).max(1);
        while !self.cancelled && !self.over && !self.pausing && self.in_flight < cap {
            let Some(&id) = self.queue.front() else { break };
            if self.started > 0 && self.limits.pause_ms > 0 && !self.paused_enough {
                self.pausing = true;
                fx.push(Effect::Pause { ms: self.limits.pause_ms });
                break;
            }
            self.queue.pop_front();
            self.paused_enough = false;
            self.started += 1;
            self.in_flight += 1;
            let job = &self.jobs[id];
            let read = match job.kind {
                Kind::Document => Read::Html,
                Kind::Stylesheet => Read::Text,
                _ => Read::Discard,
            };
            report(fx, Event::RequestStarted { id });
            fx.push(Effect::Fetch { id, url: self.tokened(job), read, timeout_ms: self.limits.timeout_ms });
        }
    }

    fn end_if_done(&mut self, fx: &mut Vec<Effect>) {
        let idle = self.in_flight == 0 && self.awaiting_timing.is_empty() && !self.pausing;
        if self.over || !idle || (!self.queue.is_empty() && !self.cancelled) {
            return;
        }
        if self.skipped > 0 {
            let (limit, depth) = (self.limits.limit, self.limits.max_depth);
            let verb = if self.skipped == 1 { "was" } else { "were" };
            note(
                fx,
                Level::Warning,
                format!(
                    "{} {verb} not loaded: the limit is {} and {} deep (raise them in the options).",
                    plural(self.skipped, "more resource"),
                    plural(limit, "resource"),
                    plural(depth as usize, "level")
                ),
            );
        }
        report(fx, if self.cancelled { Event::Cancelled } else { Event::Finished });
        self.over = true;
    }
}

/// `href` resolved against `base`, when it is an http(s) URL worth fetching (`data:`,
/// `javascript:`, `blob:` and the like are not requests on a connection).
fn resolve_http(urls: &dyn Resolve, href: &str, base: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    urls.resolve(href, Some(base)).filter(|u| is_http(u))
}

fn report(fx: &mut Vec<Effect>, event: Event) {
    fx.push(Effect::Report(event));
}

fn note(fx: &mut Vec<Effect>, level: Level, text: String) {
    report(fx, Event::Note { level, text });
}

impl Machine for Crawl {
    fn fetched(&mut self, id: usize, outcome: Result<Response, FetchFailure>, urls: &dyn Resolve) -> Vec<Effect> {
        Crawl::fetched(self, id, outcome, urls)
    }
    fn timed(&mut self, id: usize, timing: Option<Timing>) -> Vec<Effect> {
        Crawl::timed(self, id, timing)
    }
    fn paused(&mut self) -> Vec<Effect> {
        Crawl::paused(self)
    }
    fn cancel(&mut self) -> Vec<Effect> {
        Crawl::cancel(self)
    }
    fn is_over(&self) -> bool {
        Crawl::is_over(self)
    }
    fn token_prefix(&self) -> String {
        Crawl::token_prefix(self)
    }
}
