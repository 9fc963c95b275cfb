//! Finding and installing the toolchain: only what is missing, each step said aloud.

use crate::{cmd, root, step};
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const TRUNK_VERSION: &str = "0.21.14";
pub const BINARYEN_VERSION: &str = "132";
/// The HAR waterfall `cargo xtask bench` compares connscope's drawing with.
pub const PERF_CASCADE_VERSION: &str = "3.0.3";

pub struct Tools {
    /// PATH with the tools folder (wasm-opt) and cargo's bin first.
    pub path: String,
}

pub struct Browsers {
    pub chromedriver: String,
    pub geckodriver: Option<String>,
    pub webkitdriver: Option<String>,
}

fn cargo_bin() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/root/.cargo"));
    home.join("bin")
}

fn tools_dir() -> PathBuf {
    root().join("target/tools")
}

fn output(program: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The first of `names` found on PATH or in cargo's bin.
pub fn which(names: &[&str]) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default();
    dirs.push(cargo_bin());
    names.iter().find_map(|n| dirs.iter().map(|d| d.join(n)).find(|p| p.is_file()))
}

/// The wasm-bindgen version Cargo.lock resolved, which the CLI must equal exactly.
pub fn locked_wasm_bindgen() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.trim().strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    bail!("Cargo.lock has no wasm-bindgen entry")
}

fn cargo_install(krate: &str, version: Option<&str>, locked: bool) -> Result<()> {
    step(&format!(
        "Installing {krate}{} (cargo install; a few minutes, once)",
        version.map(|v| format!(" {v}")).unwrap_or_default()
    ));
    let mut args = vec!["install", krate];
    if let Some(v) = version {
        args.extend(["--version", v]);
    }
    if locked {
        args.push("--locked");
    }
    cmd("cargo", &args, &[])
}

pub fn ensure_build_tools() -> Result<Tools> {
    let installed = output(Path::new("rustup"), &["target", "list", "--installed"]).unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        step("Adding the wasm32-unknown-unknown target");
        cmd("rustup", &["target", "add", "wasm32-unknown-unknown"], &[])?;
    }

    let trunk_ok =
        which(&["trunk"]).and_then(|t| output(&t, &["--version"])).is_some_and(|v| v.contains(TRUNK_VERSION));
    if !trunk_ok {
        cargo_install("trunk", Some(TRUNK_VERSION), true)?;
    }

    let wb = locked_wasm_bindgen()?;
    let wb_ok = which(&["wasm-bindgen"])
        .and_then(|t| output(&t, &["--version"]))
        .is_some_and(|v| v.split_whitespace().nth(1) == Some(wb.as_str()));
    let runner_ok =
        which(&["wasm-bindgen-test-runner"]).and_then(|t| output(&t, &["--version"])).is_some_and(|v| v.contains(&wb));
    if !wb_ok || !runner_ok {
        // Not --locked: one of its locked dependencies is missing from the registry.
        cargo_install("wasm-bindgen-cli", Some(&wb), false)?;
    }

    let bin = tools_dir().join("node_modules/.bin");
    let opt_ok = output(&bin.join("wasm-opt"), &["--version"])
        .is_some_and(|v| v.contains(&format!("version {BINARYEN_VERSION}")));
    if !opt_ok {
        step(&format!("Installing wasm-opt (npm binaryen@{BINARYEN_VERSION}) into target/tools"));
        std::fs::create_dir_all(tools_dir())?;
        let prefix = tools_dir().display().to_string();
        cmd(
            "npm",
            &["install", "--no-audit", "--no-fund", "--prefix", &prefix, &format!("binaryen@{BINARYEN_VERSION}")],
            &[],
        )
        .context("npm could not install binaryen (is Node.js/npm installed?)")?;
    }

    let mut dirs = vec![bin, cargo_bin()];
    if let Some(p) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&p));
    }
    let path = std::env::join_paths(dirs).context("PATH")?.to_string_lossy().into_owned();
    Ok(Tools { path })
}

