//! The crawl state machine (`connscope_core::crawl`) driven natively through the testbed's
//! own pages: the responses are what the testbed's page and resource generators make (the
//! default test page, an `@import` cycle, a missing stylesheet, a redirect), the HTML is
//! read by a real HTML parser (html5ever, through `scraper`) into the same facts the app's
//! shell reads with DOMParser, and URLs are resolved by the WHATWG URL parser (`url`).
//! No browser, no network: each effect is carried out here and its outcome fed back.

use connscope_core::crawl::html::{Element, HtmlDocument, PictureSource, Viewport};
use connscope_core::crawl::{Body, Crawl, Effect, Limits, Read, Resolve, Response, MAX_TEXT_BYTES};
use connscope_core::failure::FetchFailure;
use connscope_core::{Event, Kind, Level, Outcome, RunState, Session, Timing};
use std::collections::{BTreeMap, VecDeque};
use testbed::pages;

const SITE: &str = "http://keepalive.test:8081";
const CDN: &str = "http://cdn.test:8088";

struct WhatwgUrls;

impl Resolve for WhatwgUrls {
    fn resolve(&self, href: &str, base: Option<&str>) -> Option<String> {
        let mut u = match base {
            Some(b) => url::Url::parse(b).ok()?.join(href).ok()?,
            None => url::Url::parse(href).ok()?,
        };
        u.set_fragment(None);
        Some(u.to_string())
    }
}

