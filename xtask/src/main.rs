//! `cargo xtask run | test | bench` — the project's two commands (and its benchmarks).
//! Each installs what is missing first, so they work on a fresh machine of this kind.

mod bench;
mod tools;

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(),
        Some("bench") => bench::bench(&args[1..]),
        Some("bench-analyse") => bench::bench_analyse(),
        Some("build") => tools::ensure_build_tools().and_then(|t| build_app(&t)),
        _ => {
            eprintln!("usage: cargo xtask run [testbed flags] | test | bench [parts] | build");
            eprintln!("  run    install what is missing, build the app, serve it with every scenario");
            eprintln!("  test   install what is missing, run every check (fmt, clippy, native, wasm, e2e)");
            eprintln!("  bench  speed and size benchmarks (or only: analyse, load, paint, loader, size)");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("\nxtask: error: {e:#}");
        std::process::exit(1);
    }
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

pub fn step(what: &str) {
    eprintln!("\n==> {what}");
}

/// A command in the workspace root without the variables `cargo run` set for xtask itself:
/// build scripts such as ring's rerun when CARGO_MANIFEST_DIR changes, so passing xtask's
/// on would rebuild half the dependency tree on every call.
pub fn command(program: &str) -> Command {
    let mut c = Command::new(program);
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        let set_by_cargo_run = k.starts_with("CARGO_PKG_")
            || matches!(
                k.as_ref(),
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "CARGO_RUSTC_CURRENT_DIR"
            );
        if set_by_cargo_run {
            c.env_remove(&key);
        }
    }
    c.current_dir(root());
    c
}

/// Runs a command in the workspace root, failing with a message naming it.
pub fn cmd(program: &str, args: &[&str], envs: &[(&str, String)]) -> Result<()> {
    let status = command(program)
        .args(args)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .status()
        .with_context(|| format!("cannot start {program}"))?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// The newest modification time of the files under `path`.
fn newest(path: &Path) -> Option<std::time::SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_file() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path).ok()?.filter_map(|e| e.ok()).filter_map(|e| newest(&e.path())).max()
}

/// Whether dist/ was built after every input of the app changed last.
fn app_is_fresh() -> bool {
    let Ok(built) = std::fs::metadata(root().join("dist/index.html")).and_then(|m| m.modified()) else {
        return false;
    };
    let inputs = [
        "src",
        "core/src",
        "core/Cargo.toml",
        "static",
        "index.html",
        "Cargo.toml",
        "Cargo.lock",
        "Trunk.toml",
        "rust-toolchain.toml",
    ];
    inputs.iter().filter_map(|i| newest(&root().join(i))).all(|t| t <= built)
}

fn build_app(tools: &tools::Tools) -> Result<()> {
    if app_is_fresh() {
        step("The app in dist/ is up to date (nothing in src/, core/src/, static/ or the build files changed)");
        return Ok(());
    }
    step("Building the app (trunk build --release --offline)");
    cmd("trunk", &["build", "--release", "--offline"], &[("PATH", tools.path.clone())])?;
    Ok(())
}

fn build_testbed() -> Result<PathBuf> {
    step("Building the testbed");
    cmd("cargo", &["build", "--quiet", "--profile", "serve", "-p", "testbed"], &[])?;
    Ok(root().join("target/serve/testbed"))
}

fn run(testbed_args: &[String]) -> Result<()> {
    let tools = tools::ensure_build_tools()?;
    build_app(&tools)?;
    let testbed = build_testbed()?;
    step("Starting the testbed (Ctrl-C stops)");
    let mut args = vec!["--dist".to_string(), root().join("dist").display().to_string()];
    args.extend(testbed_args.iter().cloned());
    let status = command(&testbed.display().to_string()).args(&args).status().context("cannot start the testbed")?;
    if !status.success() {
        bail!("the testbed exited with {status}");
    }
    Ok(())
}

/// Counts from every test runner's `test result:` lines, and what failing tests said.
#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    ignored: u64,
    /// The first words of each failure ("Error: …" of a test that returned an error, the
    /// message under "panicked at"), repeated before the summary line so the end of a long
    /// CI log says why, not only that, a test failed.
    said: Vec<String>,
}

/// Per output stream: whether the line before was "thread '…' panicked at …".
#[derive(Default)]
struct Reader {
    after_panic: Option<String>,
}

