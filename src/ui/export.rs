//! Export the run (HAR 1.2, or connscope's JSON) and import a HAR recorded in any
//! browser's DevTools — by picking a file or dropping it here.

use crate::model::har;
use crate::model::{Analysis, Request};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub requests: Rc<Vec<Request>>,
    pub analysis: Rc<Analysis>,
    pub target: String,
    pub time_origin_ms: f64,
    /// A HAR file's text was read, with its name.
    pub on_import: Callback<(String, String)>,
}

#[function_component(Export)]
pub fn export(p: &Props) -> Html {
    let dragging = use_state(|| false);
    let on_json = {
        let (requests, target) = (p.requests.clone(), p.target.clone());
        Callback::from(move |_| {
            let doc = serde_json::json!({ "connscope": 1, "page": target, "requests": *requests });
            if let Ok(text) = serde_json::to_string_pretty(&doc) {
                let _ = crate::browser::page::download("connscope-run.json", "application/json", &text);
            }
        })
    };
    let on_har = {
        let (requests, analysis, target, origin) =
            (p.requests.clone(), p.analysis.clone(), p.target.clone(), p.time_origin_ms);
        Callback::from(move |_| {
            let doc = har::export(&target, &requests, &analysis, origin);
            if let Ok(text) = serde_json::to_string_pretty(&doc) {
                let _ = crate::browser::page::download("connscope-run.har", "application/json", &text);
            }
        })
    };
    let on_pick = {
        let cb = p.on_import.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                if let Some(file) = input.files().and_then(|f| f.get(0)) {
                    {
                        let cb = cb.clone();
                        crate::browser::page::read_text(file, move |name, text| cb.emit((name, text)));
                    }
                }
                input.set_value("");
            }
        })
    };
    let on_drop = {
        let cb = p.on_import.clone();
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            if let Some(file) = e.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
                {
                    let cb = cb.clone();
                    crate::browser::page::read_text(file, move |name, text| cb.emit((name, text)));
                }
            }
        })
    };
    let on_over = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(true);
        })
    };
    let on_leave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let empty = p.requests.is_empty();
    html! {
        <section class={classes!("export", dragging.then_some("dragging"))} aria-labelledby="export-h"
                 ondrop={on_drop} ondragover={on_over} ondragleave={on_leave}>
            <h2 id="export-h">{"Export and import"}</h2>
            <div class="buttons">
                <button type="button" onclick={on_har} disabled={empty}>{"Download HAR"}</button>
                <button type="button" onclick={on_json} disabled={empty}>{"Download JSON"}</button>
                <label class="file-button">
                    <span>{"Import a HAR…"}</span>
                    <input type="file" accept=".har,application/json" onchange={on_pick} />
                </label>
            </div>
            <p class="hint">{"Record any site in your browser's DevTools (Network panel → Export HAR), then pick the file or drop it here to see its connections. Chrome's and Safari's recordings name each request's connection; Firefox's do not, so its lanes are inferred."}</p>
        </section>
    }
}
