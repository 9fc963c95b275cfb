//! The routes: what each path of the app's origin and of a scenario origin answers.

use crate::connection::ConnCtx;
use crate::pages;
use crate::static_files;
use crate::{Shared, Site, MAX_REQUEST_BODY};
use bytes::Bytes;
use connscope_core::ScenarioInfo;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use std::convert::Infallible;
use std::time::Duration;

/// Any response body: a small fixed one, or a generated one streamed chunk by chunk.
pub(crate) type Body = UnsyncBoxBody<Bytes, Infallible>;

pub(crate) fn text(status: StatusCode, body: impl Into<String>) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body.into())).boxed_unsync());
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

fn with_type(content_type: &'static str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()).boxed_unsync());
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

pub(crate) async fn route(req: Request<Incoming>, ctx: &ConnCtx) -> Response<Body> {
    match *req.method() {
        Method::GET | Method::HEAD => {}
        Method::OPTIONS => {
            let mut r = text(StatusCode::NO_CONTENT, "");
            r.headers_mut()
                .insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, HEAD, OPTIONS"));
            r.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("*"));
            r.headers_mut().insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
            return r;
        }
        _ => return text(StatusCode::METHOD_NOT_ALLOWED, "the testbed serves GET, HEAD and OPTIONS only\n"),
    }
    let too_long = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > MAX_REQUEST_BODY);
    if too_long {
        return text(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request bodies are limited to {MAX_REQUEST_BODY} bytes\n"),
        );
    }
    let path = req.uri().path();
    let target = req.uri().path_and_query().map_or(path, |pq| pq.as_str());
    if ctx.shared.panic_path.as_deref() == Some(path) {
        panic!("a panic injected at {path} (Config::panic_path)");
    }
    let query = pages::parse_query(req.uri().query());
    match ctx.site {
        Site::App => route_app(path, query.contains_key("capture"), &ctx.shared).await,
        Site::Scenario(i) => route_scenario(path, target, &query, &ctx.shared, i).await,
    }
}

/// `awaits_capture`: the app was opened by the capture script of another page
/// (`?capture=<origin>`), which must keep its link to this window to hand the capture over:
/// the page is served without `Cross-Origin-Opener-Policy` (so it is not cross-origin
/// isolated; it measures nothing itself).
async fn route_app(path: &str, awaits_capture: bool, shared: &Shared) -> Response<Body> {
    if path == "/api/scenarios" {
        let list: Vec<ScenarioInfo> = shared.scenarios.iter().map(|(s, o)| s.info(o.clone())).collect();
        return match serde_json::to_vec_pretty(&list) {
            // Readable from any origin: tools and tests other than the app may list scenarios.
            Ok(json) => {
                let mut r = with_type("application/json", json);
                r.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
                r
            }
            Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        };
    }
    let Some(dist) = &shared.dist else {
        return text(
            StatusCode::NOT_FOUND,
            "this testbed was started without --dist: no app to serve (try `cargo xtask run`)\n",
        );
    };
    let Some(file) = static_files::resolve(dist, path) else {
        return text(StatusCode::NOT_FOUND, "not found\n");
    };
    let mut resp = match tokio::fs::read(&file).await {
        Ok(bytes) => with_type(static_files::content_type(&file), bytes),
        Err(_) => text(StatusCode::NOT_FOUND, "not found\n"),
    };
    crate::headers::apply_app(resp.headers_mut(), &shared.csp);
    if resp.status() == StatusCode::OK && static_files::is_content_addressed(path) {
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    }
    if awaits_capture {
        resp.headers_mut().remove("cross-origin-opener-policy");
    }
    resp
}

/// The most a proxied response body may hold (the testbed's own largest body, and a little).
const MAX_PROXIED_BODY: usize = pages::MAX_BODY + 64 * 1024;

