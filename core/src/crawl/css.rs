//! What a stylesheet references: `@import`s, fonts inside `@font-face`, and images.

use crate::request::Kind;
use cssparser::{ParseError, Parser, Token};
use std::collections::HashSet;

/// A URL named by a stylesheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CssReference {
    pub url: String,
    pub kind: Kind,
}

/// Blocks nested deeper than this are skipped, not walked (no stack to exhaust).
const MAX_NESTING: usize = 64;

/// Every URL a stylesheet references: `@import`s as stylesheets, `url()`s inside
/// `@font-face` as fonts, other `url()`s as images. `data:` URLs, fragments and empty ones
/// are skipped, and each URL is named once. Read with the CSS tokenizer Servo and Firefox
/// use (`cssparser`), so strings, comments and escapes are what CSS says they are, in time
/// linear in the stylesheet's length.
pub fn css_references(css: &str) -> Vec<CssReference> {
    let mut parser = Parser::new(css);
    let mut found = Found::default();
    walk(&mut parser, &mut found, false, 0);
    found.refs
}

#[derive(Default)]
struct Found {
    refs: Vec<CssReference>,
    seen: HashSet<String>,
}

impl Found {
    fn push(&mut self, url: &str, kind: Kind) {
        let url = url.trim();
        if url.is_empty() || url.starts_with('#') || url.get(..5).is_some_and(|s| s.eq_ignore_ascii_case("data:")) {
            return;
        }
        if self.seen.insert(url.to_string()) {
            self.refs.push(CssReference { url: url.to_string(), kind });
        }
    }
}

/// The URL of a `url(…)` function whose opening token was just read.
fn url_argument(p: &mut Parser) -> Option<String> {
    p.parse_nested_block(|p| -> Result<String, ParseError<()>> {
        match p.next()? {
            Token::QuotedString(s) => Ok(s.to_string()),
            _ => Err(p.new_error_for_next_token()),
        }
    })
    .ok()
}

fn walk(p: &mut Parser, found: &mut Found, in_font_face: bool, depth: usize) {
    // After `@font-face`, the next `{…}` block is the font's.
    let mut font_face_next = false;
    // After `@import`, the next URL or string is a stylesheet.
    let mut import_next = false;
    loop {
        let token = match p.next() {
            Ok(t) => t.clone(),
            Err(_) => return,
        };
        let kind = if import_next {
            Kind::Stylesheet
        } else if in_font_face {
            Kind::Font
        } else {
            Kind::Image
        };
        match token {
            Token::AtKeyword(name) => {
                import_next = name.eq_ignore_ascii_case("import");
                font_face_next = name.eq_ignore_ascii_case("font-face");
            }
            Token::UnquotedUrl(url) => {
                found.push(&url, kind);
                import_next = false;
            }
            Token::QuotedString(s) if import_next => {
                found.push(&s, Kind::Stylesheet);
                import_next = false;
            }
            Token::Function(name) if name.eq_ignore_ascii_case("url") => {
                if let Some(url) = url_argument(p) {
                    found.push(&url, kind);
                }
                import_next = false;
            }
            Token::CurlyBracketBlock | Token::Function(_) | Token::ParenthesisBlock | Token::SquareBracketBlock => {
                let font = in_font_face || (font_face_next && matches!(token, Token::CurlyBracketBlock));
                if matches!(token, Token::CurlyBracketBlock) {
                    font_face_next = false;
                }
                import_next = false;
                if depth < MAX_NESTING {
                    let _ = p.parse_nested_block(|p| -> Result<(), ParseError<()>> {
                        walk(p, found, font, depth + 1);
                        Ok(())
                    });
                }
            }
            Token::Semicolon => {
                import_next = false;
                font_face_next = false;
            }
            _ => {}
        }
    }
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
    fn strings_comments_and_nested_parentheses_are_read_as_css_reads_them() {
        // A comment opener inside a string does not hide what follows it.
        let refs = css_references(r#"a::before { content: "/*"; } b { background: url(after.png) }"#);
        assert_eq!(refs, [CssReference { url: "after.png".into(), kind: Kind::Image }]);
        // Parentheses inside a quoted url() are part of the URL.
        assert_eq!(css_references(r#"x { background: url("a(1).png") }"#)[0].url, "a(1).png");
        // `url(` inside a string is text, not a reference.
        assert!(css_references(r#"x { content: "url(no.png)" }"#).is_empty());
        // Escapes are decoded.
        assert_eq!(css_references(r"x { background: url(a\20 b.png) }")[0].url, "a b.png");
        // Deep nesting ends without exhausting the stack.
        let deep = format!("{}url(deep.png){}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(css_references(&deep).is_empty(), "past the nesting limit nothing is read");
    }

    #[test]
    fn the_testbed_import_css_is_read_right() {
        let css = "@font-face { font-family: \"connscope-1\"; src: url(\"font-1.woff2\") format(\"woff2\"); }\n@font-face { font-family: \"connscope-2\"; src: url(\"font-2.woff2\") format(\"woff2\"); }\nbody { background-image: url(\"bg.svg\"); }\n";
        let kinds: Vec<Kind> = css_references(css).iter().map(|r| r.kind).collect();
        assert_eq!(kinds, vec![Kind::Font, Kind::Font, Kind::Image]);
    }
}
