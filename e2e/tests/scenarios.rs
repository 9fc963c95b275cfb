//! Proof in real browsers: for each scenario and engine, what connscope reports matches
//! what the server saw. Each run opens the built app at `?scenario=<id>&autorun=1`, waits
//! for `data-run-state=done`, reads every waterfall row and checks it against the
//! scenario's known policy and the server's own record (Server-Timing).

use anyhow::{ensure, Result};
use e2e::{dist, Browser, Engine, Row};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use testbed::{Config, Testbed};

/// Idle timeout of the persistent origins in these tests: short, so that waiting it out
/// between runs (to start with an empty connection pool) costs little.
const IDLE: Duration = Duration::from_millis(1200);

/// A row with what the server itself served it on (the testbed's log: the truth, also
/// for engines that do not expose cross-origin Server-Timing).
#[derive(Debug)]
struct Checked {
    row: Row,
    conn: u64,
    req: u32,
}

impl std::ops::Deref for Checked {
    type Target = Row;
    fn deref(&self) -> &Row {
        &self.row
    }
}

async fn run(b: &Browser, tb: &Testbed, query: &str, shot: &str) -> Result<Vec<Checked>> {
    tb.take_served();
    b.client.goto(&format!("{}?{query}&autorun=1", tb.app_url)).await?;
    let state = b.wait_for_state(&["done", "failed"], Duration::from_secs(60)).await?;
    let rows = b.rows().await?;
    b.screenshot(&format!("{}-{shot}", b.engine.name())).await?;
    ensure!(state == "done", "{query}: the run failed: {}", b.text(".messages").await.unwrap_or_default());
    ensure!(!rows.is_empty(), "{query}: no rows");
    let served: BTreeMap<String, (u64, u32)> = tb
        .take_served()
        .into_iter()
        .map(|s| {
            (connscope_core::url::strip_token(&format!("{}{}", s.origin, s.target)), (s.connection, s.request_number))
        })
        .collect();
    rows.into_iter()
        .map(|row| {
            let (conn, req) =
                *served.get(&row.url).ok_or_else(|| anyhow::anyhow!("{query}: the server never served {}", row.url))?;
            Ok(Checked { row, conn, req })
        })
        .collect()
}

fn of<'a>(rows: &'a [Checked], origin: &str) -> Vec<&'a Checked> {
    rows.iter().filter(|r| r.origin() == origin).collect()
}

fn connections(rows: &[&Checked]) -> BTreeSet<u64> {
    rows.iter().map(|r| r.conn).collect()
}

/// Agreement between the verdict inferred from timing and what the server did, for every
/// row where timing tells. Prints the rate; every disagreement must be one the app explains.
fn agreement(engine: Engine, scenario: &str, rows: &[Checked]) -> Result<()> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rows {
        if let Some(conn) = &r.server_connection {
            ensure!(
                conn == &r.conn.to_string(),
                "{scenario}: {} read Server-Timing conn {conn}, the server used {}",
                r.url,
                r.conn
            );
            ensure!(
                &r.connection == conn,
                "{scenario}: {} shows connection {} but the server says {conn}",
                r.url,
                r.connection
            );
        }
        let truth = if r.req == 1 { "new" } else { "reused" };
        let inferred = r.inferred.as_deref().unwrap_or("unknown");
        let outcome = match (inferred, truth) {
            ("unknown", _) => "n/a",
            (i, t) if i == t => "agrees",
            ("reused", "new") => "preconnected",
            _ => "late-binding",
        };
        if outcome == "preconnected" || outcome == "late-binding" {
            // Explained on the row where the app can see the truth (Server-Timing).
            if r.server_connection.is_some() {
                ensure!(
                    r.agreement.as_deref() == Some(outcome),
                    "{scenario}: {} disagrees ({outcome}) without the row saying why",
                    r.url
                );
            }
        }
        *counts.entry(outcome).or_default() += 1;
    }
    let compared: usize = counts.iter().filter(|(k, _)| **k != "n/a").map(|(_, v)| v).sum();
    let agrees = counts.get("agrees").copied().unwrap_or(0);
    println!(
        "agreement {:<8} {:<18} {:>5.1}% ({agrees}/{compared} agree; explained: {:?})",
        engine.name(),
        scenario,
        if compared == 0 { 100.0 } else { 100.0 * agrees as f64 / compared as f64 },
        counts.iter().filter(|(k, _)| **k != "agrees" && **k != "n/a").collect::<Vec<_>>()
    );
    Ok(())
}