/// Forwards a request to the `upstream` scenario's origin through the shared pool and
/// answers with what came back, its own `Server-Timing` metrics renamed to the upstream hop
/// (`up-conn`, `up-req`, `up-origin`); the contract's headers of this hop are added after.
async fn proxy(upstream: &str, target: &str, shared: &Shared) -> Response<Body> {
    use http_body_util::{BodyExt, Full, Limited};
    let Some(origin) = shared.origin_of(upstream) else {
        return text(StatusCode::BAD_GATEWAY, format!("the proxy's upstream {upstream:?} is not a scenario\n"));
    };
    let uri = match format!("{origin}{target}").parse::<hyper::Uri>() {
        Ok(uri) => uri,
        Err(e) => return text(StatusCode::BAD_REQUEST, format!("cannot forward {target}: {e}\n")),
    };
    let answer = match shared.upstream.get(uri).await {
        Ok(a) => a,
        Err(e) => return text(StatusCode::BAD_GATEWAY, format!("the upstream {origin} did not answer: {e}\n")),
    };
    let (parts, body) = answer.into_parts();
    let body = match Limited::new(body, MAX_PROXIED_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return text(StatusCode::BAD_GATEWAY, format!("the upstream's answer was cut off: {e}\n")),
    };
    let metrics: Vec<_> = parts
        .headers
        .get_all("server-timing")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(connscope_core::ServerTimingEntry::parse_header)
        .collect();
    let mut resp = Response::new(Full::new(body).boxed_unsync());
    *resp.status_mut() = parts.status;
    if let Some(t) = parts.headers.get(header::CONTENT_TYPE) {
        resp.headers_mut().insert(header::CONTENT_TYPE, t.clone());
    }
    if let Some(hop) = connscope_core::ServerTruth::from_metrics(&metrics) {
        let up = connscope_core::contract::UpstreamTruth { hop, origin: origin.to_string() };
        if let Ok(v) = HeaderValue::from_str(&up.header_value()) {
            resp.headers_mut().insert("server-timing", v);
        }
    }
    resp
}

async fn route_scenario(
    path: &str,
    target: &str,
    query: &std::collections::BTreeMap<String, String>,
    shared: &Shared,
    index: usize,
) -> Response<Body> {
    let (scenario, _) = &shared.scenarios[index];
    if let Some(upstream) = scenario.upstream.filter(|_| path != "/") {
        // `/via/<id>/<path>` is told another upstream: the page's relative links keep the
        // prefix, so everything it names goes the same way.
        return match target.strip_prefix("/via/").map(|rest| rest.split_once('/').unwrap_or((rest, ""))) {
            Some((id, rest)) => proxy(id, &format!("/{rest}"), shared).await,
            None => proxy(upstream, target, shared).await,
        };
    }
    if let Some(ms) = query.get("delay") {
        match ms.parse::<u64>() {
            Ok(ms) if ms <= pages::MAX_DELAY_MS => tokio::time::sleep(Duration::from_millis(ms)).await,
            _ => {
                return text(
                    StatusCode::BAD_REQUEST,
                    format!("query parameter `delay` must be a whole number of ms from 0 to {}\n", pages::MAX_DELAY_MS),
                )
            }
        }
    }
    if path == "/" {
        let body = format!(
            "<!DOCTYPE html><meta charset=\"utf-8\"><title>{0}</title><h1>{0}</h1><p>{1}</p><p><a href=\"/page.html\">The test page</a></p>\n",
            scenario.title, scenario.explanation
        );
        return with_type("text/html; charset=utf-8", body);
    }
    if path == "/page.html" {
        let mut asked = pages::parse_query(Some(scenario.page));
        asked.extend(query.iter().map(|(k, v)| (k.clone(), v.clone())));
        return match pages::PageSpec::from_query(&asked) {
            Ok(mut spec) => {
                // Other scenarios' origins the page names, by id.
                let origins = |key: &str| -> Result<Vec<String>, String> {
                    asked.get(key).map_or(Ok(Vec::new()), |ids| {
                        ids.split(',')
                            .filter(|id| !id.is_empty())
                            .map(|id| {
                                shared.origin_of(id).map(str::to_string).ok_or_else(|| {
                                    format!("query parameter `{key}`: there is no scenario {id:?} (see /api/scenarios on the app's origin)\n")
                                })
                            })
                            .collect()
                    })
                };
                let (from, preconnect, shards) = match (origins("from"), origins("preconnect"), origins("shards")) {
                    (Ok(f), Ok(p), Ok(s)) => (f, p, s),
                    (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return text(StatusCode::BAD_REQUEST, e),
                };
                spec.preconnect = preconnect;
                spec.shards = shards;
                let alias = scenario.alias_host.and_then(|host| with_host(&shared.scenarios[index].1, host));
                let cdn = match (&alias, from.first()) {
                    (_, Some(from)) => Some(from.as_str()),
                    (Some(alias), None) => Some(alias.as_str()),
                    (None, None) if scenario.id == "cdn" => None,
                    (None, None) => shared.origin_of("cdn"),
                };
                let html = spec.html(&format!("connscope test page — {}", scenario.title), cdn);
                with_type("text/html; charset=utf-8", html)
            }
            Err(e) => text(StatusCode::BAD_REQUEST, format!("{e}\n")),
        };
    }
    if path == "/rich.html" {
        return with_type("text/html; charset=utf-8", pages::RICH_HTML);
    }
    if let Some(code) = path.strip_prefix("/status/") {
        return match code.parse::<u16>().ok().and_then(|c| StatusCode::from_u16(c).ok()).filter(|c| c.as_u16() >= 200) {
            Some(status) => text(status, format!("this response has status {status}, as asked\n")),
            None => text(StatusCode::BAD_REQUEST, "use /status/<code> with a code from 200 to 999\n"),
        };
    }
    if path == "/redirect" {
        let to = query.get("to").map(String::as_str).unwrap_or("/page.html");
        // Same-origin paths only: the testbed is no open redirector. The target is read as
        // a browser reads a Location (`\` as `/`, tabs and newlines dropped), and must land
        // on this origin; it is then sent as the path and query it resolved to.
        return match same_origin_path(to) {
            Some(target) => {
                let mut r = text(StatusCode::FOUND, format!("redirecting to {target}\n"));
                if let Ok(v) = HeaderValue::from_str(&target) {
                    r.headers_mut().insert(header::LOCATION, v);
                }
                r
            }
            None => text(StatusCode::BAD_REQUEST, "`to` must be a path on this origin, starting with a single /\n"),
        };
    }
    if let Some(name) = path.strip_prefix("/r/") {
        return match pages::resource(name, query) {
            Ok(Some(r)) => {
                let mut resp = Response::new(r.body.stream(shared.bytes_in_flight.clone()).boxed_unsync());
                resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(r.content_type));
                resp
            }
            Ok(None) => text(StatusCode::NOT_FOUND, format!("the testbed makes no resource named {name:?}\n")),
            Err(e) => text(StatusCode::BAD_REQUEST, format!("{e}\n")),
        };
    }
    text(StatusCode::NOT_FOUND, "not found: try /page.html\n")
}

