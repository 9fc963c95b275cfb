//! The connection lifecycle: the accept loop, each connection's id, TLS and ALPN, the idle
//! timer, the count of requests it carried, and the hand-off of each request to the routes
//! and the headers contract. hyper serves HTTP/1.1 and HTTP/2 underneath
//! (`hyper::server::conn`), so the testbed keeps exact control of every connection.

use crate::headers;
use crate::io;
use crate::log::{epoch_ms, Opened, Served};
use crate::routes::{self, Body};
use crate::scenario::Scenario;
use crate::{Shared, Site, HEADER_READ_TIMEOUT, MAX_HEAD_BYTES, TLS_HANDSHAKE_TIMEOUT};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulConnection;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

/// Connections being refused at once, across the testbed; past it a refused one is just
/// closed, so a flood costs no more than this many tiny tasks.
pub(crate) const REFUSING_MAX: usize = 256;
/// How long a refusal may take (the TLS handshake, writing the 503).
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(2);

pub(crate) async fn accept_loop(
    listener: TcpListener,
    site: Site,
    shared: Arc<Shared>,
    tls: Option<Arc<rustls::ServerConfig>>,
    mut shutdown: watch::Receiver<bool>,
) {
    // Each origin has its own cap: a flood of slow connections to one origin leaves the
    // others, the app's among them, reachable.
    let cap = Arc::new(Semaphore::new(shared.max_connections_per_origin));
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                let accepted_ms = epoch_ms();
                let _ = stream.set_nodelay(true);
                match cap.clone().try_acquire_owned() {
                    Ok(permit) => {
                        connections.spawn(serve_connection(
                            Accepted { stream, peer, at_ms: accepted_ms },
                            site,
                            shared.clone(),
                            tls.clone(),
                            permit,
                            shutdown.clone(),
                        ));
                    }
                    Err(_) => match shared.refusing.clone().try_acquire_owned() {
                        Ok(permit) => {
                            connections.spawn(refuse(stream, tls.clone(), permit));
                        }
                        Err(_) => drop(stream),
                    },
                }
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

/// Answers a connection past the origin's cap with `503 Service Unavailable` and closes it.
async fn refuse(stream: TcpStream, tls: Option<Arc<rustls::ServerConfig>>, _permit: OwnedSemaphorePermit) {
    const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 53\r\nRetry-After: 1\r\nConnection: close\r\n\r\nthis origin has as many connections open as it takes\n";
    let answer = async move {
        match tls {
            None => {
                let mut stream = stream;
                let _ = stream.write_all(BUSY).await;
                let _ = stream.shutdown().await;
            }
            // HTTP/1.1 over TLS gets the same words; an h2 client is simply closed (the
            // refusal would need a whole HTTP/2 session).
            Some(config) => {
                if let Ok(mut s) = tokio_rustls::TlsAcceptor::from(config).accept(stream).await {
                    if s.get_ref().1.alpn_protocol() != Some(b"h2") {
                        let _ = s.write_all(BUSY).await;
                    }
                    let _ = s.shutdown().await;
                }
            }
        }
    };
    let _ = tokio::time::timeout(REFUSAL_TIMEOUT, answer).await;
    debug!("refused a connection over the origin's cap");
}

/// What the handlers of one connection share.
pub(crate) struct ConnCtx {
    id: u64,
    pub(crate) site: Site,
    pub(crate) shared: Arc<Shared>,
    requests: AtomicU32,
    in_flight: AtomicUsize,
    activity: io::Activity,
    /// When a request last began or ended (or the connection opened).
    last_request: std::sync::Mutex<tokio::time::Instant>,
    alpn_h2: bool,
    /// When the listener accepted it (epoch ms), for the log.
    accepted_ms: f64,
}

impl ConnCtx {
    fn request_moved(&self) {
        if let Ok(mut t) = self.last_request.lock() {
            *t = tokio::time::Instant::now();
        }
    }

    /// Since when the connection has been idle. HTTP/1.x: since bytes last moved (hyper's
    /// header-read timeout bounds a slow request head). HTTP/2: since a request last began
    /// or ended, so a client trickling frames without ever completing a request (a slow
    /// head, or pings alone) is closed like an idle one.
    fn idle_since(&self) -> tokio::time::Instant {
        if self.alpn_h2 {
            self.last_request.lock().map(|t| *t).unwrap_or_else(|_| tokio::time::Instant::now())
        } else {
            self.activity.last()
        }
    }
}

/// How long a connection asked to close gracefully (idle, nothing in flight) may take
/// before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// A connection the listener took, and when (epoch ms).
struct Accepted {
    stream: TcpStream,
    peer: SocketAddr,
    at_ms: f64,
}

async fn serve_connection(
    Accepted { stream, peer, at_ms: accepted_ms }: Accepted,
    site: Site,
    shared: Arc<Shared>,
    tls: Option<Arc<rustls::ServerConfig>>,
    _permit: OwnedSemaphorePermit,
    shutdown: watch::Receiver<bool>,
) {
    let id = shared.next_connection.fetch_add(1, Ordering::Relaxed) + 1;
    let policy = shared.policy(site).clone();
    info!(conn = id, %peer, origin = policy.id, "connection opened");
    shared.log.opened(Opened { origin: shared.origin_url(site), connection: id, accepted_ms });
    let activity = io::Activity::new();
    let io = io::TrackedIo::new(stream, activity.clone(), shared.rtt + policy.rtt);
    let make_ctx = |alpn_h2| {
        Arc::new(ConnCtx {
            id,
            site,
            shared: shared.clone(),
            requests: AtomicU32::new(0),
            in_flight: AtomicUsize::new(0),
            activity: activity.clone(),
            last_request: std::sync::Mutex::new(tokio::time::Instant::now()),
            alpn_h2,
            accepted_ms,
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
                    // Bytes buffered per stream before the client takes them: with at most 200
                    // streams at once, at most 12.5 MiB a connection.
                    .max_concurrent_streams(200)
                    .max_send_buf_size(64 * 1024)
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
    let mut closing_since = None;
    let send_timeout = ctx.shared.send_timeout;
    loop {
        let deadline = match closing_since {
            Some(since) => Some(since + CLOSE_GRACE),
            None => idle.filter(|_| !closing).map(|d| ctx.idle_since() + d),
        };
        // A client that stops reading blocks the server's writes; like nginx's send_timeout,
        // a write blocked this long ends the connection (checked at least this often).
        let send_check = ctx.activity.blocked_since().unwrap_or_else(tokio::time::Instant::now) + send_timeout;
        tokio::select! {
            _ = tokio::time::sleep_until(send_check) => {
                if ctx.activity.blocked_since().is_some_and(|b| b + send_timeout <= tokio::time::Instant::now()) {
                    info!(conn = ctx.id, send_timeout_ms = send_timeout.as_millis() as u64, "send timeout: the client does not read; closing");
                    return;
                }
            }
            res = conn.as_mut() => {
                if let Err(e) = res {
                    debug!(conn = ctx.id, error = %e, "connection ended with an error");
                }
                return;
            }
            _ = sleep_until(deadline) => {
                let now = tokio::time::Instant::now();
                if closing_since.is_some_and(|since| since + CLOSE_GRACE <= now) {
                    if ctx.in_flight.load(Ordering::SeqCst) == 0 {
                        info!(conn = ctx.id, "idle and still open after the grace: dropping");
                        return;
                    }
                    closing_since = None;
                } else if let Some(d) = idle {
                    let quiet = ctx.idle_since() + d <= now;
                    if quiet && ctx.in_flight.load(Ordering::SeqCst) == 0 {
                        info!(conn = ctx.id, idle_ms = d.as_millis() as u64, "idle timeout: closing");
                        conn.as_mut().graceful_shutdown();
                        closing = true;
                        closing_since = Some(now);
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

fn service(
    ctx: Arc<ConnCtx>,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = Response<Sending>,
    Error = Infallible,
    Future = impl std::future::Future<Output = Result<Response<Sending>, Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(move |req| {
        let ctx = ctx.clone();
        async move { Ok::<_, Infallible>(handle(req, ctx).await) }
    })
}

/// A request counted as in flight from its head to its body's last byte handed to the
/// socket (the guard travels with the body), so the idle timer never closes a connection
/// in the middle of a download.
struct InFlight(Arc<ConnCtx>);

impl InFlight {
    fn new(ctx: &Arc<ConnCtx>) -> Self {
        ctx.in_flight.fetch_add(1, Ordering::SeqCst);
        ctx.request_moved();
        InFlight(ctx.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.0.request_moved();
    }
}

pin_project_lite::pin_project! {
    /// A response body that keeps its request in flight until it is sent.
    pub(crate) struct Sending {
        #[pin]
        body: Body,
        guard: InFlight,
    }
}

impl hyper::body::Body for Sending {
    type Data = bytes::Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        self.project().body.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

async fn handle(req: Request<Incoming>, ctx: Arc<ConnCtx>) -> Response<Sending> {
    let received_ms = epoch_ms();
    let guard = InFlight::new(&ctx);
    let n = ctx.requests.fetch_add(1, Ordering::SeqCst) + 1;
    let policy = ctx.shared.policy(ctx.site);
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let target = req.uri().path_and_query().map_or_else(|| path.clone(), |pq| pq.as_str().to_string());
    let origin = named_origin(&req, &ctx.shared.origin_url(ctx.site));
    // The route runs as a task of its own, so a panic in it answers 500 and the connection
    // and the testbed go on (the release profile unwinds for this).
    let mut resp = {
        let route_ctx = ctx.clone();
        match tokio::spawn(async move { routes::route(req, &route_ctx).await }).await {
            Ok(resp) => resp,
            Err(e) => {
                warn!(conn = ctx.id, path, panicked = e.is_panic(), "the handler failed: answering 500");
                routes::text(hyper::StatusCode::INTERNAL_SERVER_ERROR, "the testbed failed to answer this request\n")
            }
        }
    };

    headers::apply(
        resp.headers_mut(),
        &headers::Stated {
            policy,
            truth: connscope_core::ServerTruth { connection: ctx.id.to_string(), request_number: n },
            cross_origin: ctx.site != Site::App,
            h2: ctx.alpn_h2,
        },
    );
    info!(conn = ctx.id, req = n, %method, path, status = resp.status().as_u16(), "request");
    ctx.shared.log.record(Served {
        origin,
        target,
        connection: ctx.id,
        request_number: n,
        accepted_ms: ctx.accepted_ms,
        received_ms,
    });
    resp.map(|body| Sending { body, guard })
}

/// The origin a request named: the listener's scheme with the host and port of its
/// `:authority` (HTTP/2) or `Host` (HTTP/1.1), so a connection coalesced across two host
/// names logs each request under the name it used. `listener` (scheme://host:port) when the
/// request named none, or something that is not a plain host and port.
fn named_origin<B>(req: &Request<B>, listener: &str) -> String {
    let named = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| req.headers().get(hyper::header::HOST).and_then(|h| h.to_str().ok()).map(str::to_string));
    let scheme = listener.split_once("://").map_or("http", |(s, _)| s);
    match named {
        Some(host)
            if !host.is_empty()
                && host.len() <= 255
                && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b)) =>
        {
            format!("{scheme}://{}", host.to_ascii_lowercase())
        }
        _ => listener.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::named_origin;

    #[test]
    fn a_request_is_logged_under_the_host_it_named() {
        let listener = "https://127.0.0.1:8443";
        let req = |host: &str| hyper::Request::builder().header("host", host).body(()).unwrap_or_default();
        assert_eq!(named_origin(&req("localhost:8443"), listener), "https://localhost:8443");
        assert_eq!(named_origin(&req("LocalHost:8443"), listener), "https://localhost:8443");
        assert_eq!(named_origin(&req("a b/c"), listener), listener, "not a host: the listener's own");
        let h2 = hyper::Request::builder().uri("https://localhost:8443/r/a.css").body(()).unwrap_or_default();
        assert_eq!(named_origin(&h2, listener), "https://localhost:8443");
        let none = hyper::Request::builder().uri("/x").body(()).unwrap_or_default();
        assert_eq!(named_origin(&none, listener), listener);
    }
}
