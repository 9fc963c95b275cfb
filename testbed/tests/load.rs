//! The testbed under load and abuse at once, on loopback: keep-alive clients doing many
//! requests, slowloris clients that send a request head a byte at a time, and clients that
//! ask for 16 MiB and never read. Throughout, the app's origin must answer a probe within
//! 1 s; afterwards every response a client got must name its own connection, numbered
//! 1, 2, 3… on it (nothing lost, nothing misattributed), the testbed's log must hold every
//! request the clients sent and got an answer to, and the process must stay small.
//!
//! `cargo xtask test` runs a bounded version; `cargo xtask bench` runs the full one
//! (2,000 keep-alive connections and 200,000 requests, 500 slowloris, 200 non-reading).

use connscope_core::{ServerTimingEntry, ServerTruth};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use testbed::{Config, Testbed};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

struct Scale {
    keepalive_connections: usize,
    requests: usize,
    slowloris: usize,
    non_reading: usize,
}

fn host_port(origin: &str) -> String {
    origin.split("://").nth(1).unwrap_or(origin).to_string()
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// One keep-alive client: `n` requests on one connection (reconnecting if the server closes
/// it), each answer's Server-Timing checked against the connection it came on.
async fn keepalive_client(addr: String, n: usize, answered: Arc<AtomicUsize>) -> Result<(), String> {
    let mut done = 0;
    while done < n {
        let stream = TcpStream::connect(&addr).await.map_err(|e| format!("connect: {e}"))?;
        let (rx, mut tx) = stream.into_split();
        let mut rx = BufReader::new(rx);
        let mut conn: Option<String> = None;
        let mut expect = 1u32;
        while done < n {
            if tx.write_all(b"GET /r/l.css?size=256 HTTP/1.1\r\nHost: x\r\n\r\n").await.is_err() {
                break;
            }
            let mut status = String::new();
            if rx.read_line(&mut status).await.map_err(|e| e.to_string())? == 0 {
                break; // closed by the server (a 503 past the cap, an idle close): reconnect
            }
            let (mut len, mut close, mut truth) = (0usize, false, None);
            loop {
                let mut line = String::new();
                rx.read_line(&mut line).await.map_err(|e| e.to_string())?;
                let l = line.trim_end().to_ascii_lowercase();
                if l.is_empty() {
                    break;
                }
                if let Some(v) = l.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                close |= l == "connection: close";
                if let Some(v) =
                    line.trim_end().split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("server-timing"))
                {
                    // Read as the app reads it: the contract's own parser.
                    truth = ServerTruth::from_metrics(&ServerTimingEntry::parse_header(v.1));
                }
            }
            let mut body = vec![0; len];
            rx.read_exact(&mut body).await.map_err(|e| e.to_string())?;
            if status.starts_with("HTTP/1.1 503") {
                tokio::time::sleep(Duration::from_millis(20)).await;
                break;
            }
            if !status.starts_with("HTTP/1.1 200") {
                return Err(format!("unexpected {status:?}"));
            }
            let ServerTruth { connection: c, request_number: r } = truth.ok_or("no Server-Timing")?;
            match &conn {
                None => conn = Some(c.clone()),
                Some(mine) if *mine != c => return Err(format!("connection {mine} answered as {c}")),
                _ => {}
            }
            if r != expect {
                return Err(format!("request {expect} on connection {c} numbered {r}"));
            }
            expect += 1;
            done += 1;
            answered.fetch_add(1, Ordering::Relaxed);
            if close {
                break;
            }
        }
    }
    Ok(())
}

/// A slowloris client: a request head sent one byte every `every`, reconnecting when cut.
async fn slowloris(addr: String, every: Duration, stop: Arc<AtomicBool>) {
    let head = b"GET /r/s.css HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut s) = TcpStream::connect(&addr).await else {
            tokio::time::sleep(every).await;
            continue;
        };
        for b in head {
            if stop.load(Ordering::Relaxed) || s.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(every).await;
        }
    }
}

/// A client that asks for 16 MiB and never reads (the server's send timeout cuts it off).
async fn non_reading(addr: String, stop: Arc<AtomicBool>) {
    let Ok(mut s) = TcpStream::connect(&addr).await else { return };
    let _ = s.write_all(b"GET /r/big.woff2?size=16777216 HTTP/1.1\r\nHost: x\r\n\r\n").await;
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(s);
}

/// The testbed on a runtime of its own (its own threads), as `cargo xtask run` serves it,
/// so the load generator's tasks do not queue in front of the server's.
fn serve(config: Config) -> (Arc<Testbed>, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    let tb = rt.block_on(Testbed::start(config)).expect("testbed starts");
    (Arc::new(tb), rt)
}

