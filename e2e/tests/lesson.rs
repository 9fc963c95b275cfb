//! The lesson (`?lesson=persistence`) in real browsers (Chromium, Firefox, WebKit), in
//! presentation mode at 1280×720: every step is reached by its own link, the Next button or
//! the → key, predicted, run, and revealed. Each reveal's figures are checked against the
//! testbed's log (the counts exactly, where the browser exposes the server's record) and
//! against the run's own rows (times), and the answer it names against the one the log
//! bears out. Every step's screenshot is saved (`target/e2e/<engine>-lesson-<n>-<key>.png`).

use anyhow::{ensure, Context, Result};
use connscope_core::lesson;
use e2e::{Browser, Engine, Row};
use fantoccini::key::Key;
use fantoccini::Locator;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use testbed::{Config, Served, Testbed};

const SOON: Duration = Duration::from_secs(20);

/// A reveal as the DOM shows it.
struct Shown {
    answer: Option<usize>,
    picked: Option<usize>,
    facts: BTreeMap<String, f64>,
}

async fn reveal(b: &Browser) -> Result<Shown> {
    let v: Value = b
        .js(r#"const r = document.querySelector('[data-reveal]');
               const facts = {};
               for (const f of r.querySelectorAll('[data-fact]')) facts[f.dataset.fact] = +f.dataset.value;
               return { answer: r.dataset.answer, picked: r.dataset.picked, facts };"#)
        .await?;
    let index = |k: &str| v[k].as_str().and_then(|s| s.parse().ok());
    Ok(Shown { answer: index("answer"), picked: index("picked"), facts: serde_json::from_value(v["facts"].clone())? })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Checks one step's reveal against the log and the rows; returns a line for the report.
fn check(step: &lesson::Step, tb: &Testbed, served: &[Served], rows: &[Row], shown: &Shown) -> Result<String> {
    let key = step.key;
    let origin = tb.origin(step.scenario).context("the step's origin")?.to_string();
    let log: Vec<&Served> = served.iter().filter(|s| s.origin == origin).collect();
    let mine: Vec<&Row> = rows.iter().filter(|r| r.origin() == origin).collect();
    let fact = |k: &str| shown.facts.get(k).copied().unwrap_or(f64::NAN);
    let n = log.len();
    ensure!(n > 0, "{key}: the log has no request to {origin}");
    let first = log.iter().min_by(|a, b| a.received_ms.total_cmp(&b.received_ms)).context("first")?;
    ensure!(first.request_number == 1, "{key}: the step did not start from cold: {first:?}");
    ensure!(
        fact("requests") as usize == n && mine.len() == n,
        "{key}: {} requests shown, {} rows, {n} served",
        fact("requests"),
        mine.len()
    );
    let exposed = mine.iter().all(|r| r.server_request.is_some());
    let opened = log.iter().filter(|s| s.request_number == 1).count();
    let (new, reused, unknown) =
        (fact("new") as usize, fact("reused") as usize, shown.facts.get("unknown").map_or(0, |u| *u as usize));
    ensure!(new + reused + unknown == n, "{key}: {new} + {reused} + {unknown} is not {n}");
    if exposed {
        ensure!(
            new == opened && reused == n - opened,
            "{key}: {new} new / {reused} reused shown; the log has {opened} connections for {n}"
        );
    } else {
        ensure!(new <= opened, "{key}: {new} new shown; the log has {opened} connections");
    }
    // The answer the log bears out (None: the step cannot tell it in this browser).
    let told = exposed || unknown == 0;
    let expected: Option<usize> = match step.measure {
        lesson::Measure::Connections => told.then_some(if opened == n {
            2
        } else if opened <= 1 {
            0
        } else {
            1
        }),
        lesson::Measure::InFlight => {
            ensure!(opened == 6, "{key}: 18 slow images on HTTP/1.1 took {opened} connections, not the browser's 6");
            ensure!(fact("peak") <= opened as f64, "{key}: peak {} above the {opened} connections", fact("peak"));
            let waited = mine.iter().filter(|r| r.phases.get("blocked").copied().unwrap_or(0.0) >= 10.0).count();
            ensure!(
                fact("queued") as usize == waited,
                "{key}: {} queued shown, {waited} rows waited 10 ms or more",
                fact("queued")
            );
            Some(1)
        }
        lesson::Measure::AfterIdle => {
            ensure!(fact("after-pause") as usize == n - 1, "{key}: {} after a pause", fact("after-pause"));
            if exposed {
                ensure!(
                    fact("after-pause-new") as usize == opened - 1,
                    "{key}: {} opened after a pause, log {opened}",
                    fact("after-pause-new")
                );
            }
            told.then_some(if opened == n { 1 } else { 0 })
        }
        lesson::Measure::PerConnection => {
            let most = log.iter().map(|s| s.request_number).max().unwrap_or(0);
            if exposed {
                ensure!(
                    fact("most-per-connection") as u32 == most,
                    "{key}: {} per connection shown, the log's most is {most}",
                    fact("most-per-connection")
                );
                Some(if most as usize >= n {
                    0
                } else if most <= 1 {
                    2
                } else {
                    1
                })
            } else {
                None
            }
        }
        lesson::Measure::HandshakeCost => {
            let handshakes: Vec<f64> = mine
                .iter()
                .filter(|r| r.reuse == "new")
                .map(|r| r.phases.get("tcp").copied().unwrap_or(0.0) + r.phases.get("tls").copied().unwrap_or(0.0))
                .filter(|h| *h > 0.0)
                .collect();
            let h = median(handshakes);
            ensure!(
                (fact("handshake-ms") - h).abs() < 0.01,
                "{key}: handshake {} shown, the rows' median is {h}",
                fact("handshake-ms")
            );
            ensure!((fact("saved-ms") - h * reused as f64).abs() < 0.05, "{key}: saved {}", fact("saved-ms"));
            // A TLS handshake cannot finish before the server's delayed answer arrives.
            ensure!(h >= 50.0, "{key}: a new connection's handshake took {h} ms, under the server's 50 ms round trip");
            Some(if h < 100.0 { 1 } else { 2 })
        }
        lesson::Measure::Hidden => {
            ensure!(unknown == n, "{key}: {unknown} of {n} unknown without Timing-Allow-Origin");
            Some(1)
        }
        lesson::Measure::BehindProxy => {
            let close = tb.origin("close").context("close")?.to_string();
            let behind: BTreeSet<u64> = served.iter().filter(|s| s.origin == close).map(|s| s.connection).collect();
            let named = mine.iter().filter(|r| r.upstream_connection.is_some()).count();
            if named == n {
                ensure!(
                    fact("upstream") as usize == behind.len(),
                    "{key}: {} behind shown, the close origin's log has {}",
                    fact("upstream"),
                    behind.len()
                );
                Some(if behind.len() == n { 1 } else { 0 })
            } else {
                ensure!(
                    named == 0 && !shown.facts.contains_key("upstream"),
                    "{key}: {named} of {n} rows name the hop behind, yet a figure for it is shown"
                );
                None
            }
        }
    };
    ensure!(
        shown.answer == expected,
        "{key}: the reveal names choice {:?}, the log bears out {expected:?}",
        shown.answer
    );
    Ok(format!(
        "  {key}: {n} requests, {new} new / {reused} reused / {unknown} unknown (log: {opened} connections), answer {:?}, figures {:?}\n",
        shown.answer,
        shown.facts
    ))
}

/// Opens `query` on the app and turns on presentation mode once the step is drawn.
async fn open(b: &Browser, tb: &Testbed, query: &str) -> Result<()> {
    b.client.goto(&format!("{}{query}", tb.app_url)).await?;
    b.wait_until("the lesson", "return document.querySelector('[data-lesson-step]') !== null", SOON).await?;
    b.js("Array.from(document.querySelectorAll('.top-actions button')).find(e => e.textContent === 'Presentation mode').click()")
        .await?;
    Ok(())
}

async fn walk(b: &Browser, tb: &Testbed) -> Result<String> {
    let name = b.engine.name();
    let lesson = lesson::find("persistence").context("the lesson")?;
    let mut out = String::new();
    b.client.set_window_size(1280, 720).await.context("the window's size")?;
    // The start screen links to the lesson and to each step (a link that names a scenario
    // does not run it: the lesson's first steps start from cold connections).
    b.client.goto(&format!("{}?scenario=close", tb.app_url)).await?;
    b.wait_until("the lesson links", "return document.querySelectorAll('[data-lesson-step-link]').length", SOON)
        .await?;
    let links = b
        .js("return Array.from(document.querySelectorAll('[data-lesson-step-link]')).map(a => a.getAttribute('href'))")
        .await?;
    ensure!(links.as_array().map_or(0, Vec::len) == lesson.steps.len(), "links: {links}");
    open(b, tb, "?lesson=persistence&step=1").await.context("step 1 by its link")?;
    for (i, step) in lesson.steps.iter().enumerate() {
        let n = i + 1;
        // Step 1 by its link; then Next, the → key, and a step's own link in turn.
        if n > 1 {
            match n % 3 {
                0 => b.client.find(Locator::Css("[data-lesson-next]")).await?.click().await.context("Next")?,
                1 => b.client.active_element().await?.send_keys(&Key::Right.to_string()).await.context("the → key")?,
                _ => open(b, tb, &format!("?lesson=persistence&step={n}"))
                    .await
                    .with_context(|| format!("step {n} by its link"))?,
            }
        }
        let at = format!(
            "return document.querySelector('[data-lesson-step=\"{n}\"]') !== null && document.querySelector('[data-reveal]') === null && document.querySelector('main.presenting') !== null && location.search"
        );
        let search = b.wait_until(&format!("step {n}"), &at, SOON).await?;
        ensure!(search.as_str() == Some(&format!("?lesson=persistence&step={n}")), "step {n}'s link: {search}");
        tb.take_served();
        let pick = i % step.choices.len();
        b.client.find(Locator::Css(&format!("[data-choice=\"{pick}\"]"))).await?.click().await.context("a choice")?;
        b.wait_until(
            &format!("step {n}'s reveal"),
            "return document.querySelector('[data-reveal]') !== null",
            Duration::from_secs(60),
        )
        .await?;
        let shown = reveal(b).await?;
        ensure!(shown.picked == Some(pick), "step {n}: picked {:?}", shown.picked);
        let served = tb.take_served();
        let rows = b.rows().await?;
        // On a projector: the figures and the chart's first rows on the first screen.
        let screen = b
            .js(r#"window.scrollTo(0, 0); const inner = window.innerHeight;
                   const reveal = document.querySelector('[data-reveal]').getBoundingClientRect();
                   const rows = Array.from(document.querySelectorAll('.waterfall [data-request-url]')).filter(r => r.getBoundingClientRect().bottom <= inner).length;
                   return { inner, reveal: reveal.bottom, rows };"#)
            .await?;
        b.screenshot(&format!("{name}-lesson-{n}-{}", step.key)).await?;
        ensure!(
            screen["reveal"].as_f64() <= screen["inner"].as_f64() && screen["rows"].as_u64().unwrap_or(0) >= 3,
            "step {n} at 1280×720: the figures and three rows of the chart are not on the first screen: {screen}"
        );
        out.push_str(&check(step, tb, &served, &rows, &shown).with_context(|| format!("{name}, step {n}"))?);
    }
    // Past the last step, → stays there.
    b.client.active_element().await?.send_keys(&Key::Right.to_string()).await?;
    ensure!(b.js("return location.search").await?.as_str() == Some("?lesson=persistence&step=9"), "past the end");
    Ok(out)
}

async fn run(engine: Engine) -> Result<()> {
    let tb = Testbed::start(Config { dist: Some(e2e::dist()?), ..Config::default() }).await?;
    let b = Browser::start(engine, &tb).await?;
    let mut result = walk(&b, &tb).await;
    if result.is_err() {
        // The page stopped (see `Browser::page_stopped`: in WebKit, a trap of its WebAssembly
        // engine), not the lesson: say so, and walk it once more, as scenarios.rs runs a
        // scenario again. A second stop, or any other failure, fails the test.
        if b.stopped_so_once_more("the lesson", "lesson").await.is_some() {
            result = walk(&b, &tb).await;
        }
    }
    if result.is_err() {
        let _ = b.screenshot(&format!("{}-lesson-failure", engine.name())).await;
    }
    b.close().await;
    tb.shutdown(Duration::from_secs(1)).await;
    let out = result?;
    println!("lesson in {}:\n{out}", engine.name());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_lesson_step_reveals_what_the_log_shows_in_chromium() -> Result<()> {
    run(Engine::Chromium).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_lesson_step_reveals_what_the_log_shows_in_firefox() -> Result<()> {
    run(Engine::Firefox).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_lesson_step_reveals_what_the_log_shows_in_webkit() -> Result<()> {
    run(Engine::WebKit).await
}
