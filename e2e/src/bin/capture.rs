//! Captures real Resource Timing entries for the model's fixtures: runs connscope in each
//! browser against the testbed and saves the entries the app read, as `toJSON()` gives
//! them, into `core/tests/fixtures/<engine>-<scenario>.json`.
//!
//! `cargo run -p e2e --bin capture` (after `cargo xtask build`).

use anyhow::{Context, Result};
use e2e::{dist, workspace, Browser, Engine};
use serde_json::json;
use std::time::Duration;
use testbed::{Config, Testbed};

const RUNS: [(&str, &str); 6] = [
    ("keepalive", "scenario=keepalive&concurrency=1"),
    ("close", "scenario=close"),
    ("https-keepalive", "scenario=https-keepalive&concurrency=1"),
    ("https-close", "scenario=https-close"),
    ("h2", "scenario=h2"),
    ("opaque", "scenario=opaque"),
];

#[tokio::main]
async fn main() -> Result<()> {
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
        for (name, query) in RUNS {
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
