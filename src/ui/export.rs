//! Download the run as JSON (the requests with their timing entries).

use crate::model::Request;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub requests: Rc<Vec<Request>>,
    pub target: String,
}

fn download(name: &str, mime: &str, text: &str) -> Result<(), wasm_bindgen::JsValue> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    web_sys::Url::revoke_object_url(&url)?;
    Ok(())
}

#[function_component(Export)]
pub fn export(p: &Props) -> Html {
    if p.requests.is_empty() {
        return html! {};
    }
    let on_json = {
        let requests = p.requests.clone();
        let target = p.target.clone();
        Callback::from(move |_| {
            let doc = serde_json::json!({ "connscope": 1, "page": target, "requests": *requests });
            if let Ok(text) = serde_json::to_string_pretty(&doc) {
                let _ = download("connscope-run.json", "application/json", &text);
            }
        })
    };
    html! {
        <section class="export" aria-label="Export">
            <button type="button" onclick={on_json}>{"Download run (JSON)"}</button>
        </section>
    }
}
