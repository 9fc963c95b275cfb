//! What a page's HTML references, decided from what the browser's DOMParser found: which
//! `rel` loads what, which `<picture>` source and `srcset` candidate a browser would take.
//! The shell reads the elements (`HtmlDocument`); nothing here touches a DOM.

use super::css::css_references;
use super::srcset::pick_srcset;
use crate::request::Kind;

/// The elements of a parsed page that can name a subresource, in document order within
/// each sort, with their attributes as written. Filled by the shell from DOMParser.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HtmlDocument {
    /// `href` of the first `<base href>`, as written.
    pub base_href: Option<String>,
    pub elements: Vec<Element>,
}

impl HtmlDocument {
    /// The document as the shell's reader (`src/browser/dom.js`, over DOMParser) hands it
    /// over in one string: fields separated by U+0000; a record is its kind (`B` base, `L`
    /// link, `S` script, `I` img, `P` poster, `M` media, `T` style) and its fields; a field
    /// that may be absent is empty when absent and `=` + the value when present; an `I` has
    /// its `<source>` count, then each source's srcset and `1` or `0` (its media matches).
    /// A string that breaks off or names an unknown kind keeps what came before it.
    pub fn from_flat(flat: &str) -> HtmlDocument {
        let mut doc = HtmlDocument::default();
        let mut fields = flat.split('\0');
        let optional = |f: Option<&str>| f.and_then(|f| f.strip_prefix('=')).map(str::to_string);
        while let Some(kind) = fields.next() {
            let mut next = || fields.next().map(str::to_string);
            let element = match kind {
                "B" => {
                    let href = fields.next();
                    doc.base_href = doc.base_href.take().or_else(|| optional(href));
                    continue;
                }
                "L" => match (next(), next(), next()) {
                    (Some(rel), Some(as_), Some(href)) => Element::Link { rel, as_, href },
                    _ => break,
                },
                "S" | "P" | "M" | "T" => {
                    let Some(v) = next() else { break };
                    match kind {
                        "S" => Element::Script { src: v },
                        "P" => Element::Poster { src: v },
                        "M" => Element::Media { src: v },
                        _ => Element::Style { css: v },
                    }
                }
                "I" => {
                    let (src, srcset, width) = (fields.next(), fields.next(), fields.next());
                    let Some(count) = fields.next().and_then(|n| n.parse::<usize>().ok()) else { break };
                    let mut sources = Vec::new();
                    for _ in 0..count {
                        let (Some(srcset), Some(matches)) = (fields.next(), fields.next()) else { break };
                        sources.push(PictureSource { srcset: optional(Some(srcset)), media_matches: matches == "1" });
                    }
                    if sources.len() < count {
                        break;
                    }
                    Element::Img { src: optional(src), srcset: optional(srcset), width: optional(width), sources }
                }
                _ => break,
            };
            doc.elements.push(element);
        }
        doc
    }
}

/// One element that may name a subresource.
#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    /// `<link href rel as>`.
    Link { rel: String, as_: String, href: String },
    /// `<script src>`.
    Script { src: String },
    /// `<img>`, with the `<source>`s of its `<picture>` in order.
    Img { src: Option<String>, srcset: Option<String>, width: Option<String>, sources: Vec<PictureSource> },
    /// `<video poster>`.
    Poster { src: String },
    /// `<video src>`, `<audio src>`, or their `<source src>`.
    Media { src: String },
    /// A `style` attribute or a `<style>` element's text.
    Style { css: String },
}

/// A `<source>` of a `<picture>`: its `srcset`, and whether its `media` matches this window
/// (the browser evaluates the query; a source without one matches).
#[derive(Debug, Clone, PartialEq)]
pub struct PictureSource {
    pub srcset: Option<String>,
    pub media_matches: bool,
}

/// The window the page would be shown in, for responsive images.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Viewport {
    /// CSS pixels.
    pub width: f64,
    pub device_pixel_ratio: f64,
}

impl Default for Viewport {
    fn default() -> Self {
        Viewport { width: 1280.0, device_pixel_ratio: 1.0 }
    }
}

