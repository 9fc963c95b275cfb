//! Thousands of requests in real browsers (Chromium, Firefox and WebKit): a HAR of 1,000 and
//! one of 5,000 opens; the root says how many rows the run has; the charts draw the rows and
//! lanes near view, each with the whole DOM contract, and draw the others as the page
//! scrolls to them; the keyboard reaches the first and the last request; screenshots of
//! both charts at both sizes are saved in target/e2e for a person to look at.

use anyhow::{ensure, Context, Result};
use e2e::{start_testbed, Browser, Engine};
use fantoccini::key::Key;
use std::time::Duration;

const SOON: Duration = Duration::from_secs(30);

async fn count(b: &Browser, css: &str) -> Result<u64> {
    b.js(&format!("return document.querySelectorAll({}).length", serde_json::json!(css)))
        .await?
        .as_u64()
        .context("a count")
}

async fn scale(engine: Engine) -> Result<()> {
    let tb = start_testbed().await?;
    let b = Browser::start(engine, &tb).await?;
    b.client.set_window_size(1280, 900).await?;
    let result = checks(&b, &tb.app_url).await;
    if result.is_err() {
        let _ = b.screenshot(&format!("{}-scale-failure", engine.name())).await;
    }
    b.close().await;
    tb.shutdown(Duration::from_secs(1)).await;
    result
}

async fn checks(b: &Browser, app_url: &str) -> Result<()> {
    let name = b.engine.name();
    for n in [1_000usize, 5_000] {
        let requests = connscope_core::synthetic::requests(n);
        let analysis = connscope_core::analyse(&requests);
        let lanes_total = analysis.truth_connections.len();
        let har = connscope_core::har::export("synthetic", &requests, &analysis, 1.7e12);
        let path = e2e::workspace().join(format!("target/e2e/{name}-scale-{n}.har"));
        std::fs::write(&path, serde_json::to_string(&har)?)?;

        b.client.goto(&format!("{app_url}?scenario=keepalive")).await?;
        b.wait_for_state(&["idle"], SOON).await?;
        b.choose_file(&path).await?;
        b.wait_until(
            &format!("data-row-count={n}"),
            &format!("return document.querySelector('main[data-row-count=\"{n}\"]') !== null && document.querySelector('.waterfall [data-request-url]') !== null"),
            SOON,
        )
        .await?;

        // Only rows near view are drawn, and every one of them keeps the contract.
        let drawn = count(b, ".waterfall [data-request-url]").await?;
        ensure!(drawn > 0 && drawn < 300, "{n} rows: {drawn} drawn (expected the ones near view)");
        let whole = b.js(
                        "return [...document.querySelectorAll('.waterfall [data-request-url]')].every(r =>
                ['data-reuse', 'data-connection', 'data-inferred-reuse', 'data-agreement', 'data-protocol', 'data-kind', 'data-total', 'aria-label', 'aria-posinset', 'aria-setsize']
                  .every(a => r.hasAttribute(a)) && r.querySelector('.seg'))",
        )
        .await?;
        ensure!(whole == serde_json::Value::Bool(true), "a drawn row misses part of the contract");
        let setsize =
            b.js("return document.querySelector('.waterfall [data-request-url]').getAttribute('aria-setsize')").await?;
        ensure!(setsize.as_str() == Some(n.to_string().as_str()), "aria-setsize {setsize}");

        b.js("document.querySelector('.waterfall').scrollIntoView()").await?;
        b.wait_until(
            "the rows in view",
            "return document.querySelector('.waterfall [aria-posinset=\"1\"]') !== null",
            SOON,
        )
        .await?;
        b.screenshot(&format!("{name}-scale-{n}-waterfall")).await?;

        // Scrolled to its end, the chart draws its last rows.
        b.js("const s = document.querySelector('.waterfall svg.chart'); const r = s.getBoundingClientRect(); window.scrollBy(0, r.bottom - window.innerHeight + 10);").await?;
        b.wait_until(
            "the last row, drawn once scrolled to",
            &format!("return document.querySelector('.waterfall [aria-posinset=\"{n}\"]') !== null"),
            SOON,
        )
        .await?;
        ensure!(count(b, ".waterfall [aria-posinset=\"1\"]").await? == 0, "the first row is no longer drawn");
        b.screenshot(&format!("{name}-scale-{n}-waterfall-end")).await?;

        // The keyboard reaches every request: Home, End and the arrows move the focus.
        let focused = "const a = document.activeElement; return (a && a.getAttribute('aria-posinset'))";
        b.js(&format!("document.querySelector('.waterfall [aria-posinset=\"{n}\"]').focus()")).await?;
        b.client.active_element().await?.send_keys(&Key::Home.to_string()).await?;
        b.wait_until("Home: the first request", &format!("{focused} === '1' || null;"), SOON).await?;
        b.client.active_element().await?.send_keys(&Key::Down.to_string()).await?;
        b.wait_until("Down: the second request", &format!("{focused} === '2' || null;"), SOON).await?;
        b.client.active_element().await?.send_keys(&Key::End.to_string()).await?;
        b.wait_until(&format!("End: request {n}"), &format!("{focused} === '{n}' || null;"), SOON).await?;
        b.wait_for_text(".details", &format!("/r/{}.svg", n - 1), SOON).await?;

        // The connection view: lanes near view, the total named.
        b.js("document.querySelector('.connections').scrollIntoView()").await?;
        let lanes = count(b, ".connections .lane").await? as usize;
        ensure!(lanes > 0 && lanes < lanes_total, "{lanes} of {lanes_total} lanes drawn");
        let label = b.js("return document.querySelector('.connections svg.chart').getAttribute('aria-label')").await?;
        ensure!(label.as_str() == Some(format!("{lanes_total} connections").as_str()), "{label}");
        b.screenshot(&format!("{name}-scale-{n}-connections")).await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_requests_in_chromium() -> Result<()> {
    scale(Engine::Chromium).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_requests_in_firefox() -> Result<()> {
    scale(Engine::Firefox).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_requests_in_webkit() -> Result<()> {
    scale(Engine::WebKit).await
}
