//! The loader in real browsers (wasm-bindgen-test in headless Chromium and Firefox)
//! against a testbed that `cargo xtask test` starts on loopback and names at compile time
//! in CONNSCOPE_TESTBED.
#![cfg(target_arch = "wasm32")]

use connscope::browser::fetch::Cancel;
use connscope::browser::loader::load;
use connscope_core::crawl::Limits as Options;
use connscope_core::{analyse, Event, Kind, Outcome, Reuse, RunState, Session};
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn testbed() -> &'static str {
    match option_env!("CONNSCOPE_TESTBED") {
        Some(url) => url,
        None => panic!("build with CONNSCOPE_TESTBED=<testbed app URL> (cargo xtask test does)"),
    }
}

/// The scenario origins, from the testbed's list (fetched by the test runner's page).
async fn origin(id: &str) -> String {
    let window = web_sys::window().unwrap();
    let resp: web_sys::Response =
        wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(&format!("{}/api/scenarios", testbed())))
            .await
            .map(|r| r.into())
            .unwrap_or_else(|e| panic!("the test needs /api/scenarios readable cross-origin: {e:?}"));
    let text = wasm_bindgen_futures::JsFuture::from(resp.text().unwrap()).await.unwrap().as_string().unwrap();
    let list: Vec<connscope_core::ScenarioInfo> = serde_json::from_str(&text).unwrap();
    list.into_iter().find(|s| s.id == id).unwrap().origin
}

async fn run(url: String, opts: Options) -> Session {
    let session = Rc::new(RefCell::new(Session::default()));
    let sink = session.clone();
    load(url, opts, Cancel::default(), move |events: Vec<Event>| {
        for e in events {
            sink.borrow_mut().apply(e);
        }
    })
    .await;
    let s = session.borrow().clone();
    s
}

fn sequential() -> Options {
    Options { concurrency: Some(1), ..Options::default() }
}

#[wasm_bindgen_test]
async fn the_default_page_graph_is_complete_with_parents_and_depths() {
    let keepalive = origin("keepalive").await;
    let cdn = origin("cdn").await;
    let s = run(format!("{keepalive}/page.html"), Options::default()).await;
    assert_eq!(s.state, RunState::Done, "{:?}", s.messages);
    let find = |suffix: &str| {
        s.requests.iter().find(|r| r.url.ends_with(suffix)).unwrap_or_else(|| panic!("{suffix} not discovered"))
    };
    assert_eq!(s.requests.len(), 34);
    let page = find("/page.html");
    assert_eq!((page.kind, page.depth, page.parent), (Kind::Document, 0, None));
    let style1 = find("/r/style-1.css");
    assert_eq!((style1.kind, style1.depth, style1.parent), (Kind::Stylesheet, 1, Some(page.id)));
    let import = find("/r/import.css");
    assert_eq!((import.kind, import.depth, import.parent), (Kind::Stylesheet, 2, Some(style1.id)));
    for name in ["/r/font-1.woff2", "/r/font-2.woff2"] {
        let f = find(name);
        assert_eq!((f.kind, f.depth, f.parent), (Kind::Font, 3, Some(import.id)), "{name}");
    }
    let bg = find("/r/bg.svg");
    assert_eq!((bg.kind, bg.depth), (Kind::Image, 3));
    assert_eq!(s.requests.iter().filter(|r| r.kind == Kind::Script).count(), 3);
    assert_eq!(s.requests.iter().filter(|r| r.kind == Kind::Image && r.url.contains("/r/img-")).count(), 24);
    assert_eq!(s.requests.iter().filter(|r| r.origin == cdn).count(), 8);
    let urls: HashSet<&str> = s.requests.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(urls.len(), s.requests.len(), "each URL fetched once");
    // Every request has its own entry, from this run (the token is in the entry's name).
    for r in s.requests.iter() {
        assert_eq!(r.outcome, Outcome::Done { status: 200 }, "{}", r.url);
        let t = r.timing.as_ref().unwrap_or_else(|| panic!("no timing entry for {}", r.url));
        assert!(t.name.contains("__connscope="), "{}", t.name);
        assert_eq!(connscope_core::url::strip_token(&t.name), r.url);
        assert!(t.server_truth().is_some(), "Server-Timing truth for {}", r.url);
    }
    // Firefox stamps a 0 ms connect on a connection it hands over: there, and only there,
    // the collector marks every HTTP/1.x entry with the page's measured clock tick.
    let ua = connscope::browser::page::user_agent();
    let browser = connscope_core::probe::Browser::from_user_agent(&ua);
    assert_eq!(connscope_core::reuse::stamps_hand_overs(browser), ua.contains("Firefox/"), "{ua}");
    for r in s.requests.iter() {
        let t = r.timing.as_ref().unwrap();
        match t.hand_over_stamp_tick_ms {
            Some(tick) => assert!(
                ua.contains("Firefox/") && t.is_one_at_a_time() && tick > 0.0 && tick <= 3.0,
                "{} marked with a tick of {tick} ms ({}) in {ua}",
                r.url,
                t.next_hop_protocol
            ),
            None => assert!(!(ua.contains("Firefox/") && t.is_one_at_a_time()), "{} not marked in {ua}", r.url),
        }
    }
}

