//! The selected request: every phase, the verdict's evidence, the server's truth.

use connscope_core::text::{format_ms as fmt_ms, reuse_mark};

use connscope_core::{Analysis, Outcome, Phase, Request};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub requests: super::Shared<Vec<Request>>,
    pub analysis: super::Shared<Analysis>,
    pub selected: Option<usize>,
}

#[function_component(Details)]
pub fn details(p: &Props) -> Html {
    let Some((i, r, a)) = p.selected.and_then(|i| Some((i, p.requests.get(i)?, p.analysis.requests.get(i)?))) else {
        return html! {
            <section class="details" aria-labelledby="details-h" aria-live="polite">
                <h2 id="details-h">{"Request details"}</h2>
                <p class="hint">{"Click a row, or Tab to the waterfall and move through its rows with the arrow keys, to see a request's phases and the evidence for its verdict."}</p>
            </section>
        };
    };
    let status = match &r.outcome {
        Outcome::Done { status } => format!("HTTP {status}"),
        Outcome::Failed { message } => format!("failed: {message}"),
        Outcome::Running => "running".into(),
        Outcome::Pending => "waiting".into(),
    };
    let t = r.timing.as_ref();
    html! {
        <section class="details" aria-labelledby="details-h" aria-live="polite">
            <h2 id="details-h">{"Request details"}</h2>
            <p class="url">{ &r.url }</p>
            <dl class="facts">
                <dt>{"Verdict"}</dt><dd class={classes!("verdict", a.verdict.reuse.key())}>{ reuse_mark(a.verdict.reuse).1 }</dd>
                <dt>{"Evidence"}</dt><dd>{ a.verdict.evidence() }</dd>
                <dt>{"Connection"}</dt><dd>{ match p.analysis.connection_label(i) { c if c.is_empty() => "unknown".to_string(), c => format!("#{c}") } }</dd>
                <dt>{"Status"}</dt><dd>{ status }</dd>
                <dt>{"Kind"}</dt><dd>{ r.kind.label() }{ r.parent.and_then(|i| p.requests.get(i)).map(|pr| format!(", found in {}", pr.url)).unwrap_or_default() }</dd>
                <dt>{"Protocol"}</dt><dd>{ t.and_then(|t| t.protocol()).unwrap_or("not exposed") }</dd>
                <dt>{"Transferred"}</dt><dd>{ t.map(|t| format!("{:.0} bytes ({:.0} body)", t.transfer_size, t.encoded_body_size)).unwrap_or_else(|| "—".into()) }</dd>
            </dl>
            <table class="phases">
                <caption>{"Phases"}</caption>
                <tbody>
                { for Phase::ALL.iter().map(|ph| html! {
                    <tr><th scope="row"><span class={classes!("swatch", format!("ph-{}", ph.key()))} aria-hidden="true"></span>{ ph.label() }</th>
                        <td>{ a.phases.duration(*ph).map(fmt_ms).unwrap_or_else(|| "—".into()) }</td></tr>
                }) }
                <tr class="total"><th scope="row">{"Total"}</th><td>{ fmt_ms(a.phases.total()) }</td></tr>
                </tbody>
            </table>
            { for a.phases.notes.iter().map(|n| html! { <p class="note">{ n }</p> }) }
        </section>
    }
}
