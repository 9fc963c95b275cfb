//! Test pages and their subresources. A page's resource graph is set by query parameters;
//! bodies are deterministic, of the requested size, with the right Content-Type.
//!
//! The default page uses only relative URLs (but for the images it takes from the `cdn`
//! origin), so the same page exported as files (`testbed export-testpage`) works from any
//! static server; it is committed as `static/testpage/`.

use crate::generated::{Filler, Generated};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Upper bounds so that a query cannot make the server build something huge.
pub const MAX_COUNT: u32 = 500;
pub const MAX_BODY: usize = 16 * 1024 * 1024;
pub const MAX_DELAY_MS: u64 = 30_000;

/// The shape of a test page, from `/page.html?css=&js=&img=&cdn=&fonts=&img_kb=&delay=&img_delay=`
/// (and `from=`, `preconnect=`, `shards=`, which name other scenarios' origins: the route
/// resolves them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSpec {
    /// Stylesheets linked from the page; the first `@import`s `import.css`.
    pub css: u32,
    /// Classic scripts.
    pub js: u32,
    /// Images in total.
    pub img: u32,
    /// How many of the images come from the `cdn` origin (when there is one).
    pub cdn: u32,
    /// Web fonts declared by `import.css`.
    pub fonts: u32,
    /// Size of each image in KiB.
    pub img_kb: u32,
    /// Delay, in ms, of the first script's response.
    pub delay_ms: u64,
    /// Delay, in ms, of every image's response (slow requests that hold their connection,
    /// so more of them than the browser opens connections must queue).
    pub img_delay_ms: u64,
    /// Link a pair of stylesheets that `@import` each other.
    pub cycle: bool,
    /// Link a stylesheet and an image that do not exist (404).
    pub broken: bool,
    /// Origins the page names in `<link rel=preconnect>` (`?preconnect=<scenario id>,…`).
    pub preconnect: Vec<String>,
    /// Origins the page's own images are spread over, in turn with its own (`?shards=<id>,…`):
    /// one site's content from several origins (domain sharding).
    pub shards: Vec<String>,
    /// Fetch the images in CORS mode (`crossorigin="anonymous"`, `?img_cors=1`).
    pub img_cors: bool,
}

impl Default for PageSpec {
    fn default() -> Self {
        PageSpec {
            css: 2,
            js: 3,
            img: 24,
            cdn: 8,
            fonts: 2,
            img_kb: 4,
            delay_ms: 0,
            img_delay_ms: 0,
            cycle: false,
            broken: false,
            preconnect: Vec::new(),
            shards: Vec::new(),
            img_cors: false,
        }
    }
}

/// A query parameter that is present but not a number in range.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("query parameter `{name}` must be a whole number from 0 to {max}, not {value:?}")]
pub struct BadParam {
    pub name: String,
    pub value: String,
    pub max: u64,
}

pub fn parse_query(query: Option<&str>) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        map.insert(decode(k), decode(v));
    }
    map
}

fn number(q: &BTreeMap<String, String>, name: &str, default: u64, max: u64) -> Result<u64, BadParam> {
    match q.get(name) {
        None => Ok(default),
        Some(v) => v.parse::<u64>().ok().filter(|n| *n <= max).ok_or_else(|| BadParam {
            name: name.to_string(),
            value: v.clone(),
            max,
        }),
    }
}

impl PageSpec {
    pub fn from_query(q: &BTreeMap<String, String>) -> Result<Self, BadParam> {
        let d = PageSpec::default();
        let count = |name, default: u32| number(q, name, default.into(), MAX_COUNT.into()).map(|n| n as u32);
        let img = count("img", d.img)?;
        Ok(PageSpec {
            css: count("css", d.css)?,
            js: count("js", d.js)?,
            img,
            cdn: count("cdn", d.cdn.min(img))?.min(img),
            fonts: count("fonts", d.fonts)?,
            img_kb: number(q, "img_kb", d.img_kb.into(), (MAX_BODY / 1024) as u64)? as u32,
            delay_ms: number(q, "delay", d.delay_ms, MAX_DELAY_MS)?,
            img_delay_ms: number(q, "img_delay", d.img_delay_ms, MAX_DELAY_MS)?,
            cycle: number(q, "cycle", 0, 1)? == 1,
            broken: number(q, "broken", 0, 1)? == 1,
            img_cors: number(q, "img_cors", 0, 1)? == 1,
            ..PageSpec::default()
        })
    }