/// What a `<link>` loads, by its `rel` (and `as` for preloads); None for links that load
/// nothing by themselves (alternate stylesheets, preconnect, prefetch, navigation).
pub fn link_kind(rel: &str, as_: &str) -> Option<Kind> {
    let rel = rel.to_ascii_lowercase();
    let rels: Vec<&str> = rel.split_whitespace().collect();
    if rels.contains(&"stylesheet") && !rels.contains(&"alternate") {
        Some(Kind::Stylesheet)
    } else if rels.iter().any(|r| *r == "icon" || *r == "apple-touch-icon") {
        Some(Kind::Image)
    } else if rels.contains(&"modulepreload") {
        Some(Kind::Script)
    } else if rels.contains(&"preload") {
        Some(match as_.to_ascii_lowercase().as_str() {
            "style" => Kind::Stylesheet,
            "script" => Kind::Script,
            "font" => Kind::Font,
            "image" => Kind::Image,
            "audio" | "video" | "track" => Kind::Media,
            _ => Kind::Other,
        })
    } else {
        None
    }
}

/// The references of a page, as written (unresolved), with the kind each loads, in the
/// order a crawl follows them; and a note for the reader when a `srcset` choice was made.
pub fn references(doc: &HtmlDocument, viewport: Viewport) -> (Vec<(String, Kind)>, Option<String>) {
    let mut out = Vec::new();
    let mut picked_srcset = false;
    for el in &doc.elements {
        match el {
            Element::Link { rel, as_, href } => {
                if let Some(kind) = link_kind(rel, as_) {
                    out.push((href.clone(), kind));
                }
            }
            Element::Script { src } => out.push((src.clone(), Kind::Script)),
            Element::Img { src, srcset, width, sources } => {
                let slot = width.as_deref().and_then(|w| w.trim().parse::<f64>().ok()).unwrap_or(viewport.width);
                let dpr = viewport.device_pixel_ratio;
                // <picture>: the first <source> whose media matches and has a candidate wins.
                let chosen = sources
                    .iter()
                    .filter(|s| s.media_matches)
                    .find_map(|s| s.srcset.as_deref().and_then(|set| pick_srcset(set, slot, dpr)))
                    .or_else(|| srcset.as_deref().and_then(|set| pick_srcset(set, slot, dpr)));
                picked_srcset |= chosen.is_some();
                if let Some(url) = chosen.or_else(|| src.clone()) {
                    out.push((url, Kind::Image));
                }
            }
            Element::Poster { src } => out.push((src.clone(), Kind::Image)),
            Element::Media { src } => out.push((src.clone(), Kind::Media)),
            Element::Style { css } => out.extend(css_references(css).into_iter().map(|r| (r.url, r.kind))),
        }
    }
    let note = picked_srcset.then(|| {
        format!(
            "Responsive images: connscope picked each srcset candidate as a browser would for this window ({:.0} CSS px wide, device pixel ratio {}).",
            viewport.width, viewport.device_pixel_ratio
        )
    });
    (out, note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shells_flat_document_reads_back_whole_and_a_broken_one_keeps_what_came_before() {
        // As dom.js writes it for: <base href="/b/"><link rel=stylesheet href=a.css>
        // <script src=s.js></script><picture><source srcset="w.webp" media="(min-width: 9999px)">
        // <source srcset=""><img src=i.jpg width=10></picture><img alt=x><video poster=p.png
        // src=v.mp4></video><p style="background:url(x.png)"></p><style>@import "c.css";</style>
        let flat = [
            "B",
            "=/b/",
            "L",
            "stylesheet",
            "",
            "a.css",
            "S",
            "s.js",
            "I",
            "=i.jpg",
            "",
            "=10",
            "2",
            "=w.webp",
            "0",
            "=",
            "1",
            "I",
            "",
            "",
            "",
            "0",
            "P",
            "p.png",
            "M",
            "v.mp4",
            "T",
            "background:url(x.png)",
            "T",
            "@import \"c.css\";",
        ]
        .join("\0");
        let doc = HtmlDocument::from_flat(&flat);
        assert_eq!(doc.base_href.as_deref(), Some("/b/"));
        assert_eq!(
            doc.elements,
            vec![
                Element::Link { rel: "stylesheet".into(), as_: String::new(), href: "a.css".into() },
                Element::Script { src: "s.js".into() },
                Element::Img {
                    src: Some("i.jpg".into()),
                    srcset: None,
                    width: Some("10".into()),
                    sources: vec![
                        PictureSource { srcset: Some("w.webp".into()), media_matches: false },
                        PictureSource { srcset: Some(String::new()), media_matches: true },
                    ],
                },
                Element::Img { src: None, srcset: None, width: None, sources: vec![] },
                Element::Poster { src: "p.png".into() },
                Element::Media { src: "v.mp4".into() },
                Element::Style { css: "background:url(x.png)".into() },
                Element::Style { css: "@import \"c.css\";".into() },
            ]
        );
        // No base, and a page with nothing: empty.
        assert_eq!(HtmlDocument::from_flat("B\0"), HtmlDocument::default());
        assert_eq!(HtmlDocument::from_flat(""), HtmlDocument::default());
        // Cut short inside a record, or an unknown kind: what came before stays, nothing more.
        let cut = HtmlDocument::from_flat(&["B", "", "S", "s.js", "I", "=i.jpg", "", "", "2", "=w.webp"].join("\0"));
        assert_eq!(cut.elements, vec![Element::Script { src: "s.js".into() }]);
        let unknown = HtmlDocument::from_flat("B\0\0X\0what\0S\0s.js");
        assert!(unknown.elements.is_empty());
        let bad_count = HtmlDocument::from_flat("B\0\0S\0s.js\0I\0\0\0\0many");
        assert_eq!(bad_count.elements, vec![Element::Script { src: "s.js".into() }]);
    }

    #[test]
    fn links_load_by_rel_and_as() {
        assert_eq!(link_kind("stylesheet", ""), Some(Kind::Stylesheet));
        assert_eq!(link_kind("Alternate Stylesheet", ""), None);
        assert_eq!(link_kind("shortcut icon", ""), Some(Kind::Image));
        assert_eq!(link_kind("modulepreload", ""), Some(Kind::Script));
        assert_eq!(link_kind("preload", "FONT"), Some(Kind::Font));
        assert_eq!(link_kind("preload", "fetch"), Some(Kind::Other));
        assert_eq!(link_kind("preconnect", ""), None);
        assert_eq!(link_kind("dns-prefetch", ""), None);
    }

    #[test]
    fn the_first_matching_picture_source_wins_over_the_img() {
        let img = |sources: Vec<PictureSource>| HtmlDocument {
            base_href: None,
            elements: vec![Element::Img {
                src: Some("fallback.svg".into()),
                srcset: Some("own-1x.svg 1x, own-2x.svg 2x".into()),
                width: Some("100".into()),
                sources,
            }],
        };
        let source = |set: &str, matches| PictureSource { srcset: Some(set.into()), media_matches: matches };
        let vp = Viewport { width: 800.0, device_pixel_ratio: 2.0 };
        let (refs, note) = references(&img(vec![source("wide.svg", false), source("narrow.svg", true)]), vp);
        assert_eq!(refs, vec![("narrow.svg".to_string(), Kind::Image)]);
        assert!(note.is_some_and(|n| n.contains("800 CSS px") && n.contains("ratio 2")));
        let (refs, _) = references(&img(vec![source("wide.svg", false)]), vp);
        assert_eq!(refs, vec![("own-2x.svg".to_string(), Kind::Image)], "no source matches: the img's own srcset");
        let plain = HtmlDocument {
            base_href: None,
            elements: vec![Element::Img { src: Some("a.svg".into()), srcset: None, width: None, sources: vec![] }],
        };
        assert_eq!(references(&plain, vp), (vec![("a.svg".to_string(), Kind::Image)], None));
    }
}
