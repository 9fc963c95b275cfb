//! Runs a crawl (`connscope_core::crawl`): carries out each effect it returns — a fetch, a
//! pause, a timing look-up, an event to report — and feeds every outcome back. It decides
//! nothing: what to load, in what order and when the run ends is the crawl's.

use super::dom::{viewport, BrowserUrls};
use super::fetch::{fetch, Cancel};
use super::sleep_ms;
use super::timing::Collector;
use connscope_core::crawl::{Crawl, Effect, Limits};
use connscope_core::failure::FetchFailure;
use connscope_core::{Event, Timing};
use futures::stream::{FuturesUnordered, StreamExt};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

type Fetched = (usize, Result<connscope_core::crawl::Response, FetchFailure>);
type Timed = (usize, Option<Timing>);

/// Loads `target` and its resource graph, reporting every step through `report`.
pub async fn load(target: String, limits: Limits, cancel: Cancel, report: impl Fn(Event)) {
    let time_origin_ms = web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.time_origin());
    let run = format!("{}", (js_sys::Math::random() * 1e9) as u64);
    let (mut crawl, first) = Crawl::start(&target, &run, time_origin_ms, limits, viewport(), &BrowserUrls);
    let collector = Rc::new(Collector::new(crawl.token_prefix()));
    let mut fetching: FuturesUnordered<Pin<Box<dyn Future<Output = Fetched>>>> = FuturesUnordered::new();
    let mut timing: FuturesUnordered<Pin<Box<dyn Future<Output = Timed>>>> = FuturesUnordered::new();
    let mut pause: FuturesUnordered<Pin<Box<dyn Future<Output = ()>>>> = FuturesUnordered::new();
    let mut effects = first;
    let mut told_cancel = false;
    loop {
        for effect in effects.drain(..) {
            match effect {
                Effect::Report(event) => report(event),
                Effect::Fetch { id, url, read, timeout_ms } => {
                    let cancel = cancel.clone();
                    fetching.push(Box::pin(async move { (id, fetch(&url, read, timeout_ms, &cancel).await) }));
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
        if crawl.is_over() {
            break;
        }
        if cancel.is_cancelled() && !told_cancel {
            told_cancel = true;
            effects = crawl.cancel();
            continue;
        }
        effects = futures::select! {
            (id, outcome) = fetching.select_next_some() => crawl.fetched(id, outcome, &BrowserUrls),
            (id, entry) = timing.select_next_some() => crawl.timed(id, entry),
            () = pause.select_next_some() => if cancel.is_cancelled() {
                told_cancel = true;
                crawl.cancel()
            } else {
                crawl.paused()
            },
            complete => break,
        };
    }
}
