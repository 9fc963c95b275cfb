//! Benchmark: drawing at scale, in headless Chromium (real clock), connscope beside
//! PerfCascade (npm `perf-cascade`, the HAR waterfall people embed) on the same HARs in the
//! same browser session. `cargo xtask bench` writes the HARs, installs PerfCascade into
//! `target/tools` and runs this. For each HAR it prints the median of `RUNS` of: file chosen
//! → waterfall painted, for both, and their ratio; at the largest size it also prints how
//! long hovering and selecting a row take to show and what scrolling the waterfall costs;
//! and, for a HAR only connscope is asked to open (20,000 requests), the time to painted.
//!
//! usage: paint-bench <perf-cascade dist folder> <har>:<requests>[:connscope-only] ...

use anyhow::{bail, Context, Result};
use e2e::{start_testbed, Browser, Engine};
use fantoccini::Locator;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Runs per size, each one connscope then PerfCascade, so the machine's noise (it is shared)
/// falls on both alike; the ratio is the median of the runs' ratios.
const RUNS: usize = 7;

/// The harness PerfCascade is timed in: a file input whose `change` starts the clock, the
/// file read and parsed, the SVG built and attached, as its README shows.
const PERF_CASCADE_PAGE: &str = r#"<!doctype html><meta charset="utf-8"><title>PerfCascade bench</title>
<link rel="stylesheet" href="perf-cascade.css"><script src="perf-cascade.min.js"></script>
<input type="file" id="f"><div id="out"></div>
<script>
document.getElementById('f').addEventListener('change', e => {
  window.benchStart = performance.now();
  const reader = new FileReader();
  reader.onload = () => {
    const har = JSON.parse(reader.result);
    const out = document.getElementById('out');
    out.textContent = '';
    out.appendChild(perfCascade.fromHar(har.log));
  };
  reader.readAsText(e.target.files[0]);
});
</script>"#;

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// Chooses `har` in the page's file input and waits until `painted` (a JS expression) holds,
/// then two frames; returns ms since the page's `benchStart`.
async fn choose_and_wait(b: &Browser, har: &Path, painted: &str) -> Result<f64> {
    b.client.find(Locator::Css("input[type=file]")).await?.send_keys(&har.display().to_string()).await?;
    let script = format!(
        r#"const done = arguments[0];
           const tick = () => {{
             if ({painted}) {{
               requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - window.benchStart)));
             }} else {{ requestAnimationFrame(tick); }}
           }};
           tick();"#
    );
    let ms = b.client.execute_async(&script, vec![]).await?;
    ms.as_f64().context("a time")
}

/// How long a person takes from the page's opening to choosing a file, at the least: the
/// page is loaded and idle.
const TO_CHOOSE: Duration = Duration::from_secs(1);

/// A blank page, and a moment for the last page's teardown to finish.
async fn settle(b: &Browser) -> Result<()> {
    b.client.goto("about:blank").await?;
    tokio::time::sleep(Duration::from_millis(400)).await;
    Ok(())
}

async fn connscope_paint(b: &Browser, app_url: &str, har: &Path, n: u64) -> Result<f64> {
    settle(b).await?;
    // A scenario without autorun: the app waits, idle.
    b.client.goto(&format!("{app_url}?scenario=keepalive")).await?;
    b.wait_for_state(&["idle"], Duration::from_secs(10)).await?;
    tokio::time::sleep(TO_CHOOSE).await;
    // When the import's progress line first shows, and the longest task until painted.
    b.client
        .execute(
            r#"document.addEventListener('change', () => {
                 window.benchStart = performance.now();
                 window.benchProgress = null;
                 window.benchLongest = 0;
                 const seen = () => { if (window.benchProgress === null && document.querySelector('.progress.importing')) window.benchProgress = performance.now() - window.benchStart; };
                 new MutationObserver(seen).observe(document.body, { childList: true, subtree: true, characterData: true });
                 new PerformanceObserver(l => { for (const e of l.getEntries()) window.benchLongest = Math.max(window.benchLongest, e.duration); }).observe({ type: 'longtask' });
               }, true);"#,
            vec![],
        )
        .await?;
    // Painted: the run has all its rows, and the rows in view are drawn.
    let painted = format!(
        "(document.querySelector('main[data-row-count=\"{n}\"]') && document.querySelector('.waterfall [data-request-url]')) || document.querySelectorAll('.waterfall [data-request-url]').length >= {n}"
    );
    choose_and_wait(b, har, &painted).await
}

