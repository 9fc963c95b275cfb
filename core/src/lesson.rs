//! Lessons (`?lesson=<id>&step=<n>`): the claims of persistent connections walked as steps,
//! each a prediction (a question with choices), a run of one testbed scenario, and the
//! reveal — which choice the run bears out, with the figures measured in this run.
//!
//! The answer is never written into a step: [`reveal`] picks the choice the run's own
//! figures point to, or none where the browser did not expose enough to tell (and says so).

use crate::analysis::Analysis;
use crate::config::RunConfig;
use crate::connections::Source;
use crate::contract::ScenarioInfo;
use crate::request::Request;
use crate::reuse::Reuse;
use crate::summary::{median, most_at_once};
use crate::text::{format_ms, plural};
use std::collections::BTreeSet;

/// What a step's reveal measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// How many connections the page's requests to the origin opened (one, a few, one each).
    Connections,
    /// How many requests were in flight at once on an HTTP/1.1 origin (the per-host limit).
    InFlight,
    /// Whether a request after a pause longer than the idle timeout reused a connection.
    AfterIdle,
    /// The most requests one connection carried (the server's record).
    PerConnection,
    /// How much longer a request that opened a connection waited than one that reused it.
    HandshakeCost,
    /// Whether the verdicts could be told at all.
    Hidden,
    /// How many connections the server behind a proxy saw.
    BehindProxy,
}

/// One step: what it runs, what it asks first, and what it shows after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The step's short name (in the DOM as `data-step-key`).
    pub key: &'static str,
    pub title: &'static str,
    /// The testbed scenario the step runs.
    pub scenario: &'static str,
    /// The run's settings beyond the scenario, as link parameters (`concurrency=1&pause=1500`).
    pub settings: &'static str,
    pub question: &'static str,
    pub choices: &'static [&'static str],
    pub measure: Measure,
    /// What the step shows, said once the figures are in.
    pub lesson: &'static str,
    /// The connection view's lanes the step opens with (behind the proxy, for the proxy).
    pub lanes: Source,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lesson {
    pub id: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub steps: &'static [Step],
}

const HOW_MANY: &[&str] = &["One, used for every file", "A few (at most six), each used again", "One for every file"];