/// PerfCascade from npm, in `target/tools`, for the bench: its `dist` folder.
pub fn ensure_perf_cascade() -> Result<PathBuf> {
    let dist = tools_dir().join("node_modules/perf-cascade/dist");
    let package = tools_dir().join("node_modules/perf-cascade/package.json");
    let installed = std::fs::read_to_string(&package)
        .is_ok_and(|p| p.contains(&format!("\"version\": \"{PERF_CASCADE_VERSION}\"")));
    if !installed || !dist.join("perf-cascade.min.js").is_file() {
        step(&format!("Installing PerfCascade (npm perf-cascade@{PERF_CASCADE_VERSION}) into target/tools"));
        std::fs::create_dir_all(tools_dir())?;
        let prefix = tools_dir().display().to_string();
        cmd(
            "npm",
            &[
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                &prefix,
                &format!("perf-cascade@{PERF_CASCADE_VERSION}"),
            ],
            &[],
        )
        .context("npm could not install perf-cascade (is Node.js/npm installed?)")?;
    }
    Ok(dist)
}

fn is_root() -> bool {
    output(Path::new("id"), &["-u"]).is_some_and(|u| u.trim() == "0")
}

fn apt_install(packages: &[&str]) -> Result<()> {
    if which(&["apt-get"]).is_none() || !is_root() {
        bail!("missing browser tooling; install these packages (Debian names) and run again: {}", packages.join(" "));
    }
    step(&format!("Installing {} with apt-get", packages.join(", ")));
    let env = [("DEBIAN_FRONTEND", "noninteractive".to_string())];
    cmd("apt-get", &["update", "-qq"], &env)?;
    // With recommends: WebKit wants Mesa for software GL under Xvfb, Chromium its fonts.
    let mut args = vec!["install", "-y", "-qq"];
    args.extend_from_slice(packages);
    cmd("apt-get", &args, &env)
}

pub fn ensure_browsers() -> Result<Browsers> {
    let mut wanted = Vec::new();
    if which(&["chromedriver"]).is_none() || which(&["chromium"]).is_none() {
        wanted.extend(["chromium", "chromium-driver"]);
    }
    if which(&["firefox-esr", "firefox"]).is_none() {
        wanted.push("firefox-esr");
    }
    if which(&["WebKitWebDriver"]).is_none() {
        wanted.push("webkit2gtk-driver");
    }
    if which(&["Xvfb"]).is_none() {
        wanted.push("xvfb");
    }
    if !wanted.is_empty() {
        apt_install(&wanted)?;
    }
    if which(&["geckodriver"]).is_none() {
        cargo_install("geckodriver", None, false)?;
    }
    let chromedriver =
        which(&["chromedriver"]).context("chromedriver is still missing after installing chromium-driver")?;
    Ok(Browsers {
        chromedriver: chromedriver.display().to_string(),
        geckodriver: which(&["geckodriver"]).map(|p| p.display().to_string()),
        webkitdriver: which(&["WebKitWebDriver"]).map(|p| p.display().to_string()),
    })
}

/// A testbed in the background for the duration of a step; killed on drop.
pub struct Background {
    child: Child,
    pub app_url: String,
}

impl Background {
    pub fn testbed(bin: &Path, dist: Option<&Path>) -> Result<Background> {
        let mut command = crate::command(&bin.display().to_string());
        command.args(["--port", "0"]).stdout(Stdio::piped()).stderr(Stdio::null());
        if let Some(d) = dist {
            command.arg("--dist").arg(d);
        }
        let mut child = command.spawn().context("cannot start the testbed")?;
        let out = child.stdout.take().context("testbed stdout")?;
        let mut lines = BufReader::new(out).lines();
        let app_url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.trim().strip_prefix("app:") {
                        break url.trim().trim_end_matches('/').to_string();
                    }
                }
                _ => {
                    let _ = child.kill();
                    bail!("the testbed exited before printing its URL");
                }
            }
        };
        // Keep draining its stdout so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Background { child, app_url })
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
