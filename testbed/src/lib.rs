//! connscope's testbed: a scenario server. Each scenario is an origin (its own port) whose
//! connections behave in a known way — keep-alive, `Connection: close`, a short idle
//! timeout, a cap on requests per connection, HTTP/2 over TLS — and every response says,
//! in `Server-Timing: conn;desc="<id>", req;desc="<n>"`, which connection carried it and
//! how many requests that connection had carried, so what a browser reports can be
//! checked against the truth. The app's own origin serves the built app and
//! `GET /api/scenarios`.

pub mod io;
pub mod pages;
pub mod scenario;
pub mod static_files;
pub mod tls;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulConnection;
use scenario::{Protocol, Scenario, ScenarioInfo};
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::pin::pin;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

/// Request bodies larger than this are refused (the testbed only serves GETs).
pub const MAX_REQUEST_BODY: u64 = 64 * 1024;
/// hyper's read buffer: bounds the request line plus headers of one request.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// How long a client may take to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// Open connections across all origins; more wait to be accepted.
    pub max_connections: usize,
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
            max_connections: 1024,
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
enum Site {
    App,
    Scenario(usize),
}

/// State shared by every listener and connection. No global mutable state: ids come
/// from here, so two testbeds in one process (tests) never mix.
struct Shared {
    next_connection: AtomicU64,
    scenarios: Vec<(Scenario, String)>,
    app_policy: Scenario,
    dist: Option<PathBuf>,
    csp: String,
    rtt: Duration,
    connections: Arc<Semaphore>,
    log: Arc<ServedLog>,
    app_origin: String,
}

/// One request as the server served it: the ground truth the e2e tests compare with what
/// browsers report (some engines do not expose cross-origin Server-Timing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The origin (scheme://host:port) that served it.
    pub origin: String,
    /// Path and query as requested.
    pub target: String,
    pub connection: u64,
    pub request_number: u32,
}

/// The most recent requests served, bounded so a long-running testbed stays small.
#[derive(Default)]
struct ServedLog(std::sync::Mutex<std::collections::VecDeque<Served>>);

const SERVED_LOG_MAX: usize = 50_000;

impl ServedLog {
    fn record(&self, s: Served) {
        if let Ok(mut log) = self.0.lock() {
            if log.len() >= SERVED_LOG_MAX {
                log.pop_front();
            }
            log.push_back(s);
        }
    }
    fn take(&self) -> Vec<Served> {
        self.0.lock().map(|mut l| l.drain(..).collect()).unwrap_or_default()
    }
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
            connections: Arc::new(Semaphore::new(config.max_connections.max(1))),
            log: log.clone(),
            app_origin: format!("http://{host}:{app_port}"),
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

    /// Every request served since the last call, oldest first (at most the last 50,000).
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

async fn accept_loop(
    listener: TcpListener,
    site: Site,
    shared: Arc<Shared>,
    tls: Option<Arc<rustls::ServerConfig>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        let permit = tokio::select! {
            p = shared.connections.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = shutdown.changed() => break,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                connections.spawn(serve_connection(
                    stream,
                    peer,
                    site,
                    shared.clone(),
                    tls.clone(),
                    permit,
                    shutdown.clone(),
                ));
            }
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        while connections.try_join_next().is_some() {}
    }
    while connections.join_next().await.is_some() {}
}

/// What the handlers of one connection share.
struct ConnCtx {
    id: u64,
    site: Site,
    shared: Arc<Shared>,
    requests: AtomicU32,
    in_flight: AtomicUsize,
    activity: io::Activity,
    alpn_h2: bool,
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    site: Site,
    shared: Arc<Shared>,
    tls: Option<Arc<rustls::ServerConfig>>,
    _permit: OwnedSemaphorePermit,
    shutdown: watch::Receiver<bool>,
) {
    let id = shared.next_connection.fetch_add(1, Ordering::Relaxed) + 1;
    let policy = shared.policy(site).clone();
    info!(conn = id, %peer, origin = policy.id, "connection opened");
    let activity = io::Activity::new();
    let io = io::TrackedIo::new(stream, activity.clone(), shared.rtt);
    let make_ctx = |alpn_h2| {
        Arc::new(ConnCtx {
            id,
            site,
            shared: shared.clone(),
            requests: AtomicU32::new(0),
            in_flight: AtomicUsize::new(0),
            activity: activity.clone(),
            alpn_h2,
        })
    };
    let ctx = match tls {
        None => {
            let ctx = make_ctx(false);
            serve_http1(TokioIo::new(io), &policy, ctx.clone(), shutdown).await;
            ctx
        }
        Some(config) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(config);
            let stream = match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(io)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    info!(conn = id, error = %e, "TLS handshake failed (a browser that does not trust the certificate closes here)");
                    return;
                }
                Err(_) => {
                    info!(conn = id, "TLS handshake timed out");
                    return;
                }
            };
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
            let ctx = make_ctx(h2);
            if h2 {
                let service = service(ctx.clone());
                let conn = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .timer(TokioTimer::new())
                    .max_header_list_size(MAX_HEAD_BYTES as u32)
                    .serve_connection(TokioIo::new(stream), service);
                drive(conn, &ctx, policy.idle_timeout, shutdown).await;
            } else {
                serve_http1(TokioIo::new(stream), &policy, ctx.clone(), shutdown).await;
            }
            ctx
        }
    };
    info!(conn = id, requests = ctx.requests.load(Ordering::Relaxed), "connection closed");
}

