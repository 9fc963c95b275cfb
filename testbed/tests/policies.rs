//! Each scenario's connection policy, proven from the client's side with a real HTTP
//! client (hyper's connection-level client, so the test decides which connection carries
//! which request) against a real testbed on loopback.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::{http1, http2};
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::Arc;
use std::time::{Duration, Instant};
use testbed::{Config, Testbed};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Truth {
    conn: u64,
    req: u32,
}

/// Parses the testbed's `Server-Timing: conn;desc="7", req;desc="2"`.
fn truth(resp: &hyper::Response<hyper::body::Incoming>) -> Truth {
    let st = resp.headers().get("server-timing").expect("Server-Timing present").to_str().unwrap();
    let field = |name: &str| -> String {
        let start = st.find(&format!("{name};desc=\"")).unwrap_or_else(|| panic!("{name} in {st}")) + name.len() + 7;
        st[start..].split('"').next().unwrap().to_string()
    };
    Truth { conn: field("conn").parse().unwrap(), req: field("req").parse().unwrap() }
}

fn host_port(origin: &str) -> String {
    origin.split("://").nth(1).unwrap().to_string()
}

async fn start(config: Config) -> Testbed {
    Testbed::start(config).await.expect("testbed starts")
}

/// One HTTP/1.1 connection: the sender, and a handle that ends when the server closes it.
async fn h1_connect(origin: &str) -> (http1::SendRequest<Empty<Bytes>>, tokio::task::JoinHandle<()>) {
    let tcp = TcpStream::connect(host_port(origin)).await.unwrap();
    let (sender, conn) = http1::handshake(TokioIo::new(tcp)).await.unwrap();
    (
        sender,
        tokio::spawn(async move {
            let _ = conn.await;
        }),
    )
}

async fn get(sender: &mut http1::SendRequest<Empty<Bytes>>, path: &str) -> hyper::Response<hyper::body::Incoming> {
    sender.ready().await.expect("connection still usable");
    let req = Request::get(path).header("host", "127.0.0.1").body(Empty::new()).unwrap();
    sender.send_request(req).await.expect("response")
}

/// Every `Server-Timing` metric of a response, as the app reads them.
fn server_timing(resp: &hyper::Response<hyper::body::Incoming>) -> Vec<connscope_core::ServerTimingEntry> {
    resp.headers()
        .get_all("server-timing")
        .iter()
        .flat_map(|v| connscope_core::ServerTimingEntry::parse_header(v.to_str().unwrap()))
        .collect()
}

async fn drain(resp: hyper::Response<hyper::body::Incoming>) -> Bytes {
    resp.into_body().collect().await.unwrap().to_bytes()
}

