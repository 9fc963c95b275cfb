//! The probe's search on simulated servers: a browser with one connection to a server whose
//! policy is known (keep-alive or not, a cap on requests per connection, an idle timeout),
//! on a simulated clock. Each effect the probe asks for is carried out against that model
//! and every figure the probe reports is checked against the policy it was given.

#![cfg(not(target_arch = "wasm32"))]

use connscope_core::effect::{Body, Effect, Machine, Resolve, Response};
use connscope_core::failure::FetchFailure;
use connscope_core::probe::{Count, Idle, Probe, ProbeLimits, ProbeStatus, Stage, RESOLUTION_MS};
use connscope_core::{Event, RunState, Session, Timing};

struct AsIs;
impl Resolve for AsIs {
    fn resolve(&self, href: &str, _base: Option<&str>) -> Option<String> {
        (href.starts_with("http://") || href.starts_with("https://")).then(|| href.to_string())
    }
}

/// A server's connection policy.
#[derive(Clone, Copy)]
struct Server {
    keep_alive: bool,
    max_requests: Option<u32>,
    idle_ms: Option<f64>,
    protocol: &'static str,
    timing_allow_origin: bool,
    /// The n-th request (1-based) answers 500.
    fails_at: Option<usize>,
    /// Every response is a redirect to another origin.
    redirects_away: bool,
}

const KEEPALIVE: Server = Server {
    keep_alive: true,
    max_requests: None,
    idle_ms: Some(5000.0),
    protocol: "http/1.1",
    timing_allow_origin: true,
    fails_at: None,
    redirects_away: false,
};

/// The browser's side: one connection at most (the probe sends one request at a time).
struct World {
    server: Server,
    /// The browser's own idle limit (ms).
    browser_idle_ms: f64,
    /// From a response's last byte until the page has its timing entry (ms).
    delivery_ms: f64,
    clock: f64,
    /// (requests carried, last byte) of the open connection.
    open: Option<(u32, f64)>,
    sent: usize,
    connections: usize,
    timings: Vec<Option<Timing>>,
    /// A request sent on a connection idle for less than the server's timeout by no more
    /// than this (ms) meets the server closing it, and the browser reports it failed, as
    /// WebKit does ("Load failed"), instead of sending it again on a new connection.
    race_ms: f64,
    /// From this request on (1-based), every fetch fails: the network is gone.
    down_from: Option<usize>,
}

impl World {
    fn new(server: Server) -> World {
        World {
            server,
            browser_idle_ms: 300_000.0,
            delivery_ms: 4.0,
            clock: 100.0,
            open: None,
            sent: 0,
            connections: 0,
            timings: vec![],
            race_ms: 0.0,
            down_from: None,
        }
    }

    fn request(&mut self, url: &str) -> Result<Response, FetchFailure> {
        self.sent += 1;
        let start = self.clock;
        let failed = |world: &mut World| {
            world.open = None;
            world.clock += 0.5;
            world.timings.push(None);
            Err(FetchFailure::Rejected { detail: "TypeError: Load failed".into() })
        };
        if self.down_from.is_some_and(|n| self.sent >= n) {
            return failed(self);
        }
        let raced = self.open.is_some_and(|(_, last)| {
            self.server.idle_ms.is_some_and(|t| (t - self.race_ms..t).contains(&(start - last)))
        });
        if raced {
            return failed(self);
        }
        let reusable = self.open.filter(|(n, last)| {
            let idle = start - last;
            self.server.keep_alive
                && self.server.max_requests.is_none_or(|m| *n < m)
                && self.server.idle_ms.is_none_or(|t| idle < t)
                && idle < self.browser_idle_ms
        });
        let (n, connect) = match reusable {
            Some((n, _)) => (n + 1, 0.0),
            None => {
                self.connections += 1;
                (1, 1.0)
            }
        };
        let end = start + connect + 2.0;
        self.clock = end;
        self.open = self.server.keep_alive.then_some((n, end));
        let mut t = Timing {
            name: url.to_string(),
            start_time: start,
            fetch_start: start,
            domain_lookup_start: start,
            domain_lookup_end: start,
            connect_start: start,
            connect_end: start + connect,
            request_start: start + connect,
            response_start: end - 0.5,
            response_end: end,
            transfer_size: 300.0,
            encoded_body_size: 100.0,
            decoded_body_size: 100.0,
            next_hop_protocol: self.server.protocol.into(),
            ..Timing::default()
        };
        if !self.server.timing_allow_origin {
            t = Timing { name: t.name, start_time: start, fetch_start: start, response_end: end, ..Timing::default() };
        }
        self.timings.push(Some(t));
        let status = if self.server.fails_at == Some(self.sent) { 500 } else { 200 };
        let final_url =
            if self.server.redirects_away { "http://elsewhere.test/x".to_string() } else { url.to_string() };
        Ok(Response {
            status,
            final_url,
            redirected: self.server.redirects_away,
            content_type: "text/css".into(),
            body: Body::Discarded,
            cut_at: None,
        })
    }
}