#[wasm_bindgen_test]
async fn a_second_run_never_sees_the_first_runs_entries() {
    let keepalive = origin("keepalive").await;
    let a = run(format!("{keepalive}/page.html?img=2"), sequential()).await;
    let b = run(format!("{keepalive}/page.html?img=2"), sequential()).await;
    let names =
        |s: &Session| s.requests.iter().map(|r| r.timing.as_ref().unwrap().name.clone()).collect::<HashSet<_>>();
    assert!(names(&a).is_disjoint(&names(&b)));
}

#[wasm_bindgen_test]
async fn sequential_keepalive_uses_one_connection_and_close_one_per_request() {
    let keepalive = origin("keepalive").await;
    // Earlier tests left idle connections to this origin in the browser's pool, and a
    // browser may rotate through them (Firefox does). Wait out the 5 s idle timeout so the
    // server closes them and the run starts with an empty pool.
    connscope::browser::sleep_ms(5300).await;
    let s = run(format!("{keepalive}/page.html?img=6&cdn=0"), sequential()).await;
    let a = analyse(&s.requests);
    assert_eq!(a.truth_connections.len(), 1, "{:?}", a.truth_connections);
    assert!(a.requests.iter().skip(1).all(|r| r.verdict.reuse == Reuse::Reused));

    let close = origin("close").await;
    let s = run(format!("{close}/page.html?img=6&cdn=0"), sequential()).await;
    let a = analyse(&s.requests);
    assert_eq!(a.truth_connections.len(), s.requests.len());
    assert!(a.requests.iter().all(|r| r.verdict.reuse == Reuse::New));
}

#[wasm_bindgen_test]
async fn cancelling_stops_every_request() {
    let keepalive = origin("keepalive").await;
    let session = Rc::new(RefCell::new(Session::default()));
    let sink = session.clone();
    let cancel = Cancel::default();
    let c2 = cancel.clone();
    // Every image is slow; cancel once the page has been read.
    let url = format!("{keepalive}/page.html?img=5&cdn=0&delay=3000");
    let started = js_sys::Date::now();
    let watcher = async move {
        connscope::browser::sleep_ms(400).await;
        c2.cancel();
    };
    let loading = load(url, Options::default(), cancel, move |events: Vec<Event>| {
        for e in events {
            sink.borrow_mut().apply(e);
        }
    });
    futures::join!(loading, watcher);
    let s = session.borrow();
    assert!(js_sys::Date::now() - started < 2500.0, "the delayed script was aborted, not awaited");
    assert_eq!(s.state, RunState::Done);
    assert!(s.messages.iter().any(|m| m.text.contains("cancelled")));
    assert!(s.requests.iter().all(|r| !matches!(r.outcome, Outcome::Pending | Outcome::Running)));
    assert!(s.requests.iter().any(|r| r.outcome == Outcome::Failed { message: "cancelled".into() }));
}