async fn run(scale: Scale) {
    let send_timeout = Duration::from_secs(2);
    let (tb, server_rt) =
        tokio::task::block_in_place(|| serve(Config { send_timeout, max_connections: 1024, ..Config::default() }));
    let before = rss_mib();
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    // Keep-alive clients spread over the persistent origins; abuse aimed at the same ones.
    let origins: Vec<String> =
        ["keepalive", "cdn", "opaque", "max-3"].iter().map(|id| host_port(tb.origin(id).unwrap_or_default())).collect();
    let app = host_port(tb.app_url.trim_end_matches('/'));
    let mut abuse = Vec::new();
    for i in 0..scale.slowloris {
        abuse.push(tokio::spawn(slowloris(origins[i % 2].clone(), Duration::from_millis(500), stop.clone())));
    }
    for i in 0..scale.non_reading {
        abuse.push(tokio::spawn(non_reading(origins[i % 2].clone(), stop.clone())));
    }
    // The app's origin, probed every 100 ms: the slowest answer is kept.
    let slowest = Arc::new(std::sync::Mutex::new(Duration::ZERO));
    let probes = Arc::new(AtomicUsize::new(0));
    // On a thread of its own, so what is timed is the server, not this test's busy runtime.
    let prober = {
        let (stop, slowest, probes) = (stop.clone(), slowest.clone(), probes.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            rt.block_on(async move {
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let ok = tokio::time::timeout(Duration::from_secs(5), async {
                        let mut s = TcpStream::connect(&app).await.ok()?;
                        s.write_all(b"GET /api/scenarios HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                            .await
                            .ok()?;
                        let mut out = Vec::new();
                        s.read_to_end(&mut out).await.ok()?;
                        out.starts_with(b"HTTP/1.1 200").then_some(())
                    })
                    .await;
                    let took = if matches!(ok, Ok(Some(()))) { started.elapsed() } else { Duration::from_secs(3600) };
                    if let Ok(mut s) = slowest.lock() {
                        *s = (*s).max(took);
                    }
                    probes.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
        })
    };
    // The served log, drained as the load goes (it keeps only the newest few MB).
    let logged = Arc::new(std::sync::Mutex::new(BTreeMap::<String, usize>::new()));
    let drainer = {
        let (tb, stop, logged) = (tb.clone(), stop.clone(), logged.clone());
        tokio::spawn(async move {
            loop {
                let done = stop.load(Ordering::Relaxed);
                for s in tb.take_served() {
                    if s.target.starts_with("/r/l.css") {
                        if let Ok(mut l) = logged.lock() {
                            *l.entry(s.origin).or_default() += 1;
                        }
                    }
                }
                if done {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let peak = Arc::new(std::sync::Mutex::new(0f64));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if let Ok(mut p) = peak.lock() {
                    *p = p.max(rss_mib());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let per = scale.requests / scale.keepalive_connections;
    // Ramped up over about half a second, as load arrives, not in one instant.
    let mut clients = Vec::with_capacity(scale.keepalive_connections);
    let step = Duration::from_micros((500_000 / scale.keepalive_connections.max(1)) as u64);
    for i in 0..scale.keepalive_connections {
        clients.push(tokio::spawn(keepalive_client(origins[i % origins.len()].clone(), per, answered.clone())));
        tokio::time::sleep(step).await;
    }
    let mut failures = Vec::new();
    for c in clients {
        match c.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failures.push(e),
            Err(e) => failures.push(e.to_string()),
        }
    }
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let _ = tokio::task::block_in_place(|| prober.join());
    let _ = sampler.await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = drainer.await;
    for a in abuse {
        a.abort();
    }
    let answered = answered.load(Ordering::Relaxed);
    let logged_total: usize = logged.lock().map(|l| l.values().sum()).unwrap_or(0);
    let slowest = slowest.lock().map(|s| *s).unwrap_or_default();
    let peak = peak.lock().map(|p| *p).unwrap_or_default();
    println!(
        "load: {} keep-alive connections, {answered} requests answered in {:.1} s ({:.0}/s), {} slowloris, {} non-reading; \
         app probes {}, slowest {:.0} ms; process memory {before:.0} MiB before, peak {peak:.0} MiB; testbed log {logged_total}",
        scale.keepalive_connections,
        took.as_secs_f64(),
        answered as f64 / took.as_secs_f64(),
        scale.slowloris,
        scale.non_reading,
        probes.load(Ordering::Relaxed),
        slowest.as_secs_f64() * 1e3,
    );
    assert!(failures.is_empty(), "{} clients saw something wrong, first: {:?}", failures.len(), failures.first());
    assert_eq!(answered, per * scale.keepalive_connections, "every request answered");
    assert!(logged_total >= answered, "the testbed logged every answered request ({logged_total} < {answered})");
    assert!(slowest < Duration::from_secs(1), "the app's origin answered every probe within 1 s (slowest {slowest:?})");
    assert!(peak < 300.0, "the process stayed under 300 MiB (peak {peak:.0})");
    if let Ok(tb) = Arc::try_unwrap(tb) {
        tokio::task::block_in_place(|| server_rt.block_on(tb.shutdown(Duration::from_secs(1))));
    }
    tokio::task::block_in_place(move || drop(server_rt));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_load_and_abuse_the_app_stays_reachable_and_no_request_is_lost() {
    run(Scale { keepalive_connections: 100, requests: 10_000, slowloris: 40, non_reading: 20 }).await;
}

/// The full figure (`cargo xtask bench`): needs about 6,000 file descriptors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the full load, run by cargo xtask bench"]
async fn full_load() {
    run(Scale { keepalive_connections: 2_000, requests: 200_000, slowloris: 500, non_reading: 200 }).await;
}
