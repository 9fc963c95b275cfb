//! Captures real Resource Timing entries for the model's fixtures: runs connscope in each
//! browser against the testbed and saves the entries the app read, as `toJSON()` gives
//! them, into `core/tests/fixtures/<engine>-<scenario>.json`.
//!
//! Each file also holds the testbed's log of the run (`served`: which connection carried
//! each URL, as which request, when the connection was accepted and the request arrived),
//! so the model's tests can check every rule against the server's truth.
//!
//! `cargo run -p e2e --bin capture [--engine NAME] [--rounds N] [--out DIR] [name ...]`
//! (after `cargo xtask build`); names pick some of the runs below (all without). With
//! `--rounds N` each run is captured N times (files `<engine>-<name>-<round>.json`), to
//! study what a browser does now and then: write those outside the fixtures (`--out`).

use anyhow::{Context, Result};
use e2e::{dist, workspace, Browser, Engine};
use serde_json::json;
use std::time::Duration;
use testbed::{Config, Testbed};

const RUNS: [(&str, &str); 13] = [
    ("keepalive", "scenario=keepalive&concurrency=1"),
    ("keepalive-parallel", "scenario=keepalive"),
    ("proxy", "scenario=proxy"),
    ("cdn", "scenario=cdn"),
    ("close", "scenario=close"),
    ("https-keepalive", "scenario=https-keepalive&concurrency=1"),
    ("https-close", "scenario=https-close"),
    ("h2", "scenario=h2"),
    ("opaque", "scenario=opaque"),
    ("coalesce", "scenario=coalesce"),
    ("queue", "scenario=queue"),
    ("max-3", "scenario=max-3"),
    ("short-idle", "scenario=short-idle"),
];

#[tokio::main]
async fn main() -> Result<()> {
    let mut only: Vec<String> = Vec::new();
    let mut engines: Vec<String> = Vec::new();
    let mut rounds = 1_u32;
    let mut out = workspace().join("core/tests/fixtures");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().with_context(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "--engine" => engines.push(value("--engine")?),
            "--rounds" => rounds = value("--rounds")?.parse().context("--rounds: a number")?,
            "--out" => out = value("--out")?.into(),
            _ if arg.starts_with("--") => anyhow::bail!("unknown option {arg}"),
            _ => only.push(arg),
        }
    }
    std::fs::create_dir_all(&out)?;
    for engine in [Engine::Chromium, Engine::Firefox, Engine::WebKit] {
        if !engines.is_empty() && !engines.iter().any(|e| e == engine.name()) {
            continue;
        }
        if !engine.available() {
            eprintln!("skipping {}: no driver", engine.name());
            continue;
        }
        let tb = Testbed::start(Config {
            dist: Some(dist()?),
            idle_timeout: Duration::from_millis(1200),
            ..Config::default()
        })
        .await?;
        let b = Browser::start(engine, &tb).await?;
        let version = b.client.execute("return navigator.userAgent", vec![]).await?;
        let picked = RUNS.into_iter().filter(|(n, _)| only.is_empty() || only.iter().any(|o| o == n));
        for (round, (name, query)) in (1..=rounds).flat_map(|k| picked.clone().map(move |run| (k, run))) {
            tb.take_served();
            b.client.goto(&format!("{}?{query}&autorun=1", tb.app_url)).await?;
            b.wait_for_state(&["done"], Duration::from_secs(60))
                .await
                .with_context(|| format!("{} {name}", engine.name()))?;
            let entries = b
                .client
                .execute("return performance.getEntriesByType('resource').filter(e => e.name.includes('__connscope=')).map(e => e.toJSON());", vec![])
                .await?;
            // The page's time origin on the testbed's clock (epoch ms), to set the entries
            // beside the log: `Date.now()` counts whole ms, so the offset between it and
            // `timeOrigin + now()` is sampled for 20 ms and the largest kept. Meanwhile, the
            // clock's tick: the smallest step `now()` took.
            let clock = b
                .client
                .execute(
                    "let off = -Infinity, tick = Infinity, last = performance.now(); const until = last + 20; \
                     for (let now = last; now < until; now = performance.now()) { \
                       off = Math.max(off, Date.now() - (performance.timeOrigin + now)); \
                       if (now !== last) { tick = Math.min(tick, now - last); last = now; } } \
                     return [performance.timeOrigin + off, tick];",
                    vec![],
                )
                .await?;
            let origins: serde_json::Map<String, serde_json::Value> =
                tb.scenarios.iter().map(|s| (s.origin.clone(), json!(s.id))).collect();
            let doc = json!({
                "captured": {
                    "engine": engine.name(),
                    "user_agent": version,
                    "scenario": name,
                    "query": query,
                    "how": "connscope's own run in this browser through WebDriver (real clock), against the testbed on loopback; entries as PerformanceResourceTiming.toJSON() returned them, filtered to the run's token",
                    "origins": origins,
                    "time_origin_ms": clock[0],
                    "clock_tick_ms": clock[1],
                },
                "entries": entries,
                "served": tb.take_served().iter().map(|s| json!({
                    "url": connscope_core::url::strip_token(&format!("{}{}", s.origin, s.target)),
                    "connection": s.connection,
                    "request_number": s.request_number,
                    "accepted_ms": s.accepted_ms,
                    "received_ms": s.received_ms,
                })).collect::<Vec<_>>(),
            });
            let file = if rounds > 1 {
                format!("{}-{name}-{round}.json", engine.name())
            } else {
                format!("{}-{name}.json", engine.name())
            };
            let path = out.join(file);
            std::fs::write(&path, serde_json::to_string_pretty(&doc)?)?;
            println!("wrote {}", path.display());
            tokio::time::sleep(Duration::from_millis(1600)).await;
        }
        b.close().await;
        tb.shutdown(Duration::from_secs(1)).await;
    }
    Ok(())
}