/// The lessons the app offers, in the order the start screen lists them.
pub const LESSONS: &[Lesson] = &[Lesson {
    id: "persistence",
    title: "Persistent connections, step by step",
    intro: "Nine short experiments on the testbed's servers, from HTTP/1.0's connection per request to HTTP/2 and proxies. At each step, guess first; the run then shows who was right, with the figures this browser measured.",
    steps: &[
        Step {
            key: "close",
            title: "A connection for every request (HTTP/1.0 style)",
            scenario: "close",
            settings: "",
            question: "This server answers every request with Connection: close and hangs up. How many TCP connections will the browser open to it for the page's files?",
            choices: HOW_MANY,
            measure: Measure::Connections,
            lesson: "Without persistence every request pays for a new connection: a TCP handshake (and on HTTPS a TLS one) before its first byte can be sent. That is what HTTP/1.0 did by default.",
            lanes: Source::Truth,
        },
        Step {
            key: "keepalive",
            title: "Keep-alive: connections used again",
            scenario: "keepalive",
            settings: "",
            question: "The same page, from a server that keeps connections open (HTTP/1.1's default). How many connections now?",
            choices: HOW_MANY,
            measure: Measure::Connections,
            lesson: "HTTP/1.1 keeps a connection open after a response, so the next request to the origin skips the handshake. The browser still opens a few in parallel, because an HTTP/1.1 connection carries one request at a time.",
            lanes: Source::Truth,
        },
        Step {
            key: "queue",
            title: "Queueing behind the per-host limit",
            scenario: "queue",
            settings: "",
            question: "18 images, each taking 400 ms on the server, all from one HTTP/1.1 origin. How many of them does the browser fetch at once?",
            choices: &["All 18", "6", "1"],
            measure: Measure::InFlight,
            lesson: "Browsers open at most six HTTP/1.1 connections per host. With each connection busy for a whole response, the other requests wait in the browser's queue: the grey bars before each request in the waterfall.",
            lanes: Source::Truth,
        },
        Step {
            key: "idle",
            title: "The idle timeout",
            scenario: "short-idle",
            settings: "concurrency=1&pause=1500&limit=3",
            question: "This server closes a connection that has been idle for 1 s. The files are fetched one at a time, 1.5 s apart. Will each file reuse the connection the one before it used?",
            choices: &["Yes, each reuses it", "No, each opens a new one"],
            measure: Measure::AfterIdle,
            lesson: "A persistent connection is kept only while both sides want it: servers close idle ones (here after 1 s; nginx's default is 75 s), and a request after a longer pause pays for a new handshake.",
            lanes: Source::Truth,
        },
        Step {
            key: "cap",
            title: "A cap on requests per connection",
            scenario: "max-3",
            settings: "",
            question: "This server closes each connection after its third request (nginx's keepalive_requests). What is the most requests any one connection carries?",
            choices: &["All of the page's files", "3", "1"],
            measure: Measure::PerConnection,
            lesson: "Servers limit how many requests a connection may carry, to spread load and free memory; after the cap, the next request opens a new connection and pays its handshake again.",
            lanes: Source::Truth,
        },
        Step {
            key: "tls",
            title: "What TLS adds, and what reuse saves",
            scenario: "https-rtt",
            settings: "",
            question: "This HTTPS server is 50 ms away (each round trip takes 50 ms). How much longer does a request that opens a new connection take before it can be sent than one that reuses a connection?",
            choices: &["No longer", "About one round trip (50 ms)", "About three round trips (150 ms)"],
            measure: Measure::HandshakeCost,
            lesson: "A new HTTPS connection pays a TLS handshake (one round trip with TLS 1.3) on top of TCP's. The testbed delays only what the server sends, so TCP's own handshake, done by this machine's kernel, is free here; on a real network it costs one more round trip. Reuse skips both.",
            lanes: Source::Truth,
        },
        Step {
            key: "h2",
            title: "HTTP/2: one connection, many requests at once",
            scenario: "h2",
            settings: "",
            question: "The page again, from an HTTP/2 server over TLS. How many connections will the browser open to it?",
            choices: HOW_MANY,
            measure: Measure::Connections,
            lesson: "HTTP/2 multiplexes: one connection carries many requests at the same time, as streams, so the browser needs only one per origin and pays one handshake.",
            lanes: Source::Truth,
        },
        Step {
            key: "hidden",
            title: "Timing hidden without Timing-Allow-Origin",
            scenario: "opaque",
            settings: "",
            question: "This origin keeps connections open but sends no Timing-Allow-Origin header. Can connscope tell which of its requests reused a connection?",
            choices: &["Yes, as for the other origins", "No, the browser hides the connection's timings"],
            measure: Measure::Hidden,
            lesson: "Resource Timing hides a cross-origin request's DNS, connect, TLS and waiting times unless the server sends Timing-Allow-Origin: what a page can measure about a third party's connections is up to that third party.",
            lanes: Source::Truth,
        },
        Step {
            key: "proxy",
            title: "Persistence is per hop",
            scenario: "proxy",
            settings: "",
            question: "The browser talks to a proxy that keeps connections open, and the proxy forwards each request to a server that closes every connection. How many connections does that server behind the proxy see?",
            choices: &["As few as the browser opened to the proxy", "One for every request"],
            measure: Measure::BehindProxy,
            lesson: "Keep-alive is agreed hop by hop: the browser's connections to the proxy persist, while the server behind it closes each of the proxy's. A fast first hop says nothing about the next.",
            lanes: Source::Upstream,
        },
    ],
}];

pub fn find(id: &str) -> Option<&'static Lesson> {
    LESSONS.iter().find(|l| l.id == id)
}

impl Step {
    /// The run this step makes: its scenario and settings, nothing else of the form's.
    pub fn config(&self) -> RunConfig {
        let mut c = RunConfig { scenario: Some(self.scenario.to_string()), ..RunConfig::default() };
        for (k, v) in form_urlencoded::parse(self.settings.as_bytes()) {
            // The settings are written here, in range; a typo is caught by the unit test.
            let _ = c.set(&k, &v);
        }
        c
    }
}

/// How long a step's run waits before it starts (ms), so that it starts from cold
/// connections: the server's idle timeout and a margin, less the time since a run of this
/// page last used that server (`since_ms`); nothing for a server that keeps no connection
/// idle or that no run has used.
pub fn cold_wait_ms(idle_timeout_ms: Option<u64>, since_ms: Option<f64>) -> u32 {
    match (idle_timeout_ms, since_ms) {
        (Some(idle), Some(since)) => (idle as f64 + 500.0 - since).clamp(0.0, 60_000.0) as u32,
        _ => 0,
    }
}