#[tokio::test]
async fn keepalive_reuses_one_connection_and_counts_its_requests() {
    let tb = start(Config::default()).await;
    let origin = tb.origin("keepalive").unwrap();
    let (mut s, _conn) = h1_connect(origin).await;
    let first = get(&mut s, "/r/a.css").await;
    let t1 = truth(&first);
    assert_eq!(first.headers()["keep-alive"], "timeout=5");
    drain(first).await;
    let second = get(&mut s, "/r/b.js").await;
    let t2 = truth(&second);
    assert_eq!((t1.req, t2.req), (1, 2));
    assert_eq!(t1.conn, t2.conn, "both requests went over one connection");
    let (mut other, _c) = h1_connect(origin).await;
    let t3 = truth(&get(&mut other, "/r/a.css").await);
    assert_ne!(t3.conn, t1.conn, "a new connection gets a new id");
    assert_eq!(t3.req, 1);
    // The server's own log holds the same truth.
    let served: Vec<(String, u64, u32)> =
        tb.take_served().into_iter().map(|s| (s.target, s.connection, s.request_number)).collect();
    assert_eq!(
        served,
        vec![
            ("/r/a.css".to_string(), t1.conn, 1),
            ("/r/b.js".to_string(), t1.conn, 2),
            ("/r/a.css".to_string(), t3.conn, 1)
        ]
    );
    assert!(tb.take_served().is_empty(), "taking empties the log");
    tb.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn close_answers_connection_close_and_hangs_up() {
    let tb = start(Config::default()).await;
    let origin = tb.origin("close").unwrap();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (mut s, conn) = h1_connect(origin).await;
        let resp = get(&mut s, "/r/a.css").await;
        assert_eq!(resp.headers()["connection"], "close");
        let t = truth(&resp);
        assert_eq!(t.req, 1);
        ids.push(t.conn);
        drain(resp).await;
        tokio::time::timeout(Duration::from_secs(2), conn).await.expect("server closed the socket").unwrap();
    }
    ids.dedup();
    assert_eq!(ids.len(), 3, "every request had its own connection");
    tb.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn short_idle_closes_a_connection_idle_for_a_second() {
    let tb = start(Config::default()).await;
    let origin = tb.origin("short-idle").unwrap();
    let (mut s, conn) = h1_connect(origin).await;
    let resp = get(&mut s, "/r/a.css").await;
    let first = truth(&resp).conn;
    drain(resp).await;
    // Busy for 0.8 s: requests 0.4 s apart keep it open.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let resp = get(&mut s, "/r/a.css").await;
    assert_eq!(truth(&resp).conn, first);
    drain(resp).await;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_millis(1500), conn).await.expect("closed after 1 s idle").unwrap();
    let idle = started.elapsed();
    assert!(idle >= Duration::from_millis(900), "closed too early: {idle:?}");
    let (mut s2, _c) = h1_connect(origin).await;
    let t = truth(&get(&mut s2, "/r/a.css").await);
    assert_ne!(t.conn, first);
    assert_eq!(t.req, 1);
    tb.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn max_3_closes_after_the_third_request() {
    let tb = start(Config::default()).await;
    let origin = tb.origin("max-3").unwrap();
    let (mut s, conn) = h1_connect(origin).await;
    let mut conns = Vec::new();
    for n in 1..=3u32 {
        let resp = get(&mut s, "/r/a.css").await;
        let t = truth(&resp);
        assert_eq!(t.req, n);
        conns.push(t.conn);
        if n == 3 {
            assert_eq!(resp.headers()["connection"], "close");
        } else {
            assert_eq!(resp.headers()["keep-alive"], "timeout=5, max=3");
        }
        drain(resp).await;
    }
    assert!(conns.iter().all(|c| *c == conns[0]));
    tokio::time::timeout(Duration::from_secs(2), conn).await.expect("closed after the 3rd").unwrap();
    let (mut s2, _c) = h1_connect(origin).await;
    let fourth = truth(&get(&mut s2, "/r/a.css").await);
    assert_ne!(fourth.conn, conns[0]);
    assert_eq!(fourth.req, 1);
    tb.shutdown(Duration::from_secs(1)).await;
}

fn tls_client(cert_pem: &str) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut cert_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    tokio_rustls::TlsConnector::from(Arc::new(cfg))
}

/// A certificate and key in a temporary folder, so the test can trust exactly them.
fn cert_files() -> (tempfile::TempDir, String, Config) {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap().self_signed(&key).unwrap();
    std::fs::write(dir.path().join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), key.serialize_pem()).unwrap();
    let config =
        Config { cert: Some(dir.path().join("cert.pem")), key: Some(dir.path().join("key.pem")), ..Config::default() };
    (dir, cert.pem(), config)
}

#[tokio::test]
async fn h2_negotiates_alpn_and_multiplexes_on_one_connection() {
    let (_dir, pem, config) = cert_files();
    let tb = start(config).await;
    let origin = tb.origin("h2").unwrap();
    assert!(origin.starts_with("https://"));
    let tcp = TcpStream::connect(host_port(origin)).await.unwrap();
    let tls =
        tls_client(&pem).connect(rustls::pki_types::ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (sender, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    // Ten requests at once, each delayed so that they really overlap on the wire.
    let requests = (0..10).map(|i| {
        let mut s = sender.clone();
        async move {
            let req =
                Request::get(format!("https://localhost/r/img-{i}.svg?delay=100")).body(Empty::<Bytes>::new()).unwrap();
            let resp = s.send_request(req).await.unwrap();
            let t = truth(&resp);
            assert!(resp.headers().get("connection").is_none(), "no connection headers on h2");
            (t.conn, t.req)
        }
    });
    let started = Instant::now();
    let results = futures_join_all(requests).await;
    assert!(started.elapsed() < Duration::from_millis(900), "the 10 delayed requests ran concurrently");
    let mut reqs: Vec<u32> = results.iter().map(|r| r.1).collect();
    reqs.sort();
    assert_eq!(reqs, (1..=10).collect::<Vec<_>>());
    assert!(results.iter().all(|r| r.0 == results[0].0), "one connection carried all: {results:?}");
    tb.shutdown(Duration::from_secs(1)).await;
}

async fn futures_join_all<F: std::future::Future + Send + 'static>(futs: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn https_close_handshakes_for_every_request() {
    let (_dir, pem, config) = cert_files();
    let tb = start(config).await;
    let origin = tb.origin("https-close").unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let tcp = TcpStream::connect(host_port(origin)).await.unwrap();
        let tls =
            tls_client(&pem).connect(rustls::pki_types::ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]), "HTTP/1.1 only: no h2 offered");
        let (mut s, conn) = http1::handshake(TokioIo::new(tls)).await.unwrap();
        let h = tokio::spawn(conn);
        let resp = get(&mut s, "/r/a.css").await;
        assert_eq!(resp.headers()["connection"], "close");
        ids.push(truth(&resp).conn);
        drain(resp).await;
        tokio::time::timeout(Duration::from_secs(2), h).await.expect("closed").unwrap().unwrap();
    }
    assert_ne!(ids[0], ids[1]);
    tb.shutdown(Duration::from_secs(1)).await;
}

