//! Any bytes as a HAR file: a result or a message, never a panic; what is imported is
//! analysed and laid out with finite numbers.
#![no_main]

use connscope_core::geometry::{rows, Axis, Order};
use connscope_core::{analyse, har};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(imported) = har::import(&text) {
        let analysis = analyse(&imported.requests);
        let axis = Axis::covering(&imported.requests, 700.0);
        for row in rows(&imported.requests, &analysis, &axis, Order::Start) {
            assert!(row.x.is_finite() && row.width.is_finite());
        }
    }
});