/// One figure of a reveal (`[data-fact=<key>]`, `data-value`).
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub key: &'static str,
    pub label: &'static str,
    pub value: f64,
    /// The value as shown ("12", "48.2 ms").
    pub text: String,
}

/// What the run shows at a step.
#[derive(Debug, Clone, PartialEq)]
pub struct Reveal {
    /// The choice the run's figures bear out; None where the browser did not expose enough.
    pub answer: Option<usize>,
    pub facts: Vec<Fact>,
    /// What was measured, in a sentence or two.
    pub measured: String,
}

impl Step {
    /// The reveal's first line: the prediction against what the run bears out.
    pub fn verdict(&self, picked: Option<usize>, answer: Option<usize>) -> String {
        let said = |k: usize| self.choices.get(k).copied().unwrap_or_default();
        match (picked, answer) {
            (Some(k), Some(a)) if k == a => format!("You predicted “{}”, and this run bears it out.", said(k)),
            (Some(k), Some(a)) => format!("You predicted “{}”; this run shows “{}”.", said(k), said(a)),
            (None, Some(a)) => format!("This run shows “{}”.", said(a)),
            (_, None) => "This run cannot settle the question in this browser: see why below.".to_string(),
        }
    }
}

fn count(key: &'static str, label: &'static str, n: usize) -> Fact {
    Fact { key, label, value: n as f64, text: n.to_string() }
}

fn time(key: &'static str, label: &'static str, ms: f64) -> Fact {
    Fact { key, label, value: ms, text: format_ms(ms) }
}

/// The index of the value nearest to `x`.
fn nearest(values: &[f64], x: f64) -> Option<usize> {
    values.iter().enumerate().min_by(|a, b| (a.1 - x).abs().total_cmp(&(b.1 - x).abs())).map(|(i, _)| i)
}

