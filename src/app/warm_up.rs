//! Work done once while the app waits for the user, so that the first run or file does not
//! start on cold code. The browser compiles WebAssembly a function at a time on first use,
//! and runs it unoptimised until it has run for a while (Chromium optimises it in the
//! background then): a file of 1,000 requests opened on a freshly loaded page took 1.5 to 2
//! times as long as the same file opened a second time (`cargo xtask bench paint` opens
//! each file in a fresh page).

use crate::browser::loader;
use crate::ui::{self, Shared};
use connscope_core::{analyse, Analysis, Request};
use yew::prelude::*;

/// How many made-up requests the HAR reader, the analysis and the views go through: enough
/// for the browser to start optimising their busiest code; no step took over ~30 ms in
/// Chromium on a loaded two-core machine.
const MADE_UP: usize = 200;
/// How many of them the views are given.
const DRAWN: usize = 40;
/// How long the views drawn off the page stay before they are taken down (ms): their first
/// frame's work (a measure per chart) runs in it.
const KEEP_VIEWS_MS: u32 = 100;

/// The crawl over a made-up page, then a made-up run exported as a HAR, read back,
/// analysed, reported on and drawn into an element that is never part of the page. Each
/// step is a task of its own, and none starts once `idle` says a run has begun. Returns
/// how many requests the views drew (0 when stopped before they were drawn).
pub async fn warm_up(idle: impl Fn() -> bool) -> u32 {
    // Yields to the browser between steps (none takes long); whether to go on.
    let go_on = || async {
        crate::browser::sleep_ms(0).await;
        idle()
    };
    loader::warm_up();
    if !go_on().await {
        return 0;
    }
    let made_up = connscope_core::synthetic::requests(MADE_UP);
    let har = connscope_core::har::export("warm-up", &made_up, &analyse(&made_up), 0.0);
    if !go_on().await {
        return 0;
    }
    let Ok(text) = serde_json::to_string(&har) else { return 0 };
    if !go_on().await {
        return 0;
    }
    let Ok(imported) = connscope_core::har::import(&text) else { return 0 };
    if !go_on().await {
        return 0;
    }
    let _ = analyse(&imported.requests);
    if !go_on().await {
        return 0;
    }
    // The views draw a few screens of it: what a first file draws too.
    let mut requests = imported.requests;
    requests.truncate(DRAWN);
    let analysis = analyse(&requests);
    let report = connscope_core::report::site_report(&requests, &analysis, None);
    let page = requests.first().map(|r| r.origin.clone()).unwrap_or_default();
    let labels = requests.iter().map(|r| connscope_core::text::short_url(&r.url, &page)).collect();
    if !go_on().await {
        return 0;
    }
    let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.create_element("div").ok()) else {
        return 0;
    };
    let props = ViewsProps {
        requests: Shared::new(requests),
        analysis: Shared::new(analysis),
        report: Shared::new(report),
        labels: Shared::new(labels),
    };
    let views = yew::Renderer::<Views>::with_root_and_props(root.clone(), props).render();
    crate::browser::sleep_ms(KEEP_VIEWS_MS).await;
    let drawn = root.query_selector_all("[data-request-url]").map_or(0, |l| l.length());
    views.destroy();
    drawn
}

#[derive(Properties, PartialEq)]
struct ViewsProps {
    requests: Shared<Vec<Request>>,
    analysis: Shared<Analysis>,
    report: Shared<connscope_core::report::SiteReport>,
    labels: Shared<Vec<String>>,
}

/// The views the app shows for an imported run, a request selected (as `app()` draws them).
#[function_component]
fn Views(p: &ViewsProps) -> Html {
    let (requests, analysis) = (p.requests.clone(), p.analysis.clone());
    html! { <>
        <ui::report::SiteReportView report={p.report.clone()} labels={p.labels.clone()} on_select={Callback::noop()} />
        <ui::summary::SummaryView analysis={analysis.clone()} />
        <ui::waterfall::Waterfall requests={requests.clone()} analysis={analysis.clone()} order={connscope_core::geometry::Order::Start}
            selected={Some(0)} on_select={Callback::noop()} on_order={Callback::noop()} run_key={0} id_prefix="warm-up-wf" />
        <ui::details::Details requests={requests.clone()} analysis={analysis.clone()} selected={Some(0)} />
        <ui::connections::ConnectionView {requests} {analysis} source={connscope_core::Source::Truth} selected={Some(0)}
            on_select={Callback::noop()} on_source={Callback::noop()} id_prefix="warm-up-cv" />
    </> }
}
