//! What to load and how: scenario, URL, concurrency, pause, limit; Run and Cancel.

use connscope_core::config::{RunConfig, MAX_DEPTH, MAX_IDLE_S, MAX_LIMIT, MAX_PAUSE_MS};
use connscope_core::ScenarioInfo;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub scenarios: Option<Rc<Vec<ScenarioInfo>>>,
    /// Why there is no testbed, when there is none.
    pub no_testbed: Option<String>,
    pub config: RunConfig,
    pub running: bool,
    /// A field changed: its key in the link (`scenario`, `url`, `concurrency`, …) and the
    /// value as typed.
    pub on_field: Callback<(&'static str, String)>,
    pub on_run: Callback<()>,
    /// Probe the server of the probe URL (or of the chosen scenario).
    pub on_probe: Callback<()>,
    pub on_cancel: Callback<()>,
}

#[function_component(Controls)]
pub fn controls(p: &Props) -> Html {
    // What was typed goes up as it is; the reducer applies the link's rules to it.
    let field = |key: &'static str| {
        let cb = p.on_field.clone();
        Callback::from(move |e: Event| {
            let value = e
                .target_dyn_into::<HtmlInputElement>()
                .map(|i| i.value())
                .or_else(|| e.target_dyn_into::<HtmlSelectElement>().map(|s| s.value()))
                .unwrap_or_default();
            cb.emit((key, value));
        })
    };
    let (on_scenario, on_url, on_conc) = (field("scenario"), field("url"), field("concurrency"));
    let (on_pause, on_limit, on_depth) = (field("pause"), field("limit"), field("depth"));
    let (on_probe_url, on_max_idle) = (field("probe"), field("max_idle"));
    let on_submit = {
        let run = p.on_run.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            run.emit(());
        })
    };
    let selected_scenario = p.scenarios.as_ref().and_then(|list| {
        let id = p.config.scenario.clone().or_else(|| list.first().map(|s| s.id.clone()))?;
        list.iter().find(|s| s.id == id).cloned()
    });
    html! {
        <form class="controls" onsubmit={on_submit} aria-label="What to load">
            { match &p.scenarios {
                Some(list) => html! {
                    <label class="field">
                        <span>{"Scenario"}</span>
                        <select onchange={on_scenario} disabled={p.config.url.is_some()}>
                            { for list.iter().map(|s| html! {
                                <option value={s.id.clone()} selected={selected_scenario.as_ref().is_some_and(|c| c.id == s.id)}>{ &s.title }</option>
                            }) }
                        </select>
                    </label>
                },
                None => html! {
                    <p class="field no-testbed">{ match &p.no_testbed {
                        Some(why) => format!("No testbed here ({why}): runs load the built-in static test page, or any URL you type."),
                        None => "Looking for the testbed…".to_string(),
                    } }</p>
                },
            } }
            <label class="field url">
                <span>{"or any page URL"}</span>
                <input type="url" placeholder="https://example.com/" value={p.config.url.clone().unwrap_or_default()} onchange={on_url}
                       aria-describedby="url-help" />
                <small id="url-help">{"The page must allow cross-origin reads (Access-Control-Allow-Origin) and, for timing detail, Timing-Allow-Origin."}</small>
            </label>
            <fieldset class="options">
                <legend>{"Options"}</legend>
                <label><span>{"Concurrency"}</span>
                    <input type="number" min="0" max="64" value={p.config.concurrency.map_or("0".to_string(), |n| n.to_string())} onchange={on_conc}
                           title="0 = the browser decides; 1 = one request at a time" /></label>
                <label><span>{"Pause (ms)"}</span>
                    <input type="number" min="0" max={MAX_PAUSE_MS.to_string()} step="100" value={p.config.pause_ms.to_string()} onchange={on_pause}
                           title="Wait this long before each request, so idle connections can time out" /></label>
                <label><span>{"Max resources"}</span>
                    <input type="number" min="1" max={MAX_LIMIT.to_string()} value={p.config.limit.to_string()} onchange={on_limit} /></label>
                <label><span>{"Max depth"}</span>
                    <input type="number" min="1" max={MAX_DEPTH.to_string()} value={p.config.depth.to_string()} onchange={on_depth}
                           title="1 = the page's own references; 2 = also what its stylesheets import; …" /></label>
            </fieldset>
            <div class="buttons">
                <button type="submit" class="primary" disabled={p.running}>{ if p.running { "Running…" } else { "Run" } }</button>
                <button type="button" disabled={!p.running} onclick={p.on_cancel.reform(|_| ())}>{"Cancel"}</button>
            </div>
            <fieldset class="probe-form">
                <legend>{"Probe a server's keep-alive policy"}</legend>
                <label class="field url"><span>{"Resource to request"}</span>
                    <input type="url" placeholder={selected_scenario.as_ref().map_or("https://example.com/favicon.ico".to_string(), |s| format!("{}/r/probe.css", s.origin))}
                           value={p.config.probe.clone().unwrap_or_default()} onchange={on_probe_url} aria-describedby="probe-help" /></label>
                <label><span>{"Longest pause (s)"}</span>
                    <input type="number" min="1" max={MAX_IDLE_S.to_string()} value={p.config.max_idle_s.to_string()} onchange={on_max_idle} /></label>
                <button type="button" disabled={p.running} onclick={p.on_probe.reform(|_| ())}>{"Probe"}</button>
                <small id="probe-help">{"One request at a time: is a connection kept, how many requests it serves, how long it stays open when idle. Empty: a file of the chosen scenario. The server must allow cross-origin reads and send Timing-Allow-Origin."}</small>
            </fieldset>
            { selected_scenario.filter(|_| p.config.url.is_none()).map(|s| html! {
                <p class="scenario-explanation"><strong>{ &s.title }{": "}</strong>{ &s.explanation }{" "}
                    <span class="policy">{ format!("({})", s.policy) }</span>{" "}<code>{ &s.origin }</code></p>
            }).unwrap_or_default() }
        </form>
    }
}
