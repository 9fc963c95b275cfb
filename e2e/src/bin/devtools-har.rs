//! Records real Firefox DevTools HAR files of the testbed's default page: Firefox runs
//! under Xvfb with its DevTools open and the Network panel's auto-export on, so DevTools
//! itself writes the HAR when each page has loaded. Saved as
//! `tests/fixtures/firefox-devtools-keepalive.har` (default page) and `…-img4.har` (4 images).
//!
//! `cargo run -p e2e --bin devtools-har`

use anyhow::{Context, Result};
use e2e::workspace;
use fantoccini::ClientBuilder;
use std::process::{Command, Stdio};
use std::time::Duration;
use testbed::{Config, Testbed};

#[tokio::main]
async fn main() -> Result<()> {
    let out = std::env::temp_dir().join(format!("connscope-devtools-har-{}", std::process::id()));
    std::fs::create_dir_all(&out)?;
    let tb = Testbed::start(Config::default()).await?;
    let page = format!("{}/page.html", tb.origin("keepalive").context("keepalive origin")?);
    let display = ":71";
    let mut xvfb = Command::new("Xvfb")
        .args([display, "-screen", "0", "1400x1000x24"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("Xvfb")?;
    std::thread::sleep(Duration::from_millis(500));
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let gecko = std::env::var("GECKODRIVER").unwrap_or_else(|_| "geckodriver".into());
    let mut driver = Command::new(gecko)
        .args(["--port", &port.to_string()])
        .env("DISPLAY", display)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("geckodriver")?;
    std::thread::sleep(Duration::from_millis(800));
    let caps = serde_json::json!({ "moz:firefoxOptions": { "args": ["-devtools"], "prefs": {
        "devtools.netmonitor.har.enableAutoExportToFile": true,
        "devtools.netmonitor.har.defaultLogDir": out.display().to_string(),
        "devtools.netmonitor.har.defaultFileName": "devtools",
        "devtools.toolbox.selectedTool": "netmonitor",
    }}});
    let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
    builder.capabilities(caps.as_object().cloned().unwrap_or_default());
    let client = builder.connect(&format!("http://127.0.0.1:{port}")).await?;
    // Give DevTools time to open before the page loads, then time to export.
    tokio::time::sleep(Duration::from_secs(6)).await;
    client.goto(&page).await?;
    tokio::time::sleep(Duration::from_secs(6)).await;
    client.goto(&format!("{page}?img=4")).await?;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let _ = client.close().await;
    let _ = driver.kill();
    let _ = xvfb.kill();
    let fixtures = workspace().join("tests/fixtures");
    for (from, to) in
        [("devtools.har", "firefox-devtools-keepalive.har"), ("devtools-1.har", "firefox-devtools-keepalive-img4.har")]
    {
        std::fs::copy(out.join(from), fixtures.join(to)).with_context(|| format!("DevTools wrote no {from}"))?;
        println!("wrote tests/fixtures/{to}");
    }
    tb.shutdown(Duration::from_secs(1)).await;
    Ok(())
}
