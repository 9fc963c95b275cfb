//! The probe: a server's keep-alive policy, measured from the browser with timing alone.
//! Like the crawl it is a state machine that returns [`Effect`]s; it sends one request at a
//! time to one URL (made unique per request) and reads each response's verdict — new
//! connection or reused — from its Resource Timing entry:
//!
//! 1. **keeps connections?** two requests back to back: is the second reused?
//! 2. **requests per connection:** requests until one opens a new connection; counted from
//!    a connection whose first request was seen, up to a cap (then "at least the cap"); a
//!    connection the browser already held when the probe began counts towards the cap
//!    from the requests seen on it (it carried at least those), never towards an exact
//!    figure;
//! 3. **idle timeout:** from a connection just used, a pause, then a request: reused means
//!    the server kept it that long. Pauses grow (×2) until one is too long, then the gap is
//!    bisected to within 10 % or 250 ms. Gaps are measured on the page's clock, from one
//!    response's last byte to the next request's start, not taken from the timer asked for.
//!
//! It stops, and says why, where timing cannot tell (no Timing-Allow-Origin), where the
//! server fails, or where it redirects to another origin.

use crate::crawl::TIMING_WAIT_MS;
use crate::effect::{Effect, Machine, Read, Resolve, Response};
use crate::failure::FetchFailure;
use crate::request::Kind;
use crate::reuse::{infer, Reuse};
use crate::session::Event;
use crate::timing::Timing;
use crate::url::{is_http, origin_of, run_token, strip_token, token_prefix, with_token};
use serde::{Deserialize, Serialize};

mod status;

pub use status::{Browser, Count, Idle, ProbeStatus, Stage};

/// Requests per connection are counted up to this by default.
pub const DEFAULT_MAX_REQUESTS: u32 = 200;
/// The longest pause tried by default (ms).
pub const DEFAULT_MAX_IDLE_MS: u32 = 120_000;
/// The first pause tried (ms); each next is twice as long.
pub const FIRST_PAUSE_MS: u32 = 250;
/// The idle timeout is known to within this (ms), or 10 % of it, whichever is larger.
pub const RESOLUTION_MS: f64 = 250.0;
/// Each probe request is aborted after this long.
pub const PROBE_TIMEOUT_MS: u32 = 10_000;
/// The most pauses the idle search tries; a page whose delay between requests varies a lot
/// may keep it from narrowing, and it then reports the range it has.
pub const MAX_IDLE_STEPS: u32 = 24;

/// What a probe is asked to find out, and how far it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeLimits {
    /// Count requests per connection up to this many.
    pub max_requests: u32,
    /// Try pauses up to this long (ms).
    pub max_idle_ms: u32,
}

impl Default for ProbeLimits {
    fn default() -> Self {
        ProbeLimits { max_requests: DEFAULT_MAX_REQUESTS, max_idle_ms: DEFAULT_MAX_IDLE_MS }
    }
}

/// What the probe asked the last request to tell.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Asked {
    /// Part of counting (or the first two requests).
    Count,
    /// Opens a fresh connection after the cap, so the next pause starts from one just used.
    Prime,
    /// The request after a pause of about this many ms.
    AfterPause(u32),
}

/// One probe. See the module documentation.
pub struct Probe {
    url: String,
    origin: String,
    run: String,
    limits: ProbeLimits,
    status: ProbeStatus,
    next_id: usize,
    /// The request in flight, and what it is to tell.
    asked: Asked,
    /// Requests seen on the current connection: at least what it carried, exactly that
    /// where its first request was seen (`saw_first`; not so for a connection the browser
    /// already held when the probe began). 0 where no connection is known to be open.
    seen_on_connection: u32,
    saw_first: bool,
    /// The status of the response whose timing is being looked up.
    pending_status: u16,
    /// The last response's end on the page's clock, to measure the next gap.
    last_end: Option<f64>,
    /// The longest gap survived and the shortest not survived (ms).
    survived: f64,
    not_survived: Option<f64>,
    /// The next pause in the growing phase.
    growing: u32,
    /// How much longer the last gap was than the pause asked for (ms): the time the page
    /// took from one response's last byte to starting the next request. Pauses are aimed
    /// at the gap wanted less this, so the bisection closes in on what the server sees.
    overhead: f64,
    /// Pauses tried while timing idleness; the search gives its best range after
    /// [`MAX_IDLE_STEPS`].
    idle_steps: u32,
    over: bool,
}

