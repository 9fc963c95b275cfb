//! URL bookkeeping: origins, ports, and the per-run token that makes each request's URL
//! (and so its timing entry) unique. Parsing and resolving URLs is the browser's job
//! (`crawl::Resolve`); these read URLs the browser has already normalised.

/// The query parameter that makes each request's URL — and so its timing entry — unique.
pub const TOKEN_PARAM: &str = "__connscope";

/// `scheme://host[:port]` of an absolute URL, or None.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.') {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    (!host.is_empty()).then(|| format!("{}://{}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase()))
}

/// The host of a URL or origin, without its port (`[::1]` keeps its brackets); None when
/// it has no origin.
pub fn host_of(url: &str) -> Option<String> {
    let origin = origin_of(url)?;
    let authority = origin.split_once("://").map_or(origin.as_str(), |(_, a)| a);
    let host = match authority.find(']') {
        Some(end) if authority.starts_with('[') => &authority[..=end],
        _ => authority
            .rsplit_once(':')
            .filter(|(_, p)| p.bytes().all(|c| c.is_ascii_digit()))
            .map_or(authority, |(h, _)| h),
    };
    Some(host.to_string())
}

/// The URL's port, explicit or the scheme's default (http 80, https 443); None for other
/// schemes without one.
pub fn port_of(url: &str) -> Option<String> {
    let origin = origin_of(url)?;
    let (scheme, host) = origin.split_once("://")?;
    // `[::1]` has colons but no port: a port is digits only.
    let explicit =
        host.rsplit_once(':').map(|(_, p)| p).filter(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()));
    match (explicit, scheme) {
        (Some(p), _) => Some(p.to_string()),
        (None, "https") => Some("443".into()),
        (None, "http") => Some("80".into()),
        _ => None,
    }
}

/// Removes the run token from a URL for display.
pub fn strip_token(url: &str) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let Some((path, query)) = base.split_once('?') else {
        return url.to_string();
    };
    let kept: Vec<&str> = query.split('&').filter(|p| !p.starts_with(&format!("{TOKEN_PARAM}="))).collect();
    let mut out = path.to_string();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// `url` with the run token added to its query (`url` is absolute and has no fragment, as
/// the browser's resolution leaves it).
pub fn with_token(url: &str, token: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{TOKEN_PARAM}={token}")
}

/// The token of request `id` of run `run`, as it goes into the URL.
pub fn run_token(run: &str, id: usize) -> String {
    format!("{run}-{id}")
}

/// The part of the query every tokened URL of run `run` carries, so the shell keeps only
/// that run's timing entries.
pub fn token_prefix(run: &str) -> String {
    format!("{TOKEN_PARAM}={run}-")
}

/// Whether an absolute URL is http: or https: (the only requests on a connection).
pub fn is_http(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Whether two URLs are of one origin (scheme, host and port), never by prefix:
/// `https://a.com.evil.net` is not `https://a.com`.
pub fn same_origin(a: &str, b: &str) -> bool {
    matches!((origin_of(a), origin_of(b)), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_tokens() {
        assert_eq!(origin_of("https://User@Example.com:8443/a?b#c").as_deref(), Some("https://example.com:8443"));
        assert_eq!(origin_of("http://127.0.0.1:9001/r/x.css").as_deref(), Some("http://127.0.0.1:9001"));
        assert_eq!(origin_of("not a url"), None);
        assert_eq!(strip_token("http://h/a.css?__connscope=3-7"), "http://h/a.css");
        assert_eq!(strip_token("http://h/a.css?size=5&__connscope=3-7#f"), "http://h/a.css?size=5#f");
        assert_eq!(strip_token("http://h/a.css"), "http://h/a.css");
    }

    #[test]
    fn hosts_lose_their_port_but_not_their_brackets() {
        assert_eq!(host_of("http://127.0.0.1:9001/x").as_deref(), Some("127.0.0.1"));
        assert_eq!(host_of("https://[::1]:8443").as_deref(), Some("[::1]"));
        assert_eq!(host_of("https://[::1]").as_deref(), Some("[::1]"));
        assert_eq!(host_of("https://Example.com/").as_deref(), Some("example.com"));
        assert_eq!(host_of("nope"), None);
    }

    #[test]
    fn ports_are_explicit_or_the_schemes_default() {
        for (url, port) in [
            ("https://example.com/", Some("443")),
            ("http://example.com/x", Some("80")),
            ("http://127.0.0.1:35527/page.html", Some("35527")),
            ("https://user@[::1]:8443/?a=b:c", Some("8443")),
            ("https://[::1]/", Some("443")),
            ("ftp://example.com/", None),
        ] {
            assert_eq!(port_of(url).as_deref(), port, "{url}");
        }
    }

    #[test]
    fn tokens_are_added_and_removed_and_origins_compared_whole() {
        let t = with_token("http://h/a.css?size=5", "3-7");
        assert_eq!(t, "http://h/a.css?size=5&__connscope=3-7");
        assert_eq!(strip_token(&t), "http://h/a.css?size=5");
        assert_eq!(strip_token(&with_token("http://h/", "1-0")), "http://h/");
        assert!(same_origin("https://a.com/x", "https://A.com/y"));
        assert!(!same_origin("https://a.com.evil.net/x", "https://a.com/"));
        assert!(!same_origin("http://a.com/", "https://a.com/"));
    }
}