fn error_text(s: &Session) -> String {
    s.messages.iter().map(|m| m.text.clone()).collect::<Vec<_>>().join(" | ")
}

#[wasm_bindgen_test]
async fn each_bad_situation_gets_its_message_and_keeps_the_run() {
    let keepalive = origin("keepalive").await;

    let s = run("not a url".into(), Options::default()).await;
    assert_eq!(s.state, RunState::Failed);
    assert!(error_text(&s).contains("is not a full URL"), "{}", error_text(&s));

    let s = run("http://127.0.0.1:1/page.html".into(), Options::default()).await;
    assert_eq!(s.state, RunState::Failed);
    assert!(error_text(&s).contains("could not be loaded"), "{}", error_text(&s));
    assert_eq!(s.requests.len(), 1, "the failed request is kept");

    // The testbed's app origin sends no CORS headers: reading it cross-origin is blocked.
    let s = run(format!("{}/testpage/page.html", testbed()), Options::default()).await;
    assert_eq!(s.state, RunState::Failed);
    assert!(error_text(&s).contains("Access-Control-Allow-Origin"), "{}", error_text(&s));

    let s = run(format!("{keepalive}/r/a.css"), Options::default()).await;
    assert_eq!(s.state, RunState::Done);
    assert!(error_text(&s).contains("not an HTML page"), "{}", error_text(&s));

    let s = run(format!("{keepalive}/status/404"), Options::default()).await;
    assert_eq!(s.state, RunState::Failed);
    assert!(error_text(&s).contains("HTTP 404"), "{}", error_text(&s));
    assert!(s.requests[0].timing.is_some(), "the 404 itself is still shown with its timing");

    let s = run(format!("{keepalive}/redirect?to=/page.html%3Fimg%3D1"), Options::default()).await;
    assert_eq!(s.state, RunState::Done);
    assert!(error_text(&s).contains("redirected to"), "{}", error_text(&s));
    assert!(s.requests.len() > 1, "the redirected page's resources were followed");

    let s = run(format!("{keepalive}/page.html?img=1&broken=1"), Options::default()).await;
    assert_eq!(s.state, RunState::Done);
    assert!(error_text(&s).contains("missing.txt answered HTTP 404"), "{}", error_text(&s));

    let s = run(format!("{keepalive}/r/slow.css?delay=3000"), Options { timeout_ms: 300, ..Options::default() }).await;
    assert_eq!(s.state, RunState::Failed);
    assert!(error_text(&s).contains("within 300 ms"), "{}", error_text(&s));

    let s = run(format!("{keepalive}/page.html?img=0&css=0&js=0&cycle=1"), Options::default()).await;
    assert_eq!(s.state, RunState::Done);
    assert_eq!(s.requests.iter().filter(|r| r.url.contains("cycle-")).count(), 2, "an import cycle ends cleanly");

    let s = run(format!("{keepalive}/page.html"), Options { limit: 5, ..Options::default() }).await;
    assert_eq!(s.requests.len(), 5);
    assert!(error_text(&s).contains("were not loaded"), "{}", error_text(&s));
}

