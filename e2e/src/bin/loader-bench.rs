//! Benchmark: how much the loader delays what it measures, in headless Chromium (real
//! clock, cold connections each run). For the default test page it prints, per discovery
//! level, the median gap between a parent's last byte (`responseEnd`) and the start of the
//! fetches of what it references (page → its stylesheets, scripts and images; style-1.css →
//! import.css; import.css → fonts and bg.svg). Then, for a live run of about 300 requests,
//! the longest main-thread task Chromium reports (`longtask` entries). `cargo xtask bench`
//! runs it; `CONNSCOPE_DIST` picks another build to compare.

use anyhow::{Context, Result};
use e2e::{dist, Browser, Engine};
use fantoccini::Locator;
use serde::Deserialize;
use std::time::Duration;
use testbed::{Config, Testbed};

const IDLE: Duration = Duration::from_millis(1200);
const RUNS: usize = 9;
/// After the app's page is idle, before a run: the browser finishes compiling the app's
/// WebAssembly in the background after it starts, and that must not fall on either loader.
const SETTLE: Duration = Duration::from_millis(1000);
const PEER: &str = include_str!("loader-peer.js");

#[derive(Deserialize)]
struct Entry {
    name: String,
    start: f64,
    end: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Starts a run with the Run button (so the observer below is in place first), waits for
/// it to end, and returns the page's resource entries and the longest task seen.
async fn run(b: &Browser, tb: &Testbed, query: &str) -> Result<(Vec<Entry>, f64)> {
    b.client.goto(&format!("{}?{query}", tb.app_url)).await?;
    b.wait_for_state(&["idle"], Duration::from_secs(20)).await?;
    tokio::time::sleep(SETTLE).await;
    b.client
        .execute(
            "window.benchLongest = 0; window.benchTasks = []; window.benchAt = performance.now(); new PerformanceObserver(l => { for (const e of l.getEntries()) { window.benchLongest = Math.max(window.benchLongest, e.duration); window.benchTasks.push(Math.round(e.startTime - window.benchAt) + ' ms: ' + Math.round(e.duration) + ' ms'); } }).observe({ type: 'longtask' });",
            vec![],
        )
        .await?;
    b.client.find(Locator::Css("button.primary")).await?.click().await?;
    b.wait_for_state(&["done", "failed"], Duration::from_secs(120)).await?;
    // Long tasks are reported after they end: give the last one a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let entries = b
        .client
        .execute(
            "return performance.getEntriesByType('resource').filter(e => e.name.includes('__connscope=')).map(e => ({ name: e.name, start: e.startTime, end: e.responseEnd }));",
            vec![],
        )
        .await?;
    let longest = b.client.execute("return window.benchLongest", vec![]).await?.as_f64().unwrap_or(0.0);
    let tasks = b.client.execute("return window.benchTasks.join(', ')", vec![]).await?;
    if longest > 0.0 {
        println!("  tasks of 50 ms or more (from the click on Run): {}", tasks.as_str().unwrap_or_default());
    }
    Ok((serde_json::from_value(entries)?, longest))
}

#[tokio::main]
async fn main() -> Result<()> {
    let tb = Testbed::start(Config { dist: Some(dist()?), idle_timeout: IDLE, ..Config::default() }).await?;
    let b = Browser::start(Engine::Chromium, &tb).await?;
    let levels: [(&str, &str, &[&str]); 3] = [
        ("page → stylesheets, scripts, images", "/page.html", &["/r/style-", "/r/script-", "/r/img-"]),
        ("style-1.css → import.css", "/r/style-1.css", &["/r/import.css"]),
        ("import.css → fonts, bg.svg", "/r/import.css", &["/r/font-", "/r/bg.svg"]),
    ];
    let keepalive = tb.origin("keepalive").context("no keepalive origin")?.to_string();
    // Per level, the median gap; and at the first level, the median time from one
    // reference's start to the next: what each start costs, paid once for every reference
    // started before the median one.
    let gaps_of = |entries: &[Entry], per_level: &mut Vec<Vec<f64>>, spacing: &mut Vec<f64>| -> Result<()> {
        for (k, (_, parent, children)) in levels.iter().enumerate() {
            let p = entries.iter().find(|e| e.name.contains(parent)).with_context(|| format!("no {parent}"))?;
            let mut starts: Vec<f64> = entries
                .iter()
                .filter(|e| children.iter().any(|c| e.name.contains(c)))
                .map(|e| e.start - p.end)
                .collect();
            per_level[k].push(median(starts.clone()));
            if k == 0 {
                starts.sort_by(f64::total_cmp);
                spacing.push(median(starts.windows(2).map(|w| w[1] - w[0]).collect()));
            }
        }
        Ok(())
    };
    let (mut ours, mut peer) = (vec![Vec::new(); levels.len()], vec![Vec::new(); levels.len()]);
    let (mut ours_spacing, mut peer_spacing) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        tokio::time::sleep(IDLE + Duration::from_millis(400)).await;
        let (entries, _) = run(&b, &tb, "scenario=keepalive").await?;
        gaps_of(&entries, &mut ours, &mut ours_spacing)?;
        tokio::time::sleep(IDLE + Duration::from_millis(400)).await;
        // In the app's page, once it is idle, as connscope's own runs start.
        b.client.goto(&tb.app_url).await?;
        b.wait_for_state(&["idle"], Duration::from_secs(20)).await?;
        tokio::time::sleep(SETTLE).await;
        let out = b.client.execute_async(PEER, vec![format!("{keepalive}/page.html").into()]).await?;
        let entries: Vec<Entry> =
            serde_json::from_value(out.clone()).with_context(|| format!("the peer loader failed: {out}"))?;
        gaps_of(&entries, &mut peer, &mut peer_spacing)?;
    }
    let range = |v: &[f64]| {
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        format!("{min:.1}–{max:.1}")
    };
    for ((what, _, _), (ours, peer)) in levels.iter().zip(ours.iter().zip(&peer)) {
        println!(
            "loader gap, {what}: {:.1} ms median over {RUNS} cold runs ({}); plain-JS peer {:.1} ms ({})",
            median(ours.clone()),
            range(ours),
            median(peer.clone()),
            range(peer),
        );
    }
    println!(
        "first level, from one reference's start to the next: {:.2} ms median ({}); plain-JS peer {:.2} ms ({})",
        median(ours_spacing.clone()),
        range(&ours_spacing),
        median(peer_spacing.clone()),
        range(&peer_spacing),
    );
    tokio::time::sleep(IDLE + Duration::from_millis(400)).await;
    let page = format!("{keepalive}/page.html?img=290&cdn=40");
    let query: String = form_urlencoded::Serializer::new(String::new()).append_pair("url", &page).finish();
    let (entries, longest) = run(&b, &tb, &query).await?;
    let longest = if longest > 0.0 { format!("{longest:.0} ms") } else { "none of 50 ms or more".to_string() };
    println!("longest main-thread task during a live run of {} requests (Chromium longtask): {longest}", entries.len());
    b.close().await;
    tb.shutdown(Duration::from_secs(1)).await;
    Ok(())
}