async fn serve_http1<I>(io: I, policy: &Scenario, ctx: Arc<ConnCtx>, shutdown: watch::Receiver<bool>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(policy.keep_alive)
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(100)
        .serve_connection(io, service(ctx.clone()));
    drive(conn, &ctx, policy.idle_timeout.filter(|_| policy.keep_alive), shutdown).await;
}

/// Runs a connection to its end, closing it when it has been idle for `idle` (no bytes
/// moved and no request in flight) or when the testbed shuts down.
async fn drive<C>(conn: C, ctx: &ConnCtx, idle: Option<Duration>, mut shutdown: watch::Receiver<bool>)
where
    C: GracefulConnection,
    C::Error: std::fmt::Display,
{
    let mut conn = pin!(conn);
    let mut closing = false;
    loop {
        let deadline = idle.filter(|_| !closing).map(|d| ctx.activity.last() + d);
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    debug!(conn = ctx.id, error = %e, "connection ended with an error");
                }
                return;
            }
            _ = sleep_until(deadline) => {
                if let Some(d) = idle {
                    let quiet = ctx.activity.last() + d <= tokio::time::Instant::now();
                    if quiet && ctx.in_flight.load(Ordering::SeqCst) == 0 {
                        info!(conn = ctx.id, idle_ms = d.as_millis() as u64, "idle timeout: closing");
                        conn.as_mut().graceful_shutdown();
                        closing = true;
                    }
                }
            }
            _ = shutdown.changed(), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

type Body = Full<Bytes>;

fn service(
    ctx: Arc<ConnCtx>,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = Response<Body>,
    Error = Infallible,
    Future = impl std::future::Future<Output = Result<Response<Body>, Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(move |req| {
        let ctx = ctx.clone();
        async move { Ok::<_, Infallible>(handle(req, &ctx).await) }
    })
}

struct InFlight<'a>(&'a AtomicUsize);
impl<'a> InFlight<'a> {
    fn new(c: &'a AtomicUsize) -> Self {
        c.fetch_add(1, Ordering::SeqCst);
        InFlight(c)
    }
}
impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn handle(req: Request<Incoming>, ctx: &ConnCtx) -> Response<Body> {
    let _in_flight = InFlight::new(&ctx.in_flight);
    let n = ctx.requests.fetch_add(1, Ordering::SeqCst) + 1;
    let policy = ctx.shared.policy(ctx.site);
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let target = req.uri().path_and_query().map_or_else(|| path.clone(), |pq| pq.as_str().to_string());
    let mut resp = route(req, ctx).await;

    let h = resp.headers_mut();
    let server_timing = format!("conn;desc=\"{}\", req;desc=\"{}\"", ctx.id, n);
    h.insert("server-timing", HeaderValue::from_str(&server_timing).unwrap_or(HeaderValue::from_static("conn")));
    if policy.timing_allow_origin {
        h.insert("timing-allow-origin", HeaderValue::from_static("*"));
    }
    if ctx.site != Site::App {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("Server-Timing"));
        h.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if !ctx.alpn_h2 {
        let last = !policy.keep_alive || policy.max_requests.is_some_and(|m| n >= m);
        if last {
            h.insert(header::CONNECTION, HeaderValue::from_static("close"));
        } else if let Some(ka) = policy.keep_alive_header().and_then(|v| HeaderValue::from_str(&v).ok()) {
            h.insert("keep-alive", ka);
        }
    }
    info!(conn = ctx.id, req = n, %method, path, status = resp.status().as_u16(), "request");
    ctx.shared.log.record(Served {
        origin: ctx.shared.origin_url(ctx.site),
        target,
        connection: ctx.id,
        request_number: n,
    });
    resp
}

fn text(status: StatusCode, body: impl Into<String>) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body.into())));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