impl Probe {
    /// Probes the origin of `url` (an absolute http(s) URL); `run` is a token unique to
    /// this probe.
    pub fn start(
        url: &str,
        run: &str,
        time_origin_ms: f64,
        limits: ProbeLimits,
        urls: &dyn Resolve,
    ) -> (Probe, Vec<Effect>) {
        let resolved = urls.resolve(url.trim(), None).filter(|u| is_http(u));
        let origin = resolved.as_deref().and_then(origin_of).unwrap_or_default();
        let mut probe = Probe {
            url: resolved.clone().unwrap_or_default(),
            origin: origin.clone(),
            run: run.to_string(),
            limits: ProbeLimits {
                max_requests: limits.max_requests.max(2),
                max_idle_ms: limits.max_idle_ms.max(FIRST_PAUSE_MS),
            },
            status: ProbeStatus {
                origin,
                stage: Stage::KeepsConnections,
                requests_sent: 0,
                eta_ms: None,
                protocol: None,
                keep_alive: None,
                max_requests: None,
                idle: None,
                problem: None,
            },
            next_id: 0,
            asked: Asked::Count,
            seen_on_connection: 0,
            saw_first: false,
            pending_status: 0,
            last_end: None,
            survived: 0.0,
            not_survived: None,
            growing: FIRST_PAUSE_MS,
            overhead: 0.0,
            idle_steps: 0,
            over: false,
        };
        let mut fx = vec![Effect::Report(Event::Started { target: format!("probe of {url}"), time_origin_ms })];
        if resolved.is_none() {
            probe.fail(&mut fx, format!("{url:?} is not a full http: or https: URL. Type an address such as https://example.com/ to probe its server."));
            return (probe, fx);
        }
        probe.report(&mut fx);
        probe.send(Asked::Count, &mut fx);
        (probe, fx)
    }

    /// Where the probe stands.
    pub fn status(&self) -> &ProbeStatus {
        &self.status
    }

    /// The prefix of this probe's tokened URLs, for the shell's timing collector.
    pub fn token_prefix(&self) -> String {
        token_prefix(&self.run)
    }

    fn send(&mut self, asked: Asked, fx: &mut Vec<Effect>) {
        let id = self.next_id;
        self.next_id += 1;
        self.asked = asked;
        self.status.requests_sent += 1;
        // Each request's URL is unique, so no cache answers and each has its own entry.
        let url = with_token(&self.url, &run_token(&self.run, id));
        let shown = strip_token(&url);
        fx.push(Effect::Report(Event::Discovered {
            url: shown.clone(),
            kind: Kind::guess("", &shown),
            parent: None,
            depth: 0,
        }));
        fx.push(Effect::Report(Event::RequestStarted { id }));
        fx.push(Effect::Fetch { id, url, read: Read::Discard, timeout_ms: PROBE_TIMEOUT_MS });
    }

    fn report(&mut self, fx: &mut Vec<Effect>) {
        self.status.eta_ms = self.eta();
        fx.push(Effect::Report(Event::Probe(self.status.clone())));
    }

    fn fail(&mut self, fx: &mut Vec<Effect>, message: String) {
        self.status.stage = Stage::Failed;
        self.status.problem = Some(message.clone());
        self.status.eta_ms = None;
        self.over = true;
        fx.push(Effect::Report(Event::Probe(self.status.clone())));
        fx.push(Effect::Report(Event::Failed { message }));
    }

    fn finish(&mut self, fx: &mut Vec<Effect>) {
        self.status.stage = Stage::Done;
        self.status.eta_ms = None;
        self.over = true;
        fx.push(Effect::Report(Event::Probe(self.status.clone())));
        fx.push(Effect::Report(Event::Finished));
    }

    /// A rough estimate of what is left to wait (ms).
    fn eta(&self) -> Option<f64> {
        match self.status.stage {
            Stage::KeepsConnections | Stage::RequestsPerConnection => None,
            Stage::IdleTimeout => {
                let (lo, hi) = match self.not_survived {
                    Some(hi) => (self.survived, hi),
                    None => (f64::from(self.growing) / 2.0, f64::from(self.growing)),
                };
                let steps = ((hi - lo) / RESOLUTION_MS.max(lo * 0.1)).max(1.0).log2().ceil().max(0.0);
                let pending = if self.not_survived.is_none() { f64::from(self.growing) } else { 0.0 };
                Some(pending + steps * (lo + hi) / 2.0)
            }
            _ => None,
        }
    }

    /// Whether the gap between what is known is narrow enough.
    fn narrow(&self) -> bool {
        self.not_survived.is_some_and(|hi| hi - self.survived <= RESOLUTION_MS.max(self.survived * 0.1))
    }

    /// Requests on the current connection, where its first was seen: an exact count.
    fn on_connection(&self) -> Option<u32> {
        self.saw_first.then_some(self.seen_on_connection)
    }

