//! Reads a page's HTML with the browser's inert DOMParser into the facts the crawl decides
//! on (`connscope_core::crawl::html::HtmlDocument`): each element that can name a
//! subresource, with its attributes as written, and the window's size for `srcset`.
//! Nothing here decides what is fetched.

use connscope_core::crawl::html::{Element, HtmlDocument, PictureSource, Viewport};
use connscope_core::crawl::Resolve;
use wasm_bindgen::JsCast;

/// The browser's URL parser (`new URL(href, base)`), for the crawl.
pub struct BrowserUrls;

impl Resolve for BrowserUrls {
    fn resolve(&self, href: &str, base: Option<&str>) -> Option<String> {
        let u = match base {
            Some(base) => web_sys::Url::new_with_base(href, base),
            None => web_sys::Url::new(href),
        }
        .ok()?;
        u.set_hash("");
        Some(u.href())
    }
}

/// The window the app runs in, as `srcset` choice sees it.
pub fn viewport() -> Viewport {
    let Some(w) = web_sys::window() else { return Viewport::default() };
    Viewport {
        width: w.inner_width().ok().and_then(|v| v.as_f64()).unwrap_or(Viewport::default().width),
        device_pixel_ratio: w.device_pixel_ratio(),
    }
}

/// The elements of `html` that can name a subresource.
pub fn read_html(html: &str) -> HtmlDocument {
    let mut doc = HtmlDocument::default();
    let Ok(parser) = web_sys::DomParser::new() else { return doc };
    let Ok(parsed) = parser.parse_from_string(html, web_sys::SupportedType::TextHtml) else { return doc };
    let all = |sel: &str| -> Vec<web_sys::Element> {
        parsed
            .query_selector_all(sel)
            .map(|list| (0..list.length()).filter_map(|i| list.get(i)?.dyn_into::<web_sys::Element>().ok()).collect())
            .unwrap_or_default()
    };
    let attr = |el: &web_sys::Element, name: &str| el.get_attribute(name);
    doc.base_href = all("base[href]").first().and_then(|b| attr(b, "href"));
    let out = &mut doc.elements;
    for link in all("link[href]") {
        out.push(Element::Link {
            rel: attr(&link, "rel").unwrap_or_default(),
            as_: attr(&link, "as").unwrap_or_default(),
            href: attr(&link, "href").unwrap_or_default(),
        });
    }
    for script in all("script[src]") {
        out.push(Element::Script { src: attr(&script, "src").unwrap_or_default() });
    }
    let window = web_sys::window();
    let media_matches =
        |query: &str| window.as_ref().and_then(|w| w.match_media(query).ok().flatten()).is_some_and(|q| q.matches());
    for img in all("img") {
        let mut sources = Vec::new();
        if let Some(picture) = img.parent_element().filter(|p| p.tag_name().eq_ignore_ascii_case("picture")) {
            let children = picture.children();
            for s in (0..children.length()).filter_map(|i| children.item(i)) {
                if s.tag_name().eq_ignore_ascii_case("source") {
                    sources.push(PictureSource {
                        srcset: attr(&s, "srcset"),
                        media_matches: attr(&s, "media").is_none_or(|m| media_matches(&m)),
                    });
                }
            }
        }
        out.push(Element::Img {
            src: attr(&img, "src"),
            srcset: attr(&img, "srcset"),
            width: attr(&img, "width"),
            sources,
        });
    }
    for v in all("video[poster]") {
        out.push(Element::Poster { src: attr(&v, "poster").unwrap_or_default() });
    }
    for m in all("video[src], audio[src], video > source[src], audio > source[src]") {
        out.push(Element::Media { src: attr(&m, "src").unwrap_or_default() });
    }
    for el in all("[style]") {
        out.push(Element::Style { css: attr(&el, "style").unwrap_or_default() });
    }
    for style in all("style") {
        out.push(Element::Style { css: style.text_content().unwrap_or_default() });
    }
    doc
}
