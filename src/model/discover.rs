//! The pure half of resource discovery: what a stylesheet references, which `srcset`
//! candidate a browser would pick, URL bookkeeping (origins, the per-run token). The
//! browser half (DOMParser, URL resolution) lives in `browser::loader`.

use super::run::Kind;

/// The query parameter that makes each request's URL — and so its timing entry — unique.
pub const TOKEN_PARAM: &str = "__connscope";

/// A URL named by a stylesheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CssReference {
    pub url: String,
    pub kind: Kind,
}

/// Removes `/* */` comments (unterminated ones run to the end, as in CSS).
fn strip_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        match rest[start + 2..].find("*/") {
            Some(end) => rest = &rest[start + 2 + end + 2..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// Reads a CSS string or `url(...)` token at the start of `s`: (value, bytes consumed).
fn read_url_or_string(s: &str) -> Option<(String, usize)> {
    let t = s.trim_start();
    let skipped = s.len() - t.len();
    if let Some(q) = t.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let end = t[1..].find(q)?;
        return Some((t[1..1 + end].to_string(), skipped + end + 2));
    }
    let lower = t.get(..4)?.to_ascii_lowercase();
    if lower == "url(" {
        let inner = &t[4..];
        let close = inner.find(')')?;
        let raw = inner[..close].trim();
        let value = raw.trim_matches(|c| c == '"' || c == '\'').trim();
        return Some((value.to_string(), skipped + 4 + close + 1));
    }
    None
}

/// Every URL a stylesheet references: `@import`s as stylesheets, `url()`s inside
/// `@font-face` as fonts, other `url()`s as images. `data:` URLs and empty ones are skipped.
pub fn css_references(css: &str) -> Vec<CssReference> {
    let css = strip_comments(css);
    let lower = css.to_ascii_lowercase();
    let mut out: Vec<CssReference> = Vec::new();
    let mut push = |url: String, kind: Kind| {
        let trimmed = url.trim();
        if trimmed.is_empty() || trimmed.to_ascii_lowercase().starts_with("data:") || trimmed.starts_with('#') {
            return;
        }
        if !out.iter().any(|r| r.url == trimmed) {
            out.push(CssReference { url: trimmed.to_string(), kind });
        }
    };
    // Where each @font-face block starts and ends, to type its url()s as fonts.
    let mut font_blocks: Vec<(usize, usize)> = Vec::new();
    let mut from = 0;
    while let Some(pos) = lower[from..].find("@font-face") {
        let start = from + pos;
        let end = lower[start..].find('}').map_or(lower.len(), |e| start + e);
        font_blocks.push((start, end));
        from = end.max(start + 1);
    }
    let mut i = 0;
    while i < lower.len() {
        let rest = &lower[i..];
        if rest.starts_with("@import") {
            if let Some((url, used)) = read_url_or_string(&css[i + 7..]) {
                push(url, Kind::Stylesheet);
                i += 7 + used;
                continue;
            }
        }
        if rest.starts_with("url(") && (i == 0 || !lower.as_bytes()[i - 1].is_ascii_alphanumeric()) {
            if let Some((url, used)) = read_url_or_string(&css[i..]) {
                let in_font = font_blocks.iter().any(|(s, e)| i > *s && i < *e);
                push(url, if in_font { Kind::Font } else { Kind::Image });
                i += used;
                continue;
            }
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    out
}

/// One candidate of a `srcset`.
#[derive(Debug, Clone, PartialEq)]
struct Candidate {
    url: String,
    width: Option<f64>,
    density: f64,
}

fn parse_srcset(srcset: &str) -> Vec<Candidate> {
    srcset
        .split(',')
        .filter_map(|part| {
            let mut words = part.split_whitespace();
            let url = words.next()?.to_string();
            let mut c = Candidate { url, width: None, density: 1.0 };
            if let Some(d) = words.next() {
                if let Some(w) = d.strip_suffix('w').and_then(|w| w.parse::<f64>().ok()) {
                    c.width = Some(w);
                } else if let Some(x) = d.strip_suffix('x').and_then(|x| x.parse::<f64>().ok()) {
                    c.density = x;
                }
            }
            Some(c)
        })
        .collect()
}

/// The `srcset` candidate a browser would choose for an image `slot_px` CSS pixels wide
/// on a screen of `device_pixel_ratio`: the smallest whose density covers the ratio,
/// else the densest. (Browsers may prefer a cached larger one; connscope fetches fresh.)
pub fn pick_srcset(srcset: &str, slot_px: f64, device_pixel_ratio: f64) -> Option<String> {
    let mut cands = parse_srcset(srcset);
    if cands.is_empty() {
        return None;
    }
    let slot = slot_px.max(1.0);
    for c in &mut cands {
        if let Some(w) = c.width {
            c.density = w / slot;
        }
    }
    cands.sort_by(|a, b| a.density.total_cmp(&b.density));
    let dpr = device_pixel_ratio.max(0.1);
    cands.iter().find(|c| c.density >= dpr - 1e-9).or(cands.last()).map(|c| c.url.clone())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_fonts_and_images_are_told_apart() {
        let css = r#"
            @import url("import.css");
            @import 'print.css' print;
            /* url(commented.png) */
            @font-face { font-family: x; src: url(font-1.woff2) format("woff2"), url('font-1.woff') format("woff"); }
            body { background: url( "bg.svg" ) no-repeat; }
            .a { background-image: url(data:image/png;base64,AAAA); }
            .b { mask: url(#clip); }
        "#;
        let refs = css_references(css);
        let got: Vec<(&str, Kind)> = refs.iter().map(|r| (r.url.as_str(), r.kind)).collect();
        assert_eq!(
            got,
            vec![
                ("import.css", Kind::Stylesheet),
                ("print.css", Kind::Stylesheet),
                ("font-1.woff2", Kind::Font),
                ("font-1.woff", Kind::Font),
                ("bg.svg", Kind::Image),
            ]
        );
    }

    #[test]
    fn broken_css_ends_cleanly() {
        for css in
            ["@import url(", "url(\"x", "/* never closed url(a.png)", "@import", "@font-face { src: url(a.woff2)"]
        {
            let _ = css_references(css);
        }
        assert_eq!(css_references("@font-face { src: url(a.woff2)")[0].kind, Kind::Font);
    }

    #[test]
    fn the_testbed_import_css_is_read_right() {
        let css = "@font-face { font-family: \"connscope-1\"; src: url(\"font-1.woff2\") format(\"woff2\"); }\n@font-face { font-family: \"connscope-2\"; src: url(\"font-2.woff2\") format(\"woff2\"); }\nbody { background-image: url(\"bg.svg\"); }\n";
        let kinds: Vec<Kind> = css_references(css).iter().map(|r| r.kind).collect();
        assert_eq!(kinds, vec![Kind::Font, Kind::Font, Kind::Image]);
    }

    #[test]
    fn srcset_picks_like_a_browser() {
        assert_eq!(pick_srcset("a.png 1x, b.png 2x", 100.0, 2.0).as_deref(), Some("b.png"));
        assert_eq!(pick_srcset("a.png 1x, b.png 2x", 100.0, 1.0).as_deref(), Some("a.png"));
        assert_eq!(pick_srcset("s.jpg 480w, m.jpg 800w, l.jpg 1600w", 800.0, 1.0).as_deref(), Some("m.jpg"));
        assert_eq!(pick_srcset("s.jpg 480w, m.jpg 800w", 1200.0, 2.0).as_deref(), Some("m.jpg"));
        assert_eq!(pick_srcset("only.png", 10.0, 3.0).as_deref(), Some("only.png"));
        assert_eq!(pick_srcset("  ", 10.0, 1.0), None);
    }

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
}
