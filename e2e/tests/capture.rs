//! Capture in real browsers (Chromium, Firefox, WebKit): a testbed page opened as a
//! top-level page (not through connscope), the bookmarklet's code taken from the app's own
//! link and run on it, and what the connscope window it opens shows checked against the
//! testbed's own log of which connection carried each request. Then the copy fallback, a
//! full timing buffer, bad captures, and each finding of the site report on a page built
//! to produce it (and none on a page that gives no cause).

use anyhow::{bail, ensure, Context, Result};
use e2e::{Browser, Engine, Row};
use fantoccini::wd::WindowHandle;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use testbed::{Config, Opened, Served, Testbed};

const SOON: Duration = Duration::from_secs(20);
/// How far (ms) from an entry's connect the testbed's accept of another connection may fall
/// and count as during it: the page's clock tick (1 ms where it is coarse) and the margin
/// `scenarios.rs` allows between the two clocks.
const LATE_MARGIN_MS: f64 = 2.0;
/// Idle timeout of the persistent origins here: each capture waits it out first, so its
/// page starts with no connection left open by the one before.
const IDLE: Duration = Duration::from_millis(1200);

/// A resource entry of the page's own: fetchStart, connectStart and connectEnd (epoch ms).
#[derive(Debug, Clone, Copy)]
struct PageEntry {
    fetch_start: f64,
    connect_start: f64,
    connect_end: f64,
}

/// What the connscope window showed for one capture, and what the testbed served.
struct Shown {
    /// The rows drawn (every row, up to 200).
    rows: Vec<Row>,
    /// `data-row-count`: every row, drawn or not.
    row_count: u64,
    /// `data-finding` → the finding's `data-origin` and `data-evidence`.
    findings: Vec<(String, String, String)>,
    messages: String,
    served: Vec<Served>,
    opened: Vec<Opened>,
    /// The page's own entries (its `performance` buffer, not connscope's reading of it), by
    /// URL, as epoch ms for the log's accept times.
    entries: BTreeMap<String, PageEntry>,
}

impl Shown {
    fn kinds(&self) -> Vec<&str> {
        self.findings.iter().map(|f| f.0.as_str()).collect()
    }
}

/// What the testbed served for a page since the last call, but the app's own files (a
/// connscope window).
fn page_requests(tb: &Testbed) -> Vec<Served> {
    let app = connscope_core::url::origin_of(&tb.app_url).unwrap_or_default();
    tb.take_served().into_iter().filter(|s| s.origin != app).collect()
}

/// The icon a browser asks for by itself: some give it a timing entry (Chromium), some not.
fn is_icon(s: &Served) -> bool {
    s.target == "/favicon.ico"
}

