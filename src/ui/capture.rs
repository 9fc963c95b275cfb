//! "Capture a site": the bookmarklet (drag it to the bookmarks bar), the same code as a
//! console snippet, and a place to paste a capture the page could not deliver.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The bookmarklet's `javascript:` link, with this app's address built in.
    pub bookmarklet: AttrValue,
    /// The same code, to paste into a console.
    pub snippet: AttrValue,
    /// A capture pasted here, to show.
    pub on_paste: Callback<String>,
}

#[function_component(CapturePanel)]
pub fn capture_panel(p: &Props) -> Html {
    let pasted = use_node_ref();
    let on_show = {
        let (pasted, cb) = (pasted.clone(), p.on_paste.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(area) = pasted.cast::<web_sys::HtmlTextAreaElement>() {
                cb.emit(area.value());
                area.set_value("");
            }
        })
    };
    // Clicked here (not on the site), the link would only run against connscope itself:
    // say what to do with it instead.
    let on_click = Callback::from(|e: MouseEvent| e.prevent_default());
    html! {
        <section class="capture" aria-labelledby="capture-h">
            <h2 id="capture-h">{"Capture a site"}</h2>
            <p class="hint">{"See any site's own load, as its browser measured it, without DevTools: drag this link to your bookmarks bar, open the site, let it load, then click the bookmark. connscope opens in a new tab with the site's requests and a report of its connections."}</p>
            <p class="bookmarklet-line">
                <a class="bookmarklet" data-capture-bookmarklet="" href={p.bookmarklet.clone()} onclick={on_click}
                   title="Drag me to the bookmarks bar" aria-describedby="bookmarklet-how">{"connscope capture"}</a>
                <span id="bookmarklet-how" class="hint">{" ← drag to the bookmarks bar (clicking it here does nothing)"}</span>
            </p>
            <details>
                <summary>{"Or paste this into the site's console (F12 → Console)"}</summary>
                <textarea class="snippet" data-capture-snippet="" readonly=true rows="6" aria-label="The capture snippet"
                          value={p.snippet.clone()} />
            </details>
            <details>
                <summary>{"Paste a capture"}</summary>
                <p class="hint">{"Where the site could not hand its capture over (a popup blocker, or a page that cuts off windows it opens), the capture shows it on the page: copy it, paste it here. A saved capture file can also be dropped on Export and import below."}</p>
                <textarea data-capture-paste="" rows="4" aria-label="A capture to show" ref={pasted}
                          placeholder="{\"format\":\"connscope-capture\", …}" />
                <button type="button" data-capture-open="" onclick={on_show}>{"Show this capture"}</button>
            </details>
        </section>
    }
}
