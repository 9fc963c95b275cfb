//! Reads a page's HTML with the browser's inert DOMParser (in dom.js) into the facts the
//! crawl decides on (`connscope_core::crawl::html::HtmlDocument`): each element that can
//! name a subresource, with its attributes as written, and the window's size for `srcset`.
//! Nothing here decides what is fetched.

use connscope_core::crawl::html::{HtmlDocument, Viewport};
use connscope_core::crawl::Resolve;
use wasm_bindgen::prelude::*;

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

#[wasm_bindgen(module = "/src/browser/dom.js")]
extern "C" {
    #[wasm_bindgen(js_name = readHtml, catch)]
    fn read_html_js(html: &str) -> Result<String, JsValue>;
}

/// The elements of `html` that can name a subresource, read by the browser's DOMParser in
/// dom.js (why there: see that file). A page DOMParser cannot read names nothing.
pub fn read_html(html: &str) -> HtmlDocument {
    read_html_js(html).map(|flat| HtmlDocument::from_flat(&flat)).unwrap_or_default()
}
