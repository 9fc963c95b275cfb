//! Without the testbed: the built app served as plain static files from another server
//! (Python's http.server) loads its built-in copy of the test page and draws it.

use anyhow::{ensure, Context, Result};
use e2e::{dist, free_port, Browser, Engine};
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_works_from_any_static_server_with_its_builtin_page() -> Result<()> {
    let port = free_port()?;
    let mut server = Command::new("python3")
        .args(["-m", "http.server", "--bind", "127.0.0.1", &port.to_string(), "--directory"])
        .arg(dist()?)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("python3 -m http.server")?;
    // Python starts in a fraction of a second, or in seconds on a loaded machine: wait until
    // it listens.
    let started = std::time::Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        ensure!(started.elapsed() < Duration::from_secs(20), "python3 -m http.server did not listen on {port} in 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The browser needs a testbed only for its TLS flag; this one is never used by the page.
    let tb = testbed::Testbed::start(testbed::Config::default()).await?;
    let b = Browser::start(Engine::Chromium, &tb).await?;
    let result = async {
        b.client.goto(&format!("http://127.0.0.1:{port}/")).await?;
        let state = b.wait_for_state(&["done", "failed"], Duration::from_secs(30)).await?;
        b.screenshot("chromium-static-server").await?;
        ensure!(state == "done", "{}", b.text(".messages").await.unwrap_or_default());
        ensure!(b.text(".controls").await?.contains("No testbed here"), "the app says it runs without a testbed");
        let rows = b.rows().await?;
        ensure!(rows.len() == 34, "built-in page: {} rows", rows.len());
        ensure!(rows.iter().all(|r| r.url.contains("/testpage/")), "everything from the built-in copy");
        ensure!(rows.iter().all(|r| r.reuse != "unknown"), "same-origin timing is visible: {rows:?}");
        ensure!(
            rows.iter().all(|r| r.server_connection.is_none() && r.connection.starts_with('~')),
            "lanes are inferred"
        );
        // Python's server speaks HTTP/1.0 and closes after every response: an independent
        // server whose policy connscope must read from timing alone.
        ensure!(rows.iter().all(|r| r.protocol.as_deref() == Some("http/1.0")), "{rows:?}");
        ensure!(rows.iter().all(|r| r.reuse == "new"), "every request on a new connection: {rows:?}");
        Ok(())
    }
    .await;
    b.close().await;
    let _ = server.kill();
    tb.shutdown(Duration::from_secs(1)).await;
    result
}
