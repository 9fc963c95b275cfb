//! Reading a picked file (`browser::page::read_text`) in real browsers: its text, or what
//! kept the browser from reading it, never an empty file in its place.
#![cfg(target_arch = "wasm32")]

use connscope::browser::page::read_text;
use futures::channel::oneshot;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn read(file: web_sys::File) -> (String, Result<String, String>) {
    let (send, receive) = oneshot::channel();
    read_text(file, move |name, text| {
        let _ = send.send((name, text));
    });
    receive.await.expect("read_text always hands the file on")
}

#[wasm_bindgen_test]
async fn a_file_is_read_as_its_text_with_its_name() {
    let parts = js_sys::Array::of2(&JsValue::from_str("{\"log\": "), &JsValue::from_str("\"é\"}"));
    let file = web_sys::File::new_with_str_sequence(&parts, "run.har").expect("a File");
    assert_eq!(read(file).await, ("run.har".to_string(), Ok("{\"log\": \"é\"}".to_string())));
}

#[wasm_bindgen_test]
async fn a_file_the_browser_cannot_read_says_why_and_is_not_taken_for_empty() {
    // What a browser does with a picked file that has since changed or gone: its read is
    // refused with a NotReadableError (made here by the browser's own DOMException, on a file
    // whose arrayBuffer() refuses as a changed file's does).
    let file: JsValue = js_sys::eval(
        "({ name: 'gone.har', size: 10, arrayBuffer() { \
             return Promise.reject(new DOMException('the file changed', 'NotReadableError')); } })",
    )
    .expect("a stand-in file");
    let (name, text) = read(file.unchecked_into()).await;
    assert_eq!(name, "gone.har");
    let error = text.expect_err("a refused read is an error, not an empty text");
    assert!(error.contains("NotReadableError") && error.contains("the file changed"), "{error}");
}
