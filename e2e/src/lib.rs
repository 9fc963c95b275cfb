//! Helpers for the end-to-end tests: a testbed serving the built app, WebDriver sessions
//! in real browsers (real clock: never `--virtual-time-budget`), and reading the DOM
//! contract of ARCHITECTURE.md — the same attributes a person's devtools would show.

use anyhow::{bail, Context, Result};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use testbed::{Config, Testbed};

pub fn workspace() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    root.canonicalize().unwrap_or(root)
}

/// The built app: `CONNSCOPE_DIST`, else `dist/` of the workspace.
pub fn dist() -> Result<PathBuf> {
    let dist = std::env::var_os("CONNSCOPE_DIST").map(PathBuf::from).unwrap_or_else(|| workspace().join("dist"));
    if !dist.join("index.html").is_file() {
        bail!(
            "{} has no index.html: build the app first (`cargo xtask build`, or run `cargo xtask test`)",
            dist.display()
        );
    }
    Ok(dist)
}

pub async fn start_testbed() -> Result<Testbed> {
    Ok(Testbed::start(Config { dist: Some(dist()?), ..Config::default() }).await?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Chromium,
    Firefox,
    WebKit,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Chromium => "chromium",
            Engine::Firefox => "firefox",
            Engine::WebKit => "webkit",
        }
    }

    fn driver(self) -> Option<PathBuf> {
        let (env, names): (&str, &[&str]) = match self {
            Engine::Chromium => ("CHROMEDRIVER", &["chromedriver"]),
            Engine::Firefox => ("GECKODRIVER", &["geckodriver"]),
            Engine::WebKit => ("WEBKITDRIVER", &["WebKitWebDriver"]),
        };
        if let Some(p) = std::env::var_os(env) {
            return Some(PathBuf::from(p));
        }
        let mut dirs: Vec<PathBuf> =
            std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
        if let Some(home) = std::env::var_os("HOME") {
            dirs.push(PathBuf::from(home).join(".cargo/bin"));
        }
        names.iter().find_map(|n| dirs.iter().map(|d| d.join(n)).find(|p| p.is_file()))
    }

    /// Whether this engine's driver is installed here.
    pub fn available(self) -> bool {
        self.driver().is_some()
    }
}

/// WebDriver capabilities for headless Chromium as this project runs it (as root it needs
/// `--no-sandbox`; QUIC off, so every origin is reached over TCP as the testbed serves it),
/// plus `extra` arguments. `CHROMIUM` names another binary.
pub fn chromium_capabilities(extra: &[String]) -> Value {
    let mut args: Vec<String> = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--disable-quic",
    ]
    .map(String::from)
    .to_vec();
    args.extend_from_slice(extra);
    json!({
        "browserName": "chrome",
        "acceptInsecureCerts": true,
        "goog:chromeOptions": {
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": args,
        }
    })
}

/// The late-binding excuse the agreement checks take from the testbed's log alone: a
/// connection to the port of `url` other than `carried_on` (the one the request went on),
/// which the testbed accepted during the request's connect (`connect`: its start and end,
/// epoch ms, `margin` either side). None where the connect reads 0 ms: that is a stamp, not
/// a connect, and nothing can have been accepted for it.
pub fn accepted_during_connect<'a>(
    opened: &'a [testbed::Opened],
    url: &str,
    carried_on: u64,
    connect: (f64, f64),
    margin: f64,
) -> Option<&'a testbed::Opened> {
    let (start, end) = connect;
    let port = connscope_core::url::port_of(url);
    opened.iter().find(|o| {
        end - start > 0.01
            && connscope_core::url::port_of(&o.origin) == port
            && o.connection != carried_on
            && o.accepted_ms >= start - margin
            && o.accepted_ms <= end + margin
    })
}

/// A port free on loopback right now.
pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A WebDriver session with the driver on `port`, retried for 20 s while the driver starts.
pub async fn connect_webdriver(port: u16, caps: Value) -> Result<Client> {
    let started = Instant::now();
    loop {
        let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps.as_object().cloned().unwrap_or_default());
        match builder.connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(c) => return Ok(c),
            Err(_) if started.elapsed() < Duration::from_secs(20) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => bail!("cannot open a WebDriver session: {e}"),
        }
    }
}