    /// The page's HTML. `cdn_origin` is where the cdn images come from; without one
    /// (static export, or the cdn origin itself) every image is local.
    pub fn html(&self, title: &str, cdn_origin: Option<&str>) -> String {
        let d = PageSpec::default();
        let mut h = String::new();
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n",
            escape(title)
        );
        for i in 1..=self.css {
            let q = if i == 1 && self.fonts != d.fonts { format!("?fonts={}", self.fonts) } else { String::new() };
            let _ = writeln!(h, "<link rel=\"stylesheet\" href=\"r/style-{i}.css{q}\">");
        }
        if self.broken {
            h.push_str("<link rel=\"stylesheet\" href=\"r/missing.txt\">\n");
        }
        if self.cycle {
            h.push_str("<link rel=\"stylesheet\" href=\"r/cycle-a.css\">\n");
        }
        for origin in &self.preconnect {
            let _ = writeln!(h, "<link rel=\"preconnect\" href=\"{}\">", escape(origin));
        }
        for i in 1..=self.js {
            let q = if i == 1 && self.delay_ms > 0 { format!("?delay={}", self.delay_ms) } else { String::new() };
            let _ = writeln!(h, "<script src=\"r/script-{i}.js{q}\" defer></script>");
        }
        h.push_str("</head>\n<body>\n<h1>connscope test page</h1>\n<p>Stylesheets, scripts, fonts and images to watch connections being opened and reused.</p>\n");
        let cdn_count = if cdn_origin.is_some() { self.cdn } else { 0 };
        let mut img_q = Vec::new();
        if self.img_kb != d.img_kb {
            img_q.push(format!("size={}", self.img_kb as usize * 1024));
        }
        if self.img_delay_ms > 0 {
            img_q.push(format!("delay={}", self.img_delay_ms));
        }
        let size_q = if img_q.is_empty() { String::new() } else { format!("?{}", img_q.join("&")) };
        for i in 1..=self.img {
            let local = self.img - cdn_count;
            let shard = (i as usize) % (self.shards.len() + 1);
            let src = match cdn_origin {
                Some(cdn) if i > local => format!("{cdn}/r/img-{i}.svg{size_q}"),
                _ if shard > 0 => format!("{}/r/img-{i}.svg{size_q}", self.shards[shard - 1]),
                _ => format!("r/img-{i}.svg{size_q}"),
            };
            let cors = if self.img_cors { " crossorigin=\"anonymous\"" } else { "" };
            let _ = writeln!(h, "<img src=\"{}\"{cors} width=\"32\" height=\"32\" alt=\"\">", escape(&src));
        }
        h.push_str("</body>\n</html>\n");
        h
    }
}

/// A page that uses every way HTML names a subresource, for the loader's discovery tests:
/// `<base href>`, icons, preload and modulepreload, srcset and `<picture>`, a poster, inline
/// `style` attributes and `<style>` elements — and things that must NOT be fetched.
pub const RICH_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>connscope discovery page</title>
<base href="/r/">
<link rel="icon" href="favicon.svg">
<link rel="preload" href="font-9.woff2" as="font" crossorigin>
<link rel="modulepreload" href="mod-1.js">
<link rel="stylesheet" href="style-9.css">
<link rel="alternate stylesheet" href="alt.css" title="not loaded">
<link rel="preconnect" href="http://127.0.0.1:1">
<style>@import url("style-inline.css"); .x { background: url(bg-2.svg) }</style>
<script type="module" src="mod-2.js"></script>
</head>
<body>
<img src="img-a.svg" srcset="img-a1.svg 1x, img-a2.svg 2x" alt="">
<picture>
  <source media="(min-width: 1px)" srcset="img-p-wide.svg">
  <source srcset="img-p-narrow.svg">
  <img src="img-p.svg" alt="">
</picture>
<video poster="poster.svg"></video>
<div style="background-image: url('inline.svg')">inline</div>
<img src="data:image/png;base64,AAAA" alt="">
<a href="page.html">a link is not a subresource</a>
</body>
</html>
"#;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A generated subresource: its Content-Type and body (made as it is sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub content_type: &'static str,
    pub body: Generated,
}