async fn settle() {
    tokio::time::sleep(IDLE + Duration::from_millis(400)).await;
}

async fn check(engine: Engine) -> Result<()> {
    let tb = Testbed::start(Config { dist: Some(dist()?), idle_timeout: IDLE, ..Config::default() }).await?;
    let b = Browser::start(engine, &tb).await?;
    let result = scenarios(&b, &tb).await;
    b.close().await;
    tb.shutdown(Duration::from_secs(1)).await;
    result
}

async fn scenarios(b: &Browser, tb: &Testbed) -> Result<()> {
    let origin = |id: &str| tb.origin(id).map(str::to_string).unwrap_or_default();
    let engine = b.engine;

    // keepalive, one request at a time: one connection per origin carries everything.
    let rows = run(b, tb, "scenario=keepalive&concurrency=1", "keepalive-sequential").await?;
    agreement(engine, "keepalive c=1", &rows)?;
    for o in [origin("keepalive"), origin("cdn")] {
        let mine = of(&rows, &o);
        ensure!(connections(&mine).len() == 1, "keepalive c=1: {o} used {:?}", connections(&mine));
        ensure!(
            mine.iter().skip(1).all(|r| r.reuse == "reused"),
            "keepalive c=1: {o}: {:?}",
            mine.iter().map(|r| &r.reuse).collect::<Vec<_>>()
        );
    }
    settle().await;

    // keepalive at the browser's own concurrency: at most 6 per origin, and each reused
    // request's connection was opened earlier in this run.
    let rows = run(b, tb, "scenario=keepalive", "keepalive").await?;
    agreement(engine, "keepalive", &rows)?;
    for o in [origin("keepalive"), origin("cdn")] {
        let mine = of(&rows, &o);
        ensure!(connections(&mine).len() <= 6, "keepalive: {o} used {} connections", connections(&mine).len());
        let opened: BTreeSet<u64> = mine.iter().filter(|r| r.req == 1).map(|r| r.conn).collect();
        for r in mine.iter().filter(|r| r.reuse == "reused") {
            ensure!(
                opened.contains(&r.conn),
                "keepalive: {} reused connection {}, which this run did not open",
                r.url,
                r.conn
            );
        }
    }
    settle().await;

    for (id, shot) in [("close", "close"), ("https-close", "https-close")] {
        let rows = run(b, tb, &format!("scenario={id}"), shot).await?;
        agreement(engine, id, &rows)?;
        let mine = of(&rows, &origin(id));
        ensure!(
            mine.iter().all(|r| r.reuse == "new"),
            "{id}: {:?}",
            mine.iter().map(|r| (&r.url, &r.reuse)).collect::<Vec<_>>()
        );
        ensure!(connections(&mine).len() == mine.len(), "{id}: connection ids are not all distinct");
        settle().await;
    }

    // HTTPS keep-alive, sequential: one TLS handshake, then reuse.
    let rows = run(b, tb, "scenario=https-keepalive&concurrency=1", "https-keepalive").await?;
    agreement(engine, "https-keepalive c=1", &rows)?;
    let mine = of(&rows, &origin("https-keepalive"));
    ensure!(connections(&mine).len() == 1, "https-keepalive c=1: {:?}", connections(&mine));
    ensure!(
        mine[0].phases.get("tls").is_some_and(|t| *t > 0.0),
        "the first request shows the TLS handshake: {:?}",
        mine[0].row
    );
    ensure!(
        mine.iter().skip(1).all(|r| r.reuse == "reused" && !r.phases.contains_key("tls")),
        "https-keepalive: later requests skip TLS"
    );
    settle().await;

    // The cdn origin's own page: an ordinary keep-alive origin, at most 6 connections.
    let rows = run(b, tb, "scenario=cdn", "cdn").await?;
    agreement(engine, "cdn", &rows)?;
    let mine = of(&rows, &origin("cdn"));
    ensure!(mine.len() == rows.len(), "the cdn page takes everything from its own origin");
    ensure!(connections(&mine).len() <= 6, "cdn: {} connections", connections(&mine).len());
    settle().await;

    let rows = run(b, tb, "scenario=max-3&concurrency=1", "max-3").await?;
    agreement(engine, "max-3 c=1", &rows)?;
    let mine = of(&rows, &origin("max-3"));
    ensure!(
        connections(&mine).len() == mine.len().div_ceil(3),
        "max-3: {} requests on {} connections",
        mine.len(),
        connections(&mine).len()
    );
    settle().await;

    let rows = run(b, tb, "scenario=short-idle&concurrency=1&pause=1500&limit=6", "short-idle").await?;
    agreement(engine, "short-idle pause", &rows)?;
    let mine = of(&rows, &origin("short-idle"));
    ensure!(mine.len() == 6, "short-idle: {} rows", mine.len());
    ensure!(
        mine.iter().all(|r| r.reuse == "new"),
        "short-idle: {:?}",
        mine.iter().map(|r| &r.reuse).collect::<Vec<_>>()
    );
    ensure!(connections(&mine).len() == 6);
    settle().await;

    let rows = run(b, tb, "scenario=h2", "h2").await?;
    agreement(engine, "h2", &rows)?;
    let mine = of(&rows, &origin("h2"));
    ensure!(connections(&mine).len() == 1, "h2: {:?}", connections(&mine));
    let stacked = b
        .client
        .execute(
            "return Math.max(...[...document.querySelectorAll('.connections .lane')].map(l => +l.dataset.tracks))",
            vec![],
        )
        .await?;
    ensure!(stacked.as_u64().unwrap_or(0) >= 2, "h2: the lane stacks the streams it carried at once: {stacked} tracks");
    ensure!(
        mine.iter().all(|r| r.protocol.as_deref() == Some("h2")),
        "h2: {:?}",
        mine.iter().map(|r| &r.protocol).collect::<Vec<_>>()
    );
    settle().await;

    let rows = run(b, tb, "scenario=opaque", "opaque").await?;
    agreement(engine, "opaque", &rows)?;
    let mine = of(&rows, &origin("opaque"));
    ensure!(!mine.is_empty());
    ensure!(
        mine.iter().all(|r| r.reuse == "unknown"),
        "opaque: {:?}",
        mine.iter().map(|r| (&r.url, &r.reuse)).collect::<Vec<_>>()
    );
    // The cdn origin does send Timing-Allow-Origin: its rows stay known.
    ensure!(of(&rows, &origin("cdn")).iter().all(|r| r.reuse != "unknown"));
    // Hidden time is drawn hatched, as the legend shows it, not in a phase's colour.
    let fill = b
        .client
        .execute("return getComputedStyle(document.querySelector('.waterfall .seg.hidden-detail')).fill", vec![])
        .await?;
    ensure!(fill.as_str().is_some_and(|f| f.contains("#hatch")), "hidden-detail fill: {fill}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_match_the_server_in_chromium() -> Result<()> {
    check(Engine::Chromium).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_match_the_server_in_firefox() -> Result<()> {
    check(Engine::Firefox).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios_match_the_server_in_webkit() -> Result<()> {
    check(Engine::WebKit).await
}
