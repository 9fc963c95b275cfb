//! The built app in real browsers (Chromium, Firefox and WebKit), used as a person would:
//! it opens and runs the default scenario, keeps the DOM contract, takes a URL from the
//! link, switches themes, answers the keyboard, zooms, imports a HAR, fits a phone screen,
//! explains bad input and says when the WebAssembly engine stopped it.

use anyhow::{ensure, Result};
use e2e::{start_testbed, Browser, Engine};
use fantoccini::{key::Key, Locator};
use std::time::Duration;
use testbed::Testbed;

const DONE: &[&str] = &["done", "failed"];
/// How long a click, a key or a file pick may take to show: generous, because WebKit under
/// Xvfb on a loaded two-core CI machine renders in seconds, not milliseconds.
const SOON: Duration = Duration::from_secs(15);

/// A script that is true once the waterfall shows exactly `n` rows.
fn rows_are(n: usize) -> String {
    format!("return document.querySelectorAll('.waterfall [data-request-url]').length === {n}")
}

async fn ui(engine: Engine) -> Result<()> {
    let tb = start_testbed().await?;
    let b = Browser::start(engine, &tb).await?;
    let result = checks(&b, &tb).await;
    if result.is_err() {
        let _ = b.screenshot(&format!("{}-failure", engine.name())).await;
    }
    b.close().await;
    tb.shutdown(Duration::from_secs(1)).await;
    result
}