struct Outcome {
    session: Session,
    status: ProbeStatus,
    waited_ms: f64,
    world_connections: usize,
}

fn probe_with(server: Server, limits: ProbeLimits, browser_idle_ms: f64, cancel_at: Option<usize>) -> Outcome {
    probe_in(World { browser_idle_ms, ..World::new(server) }, limits, cancel_at)
}

fn probe_in(mut world: World, limits: ProbeLimits, cancel_at: Option<usize>) -> Outcome {
    let (mut probe, first) = Probe::start("http://server.test/r/a.css", "9", 0.0, limits, &AsIs);
    let mut session = Session::default();
    let mut effects: Vec<Effect> = first;
    let mut waited_ms = 0.0;
    for _ in 0..10_000 {
        let mut next = Vec::new();
        for e in effects.drain(..) {
            match e {
                Effect::Report(ev) => session.apply(ev),
                Effect::Fetch { id, url, .. } => {
                    assert!(url.contains(&format!("__connscope=9-{id}")), "each request is unique: {url}");
                    if cancel_at == Some(world.sent) {
                        next.extend(probe.cancel());
                        next.extend(probe.fetched(id, Err(FetchFailure::Cancelled), &AsIs));
                        continue;
                    }
                    let r = world.request(&url);
                    next.extend(probe.fetched(id, r, &AsIs));
                }
                Effect::LookUpTiming { id, .. } => {
                    let t = world.timings.last().cloned().flatten();
                    // The entry reaches the page a little after the last byte.
                    world.clock += world.delivery_ms;
                    next.extend(probe.timed(id, t));
                }
                Effect::Pause { ms } => {
                    world.clock += f64::from(ms) + 1.5;
                    waited_ms += f64::from(ms);
                    next.extend(probe.paused());
                }
            }
        }
        effects = next;
        if probe.is_over() && effects.is_empty() {
            break;
        }
    }
    assert!(probe.is_over(), "the probe ended");
    Outcome { status: probe.status().clone(), session, waited_ms, world_connections: world.connections }
}

fn probe(server: Server) -> Outcome {
    probe_with(server, ProbeLimits::default(), 300_000.0, None)
}

/// The idle timeout the probe found holds `truth_ms`, to the resolution promised.
fn assert_idle(idle: Option<Idle>, truth_ms: f64) {
    let Some(Idle::Between { low, high }) = idle else { panic!("no idle range: {idle:?}") };
    assert!(low < truth_ms && truth_ms <= high + 10.0, "{truth_ms} ms not in [{low}, {high}]");
    assert!(high - low <= RESOLUTION_MS.max(low * 0.1) + 1e-9, "[{low}, {high}] is too wide");
}