#[wasm_bindgen_test]
async fn every_kind_of_html_reference_is_discovered_against_the_base() {
    let keepalive = origin("keepalive").await;
    let s = run(format!("{keepalive}/rich.html"), Options::default()).await;
    assert_eq!(s.state, RunState::Done, "{}", error_text(&s));
    let mut got: Vec<(String, Kind)> =
        s.requests.iter().skip(1).map(|r| (r.url.replacen(&keepalive, "", 1), r.kind)).collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let dpr = web_sys::window().unwrap().device_pixel_ratio();
    let srcset = if dpr > 1.0 { "/r/img-a2.svg" } else { "/r/img-a1.svg" };
    let mut want: Vec<(String, Kind)> = [
        ("/r/favicon.svg", Kind::Image),
        ("/r/font-9.woff2", Kind::Font),
        ("/r/mod-1.js", Kind::Script),
        ("/r/style-9.css", Kind::Stylesheet),
        ("/r/style-inline.css", Kind::Stylesheet),
        ("/r/bg-2.svg", Kind::Image),
        ("/r/mod-2.js", Kind::Script),
        (srcset, Kind::Image),
        ("/r/img-p-wide.svg", Kind::Image),
        ("/r/poster.svg", Kind::Image),
        ("/r/inline.svg", Kind::Image),
    ]
    .iter()
    .map(|(u, k)| (u.to_string(), *k))
    .collect();
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got, want);
    assert!(error_text(&s).contains("srcset candidate"), "the srcset choice is explained: {}", error_text(&s));
}

#[wasm_bindgen_test]
async fn a_page_past_the_read_limit_is_read_in_part_and_the_user_told() {
    let keepalive = origin("keepalive").await;
    // 16 MiB of text as the page: its first 8 MB are read, the rest is not kept.
    let s = run(format!("{keepalive}/r/style-1.css?size=16777216"), Options::default()).await;
    assert_eq!(s.state, RunState::Done, "{}", error_text(&s));
    assert!(
        error_text(&s).contains("is larger than 8 MB: connscope looked for references in its first 8 MB only"),
        "{}",
        error_text(&s)
    );
    assert!(s.requests[0].timing.is_some(), "the request is still shown with its timing");
}

/// The loader reads each entry's attributes by name, in one call (`to_timing`,
/// `timing.js`, its numbers exact); the entry's own `toJSON()` is what the Timing type
/// reads from anywhere else (a capture, a HAR). For the
/// entries of real runs, with Server-Timing, an origin without Timing-Allow-Origin and
/// broken references among them, both must read the same.
#[wasm_bindgen_test]
async fn an_entry_read_attribute_by_attribute_equals_its_json() {
    let keepalive = origin("keepalive").await;
    let opaque = origin("opaque").await;
    for page in [format!("{keepalive}/page.html?broken=1"), format!("{opaque}/page.html")] {
        let s = run(page, Options::default()).await;
        assert_eq!(s.state, RunState::Done, "{:?}", s.messages);
    }
    let entries = web_sys::window().unwrap().performance().unwrap().get_entries_by_type("resource");
    assert!(entries.length() >= 30, "{} entries", entries.length());
    let mut with_server_timing = 0;
    for entry in entries.iter() {
        let read = connscope::browser::timing::to_timing(&entry).expect("every entry has a name");
        let json = js_sys::Reflect::get(&entry, &"toJSON".into()).unwrap();
        let json = js_sys::Function::from(json).call0(&entry).unwrap();
        let text = js_sys::JSON::stringify(&json).unwrap().as_string().unwrap();
        let parsed: connscope_core::Timing = serde_json::from_str(&text).unwrap();
        // serde_json reads a decimal to within an ulp, not always to the nearest double.
        let (a, b) = (serde_json::to_value(&read).unwrap(), serde_json::to_value(&parsed).unwrap());
        assert!(same(&a, &b), "read one by one: {a}\nfrom its JSON: {text}");
        with_server_timing += usize::from(!read.server_timing.is_empty());
    }
    assert!(with_server_timing >= 20, "only {with_server_timing} entries carried Server-Timing");
    assert!(
        entries
            .iter()
            .filter_map(|e| connscope::browser::timing::to_timing(&e))
            .any(|t| t.name.starts_with(&opaque) && t.connect_start == 0.0),
        "no entry of the opaque origin, with its phases hidden"
    );
}

/// Equal JSON values, numbers to a part in 10^12.
fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value::{Array, Number, Object};
    match (a, b) {
        (Number(x), Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            (x - y).abs() <= 1e-12 * x.abs().max(1.0)
        }
        (Array(x), Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Object(x), Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w))),
        _ => a == b,
    }
}