/// Opens `page` in the main window, waits for its load to end, runs the bookmarklet's
/// code on it and reads what the connscope window shows; closes that window again.
async fn capture(b: &Browser, tb: &Testbed, main: &WindowHandle, code: &str, page: &str) -> Result<Shown> {
    b.client.switch_to_window(main.clone()).await?;
    tokio::time::sleep(IDLE + Duration::from_millis(300)).await;
    tb.take_served();
    tb.take_opened();
    b.client.goto(page).await?;
    b.wait_until(
        "the page's load to end",
        "return document.readyState === 'complete' && performance.getEntriesByType('resource').every(e => e.responseEnd > 0)",
        SOON,
    )
    .await?;
    // Fonts and images after layout: let the page settle, then take the log of its load.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let served = page_requests(tb);
    let opened = tb.take_opened();
    let entries: Vec<(String, f64, f64, f64)> = serde_json::from_value(
        b.js("const o = performance.timeOrigin; return performance.getEntriesByType('resource').map(e => [e.name, o + e.fetchStart, o + e.connectStart, o + e.connectEnd])")
            .await?,
    )?;
    let before = b.client.windows().await?;
    b.client.execute(code, vec![]).await?;
    let started = std::time::Instant::now();
    let mut clicked = false;
    let window = loop {
        let now = b.client.windows().await?;
        if let Some(w) = now.into_iter().find(|w| !before.contains(w)) {
            break w;
        }
        // A browser that lets no script open a window (WebKit under WebDriver) gets the
        // page's "Open connscope" button pressed, as a person would: a click may open one.
        if !clicked {
            if let Ok(button) = b.client.find(fantoccini::Locator::Css("[data-connscope-open]")).await {
                button.click().await?;
                clicked = true;
            }
        }
        if started.elapsed() > SOON {
            let panel =
                b.js("const p = document.querySelector('[data-connscope-capture]'); return p && p.textContent").await?;
            bail!("the bookmarklet opened no connscope window; the page says: {panel}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    b.client.switch_to_window(window.clone()).await?;
    let shown = match read_capture(b).await {
        Ok(shown) => Ok(shown),
        // What the connscope window and the page show, for the next look at such a case.
        Err(e) => {
            let state = b
                .js("const m = document.querySelector('main'); return JSON.stringify({ url: location.href, source: m && m.getAttribute('data-source'), state: m && m.getAttribute('data-run-state'), rows: m && m.getAttribute('data-row-count'), report: document.querySelector('[data-site-report]') !== null, messages: (document.querySelector('.messages') || {}).textContent || '', opener: window.opener !== null })")
                .await
                .map_or_else(|e| format!("(not readable: {e})"), |v| v.to_string());
            let _ = b.screenshot(&format!("{}-capture-window-failure", b.engine.name())).await;
            b.client.switch_to_window(main.clone()).await?;
            let panel = b
                .js("const p = document.querySelector('[data-connscope-capture]'); return p && p.textContent")
                .await
                .map_or_else(|e| format!("(not readable: {e})"), |v| v.to_string());
            b.client.switch_to_window(window).await?;
            Err(e.context(format!("the connscope window: {state}; the page's capture panel: {panel}")))
        }
    };
    b.client.close_window().await?;
    b.client.switch_to_window(main.clone()).await?;
    let mut shown = shown?;
    shown.served = served;
    shown.opened = opened;
    shown.entries = entries
        .into_iter()
        .map(|(name, fetch_start, connect_start, connect_end)| {
            (name, PageEntry { fetch_start, connect_start, connect_end })
        })
        .collect();
    Ok(shown)
}

/// Waits for connscope to show a capture and reads it.
async fn read_capture(b: &Browser) -> Result<Shown> {
    b.wait_until(
        "connscope to show the capture",
        "const m = document.querySelector('main[data-source]'); return m && m.getAttribute('data-source') === 'capture' && m.getAttribute('data-run-state') === 'done' && document.querySelector('[data-site-report]') !== null && (+m.getAttribute('data-row-count') > 200 || document.querySelectorAll('.waterfall [data-request-url]').length === +m.getAttribute('data-row-count'))",
        SOON,
    )
    .await?;
    let rows = b.rows().await?;
    let findings: Vec<(String, String, String)> = serde_json::from_value(
        b.js(
                        "return Array.from(document.querySelectorAll('[data-finding]')).map(f => [f.getAttribute('data-finding'), f.getAttribute('data-origin') || '', f.getAttribute('data-evidence') || ''])",
        )
        .await?,
    )?;
    let messages = b.js("return document.querySelector('.messages')?.textContent || ''").await?;
    let row_count =
        b.js("return +document.querySelector('main').getAttribute('data-row-count')").await?.as_u64().unwrap_or(0);
    Ok(Shown {
        rows,
        row_count,
        findings,
        messages: messages.as_str().unwrap_or_default().to_string(),
        served: Vec::new(),
        opened: Vec::new(),
        entries: BTreeMap::new(),
    })
}

/// Per capture: every request the testbed served for the page is a row, and every row with
/// the server's record (every row of the page's own origin has it) says the connection and
/// request number the testbed logged, and its verdict agrees with the log; where the
/// browser hid the timing the verdict is unknown. The inference from timing alone is
/// counted: (exposed, known, agreeing, late binding).
///
/// One disagreement is excused, as `scenarios.rs` excuses it, by the testbed's own record
/// alone: late binding, where the page's entry shows a connect and the log has the request
/// on an older connection, and the testbed accepted a connection during that connect (a
/// clock tick either side, and after its end as late as the log's accepts of the capture's
/// own new connections trail theirs): the browser opened a connection for it and sent it on
/// one that fell free meanwhile. Counted apart and printed.
fn check_against_log(
    what: &str,
    shown: &Shown,
    hidden_origin: Option<&str>,
    disagreements: &mut Vec<String>,
) -> Result<(usize, usize, usize, usize)> {
    let page_origin = shown.rows.first().map(Row::origin).unwrap_or_default();
    let by_url: BTreeMap<String, &Served> =
        shown.served.iter().map(|s| (format!("{}{}", s.origin, s.target), s)).collect();
    // The icon a browser asks for by itself is left out on both sides: some browsers give
    // it an entry (Chromium), some take it from their cache (Firefox), some neither.
    let rows: Vec<&Row> = shown.rows.iter().filter(|r| !r.url.ends_with("/favicon.ico")).collect();
    let served = shown.served.iter().filter(|s| !is_icon(s)).count();
    ensure!(
        rows.len() == served,
        "{what}: {} rows for {} requests served (connscope said: {}): rows {:?}, served {:?}",
        rows.len(),
        served,
        shown.messages,
        rows.iter().map(|r| &r.url).collect::<Vec<_>>(),
        by_url.keys().collect::<Vec<_>>()
    );
    // How long after an entry's connect ended the testbed logged the accept of that very
    // connection (a request that was its connection's first, its connect shown), at most, in
    // this capture: the testbed's accept timestamps trail the browser's connect by the time
    // its accept loop takes to run. On an idle machine Firefox's captures showed up to 2.2 ms
    // (0.5-3.2 ms after the connect's start, connects of one 1 ms tick); in a loaded CI run a
    // late binding's accept came 3.1 ms after the end and went unexcused. The late-binding
    // window below ends this much later, so it stretches as far as the log's own lag does.
    let accept_lag = rows
        .iter()
        .filter_map(|r| {
            let (s, e) = (by_url.get(&r.url)?, shown.entries.get(&r.url)?);
            (s.request_number == 1 && e.connect_end - e.connect_start > 0.01).then_some(s.accepted_ms - e.connect_end)
        })
        .fold(0.0f64, f64::max);
    let (mut known, mut agreeing, mut exposed, mut late) = (0, 0, 0, 0);
    for r in rows {
        let s = by_url.get(&r.url).with_context(|| format!("{what}: row {} was not served", r.url))?;
        let truth = if s.request_number == 1 { "new" } else { "reused" };
        if hidden_origin.is_some_and(|h| r.url.starts_with(h)) {
            ensure!(
                r.reuse == "unknown" && r.server_connection.is_none(),
                "{what}: hidden timing must read unknown: {r:?}"
            );
            continue;
        }
        exposed += 1;
        // The server's record, where this browser exposes it (WebKit keeps cross-origin
        // Server-Timing to itself, even with Timing-Allow-Origin): exactly the log's.
        if r.server_connection.is_some() || r.server_request.is_some() {
            ensure!(
                r.server_connection.as_deref() == Some(s.connection.to_string().as_str())
                    && r.server_request.as_deref() == Some(s.request_number.to_string().as_str()),
                "{what}: {} was connection {} request {} in the log, the capture says {:?}/{:?}",
                r.url,
                s.connection,
                s.request_number,
                r.server_connection,
                r.server_request
            );
            ensure!(r.reuse == truth, "{what}: {} shows {}, the log says {truth}", r.url, r.reuse);
        } else {
            ensure!(
                !r.url.starts_with(&page_origin),
                "{what}: {} is of the page's own origin, yet shows no server record",
                r.url
            );
        }
        match r.inferred.as_deref() {
            Some("new") | Some("reused") => {
                known += 1;
                // A preconnected connection (accepted before this request, first on it) reads
                // as reused in timing: counted as a disagreement here, never excused.
                let opened_during = shown.entries.get(&r.url).and_then(|e| {
                    // A 0 ms connect is a stamp, not a connect: its window is not stretched
                    // (`accepted_during_connect` then finds nothing).
                    let end =
                        if e.connect_end - e.connect_start > 0.01 { e.connect_end + accept_lag } else { e.connect_end };
                    e2e::accepted_during_connect(
                        &shown.opened,
                        &r.url,
                        s.connection,
                        (e.connect_start, end),
                        LATE_MARGIN_MS,
                    )
                });
                if r.inferred.as_deref() == Some(truth) {
                    agreeing += 1;
                } else if let (Some("new"), "reused", Some(o)) = (r.inferred.as_deref(), truth, opened_during) {
                    late += 1;
                    println!(
                        "late-binding {what}: {} connected while the testbed accepted connection {} ({:+.2} ms from its connect's start, the log's lag this capture {accept_lag:.2} ms) and was sent on {} as request {}",
                        r.url, o.connection, o.accepted_ms - shown.entries.get(&r.url).map_or(0.0, |e| e.connect_start), s.connection, s.request_number
                    );
                } else {
                    // With what the log has before it on that connection, and the row's phases:
                    // what a next look at such a case needs.
                    let before: Vec<String> = shown
                        .served
                        .iter()
                        .filter(|o| o.connection == s.connection && o.request_number < s.request_number)
                        .map(|o| {
                            format!(
                                "#{} {} {:.1} ms earlier",
                                o.request_number,
                                o.target,
                                s.received_ms - o.received_ms
                            )
                        })
                        .collect();
                    disagreements.push(format!(
                        "    {what}: {} reads {} from timing; the log: request {} on connection {} (accepted {:.1} ms before the request arrived; before it there: {}); its phases: {:?}; connections accepted there from 10 ms before its connect to its arrival: {}",
                        r.url,
                        r.inferred.as_deref().unwrap_or("?"),
                        s.request_number,
                        s.connection,
                        s.received_ms - s.accepted_ms,
                        before.join(", "),
                        r.phases,
                        accepted_around(shown, r, s)
                    ));
                }
            }
            _ => {}
        }
    }
    Ok((exposed, known, agreeing, late))
}

/// The connections the testbed accepted on a request's origin from 10 ms before its
/// connect (as the page's entry has it) to its arrival, each with when, relative to that
/// connect's start, and what it carried first.
fn accepted_around(shown: &Shown, r: &Row, s: &Served) -> String {
    let Some(e) = shown.entries.get(&r.url) else { return "(no entry on the page)".into() };
    let (start, end) = (e.connect_start, e.connect_end);
    let list: Vec<String> = shown
        .opened
        .iter()
        .filter(|o| o.origin == s.origin && o.accepted_ms >= start - 10.0 && o.accepted_ms <= s.received_ms)
        .map(|o| {
            let first = shown.served.iter().find(|f| f.connection == o.connection && f.request_number == 1);
            format!(
                "{} at {:+.1} ms (first carried {})",
                o.connection,
                o.accepted_ms - start,
                first.map_or("nothing", |f| f.target.as_str())
            )
        })
        .collect();
    format!("{} (its connect: {:.1} ms)", if list.is_empty() { "none".into() } else { list.join(", ") }, end - start)
}

async fn checks(b: &Browser, tb: &Testbed) -> Result<String> {
    let name = b.engine.name();
    let origin = |id: &str| tb.origin(id).map(str::to_string).with_context(|| format!("no scenario {id}"));
    // The bookmarklet, as the app offers it (a link naming a scenario does not run it).
    b.client.goto(&format!("{}?scenario=keepalive", tb.app_url)).await?;
    let href = b
        .wait_until(
            "the bookmarklet link",
            "const a = document.querySelector('a[data-capture-bookmarklet]'); return a && a.getAttribute('href')",
            SOON,
        )
        .await?;
    let code = connscope_core::capture::decode_bookmarklet(href.as_str().unwrap_or_default())
        .context("the bookmarklet is a javascript: link that decodes")?;
    ensure!(code.contains(&format!("\"{}", tb.app_url.trim_end_matches('/'))), "the app's address is built in");
    let main = b.client.window().await?;
    let mut table = format!(
        "capture in {name}: exposed rows, inferences known, agreeing with the log, late binding (the log's excuse)\n"
    );
    let (mut all_known, mut all_agree, mut all_exposed, mut all_late) = (0, 0, 0, 0);
    let mut disagreements = Vec::new();

    // The scenarios: what connscope shows matches the testbed's log.
    let keepalive = origin("keepalive")?;
    let opaque = origin("opaque")?;
    let cases = [
        ("keepalive", format!("{keepalive}/page.html"), None),
        ("close", format!("{}/page.html", origin("close")?), None),
        ("h2", format!("{}/page.html", origin("h2")?), None),
        ("opaque", format!("{keepalive}/page.html?from=opaque"), Some(opaque.as_str())),
    ];
    for (id, page, hidden) in &cases {
        let shown = capture(b, tb, &main, &code, page).await.with_context(|| format!("capturing {id}"))?;
        let (exposed, known, agree, late) = check_against_log(id, &shown, *hidden, &mut disagreements)?;
        table.push_str(&format!("  {id:10} {exposed:3} {known:3} {agree:3} {late:3}\n"));
        (all_exposed, all_known, all_agree, all_late) =
            (all_exposed + exposed, all_known + known, all_agree + agree, all_late + late);
        match *id {
            "close" => ensure!(
                shown.findings.iter().any(|f| f.0 == "no-reuse" && f.1 == origin("close").unwrap_or_default()),
                "close: {:?}",
                shown.findings
            ),
            "opaque" => {
                let f = shown.findings.iter().find(|f| f.0 == "timing-hidden").context("opaque: timing-hidden")?;
                ensure!(f.1 == opaque, "{f:?}");
                let hidden_rows = shown.rows.iter().filter(|r| r.url.starts_with(&opaque)).count();
                ensure!(f.2.split(' ').count() == hidden_rows && hidden_rows == 8, "{f:?}: {hidden_rows} hidden rows");
            }
            _ => {}
        }
        if *id == "keepalive" {
            b.screenshot(&format!("{name}-capture-page")).await?;
        }
    }
    let coverage = all_known as f64 / all_exposed.max(1) as f64;
    let agreement = (all_agree + all_late) as f64 / all_known.max(1) as f64;
    table.push_str(&format!("  coverage {:.1} %, agreement {:.1} %\n", coverage * 100.0, agreement * 100.0));
    for d in &disagreements {
        table.push_str(d);
        table.push('\n');
    }
    // The inference itself is proven, with the log's excuses, by scenarios.rs through the
    // app's isolated clock. Here the page's clock is coarse (not cross-origin isolated) and
    // the testbed is on this machine, so a connection that reads as already open is unknown
    // (core::capture::mark_unreliable_readings): what is told is mostly the connects that
    // show. Only late binding is excused here (see check_against_log); a preconnected
    // connection read as reused is not, so the agreement bar is lower than there.
    // Firefox also stamps a 0 ms connect on a request it hands a connection that has just
    // fallen free (under this clock it can read one tick), and where one fell free between
    // the stamp and the send, a new connection (one opened as a Connection: close one shut)
    // reads the same: unknown too (core::reuse::refine, on the marks of
    // core::reuse::mark_hand_over_stamp), which leaves Firefox 12-20 % here (6 runs) where it
    // had 40 % with 1-3 of those hand-overs read as new in every run. The bar still fails a
    // capture whose inference tells (next to) nothing.
    let least = if b.engine == Engine::Firefox { 0.06 } else { 0.15 };
    ensure!(coverage >= least && agreement >= 0.95, "{table}");

    // No finding where there is no cause: a small page on one keep-alive origin.
    let shown = capture(b, tb, &main, &code, &format!("{keepalive}/page.html?css=1&js=1&img=2&cdn=0&fonts=0")).await?;
    check_against_log("small", &shown, None, &mut disagreements)?;
    ensure!(shown.findings.is_empty(), "a small keep-alive page gives no cause: {:?}", shown.findings);

    // Each finding on a page built to produce it.
    let short_idle = origin("short-idle")?;
    let shown = capture(b, tb, &main, &code, &format!("{}/page.html", origin("queue")?)).await?;
    ensure!(shown.kinds() == ["http1-queueing"], "queue: {:?}", shown.findings);
    // Sharding is stated where three origins of the site each show a request that opened a
    // connection (a row reading new, which the log checks above hold to): under the page's
    // coarse clock a loopback connect may read 0 ms and so unknown, most often in WebKit.
    let shown = capture(b, tb, &main, &code, &format!("{keepalive}/page.html?cdn=0&shards=cdn,short-idle")).await?;
    check_against_log("shards", &shown, None, &mut disagreements)?;
    let opening: std::collections::BTreeSet<String> =
        shown.rows.iter().filter(|r| r.reuse == "new").map(|r| r.origin()).collect();
    let f = shown.findings.iter().find(|f| f.0 == "sharding");
    match f {
        Some(f) => ensure!(f.2.split(' ').count() == 3 && opening.len() >= 3, "one row per shard: {f:?}, {opening:?}"),
        None => ensure!(opening.len() < 3, "sharding not stated, yet {opening:?} each opened a connection"),
    }
    println!("{name}: sharding stated {} ({} origins showed a connection opened)", f.is_some(), opening.len());
    let shown = capture(b, tb, &main, &code, &format!("{keepalive}/page.html?preconnect=short-idle")).await?;
    ensure!(
        shown.findings.iter().any(|f| f.0 == "preconnect-unused" && f.1 == short_idle),
        "unused preconnect: {:?}",
        shown.findings
    );
    ensure!(
        shown.opened.iter().any(|o| o.origin == short_idle),
        "the browser did preconnect to {short_idle}, which the report calls unused"
    );
    // A preconnect (credentialed) to an HTTPS origin whose images are fetched in CORS mode
    // (its TLS handshake takes long enough to read even on a coarse clock). Whether the
    // preconnected connection served the first request is up to the browser: Chromium and
    // Firefox keep it for credentialed requests, WebKit hands it to the first image. The log
    // tells: the first request's connection was set up for it where the testbed accepted it
    // after the request's fetchStart (on the page's own entry), and was preconnected where
    // before (each by more than LATE_MARGIN_MS; closer, it cannot tell). The finding is never
    // stated where the connection was preconnected, and where the clock is fine (Chromium)
    // it is stated where the connection was set up for the request and its row shows that.
    let cdn = origin("https-keepalive")?;
    let shown = capture(
        b,
        tb,
        &main,
        &code,
        &format!("{keepalive}/page.html?from=https-keepalive&preconnect=https-keepalive&img_cors=1"),
    )
    .await?;
    let first_request = shown
        .served
        .iter()
        .filter(|s| s.origin == cdn)
        .min_by(|a, b| a.received_ms.total_cmp(&b.received_ms))
        .with_context(|| format!("no request went to {cdn}"))?;
    let url = format!("{}{}", first_request.origin, first_request.target);
    let first_row = shown.rows.iter().find(|row| row.url == url);
    let entry = shown.entries.get(&url).with_context(|| format!("the page has no entry for {url}"))?;
    let lead = entry.fetch_start - first_request.accepted_ms;
    let (preconnected, set_up) = (lead > LATE_MARGIN_MS, lead < -LATE_MARGIN_MS);
    let connect_shown = first_row
        .is_some_and(|r| r.reuse == "new" && ["tcp", "tls"].iter().any(|p| r.phases.get(*p).is_some_and(|t| *t > 0.0)));
    let finding = shown.findings.iter().find(|f| f.0 == "preconnect-wasted" && f.1 == cdn);
    let stated = finding.is_some();
    let what = || {
        format!(
            "preconnect-wasted stated: {finding:?}; the log: first request there {} on connection {} (request {}), accepted {lead:.1} ms before its fetch started; its row {first_row:?}",
            first_request.target, first_request.connection, first_request.request_number
        )
    };
    ensure!(!(stated && preconnected), "{}", what());
    if b.engine == Engine::Chromium {
        ensure!(stated == (set_up && connect_shown), "{}", what());
    }
    table.push_str(&format!(
        "  preconnect with CORS images: the first request's connection {}, its connect shown {connect_shown}, stated {stated}\n",
        if preconnected { "preconnected" } else if set_up { "set up for it" } else { "too close to tell" }
    ));

    // A full buffer: 300 images and more.
    let shown = capture(b, tb, &main, &code, &format!("{keepalive}/page.html?img=300&cdn=0")).await?;
    let f = shown
        .findings
        .iter()
        .find(|f| f.0 == "buffer-full")
        .with_context(|| format!("buffer: {:?}", shown.findings))?;
    ensure!(shown.messages.contains("setResourceTimingBufferSize"), "{}", shown.messages);
    ensure!(shown.row_count == 251, "250 resource entries and the document: {} ({f:?})", shown.row_count);
    b.client.switch_to_window(main.clone()).await?;

    // The copy fallback: a page that may not open windows shows the capture to copy, and
    // connscope shows it pasted.
    b.client.goto(&format!("{keepalive}/page.html")).await?;
    b.wait_until("the page's load", "return document.readyState === 'complete'", SOON).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let served = page_requests(tb);
    b.client.execute(&format!("window.open = () => null; {code}"), vec![]).await?;
    let json = b
        .wait_until(
            "the capture offered to copy",
            "const t = document.querySelector('[data-connscope-capture=offer] [data-connscope-capture-json]'); return t && t.value",
            SOON,
        )
        .await?;
    let offer = b.js("return document.querySelector('[data-connscope-capture=offer]').textContent").await?;
    ensure!(offer.as_str().unwrap_or_default().contains("Open connscope"), "{offer}");
    b.client.goto(&tb.app_url).await?;
    b.wait_for_state(&["done", "failed"], Duration::from_secs(60)).await?;
    paste(b, json.as_str().unwrap_or_default()).await?;
    let mut shown = read_capture(b).await?;
    shown.served = served;
    check_against_log("pasted", &shown, None, &mut Vec::new())?;
    let source = b.js("return document.querySelector('main').getAttribute('data-source')").await?;
    ensure!(source == "capture");

    // Bad captures: a clear message, and the capture shown stays.
    paste(b, r#"{"format":"connscope-capture","version":1,"page":{"url":"#).await?;
    b.wait_for_text(".messages", "is not a capture's JSON", SOON).await?;
    b.client
        .execute(
            "const t = document.querySelector('[data-capture-paste]'); t.value = '{\"format\":\"connscope-capture\",\"pad\":\"' + 'x'.repeat(33 * 1024 * 1024) + '\"}'; document.querySelector('[data-capture-open]').click();",
            vec![],
        )
        .await?;
    b.wait_for_text(".messages", "connscope reads captures up to 32 MB", SOON).await?;
    let rows = b.rows().await?.len();
    ensure!(rows == shown.rows.len(), "the capture shown stays: {rows} rows");
    b.screenshot(&format!("{name}-capture-report")).await?;
    Ok(table)
}

/// Pastes `text` into "Paste a capture" and shows it.
async fn paste(b: &Browser, text: &str) -> Result<()> {
    b.client
        .execute(
            "const d = document.querySelector('[data-capture-paste]'); d.closest('details').open = true; d.value = arguments[0]; document.querySelector('[data-capture-open]').click();",
            vec![Value::String(text.to_string())],
        )
        .await?;
    Ok(())
}

async fn run(engine: Engine) -> Result<()> {
    let tb = Testbed::start(Config { dist: Some(e2e::dist()?), idle_timeout: IDLE, ..Config::default() }).await?;
    let b = Browser::start(engine, &tb).await?;
    let result = checks(&b, &tb).await;
    if result.is_err() {
        let _ = b.screenshot(&format!("{}-capture-failure", engine.name())).await;
    }
    b.close().await;
    tb.shutdown(Duration::from_secs(1)).await;
    let table = result?;
    let dir = e2e::workspace().join("target/e2e");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(format!("capture-{}.txt", engine.name())), &table)?;
    println!("{table}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_matches_the_testbeds_log_in_chromium() -> Result<()> {
    run(Engine::Chromium).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_matches_the_testbeds_log_in_firefox() -> Result<()> {
    run(Engine::Firefox).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_matches_the_testbeds_log_in_webkit() -> Result<()> {
    run(Engine::WebKit).await
}