/// A virtual X display for browsers that need one (WebKitGTK, Firefox with its DevTools
/// open): Xvfb picks a free display itself (`-displayfd`) and names it once it accepts
/// clients, so neither a guessed number nor a guessed wait can collide or race. Returns
/// the server (the caller kills it) and its `DISPLAY` (":N").
pub fn start_xvfb(screen: &str) -> Result<(Child, String)> {
    let mut xvfb = Command::new("Xvfb")
        .args(["-displayfd", "1", "-screen", "0", screen, "-nolisten", "tcp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("no Xvfb (apt-get install xvfb)")?;
    let stdout = xvfb.stdout.take().context("Xvfb's stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
        let _ = tx.send(line);
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(line) if line.trim().parse::<u32>().is_ok() => Ok((xvfb, format!(":{}", line.trim()))),
        Ok(_) => {
            let status = xvfb.wait()?;
            bail!("Xvfb exited before it named a display ({status})")
        }
        Err(_) => {
            let _ = xvfb.kill();
            bail!("Xvfb named no display in 20 s")
        }
    }
}

/// A browser driven through WebDriver; the driver process (and Xvfb) end on drop.
pub struct Browser {
    pub client: Client,
    pub engine: Engine,
    driver: Child,
    xvfb: Option<Child>,
}

impl Browser {
    pub async fn start(engine: Engine, testbed: &Testbed) -> Result<Browser> {
        Browser::start_for(engine, &[testbed]).await
    }

    /// A browser that trusts the certificates of every testbed in `testbeds`.
    pub async fn start_for(engine: Engine, testbeds: &[&Testbed]) -> Result<Browser> {
        let driver_path = engine.driver().with_context(|| format!("no WebDriver for {}", engine.name()))?;
        let port = free_port()?;
        let mut xvfb = None;
        let mut command = Command::new(&driver_path);
        match engine {
            Engine::Chromium => {
                command.arg(format!("--port={port}"));
            }
            Engine::Firefox => {
                command.args(["--port", &port.to_string(), "--host", "127.0.0.1"]);
            }
            Engine::WebKit => {
                command.arg(format!("--port={port}"));
                if std::env::var_os("DISPLAY").is_none() {
                    let (server, display) = start_xvfb("1400x1800x24")?;
                    xvfb = Some(server);
                    command.env("DISPLAY", display);
                }
            }
        }
        let driver = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", driver_path.display()))?;
        let caps = match engine {
            Engine::Chromium => chromium_capabilities(&[
                "--window-size=1280,1600".into(),
                format!(
                    "--ignore-certificate-errors-spki-list={}",
                    testbeds.iter().map(|t| t.tls_spki_sha256.as_str()).collect::<Vec<_>>().join(",")
                ),
            ]),
            Engine::Firefox => json!({
                "browserName": "firefox",
                "acceptInsecureCerts": true,
                "moz:firefoxOptions": { "args": ["-headless", "--width=1280", "--height=1600"] }
            }),
            Engine::WebKit => json!({
                "browserName": "MiniBrowser",
                "acceptInsecureCerts": true,
                "webkitgtk:browserOptions": { "binary": "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser", "args": ["--automation"] }
            }),
        };
        let client = connect_webdriver(port, caps).await.with_context(|| format!("starting {}", engine.name()))?;
        Ok(Browser { client, engine, driver, xvfb })
    }

    pub async fn close(self) {
        let Browser { client, mut driver, xvfb, .. } = self;
        let _ = client.close().await;
        let _ = driver.kill();
        let _ = driver.wait();
        if let Some(mut x) = xvfb {
            let _ = x.kill();
            let _ = x.wait();
        }
    }

    /// Runs `script` (a function body with a `return`) in the page and gives its value.
    pub async fn js(&self, script: &str) -> Result<Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// Waits until the app's root says `data-run-state` is one of `states`.
    pub async fn wait_for_state(&self, states: &[&str], timeout: Duration) -> Result<String> {
        let script = format!(
            "const m = document.querySelector('main[data-run-state]'); const s = m && m.getAttribute('data-run-state'); return {} .includes(s) ? s : null;",
            json!(states)
        );
        let state = self.wait_until(&format!("data-run-state in {states:?}"), &script, timeout).await?;
        Ok(state.as_str().unwrap_or_default().to_string())
    }

    /// Whether the page still runs its own timers. WebKitGTK under Xvfb has been seen to stop
    /// a page mid-run: it answers WebDriver, but no timer, fetch or frame callback of its
    /// own comes any more, and no app can go on from that. A test that waited in vain asks
    /// this before it blames the app: a 50 ms `setTimeout` set now has fired 2 s later.
    /// (Not an async script: WebKit's driver never times one out, and the session would
    /// hang with the page.)
    pub async fn timers_run(&self) -> bool {
        let set = "window.connscopeTimerFired = false; setTimeout(() => { window.connscopeTimerFired = true; }, 50);";
        if self.client.execute(set, vec![]).await.is_err() {
            return false;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        matches!(
            self.client.execute("return window.connscopeTimerFired === true;", vec![]).await,
            Ok(Value::Bool(true))
        )
    }

    /// Whether the app's futures still run: everything the app does after start goes through
    /// wasm-bindgen's queue of futures (Yew's renders too), and were that queue to lose its
    /// tick the page would answer WebDriver and run its timers while the app stood still
    /// (see src/browser/watch.js). True where the app has no such hook (it cannot tell).
    pub async fn futures_run(&self) -> bool {
        let tick = "window.connscopeFutureRan = false; if (typeof window.connscopeFutureTick !== 'function') return false; window.connscopeFutureTick(); return true;";
        match self.client.execute(tick, vec![]).await {
            Ok(Value::Bool(true)) => {}
            Ok(_) => return true,
            Err(_) => return false,
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        matches!(self.client.execute("return window.connscopeFutureRan === true;", vec![]).await, Ok(Value::Bool(true)))
    }

    /// Whether the page, not the app's own logic, has stopped: its timers no longer fire
    /// ([`Browser::timers_run`]), the app's futures no longer run ([`Browser::futures_run`]),
    /// or, in WebKit, its WebAssembly engine trapped (the app's `[data-crashed="engine"]`
    /// banner, src/browser/watch.js). What stopped, with the page's last uncaught errors;
    /// None where the page runs on. A trap in Chromium or Firefox is not counted here: never
    /// seen in either, it would point at the app. In WebKitGTK traps have come now and then
    /// (an out-of-bounds access inside wasm-bindgen's queue of futures), as other Rust apps
    /// have reported of it; the app has no `unsafe`, and its shadow stack, the one overflow
    /// safe code could make, was measured at under 16 KiB of its 1 MiB in WebKit's app and
    /// scenario tests. A Rust panic is never counted: it fails the test.
    pub async fn page_stopped(&self) -> Option<String> {
        let trap = if self.engine == Engine::WebKit {
            self.client
                .execute(
                    "const c = document.querySelector('[data-crashed=\"engine\"]'); return c && c.textContent;",
                    vec![],
                )
                .await
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
        } else {
            None
        };
        let stopped = if let Some(trap) = &trap {
            trap.as_str()
        } else if !self.timers_run().await {
            "its timers no longer fire"
        } else if !self.futures_run().await {
            "the app's futures no longer run, while its timers do"
        } else {
            return None;
        };
        let errors = self
            .client
            .execute("return JSON.stringify(window.connscopeErrors || []);", vec![])
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        Some(format!("{stopped}; the page's last uncaught errors: {errors}"))
    }

    /// After a step failed: where the page stopped (`page_stopped`), not the app, says so
    /// (a note naming `during`, and a screenshot `<engine>-<shot>-stopped`) and returns why,
    /// for the caller to run the step once more; None where the page runs on and the
    /// failure is the app's. Every test that runs a step again after a stop does it here.
    pub async fn stopped_so_once_more(&self, during: &str, shot: &str) -> Option<String> {
        let why = self.page_stopped().await?;
        let _ = self.screenshot(&format!("{}-{shot}-stopped", self.engine.name())).await;
        println!("note: {} stopped the page during {during} ({why}); running it once more", self.engine.name());
        Some(why)
    }

    /// How alive the page is, for a test's failure message: whether it is visible and
    /// focused, and how many animation frames and 10 ms timers it ran in one second (a
    /// page the browser throttles runs frames rarely or not at all, and timers at most
    /// once a second).
    pub async fn liveliness(&self) -> String {
        let set = "window.connscopeLive = { frames: 0, timers: 0 }; const f = () => { window.connscopeLive.frames++; requestAnimationFrame(f); }; requestAnimationFrame(f); const t = () => { window.connscopeLive.timers++; if (window.connscopeLive.timers < 1000) setTimeout(t, 10); }; setTimeout(t, 10);";
        if let Err(e) = self.client.execute(set, vec![]).await {
            return format!("(the page runs no script: {e})");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let read = "const l = window.connscopeLive; const said = `visibility ${document.visibilityState}, focus ${document.hasFocus()}, ${l.frames} frames and ${l.timers} 10 ms timers in 1 s`; l.timers = 1000; return said;";
        match self.client.execute(read, vec![]).await {
            Ok(Value::String(s)) => s,
            other => format!("(not readable: {other:?})"),
        }
    }

    /// Runs `script` (a function body with a `return`) every 50 ms until it returns
    /// something truthy (not null, false, 0, "" or []), and gives that back. The app renders
    /// after an event, not during it, and a loaded machine takes its time: a test waits
    /// for what it expects instead of sleeping a guessed while. On timeout the error
    /// names `what` and the last value seen.
    /// Picks `path` in the app's file input, as a person choosing a file does, and waits
    /// until the app names the file (reading it, its run, or why it was not imported).
    /// WebKitGTK's driver once set a file on the input without the page ever seeing a
    /// change (a fresh-clone CI run: no message in 15 s, the run shown unchanged): where the
    /// app has not named the file within 5 s, it is chosen once more, and that is said.
    pub async fn choose_file(&self, path: &std::path::Path) -> Result<()> {
        let name = path.file_name().and_then(|n| n.to_str()).context("a file name")?.to_string();
        let named = format!("return document.body.innerText.includes({})", json!(name));
        for attempt in 0..2 {
            self.client.find(Locator::Css("input[type=file]")).await?.send_keys(&path.display().to_string()).await?;
            if self.wait_until(&format!("the app to name {name}"), &named, Duration::from_secs(5)).await.is_ok() {
                return Ok(());
            }
            if attempt == 0 {
                println!(
                    "note: {} showed nothing of {name} 5 s after it was chosen; choosing it again",
                    self.engine.name()
                );
            }
        }
        bail!("{}: the app never named {name} after it was chosen twice", self.engine.name())
    }

    pub async fn wait_until(&self, what: &str, script: &str, timeout: Duration) -> Result<Value> {
        let started = Instant::now();
        // An app that panicked says so in `[data-crashed]` and will never get there.
        let script = format!(
            "const crashed = document.querySelector('[data-crashed]'); \
             if (crashed) return {{ connscopeCrashed: crashed.textContent }};\n{script}"
        );
        loop {
            let value = self.client.execute(&script, vec![]).await?;
            if let Some(crash) = value.get("connscopeCrashed") {
                bail!("the app crashed while waiting for {what}: {crash}");
            }
            let truthy = match &value {
                Value::Null | Value::Bool(false) => false,
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                Value::Object(_) | Value::Bool(true) => true,
            };
            if truthy {
                return Ok(value);
            }
            if started.elapsed() > timeout {
                bail!("waited {timeout:?} for {what}; last seen: {value}; {}", self.what_the_app_says().await);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What the app shows of its state (run state, progress line, rows, its last messages), for an
    /// error that would otherwise say only that something never came.
    pub async fn what_the_app_says(&self) -> String {
        let script = "const m = document.querySelector('main[data-run-state]'); \
             const p = document.querySelector('.progress'); \
             const msgs = Array.from(document.querySelectorAll('.messages li')).map(e => e.textContent); \
             const rows = document.querySelectorAll('.waterfall [data-request-url]').length; \
             const truth = document.querySelectorAll('.waterfall [data-server-request]').length; \
             return { state: m && m.getAttribute('data-run-state'), progress: p && p.textContent, \
                      rows, rows_with_server_timing: truth, messages: msgs.slice(-3), \
                      uncaught_errors: window.connscopeErrors || [] };";
        match self.client.execute(script, vec![]).await {
            Ok(v) => format!("the app showed {v}"),
            Err(e) => format!("what the app showed could not be read: {e}"),
        }
    }

    /// Waits until the first element matching `css` has text containing `needle`, and
    /// returns that text.
    pub async fn wait_for_text(&self, css: &str, needle: &str, timeout: Duration) -> Result<String> {
        let script = format!(
            "const e = document.querySelector({css}); return e && e.textContent.includes({needle}) && e.textContent;",
            css = json!(css),
            needle = json!(needle)
        );
        let text = self.wait_until(&format!("{css} to say {needle:?}"), &script, timeout).await?;
        Ok(text.as_str().unwrap_or_default().to_string())
    }

    /// Every waterfall row's DOM contract.
    pub async fn rows(&self) -> Result<Vec<Row>> {
        let v = self
            .client
            .execute(
                r#"return Array.from(document.querySelectorAll('.waterfall [data-request-url]')).map(e => {
                    const phases = {};
                    for (const a of e.attributes) if (a.name.startsWith('data-phase-')) phases[a.name.slice(11)] = parseFloat(a.value);
                    return { url: e.getAttribute('data-request-url'), reuse: e.getAttribute('data-reuse'),
                             connection: e.getAttribute('data-connection'), agreement: e.getAttribute('data-agreement'),
                             inferred: e.getAttribute('data-inferred-reuse'),
                             unknown_reason: e.getAttribute('data-unknown-reason'),
                             protocol: e.getAttribute('data-protocol'), kind: e.getAttribute('data-kind'),
                             server_connection: e.getAttribute('data-server-connection'),
                             server_request: e.getAttribute('data-server-request'),
                             upstream_connection: e.getAttribute('data-upstream-connection'),
                             upstream_request: e.getAttribute('data-upstream-request'), phases };
                });"#,
                vec![],
            )
            .await?;
        Ok(serde_json::from_value(v)?)
    }

    pub async fn text(&self, css: &str) -> Result<String> {
        Ok(self.client.find(Locator::Css(css)).await?.text().await?)
    }

    /// Saves a screenshot as `target/e2e/<name>.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let dir = workspace().join("target/e2e");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, self.client.screenshot().await?)?;
        Ok(path)
    }
}

/// One waterfall row as the DOM shows it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Row {
    pub url: String,
    pub reuse: String,
    pub connection: String,
    pub agreement: Option<String>,
    /// The verdict from timing alone (data-inferred-reuse).
    pub inferred: Option<String>,
    /// Why timing alone cannot tell, where it cannot (data-unknown-reason).
    #[serde(default)]
    pub unknown_reason: Option<String>,
    pub protocol: Option<String>,
    pub kind: Option<String>,
    pub server_connection: Option<String>,
    pub server_request: Option<String>,
    /// Behind a proxy: the origin server's connection and request number, as the proxy said.
    #[serde(default)]
    pub upstream_connection: Option<String>,
    #[serde(default)]
    pub upstream_request: Option<String>,
    pub phases: std::collections::BTreeMap<String, f64>,
}

impl Row {
    pub fn origin(&self) -> String {
        let rest = self.url.split_once("://").map_or("", |(_, r)| r);
        let scheme = self.url.split("://").next().unwrap_or("");
        format!("{scheme}://{}", rest.split('/').next().unwrap_or(""))
    }
}
