//! connscope's testbed: a scenario server. Each scenario is an origin (its own port) whose
//! connections behave in a known way — keep-alive, `Connection: close`, a short idle
//! timeout, a cap on requests per connection, HTTP/2 over TLS — and every response says,
//! in `Server-Timing: conn;desc="<id>", req;desc="<n>"`, which connection carried it and
//! how many requests that connection had carried, so what a browser reports can be
//! checked against the truth. The app's own origin serves the built app and
//! `GET /api/scenarios`.

mod connection;
mod headers;
pub mod io;
pub mod log;
pub mod pages;
mod routes;
pub mod scenario;
pub mod static_files;
pub mod tls;

pub use log::Served;

use connection::accept_loop;
use connscope_core::ScenarioInfo;
use log::ServedLog;
use scenario::{Protocol, Scenario};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

/// Request bodies larger than this are refused (the testbed only serves GETs).
pub const MAX_REQUEST_BODY: u64 = 64 * 1024;
/// hyper's read buffer: bounds the request line plus headers of one request.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// How long a client may take to send a request's headers.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
pub(crate) const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How the testbed is started; the binary fills it from its flags.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: IpAddr,
    /// The app's origin; 0 takes an ephemeral port (and ephemeral ports for every scenario).
    pub port: u16,
    /// Ports of scenario origins by id; the rest take the ports after `port` (or ephemeral).
    pub scenario_ports: Vec<(String, u16)>,
    /// The built app (Trunk's `dist/`), served on the app's origin.
    pub dist: Option<PathBuf>,
    /// Idle timeout of the persistent origins (but `short-idle`, whose point is its 1 s).
    pub idle_timeout: Duration,
    /// The cap of the `max-3` scenario.
    pub max_requests: u32,
    /// Emulated round trip added to every flight the server sends.
    pub rtt: Duration,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// Open connections per origin; past it a new connection is answered 503 and closed.
    pub max_connections: usize,
    /// How long a write may stay blocked (the client does not read) before the connection
    /// is closed, as nginx's `send_timeout`.
    pub send_timeout: Duration,
    /// A path whose handler panics, for the test that shows a panic answers 500 and the
    /// testbed goes on; None (always, outside that test).
    pub panic_path: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            scenario_ports: Vec::new(),
            dist: None,
            idle_timeout: Duration::from_secs(5),
            max_requests: 3,
            rtt: Duration::ZERO,
            cert: None,
            key: None,
            max_connections: 512,
            send_timeout: Duration::from_secs(30),
            panic_path: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source} (is another testbed running? pick another --port)")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("TLS: {0}")]
    Tls(#[from] tls::TlsError),
    #[error("--cert and --key go together")]
    CertWithoutKey,
    #[error("--scenario-port names `{0}`, which is not a scenario")]
    UnknownScenario(String),
}

/// Which site a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Site {
    App,
    Scenario(usize),
}

/// State shared by every listener and connection. No global mutable state: ids come
/// from here, so two testbeds in one process (tests) never mix.
pub(crate) struct Shared {
    next_connection: AtomicU64,
    scenarios: Vec<(Scenario, String)>,
    app_policy: Scenario,
    dist: Option<PathBuf>,
    csp: String,
    rtt: Duration,
    max_connections_per_origin: usize,
    refusing: Arc<Semaphore>,
    log: Arc<ServedLog>,
    app_origin: String,
    send_timeout: Duration,
    panic_path: Option<String>,
}

impl Shared {
    fn origin_url(&self, site: Site) -> String {
        match site {
            Site::App => self.app_origin.clone(),
            Site::Scenario(i) => self.scenarios[i].1.clone(),
        }
    }

    fn policy(&self, site: Site) -> &Scenario {
        match site {
            Site::App => &self.app_policy,
            Site::Scenario(i) => &self.scenarios[i].0,
        }
    }
    fn origin_of(&self, id: &str) -> Option<&str> {
        self.scenarios.iter().find(|(s, _)| s.id == id).map(|(_, o)| o.as_str())
    }
}

/// A started testbed. Dropping it does not stop it: call [`Testbed::shutdown`].
pub struct Testbed {
    pub app_url: String,
    pub scenarios: Vec<ScenarioInfo>,
    /// The TLS certificate's SHA-256 fingerprint and SPKI hash (for browsers' trust flags).
    pub tls_fingerprint: String,
    pub tls_spki_sha256: String,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
    log: Arc<ServedLog>,
}