#[test]
fn a_keep_alive_server_without_a_cap_and_its_idle_timeout() {
    for idle in [800.0, 3000.0, 5000.0, 12_345.0] {
        let o = probe(Server { idle_ms: Some(idle), ..KEEPALIVE });
        let s = &o.status;
        assert_eq!(s.stage, Stage::Done, "{:?}", s.problem);
        assert_eq!(s.keep_alive, Some(true));
        assert_eq!(s.max_requests, Some(Count::AtLeast(200)));
        assert_idle(s.idle, idle);
        assert_eq!(s.protocol.as_deref(), Some("http/1.1"));
        assert_eq!(o.session.state, RunState::Done);
        assert_eq!(o.session.requests.len(), s.requests_sent, "every probe request is in the waterfall");
        // Growing (×2 from 250 ms) waits up to about 3× the timeout, bisecting about 1× per
        // step (3 steps to 10 %): never a walk in small steps.
        assert!(o.waited_ms < idle * 8.0 + 1000.0, "{idle}: waited {} ms", o.waited_ms);
    }
}

#[test]
fn a_cap_on_requests_per_connection_is_counted_exactly_and_does_not_spoil_the_timeout() {
    for (max, idle) in [(2, 800.0), (5, 3000.0), (3, 1500.0), (100, 800.0)] {
        let o = probe(Server { max_requests: Some(max), idle_ms: Some(idle), ..KEEPALIVE });
        let s = &o.status;
        assert_eq!(s.stage, Stage::Done, "{:?}", s.problem);
        assert_eq!(s.max_requests, Some(Count::Exactly(max)), "max {max}");
        assert_idle(s.idle, idle);
        let sentence = s.sentence(connscope_core::probe::Browser::Firefox);
        assert!(sentence.contains(&format!("serves at most {max} requests on one connection")), "{sentence}");
        assert!(sentence.contains("network.http.keep-alive.timeout"), "{sentence}");
    }
}

#[test]
fn a_connection_already_open_when_the_probe_starts_is_counted_from_what_is_seen() {
    // The browser still holds a connection to the server (the user was just on the site, or
    // a page before this one probed it: WebKit in the suite kept one through a reload), so
    // the probe's first requests read reused and their connection's first request is never
    // seen. Without a cap, counting must still end at the probe's own cap, as "at least":
    // the connection served at least that many, whatever it served before.
    for (served_before, max) in [(1, 20), (7, 20), (150, 200)] {
        let mut world = World::new(Server { idle_ms: Some(800.0), ..KEEPALIVE });
        world.open = Some((served_before, world.clock - 10.0));
        let o = probe_in(world, ProbeLimits { max_requests: max, ..ProbeLimits::default() }, None);
        let s = &o.status;
        assert_eq!(s.stage, Stage::Done, "{served_before}: {:?}", s.problem);
        assert_eq!(s.max_requests, Some(Count::AtLeast(max)), "{served_before} served before");
        assert_idle(s.idle, 800.0);
        assert!(
            s.requests_sent <= max as usize + 30,
            "{served_before} served before: {} requests sent for a cap of {max}",
            s.requests_sent
        );
    }
    // With a cap, the warm connection runs out first; counting starts on the next one and
    // finds the cap exactly.
    for (served_before, cap) in [(3, 10), (9, 10), (1, 5)] {
        let mut world = World::new(Server { max_requests: Some(cap), idle_ms: Some(1500.0), ..KEEPALIVE });
        world.open = Some((served_before, world.clock - 10.0));
        let o = probe_in(world, ProbeLimits::default(), None);
        let s = &o.status;
        assert_eq!(s.stage, Stage::Done, "{served_before}: {:?}", s.problem);
        assert_eq!(s.max_requests, Some(Count::Exactly(cap)), "{served_before} served before, cap {cap}");
        assert_idle(s.idle, 1500.0);
    }
}

#[test]
fn a_page_slow_to_start_the_next_request_still_narrows_the_timeout() {
    // WebKit under load took ~200 ms from one response to the next request: pauses must be
    // aimed at the gap the server sees, or the bisection stalls above the timeout.
    for delivery_ms in [120.0, 200.0, 450.0] {
        let world = World { delivery_ms, ..World::new(Server { idle_ms: Some(800.0), ..KEEPALIVE }) };
        let o = probe_in(world, ProbeLimits::default(), None);
        assert_eq!(o.status.stage, Stage::Done, "{delivery_ms}: {:?}", o.status.problem);
        assert_idle(o.status.idle, 800.0);
        assert_eq!(o.status.problem, None);
    }
}

