//! Benchmark: time from choosing a HAR of N synthetic requests to the waterfall painted, in
//! headless Chromium (real clock). `cargo xtask bench` runs it; prints the median of 5.
//!
//! usage: paint-bench <har file> <requests>

use anyhow::{bail, Context, Result};
use e2e::{start_testbed, Browser, Engine};
use fantoccini::Locator;
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(har), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse::<u64>().ok())) else {
        bail!("usage: paint-bench <har file> <requests>");
    };
    let har = std::path::Path::new(har).canonicalize().context("the HAR file")?;
    let tb = start_testbed().await?;
    let b = Browser::start(Engine::Chromium, &tb).await?;
    let mut times = Vec::new();
    for _ in 0..5 {
        // A scenario without autorun: the app waits, idle.
        b.client.goto(&format!("{}?scenario=keepalive", tb.app_url)).await?;
        b.wait_for_state(&["idle"], Duration::from_secs(10)).await?;
        b.client
            .execute(
                "document.addEventListener('change', () => { window.benchStart = performance.now(); }, true);",
                vec![],
            )
            .await?;
        b.client.find(Locator::Css("input[type=file]")).await?.send_keys(&har.display().to_string()).await?;
        let ms = b
            .client
            .execute_async(
                r#"const [n, done] = arguments;
                   const tick = () => {
                     if (document.querySelectorAll('.waterfall [data-request-url]').length >= n) {
                       requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now() - window.benchStart)));
                     } else { requestAnimationFrame(tick); }
                   };
                   tick();"#,
                vec![serde_json::json!(n)],
            )
            .await?;
        times.push(ms.as_f64().context("a time")?);
    }
    b.close().await;
    tb.shutdown(Duration::from_secs(1)).await;
    times.sort_by(f64::total_cmp);
    println!("results to painted, {n} requests (HAR chosen → waterfall painted, Chromium): {:.0} ms median of 5 (min {:.0}, max {:.0})", times[2], times[0], times[4]);
    Ok(())
}