impl Testbed {
    pub async fn start(config: Config) -> Result<Testbed, StartError> {
        let identity = match (&config.cert, &config.key) {
            (Some(c), Some(k)) => tls::Identity::from_files(c, k)?,
            (None, None) => tls::Identity::self_signed()?,
            _ => return Err(StartError::CertWithoutKey),
        };
        for (id, _) in &config.scenario_ports {
            if !scenario::all().iter().any(|s| s.id == id) {
                return Err(StartError::UnknownScenario(id.clone()));
            }
        }
        let scenarios: Vec<Scenario> = scenario::all()
            .into_iter()
            .map(|mut s| {
                if s.id != "short-idle" && s.idle_timeout.is_some() {
                    s.idle_timeout = Some(config.idle_timeout);
                }
                if s.max_requests.is_some() {
                    s.max_requests = Some(config.max_requests.max(1));
                }
                s
            })
            .collect();

        let host = match config.bind {
            ip if ip.is_unspecified() => "127.0.0.1".to_string(),
            IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        let bind = |port: u16| async move {
            let addr = SocketAddr::new(config.bind, port);
            TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })
        };
        let app_listener = bind(config.port).await?;
        let app_port = app_listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr: SocketAddr::new(config.bind, config.port), source })?
            .port();

        let mut listeners = Vec::new();
        let mut with_origins = Vec::new();
        for (i, s) in scenarios.into_iter().enumerate() {
            let port = config
                .scenario_ports
                .iter()
                .find(|(id, _)| id == s.id)
                .map(|(_, p)| *p)
                .unwrap_or(if config.port == 0 { 0 } else { config.port.saturating_add(1 + i as u16) });
            let listener = bind(port).await?;
            let port = listener
                .local_addr()
                .map_err(|source| StartError::Bind { addr: SocketAddr::new(config.bind, port), source })?
                .port();
            let scheme = if s.tls { "https" } else { "http" };
            with_origins.push((s, format!("{scheme}://{host}:{port}")));
            listeners.push((Site::Scenario(i), listener));
        }
        listeners.push((Site::App, app_listener));

        let csp = config
            .dist
            .as_ref()
            .and_then(|d| std::fs::read_to_string(d.join("index.html")).ok())
            .map(|html| static_files::content_security_policy(&html))
            .unwrap_or_else(|| static_files::content_security_policy(""));
        let app_policy = Scenario {
            id: "app",
            title: "connscope",
            explanation: "",
            protocol: Protocol::Http1,
            tls: false,
            keep_alive: true,
            idle_timeout: Some(config.idle_timeout),
            max_requests: None,
            timing_allow_origin: true,
        };
        let log = Arc::new(ServedLog::default());
        let shared = Arc::new(Shared {
            next_connection: AtomicU64::new(0),
            scenarios: with_origins,
            app_policy,
            dist: config.dist.clone(),
            csp,
            rtt: config.rtt,
            max_connections_per_origin: config.max_connections.max(1),
            refusing: Arc::new(Semaphore::new(connection::REFUSING_MAX)),
            log: log.clone(),
            app_origin: format!("http://{host}:{app_port}"),
            send_timeout: config.send_timeout.max(Duration::from_millis(10)),
            panic_path: config.panic_path.clone(),
        });

        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        for (site, listener) in listeners {
            let tls_config = match site {
                Site::Scenario(i) if shared.scenarios[i].0.tls => {
                    let alpn: &[&[u8]] = match shared.scenarios[i].0.protocol {
                        Protocol::H2 => &[b"h2", b"http/1.1"],
                        Protocol::Http1 => &[b"http/1.1"],
                    };
                    Some(identity.server_config(alpn)?)
                }
                _ => None,
            };
            tasks.spawn(accept_loop(listener, site, shared.clone(), tls_config, shutdown_rx.clone()));
        }

        Ok(Testbed {
            app_url: format!("http://{host}:{app_port}/"),
            scenarios: shared.scenarios.iter().map(|(s, o)| s.info(o.clone())).collect(),
            tls_fingerprint: identity.fingerprint.clone(),
            tls_spki_sha256: identity.spki_sha256_base64.clone(),
            shutdown,
            tasks,
            log,
        })
    }

    /// Every request served since the last call, oldest first (the newest that fit in
    /// [`log::SERVED_LOG_BYTES`]; targets cut at [`log::SERVED_TARGET_MAX`] bytes).
    pub fn take_served(&self) -> Vec<Served> {
        self.log.take()
    }

    /// The origin (`scheme://host:port`) of a scenario.
    pub fn origin(&self, id: &str) -> Option<&str> {
        self.scenarios.iter().find(|s| s.id == id).map(|s| s.origin.as_str())
    }

    /// Stops accepting, asks every open connection to finish its request and close,
    /// and waits for them (at most `grace`).
    pub async fn shutdown(mut self, grace: Duration) {
        let _ = self.shutdown.send(true);
        let _ = tokio::time::timeout(grace, async { while self.tasks.join_next().await.is_some() {} }).await;
        self.tasks.abort_all();
    }
}