/// What the app's shell reads from DOMParser (`src/browser/dom.rs`), read here with html5ever.
fn read_html(html: &str, viewport: Viewport) -> HtmlDocument {
    use scraper::{Html, Selector};
    let doc = Html::parse_document(html);
    let all = |sel: &str| {
        let s = Selector::parse(sel).expect("a valid selector");
        doc.select(&s).collect::<Vec<_>>()
    };
    let attr = |el: &scraper::ElementRef, name: &str| el.value().attr(name).map(str::to_string);
    // The one media query the testbed's pages use: `(min-width: Npx)`.
    let matches = |media: &str| {
        media
            .trim()
            .strip_prefix("(min-width:")
            .and_then(|r| r.trim().strip_suffix("px)"))
            .and_then(|n| n.trim().parse::<f64>().ok())
            .is_some_and(|n| n <= viewport.width)
    };
    let mut out = HtmlDocument { base_href: all("base[href]").first().and_then(|b| attr(b, "href")), elements: vec![] };
    for l in all("link[href]") {
        out.elements.push(Element::Link {
            rel: attr(&l, "rel").unwrap_or_default(),
            as_: attr(&l, "as").unwrap_or_default(),
            href: attr(&l, "href").unwrap_or_default(),
        });
    }
    for s in all("script[src]") {
        out.elements.push(Element::Script { src: attr(&s, "src").unwrap_or_default() });
    }
    for img in all("img") {
        let sources = img
            .parent()
            .and_then(scraper::ElementRef::wrap)
            .filter(|p| p.value().name() == "picture")
            .map(|p| {
                p.children()
                    .filter_map(scraper::ElementRef::wrap)
                    .filter(|c| c.value().name() == "source")
                    .map(|s| PictureSource {
                        srcset: attr(&s, "srcset"),
                        media_matches: attr(&s, "media").is_none_or(|m| matches(&m)),
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.elements.push(Element::Img {
            src: attr(&img, "src"),
            srcset: attr(&img, "srcset"),
            width: attr(&img, "width"),
            sources,
        });
    }
    for v in all("video[poster]") {
        out.elements.push(Element::Poster { src: attr(&v, "poster").unwrap_or_default() });
    }
    for m in all("video[src], audio[src], video > source[src], audio > source[src]") {
        out.elements.push(Element::Media { src: attr(&m, "src").unwrap_or_default() });
    }
    for el in all("[style]") {
        out.elements.push(Element::Style { css: attr(&el, "style").unwrap_or_default() });
    }
    for s in all("style") {
        out.elements.push(Element::Style { css: s.text().collect() });
    }
    out
}

/// The testbed's answer to `url` (keepalive and cdn origins), following redirects as fetch does.
fn respond(url: &str, read: Read, viewport: Viewport) -> Result<Response, FetchFailure> {
    let mut current = url::Url::parse(url).map_err(|e| FetchFailure::Rejected { detail: e.to_string() })?;
    let mut redirected = false;
    loop {
        let origin = current.origin().ascii_serialization();
        if origin != SITE && origin != CDN {
            return Err(FetchFailure::Rejected { detail: "TypeError: Failed to fetch".into() });
        }
        let query: BTreeMap<String, String> = current.query_pairs().into_owned().collect();
        let path = current.path().to_string();
        let (status, content_type, text): (u16, &str, String) = if path == "/redirect" {
            let to = query.get("to").cloned().unwrap_or_else(|| "/page.html".into());
            current = current.join(&to).map_err(|e| FetchFailure::Rejected { detail: e.to_string() })?;
            redirected = true;
            continue;
        } else if path == "/page.html" {
            let spec = pages::PageSpec::from_query(&query).map_err(|e| FetchFailure::Body { detail: e.to_string() })?;
            (200, "text/html; charset=utf-8", spec.html("test page", (origin == SITE).then_some(CDN)))
        } else if path == "/rich.html" {
            (200, "text/html; charset=utf-8", pages::RICH_HTML.to_string())
        } else if let Some(code) = path.strip_prefix("/status/") {
            (code.parse().unwrap_or(400), "text/plain", String::new())
        } else if let Some(name) = path.strip_prefix("/r/") {
            match pages::resource(name, &query) {
                Ok(Some(r)) => (200, r.content_type, String::from_utf8_lossy(&r.body.to_vec()).into_owned()),
                _ => (404, "text/plain", "not found".into()),
            }
        } else {
            (404, "text/plain", "not found".into())
        };
        // The shell reads pages and stylesheets up to MAX_TEXT_BYTES.
        let cut_at = (read != Read::Discard && text.len() > MAX_TEXT_BYTES).then_some(MAX_TEXT_BYTES);
        let mut text = text;
        if cut_at.is_some() {
            text.truncate(MAX_TEXT_BYTES);
        }
        return Ok(Response {
            status,
            final_url: current.to_string(),
            redirected,
            cut_at,
            content_type: content_type.into(),
            body: match read {
                Read::Discard => Body::Discarded,
                Read::Text => Body::Text(text),
                Read::Html => Body::Html(read_html(&text, viewport)),
            },
        });
    }
}

/// A run as the shell would carry it out, with what the effects showed on the way.
struct Ran {
    session: Session,
    most_in_flight: usize,
    pauses: usize,
    fetched: Vec<String>,
}

fn run_with(target: &str, limits: Limits, cancel_after: Option<usize>) -> Ran {
    let viewport = Viewport { width: 1280.0, device_pixel_ratio: 2.0 };
    let (mut crawl, first) = Crawl::start(target, "42", 1.7e12, limits, viewport, &WhatwgUrls);
    assert!(crawl.token_prefix().ends_with("=42-"));
    let mut ran = Ran { session: Session::default(), most_in_flight: 0, pauses: 0, fetched: vec![] };
    let mut effects: VecDeque<Effect> = first.into();
    let mut in_flight: VecDeque<(usize, String, Read)> = VecDeque::new();
    let mut lookups: VecDeque<(usize, String)> = VecDeque::new();
    let mut pause_due = false;
    let mut cancelled = false;
    for _ in 0..100_000 {
        while let Some(e) = effects.pop_front() {
            match e {
                Effect::Report(event) => ran.session.apply(event),
                Effect::Fetch { id, url, read, timeout_ms } => {
                    assert_eq!(timeout_ms, limits.timeout_ms);
                    assert!(url.contains(&format!("__connscope=42-{id}")), "{url} carries its token");
                    in_flight.push_back((id, url, read));
                    ran.most_in_flight = ran.most_in_flight.max(in_flight.len());
                }
                Effect::LookUpTiming { id, url, .. } => lookups.push_back((id, url)),
                Effect::Pause { ms } => {
                    assert_eq!(ms, limits.pause_ms);
                    ran.pauses += 1;
                    pause_due = true;
                }
            }
        }
        if crawl.is_over() {
            break;
        }
        if cancel_after == Some(ran.fetched.len()) && !cancelled {
            cancelled = true;
            effects.extend(crawl.cancel());
            // What was in flight comes back aborted.
            for (id, _, _) in in_flight.drain(..) {
                effects.extend(crawl.fetched(id, Err(FetchFailure::Cancelled), &WhatwgUrls));
            }
            continue;
        }
        let fx = if let Some((id, url)) = lookups.pop_front() {
            crawl.timed(
                id,
                Some(Timing { name: url, start_time: id as f64, response_end: id as f64 + 1.0, ..Timing::default() }),
            )
        } else if let Some((id, url, read)) = in_flight.pop_front() {
            ran.fetched.push(url.clone());
            crawl.fetched(id, respond(&url, read, viewport), &WhatwgUrls)
        } else if pause_due {
            pause_due = false;
            crawl.paused()
        } else {
            panic!("the crawl is not over but asks for nothing");
        };
        effects.extend(fx);
    }
    assert!(crawl.is_over(), "the run ended");
    ran
}

fn run(target: &str, limits: Limits) -> Ran {
    run_with(target, limits, None)
}

fn said(s: &Session) -> String {
    s.messages.iter().map(|m| m.text.as_str()).collect::<Vec<_>>().join("\n")
}

#[test]
fn the_default_test_page_is_crawled_whole_with_parents_kinds_and_depths() {
    let ran = run(&format!("{SITE}/page.html"), Limits::default());
    let s = &ran.session;
    assert_eq!(s.state, RunState::Done, "{}", said(s));
    assert_eq!(s.requests.len(), 34, "page, 2 stylesheets, import.css, 2 fonts, bg.svg, 3 scripts, 24 images");
    assert!(s.requests.iter().all(|r| r.outcome == Outcome::Done { status: 200 }), "{:?}", s.requests);
    let find = |suffix: &str| s.requests.iter().find(|r| r.url.ends_with(suffix)).unwrap_or_else(|| panic!("{suffix}"));
    let page = find("/page.html");
    assert_eq!((page.id, page.kind, page.depth, page.parent), (0, Kind::Document, 0, None));
    let style1 = find("/r/style-1.css");
    assert_eq!((style1.kind, style1.depth, style1.parent), (Kind::Stylesheet, 1, Some(0)));
    let import = find("/r/import.css");
    assert_eq!((import.kind, import.depth, import.parent), (Kind::Stylesheet, 2, Some(style1.id)));
    for font in ["/r/font-1.woff2", "/r/font-2.woff2"] {
        assert_eq!((find(font).kind, find(font).depth, find(font).parent), (Kind::Font, 3, Some(import.id)));
    }
    assert_eq!(find("/r/bg.svg").kind, Kind::Image);
    assert_eq!(s.requests.iter().filter(|r| r.kind == Kind::Script).count(), 3);
    let cdn_images = s.requests.iter().filter(|r| r.origin == CDN).count();
    assert_eq!(cdn_images, 8, "the cdn's images are another origin");
    assert_eq!(ran.fetched.len(), 34, "each URL fetched once");
    assert!(ran.most_in_flight > 1, "without a cap the browser schedules them all");
}

#[test]
fn an_import_cycle_ends_and_each_stylesheet_is_loaded_once() {
    let ran = run(&format!("{SITE}/page.html?img=0&css=0&js=0&cycle=1"), Limits::default());
    assert_eq!(ran.session.state, RunState::Done);
    let urls: Vec<&str> = ran.session.requests.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            &format!("{SITE}/page.html?img=0&css=0&js=0&cycle=1"),
            &format!("{SITE}/r/cycle-a.css"),
            &format!("{SITE}/r/cycle-b.css")
        ]
    );
}

#[test]
fn a_redirected_page_is_followed_from_where_it_landed() {
    let ran = run(&format!("{SITE}/redirect?to=/page.html%3Fimg%3D1%26css%3D1%26js%3D0"), Limits::default());
    let s = &ran.session;
    assert_eq!(s.state, RunState::Done, "{}", said(s));
    assert!(said(s).contains("was redirected to http://keepalive.test:8081/page.html?img=1&css=1&js=0"), "{}", said(s));
    assert!(s.requests.iter().any(|r| r.url == format!("{SITE}/r/style-1.css")), "resolved against the final URL");
    assert!(!said(s).contains("__connscope"), "no run token in what the user reads");
}

#[test]
fn a_missing_stylesheet_is_a_warning_and_the_run_goes_on() {
    let ran = run(&format!("{SITE}/page.html?img=1&broken=1"), Limits::default());
    let s = &ran.session;
    assert_eq!(s.state, RunState::Done);
    let missing = s.requests.iter().find(|r| r.url.ends_with("/r/missing.txt")).expect("discovered");
    assert_eq!(missing.outcome, Outcome::Done { status: 404 });
    assert!(s.messages.iter().any(|m| m.level == Level::Warning && m.text.ends_with("missing.txt answered HTTP 404.")));
    assert!(s.requests.iter().any(|r| r.url.ends_with("/r/img-1.svg")), "the rest was loaded");
}

#[test]
fn a_page_that_answers_an_error_fails_the_run_but_keeps_its_request() {
    let ran = run(&format!("{SITE}/status/404"), Limits::default());
    let s = &ran.session;
    assert_eq!(s.state, RunState::Failed);
    assert_eq!(s.requests.len(), 1);
    assert!(s.requests[0].timing.is_some(), "the 404 is shown with its timing");
    assert!(said(s).contains("answered HTTP 404. There is no page to analyse"), "{}", said(s));
}

#[test]
fn the_limit_and_the_depth_cut_the_graph_and_say_so() {
    let ran = run(&format!("{SITE}/page.html"), Limits { limit: 5, ..Limits::default() });
    assert_eq!(ran.session.requests.len(), 5);
    // The page names 29 resources and 4 fit under the limit; style-1.css, one of them, imports
    // import.css, which is past it too (what the 25 others would import is never seen).
    let text = said(&ran.session);
    assert!(text.contains("26 more resources were not loaded: the limit is 5 resources and 4 levels deep"), "{text}");

    // Depth: the page is 0, its stylesheets 1, their imports 2, the fonts those import 3.
    let depths = |max_depth| {
        let ran = run(&format!("{SITE}/page.html"), Limits { max_depth, ..Limits::default() });
        assert_eq!(ran.session.state, RunState::Done);
        let deepest = ran.session.requests.iter().map(|r| r.depth).max();
        (deepest, ran.session.requests.len(), said(&ran.session))
    };
    let (deepest, count, text) = depths(1);
    assert_eq!((deepest, count), (Some(1), 30), "the page and its own 29 references");
    assert!(text.contains("1 more resource was not loaded: the limit is 300 resources and 1 level deep"), "{text}");
    assert_eq!(depths(2).0, Some(2), "import.css, imported by style-1.css");
    let (deepest, count, text) = depths(3);
    assert_eq!((deepest, count), (Some(3), 34), "the fonts import.css names");
    assert!(!text.contains("not loaded"), "{text}");
}

#[test]
fn concurrency_and_pause_are_kept() {
    let limits = Limits { concurrency: Some(1), pause_ms: 250, ..Limits::default() };
    let ran = run(&format!("{SITE}/page.html?img=3&cdn=0&js=0"), limits);
    assert_eq!(ran.session.state, RunState::Done);
    assert_eq!(ran.most_in_flight, 1, "one request at a time");
    assert_eq!(ran.pauses, ran.fetched.len() - 1, "a pause before every request but the first");
}

#[test]
fn bad_targets_fail_at_once_with_a_reason() {
    for (target, reason) in [
        ("not a url", "is not a full URL"),
        ("ftp://example.com/", "not ftp: ones"),
        ("javascript:alert(1)", "not javascript: ones"),
    ] {
        let ran = run(target, Limits::default());
        assert_eq!(ran.session.state, RunState::Failed, "{target}");
        assert!(said(&ran.session).contains(reason), "{target}: {}", said(&ran.session));
        assert!(ran.fetched.is_empty());
    }
}

#[test]
fn every_kind_of_html_reference_is_followed_against_the_base() {
    let ran = run(&format!("{SITE}/rich.html"), Limits::default());
    let s = &ran.session;
    assert_eq!(s.state, RunState::Done, "{}", said(s));
    let mut got: Vec<(String, Kind)> = s.requests.iter().skip(1).map(|r| (r.url.replace(SITE, ""), r.kind)).collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let want: Vec<(String, Kind)> = [
        ("/r/bg-2.svg", Kind::Image),
        ("/r/favicon.svg", Kind::Image),
        ("/r/font-9.woff2", Kind::Font),
        ("/r/img-a2.svg", Kind::Image),
        ("/r/img-p-wide.svg", Kind::Image),
        ("/r/inline.svg", Kind::Image),
        ("/r/mod-1.js", Kind::Script),
        ("/r/mod-2.js", Kind::Script),
        ("/r/poster.svg", Kind::Image),
        ("/r/style-9.css", Kind::Stylesheet),
        ("/r/style-inline.css", Kind::Stylesheet),
    ]
    .into_iter()
    .map(|(u, k)| (u.to_string(), k))
    .collect();
    assert_eq!(got, want, "alternate stylesheets, preconnects, links and data: URLs are not fetched");
    assert!(said(s).contains("device pixel ratio 2"), "the srcset choice is explained");
}

#[test]
fn cancelling_stops_new_requests_and_ends_the_run() {
    let ran = run_with(&format!("{SITE}/page.html"), Limits { concurrency: Some(2), ..Limits::default() }, Some(3));
    let s = &ran.session;
    assert_eq!(s.state, RunState::Done);
    assert!(ran.fetched.len() <= 3, "nothing starts after Cancel");
    assert!(s.messages.iter().any(|m| m.text.starts_with("Run cancelled")));
    assert!(s.requests.iter().any(|r| r.outcome == Outcome::Failed { message: "cancelled".into() }));
}

#[test]
fn events_reach_the_session_in_a_lifecycle_order() {
    let viewport = Viewport::default();
    let (mut crawl, fx) =
        Crawl::start(&format!("{SITE}/page.html?img=0&css=0&js=0"), "7", 0.0, Limits::default(), viewport, &WhatwgUrls);
    let reports: Vec<&Event> =
        fx.iter().filter_map(|e| if let Effect::Report(ev) = e { Some(ev) } else { None }).collect();
    assert!(matches!(reports[0], Event::Started { .. }));
    assert!(matches!(reports[1], Event::Discovered { depth: 0, .. }));
    assert!(matches!(reports[2], Event::RequestStarted { id: 0 }));
    let Some(Effect::Fetch { url, read, .. }) = fx.iter().find(|e| matches!(e, Effect::Fetch { .. })).cloned() else {
        panic!("the page is fetched first")
    };
    assert_eq!(read, Read::Html);
    let fx = crawl.fetched(0, respond(&url, read, viewport), &WhatwgUrls);
    assert_eq!(fx, vec![Effect::LookUpTiming { id: 0, url, wait_ms: connscope_core::crawl::TIMING_WAIT_MS }]);
    assert!(!crawl.is_over(), "not over before the page's timing is in");
    let fx = crawl.timed(0, None);
    let reports: Vec<&Event> =
        fx.iter().filter_map(|e| if let Effect::Report(ev) = e { Some(ev) } else { None }).collect();
    assert!(
        matches!(reports[0], Event::Note { level: Level::Warning, text } if text.contains("no Resource Timing entry"))
    );
    assert!(matches!(reports[1], Event::RequestFinished { id: 0, status: 200, timing: None }));
    assert!(matches!(reports[2], Event::Finished));
    assert!(crawl.is_over());
    assert!(crawl.timed(0, None).is_empty() && crawl.paused().is_empty(), "nothing after the end");
}

#[test]
fn a_stylesheet_past_the_read_limit_is_read_in_part_and_the_user_told() {
    // 16 MiB of stylesheet: its @import is at the start, so it is still found.
    let ran = run(&format!("{SITE}/page.html?img=0&js=0&css=1&fonts=0"), Limits::default());
    assert!(!said(&ran.session).contains("larger than"), "a small stylesheet is read whole");
    let big = run(&format!("{SITE}/r/style-1.css?size=16777216"), Limits::default());
    assert_eq!(big.session.state, RunState::Done, "{}", said(&big.session));
    let text = said(&big.session);
    assert!(text.contains("is not an HTML page"), "{text}");
    let viewport = Viewport::default();
    let (mut crawl, fx) =
        Crawl::start(&format!("{SITE}/page.html?img=0&js=0&css=1"), "5", 0.0, Limits::default(), viewport, &WhatwgUrls);
    let mut fx: Vec<Effect> = fx;
    let mut said_cut = String::new();
    for _ in 0..50 {
        let mut next = Vec::new();
        for e in fx.drain(..) {
            match e {
                Effect::Fetch { id, url, read, .. } => {
                    let url = if url.contains("style-1.css") {
                        url.replace("style-1.css?", "style-1.css?size=16777216&")
                    } else {
                        url
                    };
                    next.extend(crawl.fetched(id, respond(&url, read, viewport), &WhatwgUrls));
                }
                Effect::LookUpTiming { id, .. } => next.extend(crawl.timed(id, None)),
                Effect::Report(Event::Note { text, .. }) if text.contains("larger than") => said_cut = text,
                _ => {}
            }
        }
        fx = next;
    }
    assert!(
        said_cut.ends_with("style-1.css is larger than 8 MB: connscope looked for references in its first 8 MB only."),
        "{said_cut}"
    );
}
