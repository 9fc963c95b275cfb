//! The waterfall: one row per request, phases as coloured segments on a shared time axis.

use super::{fmt_ms, reuse_mark};
use crate::model::geometry::{rows, tick_label, Axis, Order};
use crate::model::{Analysis, Phase, Request};
use std::rc::Rc;
use yew::prelude::*;

pub const WIDTH: f64 = 1100.0;
pub const LABEL_W: f64 = 330.0;
pub const MARK_W: f64 = 26.0;
pub const BARS_W: f64 = WIDTH - LABEL_W - MARK_W - 70.0;
pub const ROW_H: f64 = 22.0;
pub const AXIS_H: f64 = 26.0;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub requests: Rc<Vec<Request>>,
    pub analysis: Rc<Analysis>,
    pub order: Order,
    pub selected: Option<usize>,
    pub on_select: Callback<Option<usize>>,
    pub on_order: Callback<Order>,
}

/// A URL short enough for a row label: path and query (with the host when it is not the
/// page's), cut in the middle when long.
pub fn short_url(url: &str, page_origin: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let same = url.starts_with(page_origin) && !page_origin.is_empty();
    let path = if same { rest.find('/').map_or(rest, |i| &rest[i..]) } else { rest };
    let chars: Vec<char> = path.chars().collect();
    if chars.len() <= 44 {
        path.to_string()
    } else {
        let head: String = chars[..20].iter().collect();
        let tail: String = chars[chars.len() - 21..].iter().collect();
        format!("{head}…{tail}")
    }
}

/// Everything about a request in one line, for tooltips and screen readers.
pub fn describe(r: &Request, a: &crate::model::Analysed) -> String {
    let mut parts = vec![format!("{} {}", r.kind.label(), r.url), reuse_mark(a.verdict.reuse).1.to_string()];
    for ph in Phase::ALL {
        if let Some(d) = a.phases.duration(ph) {
            parts.push(format!("{}: {}", ph.label(), fmt_ms(d)));
        }
    }
    if r.timing.is_some() {
        parts.push(format!("total: {}", fmt_ms(a.phases.total())));
    }
    parts.push(a.verdict.evidence.clone());
    parts.join(" · ")
}

pub fn connection_label(a: &crate::model::Analysed, analysis: &Analysis) -> String {
    a.truth_connection
        .and_then(|c| analysis.truth_connections.get(c))
        .or_else(|| a.inferred_connection.and_then(|c| analysis.inferred_connections.get(c)))
        .map(|c| c.id.clone())
        .unwrap_or_default()
}

