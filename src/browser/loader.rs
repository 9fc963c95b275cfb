//! Loads a page's resource graph through `fetch()`: the HTML, then what it references,
//! then what its stylesheets reference, each URL once, each with a per-run token so its
//! timing entry is unambiguous. Reports every step as a `model::Event`.

use super::timing::Collector;
use super::{js_error_text, sleep_ms};
use crate::model::discover::{css_references, pick_srcset, TOKEN_PARAM};
use crate::model::failure::FetchFailure;
use crate::model::{Event, Kind, Level};
use futures::stream::{FuturesUnordered, StreamExt};
use std::cell::{Cell, RefCell};
use std::collections::{HashSet, VecDeque};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// How a run loads its page.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// At most this many requests at once; None lets the browser schedule them all.
    pub concurrency: Option<usize>,
    /// Pause before each request after the first, so idle timeouts can close connections.
    pub pause_ms: u32,
    /// At most this many resources (the page included).
    pub limit: usize,
    /// How deep references are followed (page = 0, its stylesheets = 1, their imports = 2…).
    pub max_depth: u32,
    /// Each request is aborted after this long.
    pub timeout_ms: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options { concurrency: None, pause_ms: 0, limit: 300, max_depth: 4, timeout_ms: 20_000 }
    }
}

/// Cancels a run: aborts every request in flight and starts no more.
#[derive(Clone, Default)]
pub struct Cancel(Rc<CancelInner>);

#[derive(Default)]
struct CancelInner {
    cancelled: Cell<bool>,
    controllers: RefCell<Vec<web_sys::AbortController>>,
}

impl Cancel {
    pub fn cancel(&self) {
        self.0.cancelled.set(true);
        for c in self.0.controllers.borrow().iter() {
            c.abort();
        }
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.get()
    }
}