/// The subresource at `/r/<name>`, or None for a name the testbed does not make.
pub fn resource(name: &str, q: &BTreeMap<String, String>) -> Result<Option<Resource>, BadParam> {
    let Some((stem, ext)) = name.rsplit_once('.') else { return Ok(None) };
    if !stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') || stem.is_empty() {
        return Ok(None);
    }
    let (content_type, default_size) = match ext {
        "css" => ("text/css; charset=utf-8", 2 * 1024),
        "js" => ("text/javascript; charset=utf-8", 8 * 1024),
        "svg" => ("image/svg+xml", 4 * 1024),
        "woff2" => ("font/woff2", 16 * 1024),
        _ => return Ok(None),
    };
    let size = number(q, "size", default_size, MAX_BODY as u64)? as usize;
    let body = match ext {
        "css" if stem == "import" => {
            let fonts = number(q, "fonts", PageSpec::default().fonts.into(), MAX_COUNT.into())? as u32;
            pad(import_css(fonts), size, "/*", "*/")
        }
        "css" if stem == "style-1" => {
            // Validated like import.css reads it: a number, never text reflected into CSS.
            let fonts = match q.get("fonts") {
                Some(_) => format!("?fonts={}", number(q, "fonts", 0, MAX_COUNT.into())?),
                None => String::new(),
            };
            let head =
                format!("@import url(\"import.css{fonts}\");\nh1 {{ font-family: \"connscope-1\", sans-serif; }}\n");
            pad(head, size, "/*", "*/")
        }
        // Two stylesheets that import each other: a loader must end the cycle cleanly.
        "css" if stem == "cycle-a" || stem == "cycle-b" => {
            let other = if stem == "cycle-a" { "cycle-b" } else { "cycle-a" };
            pad(format!("@import url(\"{other}.css\");\n"), size, "/*", "*/")
        }
        "css" => pad(format!("/* {stem} */\np {{ line-height: 1.5; }}\n"), size, "/*", "*/"),
        "js" => {
            pad(format!("// {stem}\nwindow.connscopeLoaded = (window.connscopeLoaded || 0) + 1;\n"), size, "/*", "*/")
        }
        "svg" => {
            let hue = stem.bytes().fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(b.into())) % 360;
            let head = format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"32\" height=\"32\"><rect width=\"32\" height=\"32\" fill=\"hsl({hue},60%,55%)\"/>"
            );
            let (head, fill, tail) = padding(head, size.saturating_sub(6), "<!--", "-->");
            Generated::new(head, fill, Filler::Repeat(b'x'), [tail, b"</svg>".to_vec()].concat())
        }
        _ => Generated::new(Vec::new(), size, Filler::Random(seed_of(stem)), Vec::new()),
    };
    Ok(Some(Resource { content_type, body }))
}

fn import_css(fonts: u32) -> String {
    let mut s = String::from("/* imported by style-1.css */\n");
    for k in 1..=fonts {
        let _ = writeln!(
            s,
            "@font-face {{ font-family: \"connscope-{k}\"; src: url(\"font-{k}.woff2\") format(\"woff2\"); }}"
        );
    }
    s.push_str("body { background-image: url(\"bg.svg\"); }\n");
    s
}

/// `head` followed by a comment filling the body up to `size` bytes (never cutting `head`).
fn pad(head: String, size: usize, open: &str, close: &str) -> Generated {
    let (head, fill, tail) = padding(head, size, open, close);
    Generated::new(head, fill, Filler::Repeat(b'x'), tail)
}

/// The parts of a padded body: `head` and the comment's opening, how many filler bytes,
/// and the comment's closing.
fn padding(head: String, size: usize, open: &str, close: &str) -> (Vec<u8>, usize, Vec<u8>) {
    let mut head = head.into_bytes();
    let room = size.saturating_sub(head.len());
    if room > open.len() + close.len() {
        head.extend_from_slice(open.as_bytes());
        (head, room - open.len() - close.len() - 1, format!("{close}\n").into_bytes())
    } else {
        (head, 0, Vec::new())
    }
}

/// The seed of a binary resource's bytes: the same for the same name.
fn seed_of(name: &str) -> u64 {
    name.bytes().fold(0x9E37_79B9_7F4A_7C15_u64, |a, b| a.rotate_left(5) ^ u64::from(b))
}

