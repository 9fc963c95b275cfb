//! Captures real Resource Timing entries for the model's fixtures: runs connscope in each
//! browser against the testbed and saves the entries the app read, as `toJSON()` gives
//! them, into `core/tests/fixtures/<engine>-<scenario>.json`.
//!
//! Each file also holds the testbed's log of the run (`served`: which connection carried
//! each URL, as which request, when the connection was accepted and the request arrived),
//! so the model's tests can check every rule against the server's truth.
//!
//! `cargo run -p e2e --bin capture [name ...]` (after `cargo xtask build`); names pick
//! some of the runs below (all without).

use anyhow::{Context, Result};
use e2e::{dist, workspace, Browser, Engine};
use serde_json::json;
use std::time::Duration;
use testbed::{Config, Testbed};

const RUNS: [(&str, &str); 10] = [
    ("keepalive", "scenario=keepalive&concurrency=1"),
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
    let only: Vec<String> = std::env::args().skip(1).collect();
    let out = workspace().join("core/tests/fixtures");
    std::fs::create_dir_all(&out)?;
    for engine in [Engine::Chromium, Engine::Firefox, Engine::WebKit] {
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
        for (name, query) in RUNS.into_iter().filter(|(n, _)| only.is_empty() || only.iter().any(|o| o == n)) {
            tb.take_served();
            b.client.goto(&format!("{}?{query}&autorun=1", tb.app_url)).await?;
            b.wait_for_state(&["done"], Duration::from_secs(60))
                .await
                .with_context(|| format!("{} {name}", engine.name()))?;
            let entries = b
                .client
                .execute("return performance.getEntriesByType('resource').filter(e => e.name.includes('__connscope=')).map(e => e.toJSON());", vec![])
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
            let path = out.join(format!("{}-{name}.json", engine.name()));
            std::fs::write(&path, serde_json::to_string_pretty(&doc)?)?;
            println!("wrote {}", path.display());
            tokio::time::sleep(Duration::from_millis(1600)).await;
        }
        b.close().await;
        tb.shutdown(Duration::from_secs(1)).await;
    }
    Ok(())
}