/// The Batcher hands events over in a frame, and without one when the page paints none (a
/// hidden tab: here `requestAnimationFrame` is made to do nothing); a fallback left over from
/// a batch that had its frame does not hand the next batch over early. Each batch goes over
/// once. Times are only checked from below, so a slow machine cannot fail it.
#[wasm_bindgen_test]
async fn batches_go_over_in_a_frame_and_without_one_when_none_comes() {
    use connscope::browser::frame::Batcher;
    use wasm_bindgen::JsCast;
    let window = web_sys::window().unwrap();
    let performance = window.performance().unwrap();
    let got: Rc<RefCell<Vec<(f64, usize)>>> = Rc::default();
    let sink = got.clone();
    let clock = performance.clone();
    let batcher = Batcher::new(move |events: Vec<Event>| sink.borrow_mut().push((clock.now(), events.len())));
    let event = |id| Event::RequestStarted { id };
    let sleep = |ms| gloo_timers::future::TimeoutFuture::new(ms);
    let raf = js_sys::Reflect::get(&window, &"requestAnimationFrame".into()).unwrap();
    let set_raf = |f: &wasm_bindgen::JsValue| {
        js_sys::Reflect::set(&window, &"requestAnimationFrame".into(), f).unwrap();
    };

    // With frames: two events pushed together go over as one batch, in a frame.
    batcher.push(event(0));
    batcher.push(event(1));
    for _ in 0..40 {
        if !got.borrow().is_empty() {
            break;
        }
        sleep(25).await;
    }
    assert_eq!(got.borrow().iter().map(|g| g.1).collect::<Vec<_>>(), vec![2], "one batch of two, in a frame");

    // Frames stop, with the first batch's fallback still to fire.
    let no_frame = js_sys::Function::new_no_args("return 0;");
    set_raf(no_frame.unchecked_ref());
    sleep(150).await;
    let pushed = performance.now();
    batcher.push(event(2));
    sleep(1200).await;
    set_raf(&raf);
    let seen = got.borrow().clone();
    assert_eq!(seen.len(), 2, "the batch without a frame went over once: {seen:?}");
    let waited = seen[1].0 - pushed;
    assert!(
        waited >= 550.0,
        "without a frame the batch waits about 600 ms, not for an earlier batch's fallback: it went after {waited:.0} ms"
    );

    // Frames again: the next batch goes in its frame, and nothing goes twice.
    batcher.push(event(3));
    sleep(900).await;
    let seen = got.borrow().clone();
    assert_eq!(seen.iter().map(|g| g.1).collect::<Vec<_>>(), vec![2, 1, 1], "{seen:?}");
}

/// A body the crawl does not read is still read to its end (so its entry is whole and its
/// connection free for the next request): whole where it says it is small, piped into a sink
/// where it is large (src/browser/fetch.js). Each image's entry counts all its bytes, and
/// one connection carries each run, one request after another.
#[wasm_bindgen_test]
async fn a_discarded_body_is_read_to_its_end_small_or_large() {
    let keepalive = origin("keepalive").await;
    // An empty pool, as in the sequential test above.
    connscope::browser::sleep_ms(5300).await;
    for kb in [4u32, 2048] {
        let s = run(format!("{keepalive}/page.html?css=0&js=0&fonts=0&img=3&cdn=0&img_kb={kb}"), sequential()).await;
        assert_eq!(s.state, RunState::Done, "{kb} KiB: {:?}", s.messages);
        let images: Vec<_> = s.requests.iter().filter(|r| r.url.contains("/r/img-")).collect();
        assert_eq!(images.len(), 3, "{kb} KiB: {:?}", s.requests.iter().map(|r| &r.url).collect::<Vec<_>>());
        for r in images {
            let size = r.timing.as_ref().map(|t| t.decoded_body_size);
            assert_eq!(size, Some(f64::from(kb) * 1024.0), "{kb} KiB: {}", r.url);
        }
        let a = analyse(&s.requests);
        assert_eq!(a.truth_connections.len(), 1, "{kb} KiB: {:?}", a.truth_connections);
    }
}
