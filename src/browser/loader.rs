//! Runs a core state machine — a crawl (`connscope_core::crawl`) or a probe
//! (`connscope_core::probe`): carries out each effect it returns (a fetch, a pause, a timing
//! look-up, an event to report) and feeds every outcome back. It decides nothing: what to
//! load, in what order and when the run ends is the machine's.

use super::dom::{viewport, BrowserUrls};
use super::fetch::{fetch, Cancel};
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

/// Fetches started in one task at most: a page that names hundreds of resources has them
/// started a few dozen at a time, each batch in a task of its own, so no task runs long
/// (a `fetch()` call costs the page about 0.2 ms) and responses are handled in between.
const STARTS_PER_TASK: usize = 24;
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
    // Fetches the machine asked for, not started yet (see STARTS_PER_TASK).
    let mut to_start: std::collections::VecDeque<Pin<Box<dyn Future<Output = Fetched>>>> =
        std::collections::VecDeque::new();
    loop {
        for effect in effects.drain(..) {
            match effect {
                Effect::Report(event) => report.push(event),
                Effect::Fetch { id, url, read, timeout_ms } => {
                    let cancel = cancel.clone();
                    to_start.push_back(Box::pin(async move { (id, fetch(&url, read, timeout_ms, &cancel).await) }));
                }
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
        for _ in 0..STARTS_PER_TASK {
            match to_start.pop_front() {
                Some(f) => fetching.push(f),
                None => break,
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