    /// Chooses what the next request asks, once the last one's verdict is in.
    fn next(&mut self, fx: &mut Vec<Effect>) {
        if self.status.stage == Stage::IdleTimeout {
            if self.narrow() || (self.not_survived.is_some() && self.idle_steps >= MAX_IDLE_STEPS) {
                if !self.narrow() {
                    self.status.problem = Some(format!(
                        "The idle timeout could not be narrowed further in {MAX_IDLE_STEPS} pauses: the page's delay between requests varied by more than the range."
                    ));
                }
                self.status.idle = self.not_survived.map(|high| Idle::Between { low: self.survived, high });
                return self.finish(fx);
            }
            if self.not_survived.is_none() && self.growing > self.limits.max_idle_ms {
                self.status.idle = Some(Idle::LongerThan(self.survived));
                return self.finish(fx);
            }
            // Start from a connection just used, with room for one more request on it.
            // Where a cap is known, only a connection counted from its first request is
            // known to have room; without one, any connection just used will do.
            let full = match (self.status.max_requests, self.on_connection()) {
                (Some(Count::Exactly(max)), Some(n)) => n >= max,
                (Some(Count::Exactly(_)), None) => true,
                _ => false,
            };
            if full || self.seen_on_connection == 0 {
                self.report(fx);
                return self.send(Asked::Prime, fx);
            }
            let pause = match self.not_survived {
                None => self.growing,
                // Aim the gap the server sees at the middle of what is not known yet.
                Some(hi) => ((self.survived + hi) / 2.0 - self.overhead).max(0.0).round() as u32,
            };
            self.idle_steps += 1;
            self.report(fx);
            self.asked = Asked::AfterPause(pause);
            fx.push(Effect::Pause { ms: pause });
            return;
        }
        self.report(fx);
        self.send(Asked::Count, fx);
    }

    /// A request after a pause of about `gap` ms failed as it went out (see `fetched`): the
    /// connection it was sent on did not survive the gap, and none is open now.
    fn lost_after_pause(&mut self, gap: f64, fx: &mut Vec<Effect>) {
        self.not_survived = Some(self.not_survived.map_or(gap, |hi| hi.min(gap)));
        if self.not_survived.is_some_and(|hi| hi <= self.survived) {
            self.not_survived = Some(self.survived + RESOLUTION_MS.max(self.survived * 0.1));
        }
        self.seen_on_connection = 0;
        self.saw_first = false;
        self.last_end = None;
        if self.status.problem.is_none() {
            self.status.problem = Some(format!(
                "A request sent after a pause of about {} failed as it went out: the server closed the connection just as the browser reused it (WebKit reports that as a failure where other browsers retry). It counts as a pause the connection did not survive.",
                crate::text::format_seconds(gap)
            ));
        }
        self.next(fx);
    }

    /// Takes the verdict of the request just answered.
    fn judge(&mut self, t: &Timing, reuse: Reuse, fx: &mut Vec<Effect>) {
        let gap = self.last_end.map(|end| t.fetch_start - end);
        self.last_end = Some(t.response_end);
        if let Some(p) = t.protocol() {
            self.status.protocol = Some(p.to_string());
        }
        let reused = reuse == Reuse::Reused;
        let previous = self.on_connection();
        self.seen_on_connection = if reused { self.seen_on_connection + 1 } else { 1 };
        self.saw_first = self.saw_first || !reused;
        match self.status.stage {
            Stage::KeepsConnections => {
                if self.status.requests_sent < 2 {
                    return self.next(fx);
                }
                // A first request that read reused went on a connection the browser already
                // held: the server keeps connections, whatever the second one found (that
                // connection may have run out; counting starts on the one after it).
                let warm = previous.is_none();
                self.status.keep_alive = Some(reused || warm);
                if !reused && !warm {
                    // Two requests, two connections: nothing stays open to count or time.
                    self.status.max_requests = Some(Count::Exactly(1));
                    return self.finish(fx);
                }
                self.status.stage = Stage::RequestsPerConnection;
                self.next(fx);
            }
            Stage::RequestsPerConnection => {
                if !reused {
                    if let Some(n) = previous {
                        self.status.max_requests = Some(Count::Exactly(n));
                        self.status.stage = Stage::IdleTimeout;
                        return self.next(fx);
                    }
                }
                // Counted from what is seen: a connection already open when the probe began
                // (its first request not seen) carried at least as many, so the cap holds
                // for it as "at least" too, and the count ends.
                if self.seen_on_connection >= self.limits.max_requests {
                    self.status.max_requests = Some(Count::AtLeast(self.limits.max_requests));
                    self.status.stage = Stage::IdleTimeout;
                }
                self.next(fx);
            }
            Stage::IdleTimeout => {
                if let (Asked::AfterPause(asked), Some(gap)) = (self.asked, gap) {
                    self.overhead = (gap - f64::from(asked)).max(0.0);
                    // A request over the cap would open a new connection whatever the pause:
                    // `next` primed a fresh connection before pausing, so this one counts.
                    if reused {
                        self.survived = self.survived.max(gap);
                        if self.not_survived.is_none() {
                            self.growing = asked.saturating_mul(2);
                        }
                    } else {
                        self.not_survived = Some(self.not_survived.map_or(gap, |hi| hi.min(gap)));
                    }
                    if self.not_survived.is_some_and(|hi| hi <= self.survived) {
                        // The server closed sooner once than it kept a connection another time
                        // (a timer that is not exact, or a browser that closed it first).
                        self.not_survived = Some(self.survived + RESOLUTION_MS.max(self.survived * 0.1));
                    }
                }
                self.next(fx);
            }
            _ => {}
        }
    }
}