#[function_component(Waterfall)]
pub fn waterfall(p: &Props) -> Html {
    let axis = use_memo(p.requests.clone(), |r| Axis::covering(r, BARS_W));
    let layout = {
        let (requests, analysis, axis, order) = (p.requests.clone(), p.analysis.clone(), *axis, p.order);
        use_memo((requests, analysis, order), move |(r, a, o)| rows(r, a, &axis, *o))
    };
    if p.requests.is_empty() {
        return html! {
            <section class="waterfall empty" aria-labelledby="wf-h">
                <h2 id="wf-h">{"Waterfall"}</h2>
                <p>{"No requests yet."}</p>
            </section>
        };
    }
    let height = AXIS_H + layout.len() as f64 * ROW_H + 4.0;
    let page_origin = p.requests.first().map_or("", |r| r.origin.as_str());
    let bars_x = LABEL_W + MARK_W;
    let ticks = axis.ticks(8);
    let order_button = |o: Order, label: &'static str| {
        let cb = p.on_order.reform(move |_| o);
        html! { <button type="button" aria-pressed={(p.order == o).to_string()} onclick={cb}>{label}</button> }
    };
    html! {
        <section class="waterfall" aria-labelledby="wf-h">
            <div class="section-head">
                <h2 id="wf-h">{"Waterfall"}</h2>
                <div class="toggle" role="group" aria-label="Row order">
                    { order_button(Order::Start, "By start time") }
                    { order_button(Order::Origin, "By origin") }
                </div>
            </div>
            <super::legend::Legend />
            <div class="chart-wrap">
            <svg class="chart" viewBox={format!("0 0 {WIDTH} {height}")} width="100%" role="list"
                 aria-label={format!("Waterfall of {} requests; each row is focusable and describes its phases", layout.len())}>
                <g class="axis" aria-hidden="true">
                    { for ticks.iter().map(|t| {
                        let x = bars_x + axis.x(*t);
                        html! { <g>
                            <line x1={x.to_string()} x2={x.to_string()} y1={(AXIS_H - 6.0).to_string()} y2={height.to_string()} class="grid" />
                            <text x={x.to_string()} y={(AXIS_H - 10.0).to_string()} class="tick" text-anchor="middle">{ tick_label(t - axis.start) }</text>
                        </g> }
                    }) }
                </g>
                { for layout.iter().map(|row| {
                    let r = &p.requests[row.request];
                    let a = &p.analysis.requests[row.request];
                    let y = AXIS_H + row.index as f64 * ROW_H;
                    let id = row.request;
                    let selected = p.selected == Some(id);
                    let (mark, mark_label) = reuse_mark(a.verdict.reuse);
                    let conn = connection_label(a, &p.analysis);
                    let on_click = p.on_select.reform(move |_| Some(id));
                    let on_focus = p.on_select.reform(move |_| Some(id));
                    let on_key = {
                        let cb = p.on_select.clone();
                        Callback::from(move |e: KeyboardEvent| if e.key() == "Enter" || e.key() == " " { e.prevent_default(); cb.emit(Some(id)); })
                    };
                    let mut attrs: Vec<(&'static str, String)> = Phase::ALL.iter()
                        .filter_map(|ph| a.phases.duration(*ph).map(|d| (ph.data_attribute(), format!("{d:.3}"))))
                        .collect();
                    if let Some(t) = &a.verdict.truth {
                        attrs.push(("data-server-connection", t.connection.clone()));
                        attrs.push(("data-server-request", t.request_number.to_string()));
                    }
                    let protocol = r.timing.as_ref().and_then(|t| t.protocol()).unwrap_or("").to_string();
                    let mut vtag = html! {
                        <g class={classes!("row", a.verdict.reuse.key(), selected.then_some("selected"))} key={id}
                           role="listitem" tabindex="0"
                           data-request-url={r.url.clone()} data-reuse={a.verdict.reuse.key()} data-connection={conn.clone()}
                           data-agreement={a.verdict.agreement.key()} data-inferred-reuse={a.verdict.inference.reuse.key()} data-protocol={protocol} data-kind={r.kind.label()}
                           data-total={format!("{:.3}", a.phases.total())}
                           aria-label={describe(r, a)}
                           onclick={on_click} onfocus={on_focus} onkeydown={on_key}>
                            <title>{ describe(r, a) }</title>
                            <rect class="row-bg" x="0" y={y.to_string()} width={WIDTH.to_string()} height={ROW_H.to_string()} />
                            <text class="label" x="6" y={(y + 15.0).to_string()}>
                                <tspan class="kind">{ format!("{:<10}", r.kind.label()) }</tspan>
                                { short_url(&r.url, page_origin) }
                            </text>
                            <text class={classes!("mark", a.verdict.reuse.key())} x={(LABEL_W + 8.0).to_string()} y={(y + 16.0).to_string()}
                                  aria-label={mark_label}>{ mark }</text>
                            { if row.segments.is_empty() && r.timing.is_some() {
                                html! { <rect class="seg hidden-detail" x={(bars_x + row.x).to_string()} y={(y + 5.0).to_string()}
                                              width={row.width.max(1.0).to_string()} height={(ROW_H - 10.0).to_string()} /> }
                            } else { html! {} } }
                            { for row.segments.iter().map(|s| html! {
                                <rect class={classes!("seg", format!("ph-{}", s.phase.key()))} x={(bars_x + s.x).to_string()} y={(y + 4.0).to_string()}
                                      width={s.width.max(0.5).to_string()} height={(ROW_H - 8.0).to_string()} />
                            }) }
                            <text class="conn" x={(bars_x + row.x + row.width + 6.0).to_string()} y={(y + 15.0).to_string()}>
                                { if conn.is_empty() { String::new() } else { format!("#{conn}") } }
                            </text>
                        </g>
                    };
                    if let yew::virtual_dom::VNode::VTag(tag) = &mut vtag {
                        for (k, v) in attrs {
                            Rc::make_mut(tag).add_attribute(k, v);
                        }
                    }
                    vtag
                }) }
            </svg>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::short_url;

    #[test]
    fn labels_keep_path_and_cut_long_ones_in_the_middle() {
        assert_eq!(short_url("http://127.0.0.1:9001/r/style-1.css", "http://127.0.0.1:9001"), "/r/style-1.css");
        assert_eq!(
            short_url("http://127.0.0.1:9008/r/img-20.svg", "http://127.0.0.1:9001"),
            "127.0.0.1:9008/r/img-20.svg"
        );
        let long = format!("https://example.com/{}/end.png", "a".repeat(80));
        let s = short_url(&long, "https://example.com");
        assert!(s.chars().count() <= 44 && s.starts_with("/aaa") && s.ends_with("end.png"), "{s}");
    }
}
