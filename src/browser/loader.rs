//! Runs a core state machine — a crawl (`connscope_core::crawl`) or a probe
//! (`connscope_core::probe`): carries out each effect it returns (a fetch, a pause, a timing
//! look-up, an event to report) and feeds every outcome back. It decides nothing: what to
//! load, in what order and when the run ends is the machine's.

use super::dom::{viewport, BrowserUrls};
use super::fetch::{start, Cancel};
use super::frame::Batcher;
use super::sleep_ms;
use super::timing::Collector;
use connscope_core::crawl::{Crawl, Limits};
use connscope_core::effect::{Effect, Machine};
use connscope_core::failure::FetchFailure;
use connscope_core::probe::{Probe, ProbeLimits};
use connscope_core::{Event, Timing};
use futures::stream::{FuturesUnordered, StreamExt};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

type Fetched = (usize, Result<connscope_core::effect::Response, FetchFailure>);

/// How long one task may spend starting fetches (ms). A start costs the page 0.1 to 1 ms
/// (more while hundreds are in flight to one host): a page that names hundreds of resources
/// has them started a slice at a time, each slice in a task of its own, so no task runs
/// long and responses are handled in between. A typical page has all its references
/// started in one go.
const START_BUDGET_MS: f64 = 8.0;
type Timed = (usize, Option<Timing>);

/// Loads `target` and its resource graph, reporting its steps through `report`, in order,
/// in batches at most once per animation frame.
pub async fn load(target: String, limits: Limits, cancel: Cancel, report: impl Fn(Vec<Event>) + 'static) {
    let (time_origin_ms, run) = clock_and_token();
    let (crawl, first) = Crawl::start(&target, &run, time_origin_ms, limits, viewport(), &BrowserUrls);
    drive(crawl, first, cancel, report).await;
}

/// Probes the keep-alive policy of `url`'s server, reporting its steps through `report` as
/// [`load`] does.
pub async fn probe(url: String, limits: ProbeLimits, cancel: Cancel, report: impl Fn(Vec<Event>) + 'static) {
    let (time_origin_ms, run) = clock_and_token();
    let (probe, first) = Probe::start(&url, &run, time_origin_ms, limits, &BrowserUrls);
    drive(probe, first, cancel, report).await;
}

/// Runs the crawl once over a made-up page, with made-up responses and no network: the
/// browser compiles WebAssembly a function at a time on first use, and the first run would
/// otherwise pay for compiling discovery (the HTML reader, the CSS parser, the crawl's
/// bookkeeping) between a parent's last byte and its references' start. Called while the
/// app waits for the user.
pub fn warm_up() {
    const PAGE: &str = r#"<!DOCTYPE html><html><head><link rel="stylesheet" href="a.css"><link rel="preload" as="font" href="f.woff2" crossorigin><script src="s.js" defer></script><style>body{background:url(i.svg)}</style></head><body><img src="i.png" srcset="i2.png 2x" alt=""><picture><source srcset="i.webp" type="image/webp"><img src="i.jpg" alt=""></picture><iframe src="frame.html"></iframe></body></html>"#;
    const SHEET: &str = r#"@import url("b.css") screen; @font-face { font-family: w; src: url(w.woff2) format("woff2"), url('w.woff') format("woff"); } .a { background: url(bg.svg) no-repeat, image-set("x.png" 1x, "x2.png" 2x); } @media (min-width: 1px) { .b { mask: url(#m); cursor: url(c.cur), auto; } }"#;
    let (mut crawl, mut effects) =
        Crawl::start("http://warm-up.invalid/page.html", "0", 0.0, Limits::default(), viewport(), &BrowserUrls);
    for _ in 0..200 {
        let Some(effect) = effects.pop() else { break };
        let more = match effect {
            Effect::Fetch { id, url, read, .. } => {
                let (content_type, body) = match read {
                    connscope_core::crawl::Read::Html => {
                        ("text/html", connscope_core::crawl::Body::Html(super::dom::read_html(PAGE)))
                    }
                    connscope_core::crawl::Read::Text => ("text/css", connscope_core::crawl::Body::Text(SHEET.into())),
                    connscope_core::crawl::Read::Discard => ("image/svg+xml", connscope_core::crawl::Body::Discarded),
                };
                let response = connscope_core::effect::Response {
                    status: 200,
                    final_url: url.clone(),
                    redirected: false,
                    content_type: content_type.into(),
                    body,
                    cut_at: None,
                };
                let timing = Timing { name: url, start_time: 1.0, response_end: 2.0, ..Timing::default() };
                let mut more = crawl.fetched(id, Ok(response), &BrowserUrls);
                more.extend(crawl.timed(id, Some(timing)));
                more
            }
            Effect::LookUpTiming { .. } | Effect::Report(_) => Vec::new(),
            Effect::Pause { .. } => crawl.paused(),
        };
        effects.extend(more);
    }
}

