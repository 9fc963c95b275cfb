//! The site report: per origin what its connections did, the findings with the rows they
//! rest on and what to change, and what the entries cannot tell.

use super::Shared;
use connscope_core::report::SiteReport;
use connscope_core::text::format_ms;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub report: Shared<SiteReport>,
    /// Labels of the rows evidence names (the request's path), by position.
    pub labels: Shared<Vec<String>>,
    pub on_select: Callback<Option<usize>>,
}

#[function_component(SiteReportView)]
pub fn site_report(p: &Props) -> Html {
    let r = &p.report;
    let origins = r.origins.iter().map(|o| {
        html! {
            <tr data-report-origin={o.origin.clone()} data-connections={o.connections.to_string()}
                data-requests={o.requests.to_string()} data-hidden={o.hidden.to_string()}>
                <th scope="row">{&o.origin}{ if o.third_party { html!{ <span class="tag">{" third party"}</span> } } else { html!{} } }</th>
                <td>{ if o.protocol.is_empty() { "hidden".to_string() } else { o.protocol.clone() } }</td>
                <td class="num">{o.requests}</td>
                <td class="num">{ if o.hidden == o.requests { "?".to_string() } else { o.connections.to_string() } }</td>
                <td class="num">{ o.reuse_rate.map_or_else(|| "—".to_string(), |x| format!("{:.0} %", x * 100.0)) }</td>
                <td class="num">{ if o.hidden == o.requests { "?".to_string() } else { format_ms(o.handshake_ms) } }</td>
            </tr>
        }
    });
    let findings = r.findings.iter().map(|f| {
        let evidence = f.evidence.iter().take(12).map(|&i| {
            let on_select = p.on_select.clone();
            let label = p.labels.get(i).cloned().unwrap_or_else(|| format!("#{i}"));
            html! {
                <li><button type="button" class="evidence" data-evidence-row={i.to_string()}
                    onclick={Callback::from(move |_: MouseEvent| on_select.emit(Some(i)))}>{label}</button></li>
            }
        });
        let more = f.evidence.len().saturating_sub(12);
        html! {
            <li class="finding" data-finding={f.kind.key()} data-origin={f.origin.clone()}
                data-evidence={f.evidence.iter().map(usize::to_string).collect::<Vec<_>>().join(" ")}>
                <h3>{&f.title}</h3>
                <p>{&f.detail}</p>
                <p class="advice"><strong>{"What to change: "}</strong>{&f.advice}</p>
                { if f.evidence.is_empty() { html!{} } else { html! {
                    <div class="evidence-list">
                        <span class="hint">{"Rows it rests on (select to see one):"}</span>
                        <ul>{ for evidence }</ul>
                        { if more > 0 { html!{ <span class="hint">{format!("and {more} more")}</span> } } else { html!{} } }
                    </div>
                } } }
            </li>
        }
    });
    html! {
        <section class="site-report" data-site-report="" data-findings={r.findings.len().to_string()} aria-labelledby="report-h">
            <h2 id="report-h">{"Site report"}</h2>
            <div class="table-wrap">
                <table>
                    <thead><tr>
                        <th scope="col">{"Origin"}</th><th scope="col">{"Protocol"}</th><th scope="col">{"Requests"}</th>
                        <th scope="col">{"Connections opened"}</th><th scope="col">{"Reuse"}</th><th scope="col">{"Handshakes paid"}</th>
                    </tr></thead>
                    <tbody>{ for origins }</tbody>
                </table>
            </div>
            { if r.findings.is_empty() {
                html!{ <p class="no-findings">{"No finding: nothing in these entries calls for a change to how this site uses connections."}</p> }
            } else {
                html!{ <ol class="findings">{ for findings }</ol> }
            } }
            { if r.cannot_tell.is_empty() { html!{} } else { html! {
                <div class="cannot-tell">
                    <h3>{"What these entries cannot tell"}</h3>
                    <ul>{ for r.cannot_tell.iter().map(|c| html!{ <li>{c}</li> }) }</ul>
                </div>
            } } }
        </section>
    }
}