/// `origin` (scheme://host:port) under another host name, same scheme and port.
fn with_host(origin: &str, host: &str) -> Option<String> {
    let mut url = url::Url::parse(origin).ok()?;
    url.set_host(Some(host)).ok()?;
    Some(url.origin().ascii_serialization())
}

/// `to` as the path and query it names on this origin, resolved by the WHATWG URL rules
/// browsers apply to a `Location`; None when it would leave the origin.
fn same_origin_path(to: &str) -> Option<String> {
    let base = url::Url::parse("http://testbed.invalid/").ok()?;
    if !to.starts_with('/') || to.chars().any(char::is_control) {
        return None;
    }
    let resolved = base.join(to).ok()?;
    if resolved.origin() != base.origin() {
        return None;
    }
    let mut out = resolved.path().to_string();
    if let Some(q) = resolved.query() {
        out.push('?');
        out.push_str(q);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{same_origin_path, with_host};

    #[test]
    fn an_alias_keeps_the_scheme_and_port() {
        assert_eq!(with_host("https://127.0.0.1:8443", "localhost").as_deref(), Some("https://localhost:8443"));
        assert_eq!(with_host("http://127.0.0.1:80", "localhost").as_deref(), Some("http://localhost"));
    }

    #[test]
    fn redirects_stay_on_this_origin_however_the_target_is_spelled() {
        assert_eq!(same_origin_path("/page.html?img=1").as_deref(), Some("/page.html?img=1"));
        assert_eq!(same_origin_path("/r/../page.html").as_deref(), Some("/page.html"));
        for evil in [
            "//evil.example/",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "https://evil.example/",
            "page.html",
            "/\\/evil.example",
            "",
        ] {
            assert_eq!(same_origin_path(evil), None, "{evil:?}");
        }
    }
}
