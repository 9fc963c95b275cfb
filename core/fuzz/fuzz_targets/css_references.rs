//! Any bytes as a stylesheet: its references, never a panic, never an empty URL.
#![no_main]

use connscope_core::crawl::css::css_references;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let css = String::from_utf8_lossy(data);
    for r in css_references(&css) {
        assert!(!r.url.trim().is_empty());
    }
});