fn with_type(content_type: &'static str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

async fn route(req: Request<Incoming>, ctx: &ConnCtx) -> Response<Body> {
    match *req.method() {
        Method::GET | Method::HEAD => {}
        Method::OPTIONS => {
            let mut r = text(StatusCode::NO_CONTENT, "");
            r.headers_mut()
                .insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, HEAD, OPTIONS"));
            r.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("*"));
            r.headers_mut().insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
            return r;
        }
        _ => return text(StatusCode::METHOD_NOT_ALLOWED, "the testbed serves GET, HEAD and OPTIONS only\n"),
    }
    let too_long = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > MAX_REQUEST_BODY);
    if too_long {
        return text(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request bodies are limited to {MAX_REQUEST_BODY} bytes\n"),
        );
    }
    let path = req.uri().path();
    let query = pages::parse_query(req.uri().query());
    match ctx.site {
        Site::App => route_app(path, &ctx.shared).await,
        Site::Scenario(i) => route_scenario(path, &query, &ctx.shared, i).await,
    }
}

async fn route_app(path: &str, shared: &Shared) -> Response<Body> {
    if path == "/api/scenarios" {
        let list: Vec<ScenarioInfo> = shared.scenarios.iter().map(|(s, o)| s.info(o.clone())).collect();
        return match serde_json::to_vec_pretty(&list) {
            // Readable from any origin: tools and tests other than the app may list scenarios.
            Ok(json) => {
                let mut r = with_type("application/json", json);
                r.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
                r
            }
            Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        };
    }
    let Some(dist) = &shared.dist else {
        return text(
            StatusCode::NOT_FOUND,
            "this testbed was started without --dist: no app to serve (try `cargo xtask run`)\n",
        );
    };
    let Some(file) = static_files::resolve(dist, path) else {
        return text(StatusCode::NOT_FOUND, "not found\n");
    };
    let mut resp = match tokio::fs::read(&file).await {
        Ok(bytes) => with_type(static_files::content_type(&file), bytes),
        Err(_) => text(StatusCode::NOT_FOUND, "not found\n"),
    };
    let h = resp.headers_mut();
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("cross-origin-embedder-policy", HeaderValue::from_static("require-corp"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if let Ok(csp) = HeaderValue::from_str(&shared.csp) {
        h.insert("content-security-policy", csp);
    }
    resp
}

async fn route_scenario(
    path: &str,
    query: &std::collections::BTreeMap<String, String>,
    shared: &Shared,
    index: usize,
) -> Response<Body> {
    let (scenario, _) = &shared.scenarios[index];
    if let Some(ms) = query.get("delay") {
        match ms.parse::<u64>() {
            Ok(ms) if ms <= pages::MAX_DELAY_MS => tokio::time::sleep(Duration::from_millis(ms)).await,
            _ => {
                return text(
                    StatusCode::BAD_REQUEST,
                    format!("query parameter `delay` must be a whole number of ms from 0 to {}\n", pages::MAX_DELAY_MS),
                )
            }
        }
    }
    if path == "/" {
        let body = format!(
            "<!DOCTYPE html><meta charset=\"utf-8\"><title>{0}</title><h1>{0}</h1><p>{1}</p><p><a href=\"/page.html\">The test page</a></p>\n",
            scenario.title, scenario.explanation
        );
        return with_type("text/html; charset=utf-8", body);
    }
    if path == "/page.html" {
        return match pages::PageSpec::from_query(query) {
            Ok(spec) => {
                let cdn = if scenario.id == "cdn" { None } else { shared.origin_of("cdn") };
                let html = spec.html(&format!("connscope test page — {}", scenario.title), cdn);
                with_type("text/html; charset=utf-8", html)
            }
            Err(e) => text(StatusCode::BAD_REQUEST, format!("{e}\n")),
        };
    }
    if path == "/rich.html" {
        return with_type("text/html; charset=utf-8", pages::RICH_HTML);
    }
    if let Some(code) = path.strip_prefix("/status/") {
        return match code.parse::<u16>().ok().and_then(|c| StatusCode::from_u16(c).ok()).filter(|c| c.as_u16() >= 200) {
            Some(status) => text(status, format!("this response has status {status}, as asked\n")),
            None => text(StatusCode::BAD_REQUEST, "use /status/<code> with a code from 200 to 999\n"),
        };
    }
    if path == "/redirect" {
        let to = query.get("to").map(String::as_str).unwrap_or("/page.html");
        // Same-origin paths only: the testbed is no open redirector.
        if !to.starts_with('/') || to.starts_with("//") {
            return text(StatusCode::BAD_REQUEST, "`to` must be a path on this origin, starting with a single /\n");
        }
        let mut r = text(StatusCode::FOUND, format!("redirecting to {to}\n"));
        if let Ok(v) = HeaderValue::from_str(to) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        return r;
    }
    if let Some(name) = path.strip_prefix("/r/") {
        return match pages::resource(name, query) {
            Ok(Some(r)) => with_type(r.content_type, r.body),
            Ok(None) => text(StatusCode::NOT_FOUND, format!("the testbed makes no resource named {name:?}\n")),
            Err(e) => text(StatusCode::BAD_REQUEST, format!("{e}\n")),
        };
    }
    text(StatusCode::NOT_FOUND, "not found: try /page.html\n")
}
