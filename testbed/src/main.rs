//! `testbed`: serves connscope and its scenario origins. `testbed --help` for the flags.

use clap::{Parser, Subcommand};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;
use testbed::{Config, Testbed};

#[derive(Parser, Debug)]
#[command(version, about = "connscope's scenario server: origins whose connections behave in known ways")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Port of the app's origin; scenario origins take the ports after it (0 = any free ports).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// A scenario's own port, as ID=PORT (repeatable), e.g. --scenario-port h2=8443.
    #[arg(long = "scenario-port", value_parser = parse_scenario_port)]
    scenario_ports: Vec<(String, u16)>,
    /// The built app to serve on the app's origin (Trunk's dist/).
    #[arg(long)]
    dist: Option<PathBuf>,
    /// Address to listen on. Anything but loopback exposes the testbed to the network.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Idle timeout of the persistent origins, in ms (short-idle keeps its 1 s).
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    idle_timeout: u64,
    /// Requests per connection on the max-3 origin.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    max_requests: u32,
    /// Emulated round trip in ms: each flight the server sends is held back this long.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    rtt: u64,
    /// PEM certificate (chain) for the TLS origins, instead of a self-signed one.
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// PEM private key for --cert.
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write the default test page as static files into DIR (static/testpage/ is made so).
    ExportTestpage { dir: PathBuf },
}

fn parse_scenario_port(s: &str) -> Result<(String, u16), String> {
    let (id, port) = s.split_once('=').ok_or_else(|| format!("expected ID=PORT, got {s:?}"))?;
    let port = port.parse().map_err(|_| format!("{port:?} is not a port number"))?;
    Ok((id.to_string(), port))
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "testbed=info".into()),
        )
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Some(Command::ExportTestpage { dir }) = &cli.command {
        for (path, bytes) in testbed::pages::default_page_files() {
            let target = dir.join(&path);
            let written =
                target.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|_| std::fs::write(&target, bytes));
            if let Err(e) = written {
                eprintln!("error: cannot write {}: {e}", target.display());
                return std::process::ExitCode::FAILURE;
            }
        }
        println!("wrote the default test page to {}", dir.display());
        return std::process::ExitCode::SUCCESS;
    }
    if !cli.bind.is_loopback() {
        tracing::warn!(bind = %cli.bind, "listening on a non-loopback address: anyone who can reach this machine can use the testbed");
    }
    if let Some(dist) = &cli.dist {
        if !dist.join("index.html").is_file() {
            eprintln!("error: {} has no index.html: build the app first (`cargo xtask run` does)", dist.display());
            return std::process::ExitCode::FAILURE;
        }
    }
    let config = Config {
        bind: cli.bind,
        port: cli.port,
        scenario_ports: cli.scenario_ports,
        dist: cli.dist,
        idle_timeout: Duration::from_millis(cli.idle_timeout),
        max_requests: cli.max_requests,
        rtt: Duration::from_millis(cli.rtt),
        cert: cli.cert,
        key: cli.key,
        ..Config::default()
    };
    let testbed = match Testbed::start(config).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("connscope testbed");
    println!("  app:        {}", testbed.app_url);
    for s in &testbed.scenarios {
        println!("  {:<16} {}/page.html  — {}", s.id, s.origin, s.title);
    }
    println!();
    println!("TLS origins use a self-signed certificate (SHA-256 {}).", testbed.tls_fingerprint);
    println!("  Accept it once per origin by opening its URL in the browser and proceeding past the warning,");
    println!("  or start Chromium with --ignore-certificate-errors-spki-list={}", testbed.tls_spki_sha256);
    println!();
    println!("Open {} — Ctrl-C stops.", testbed.app_url);
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
    println!("stopping…");
    testbed.shutdown(Duration::from_secs(2)).await;
    std::process::ExitCode::SUCCESS
}