/// Every file of the default page, for the static copy: (relative path, bytes).
pub fn default_page_files() -> Vec<(String, Vec<u8>)> {
    let spec = PageSpec::default();
    let none = BTreeMap::new();
    let mut names: Vec<String> = Vec::new();
    names.extend((1..=spec.css).map(|i| format!("style-{i}.css")));
    names.push("import.css".into());
    names.extend((1..=spec.fonts).map(|k| format!("font-{k}.woff2")));
    names.push("bg.svg".into());
    names.extend((1..=spec.js).map(|i| format!("script-{i}.js")));
    names.extend((1..=spec.img).map(|i| format!("img-{i}.svg")));
    let mut files = vec![("page.html".to_string(), spec.html("connscope test page", None).into_bytes())];
    for name in names {
        if let Ok(Some(r)) = resource(&name, &none) {
            files.push((format!("r/{name}"), r.body.to_vec()));
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> BTreeMap<String, String> {
        parse_query(Some(s))
    }

    #[test]
    fn default_page_has_the_documented_graph() {
        let html = PageSpec::default().html("t", Some("http://127.0.0.1:9"));
        assert_eq!(html.matches("rel=\"stylesheet\"").count(), 2);
        assert_eq!(html.matches("<script ").count(), 3);
        assert_eq!(html.matches("<img ").count(), 24);
        assert_eq!(html.matches("http://127.0.0.1:9/r/img-").count(), 8);
    }

    #[test]
    fn bodies_have_the_requested_size_and_are_deterministic() {
        for name in ["a.css", "import.css", "style-1.css", "b.js", "c.svg", "d.woff2"] {
            let a = resource(name, &q("size=5000")).unwrap().unwrap();
            let b = resource(name, &q("size=5000")).unwrap().unwrap();
            assert_eq!(a.body.len(), 5000, "{name}");
            assert_eq!(a, b, "{name}");
        }
        let svg = resource("x.svg", &q("size=300")).unwrap().unwrap();
        let text = String::from_utf8(svg.body.to_vec()).unwrap();
        assert!(text.starts_with("<svg") && text.ends_with("</svg>"));
    }

    #[test]
    fn the_fonts_count_is_a_number_before_it_reaches_css() {
        let evil = resource("style-1.css", &q("fonts=1%22);}body{background:url(//evil.example/x")).unwrap_err();
        assert_eq!(evil.name, "fonts");
        let ok = resource("style-1.css", &q("fonts=3")).unwrap().unwrap();
        assert!(String::from_utf8_lossy(&ok.body.to_vec()).starts_with("@import url(\"import.css?fonts=3\");"));
    }

    #[test]
    fn import_css_declares_fonts_and_a_background() {
        let r = resource("import.css", &q("fonts=3")).unwrap().unwrap();
        let css = String::from_utf8(r.body.to_vec()).unwrap();
        assert_eq!(css.matches("@font-face").count(), 3);
        assert!(css.contains("url(\"bg.svg\")"));
    }

    #[test]
    fn bad_and_out_of_range_parameters_are_refused_with_their_name() {
        let err = PageSpec::from_query(&q("img=lots")).unwrap_err();
        assert_eq!(err.name, "img");
        assert!(PageSpec::from_query(&q("css=100000")).is_err());
        assert!(resource("a.css", &q("size=99999999999")).is_err());
        assert_eq!(PageSpec::from_query(&q("img=3&cdn=10")).unwrap().cdn, 3);
    }

    #[test]
    fn unknown_names_are_not_made() {
        assert_eq!(resource("../etc/passwd", &q("")), Ok(None));
        assert_eq!(resource("a.exe", &q("")), Ok(None));
        assert_eq!(resource("noext", &q("")), Ok(None));
    }

    #[test]
    fn static_copy_is_in_sync_with_the_generator() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../static/testpage");
        for (path, bytes) in default_page_files() {
            let on_disk = std::fs::read(dir.join(&path)).unwrap_or_else(|e| {
                panic!("static/testpage/{path}: {e}; run `cargo run -p testbed -- export-testpage static/testpage`")
            });
            assert!(
                on_disk == bytes,
                "static/testpage/{path} is stale; run `cargo run -p testbed -- export-testpage static/testpage`"
            );
        }
    }
}