async fn perf_cascade_paint(b: &Browser, page: &Path, har: &Path, n: u64) -> Result<f64> {
    settle(b).await?;
    b.client.goto(&format!("file://{}", page.display())).await?;
    tokio::time::sleep(TO_CHOOSE).await;
    // PerfCascade draws one `.row-item` group per entry (and one for the page).
    let painted = format!("document.querySelectorAll('#out .row-item').length >= {n}");
    choose_and_wait(b, har, &painted).await
}

/// With a run of `n` rows open: the work from a mouse entering a row to its tooltip laid out,
/// and from a click on a row to the details of it laid out (the frame that shows it follows), each the median of 20 rows in
/// view. Both include Yew's render and the browser's style and layout for the change.
async fn respond(b: &Browser) -> Result<((f64, f64, f64), (f64, f64, f64))> {
    let times = b
        .client
        .execute_async(
            r#"const done = arguments[0];
               const rows = [...document.querySelectorAll('.waterfall g[data-request-url]')].slice(0, 20);
               const hover = [], select = [];
               const frame = () => new Promise(r => requestAnimationFrame(() => r()));
               // The next task: Yew renders in microtasks after the event, so by then the
               // change is made; what is timed is the work, not the wait for a frame.
               const task = () => new Promise(r => { const c = new MessageChannel(); c.port1.onmessage = () => r(); c.port2.postMessage(0); });
               (async () => {
                 for (const row of rows) {
                   await frame();
                   let t0 = performance.now();
                   // What a mouse moving onto the row fires.
                   row.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
                   row.dispatchEvent(new MouseEvent('mouseenter', { bubbles: false }));
                   await task();
                   const tip = document.querySelector('#wf-tip');
                   if (!tip || !tip.textContent.includes(row.getAttribute('data-request-url'))) { done('no tooltip for ' + row.getAttribute('data-request-url')); return; }
                   tip.getBoundingClientRect();
                   hover.push(performance.now() - t0);
                   row.dispatchEvent(new MouseEvent('mouseout', { bubbles: true }));
                   row.dispatchEvent(new MouseEvent('mouseleave', { bubbles: false }));
                   await frame();
                   t0 = performance.now();
                   row.dispatchEvent(new MouseEvent('click', { bubbles: true }));
                   await task();
                   const details = document.querySelector('.details');
                   if (!details || !details.textContent.includes(row.getAttribute('data-request-url'))) { done('no details for ' + row.getAttribute('data-request-url')); return; }
                   details.getBoundingClientRect();
                   select.push(performance.now() - t0);
                 }
                 done({ hover, select });
               })();"#,
            vec![],
        )
        .await?;
    if let Some(error) = times.as_str() {
        bail!("{error}");
    }
    let list = |k: &str| -> Vec<f64> {
        times[k].as_array().map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect()).unwrap_or_default()
    };
    let (hover, select) = (list("hover"), list("select"));
    if hover.is_empty() || select.is_empty() {
        bail!("no rows to hover");
    }
    Ok((median(hover), median(select)))
}

