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

/// As the page scrolls and the drawn rows (or lanes) of the chart `css` finds change at both
/// ends, the ones still drawn keep their elements, and the focused one its focus: nothing a
/// screen reader would hear as a new focus, nothing the keyboard's place is lost with.
/// Scrolled down a little at a time until the first drawn one changes; the focused one, near
/// the end of those drawn, stays drawn all the way.
async fn keeps_its_elements(b: &Browser, css: &str, what: &str) -> Result<()> {
    let css = serde_json::json!(css);
    let focused_at = b
        .js(&format!(
            r#"const rows = [...document.querySelectorAll({css})];
            const f = rows[Math.max(0, rows.length - 5)];
            f.focus({{ preventScroll: true }});
            window.__kept = rows; window.__focusedRow = f;
            window.__firstDrawn = rows[0].getAttribute('aria-posinset');
            return f.getAttribute('aria-posinset');"#
        ))
        .await?;
    b.wait_until(
        &format!("{what}: the first drawn one to change as the page scrolls down"),
        &format!("if (document.querySelector({css}).getAttribute('aria-posinset') !== window.__firstDrawn) return true; window.scrollBy(0, 60); return null;"),
        SOON,
    )
    .await?;
    let kept = b
        .js(&format!(
            r#"const now = new Map([...document.querySelectorAll({css})].map(r => [r.getAttribute('aria-posinset'), r]));
            const still = window.__kept.filter(k => now.has(k.getAttribute('aria-posinset')));
            return [still.length, still.filter(k => now.get(k.getAttribute('aria-posinset')) === k).length,
                    document.activeElement === window.__focusedRow, window.__focusedRow.isConnected];"#
        ))
        .await?;
    ensure!(
        kept[0].as_u64().is_some_and(|s| s > 0) && kept[0] == kept[1] && kept[2] == true && kept[3] == true,
        "{what}, after a scroll: [drawn before and still, of them the same elements, number {focused_at} still focused, its element still in the page] = {kept}"
    );
    Ok(())
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
        keeps_its_elements(b, ".waterfall [data-request-url]", &format!("{n} rows")).await?;

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
        keeps_its_elements(b, ".connections .lane", &format!("{n} rows' lanes")).await?;
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
