//! The built app in real browsers: it loads, shows its name, runs the default scenario and
//! draws a waterfall that keeps the DOM contract.

use e2e::{start_testbed, Browser, Engine};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_renders_and_runs_the_default_scenario_in_chromium() -> anyhow::Result<()> {
    let testbed = start_testbed().await?;
    let browser = Browser::start(Engine::Chromium, &testbed).await?;
    browser.client.goto(&testbed.app_url).await?;
    let state = browser.wait_for_state(&["done", "failed"], Duration::from_secs(30)).await?;
    let brand = browser.text("h1.brand").await?;
    assert_eq!(brand, "connscope");
    assert_eq!(state, "done", "the default run finished");
    let rows = browser.rows().await?;
    // The default page: itself, 2 stylesheets, import.css, 2 fonts, bg.svg, 3 scripts, 24 images.
    assert_eq!(rows.len(), 34, "{rows:#?}");
    assert!(rows.iter().all(|r| ["new", "reused", "unknown"].contains(&r.reuse.as_str())));
    let shot = browser.screenshot("chromium-default").await?;
    assert!(std::fs::metadata(&shot)?.len() > 10_000, "a real screenshot");
    browser.close().await;
    testbed.shutdown(Duration::from_secs(1)).await;
    Ok(())
}
