//! The pictures in the README: connscope in headless Chromium against the testbed with an
//! emulated round trip (`--rtt`), so the TLS handshakes a reused connection saves are wide
//! enough to see. Saves `docs/img/<name>.png`, each a screenshot of one part of the page.
//!
//! `cargo run -p e2e --bin readme-shots` (after `cargo xtask build`).

use anyhow::{Context, Result};
use e2e::{dist, workspace, Browser, Engine};
use fantoccini::Locator;
use std::time::Duration;
use testbed::{Config, Testbed};

/// The round trip added to every flight the server sends: a nearby server on a good network.
const RTT: Duration = Duration::from_millis(20);

/// (name, link query, dark theme, parts of the page: (CSS selector, file suffix)). Each
/// scenario is run once, on its own origin, so its pictures show its own handshakes.
type Shot = (&'static str, &'static str, bool, &'static [(&'static str, &'static str)]);
const SHOTS: [Shot; 3] = [
    (
        "https-keepalive",
        "scenario=https-keepalive&limit=14",
        false,
        &[(".waterfall", "waterfall"), (".connections", "connections")],
    ),
    ("https-close", "scenario=https-close&limit=14", false, &[(".waterfall", "waterfall")]),
    ("h2", "scenario=h2&limit=14", true, &[(".connections", "connections-dark")]),
];

/// Saves a picture of the first element matching `css` as `path`: scrolled to, with
/// nothing hovered or focused (the picture shows the chart, not a tooltip).
async fn shoot(b: &Browser, css: &str, path: &std::path::Path) -> Result<()> {
    let show =
        format!("document.activeElement?.blur(); document.querySelector('{css}').scrollIntoView({{block: 'start'}});");
    b.client.execute(&show, vec![]).await?;
    let png = b.client.find(Locator::Css(css)).await?.screenshot().await?;
    std::fs::write(path, png)?;
    println!("{} ({} KB)", path.display(), std::fs::metadata(path)?.len() / 1024);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let out = workspace().join("docs/img");
    std::fs::create_dir_all(&out)?;
    let tb = Testbed::start(Config { dist: Some(dist()?), rtt: RTT, ..Config::default() }).await?;
    let b = Browser::start(Engine::Chromium, &tb).await?;
    b.client.set_window_size(1100, 1400).await?;
    for (name, query, dark, parts) in SHOTS {
        b.client.goto(&format!("{}?{query}&autorun=1", tb.app_url)).await?;
        b.wait_for_state(&["done"], Duration::from_secs(60)).await.with_context(|| format!("{name}: {query}"))?;
        if dark {
            // The theme toggle goes system → dark.
            b.client.find(Locator::Css(".top-actions button")).await?.click().await?;
            b.wait_until(
                "the dark theme",
                "return document.documentElement.dataset.theme === 'dark'",
                Duration::from_secs(10),
            )
            .await?;
        }
        for (part, suffix) in parts {
            shoot(&b, part, &out.join(format!("{name}-{suffix}.png"))).await?;
        }
    }
    // A probe of the max-3 origin (idle timeout 5 s, at most 3 requests per connection).
    let origin = tb.origin("max-3").context("no max-3 origin")?;
    let link: String = form_urlencoded::byte_serialize(format!("{origin}/r/probe.css").as_bytes()).collect();
    b.client.goto(&format!("{}?probe={link}", tb.app_url)).await?;
    b.wait_until(
        "the probe to finish",
        "return document.querySelector('[data-probe]')?.getAttribute('data-probe') === 'done'",
        Duration::from_secs(120),
    )
    .await?;
    shoot(&b, ".probe", &out.join("probe-max-3.png")).await?;
    capture_report(&b, &tb, &out).await?;
    // Two runs compared, with the round trip: keep-alive against closing, over TLS. A tall
    // window, so the picture holds both runs.
    b.client.set_window_size(1100, 3200).await?;
    b.client.goto(&format!("{}?compare=https-keepalive,https-close&limit=14&autorun=1", tb.app_url)).await?;
    b.wait_until(
        "the comparison",
        "return document.querySelectorAll('[data-run-label=\"b\"] .waterfall [data-request-url]').length === 14",
        Duration::from_secs(90),
    )
    .await?;
    shoot(&b, ".compare", &out.join("compare-keepalive-close.png")).await?;
    b.close().await;
    tb.shutdown(Duration::from_secs(1)).await;
    lesson_shots(&out).await
}

/// Lesson steps on a projector (presentation mode, a 1280×720 window), each predicted, run
/// and revealed, on a testbed without the added round trip: the step's own origin has the
/// round trip it says it has.
async fn lesson_shots(out: &std::path::Path) -> Result<()> {
    let tb = Testbed::start(Config { dist: Some(dist()?), ..Config::default() }).await?;
    let b = Browser::start(Engine::Chromium, &tb).await?;
    b.client.set_window_size(1280, 720).await?;
    for (step, key) in [(3, "queue"), (6, "tls"), (9, "proxy")] {
        b.client.goto(&format!("{}?lesson=persistence&step={step}", tb.app_url)).await?;
        b.wait_until(
            "the step",
            "return document.querySelector('[data-lesson-step]') !== null",
            Duration::from_secs(20),
        )
        .await?;
        b.js("Array.from(document.querySelectorAll('.top-actions button')).find(e => e.textContent === 'Presentation mode').click(); document.querySelector('[data-choice=\"1\"]').click()").await?;
        b.wait_until("the reveal", "return document.querySelector('[data-reveal]') !== null", Duration::from_secs(60))
            .await?;
        b.js("document.activeElement?.blur(); window.scrollTo(0, 0)").await?;
        let path = out.join(format!("lesson-{key}.png"));
        std::fs::write(&path, b.client.screenshot().await?)?;
        println!("{} ({} KB)", path.display(), std::fs::metadata(&path)?.len() / 1024);
    }
    b.close().await;
    tb.shutdown(Duration::from_secs(1)).await;
    Ok(())
}

/// A site report: a page on the keep-alive origin that shards its images over two more
/// origins of the same host, takes four from the opaque origin (no Timing-Allow-Origin)
/// and preconnects to an origin it never uses, captured with the app's own bookmarklet.
async fn capture_report(b: &Browser, tb: &Testbed, out: &std::path::Path) -> Result<()> {
    b.client.goto(&format!("{}?scenario=keepalive", tb.app_url)).await?;
    let href = b
        .wait_until(
            "the bookmarklet",
            "return document.querySelector('a[data-capture-bookmarklet]')?.getAttribute('href')",
            Duration::from_secs(20),
        )
        .await?;
    let code = connscope_core::capture::decode_bookmarklet(href.as_str().unwrap_or_default())
        .context("the bookmarklet decodes")?;
    let keepalive = tb.origin("keepalive").context("no keepalive origin")?;
    let page =
        format!("{keepalive}/page.html?img=12&cdn=4&from=opaque&fonts=0&preconnect=short-idle&shards=max-3,queue");
    b.client.goto(&page).await?;
    b.wait_until("the page's load", "return document.readyState === 'complete'", Duration::from_secs(20)).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let main = b.client.window().await?;
    b.client.execute(&code, vec![]).await?;
    let window = loop {
        if let Some(w) = b.client.windows().await?.into_iter().find(|w| *w != main) {
            break w;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    b.client.switch_to_window(window).await?;
    b.wait_until(
        "the site report",
        "return document.querySelector('main')?.getAttribute('data-source') === 'capture' && document.querySelector('[data-site-report]')",
        Duration::from_secs(20),
    )
    .await?;
    shoot(b, ".site-report", &out.join("site-report.png")).await?;
    b.client.close_window().await?;
    b.client.switch_to_window(main).await?;
    Ok(())
}