#[test]
fn a_server_that_closes_every_connection() {
    let o = probe(Server { keep_alive: false, idle_ms: None, ..KEEPALIVE });
    let s = &o.status;
    assert_eq!(
        (s.stage, s.keep_alive, s.max_requests, s.idle),
        (Stage::Done, Some(false), Some(Count::Exactly(1)), None)
    );
    assert_eq!((s.requests_sent, o.world_connections), (2, 2));
    assert!(s.sentence(connscope_core::probe::Browser::Chromium).starts_with("This server does not keep connections"));
}

#[test]
fn a_timeout_longer_than_the_longest_pause_says_so() {
    let limits = ProbeLimits { max_idle_ms: 2000, ..ProbeLimits::default() };
    let o =
        probe_with(Server { idle_ms: Some(600_000.0), max_requests: Some(4), ..KEEPALIVE }, limits, 300_000.0, None);
    let Some(Idle::LongerThan(ms)) = o.status.idle else { panic!("{:?}", o.status.idle) };
    assert!((2000.0..2100.0).contains(&ms), "{ms}");
    assert!(o.status.sentence(connscope_core::probe::Browser::Other).contains("longer than 2.0 s"));
}

#[test]
fn the_browsers_own_idle_limit_caps_what_is_seen() {
    // The server would keep a connection 60 s; this browser drops idle ones after 10 s.
    let o = probe_with(Server { idle_ms: Some(60_000.0), ..KEEPALIVE }, ProbeLimits::default(), 10_000.0, None);
    assert_idle(o.status.idle, 10_000.0);
}

#[test]
fn h2_is_named_and_its_connection_counted_up_to_the_cap() {
    let o = probe(Server { protocol: "h2", idle_ms: Some(1000.0), ..KEEPALIVE });
    assert_eq!(o.status.protocol.as_deref(), Some("h2"));
    assert_eq!(o.status.max_requests, Some(Count::AtLeast(200)));
    assert!(o.status.sentence(connscope_core::probe::Browser::Chromium).contains("It speaks h2"));
}

#[test]
fn without_timing_allow_origin_it_stops_and_says_why() {
    let o = probe(Server { timing_allow_origin: false, ..KEEPALIVE });
    assert_eq!(o.status.stage, Stage::Failed);
    assert_eq!(o.status.requests_sent, 1, "it stops at the first request it cannot judge");
    let problem = o.status.problem.clone().unwrap_or_default();
    assert!(problem.contains("Timing-Allow-Origin"), "{problem}");
    assert_eq!(o.session.state, RunState::Failed);
}

/// The server closes an idle connection just as a request after a pause goes out on it,
/// and the browser (WebKit) reports the request failed: the pause counts as one the
/// connection did not survive, the probe goes on and still narrows the timeout, and it
/// says what happened. Where the network is gone, the next failure stops it.
#[test]
fn a_request_lost_as_the_server_closes_the_connection_counts_as_not_survived() {
    // A wide race, so the search's pauses meet it: the timeout found is where connections
    // stopped being usable, up to the race's width short of the server's timer.
    let world = World { race_ms: 300.0, ..World::new(KEEPALIVE) };
    let o = probe_in(world, ProbeLimits::default(), None);
    assert_eq!(o.status.stage, Stage::Done, "{:?}", o.status.problem);
    let Some(Idle::Between { low, high }) = o.status.idle else { panic!("{:?}", o.status.idle) };
    assert!(low < 4700.0 && (4700.0..=5010.0).contains(&high), "[{low}, {high}]");
    assert!(o.status.problem.as_deref().is_some_and(|p| p.contains("failed as it went out")), "{:?}", o.status.problem);
    let failed =
        o.session.requests.iter().filter(|r| matches!(r.outcome, connscope_core::Outcome::Failed { .. })).count();
    assert!(failed >= 1, "no request met the race");

    // The network goes down during the idle search: the loss after a pause counts, the
    // fresh connection's failure right after stops the probe.
    let world = World { down_from: Some(205), ..World::new(KEEPALIVE) };
    let o = probe_in(world, ProbeLimits::default(), None);
    assert_eq!(o.status.stage, Stage::Failed);
    assert!(
        o.status.problem.as_deref().is_some_and(|p| p.contains("The probe stopped after")),
        "{:?}",
        o.status.problem
    );
}

