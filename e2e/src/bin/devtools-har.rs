//! Records real DevTools HAR files of the testbed's default page, saved by each
//! browser's own DevTools, not by connscope:
//!
//! - **Firefox**: Firefox runs under Xvfb with its DevTools open and the Network panel's
//!   auto-export on, so DevTools itself writes the HAR when each page has loaded
//!   (`firefox-devtools-keepalive.har`, and `…-img4.har` with 4 images).
//! - **Chromium**: the DevTools front-end that ships inside Chromium (served by its
//!   remote-debugging port at `/devtools/inspector.html`) is opened on the Network panel
//!   and inspects a second tab, which loads the page; then the panel's own "Export HAR
//!   (sanitized)" action runs — the function its toolbar button is bound to — and the file
//!   it saves is taken from Chromium's download folder (`chromium-devtools-<scenario>.har`
//!   for keepalive, close and h2).
//! - **WebKit**: WebKitGTK's MiniBrowser runs under Xvfb with its remote Web Inspector
//!   served over HTTP (`WEBKIT_INSPECTOR_HTTP_SERVER`); that Web Inspector is opened in
//!   Chromium on its Network tab and navigates the inspected page; then the Network table's
//!   own HAR export runs (`_exportHAR`: WebKit's `HARBuilder`). The remote inspector's host
//!   cannot write files, so its save call is caught and the text it was given — the
//!   `JSON.stringify` of WebKit's archive — is written unchanged
//!   (`webkit-devtools-<scenario>.har` for keepalive and h2).
//!
//! `cargo run -p e2e --bin devtools-har [firefox|chromium|webkit]` (all when no argument).

use anyhow::{bail, Context, Result};
use e2e::{chromium_capabilities, connect_webdriver, free_port, start_xvfb, workspace};
use fantoccini::{wd::WindowHandle, Client};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use testbed::{Config, Testbed};

#[tokio::main]
async fn main() -> Result<()> {
    let which = std::env::args().nth(1);
    let tb = Testbed::start(Config::default()).await?;
    if which.as_deref().is_none_or(|w| w == "firefox") {
        firefox(&tb).await?;
    }
    if which.as_deref().is_none_or(|w| w == "chromium") {
        chromium(&tb).await?;
    }
    if which.as_deref().is_none_or(|w| w == "webkit") {
        webkit(&tb).await?;
    }
    tb.shutdown(Duration::from_secs(1)).await;
    Ok(())
}

