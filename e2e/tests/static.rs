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

/// The built app's WebAssembly uses neither multi-value returns nor reference types (see
/// `.cargo/config.toml`: a WebKit crash, and engine bugs with both): its `target_features`
/// section lists neither (wasm-bindgen decides from it), no function type has more than one
/// result, and no table holds `externref`.
#[test]
fn the_apps_webassembly_uses_neither_multi_value_nor_reference_types() -> Result<()> {
    let wasm = std::fs::read_dir(dist()?)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "wasm"))
        .context("no .wasm in dist")?;
    let bytes = std::fs::read(&wasm)?;
    let (mut features, mut multi_result, mut externref_tables, mut types) = (Vec::new(), 0, 0, 0);
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        match payload? {
            wasmparser::Payload::CustomSection(c) if c.name() == "target_features" => {
                // A count, then per feature a prefix byte ('+', '-', '=') and a name.
                let mut r = wasmparser::BinaryReader::new(c.data(), 0);
                for _ in 0..r.read_var_u32()? {
                    let prefix = r.read_u8()?;
                    features.push(format!("{}{}", prefix as char, r.read_string()?));
                }
            }
            wasmparser::Payload::TypeSection(s) => {
                for group in s {
                    for t in group?.types() {
                        if let wasmparser::CompositeInnerType::Func(f) = &t.composite_type.inner {
                            types += 1;
                            multi_result += usize::from(f.results().len() > 1);
                        }
                    }
                }
            }
            wasmparser::Payload::TableSection(s) => {
                for t in s {
                    externref_tables += usize::from(t?.ty.element_type == wasmparser::RefType::EXTERNREF);
                }
            }
            _ => {}
        }
    }
    ensure!(types > 0 && !features.is_empty(), "{}: no types or no target_features read", wasm.display());
    ensure!(
        !features.iter().any(|f| f.ends_with("multivalue") || f.ends_with("reference-types")),
        "{} lists {features:?}",
        wasm.display()
    );
    ensure!(multi_result == 0, "{multi_result} of {types} function types return more than one value");
    ensure!(externref_tables == 0, "{externref_tables} tables of externref");
    Ok(())
}