/// What the run of `step` on `scenario`'s origin shows. Only the requests to that origin
/// count (test pages also take images from a second origin).
pub fn reveal(step: &Step, scenario: &ScenarioInfo, requests: &[Request], analysis: &Analysis) -> Reveal {
    let mine: Vec<usize> = (0..requests.len())
        .filter(|&i| requests[i].origin == scenario.origin && requests[i].timing.is_some())
        .filter(|&i| analysis.requests.get(i).is_some())
        .collect();
    let verdict = |i: usize| analysis.requests[i].verdict.reuse;
    let n = mine.len();
    let new: Vec<usize> = mine.iter().copied().filter(|&i| verdict(i) == Reuse::New).collect();
    let reused = mine.iter().filter(|&&i| verdict(i) == Reuse::Reused).count();
    let unknown = n - new.len() - reused;
    let known = n - unknown;
    let summary = analysis.origins.iter().find(|s| s.origin == scenario.origin);
    let mut facts = vec![count("requests", "requests", n), count("new", "opened a connection", new.len())];
    facts.push(count("reused", "reused one", reused));
    if unknown > 0 {
        facts.push(count("unknown", "could not be told", unknown));
    }
    let untold = if unknown > 0 {
        format!(" {} could not be told from what this browser exposed.", plural(unknown, "request"))
    } else {
        String::new()
    };
    let handshakes: Vec<f64> =
        new.iter().filter_map(|&i| analysis.requests[i].verdict.inference.handshake_ms).filter(|h| *h > 0.0).collect();
    if n == 0 {
        return Reveal {
            answer: None,
            facts,
            measured: format!(
                "No request to {} finished with a timing entry, so this run cannot answer the question.",
                scenario.origin
            ),
        };
    }
    let (answer, measured) = match step.measure {
        Measure::Connections => {
            let paid: f64 = handshakes.iter().sum();
            facts.push(time("handshake-ms", "spent on handshakes", paid));
            // HTTP/2: the most requests one connection carried at once.
            let multiplexed = analysis.truth_connections.iter().filter(|c| c.origin == scenario.origin).map(|c| {
                let spans: Vec<(f64, f64)> = c
                    .requests
                    .iter()
                    .filter_map(|&i| requests.get(i)?.timing.as_ref())
                    .map(|t| (t.request_start.max(t.start_time), t.response_end))
                    .collect();
                most_at_once(spans)
            });
            if let Some(most) = multiplexed.max().filter(|_| scenario.protocol == "h2") {
                facts.push(count("at-once", "at once on one connection, at most", most));
            }
            // HTTP/1.1's per-host limit, where connections were kept to be used again.
            if let Some(peak) = summary.and_then(|s| s.peak_in_use).filter(|_| reused > 0) {
                facts.push(count("peak", "connections in use at once, at most", peak));
            }
            let answer = (known > 1).then_some(if new.len() == known {
                2
            } else if new.len() <= 1 {
                0
            } else {
                1
            });
            let measured = format!(
                "{} opened a connection and {} reused one: {} in handshakes.{untold}",
                new.len(),
                reused,
                format_ms(paid)
            );
            (answer, format!("Of {} to {}, {measured}", plural(n, "request"), scenario.origin))
        }
        Measure::InFlight => {
            let peak = summary.and_then(|s| s.peak_in_use);
            let queued = summary.map_or(0, |s| s.queued);
            facts.push(count("queued", "waited for a connection", queued));
            match peak {
                Some(peak) => {
                    facts.push(count("peak", "in flight at once, at most", peak));
                    let answer = nearest(&[18.0, 6.0, 1.0], peak as f64);
                    (
                        answer,
                        format!(
                            "At most {} in use at once; {} waited in the browser's queue for one to fall free.",
                            plural(peak, "connection"),
                            plural(queued, "request")
                        ),
                    )
                }
                None => (None, format!("How many were in flight at once cannot be told from this run.{untold}")),
            }
        }
        Measure::AfterIdle => {
            // Every request after the origin's first came after a pause.
            let later: Vec<usize> = mine.iter().copied().skip(1).collect();
            let opened = later.iter().filter(|&&i| verdict(i) == Reuse::New).count();
            let kept = later.iter().filter(|&&i| verdict(i) == Reuse::Reused).count();
            facts.push(count("after-pause", "requests after a pause", later.len()));
            facts.push(count("after-pause-new", "of them opened a connection", opened));
            let answer = (opened + kept > 0 && opened != kept).then_some(usize::from(opened > kept));
            (
                answer,
                format!(
                    "Of the {} after a pause, {opened} opened a new connection and {kept} reused one.{untold}",
                    plural(later.len(), "request")
                ),
            )
        }
        Measure::PerConnection => {
            let recorded: Vec<u32> = mine
                .iter()
                .filter_map(|&i| analysis.requests[i].verdict.truth.as_ref().map(|t| t.request_number))
                .collect();
            match recorded.iter().max() {
                Some(&most) if recorded.len() == n => {
                    facts.push(count("most-per-connection", "requests on one connection, at most", most as usize));
                    let answer = nearest(&[n as f64, 3.0, 1.0], most as f64);
                    (
                        answer,
                        format!(
                            "No connection carried more than {}: the server's record (Server-Timing) numbers each request on its connection.",
                            plural(most as usize, "request")
                        ),
                    )
                }
                _ => (
                    None,
                    format!(
                        "Which connection carried each request is the server's record (Server-Timing), and this browser exposed it for {} of {} requests, so the most on one connection cannot be told here.",
                        recorded.len(),
                        n
                    ),
                ),
            }
        }
        Measure::HandshakeCost => {
            let rtt = scenario.rtt_ms.unwrap_or(0) as f64;
            facts.push(time("rtt-ms", "round trip (the server's)", rtt));
            match median(handshakes.clone()) {
                Some(h) => {
                    facts.push(time("handshake-ms", "handshake of a new connection (median)", h));
                    facts.push(time("saved-ms", "handshake time the reused requests skipped", h * reused as f64));
                    let answer = (rtt > 0.0).then(|| nearest(&[0.0, rtt, 3.0 * rtt], h)).flatten();
                    (
                        answer,
                        format!(
                            "A new connection's handshakes took {} (median of {}); the {} that reused a connection skipped them: about {} saved.{untold}",
                            format_ms(h),
                            handshakes.len(),
                            plural(reused, "request"),
                            format_ms(h * reused as f64)
                        ),
                    )
                }
                None => (None, format!("No request that opened a connection had its handshake measured.{untold}")),
            }
        }
        Measure::Hidden => {
            let answer = (unknown != known).then_some(usize::from(unknown > known));
            (
                answer,
                format!(
                    "{} of {} could not be told: the browser reported no connect time and no server record for them.",
                    unknown,
                    plural(n, "request")
                ),
            )
        }
        Measure::BehindProxy => {
            let ups: Vec<_> = mine.iter().filter_map(|&i| requests[i].timing.as_ref()?.upstream_truth()).collect();
            let behind: BTreeSet<&str> = ups.iter().map(|u| u.hop.connection.as_str()).collect();
            if !ups.is_empty() {
                facts.push(count("upstream", "connections the server behind saw", behind.len()));
            }
            if ups.is_empty() {
                (
                    None,
                    format!(
                        "The browser opened {} to the proxy for {}. What happened behind it is the proxy's record (Server-Timing), which this browser does not expose for this origin.",
                        plural(new.len(), "connection"),
                        plural(n, "request")
                    ),
                )
            } else {
                let answer = nearest(&[new.len() as f64, ups.len() as f64], behind.len() as f64);
                (
                    answer,
                    format!(
                        "The browser opened {} to the proxy for {}; behind it, the server saw {} for the {} the proxy's record names.",
                        plural(new.len(), "connection"),
                        plural(n, "request"),
                        plural(behind.len(), "connection"),
                        ups.len()
                    ),
                )
            }
        }
    };
    // A run that found the origin's connections still open (its first request reused one)
    // did not start from cold: what it counts is not what the question asks.
    let first = mine.iter().copied().min_by(|&a, &b| {
        let start = |i: usize| requests[i].timing.as_ref().map_or(f64::INFINITY, |t| t.start_time);
        start(a).total_cmp(&start(b))
    });
    if first.is_some_and(|i| verdict(i) == Reuse::Reused) {
        return Reveal {
            answer: None,
            facts,
            measured: format!(
                "This run did not start from cold: its first request to {} went on a connection an earlier run had left open, so it cannot answer the question. Run the step again once the server's idle timeout has passed. ({measured})",
                scenario.origin
            ),
        };
    }
    Reveal { answer, facts, measured }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse;
    use crate::testing::req;

    const O: &str = "http://127.0.0.1:8081";

    fn info(protocol: &str, rtt_ms: Option<u64>) -> ScenarioInfo {
        ScenarioInfo {
            id: "s".into(),
            title: "s".into(),
            explanation: String::new(),
            origin: O.into(),
            protocol: protocol.into(),
            tls: false,
            keep_alive: true,
            idle_timeout_ms: Some(5000),
            max_requests: None,
            timing_allow_origin: true,
            policy: String::new(),
            rtt_ms,
        }
    }

    fn step(key: &str) -> &'static Step {
        find("persistence").and_then(|l| l.steps.iter().find(|s| s.key == key)).expect("step")
    }

    fn fact(r: &Reveal, key: &str) -> Option<f64> {
        r.facts.iter().find(|f| f.key == key).map(|f| f.value)
    }

    #[test]
    fn every_step_runs_a_scenario_with_settings_that_read() {
        let lesson = find("persistence").expect("the lesson");
        assert!(lesson.steps.len() >= 9);
        for s in lesson.steps {
            let c = s.config();
            assert_eq!(c.scenario.as_deref(), Some(s.scenario));
            for (k, v) in form_urlencoded::parse(s.settings.as_bytes()) {
                assert!(RunConfig::default().set(&k, &v).is_ok(), "{}: {k}={v}", s.key);
            }
            assert!(s.choices.len() >= 2, "{}", s.key);
        }
        let idle = step("idle").config();
        assert_eq!((idle.concurrency, idle.pause_ms, idle.limit), (Some(1), 1500, 3));
    }

    #[test]
    fn a_connection_per_request_a_few_reused_or_one_are_told_apart() {
        // close: every request opened its own.
        let close: Vec<_> =
            (0..4).map(|i| req(i, O, i as f64 * 10.0, i as f64 * 10.0 + 5.0, Some(0.3), None, "http/1.1")).collect();
        let r = reveal(step("close"), &info("http/1.1", None), &close, &analyse(&close));
        assert_eq!(r.answer, Some(2));
        assert_eq!((fact(&r, "requests"), fact(&r, "new"), fact(&r, "reused")), (Some(4.0), Some(4.0), Some(0.0)));
        // keep-alive: two opened, the others reused them (server records).
        let ka = vec![
            req(0, O, 0.0, 5.0, Some(0.3), Some(("1", 1)), "http/1.1"),
            req(1, O, 6.0, 9.0, Some(0.3), Some(("2", 1)), "http/1.1"),
            req(2, O, 10.0, 12.0, None, Some(("1", 2)), "http/1.1"),
            req(3, O, 13.0, 15.0, None, Some(("2", 2)), "http/1.1"),
        ];
        let r = reveal(step("keepalive"), &info("http/1.1", None), &ka, &analyse(&ka));
        assert_eq!(r.answer, Some(1), "{r:?}");
        // h2: one connection, requests at once on it.
        let h2 = vec![
            req(0, O, 0.0, 5.0, Some(0.3), Some(("9", 1)), "h2"),
            req(1, O, 6.0, 12.0, None, Some(("9", 2)), "h2"),
            req(2, O, 6.0, 12.0, None, Some(("9", 3)), "h2"),
        ];
        let r = reveal(step("h2"), &info("h2", None), &h2, &analyse(&h2));
        assert_eq!(r.answer, Some(0));
        assert_eq!(fact(&r, "at-once"), Some(2.0));
        // Another origin's requests do not count.
        let mut other = h2;
        other.push(req(3, "http://127.0.0.1:9999", 1.0, 2.0, Some(0.3), None, "http/1.1"));
        assert_eq!(reveal(step("h2"), &info("h2", None), &other, &analyse(&other)).facts, r.facts);
    }

    #[test]
    fn a_run_that_found_connections_open_answers_nothing() {
        // The first request went on a connection an earlier run had opened (request 4 on it).
        let warm = vec![
            req(0, O, 0.0, 5.0, None, Some(("1", 4)), "http/1.1"),
            req(1, O, 6.0, 9.0, None, Some(("1", 5)), "http/1.1"),
            req(2, O, 6.0, 12.0, Some(0.3), Some(("2", 1)), "http/1.1"),
        ];
        let r = reveal(step("keepalive"), &info("http/1.1", None), &warm, &analyse(&warm));
        assert_eq!(r.answer, None);
        assert!(r.measured.starts_with("This run did not start from cold"), "{}", r.measured);
    }

    #[test]
    fn a_step_waits_out_only_what_is_left_of_its_servers_idle_timeout() {
        assert_eq!(cold_wait_ms(Some(5000), Some(1000.0)), 4500);
        assert_eq!(cold_wait_ms(Some(5000), Some(9000.0)), 0);
        assert_eq!(cold_wait_ms(Some(5000), None), 0, "no run used it");
        assert_eq!(cold_wait_ms(None, Some(10.0)), 0, "it keeps nothing open");
    }

    #[test]
    fn the_verdict_sets_the_prediction_against_the_run() {
        let s = step("queue");
        assert_eq!(s.verdict(Some(1), Some(1)), "You predicted “6”, and this run bears it out.");
        assert_eq!(s.verdict(Some(0), Some(1)), "You predicted “All 18”; this run shows “6”.");
        assert_eq!(s.verdict(None, Some(2)), "This run shows “1”.");
        assert!(s.verdict(Some(0), None).starts_with("This run cannot settle the question"));
    }

    #[test]
    fn nothing_known_is_no_answer() {
        let r = reveal(step("close"), &info("http/1.1", None), &[], &analyse(&[]));
        assert_eq!(r.answer, None);
        assert!(r.measured.starts_with("No request to http://127.0.0.1:8081 finished"), "{}", r.measured);
    }

    #[test]
    fn the_handshake_cost_is_read_against_the_round_trip() {
        let mut run = vec![
            req(0, O, 0.0, 110.0, Some(52.0), Some(("1", 1)), "http/1.1"),
            req(1, O, 111.0, 170.0, None, Some(("1", 2)), "http/1.1"),
            req(2, O, 112.0, 230.0, Some(55.0), Some(("2", 1)), "http/1.1"),
        ];
        let r = reveal(step("tls"), &info("http/1.1", Some(50)), &run, &analyse(&run));
        assert_eq!(r.answer, Some(1), "{r:?}");
        assert_eq!(fact(&r, "handshake-ms"), Some(53.5));
        assert_eq!(fact(&r, "saved-ms"), Some(53.5));
        // Handshakes of 160 ms are three round trips.
        run[0] = req(0, O, 0.0, 210.0, Some(160.0), Some(("1", 1)), "http/1.1");
        run[2] = req(2, O, 112.0, 330.0, Some(150.0), Some(("2", 1)), "http/1.1");
        assert_eq!(reveal(step("tls"), &info("http/1.1", Some(50)), &run, &analyse(&run)).answer, Some(2));
        // No round trip known: no answer, the figures still.
        assert_eq!(reveal(step("tls"), &info("http/1.1", None), &run, &analyse(&run)).answer, None);
    }

    #[test]
    fn the_cap_needs_the_servers_record_for_every_request() {
        let run = vec![
            req(0, O, 0.0, 5.0, Some(0.3), Some(("1", 1)), "http/1.1"),
            req(1, O, 6.0, 9.0, None, Some(("1", 2)), "http/1.1"),
            req(2, O, 10.0, 12.0, None, Some(("1", 3)), "http/1.1"),
            req(3, O, 13.0, 15.0, Some(0.3), Some(("2", 1)), "http/1.1"),
            req(4, O, 16.0, 18.0, None, Some(("2", 2)), "http/1.1"),
        ];
        let r = reveal(step("cap"), &info("http/1.1", None), &run, &analyse(&run));
        assert_eq!((r.answer, fact(&r, "most-per-connection")), (Some(1), Some(3.0)));
        let mut hidden = run;
        hidden[4] = req(4, O, 16.0, 18.0, None, None, "http/1.1");
        let r = reveal(step("cap"), &info("http/1.1", None), &hidden, &analyse(&hidden));
        assert_eq!(r.answer, None);
        assert!(r.measured.contains("for 4 of 5 requests"), "{}", r.measured);
    }

    #[test]
    fn a_pause_past_the_idle_timeout_and_hidden_timing() {
        let run = vec![
            req(0, O, 0.0, 5.0, Some(0.3), Some(("1", 1)), "http/1.1"),
            req(1, O, 1505.0, 1509.0, Some(0.3), Some(("2", 1)), "http/1.1"),
            req(2, O, 3010.0, 3014.0, Some(0.3), Some(("3", 1)), "http/1.1"),
        ];
        let r = reveal(step("idle"), &info("http/1.1", None), &run, &analyse(&run));
        assert_eq!((r.answer, fact(&r, "after-pause"), fact(&r, "after-pause-new")), (Some(1), Some(2.0), Some(2.0)));
        // Opaque entries: start and end only.
        let opaque: Vec<_> = (0..3)
            .map(|i| {
                let mut r = req(i, O, i as f64, i as f64 + 3.0, None, None, "");
                if let Some(t) = r.timing.as_mut() {
                    (t.fetch_start, t.domain_lookup_start, t.domain_lookup_end, t.connect_start, t.connect_end) =
                        (i as f64, 0.0, 0.0, 0.0, 0.0);
                    (t.request_start, t.response_start) = (0.0, 0.0);
                }
                r
            })
            .collect();
        let r = reveal(step("hidden"), &info("http/1.1", None), &opaque, &analyse(&opaque));
        assert_eq!((r.answer, fact(&r, "unknown")), (Some(1), Some(3.0)), "{r:?}");
    }

    #[test]
    fn behind_the_proxy_counts_the_origin_servers_connections() {
        use crate::timing::ServerTimingEntry;
        let up = |conn: &str| {
            vec![
                ServerTimingEntry { name: "up-conn".into(), duration: 0.0, description: conn.into() },
                ServerTimingEntry { name: "up-req".into(), duration: 0.0, description: "1".into() },
                ServerTimingEntry {
                    name: "up-origin".into(),
                    duration: 0.0,
                    description: "http://127.0.0.1:8082".into(),
                },
            ]
        };
        let mut run = vec![
            req(0, O, 0.0, 5.0, Some(0.3), Some(("1", 1)), "http/1.1"),
            req(1, O, 6.0, 9.0, None, Some(("1", 2)), "http/1.1"),
            req(2, O, 10.0, 12.0, None, Some(("1", 3)), "http/1.1"),
        ];
        let r = reveal(step("proxy"), &info("http/1.1", None), &run, &analyse(&run));
        assert_eq!(r.answer, None, "no record of the hop behind: no answer");
        assert_eq!(fact(&r, "upstream"), None, "and no figure for it");
        for (i, r) in run.iter_mut().enumerate() {
            if let Some(t) = r.timing.as_mut() {
                t.server_timing.extend(up(&format!("u{i}")));
            }
        }
        let r = reveal(step("proxy"), &info("http/1.1", None), &run, &analyse(&run));
        assert_eq!((r.answer, fact(&r, "upstream"), fact(&r, "new")), (Some(1), Some(3.0), Some(1.0)), "{r:?}");
    }
}