fn scratch(name: &str) -> Result<PathBuf> {
    let out = std::env::temp_dir().join(format!("connscope-devtools-har-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&out)?;
    Ok(out)
}

/// Kills the driver (and with it the browser) however the recording ends.
struct Killed(Vec<Child>);

impl Drop for Killed {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

async fn firefox(tb: &Testbed) -> Result<()> {
    let out = scratch("firefox")?;
    let page = format!("{}/page.html", tb.origin("keepalive").context("keepalive origin")?);
    let (xvfb, display) = start_xvfb("1400x1000x24")?;
    let port = free_port()?;
    let gecko = std::env::var("GECKODRIVER").unwrap_or_else(|_| "geckodriver".into());
    let driver = Command::new(gecko)
        .args(["--port", &port.to_string()])
        .env("DISPLAY", &display)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("geckodriver")?;
    let _killed = Killed(vec![driver, xvfb]);
    let caps = json!({ "moz:firefoxOptions": { "args": ["-devtools"], "prefs": {
        "devtools.netmonitor.har.enableAutoExportToFile": true,
        "devtools.netmonitor.har.defaultLogDir": out.display().to_string(),
        "devtools.netmonitor.har.defaultFileName": "devtools",
        "devtools.toolbox.selectedTool": "netmonitor",
    }}});
    let client = connect_webdriver(port, caps).await?;
    // Give DevTools time to open before the page loads, then time to export.
    tokio::time::sleep(Duration::from_secs(6)).await;
    client.goto(&page).await?;
    tokio::time::sleep(Duration::from_secs(6)).await;
    client.goto(&format!("{page}?img=4")).await?;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let _ = client.close().await;
    let fixtures = workspace().join("core/tests/fixtures");
    for (from, to) in
        [("devtools.har", "firefox-devtools-keepalive.har"), ("devtools-1.har", "firefox-devtools-keepalive-img4.har")]
    {
        std::fs::copy(out.join(from), fixtures.join(to)).with_context(|| format!("DevTools wrote no {from}"))?;
        println!("wrote core/tests/fixtures/{to}");
    }
    Ok(())
}

fn chromedriver(port: u16) -> Result<Child> {
    let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("chromedriver")
}

async fn chromium(tb: &Testbed) -> Result<()> {
    let downloads = scratch("chromium")?;
    let debug_port = free_port()?;
    let port = free_port()?;
    let _killed = Killed(vec![chromedriver(port)?]);
    let mut caps = chromium_capabilities(&[
        "--window-size=1400,1000".into(),
        format!("--remote-debugging-port={debug_port}"),
        format!("--ignore-certificate-errors-spki-list={}", tb.tls_spki_sha256),
    ]);
    caps["goog:chromeOptions"]["prefs"] = json!({
        "download.default_directory": downloads.display().to_string(),
        "download.prompt_for_download": false,
        // Chromium blocks a page's second download that no click started.
        "profile.default_content_setting_values.automatic_downloads": 1,
    });
    let client = connect_webdriver(port, caps).await?;
    let page_window = client.window().await?;
    // The page tab's DevTools target id, from the debugging port's own list.
    let devtools_window = client.new_window(true).await?.handle;
    client.switch_to_window(devtools_window.clone()).await?;
    client.goto(&format!("http://127.0.0.1:{debug_port}/json/list")).await?;
    let text = client.execute("return document.body.innerText", vec![]).await?;
    let list: Value =
        text.as_str().and_then(|s| serde_json::from_str(s).ok()).context("the debugging port's target list")?;
    // The other page is the tab WebDriver opened first.
    let target = list
        .as_array()
        .and_then(|l| l.iter().find(|t| t["type"] == "page" && !t["url"].as_str().unwrap_or("").contains("/json/list")))
        .and_then(|t| t["id"].as_str())
        .with_context(|| format!("no page to inspect in {list}"))?
        .to_string();
    client
        .goto(&format!(
            "http://127.0.0.1:{debug_port}/devtools/inspector.html?ws=127.0.0.1:{debug_port}/devtools/page/{target}&panel=network"
        ))
        .await?;
    wait_for_network_panel(&client).await?;

    let fixtures = workspace().join("core/tests/fixtures");
    for scenario in ["keepalive", "close", "h2"] {
        let page = format!("{}/page.html", tb.origin(scenario).with_context(|| format!("{scenario} origin"))?);
        let before = har_files(&downloads)?;
        record_page(&client, &page_window, &devtools_window, &page).await?;
        let saved = wait_for_new_har(&downloads, &before).await?;
        let to = format!("chromium-devtools-{scenario}.har");
        std::fs::copy(&saved, fixtures.join(&to))?;
        println!("wrote core/tests/fixtures/{to}");
    }
    let _ = client.close().await;
    Ok(())
}

async fn wait_for_network_panel(client: &Client) -> Result<()> {
    let started = Instant::now();
    loop {
        let ready = client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 import('/devtools/panels/network/network.js')
                   .then(m => done(!!m.NetworkPanel.NetworkPanel.instance().networkLogView))
                   .catch(e => done(false));",
                vec![],
            )
            .await;
        if matches!(ready, Ok(Value::Bool(true))) {
            // The panel records from here on.
            tokio::time::sleep(Duration::from_secs(1)).await;
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("the DevTools Network panel did not open: {ready:?}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Loads `page` in the inspected tab (the panel clears its log on navigation), waits
/// until it has loaded and gone quiet, then runs the panel's "Export HAR (sanitized)".
async fn record_page(client: &Client, page_window: &WindowHandle, devtools: &WindowHandle, page: &str) -> Result<()> {
    client.switch_to_window(page_window.clone()).await?;
    client.goto(page).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    client.switch_to_window(devtools.clone()).await?;
    client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             import('/devtools/panels/network/network.js')
               .then(m => m.NetworkPanel.NetworkPanel.instance().networkLogView.exportAll({sanitize: true}))
               .then(() => done(true), e => done(String(e)));",
            vec![],
        )
        .await
        .context("DevTools' Export HAR")?;
    Ok(())
}

fn har_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == "har") {
            files.push(p);
        }
    }
    Ok(files)
}

async fn wait_for_new_har(dir: &Path, before: &[PathBuf]) -> Result<PathBuf> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if let Some(p) = har_files(dir)?.into_iter().find(|p| !before.contains(p)) {
            return Ok(p);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    bail!("DevTools saved no HAR into {}", dir.display())
}

async fn webkit(tb: &Testbed) -> Result<()> {
    let (xvfb, display) = start_xvfb("1400x1000x24")?;
    let inspector_port = free_port()?;
    let browser = Command::new("/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser")
        .args(["--enable-developer-extras=true", "--ignore-tls-errors", "about:blank"])
        .env("DISPLAY", &display)
        .env("WEBKIT_INSPECTOR_HTTP_SERVER", format!("127.0.0.1:{inspector_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("MiniBrowser (apt-get install webkit2gtk-driver)")?;
    let port = free_port()?;
    let _killed = Killed(vec![chromedriver(port)?, browser, xvfb]);
    let caps = chromium_capabilities(&["--window-size=1400,1000".into()]);
    let client = connect_webdriver(port, caps).await?;
    // The inspector's own list names the page's socket.
    let started = Instant::now();
    let target = loop {
        if client.goto(&format!("http://127.0.0.1:{inspector_port}/")).await.is_ok() {
            let html = client.source().await?;
            if let Some(at) = html.find("/socket/") {
                let rest = &html[at..];
                break rest[..rest.find('\'').unwrap_or(rest.len())].to_string();
            }
        }
        if started.elapsed() > Duration::from_secs(20) {
            bail!("MiniBrowser's remote inspector listed no page on port {inspector_port}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    client.goto(&format!("http://127.0.0.1:{inspector_port}/Main.html?ws=127.0.0.1:{inspector_port}{target}")).await?;
    let started = Instant::now();
    loop {
        let ready = client
            .execute("return !!(window.WI && WI.mainTarget && WI.mainTarget.PageAgent && WI.tabBrowser)", vec![])
            .await;
        if matches!(ready, Ok(Value::Bool(true))) {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("WebKit's Web Inspector did not load in Chromium: {ready:?}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    client.execute("WI.showNetworkTab()", vec![]).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;

    let fixtures = workspace().join("core/tests/fixtures");
    for scenario in ["keepalive", "h2"] {
        let page = format!("{}/page.html", tb.origin(scenario).with_context(|| format!("{scenario} origin"))?);
        client.execute("WI.mainTarget.PageAgent.navigate(arguments[0])", vec![json!(page)]).await?;
        tokio::time::sleep(Duration::from_secs(4)).await;
        let text = client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const tab = WI.tabBrowser.bestTabContentViewForClass(WI.NetworkTabContentView);
                 WI.FileUtilities.save = (mode, file) => done(file.content);
                 tab._networkTableContentView._exportHAR();",
                vec![],
            )
            .await
            .context("Web Inspector's HAR export")?;
        let text = text.as_str().context("the export gave no text")?;
        let har: Value = serde_json::from_str(text).context("Web Inspector's export is not JSON")?;
        let entries = har["log"]["entries"].as_array().map_or(0, Vec::len);
        if entries < 30 {
            bail!("Web Inspector exported {entries} entries for {page}");
        }
        let to = format!("webkit-devtools-{scenario}.har");
        std::fs::write(fixtures.join(&to), text)?;
        println!("wrote core/tests/fixtures/{to} ({entries} entries)");
    }
    let _ = client.close().await;
    Ok(())
}