async fn checks(b: &Browser, tb: &Testbed) -> Result<()> {
    let name = b.engine.name();

    // Opening the app with no link runs the first scenario.
    b.client.goto(&tb.app_url).await?;
    ensure!(b.wait_for_state(DONE, Duration::from_secs(30)).await? == "done");
    ensure!(b.text("h1.brand").await? == "connscope");
    let rows = b.rows().await?;
    ensure!(rows.len() == 34, "default page: {} rows", rows.len());
    for r in &rows {
        ensure!(["new", "reused", "unknown"].contains(&r.reuse.as_str()), "{r:?}");
        ensure!(!r.connection.is_empty(), "every row of a testbed run has a connection: {r:?}");
        ensure!(r.phases.values().all(|v| *v >= 0.0), "{r:?}");
        ensure!(r.phases.contains_key("waiting") && r.phases.contains_key("download"), "{r:?}");
    }
    ensure!(b.text(".summary .reading").await?.contains("34 requests"));
    let meaning =
        b.js("return document.querySelector('.summary th abbr[title^=\"Time in TCP and TLS\"]')?.textContent").await?;
    ensure!(meaning == "Handshakes", "the Handshakes column says what it sums: {meaning}");
    b.screenshot(&format!("{name}-waterfall-light")).await?;

    // Dark theme, then the connection view in it.
    let theme = |t: &str| format!("return document.documentElement.getAttribute('data-theme') === '{t}'");
    b.client.find(Locator::Css(".top-actions button")).await?.click().await?;
    b.wait_until("the dark theme", &theme("dark"), SOON).await?;
    let bg = b.js("return getComputedStyle(document.body).backgroundColor").await?;
    ensure!(bg.as_str() != Some("rgb(255, 255, 255)"), "dark background, got {bg}");
    b.screenshot(&format!("{name}-waterfall-dark")).await?;
    b.js("document.querySelector('.connections').scrollIntoView()").await?;
    let lanes = b.js("return document.querySelectorAll('.connections .lane').length").await?;
    ensure!(lanes.as_u64().unwrap_or(0) >= 2, "lanes: {lanes}");
    b.screenshot(&format!("{name}-connections-dark")).await?;
    b.client.find(Locator::Css(".top-actions button")).await?.click().await?;
    b.wait_until("the light theme", &theme("light"), SOON).await?;
    b.client.find(Locator::Css(".top-actions button")).await?.click().await?;
    b.wait_until("the system theme", "return !document.documentElement.hasAttribute('data-theme')", SOON).await?;
    b.js("document.querySelector('.connections').scrollIntoView()").await?;
    b.screenshot(&format!("{name}-connections-light")).await?;

    // Keyboard: a focused row shows its tooltip and pins its details.
    b.js("document.querySelectorAll('.waterfall .row')[3].focus()").await?;
    let tip = b.wait_for_text("#wf-tip", "/r/", SOON).await?;
    ensure!(tip.contains("ms"), "tooltip: {tip}");
    b.wait_for_text(".details", "Evidence", SOON).await?;
    // The details are a plain two-column list, in the page's own type: a lesson's big
    // figures (its own `.facts`) once took them over, evidence in 1.5em bold.
    let look = b
        .js("const f = document.querySelector('.details .facts'), dd = f.querySelector('dd'), s = getComputedStyle(dd); \
             return [getComputedStyle(f).display, s.fontSize, getComputedStyle(f.closest('.details')).fontSize, s.fontWeight]")
        .await?;
    ensure!(
        look[0] == "grid"
            && look[1] == look[2]
            && look[3].as_str().and_then(|w| w.parse::<u32>().ok()).is_some_and(|w| w < 600),
        "the details' list: display, dd size, panel size, dd weight = {look}"
    );

    // Keyboard in the connection view: Enter on a lane selects its requests in turn.
    let lane = b.client.find(Locator::Css(".connections .lane:not([data-requests='1'])")).await?;
    let id = lane.attr("data-connection").await?.unwrap_or_default();
    let picked = format!(
        "const reqs = [...document.querySelectorAll('.connections .lane[data-connection=\"{id}\"] .req')]; \
         const k = reqs.findIndex(r => r.classList.contains('selected')); return k < 0 ? null : k + 1;"
    );
    lane.send_keys(&Key::Enter.to_string()).await?;
    let first = b.wait_until(&format!("Enter to select a request on connection {id}"), &picked, SOON).await?;
    lane.send_keys(&Key::Enter.to_string()).await?;
    let moved = format!("const k = (() => {{ {picked} }})(); return k !== {first} && k");
    b.wait_until(&format!("Enter again to move along connection {id}"), &moved, SOON).await?;
    ensure!(b.text(".details").await?.contains("Evidence"), "the lane's request shows its details");
    b.screenshot(&format!("{name}-lane-keyboard")).await?;

    // Zoom to the page's own request: the rest lie after the window, and each row says so
    // ("later ▸") instead of drawing a sliver at the edge. "Whole run" brings them back.
    let count = |css: &str| format!("return document.querySelectorAll('{css}').length");
    let hidden_before = b.js(&count(".waterfall .seg.hidden-detail")).await?;
    b.js("document.querySelectorAll('.waterfall .row')[0].focus()").await?;
    b.client.find(Locator::XPath("//button[text()='Fit selected']")).await?.click().await?;
    let hint = b.wait_for_text(".waterfall .hint", "Showing 0.00 ms to", SOON).await?;
    ensure!(hint.starts_with("Showing 0.00 ms to"), "the window is named first: {hint}");
    let later: Vec<String> = b
        .js("return [...document.querySelectorAll('.waterfall .conn.off')].map(t => t.textContent)")
        .await?
        .as_array()
        .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    ensure!(later.len() >= 20, "rows after the page's own request: {later:?}");
    ensure!(later.iter().all(|t| t.ends_with("later ▸") && t.starts_with('#')), "{later:?}");
    ensure!(b.js(&count(".waterfall .seg.hidden-detail")).await? == hidden_before, "no slivers at the edge");
    b.screenshot(&format!("{name}-zoomed")).await?;
    b.client.find(Locator::XPath("//button[text()='Whole run']")).await?.click().await?;
    b.wait_until(
        "every bar drawn again",
        "return document.querySelectorAll('.waterfall .conn.off').length === 0",
        SOON,
    )
    .await?;
    b.js("window.scrollTo(0, 0)").await?;

    // A link with a URL of one's own (encoded), sequential.
    let page = format!("{}/page.html?img=3&cdn=0", tb.origin("keepalive").unwrap_or_default());
    let encoded: String = page
        .bytes()
        .map(|c| if c.is_ascii_alphanumeric() { (c as char).to_string() } else { format!("%{c:02X}") })
        .collect();
    b.client.goto(&format!("{}?url={encoded}&concurrency=1&autorun=1", tb.app_url)).await?;
    ensure!(b.wait_for_state(DONE, Duration::from_secs(30)).await? == "done");
    let rows = b.rows().await?;
    ensure!(rows.len() == 13, "url mode: {} rows", rows.len());
    ensure!(rows.iter().skip(1).all(|r| r.reuse == "reused"), "sequential keep-alive: {rows:?}");
    let field = b.js("return document.querySelector('input[type=url]').value").await?;
    ensure!(field.as_str() == Some(page.as_str()), "the URL field shows the link's URL: {field}");

    // Changing a field puts it in the shareable link (the same rules as the link itself).
    b.js("const i = document.querySelector('.options input'); i.value = '2'; i.dispatchEvent(new Event('change', {bubbles: true}))").await?;
    b.wait_until("the link to follow the form", "return location.search.includes('concurrency=2')", SOON).await?;

    // Bad input: a clear message, and the state says failed.
    b.client.goto(&format!("{}?url=not%20a%20url&autorun=1", tb.app_url)).await?;
    ensure!(b.wait_for_state(DONE, SOON).await? == "failed");
    ensure!(b.text(".messages").await?.contains("is not a full URL"));

    // A HAR recorded elsewhere: pick the file, see its waterfall.
    let fixture = e2e::workspace().join("core/tests/fixtures/firefox-https-keepalive.json");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&fixture)?)?;
    let requests: Vec<connscope_core::Request> = doc["entries"]
        .as_array()
        .map(|a| a.to_vec())
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .filter_map(|(i, e)| connscope_core::Request::from_entry(i, serde_json::from_value(e).ok()?))
        .collect();
    let analysis = connscope_core::analyse(&requests);
    let har = connscope_core::har::export("fixture", &requests, &analysis, 1.7e12);
    let path = e2e::workspace().join(format!("target/e2e/{name}-import.har"));
    std::fs::write(&path, serde_json::to_string(&har)?)?;
    b.choose_file(&path).await?;
    b.wait_for_state(&["done"], SOON).await?;
    b.wait_until("the imported rows", &rows_are(requests.len()), SOON).await?;
    b.screenshot(&format!("{name}-har-import")).await?;

    // Bad files: each says what is wrong, and the recording shown stays.
    let chrome = std::fs::read_to_string(e2e::workspace().join("core/tests/fixtures/chromium-devtools-h2.har"))?;
    let bad = [
        ("empty.har", String::new(), "the file is empty"),
        ("page.html", "<!doctype html><title>x</title>".to_string(), "is not JSON"),
        ("cut.har", chrome.chars().take(5000).collect::<String>(), "it was cut short"),
        ("other.json", r#"{"name":"not a recording"}"#.to_string(), "has no `log` object"),
        ("no-entries.har", r#"{"log":{"version":"1.2"}}"#.to_string(), "no `log.entries` list"),
        ("blank.har", r#"{"log":{"entries":[{},{"request":{}}]}}"#.to_string(), "none of the HAR's 2 entries"),
    ];
    for (file, text, says) in bad {
        let path = e2e::workspace().join(format!("target/e2e/{name}-{file}"));
        std::fs::write(&path, text)?;
        b.choose_file(&path).await?;
        let messages = b.wait_for_text(".messages", &format!("{name}-{file} was not imported"), SOON).await?;
        ensure!(messages.contains(says), "{file}: {messages}");
        ensure!(messages.contains("The run shown is unchanged"), "{file}: {messages}");
        ensure!(b.rows().await?.len() == requests.len(), "{file}: the imported run is still shown");
    }
    b.screenshot(&format!("{name}-bad-import")).await?;

    // A HAR saved by Chromium's own DevTools (h2 page): the browser's socket ids and the
    // server's Server-Timing both come through, and the h2 origin is one connection.
    let devtools = e2e::workspace().join("core/tests/fixtures/chromium-devtools-h2.har");
    b.choose_file(&devtools).await?;
    let h2_rows = "return document.querySelectorAll('.waterfall [data-request-url][data-protocol=h2]').length > 0";
    b.wait_until("the Chromium HAR's h2 rows", h2_rows, SOON).await?;
    let rows = b.rows().await?;
    ensure!(rows.len() == 34, "imported {} rows of Chromium's 34", rows.len());
    let h2: Vec<_> = rows.iter().filter(|r| r.protocol.as_deref() == Some("h2")).collect();
    ensure!(h2.len() == 26, "{} h2 rows", h2.len());
    ensure!(h2.iter().all(|r| r.connection == h2[0].connection && r.server_connection == h2[0].server_connection));
    ensure!(rows.iter().all(|r| r.server_request.is_some()), "Server-Timing read from the HAR's headers");
    ensure!(b.text(".messages").await?.contains("Server-Timing"));
    b.screenshot(&format!("{name}-chromium-devtools-har")).await?;
    ensure!(b.text(".connections .toggle").await?.contains("Server's truth (7)"));

    // The same recording from a site that sends no Server-Timing: the lanes are the
    // browser's own socket ids, and the view says so.
    let text = std::fs::read_to_string(&devtools)?.replace("\"server-timing\"", "\"x-stripped\"");
    let stripped = e2e::workspace().join(format!("target/e2e/{name}-chromium-devtools-no-server-timing.har"));
    std::fs::write(&stripped, text)?;
    b.choose_file(&stripped).await?;
    let no_truth = "return document.querySelectorAll('.waterfall [data-request-url]').length > 0 && document.querySelectorAll('.waterfall [data-server-request]').length === 0";
    b.wait_until("the rows without Server-Timing", no_truth, SOON).await?;
    let rows = b.rows().await?;
    ensure!(rows.len() == 34 && rows.iter().all(|r| r.server_request.is_none()), "Server-Timing stripped");
    let toggle = b.text(".connections .toggle").await?;
    ensure!(toggle.contains("Browser's record (7)"), "{toggle}");
    ensure!(b.text(".connections .hint").await?.contains("as the browser recorded it"));

    // The app takes its memory at start (`reserve_memory` in src/lib.rs): a run grows it no
    // more. Read through the module's own init, which hands back the running instance's
    // exports in Chromium and WebKit; Firefox makes a second instance there, so not in Firefox.
    if b.engine != Engine::Firefox {
        let pages = "const done = arguments[arguments.length - 1];
            const src = [...document.querySelectorAll('link[rel=modulepreload]')].map(l => l.href).find(h => /connscope-[0-9a-f]+\\.js$/.test(h));
            import(src).then(m => m.default()).then(w => done(w.memory.buffer.byteLength / 65536)).catch(e => done(String(e)));";
        b.client.goto(&format!("{}?scenario=keepalive", tb.app_url)).await?;
        b.wait_for_state(&["idle"], SOON).await?;
        let before = b.client.execute_async(pages, vec![]).await?;
        b.client.find(Locator::Css("button.primary")).await?.click().await?;
        b.wait_for_state(DONE, Duration::from_secs(60)).await?;
        let after = b.client.execute_async(pages, vec![]).await?;
        ensure!(
            before.as_f64().is_some_and(|p| p >= 512.0),
            "{name}: memory at start {before} pages, not the 32 MiB taken"
        );
        ensure!(after == before, "{name}: a run grew the memory from {before} to {after} pages");
    }

    // Presentation mode on a projector (1280×720, 1920×1080), in both themes: the key figures
    // and the chart's first rows are on the first screen, the form on one line.
    b.client.goto(&format!("{}?scenario=keepalive&autorun=1", tb.app_url)).await?;
    b.wait_for_state(DONE, Duration::from_secs(60)).await?;
    b.client.find(Locator::XPath("//button[text()='Presentation mode']")).await?.click().await?;
    b.wait_until("presentation mode", "return document.querySelector('main.presenting') !== null", SOON).await?;
    for (w, h) in [(1280, 720), (1920, 1080)] {
        b.client.set_window_size(w, h).await?;
        for theme in ["light", "dark"] {
            b.js(&format!("document.documentElement.setAttribute('data-theme', '{theme}'); window.scrollTo(0, 0);"))
                .await?;
            let first_screen = b
                .wait_until(
                    "the chart on the first screen",
                    r#"const inner = window.innerHeight;
                       const fig = document.querySelector('[data-key-figures]').getBoundingClientRect();
                       const rows = Array.from(document.querySelectorAll('.waterfall [data-request-url]')).filter(r => r.getBoundingClientRect().bottom <= inner).length;
                       const form = document.querySelector('form.controls').getBoundingClientRect();
                       return fig.bottom <= inner && rows >= 8 && form.height < 80 && { rows, form: form.height, figures: fig.bottom };"#,
                    SOON,
                )
                .await?;
            println!("{name} presentation {w}x{h} {theme}: {first_screen}");
            b.screenshot(&format!("{name}-presenting-{w}x{h}-{theme}")).await?;
        }
    }
    b.js("document.documentElement.removeAttribute('data-theme')").await?;
    b.client.find(Locator::XPath("//button[text()='Presentation mode']")).await?.click().await?;

    // From a small phone to a 4K screen: nothing spills sideways out of the page (the
    // charts scroll inside their own frame), the start page after its run or a lesson's step.
    for (w, h, shot) in [(320, 800, "narrow"), (3840, 2160, "4k")] {
        b.client.set_window_size(w, h).await?;
        for (query, ready) in [("", "run"), ("?lesson=persistence&step=6", "lesson")] {
            b.client.goto(&format!("{}{query}", tb.app_url)).await?;
            if ready == "run" {
                b.wait_for_state(DONE, Duration::from_secs(60)).await?;
            } else {
                b.wait_until("the step", "return document.querySelector('[data-lesson-step]') !== null", SOON).await?;
            }
            // clientWidth, not innerWidth: the vertical scrollbar takes part of the window.
            let overflow =
                b.js("return document.documentElement.scrollWidth - document.documentElement.clientWidth").await?;
            if overflow.as_f64().unwrap_or(1e9) > 1.0 {
                let wide = b.js("const w = document.documentElement.clientWidth; return Array.from(document.querySelectorAll('body *')).filter(e => { if (e.getBoundingClientRect().right <= w + 1) return false; for (let a = e.parentElement; a; a = a.parentElement) if (getComputedStyle(a).overflowX !== 'visible') return false; return true; }).slice(0, 6).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 50)).join('; ')").await?;
                anyhow::bail!("{query}: the page is {overflow} px wider than a {w} px window, by {wide}");
            }
            b.screenshot(&format!("{name}-{shot}{}", if ready == "run" { "" } else { "-lesson" })).await?;
        }
    }

    // A trap of the page's WebAssembly engine (a real one: a module of one function that runs
    // `unreachable`, called from a microtask as the app's futures are) ends what the app was
    // doing: the page says so, once, where the user looks, and a test waiting on the app is
    // told at once. Only in WebKit does `page_stopped` count it (see there). Not in Firefox:
    // it runs WebDriver's scripts in a realm apart from the page's, and reports their errors
    // there, and the page's policy allows no script of the test's own.
    if b.engine == Engine::Firefox {
        return Ok(());
    }
    b.client.set_window_size(1280, 900).await?;
    b.client.goto(&tb.app_url).await?;
    b.wait_for_state(DONE, Duration::from_secs(60)).await?;
    const TRAP: &str = "const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 5, 1, 3, 0, 0, 11]); const f = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f; queueMicrotask(f); queueMicrotask(f);";
    b.js(TRAP).await?;
    let waited = b.wait_until("a run that will not come", "return false", SOON).await;
    let said = format!("{waited:?}");
    ensure!(
        said.contains("the app crashed") && said.contains("RuntimeError") && said.contains("reload the page"),
        "after a trap, a wait is told the app crashed, with the engine's error: {said}"
    );
    let banners = b.js("return document.querySelectorAll('[data-crashed]').length").await?;
    ensure!(banners == 1, "two traps, one banner: {banners}");
    let stopped = b.page_stopped().await;
    ensure!(
        stopped.is_some() == (b.engine == Engine::WebKit),
        "page_stopped counts a trap in WebKit only: {stopped:?}"
    );
    b.screenshot(&format!("{name}-trapped")).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_works_for_a_person_in_chromium() -> Result<()> {
    ui(Engine::Chromium).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_works_for_a_person_in_firefox() -> Result<()> {
    ui(Engine::Firefox).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_works_for_a_person_in_webkit() -> Result<()> {
    ui(Engine::WebKit).await
}
