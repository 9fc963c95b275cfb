//! Words and numbers as people read them: durations, counts, verdict marks, row labels and
//! the one-line description a tooltip or a screen reader gives of a request.

use crate::analysis::Analysed;
use crate::phases::Phase;
use crate::request::Request;
use crate::reuse::Reuse;
use crate::url::origin_of;

/// A duration for people: `0.42 ms`, `12.3 ms`, `340 ms`, `1.20 s`.
pub fn format_ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 1.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

/// A duration of seconds for people, to a tenth: `4.9 s`; under a second as [`format_ms`].
pub fn format_seconds(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format_ms(ms)
    }
}

/// `n` and the noun, in the singular for one: `1 request`, `3 requests`, `0 requests`.
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The mark of a verdict, readable without colour, and its words.
pub fn reuse_mark(r: Reuse) -> (&'static str, &'static str) {
    match r {
        Reuse::New => ("●", "new connection"),
        Reuse::Reused => ("↺", "reused connection"),
        Reuse::Unknown => ("?", "unknown"),
    }
}

/// A URL short enough for a row label: path and query (with the host when its origin is
/// not the page's), cut in the middle when long.
pub fn short_url(url: &str, page_origin: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let same = !page_origin.is_empty() && origin_of(url).as_deref() == Some(page_origin);
    let path = if same { rest.find('/').map_or(rest, |i| &rest[i..]) } else { rest };
    let chars: Vec<char> = path.chars().collect();
    if chars.len() <= 44 {
        path.to_string()
    } else {
        let head: String = chars[..20].iter().collect();
        let tail: String = chars[chars.len() - 21..].iter().collect();
        format!("{head}…{tail}")
    }
}

/// Everything about a request in one line, for tooltips and screen readers.
pub fn describe(r: &Request, a: &Analysed) -> String {
    let mut parts = vec![format!("{} {}", r.kind.label(), r.url), reuse_mark(a.verdict.reuse).1.to_string()];
    for ph in Phase::ALL {
        if let Some(d) = a.phases.duration(ph) {
            parts.push(format!("{}: {}", ph.label(), format_ms(d)));
        }
    }
    if r.timing.is_some() {
        parts.push(format!("total: {}", format_ms(a.phases.total())));
    }
    parts.push(a.verdict.evidence());
    parts.join(" · ")
}

/// A size for people: `820 B`, `14.2 KB`, `30.7 MB` (units of 1,024).
pub fn format_bytes(bytes: f64) -> String {
    const K: f64 = 1024.0;
    if bytes >= K * K {
        format!("{:.1} MB", bytes / (K * K))
    } else if bytes >= K {
        format!("{:.1} KB", bytes / K)
    } else {
        format!("{bytes:.0} B")
    }
}

/// `s` as text inside markup (an element's content or a quoted attribute): `&`, `<`, `>`
/// and quotes escaped, for charts drawn as markup. A URL can hold any of them.
pub fn escape_markup(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_the_largest_whole_unit() {
        assert_eq!(format_bytes(820.0), "820 B");
        assert_eq!(format_bytes(14.2 * 1024.0), "14.2 KB");
        assert_eq!(format_bytes(30_729_196.0), "29.3 MB");
    }

    #[test]
    fn markup_escaping_leaves_plain_text_alone_and_quotes_the_rest() {
        assert!(matches!(escape_markup("/r/img-1.svg"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(
            escape_markup("/a?x=<script>&y=\"1\"&z='2'"),
            "/a?x=&lt;script&gt;&amp;y=&quot;1&quot;&amp;z=&#39;2&#39;"
        );
    }

    #[test]
    fn labels_keep_path_and_cut_long_ones_in_the_middle() {
        assert_eq!(short_url("http://127.0.0.1:9001/r/style-1.css", "http://127.0.0.1:9001"), "/r/style-1.css");
        assert_eq!(
            short_url("http://127.0.0.1:9008/r/img-20.svg", "http://127.0.0.1:9001"),
            "127.0.0.1:9008/r/img-20.svg"
        );
        let long = format!("https://example.com/{}/end.png", "a".repeat(80));
        let s = short_url(&long, "https://example.com");
        assert!(s.chars().count() <= 44 && s.starts_with("/aaa") && s.ends_with("end.png"), "{s}");
    }

    #[test]
    fn a_host_that_only_starts_like_the_pages_is_another_origin() {
        assert_eq!(short_url("https://a.com.evil.net/x", "https://a.com"), "a.com.evil.net/x");
        assert_eq!(short_url("https://a.com:8443/x", "https://a.com"), "a.com:8443/x");
    }

    #[test]
    fn counts_read_in_the_singular_for_one() {
        assert_eq!(plural(1, "request"), "1 request");
        assert_eq!(plural(0, "request"), "0 requests");
        assert_eq!(plural(14, "origin"), "14 origins");
    }
}