/// With a run of `n` rows open, the page scrolled down the waterfall a step at a time (400
/// px, more than the chart's view step, so each step draws new rows and drops old ones):
/// from the scroll to the new rows in the page and laid out, the median of 20 steps; and how
/// many of the rows drawn both before and after a step kept their elements (the rest were
/// built again). The time includes the wait for the frame the chart measures its view in.
async fn scrolling(b: &Browser) -> Result<((f64, f64, f64), u64, u64)> {
    let out = b
        .client
        .execute_async(
            r#"const done = arguments[0];
               const frame = () => new Promise(r => requestAnimationFrame(() => r()));
               const rows = () => [...document.querySelectorAll('.waterfall g[data-request-url]')];
               document.querySelector('.waterfall svg.chart').scrollIntoView();
               (async () => {
                 await frame(); await frame();
                 const times = []; let both = 0, kept = 0;
                 for (let i = 0; i < 20; i++) {
                   await frame();
                   const ends = rs => rs.length ? rs[0].getAttribute('aria-posinset') + '-' + rs[rs.length - 1].getAttribute('aria-posinset') : '';
                   const before = rows(), was = ends(before);
                   const changed = new Promise(r => { const o = new MutationObserver(() => {
                     if (ends(rows()) !== was) { o.disconnect(); r(); }
                   }); o.observe(document.querySelector('.waterfall svg.chart'), { childList: true }); });
                   const t0 = performance.now();
                   window.scrollBy(0, 400);
                   const late = await Promise.race([changed.then(() => false), new Promise(r => setTimeout(() => r(true), 2000))]);
                   if (late) { done('step ' + i + ': no new rows drawn within 2 s of a scroll'); return; }
                   document.querySelector('.waterfall svg.chart').getBoundingClientRect();
                   times.push(performance.now() - t0);
                   const now = new Map(rows().map(r => [r.getAttribute('aria-posinset'), r]));
                   for (const r of before) {
                     const p = r.getAttribute('aria-posinset');
                     if (now.has(p)) { both++; if (now.get(p) === r) kept++; }
                   }
                 }
                 done({ times, both, kept });
               })();"#,
            vec![],
        )
        .await?;
    if let Some(error) = out.as_str() {
        bail!("{error}");
    }
    let times: Vec<f64> =
        out["times"].as_array().map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect()).unwrap_or_default();
    if times.is_empty() {
        bail!("no scroll steps timed");
    }
    Ok((median(times), out["both"].as_u64().unwrap_or(0), out["kept"].as_u64().unwrap_or(0)))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((pc_dir, hars)) = args.split_first() else {
        bail!("usage: paint-bench <perf-cascade dist folder> <har>:<requests>[:connscope-only] ...");
    };
    let pc_dir = Path::new(pc_dir).canonicalize().context("the PerfCascade folder")?;
    let page = pc_dir.join("bench.html");
    std::fs::write(&page, PERF_CASCADE_PAGE).context("writing the PerfCascade harness")?;
    let mut cases: Vec<(PathBuf, u64, bool)> = Vec::new();
    for arg in hars {
        let mut parts = arg.split(':');
        let (Some(path), Some(n)) = (parts.next(), parts.next().and_then(|n| n.parse().ok())) else {
            bail!("{arg}: expected <har>:<requests>");
        };
        let path = Path::new(path).canonicalize().with_context(|| path.to_string())?;
        cases.push((path, n, parts.next() == Some("connscope-only")));
    }
    let tb = start_testbed().await?;
    let b = Browser::start(Engine::Chromium, &tb).await?;
    b.client.set_window_size(1280, 900).await?;
    let mut largest = None;
    for (har, n, only) in &cases {
        let runs = if *n > 10_000 { 3 } else { RUNS };
        let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for k in 0..runs {
            // Each from a blank page left to settle, the two in alternating order: neither
            // pays for the other's teardown more often.
            let (c, p) = if k % 2 == 0 || *only {
                let c = connscope_paint(&b, &tb.app_url, har, *n).await?;
                (c, if *only { None } else { Some(perf_cascade_paint(&b, &page, har, *n).await?) })
            } else {
                let p = perf_cascade_paint(&b, &page, har, *n).await?;
                (connscope_paint(&b, &tb.app_url, har, *n).await?, Some(p))
            };
            ours.push(c);
            if let Some(p) = p {
                theirs.push(p);
                ratios.push(p / c);
            }
        }
        let (c, cmin, cmax) = median(ours);
        if *only {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let progress = b.client.execute("return window.benchProgress", vec![]).await?.as_f64();
            let longest = b.client.execute("return window.benchLongest", vec![]).await?.as_f64().unwrap_or(0.0);
            println!(
                "HAR of {n} requests opened (file chosen → waterfall painted, Chromium): connscope {c:.0} ms (median of {runs}; {cmin:.0}–{cmax:.0}); in the last run the progress line showed after {} and the longest task took {longest:.0} ms",
                progress.map_or("— (never)".to_string(), |p| format!("{p:.0} ms"))
            );
            continue;
        }
        let (p, pmin, pmax) = median(theirs);
        let (ratio, rmin, rmax) = median(ratios);
        println!(
            "HAR of {n} requests, file chosen → waterfall painted (Chromium, median of {runs}, taken in turns): connscope {c:.0} ms ({cmin:.0}–{cmax:.0}), PerfCascade 3.0.3 {p:.0} ms ({pmin:.0}–{pmax:.0}): connscope {ratio:.1}× faster (median of the runs' ratios; {rmin:.1}–{rmax:.1})"
        );
        if largest.as_ref().is_none_or(|(m, _)| n > m) {
            largest = Some((*n, har.clone()));
        }
    }
    if let Some((n, har)) = largest {
        connscope_paint(&b, &tb.app_url, &har, n).await?;
        let ((h, hmin, hmax), (s, smin, smax)) = respond(&b).await?;
        println!("with {n} rows: hover → tooltip laid out {h:.1} ms median of 20 rows ({hmin:.1}–{hmax:.1}); click → details laid out {s:.1} ms ({smin:.1}–{smax:.1})");
        let ((t, tmin, tmax), both, kept) = scrolling(&b).await?;
        println!("with {n} rows: scroll 400 px → new rows drawn and laid out {t:.1} ms median of 20 steps ({tmin:.1}–{tmax:.1}), one frame's wait included; of the rows drawn both before and after a step, {kept} of {both} kept their elements");
    }
    b.close().await;
    tb.shutdown(Duration::from_secs(1)).await;
    Ok(())
}