impl Reader {
    /// A line worth repeating at the end, if this is one.
    fn read(&mut self, line: &str) -> Option<String> {
        let clip = |s: &str| s.chars().take(400).collect::<String>();
        if let Some(place) = self.after_panic.take() {
            return Some(clip(&format!("panicked at {place}: {}", line.trim())));
        }
        if let Some(rest) = line.strip_prefix("thread '") {
            if let Some((_, place)) = rest.split_once("' panicked at ") {
                self.after_panic = Some(place.trim_end_matches(':').to_string());
                return None;
            }
        }
        line.starts_with("Error: ").then(|| clip(line))
    }
}

impl Tally {
    fn add_line(&mut self, line: &str) {
        // "test result: ok. 13 passed; 0 failed; 0 ignored; ..."
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let words: Vec<&str> = part.split_whitespace().collect();
            let n = |w: &[&str]| w.iter().rev().nth(1).and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
            match words.last() {
                Some(&"passed") => self.passed += n(&words),
                Some(&"failed") => self.failed += n(&words),
                Some(&"ignored") => self.ignored += n(&words),
                _ => {}
            }
        }
    }
}

/// Runs a test command, echoing its output and counting its results. A test that returns
/// an error carries no backtrace (RUST_LIB_BACKTRACE=0: forty frames of the test harness
/// would bury its message); a panic still does when RUST_BACKTRACE asks.
fn counted(tally: &mut Tally, program: &str, args: &[&str], envs: &[(&str, String)]) -> Result<()> {
    let mut child = command(program)
        .args(args)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .env("RUST_LIB_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {program}"))?;
    let errors = child.stderr.take().map(|err| {
        std::thread::spawn(move || {
            let mut reader = Reader::default();
            let mut said = Vec::new();
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                eprintln!("{line}");
                said.extend(reader.read(&line));
            }
            said
        })
    });
    if let Some(out) = child.stdout.take() {
        let mut reader = Reader::default();
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            println!("{line}");
            tally.add_line(&line);
            tally.said.extend(reader.read(&line));
        }
    }
    if let Some(said) = errors.and_then(|t| t.join().ok()) {
        tally.said.extend(said);
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

fn test() -> Result<()> {
    let tools = tools::ensure_build_tools()?;
    let browsers = tools::ensure_browsers()?;
    let mut tally = Tally::default();
    let outcome = run_checks(&tools, &browsers, &mut tally);
    if let Err(e) = &outcome {
        if !tally.said.is_empty() {
            eprintln!("\nxtask: what the failing tests said:");
            for said in &tally.said {
                eprintln!("  {said}");
            }
        }
        eprintln!("\nxtask: {e:#}");
        tally.failed = tally.failed.max(1);
    }
    println!("\n{} passed, {} failed", tally.passed, tally.failed);
    if outcome.is_err() {
        std::process::exit(1);
    }
    Ok(())
}

fn run_checks(tools: &tools::Tools, browsers: &tools::Browsers, tally: &mut Tally) -> Result<()> {
    let path = || ("PATH", tools.path.clone());
    step("1/6 cargo fmt --check");
    cmd("cargo", &["fmt", "--all", "--", "--check"], &[])
        .context("step 1 (formatting) failed: run `cargo fmt --all`")?;

    step("2/6 clippy, native and wasm32 (-D warnings)");
    cmd("cargo", &["clippy", "--quiet", "--workspace", "--all-targets", "--", "-D", "warnings"], &[])
        .context("step 2 (clippy, native) failed")?;
    cmd(
        "cargo",
        &[
            "clippy",
            "--quiet",
            "-p",
            "connscope",
            "-p",
            "connscope-core",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )
    .context("step 2 (clippy, wasm32) failed")?;

    step("3/6 native tests");
    counted(tally, "cargo", &["test", "--workspace", "--exclude", "e2e"], &[])
        .context("step 3 (native tests) failed")?;

    step("4/6 wasm tests in headless Chromium and Firefox");
    let testbed_bin = build_testbed()?;
    let testbed = tools::Background::testbed(&testbed_bin, None)?;
    let wasm_env = |driver: (&'static str, String)| {
        vec![
            path(),
            driver,
            ("CONNSCOPE_TESTBED", testbed.app_url.clone()),
            ("WASM_BINDGEN_TEST_TIMEOUT", "120".to_string()),
            // The runner gives the WebDriver binary 5 s to open its port by default; a
            // fresh-clone CI run on a busy machine saw chromedriver miss that ("driver failed
            // to bind port during startup"). It still restarts a driver stuck for 10 s.
            ("WASM_BINDGEN_TEST_DRIVER_TIMEOUT", "60".to_string()),
        ]
    };
    counted(
        tally,
        "cargo",
        &["test", "-p", "connscope", "--target", "wasm32-unknown-unknown"],
        &wasm_env(("CHROMEDRIVER", browsers.chromedriver.clone())),
    )
    .context("step 4 (wasm tests, Chromium) failed")?;
    if let Some(gecko) = &browsers.geckodriver {
        counted(
            tally,
            "cargo",
            &["test", "-p", "connscope", "--target", "wasm32-unknown-unknown"],
            &wasm_env(("GECKODRIVER", gecko.clone())),
        )
        .context("step 4 (wasm tests, Firefox) failed")?;
    }
    drop(testbed);

    step("5/6 building the app for the end-to-end tests");
    build_app(tools)?;

    step("6/6 end-to-end tests of the built app in real browsers");
    let mut envs = vec![
        ("CONNSCOPE_DIST", root().join("dist").display().to_string()),
        ("CHROMEDRIVER", browsers.chromedriver.clone()),
    ];
    if let Some(g) = &browsers.geckodriver {
        envs.push(("GECKODRIVER", g.clone()));
    }
    if let Some(w) = &browsers.webkitdriver {
        envs.push(("WEBKITDRIVER", w.clone()));
    }
    // Tables from an earlier run must not pass for this one's.
    for engine in AGREEMENT_ENGINES {
        let _ = std::fs::remove_file(agreement_table(engine));
        let _ = std::fs::remove_file(capture_table(engine));
    }
    // Every test file runs even after one fails: a failure in one must not hide what the
    // others (the agreement tables among them) would have shown.
    let e2e = counted(
        tally,
        "cargo",
        &["test", "--no-fail-fast", "-p", "e2e", "--", "--test-threads=1", "--nocapture"],
        &envs,
    );
    print_agreement();
    e2e.context("step 6 (end-to-end tests) failed")?;
    Ok(())
}

const AGREEMENT_ENGINES: [&str; 3] = ["chromium", "firefox", "webkit"];

/// Where e2e/tests/scenarios.rs writes an engine's coverage and agreement table.
fn agreement_table(engine: &str) -> PathBuf {
    root().join("target/e2e").join(format!("agreement-{engine}.txt"))
}

/// Where e2e/tests/capture.rs writes what a capture in an engine showed against the log.
fn capture_table(engine: &str) -> PathBuf {
    root().join("target/e2e").join(format!("capture-{engine}.txt"))
}

/// The timing inference against the testbed's log, per engine and scenario, as the
/// end-to-end step measured it (a run through connscope, then a page's own capture).
fn print_agreement() {
    println!("\n== the timing inference against the testbed's log (coverage: known / exposed; agreement: agreeing / known) ==");
    for engine in AGREEMENT_ENGINES {
        match std::fs::read_to_string(agreement_table(engine)) {
            Ok(table) => print!("{table}"),
            Err(_) => println!("{engine}: no table (its scenarios test did not finish)"),
        }
    }
    for engine in AGREEMENT_ENGINES {
        match std::fs::read_to_string(capture_table(engine)) {
            Ok(table) => print!("{table}"),
            Err(_) => println!("capture in {engine}: no table (its capture test did not finish)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Reader, Tally};

    #[test]
    fn tally_reads_cargo_and_wasm_bindgen_result_lines() {
        let mut t = Tally::default();
        t.add_line("test result: ok. 13 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 2.09s");
        t.add_line("test result: FAILED. 1 passed; 3 failed; 0 ignored; 0 measured; 0 filtered out");
        t.add_line("running 4 tests");
        assert_eq!((t.passed, t.failed, t.ignored), (14, 3, 2));
    }

    #[test]
    fn failures_are_repeated_by_their_first_words() {
        // As printed by a test returning anyhow's error, and by a panicking test.
        let mut r = Reader::default();
        let lines = [
            "running 1 test",
            "Error: Condition failed: `theme == \"dark\"` (Null vs \"dark\")",
            "thread 'the_app_works' panicked at e2e/tests/app.rs:40:5:",
            "rows: 3",
            "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
        ];
        let said: Vec<String> = lines.iter().filter_map(|l| r.read(l)).collect();
        assert_eq!(
            said,
            [
                "Error: Condition failed: `theme == \"dark\"` (Null vs \"dark\")",
                "panicked at e2e/tests/app.rs:40:5: rows: 3"
            ]
        );
    }
}