#[test]
fn a_server_that_fails_midway_or_redirects_away_stops_the_probe() {
    let o = probe(Server { fails_at: Some(4), ..KEEPALIVE });
    assert_eq!(o.status.stage, Stage::Failed);
    assert!(
        o.status.problem.as_deref().is_some_and(|p| p.contains("answered HTTP 500 on request 4")),
        "{:?}",
        o.status.problem
    );
    let o = probe(Server { redirects_away: true, ..KEEPALIVE });
    assert!(o
        .status
        .problem
        .as_deref()
        .is_some_and(|p| p.contains("redirects to another origin (http://elsewhere.test/x)")));
}

#[test]
fn a_server_that_does_not_allow_cross_origin_reads_is_named_as_such() {
    let (mut probe, fx) = Probe::start("http://server.test/x", "3", 0.0, ProbeLimits::default(), &AsIs);
    let Some(Effect::Fetch { id, .. }) = fx.into_iter().find(|e| matches!(e, Effect::Fetch { .. })) else {
        panic!("a first request")
    };
    let rejected = FetchFailure::Rejected { detail: "TypeError: Failed to fetch".into() };
    let fx = probe.fetched(id, Err(rejected), &AsIs);
    assert!(probe.is_over() && probe.status().stage == Stage::Failed);
    let problem = probe.status().problem.clone().unwrap_or_default();
    assert!(problem.starts_with("The probe stopped after 1 request:"), "{problem}");
    assert!(problem.contains("Access-Control-Allow-Origin"), "{problem}");
    assert!(fx.iter().any(|e| matches!(e, Effect::Report(Event::Failed { .. }))));
}

#[test]
fn cancelling_ends_the_probe_at_once() {
    let o = probe_with(KEEPALIVE, ProbeLimits::default(), 300_000.0, Some(10));
    assert_eq!(o.status.stage, Stage::Cancelled);
    assert_eq!(o.session.state, RunState::Done);
    assert!(o.session.messages.iter().any(|m| m.text.starts_with("Run cancelled")));
}

#[test]
fn a_bad_url_fails_before_any_request() {
    let (probe, fx) = Probe::start("not a url", "1", 0.0, ProbeLimits::default(), &AsIs);
    assert!(probe.is_over());
    assert!(!fx.iter().any(|e| matches!(e, Effect::Fetch { .. })));
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::Report(Event::Failed { message }) if message.contains("not a full"))));
}

#[test]
fn progress_says_the_stage_and_an_estimate_while_timing_idleness() {
    let mut world = World::new(Server { idle_ms: Some(3000.0), ..KEEPALIVE });
    let (mut probe, mut effects) = Probe::start("http://server.test/x", "2", 0.0, ProbeLimits::default(), &AsIs);
    let mut stages = Vec::new();
    while !(probe.is_over() && effects.is_empty()) {
        let mut next = Vec::new();
        for e in effects.drain(..) {
            match e {
                Effect::Report(Event::Probe(s)) => {
                    if s.stage == Stage::IdleTimeout {
                        assert!(s.eta_ms.is_some_and(|ms| ms > 0.0), "an estimate while pausing");
                    }
                    stages.push(s.stage);
                }
                Effect::Fetch { id, url, .. } => next.extend(probe.fetched(id, world.request(&url), &AsIs)),
                Effect::LookUpTiming { id, .. } => {
                    next.extend(probe.timed(id, world.timings.last().cloned().flatten()));
                }
                Effect::Pause { ms } => {
                    world.clock += f64::from(ms);
                    next.extend(probe.paused());
                }
                Effect::Report(_) => {}
            }
        }
        effects = next;
    }
    stages.dedup();
    assert_eq!(stages, [Stage::KeepsConnections, Stage::RequestsPerConnection, Stage::IdleTimeout, Stage::Done]);
}
