//! Export the run (HAR 1.2, or connscope's JSON) and import a HAR recorded in any
//! browser's DevTools — by picking a file or dropping it here.

use connscope_core::export::Format;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// No run to save yet.
    pub empty: bool,
    /// Save the run in this format.
    pub on_export: Callback<Format>,
    /// A file was picked or dropped to import.
    pub on_file: Callback<web_sys::File>,
    /// Compare what is shown with a new run of the form's page.
    pub on_compare: Callback<()>,
}

#[function_component(Export)]
pub fn export(p: &Props) -> Html {
    let dragging = use_state(|| false);
    let on_json = p.on_export.reform(|_: MouseEvent| Format::Json);
    let on_har = p.on_export.reform(|_: MouseEvent| Format::Har);
    let on_pick = {
        let cb = p.on_file.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                if let Some(file) = input.files().and_then(|f| f.get(0)) {
                    cb.emit(file);
                }
                input.set_value("");
            }
        })
    };
    let on_drop = {
        let cb = p.on_file.clone();
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            if let Some(file) = e.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
                cb.emit(file);
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
    let empty = p.empty;
    html! {
        <section class={classes!("export", dragging.then_some("dragging"))} aria-labelledby="export-h"
                 ondrop={on_drop} ondragover={on_over} ondragleave={on_leave}>
            <h2 id="export-h">{"Export and import"}</h2>
            <div class="buttons">
                <button type="button" onclick={on_har} disabled={empty}>{"Download HAR"}</button>
                <button type="button" onclick={on_json} disabled={empty}>{"Download JSON"}</button>
                <button type="button" data-compare-shown="" onclick={p.on_compare.reform(|_: MouseEvent| ())} disabled={empty}
                    title="What is shown (an imported HAR, a capture or the last run) as A, a new run of the page chosen above as B, on one time axis">
                    {"Compare with a new run"}</button>
                <label class="file-button">
                    <span>{"Import a HAR…"}</span>
                    <input type="file" accept=".har,application/json" onchange={on_pick} />
                </label>
            </div>
            <p class="hint">{"Record any site in your browser's DevTools (Network panel → Export HAR), then pick the file or drop it here to see its connections. Chrome's and Safari's recordings name each request's connection; Firefox's do not, so its lanes are inferred."}</p>
        </section>
    }
}
