//! The idle warm-up (`app::warm_up`) in real browsers: it goes through the HAR reader, the
//! analysis and the views of a made-up run, draws them off the page, and leaves the page as
//! it was; once a run has begun it does nothing more.
#![cfg(target_arch = "wasm32")]

use connscope::app::warm_up::warm_up;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn page_markup() -> String {
    web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()).map(|b| b.inner_html()).unwrap_or_default()
}

#[wasm_bindgen_test]
async fn the_views_are_drawn_off_the_page_and_taken_down() {
    let before = page_markup();
    let drawn = warm_up(|| true).await;
    assert!(drawn > 0, "the made-up run's views drew no request");
    assert_eq!(page_markup(), before, "the warm-up left something on the page");
}

#[wasm_bindgen_test]
async fn nothing_is_done_once_a_run_has_begun() {
    assert_eq!(warm_up(|| false).await, 0);
}
