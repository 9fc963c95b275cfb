//! What a stylesheet references: `@import`s, fonts inside `@font-face`, and images.

use crate::request::Kind;

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
}