impl PartialEq for Cancel {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

struct Fetched {
    status: u16,
    content_type: String,
    /// Text of HTML and CSS bodies (others are read and dropped).
    text: Option<String>,
    final_url: String,
    redirected: bool,
}

async fn fetch_one(url: &str, want_text: bool, opts: &Options, cancel: &Cancel) -> Result<Fetched, FetchFailure> {
    let window = web_sys::window().ok_or_else(|| FetchFailure::Rejected { detail: "no window".into() })?;
    let controller =
        web_sys::AbortController::new().map_err(|e| FetchFailure::Rejected { detail: js_error_text(&e) })?;
    cancel.0.controllers.borrow_mut().push(controller.clone());
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_mode(web_sys::RequestMode::Cors);
    init.set_cache(web_sys::RequestCache::NoStore);
    init.set_credentials(web_sys::RequestCredentials::Omit);
    init.set_redirect(web_sys::RequestRedirect::Follow);
    init.set_signal(Some(&controller.signal()));
    let timed_out = Rc::new(Cell::new(false));
    let timer = {
        let controller = controller.clone();
        let flag = timed_out.clone();
        gloo_timers::callback::Timeout::new(opts.timeout_ms, move || {
            flag.set(true);
            controller.abort();
        })
    };
    let classify = |e: wasm_bindgen::JsValue| {
        if timed_out.get() {
            FetchFailure::Timeout { ms: opts.timeout_ms }
        } else if cancel.is_cancelled() {
            FetchFailure::Cancelled
        } else {
            FetchFailure::Rejected { detail: js_error_text(&e) }
        }
    };
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(classify)?
        .dyn_into()
        .map_err(|_| FetchFailure::Rejected { detail: "fetch did not return a Response".into() })?;
    let status = response.status();
    let content_type = response.headers().get("content-type").ok().flatten().unwrap_or_default();
    let body = if want_text { response.text() } else { response.array_buffer() };
    let body = body.map_err(|e| FetchFailure::Body { detail: js_error_text(&e) })?;
    let value = JsFuture::from(body).await.map_err(|e| match classify(e) {
        FetchFailure::Rejected { detail } => FetchFailure::Body { detail },
        other => other,
    })?;
    drop(timer);
    Ok(Fetched {
        status,
        content_type,
        text: if want_text { value.as_string() } else { None },
        final_url: response.url(),
        redirected: response.redirected(),
    })
}

/// A finished request's id, URL, status (or failure) and timing entry.
type TimingLookupResult = (usize, String, Result<u16, String>, Option<crate::model::Timing>);
type TimingLookup = std::pin::Pin<Box<dyn std::future::Future<Output = TimingLookupResult>>>;

enum Step<F> {
    Fetched(F),
    Timed(Box<TimingLookupResult>),
}

/// A URL to fetch and where it came from.
struct Job {
    id: usize,
    url: String,
    kind: Kind,
    depth: u32,
}

fn resolve(href: &str, base: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let u = web_sys::Url::new_with_base(href, base).ok()?;
    let protocol = u.protocol();
    if protocol != "http:" && protocol != "https:" {
        return None;
    }
    u.set_hash("");
    Some(u.href())
}

fn with_token(url: &str, token: &str) -> String {
    match web_sys::Url::new(url) {
        Ok(u) => {
            u.search_params().append(TOKEN_PARAM, token);
            u.href()
        }
        Err(_) => url.to_string(),
    }
}

/// Subresources of an HTML document, read with the browser's inert DOMParser.
fn discover_html(html: &str, page_url: &str, notes: &mut Vec<String>) -> Vec<(String, Kind)> {
    let mut out: Vec<(String, Kind)> = Vec::new();
    let Ok(parser) = web_sys::DomParser::new() else {
        return out;
    };
    let Ok(doc) = parser.parse_from_string(html, web_sys::SupportedType::TextHtml) else {
        return out;
    };
    let all = |sel: &str| -> Vec<web_sys::Element> {
        doc.query_selector_all(sel)
            .map(|list| (0..list.length()).filter_map(|i| list.get(i)?.dyn_into::<web_sys::Element>().ok()).collect())
            .unwrap_or_default()
    };
    let base = all("base[href]")
        .first()
        .and_then(|b| b.get_attribute("href"))
        .and_then(|h| resolve(&h, page_url))
        .unwrap_or_else(|| page_url.to_string());
    let mut push = |href: Option<String>, kind: Kind, base: &str| {
        if let Some(url) = href.and_then(|h| resolve(&h, base)) {
            out.push((url, kind));
        }
    };
    for link in all("link[href]") {
        let rel = link.get_attribute("rel").unwrap_or_default().to_ascii_lowercase();
        let rels: Vec<&str> = rel.split_whitespace().collect();
        let kind = if rels.contains(&"stylesheet") && !rels.contains(&"alternate") {
            Some(Kind::Stylesheet)
        } else if rels.iter().any(|r| *r == "icon" || *r == "apple-touch-icon") {
            Some(Kind::Image)
        } else if rels.contains(&"modulepreload") {
            Some(Kind::Script)
        } else if rels.contains(&"preload") {
            Some(match link.get_attribute("as").unwrap_or_default().as_str() {
                "style" => Kind::Stylesheet,
                "script" => Kind::Script,
                "font" => Kind::Font,
                "image" => Kind::Image,
                _ => Kind::Other,
            })
        } else {
            None
        };
        if let Some(kind) = kind {
            push(link.get_attribute("href"), kind, &base);
        }
    }
    for script in all("script[src]") {
        push(script.get_attribute("src"), Kind::Script, &base);
    }
    let window = web_sys::window();
    let viewport = window.as_ref().and_then(|w| w.inner_width().ok()).and_then(|v| v.as_f64()).unwrap_or(1280.0);
    let dpr = window.as_ref().map_or(1.0, |w| w.device_pixel_ratio());
    let mut picked_srcset = false;
    for img in all("img") {
        let slot = img.get_attribute("width").and_then(|w| w.parse::<f64>().ok()).unwrap_or(viewport);
        // <picture>: the first <source> whose media matches wins.
        let mut chosen = None;
        if let Some(parent) = img.parent_element().filter(|p| p.tag_name().eq_ignore_ascii_case("picture")) {
            let sources = parent.children();
            for i in 0..sources.length() {
                let Some(s) = sources.item(i) else { continue };
                if !s.tag_name().eq_ignore_ascii_case("source") {
                    continue;
                }
                let media_ok = s.get_attribute("media").is_none_or(|m| {
                    window.as_ref().and_then(|w| w.match_media(&m).ok().flatten()).is_some_and(|q| q.matches())
                });
                if media_ok {
                    chosen = s.get_attribute("srcset").and_then(|set| pick_srcset(&set, slot, dpr));
                    if chosen.is_some() {
                        break;
                    }
                }
            }
        }
        if chosen.is_none() {
            chosen = img.get_attribute("srcset").and_then(|set| pick_srcset(&set, slot, dpr));
        }
        if chosen.is_some() {
            picked_srcset = true;
        }
        push(chosen.or_else(|| img.get_attribute("src")), Kind::Image, &base);
    }
    if picked_srcset {
        notes.push(format!(
            "Responsive images: connscope picked each srcset candidate as a browser would for this window ({viewport:.0} CSS px wide, device pixel ratio {dpr})."
        ));
    }
    for v in all("video[poster]") {
        push(v.get_attribute("poster"), Kind::Image, &base);
    }
    for m in all("video[src], audio[src], video > source[src], audio > source[src]") {
        push(m.get_attribute("src"), Kind::Media, &base);
    }
    for el in all("[style]") {
        for r in css_references(&el.get_attribute("style").unwrap_or_default()) {
            push(Some(r.url), r.kind, &base);
        }
    }
    for style in all("style") {
        for r in css_references(&style.text_content().unwrap_or_default()) {
            push(Some(r.url), r.kind, &base);
        }
    }
    out
}

/// Loads `page_url` and its resource graph, reporting every step through `report`.
pub async fn load(page_url: String, opts: Options, cancel: Cancel, report: impl Fn(Event)) {
    let time_origin_ms = web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.time_origin());
    report(Event::Started { target: page_url.clone(), time_origin_ms });
    let page = match web_sys::Url::new(page_url.trim()) {
        Ok(u) if u.protocol() == "http:" || u.protocol() == "https:" => u.href(),
        Ok(u) => {
            report(Event::Failed {
                message: format!("connscope loads http: and https: pages, not {} ones.", u.protocol()),
            });
            return;
        }
        Err(_) => {
            report(Event::Failed {
                message: format!("{page_url:?} is not a full URL. Type an address such as https://example.com/page.html (with http:// or https://)."),
            });
            return;
        }
    };
    let run = format!("{}", (js_sys::Math::random() * 1e9) as u64);
    let collector = Collector::new(format!("{TOKEN_PARAM}={run}-"));
    let mut seen: HashSet<String> = HashSet::new();
    let mut queue: VecDeque<Job> = VecDeque::new();
    let mut next_id = 0usize;
    let mut skipped = 0usize;
    let mut discover = |url: String, kind: Kind, parent: Option<usize>, depth: u32, queue: &mut VecDeque<Job>| {
        if !seen.insert(url.clone()) {
            return;
        }
        if next_id >= opts.limit.max(1) || depth > opts.max_depth {
            skipped += 1;
            return;
        }
        report(Event::Discovered { url: url.clone(), kind, parent, depth });
        queue.push_back(Job { id: next_id, url, kind, depth });
        next_id += 1;
    };
    discover(page.clone(), Kind::Document, None, 0, &mut queue);

