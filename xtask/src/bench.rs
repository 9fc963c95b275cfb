//! `cargo xtask bench`: how fast the model analyses entries, and how big the app is.

use anyhow::{Context, Result};
use connscope_core::analyse;
use connscope_core::synthetic::requests as synthetic_requests;
use std::io::Write;
use std::time::Instant;

fn gzip9(bytes: &[u8]) -> Result<usize> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes)?;
    Ok(enc.finish()?.len())
}

/// Every benchmark, or the parts named: `analyse`, `load`, `paint`, `loader`, `size`.
/// `paint`, `loader` and `size` use the app in `dist/` (built first), or the build in
/// `CONNSCOPE_DIST` as it is, to compare two builds in one sitting.
pub fn bench(parts: &[String]) -> Result<()> {
    const ALL: [&str; 5] = ["analyse", "load", "paint", "loader", "size"];
    if let Some(unknown) = parts.iter().find(|p| !ALL.contains(&p.as_str())) {
        anyhow::bail!("no benchmark `{unknown}`; the parts are {}", ALL.join(", "));
    }
    let wanted = |p: &str| parts.is_empty() || parts.iter().any(|w| w == p);
    if wanted("analyse") {
        crate::step("Analysis speed (release build)");
        crate::cmd("cargo", &["run", "--quiet", "--release", "-p", "xtask", "--", "bench-analyse"], &[])?;
    }
    if wanted("load") {
        crate::step(
            "The testbed under load and abuse (2,000 connections, 200,000 requests, 500 slowloris, 200 non-reading)",
        );
        // About 6,000 sockets at once: more than the usual soft limit of open files.
        crate::cmd(
            "bash",
            &[
                "-c",
                "ulimit -n 65536 2>/dev/null || ulimit -n $(ulimit -Hn); cargo test --quiet --release -p testbed --test load -- --ignored --nocapture full_load",
            ],
            &[],
        )?;
    }
    let dist = match std::env::var_os("CONNSCOPE_DIST") {
        Some(d) => std::path::PathBuf::from(d),
        None if wanted("paint") || wanted("loader") || wanted("size") => {
            let tools = crate::tools::ensure_build_tools()?;
            crate::cmd("trunk", &["build", "--release", "--offline"], &[("PATH", tools.path)])?;
            crate::root().join("dist")
        }
        None => return Ok(()),
    };
    let dist_env = dist.display().to_string();
    if wanted("paint") {
        crate::step("Drawing at scale, beside PerfCascade");
        paint(&dist_env)?;
    }
    if wanted("loader") {
        // The loader's own delay: parent's last byte → its references' start, per level;
        // and the longest main-thread task of a live run.
        crate::step("The loader's delay and its longest task");
        let browsers = crate::tools::ensure_browsers()?;
        crate::cmd(
            "cargo",
            &["run", "--quiet", "-p", "e2e", "--bin", "loader-bench"],
            &[("CHROMEDRIVER", browsers.chromedriver), ("CONNSCOPE_DIST", dist_env)],
        )?;
    }
    if wanted("size") {
        crate::step("The app's transfer size");
        sizes(&dist)?;
    }
    Ok(())
}

pub fn bench_analyse() -> Result<()> {
    let requests = synthetic_requests(10_000);
    let rounds = 20;
    let mut best = f64::INFINITY;
    for _ in 0..rounds {
        let started = Instant::now();
        let analysis = analyse(&requests);
        let elapsed = started.elapsed().as_secs_f64();
        assert_eq!(analysis.requests.len(), requests.len());
        best = best.min(elapsed);
    }
    println!(
        "analyse 10,000 entries: {:.1} ms ({:.2} µs per entry, best of {rounds})",
        best * 1e3,
        best * 1e6 / 10_000.0
    );
    bench_import()?;
    bench_css();
    Ok(())
}

/// HAR import of the 20,000-request HAR the paint bench opens (connscope's own export).
fn bench_import() -> Result<()> {
    let requests = synthetic_requests(20_000);
    let text =
        serde_json::to_string(&connscope_core::har::export("synthetic", &requests, &analyse(&requests), 1.7e12))?;
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let started = Instant::now();
        let imported = connscope_core::har::import(&text)?;
        best = best.min(started.elapsed().as_secs_f64());
        anyhow::ensure!(imported.requests.len() == requests.len(), "imported {}", imported.requests.len());
    }
    println!(
        "HAR import, 20,000 requests ({:.1} MB): {:.0} ms ({:.1} µs per entry, best of 3)",
        text.len() as f64 / 1e6,
        best * 1e3,
        best * 1e6 / 20_000.0
    );
    Ok(())
}

/// Stylesheet discovery on the inputs that used to freeze a tab: 4 MB of `url(`, and 4 MB
/// of ordinary rules each with a reference.
fn bench_css() {
    let repeated = "url(".repeat(1_000_000);
    let rules: String =
        (0..60_000).map(|i| format!(".r{i} {{ background: url(\"i/{i}.png\") no-repeat; color: red }}\n")).collect();
    for (what, css) in [("4 MB of `url(`", &repeated), ("4 MB of rules, 60,000 urls", &rules)] {
        let mut best = f64::INFINITY;
        let mut found = 0;
        for _ in 0..3 {
            let started = Instant::now();
            found = connscope_core::crawl::css::css_references(css).len();
            best = best.min(started.elapsed().as_secs_f64());
        }
        println!(
            "css discovery, {what} ({:.1} MB): {:.1} ms, {found} references (best of 3)",
            css.len() as f64 / 1e6,
            best * 1e3
        );
    }
}

/// HAR → painted waterfall at 1,000 and 5,000 requests beside PerfCascade on the same HARs;
/// hover and select at 5,000 rows; a HAR of 20,000 requests opened.
fn paint(dist: &str) -> Result<()> {
    let perf_cascade = crate::tools::ensure_perf_cascade()?;
    let mut hars = Vec::new();
    for (n, only) in [(1_000, ""), (5_000, ""), (20_000, ":connscope-only")] {
        let requests = synthetic_requests(n);
        let har = connscope_core::har::export("synthetic", &requests, &analyse(&requests), 1.7e12);
        let path = crate::root().join(format!("target/bench-{n}.har"));
        std::fs::write(&path, serde_json::to_string(&har)?)?;
        hars.push(format!("{}:{n}{only}", path.display()));
    }
    let browsers = crate::tools::ensure_browsers()?;
    let pc = perf_cascade.display().to_string();
    let mut args = vec!["run", "--quiet", "-p", "e2e", "--bin", "paint-bench", "--", &pc];
    args.extend(hars.iter().map(String::as_str));
    crate::cmd("cargo", &args, &[("CHROMEDRIVER", browsers.chromedriver), ("CONNSCOPE_DIST", dist.to_string())])
}

fn sizes(dist: &std::path::Path) -> Result<()> {
    let mut total = 0usize;
    for entry in std::fs::read_dir(dist).context("reading dist/")? {
        let path = entry?.path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if path.is_file() && matches!(ext, "html" | "js" | "wasm" | "css") {
            let size = gzip9(&std::fs::read(&path)?)?;
            println!(
                "  {:<40} {:>8.1} KB gzip -9",
                path.file_name().unwrap_or_default().to_string_lossy(),
                size as f64 / 1024.0
            );
            total += size;
        }
    }
    println!("app transfer size: {:.1} KB (index.html + js + wasm + css, gzip -9)", total as f64 / 1024.0);
    Ok(())
}