/// The page's clock origin, and a token unique to a run.
fn clock_and_token() -> (f64, String) {
    let time_origin_ms = web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.time_origin());
    (time_origin_ms, format!("{}", (js_sys::Math::random() * 1e9) as u64))
}

/// Runs a core state machine to its end: carries out each effect, feeds each outcome back.
/// Events go to the view in per-frame batches, so no rendering stands between an outcome
/// and the fetches it starts.
async fn drive(mut machine: impl Machine, first: Vec<Effect>, cancel: Cancel, report: impl Fn(Vec<Event>) + 'static) {
    let report = Batcher::new(report);
    let collector = Rc::new(Collector::new(machine.token_prefix()));
    let mut fetching: FuturesUnordered<Pin<Box<dyn Future<Output = Fetched>>>> = FuturesUnordered::new();
    let mut timing: FuturesUnordered<Pin<Box<dyn Future<Output = Timed>>>> = FuturesUnordered::new();
    let mut pause: FuturesUnordered<Pin<Box<dyn Future<Output = ()>>>> = FuturesUnordered::new();
    let mut effects = first;
    let mut told_cancel = false;
    // Fetches the machine asked for, not started yet (see START_BUDGET_MS).
    let mut to_start: std::collections::VecDeque<(usize, String, connscope_core::crawl::Read, u32)> =
        std::collections::VecDeque::new();
    let performance = web_sys::window().and_then(|w| w.performance());
    loop {
        for effect in effects.drain(..) {
            match effect {
                Effect::Report(event) => report.push(event),
                Effect::Fetch { id, url, read, timeout_ms } => to_start.push_back((id, url, read, timeout_ms)),
                Effect::LookUpTiming { id, url, wait_ms } => {
                    let collector = collector.clone();
                    timing.push(Box::pin(async move { (id, collector.entry(&url, wait_ms).await) }));
                }
                Effect::Pause { ms } => {
                    let cancel = cancel.clone();
                    pause.push(Box::pin(async move {
                        // In small steps, so Cancel is not kept waiting for a long pause.
                        let mut left = ms;
                        while left > 0 && !cancel.is_cancelled() {
                            let step = left.min(50);
                            sleep_ms(step).await;
                            left -= step;
                        }
                    }));
                }
            }
        }
        let began = performance.as_ref().map(web_sys::Performance::now);
        while let Some((id, url, read, timeout_ms)) = to_start.pop_front() {
            let outcome = start(&url, read, timeout_ms, &cancel);
            fetching.push(Box::pin(async move { (id, outcome.await) }));
            if let (Some(p), Some(began)) = (&performance, began) {
                if p.now() - began > START_BUDGET_MS {
                    break;
                }
            }
        }
        if machine.is_over() {
            break;
        }
        if cancel.is_cancelled() && !told_cancel {
            told_cancel = true;
            effects = machine.cancel();
            continue;
        }
        let mut next_task = if to_start.is_empty() {
            futures::future::Fuse::terminated()
        } else {
            futures::FutureExt::fuse(Box::pin(super::yield_now()) as Pin<Box<dyn Future<Output = ()>>>)
        };
        effects = futures::select! {
            () = next_task => Vec::new(),
            (id, outcome) = fetching.select_next_some() => machine.fetched(id, outcome, &BrowserUrls),
            (id, entry) = timing.select_next_some() => machine.timed(id, entry),
            () = pause.select_next_some() => if cancel.is_cancelled() {
                told_cancel = true;
                machine.cancel()
            } else {
                machine.paused()
            },
            complete => break,
        };
    }
    report.flush();
}
