//! The connection lifecycle: the accept loop, each connection's id, TLS and ALPN, the idle
//! timer, the count of requests it carried, and the hand-off of each request to the routes
//! and the headers contract. hyper serves HTTP/1.1 and HTTP/2 underneath
//! (`hyper::server::conn`), so the testbed keeps exact control of every connection.

use crate::headers;
use crate::io;
use crate::log::Served;
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
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit};
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

pub(crate) async fn accept_loop(
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
pub(crate) struct ConnCtx {
    id: u64,
    pub(crate) site: Site,
    pub(crate) shared: Arc<Shared>,
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
    let send_timeout = ctx.shared.send_timeout;
    loop {
        let deadline = idle.filter(|_| !closing).map(|d| ctx.activity.last() + d);
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
        async move { Ok::<_, Infallible>(handle(req, ctx).await) }
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

async fn handle(req: Request<Incoming>, ctx: Arc<ConnCtx>) -> Response<Body> {
    let _in_flight = InFlight::new(&ctx.in_flight);
    let n = ctx.requests.fetch_add(1, Ordering::SeqCst) + 1;
    let policy = ctx.shared.policy(ctx.site);
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let target = req.uri().path_and_query().map_or_else(|| path.clone(), |pq| pq.as_str().to_string());
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
        origin: ctx.shared.origin_url(ctx.site),
        target,
        connection: ctx.id,
        request_number: n,
    });
    resp
}