    let cap = opts.concurrency.unwrap_or(usize::MAX).max(1);
    // Fetches in flight, and timing look-ups of finished ones. A look-up waits for the
    // browser to publish the entry; it must not hold up discovering children, nor count
    // against the concurrency cap (the network part is over).
    let collector = Rc::new(collector);
    let mut fetching = FuturesUnordered::new();
    let mut timing = FuturesUnordered::new();
    let mut started = 0usize;
    loop {
        while fetching.len() < cap && !cancel.is_cancelled() {
            let Some(job) = queue.pop_front() else { break };
            if started > 0 && opts.pause_ms > 0 {
                // In small steps, so Cancel is not kept waiting for a long pause.
                let mut left = opts.pause_ms;
                while left > 0 && !cancel.is_cancelled() {
                    let step = left.min(50);
                    sleep_ms(step).await;
                    left -= step;
                }
                if cancel.is_cancelled() {
                    queue.push_front(job);
                    break;
                }
            }
            started += 1;
            report(Event::RequestStarted { id: job.id });
            let tokened = with_token(&job.url, &format!("{run}-{}", job.id));
            let want_text = matches!(job.kind, Kind::Document | Kind::Stylesheet);
            let cancel = cancel.clone();
            let opts = opts.clone();
            fetching.push(async move {
                let result = fetch_one(&tokened, want_text, &opts, &cancel).await;
                (job, tokened, result)
            });
        }
        let step = futures::select! {
            f = fetching.select_next_some() => Step::Fetched(f),
            t = timing.select_next_some() => Step::Timed(Box::new(t)),
            complete => break,
        };
        match step {
            Step::Timed(done) => {
                let (id, url, outcome, timing) = *done;
                let t: Option<crate::model::Timing> = timing;
                match outcome {
                    Ok(status) => {
                        if t.is_none() {
                            report(Event::Note {
                                level: Level::Warning,
                                text: format!("{url}: the browser gave no Resource Timing entry, so its connection cannot be judged."),
                            });
                        }
                        report(Event::RequestFinished { id, status, timing: t });
                    }
                    Err(message) => report(Event::RequestFailed { id, message, timing: t }),
                }
            }
            Step::Fetched((job, tokened, Ok(fetched))) => {
                let lookup = collector.clone();
                let (id, url, status) = (job.id, job.url.clone(), fetched.status);
                timing.push(Box::pin(async move {
                    let t = lookup.entry(&tokened, 2000).await;
                    (id, url, Ok(status), t)
                }) as TimingLookup);
                if fetched.redirected {
                    report(Event::Note {
                        level: Level::Info,
                        text: format!(
                            "{} was redirected to {}.",
                            job.url,
                            crate::model::discover::strip_token(&fetched.final_url)
                        ),
                    });
                }
                if fetched.status >= 400 {
                    let text = format!("{} answered HTTP {}.", job.url, fetched.status);
                    if job.kind == Kind::Document {
                        // Record the page's own request before failing the run.
                        if let Some((id, _, Ok(status), t)) = timing.next().await {
                            report(Event::RequestFinished { id, status, timing: t });
                        }
                        report(Event::Failed {
                            message: format!("{text} There is no page to analyse; the request itself is shown."),
                        });
                        return;
                    }
                    report(Event::Note { level: Level::Warning, text });
                    continue;
                }
                let base = if fetched.final_url.is_empty() {
                    job.url.clone()
                } else {
                    crate::model::discover::strip_token(&fetched.final_url)
                };
                match job.kind {
                    Kind::Document => {
                        if !fetched.content_type.to_ascii_lowercase().contains("html") {
                            report(Event::Note {
                                level: Level::Warning,
                                text: format!(
                                    "{} is not an HTML page (Content-Type: {}), so it has no subresources to follow; only this request is shown.",
                                    job.url,
                                    if fetched.content_type.is_empty() { "none" } else { &fetched.content_type }
                                ),
                            });
                        } else {
                            let mut notes = Vec::new();
                            for (url, kind) in discover_html(fetched.text.as_deref().unwrap_or(""), &base, &mut notes) {
                                discover(url, kind, Some(job.id), 1, &mut queue);
                            }
                            for text in notes {
                                report(Event::Note { level: Level::Info, text });
                            }
                        }
                    }
                    Kind::Stylesheet => {
                        for r in css_references(fetched.text.as_deref().unwrap_or("")) {
                            if let Some(url) = resolve(&r.url, &base) {
                                discover(url, r.kind, Some(job.id), job.depth + 1, &mut queue);
                            }
                        }
                    }
                    _ => {}
                }
            }
            Step::Fetched((job, tokened, Err(err))) => {
                let t = collector.entry(&tokened, 300).await;
                let message = err.message(&job.url, t.as_ref());
                if job.kind == Kind::Document && !matches!(err, FetchFailure::Cancelled) {
                    report(Event::RequestFailed { id: job.id, message: message.clone(), timing: t });
                    report(Event::Failed { message: format!("The page could not be loaded. {message}") });
                    return;
                }
                report(Event::RequestFailed { id: job.id, message, timing: t });
            }
        }
    }
    if skipped > 0 {
        report(Event::Note {
            level: Level::Warning,
            text: format!(
                "{skipped} more resource{} were not loaded: the limit is {} resources and {} levels deep (raise them in the options).",
                if skipped == 1 { "" } else { "s" },
                opts.limit,
                opts.max_depth
            ),
        });
    }
    if cancel.is_cancelled() {
        report(Event::Cancelled);
    } else {
        report(Event::Finished);
    }
}