impl Machine for Probe {
    fn fetched(&mut self, id: usize, outcome: Result<Response, FetchFailure>, _urls: &dyn Resolve) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.over {
            return fx;
        }
        let tokened = with_token(&self.url, &run_token(&self.run, id));
        match outcome {
            Err(FetchFailure::Cancelled) => {
                fx.push(Effect::Report(Event::RequestFailed { id, message: "cancelled".into(), timing: None }));
            }
            Err(failure) => {
                let message = failure.message(&self.url, None);
                fx.push(Effect::Report(Event::RequestFailed { id, message: message.clone(), timing: None }));
                if let (Asked::AfterPause(asked), FetchFailure::Rejected { .. }) = (self.asked, &failure) {
                    // Sent on a connection kept through a pause just as the server's idle timer
                    // closed it: Chromium and Firefox send such a request again on a new
                    // connection, WebKit reports it failed ("Load failed"). Either way the
                    // connection did not outlive the pause: counted so. The next request opens
                    // a fresh connection, and where that fails too the network is at fault:
                    // it stops the probe below.
                    self.lost_after_pause(f64::from(asked) + self.overhead, &mut fx);
                    return fx;
                }
                self.fail(
                    &mut fx,
                    format!(
                        "The probe stopped after {}: {message}",
                        crate::text::plural(self.status.requests_sent, "request")
                    ),
                );
            }
            Ok(r) if origin_of(&strip_token(&r.final_url)).is_some_and(|o| o != self.origin) => {
                let to = strip_token(&r.final_url);
                fx.push(Effect::Report(Event::RequestFinished { id, status: r.status, timing: None }));
                self.fail(
                    &mut fx,
                    format!("{} redirects to another origin ({to}): the probe measures one server's connections, so probe {to} itself.", self.url),
                );
            }
            Ok(r) if r.status >= 400 => {
                fx.push(Effect::Report(Event::RequestFinished { id, status: r.status, timing: None }));
                self.fail(
                    &mut fx,
                    format!(
                        "{} answered HTTP {} on request {}: probe a URL the server answers with success.",
                        self.url, r.status, self.status.requests_sent
                    ),
                );
            }
            Ok(r) => {
                self.pending_status = r.status;
                fx.push(Effect::LookUpTiming { id, url: tokened, wait_ms: TIMING_WAIT_MS });
            }
        }
        fx
    }

    fn timed(&mut self, id: usize, timing: Option<Timing>) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.over {
            return fx;
        }
        fx.push(Effect::Report(Event::RequestFinished { id, status: self.pending_status, timing: timing.clone() }));
        let Some(t) = timing else {
            self.fail(
                &mut fx,
                "The browser gave no Resource Timing entry for a probe request, so its connection cannot be told."
                    .into(),
            );
            return fx;
        };
        let inference = infer(Some(&t));
        if inference.reuse == Reuse::Unknown {
            let why = inference.reason.map_or("", |r| r.explanation());
            self.fail(&mut fx, format!("Timing cannot tell whether this server's connections are reused, so the probe stopped. {why} The server must send Timing-Allow-Origin (for example `Timing-Allow-Origin: *`) for a probe from another origin."));
            return fx;
        }
        self.judge(&t, inference.reuse, &mut fx);
        fx
    }

    fn paused(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.over {
            return fx;
        }
        if let Asked::AfterPause(_) = self.asked {
            let asked = self.asked;
            self.send(asked, &mut fx);
        }
        fx
    }

    fn cancel(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.over {
            return fx;
        }
        self.over = true;
        self.status.stage = Stage::Cancelled;
        self.status.eta_ms = None;
        fx.push(Effect::Report(Event::Probe(self.status.clone())));
        fx.push(Effect::Report(Event::Cancelled));
        fx
    }

    fn is_over(&self) -> bool {
        self.over
    }

    fn token_prefix(&self) -> String {
        Probe::token_prefix(self)
    }
}