async fn exchange_time(origin: &str) -> Duration {
    let (mut s, _c) = h1_connect(origin).await;
    drain(get(&mut s, "/r/a.css").await).await;
    let started = Instant::now();
    drain(get(&mut s, "/r/a.css").await).await;
    started.elapsed()
}

#[tokio::test]
async fn rtt_adds_a_round_trip_to_each_exchange() {
    let plain = start(Config::default()).await;
    let base = exchange_time(plain.origin("keepalive").unwrap()).await;
    let slow = start(Config { rtt: Duration::from_millis(50), ..Config::default() }).await;
    let with_rtt = exchange_time(slow.origin("keepalive").unwrap()).await;
    assert!(base < Duration::from_millis(40), "loopback exchange took {base:?}");
    assert!(with_rtt >= Duration::from_millis(50), "--rtt 50 exchange took only {with_rtt:?}");
    assert!(with_rtt < Duration::from_millis(50) + base + Duration::from_millis(100), "{with_rtt:?}");
    plain.shutdown(Duration::from_secs(1)).await;
    slow.shutdown(Duration::from_secs(1)).await;
}

/// The `https-rtt` origin has its round trip built in, with no flag: its TLS handshake's
/// answer and each response wait 50 ms, while the same exchange on `https-keepalive` does not.
#[tokio::test]
async fn https_rtt_pays_a_round_trip_for_the_handshake_and_for_each_exchange() {
    let (_dir, pem, config) = cert_files();
    let tb = start(config).await;
    assert_eq!(tb.scenarios.iter().find(|s| s.id == "https-rtt").and_then(|s| s.rtt_ms), Some(50));
    let mut times = Vec::new();
    for id in ["https-keepalive", "https-rtt"] {
        let tcp = TcpStream::connect(host_port(tb.origin(id).unwrap())).await.unwrap();
        let began = Instant::now();
        let tls =
            tls_client(&pem).connect(rustls::pki_types::ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
        let handshake = began.elapsed();
        let (mut s, conn) = http1::handshake(TokioIo::new(tls)).await.unwrap();
        tokio::spawn(conn);
        drain(get(&mut s, "/r/a.css").await).await;
        let began = Instant::now();
        let resp = get(&mut s, "/r/b.css").await;
        assert_eq!(truth(&resp).req, 2, "{id}: the second request reused the connection");
        drain(resp).await;
        times.push((handshake, began.elapsed()));
    }
    let ((tls_plain, ex_plain), (tls_rtt, ex_rtt)) = (times[0], times[1]);
    let rtt = Duration::from_millis(50);
    assert!(tls_plain < Duration::from_millis(40) && ex_plain < Duration::from_millis(40), "{times:?}");
    assert!(tls_rtt >= rtt && tls_rtt < rtt * 3, "the handshake took {tls_rtt:?}");
    assert!(ex_rtt >= rtt && ex_rtt < rtt * 3, "a reused exchange took {ex_rtt:?}");
    tb.shutdown(Duration::from_secs(1)).await;
}

/// The proxy is told another upstream by a path: `/via/<id>/<path>` goes to that
/// scenario's origin (here keep-alive, whose log shows the proxy's pool reusing its
/// connection), anything else to `close`; an unknown id is a 502 that says so.
#[tokio::test]
async fn the_proxy_forwards_under_via_to_the_origin_it_names() {
    use connscope_core::contract::UpstreamTruth;
    let tb = start(Config::default()).await;
    let proxy = tb.origin("proxy").unwrap().to_string();
    let keepalive = tb.origin("keepalive").unwrap().to_string();
    let (mut s, _c) = h1_connect(&proxy).await;
    let mut hops = Vec::new();
    for path in ["/via/keepalive/r/a.css", "/via/keepalive/r/b.css?x=1"] {
        let resp = get(&mut s, path).await;
        assert_eq!(resp.status(), 200, "{path}");
        let metrics = server_timing(&resp);
        drain(resp).await;
        hops.push(UpstreamTruth::from_metrics(&metrics).unwrap());
    }
    assert_eq!((hops[0].origin.as_str(), hops[1].origin.as_str()), (keepalive.as_str(), keepalive.as_str()));
    assert_eq!(hops[0].hop.connection, hops[1].hop.connection, "the proxy's pool kept its keep-alive connection");
    assert_eq!((hops[0].hop.request_number, hops[1].hop.request_number), (1, 2));
    let served = tb.take_served();
    assert!(served.iter().any(|r| r.origin == keepalive && r.target == "/r/b.css?x=1"), "the origin saw the path");
    let resp = get(&mut s, "/via/nope/r/a.css").await;
    assert_eq!(resp.status(), 502);
    let body = String::from_utf8_lossy(&drain(resp).await).to_string();
    assert!(body.contains("\"nope\" is not a scenario"), "{body}");
    tb.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn every_response_carries_the_contract_headers_but_opaque_hides_timing() {
    let tb = start(Config::default()).await;
    for info in tb.scenarios.iter().filter(|s| !s.tls) {
        for path in ["/page.html", "/r/x.css", "/nope", "/status/503"] {
            let (mut s, _c) = h1_connect(&info.origin).await;
            let resp = get(&mut s, path).await;
            let h = resp.headers();
            assert_eq!(h["access-control-allow-origin"], "*", "{} {path}", info.id);
            assert_eq!(h["access-control-expose-headers"], "Server-Timing");
            assert_eq!(h["cross-origin-resource-policy"], "cross-origin");
            assert_eq!(h["cache-control"], "no-store");
            assert!(h.contains_key("server-timing"));
            assert_eq!(h.contains_key("timing-allow-origin"), info.id != "opaque", "{} {path}", info.id);
            if path == "/status/503" {
                assert_eq!(resp.status(), 503);
            }
            drain(resp).await;
        }
    }
    tb.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn api_lists_every_scenario_with_its_policy() {
    let tb = start(Config::default()).await;
    let (mut s, _c) = h1_connect(tb.app_url.trim_end_matches('/')).await;
    let resp = get(&mut s, "/api/scenarios").await;
    assert_eq!(resp.headers()["content-type"], "application/json");
    let list: serde_json::Value = serde_json::from_slice(&drain(resp).await).unwrap();
    let list = list.as_array().unwrap();
    let ids: Vec<&str> = list.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "keepalive",
            "close",
            "short-idle",
            "max-3",
            "h2",
            "https-keepalive",
            "https-close",
            "cdn",
            "opaque",
            "coalesce",
            "queue",
            "proxy",
            "https-rtt"
        ]
    );
    let max3 = &list[3];
    assert_eq!(max3["max_requests"], 3);
    assert_eq!(max3["protocol"], "http/1.1");
    assert_eq!(list[4]["protocol"], "h2");
    assert_eq!(list[4]["tls"], true);
    assert_eq!(list[2]["idle_timeout_ms"], 1000);
    assert_eq!(list[8]["timing_allow_origin"], false);
    for s in list {
        for field in ["title", "explanation", "origin", "keep_alive", "policy"] {
            assert!(!s[field].is_null(), "{field}");
        }
    }
    tb.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn the_default_page_links_the_cdn_origin() {
    let tb = start(Config::default()).await;
    let (mut s, _c) = h1_connect(tb.origin("keepalive").unwrap()).await;
    let html = String::from_utf8(drain(get(&mut s, "/page.html").await).await.to_vec()).unwrap();
    let cdn = tb.origin("cdn").unwrap();
    assert_eq!(html.matches(&format!("{cdn}/r/img-")).count(), 8);
    let bad = get(&mut s, "/page.html?img=many").await;
    assert_eq!(bad.status(), 400);
    let msg = String::from_utf8(drain(bad).await.to_vec()).unwrap();
    assert!(msg.contains("`img`"), "{msg}");
    tb.shutdown(Duration::from_secs(1)).await;
}

/// Sends raw bytes and returns everything the server answered before closing (or 2 s).
async fn raw(addr: &str, request: &[u8]) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let _ = tcp.write_all(request).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), tcp.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn app_origin_serves_dist_isolated_and_never_outside_it() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<script type=\"module\">boot()</script>").unwrap();
    std::fs::write(dist.join("app_bg.wasm"), b"\0asm").unwrap();
    std::fs::write(dist.join("connscope-e18a7c9873a0e64b_bg.wasm"), b"\0asm").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "SECRET").unwrap();
    let tb = start(Config { dist: Some(dist), ..Config::default() }).await;
    let addr = host_port(tb.app_url.trim_end_matches('/'));

    let index = raw(&addr, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(index.starts_with("HTTP/1.1 200"), "{index}");
    let lower = index.to_ascii_lowercase();
    assert!(lower.contains("cross-origin-opener-policy: same-origin"));
    assert!(lower.contains("cross-origin-embedder-policy: require-corp"));
    assert!(
        lower.contains("content-security-policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'sha256-")
    );
    let wasm = raw(&addr, b"GET /app_bg.wasm HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(wasm.to_ascii_lowercase().contains("content-type: application/wasm"));
    // A file named by its content (Trunk's hash) may be kept; the page that names it, and a
    // file without a hash, never are (a new build shows at once).
    let hashed =
        raw(&addr, b"GET /connscope-e18a7c9873a0e64b_bg.wasm HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(hashed.to_ascii_lowercase().contains("cache-control: public, max-age=31536000, immutable"), "{hashed}");
    for (what, resp) in [("index.html", &index), ("app_bg.wasm", &wasm)] {
        assert!(resp.to_ascii_lowercase().contains("cache-control: no-store"), "{what}: {resp}");
    }

    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/..%2fsecret.txt",
        "//secret.txt",
        "/..\\secret.txt",
    ] {
        let resp = raw(&addr, format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).await;
        assert!(!resp.contains("SECRET"), "{path} leaked: {resp}");
        assert!(resp.is_empty() || resp.starts_with("HTTP/1.1 4"), "{path}: {resp}");
    }
    let absolute = raw(&addr, b"GET http://x/../../secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(!absolute.contains("SECRET"));
    tb.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn oversized_requests_are_refused() {
    let tb = start(Config::default()).await;
    let addr = host_port(tb.origin("keepalive").unwrap());
    let long_header = format!("GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(64 * 1024));
    let resp = raw(&addr, long_header.as_bytes()).await;
    assert!(resp.is_empty() || resp.starts_with("HTTP/1.1 431"), "{resp}");
    let long_line = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(100 * 1024));
    let resp = raw(&addr, long_line.as_bytes()).await;
    assert!(resp.is_empty() || resp.starts_with("HTTP/1.1 4"), "{resp}");
    let big_body = raw(&addr, b"GET /r/a.css HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n").await;
    assert!(big_body.starts_with("HTTP/1.1 413"), "{big_body}");
    let post = raw(&addr, b"POST /r/a.css HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").await;
    assert!(post.starts_with("HTTP/1.1 405"), "{post}");
    // The server is still healthy afterwards.
    let ok = raw(&addr, b"GET /r/a.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(ok.starts_with("HTTP/1.1 200"));
    tb.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn redirects_and_statuses_for_the_loader_to_meet() {
    let tb = start(Config::default()).await;
    let addr = host_port(tb.origin("keepalive").unwrap());
    let r = raw(&addr, b"GET /redirect?to=/page.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(r.starts_with("HTTP/1.1 302") && r.to_ascii_lowercase().contains("location: /page.html"), "{r}");
    let open = raw(&addr, b"GET /redirect?to=//evil.example/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(open.starts_with("HTTP/1.1 400"), "no open redirect: {open}");
    // `\` and a tab read as `/` by browsers: `/\evil.example` and `/\t/evil.example` would
    // leave the origin.
    for evil in ["/redirect?to=/%5Cevil.example", "/redirect?to=/%09/evil.example", "/redirect?to=/%5C/evil.example"] {
        let r = raw(&addr, format!("GET {evil} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).await;
        assert!(r.starts_with("HTTP/1.1 400") && !r.to_ascii_lowercase().contains("location:"), "{evil}: {r}");
    }
    let s = raw(&addr, b"GET /status/404 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(s.starts_with("HTTP/1.1 404"));
    tb.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_handler_that_panics_answers_500_and_the_testbed_goes_on() {
    let tb = start(Config { panic_path: Some("/r/boom.css".into()), ..Config::default() }).await;
    let addr = host_port(tb.origin("keepalive").unwrap());
    let boom = raw(&addr, b"GET /r/boom.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(boom.starts_with("HTTP/1.1 500"), "{boom}");
    assert!(boom.to_ascii_lowercase().contains("server-timing: conn;desc="), "the contract holds on a 500 too: {boom}");
    for _ in 0..3 {
        let ok = raw(&addr, b"GET /r/a.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        assert!(ok.starts_with("HTTP/1.1 200"), "still serving: {ok}");
    }
    let served: Vec<String> = tb.take_served().into_iter().map(|s| s.target).collect();
    assert_eq!(served, ["/r/boom.css", "/r/a.css", "/r/a.css", "/r/a.css"], "the panicked request is logged too");
    tb.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_client_that_never_reads_is_cut_off_after_the_send_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let send_timeout = Duration::from_millis(300);
    let tb = start(Config { send_timeout, ..Config::default() }).await;
    for scenario in ["keepalive", "close"] {
        let addr = host_port(tb.origin(scenario).unwrap());
        let mut s = TcpStream::connect(&addr).await.unwrap();
        // 16 MiB: far more than the socket buffers hold, so the server's writes block.
        s.write_all(b"GET /r/big.woff2?size=16777216 HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        tokio::time::sleep(send_timeout * 5).await;
        let mut got = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut got)).await;
        assert!(read.is_ok(), "{scenario}: the server closed the connection (the read ended)");
        assert!(got.len() < 16 * 1024 * 1024, "{scenario}: cut off before the whole body ({} bytes)", got.len());
    }
    // A client that reads is not cut off, however long the body.
    let addr = host_port(tb.origin("keepalive").unwrap());
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"GET /r/big.woff2?size=16777216 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).await.unwrap();
    assert!(got.len() > 16 * 1024 * 1024, "the whole body: {}", got.len());
    tb.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_flood_of_slow_connections_to_one_origin_leaves_the_others_reachable() {
    let tb = start(Config { max_connections: 20, ..Config::default() }).await;
    let flooded = host_port(tb.origin("keepalive").unwrap());
    // Exactly the wave that used to starve every origin: slow requests holding connections.
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut s = TcpStream::connect(&flooded).await.unwrap();
        s.write_all(b"GET /r/a.css?delay=30000 HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        slow.push(s);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // One more to that origin is told at once that it is busy.
    let started = Instant::now();
    let busy = raw(&flooded, b"GET /r/a.css HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(busy.starts_with("HTTP/1.1 503"), "{busy}");
    assert!(started.elapsed() < Duration::from_secs(1), "answered quickly: {:?}", started.elapsed());
    // The app's origin and the other scenarios answer as usual.
    let app = host_port(tb.app_url.trim_end_matches('/'));
    let started = Instant::now();
    let list = raw(&app, b"GET /api/scenarios HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(list.starts_with("HTTP/1.1 200") && started.elapsed() < Duration::from_secs(1), "{list}");
    let other = host_port(tb.origin("cdn").unwrap());
    let ok = raw(&other, b"GET /r/a.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    drop(slow);
    tb.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn an_h2_client_that_never_finishes_a_request_head_is_closed_like_an_idle_one() {
    let (_dir, pem, config) = cert_files();
    let tb = start(Config { idle_timeout: Duration::from_millis(800), ..config }).await;
    let tcp = TcpStream::connect(host_port(tb.origin("h2").unwrap())).await.unwrap();
    let tls =
        tls_client(&pem).connect(rustls::pki_types::ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut rx, mut tx) = tokio::io::split(tls);
    let closed = tokio::spawn(async move {
        let started = Instant::now();
        let mut buf = [0u8; 4096];
        while matches!(rx.read(&mut buf).await, Ok(n) if n > 0) {}
        started.elapsed()
    });
    // The preface, empty SETTINGS, then the header of a HEADERS frame on stream 1 that says
    // 64 bytes follow…
    tx.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await.unwrap();
    tx.write_all(&[0, 0, 0, 0x4, 0, 0, 0, 0, 0]).await.unwrap();
    tx.write_all(&[0, 0, 64, 0x1, 0x4, 0, 0, 0, 1]).await.unwrap();
    // …and one of them every 200 ms: bytes keep moving, the request head never completes.
    // (A trickle of CONTINUATION frames is refused by the h2 crate itself.)
    let trickle = async {
        for _ in 0..40 {
            if tx.write_all(&[0x82]).await.is_err() || tx.flush().await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let (took, ()) = tokio::join!(closed, trickle);
    let took = took.unwrap();
    assert!(
        took < Duration::from_secs(4),
        "closed after the idle timeout and its grace, not kept alive by a trickle: {took:?}"
    );
    tb.shutdown(Duration::from_secs(1)).await;
}

/// The resident memory of this process (Linux), in MiB.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

#[tokio::test]
async fn two_hundred_h2_streams_of_16_mib_are_streamed_not_built_in_memory() {
    let (_dir, pem, config) = cert_files();
    let tb = start(config).await;
    let tcp = TcpStream::connect(host_port(tb.origin("h2").unwrap())).await.unwrap();
    let tls =
        tls_client(&pem).connect(rustls::pki_types::ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
    let (sender, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    let before = rss_mib();
    // Exactly the input that asked for about 3 GiB: 200 streams of /r/a.woff2?size=16777216,
    // their bodies not read yet.
    let requests = (0..200).map(|_| {
        let mut s = sender.clone();
        async move {
            let req = Request::get("https://localhost/r/a.woff2?size=16777216").body(Empty::<Bytes>::new()).unwrap();
            s.send_request(req).await
        }
    });
    let responses = tokio::time::timeout(Duration::from_secs(30), futures_join_all(requests)).await.unwrap();
    assert!(responses.iter().all(|r| r.as_ref().is_ok_and(|r| r.status() == 200)), "every stream answered");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let grown = rss_mib() - before;
    println!("200 × 16 MiB streams open: the process grew {grown:.1} MiB");
    assert!(grown < 200.0, "bodies are made as they are sent, not whole: grew {grown:.1} MiB");
    // And they are whole when read.
    let mut first = responses.into_iter().next().unwrap().unwrap();
    let mut len = 0;
    while let Some(frame) = first.body_mut().frame().await {
        len += frame.unwrap().data_ref().map_or(0, |d| d.len());
    }
    assert_eq!(len, 16 * 1024 * 1024);
    tb.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn the_log_says_when_each_connection_was_accepted_and_each_request_arrived() {
    let tb = start(Config::default()).await;
    let origin = tb.origin("keepalive").unwrap().to_string();
    let port = origin.rsplit(':').next().unwrap().to_string();
    let before = testbed::epoch_ms();
    // A connection opened ahead and left idle, as a browser's preconnect does.
    let (mut early, _c1) = h1_connect(&origin).await;
    let (_unused, _c2) = h1_connect(&origin).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    early.ready().await.unwrap();
    let req = Request::get("/r/a.css").header("host", format!("localhost:{port}")).body(Empty::new()).unwrap();
    drain(early.send_request(req).await.unwrap()).await;
    let after = testbed::epoch_ms();

    let served = tb.take_served();
    assert_eq!(served.len(), 1);
    let s = &served[0];
    assert_eq!(s.origin, format!("http://localhost:{port}"), "logged under the host it named");
    assert!(before <= s.accepted_ms && s.received_ms <= after, "{before} {s:?} {after}");
    assert!(s.received_ms - s.accepted_ms >= 140.0, "it sat idle ~150 ms before its first request: {s:?}");
    let opened = tb.take_opened();
    assert_eq!(opened.len(), 2, "the unused connection is logged too: {opened:?}");
    assert!(opened.iter().all(|o| o.origin == origin && before <= o.accepted_ms && o.accepted_ms <= after));
    assert!(opened.iter().any(|o| o.connection == s.connection && o.accepted_ms == s.accepted_ms));
    assert!(tb.take_opened().is_empty(), "taking empties it");
    tb.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn the_queue_page_asks_more_slow_requests_than_six_connections_carry() {
    let tb = start(Config::default()).await;
    let (mut s, _c) = h1_connect(tb.origin("queue").unwrap()).await;
    let page = String::from_utf8(drain(get(&mut s, "/page.html").await).await.to_vec()).unwrap();
    let slow = page.lines().filter(|l| l.contains("<img") && l.contains("delay=400")).count();
    assert_eq!(slow, 18, "{page}");
    assert!(!page.contains(tb.origin("cdn").unwrap()), "all from its own origin: {page}");
    // The page's own query still wins over the scenario's shape.
    let small = String::from_utf8(drain(get(&mut s, "/page.html?img=2").await).await.to_vec()).unwrap();
    assert_eq!(small.matches("<img").count(), 2, "{small}");
    tb.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn coalesce_serves_two_host_names_on_one_h2_connection_and_logs_each() {
    let (_dir, pem, config) = cert_files();
    let tb = start(config).await;
    let origin = tb.origin("coalesce").unwrap().to_string();
    let alias = origin.replace("127.0.0.1", "localhost");
    let tcp = TcpStream::connect(host_port(&origin)).await.unwrap();
    let tls =
        tls_client(&pem).connect(rustls::pki_types::ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
    let (mut sender, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    let req = Request::get(format!("{origin}/page.html")).body(Empty::<Bytes>::new()).unwrap();
    let page = String::from_utf8(drain(sender.send_request(req).await.unwrap()).await.to_vec()).unwrap();
    let aliased = page.lines().filter(|l| l.contains(&format!("src=\"{alias}/r/img-"))).count();
    assert_eq!(aliased, 12, "the page takes its images from the other name: {page}");
    let req = Request::get(format!("{alias}/r/img-20.svg")).body(Empty::<Bytes>::new()).unwrap();
    drain(sender.send_request(req).await.unwrap()).await;
    let served = tb.take_served();
    let seen: Vec<(&str, u64, u32)> =
        served.iter().map(|s| (s.origin.as_str(), s.connection, s.request_number)).collect();
    let conn = served[0].connection;
    assert_eq!(seen, vec![(origin.as_str(), conn, 1), (alias.as_str(), conn, 2)]);
    tb.shutdown(Duration::from_secs(1)).await;
}

/// Persistence is per hop: two requests on one connection to the proxy are its requests 1
/// and 2 on that connection, while the close origin behind it served each on a connection
/// of its own (the proxy's pool cannot keep what the origin closes). Both hops are said in
/// Server-Timing and match the testbed's own log of each origin.
#[tokio::test]
async fn the_proxy_keeps_the_browsers_connection_while_the_origin_behind_it_closes_each() {
    use connscope_core::contract::UpstreamTruth;
    use connscope_core::ServerTruth;
    let tb = start(Config::default()).await;
    let proxy = tb.origin("proxy").unwrap().to_string();
    let close = tb.origin("close").unwrap().to_string();
    tb.take_served();
    let (mut s, _c) = h1_connect(&proxy).await;
    let mut hops = Vec::new();
    for path in ["/r/a.css?x=1", "/r/b.css?x=2"] {
        let resp = get(&mut s, path).await;
        assert_eq!(resp.status(), 200);
        let metrics = server_timing(&resp);
        assert!(resp.headers().get("connection").is_none(), "the proxy's hop stays open");
        assert!(drain(resp).await.len() > 100, "the origin's body, forwarded");
        hops.push((ServerTruth::from_metrics(&metrics).unwrap(), UpstreamTruth::from_metrics(&metrics).unwrap()));
    }
    let ((p1, u1), (p2, u2)) = (&hops[0], &hops[1]);
    assert_eq!((p1.request_number, p2.request_number), (1, 2));
    assert_eq!(p1.connection, p2.connection, "one connection to the proxy");
    assert_eq!((u1.hop.request_number, u2.hop.request_number), (1, 1));
    assert_ne!(u1.hop.connection, u2.hop.connection, "a new connection to the origin for each");
    assert_eq!((u1.origin.as_str(), u2.origin.as_str()), (close.as_str(), close.as_str()));
    // The log of each origin says the same.
    let served = tb.take_served();
    for (path, (p, u)) in ["/r/a.css?x=1", "/r/b.css?x=2"].iter().zip(&hops) {
        // (This client names no port in Host, so the proxy's record is the one not the close origin's.)
        let at =
            |close_side: bool| served.iter().find(|r| (r.origin == close) == close_side && r.target == *path).unwrap();
        let (at_proxy, at_close) = (at(false), at(true));
        assert_eq!(
            (at_proxy.connection.to_string(), at_proxy.request_number),
            (p.connection.clone(), p.request_number)
        );
        assert_eq!(
            (at_close.connection.to_string(), at_close.request_number),
            (u.hop.connection.clone(), u.hop.request_number)
        );
    }
    tb.shutdown(Duration::from_secs(1)).await;
}
