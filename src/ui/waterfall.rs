//! The waterfall: one row per request, phases as coloured segments on a shared time axis.

use super::chart::{time_axis, AXIS_H, BARS_W, LABEL_W, MARK_W, ROW_H, WIDTH};
use connscope_core::geometry::{rows, Axis, Order, Placement};
use connscope_core::text::{describe, format_ms as fmt_ms, reuse_mark, short_url};
use connscope_core::{Analysis, Phase, Request};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub requests: Rc<Vec<Request>>,
    pub analysis: Rc<Analysis>,
    pub order: Order,
    pub selected: Option<usize>,
    pub on_select: Callback<Option<usize>>,
    pub on_order: Callback<Order>,
    /// Changes with every run, which resets the zoom.
    pub run_key: u64,
}

#[function_component(Waterfall)]
pub fn waterfall(p: &Props) -> Html {
    let full = use_memo(p.requests.clone(), |r| Axis::covering(r, BARS_W));
    let zoom = use_state(|| None::<(f64, f64)>);
    // The tooltip follows the mouse, else the keyboard focus.
    let hovered = use_state(|| None::<usize>);
    let focused = use_state(|| None::<usize>);
    let drag = use_state(|| None::<(f64, f64)>);
    let svg_ref = use_node_ref();
    {
        let zoom = zoom.clone();
        use_effect_with(p.run_key, move |_| zoom.set(None));
    }
    let axis = match *zoom {
        Some((a, b)) => full.zoomed(a, b),
        None => *full,
    };
    let layout = {
        let (requests, analysis, order) = (p.requests.clone(), p.analysis.clone(), p.order);
        let key = (axis.start.to_bits(), axis.end.to_bits());
        use_memo((requests, analysis, order, key), move |(r, a, o, _)| rows(r, a, &axis, *o))
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
    let order_button = |o: Order, label: &'static str| {
        let cb = p.on_order.reform(move |_| o);
        html! { <button type="button" aria-pressed={(p.order == o).to_string()} onclick={cb}>{label}</button> }
    };
    // Zooming: around the selected request, or the middle; by drag on the chart.
    let selected_mid =
        p.selected.and_then(|i| p.analysis.requests.get(i)).map(|a| (a.phases.start + a.phases.end) / 2.0);
    let zoom_by = |factor: f64| {
        let (zoom, full) = (zoom.clone(), *full);
        Callback::from(move |_: MouseEvent| {
            let center = selected_mid.unwrap_or((axis.start + axis.end) / 2.0);
            let z = axis.scaled(factor, center, full);
            zoom.set((z != full).then_some((z.start, z.end)));
        })
    };
    let fit_selected = {
        let (zoom, full) = (zoom.clone(), *full);
        let span = p.selected.and_then(|i| p.analysis.requests.get(i)).map(|a| (a.phases.start, a.phases.end));
        Callback::from(move |_: MouseEvent| {
            if let Some((a, b)) = span {
                let fit = Axis::fit(a, b, full);
                zoom.set(Some((fit.start, fit.end)));
            }
        })
    };
    let to_svg_x = {
        let svg_ref = svg_ref.clone();
        move |client_x: i32| -> Option<f64> {
            let rect = svg_ref.cast::<web_sys::Element>()?.get_bounding_client_rect();
            (rect.width() > 0.0).then(|| (f64::from(client_x) - rect.left()) * WIDTH / rect.width())
        }
    };
    let on_down = {
        let (drag, to_svg_x) = (drag.clone(), to_svg_x.clone());
        Callback::from(move |e: MouseEvent| {
            if let Some(x) = to_svg_x(e.client_x()).filter(|x| *x >= bars_x) {
                drag.set(Some((x, x)));
            }
        })
    };
    let on_move = {
        let (drag, to_svg_x) = (drag.clone(), to_svg_x);
        Callback::from(move |e: MouseEvent| {
            if let (Some((a, _)), Some(x)) = (*drag, to_svg_x(e.client_x())) {
                drag.set(Some((a, x.clamp(bars_x, bars_x + BARS_W))));
            }
        })
    };
    let on_up = {
        let (drag, zoom) = (drag.clone(), zoom.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(z) = drag.and_then(|(a, b)| axis.dragged(a - bars_x, b - bars_x)) {
                zoom.set(Some((z.start, z.end)));
            }
            drag.set(None);
        })
    };
    let tip_for = (*hovered).or(*focused);
    let tooltip = tip_for.and_then(|i| {
        let row = layout.iter().find(|r| r.request == i)?;
        let (r, a) = (p.requests.get(i)?, p.analysis.requests.get(i)?);
        // Below the row in the upper part of the chart, above it in the lower part, so it
        // never runs out of the frame.
        let below = (AXIS_H + (row.index as f64 + 1.0) * ROW_H) / height * 100.0;
        let above = 100.0 - (AXIS_H + row.index as f64 * ROW_H) / height * 100.0;
        let place = if below < 55.0 { format!("top: {below:.2}%") } else { format!("bottom: {above:.2}%") };
        Some(html! {
            <div class="tooltip" role="tooltip" id="wf-tip" style={place}>
                <strong>{ &r.url }</strong>
                <span class={classes!("verdict", a.verdict.reuse.key())}>{ reuse_mark(a.verdict.reuse).1 }</span>
                <ul>
                    { for Phase::ALL.iter().filter_map(|ph| a.phases.duration(*ph).map(|d| html! {
                        <li><span class={classes!("swatch", format!("ph-{}", ph.key()))}></span>{ format!("{}: {}", ph.label(), fmt_ms(d)) }</li>
                    })) }
                </ul>
                <p>{ a.verdict.evidence() }</p>
            </div>
        })
    });
    html! {
        <section class="waterfall" aria-labelledby="wf-h">
            <div class="section-head">
                <h2 id="wf-h">{"Waterfall"}</h2>
                <div class="toggle" role="group" aria-label="Row order">
                    { order_button(Order::Start, "By start time") }
                    { order_button(Order::Origin, "By origin") }
                </div>
                <div class="toggle" role="group" aria-label="Zoom">
                    <button type="button" onclick={zoom_by(0.5)} title="Zoom in (around the selected request)">{"Zoom in"}</button>
                    <button type="button" onclick={zoom_by(2.0)} disabled={zoom.is_none()}>{"Zoom out"}</button>
                    <button type="button" onclick={fit_selected} disabled={p.selected.is_none()}>{"Fit selected"}</button>
                    <button type="button" onclick={{ let zoom = zoom.clone(); Callback::from(move |_| zoom.set(None)) }} disabled={zoom.is_none()}>{"Whole run"}</button>
                </div>
            </div>
            <p class="hint">{ if zoom.is_some() {
                format!("Showing {} to {} of the run. Drag across the chart to zoom further.", fmt_ms(axis.start - full.start), fmt_ms(axis.end - full.start))
            } else { "Drag across the chart to zoom into a time range; select a request and press Fit selected to see its handshake up close.".to_string() } }</p>
            <super::legend::Legend />
            <div class="chart-wrap">
            { tooltip.unwrap_or_default() }
            <svg class="chart" ref={svg_ref} viewBox={format!("0 0 {WIDTH} {height}")} width="100%" role="list"
                 onmousedown={on_down} onmousemove={on_move} onmouseup={on_up.clone()} onmouseleave={on_up}
                 aria-label={format!("Waterfall of {} requests; each row is focusable and describes its phases", layout.len())}>
                { match *drag {
                    Some((a, b)) if (a - b).abs() > 1.0 => html! { <rect class="brush" x={a.min(b).to_string()} y="0"
                        width={(a - b).abs().to_string()} height={height.to_string()} /> },
                    _ => html! {},
                } }
                { time_axis(&axis, bars_x, height) }
                { for layout.iter().map(|row| {
                    let r = &p.requests[row.request];
                    let a = &p.analysis.requests[row.request];
                    let y = AXIS_H + row.index as f64 * ROW_H;
                    let id = row.request;
                    let selected = p.selected == Some(id);
                    let (mark, mark_label) = reuse_mark(a.verdict.reuse);
                    let conn = p.analysis.connection_label(id);
                    let on_click = p.on_select.reform(move |_| Some(id));
                    let on_focus = {
                        let (select, focused) = (p.on_select.clone(), focused.clone());
                        Callback::from(move |_: FocusEvent| { focused.set(Some(id)); select.emit(Some(id)); })
                    };
                    let on_blur = { let focused = focused.clone(); Callback::from(move |_: FocusEvent| focused.set(None)) };
                    let on_enter = { let hovered = hovered.clone(); Callback::from(move |_: MouseEvent| hovered.set(Some(id))) };
                    let on_leave = { let hovered = hovered.clone(); Callback::from(move |_: MouseEvent| hovered.set(None)) };
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
                           onclick={on_click} onfocusin={on_focus} onfocusout={on_blur} onkeydown={on_key}
                           onmouseenter={on_enter} onmouseleave={on_leave} aria-describedby={(tip_for == Some(id)).then_some("wf-tip")}>
                            <rect class="row-bg" x="0" y={y.to_string()} width={WIDTH.to_string()} height={ROW_H.to_string()} />
                            <text class="label" x="6" y={(y + 15.0).to_string()}>
                                <tspan class="kind">{ format!("{:<10}", r.kind.label()) }</tspan>
                                { short_url(&r.url, page_origin) }
                            </text>
                            <text class={classes!("mark", a.verdict.reuse.key())} x={(LABEL_W + 8.0).to_string()} y={(y + 16.0).to_string()}
                                  aria-label={mark_label}>{ mark }</text>
                            { if row.segments.is_empty() && r.timing.is_some() && row.placement == Placement::Inside {
                                html! { <rect class="seg hidden-detail" x={(bars_x + row.x).to_string()} y={(y + 5.0).to_string()}
                                              width={row.width.max(1.0).to_string()} height={(ROW_H - 10.0).to_string()} /> }
                            } else { html! {} } }
                            { for row.segments.iter().map(|s| html! {
                                <rect class={classes!("seg", format!("ph-{}", s.phase.key()))} x={(bars_x + s.x).to_string()} y={(y + 4.0).to_string()}
                                      width={s.width.max(0.5).to_string()} height={(ROW_H - 8.0).to_string()} />
                            }) }
                            { match row.placement {
                                // Zoomed in: say where the bar went instead of drawing a sliver at the edge.
                                Placement::Inside => html! {
                                    <text class="conn" x={(bars_x + row.x + row.width + 6.0).to_string()} y={(y + 15.0).to_string()}>
                                        { if conn.is_empty() { String::new() } else { format!("#{conn}") } }
                                    </text>
                                },
                                Placement::Before => html! {
                                    <text class="conn off" x={(bars_x + 4.0).to_string()} y={(y + 15.0).to_string()}>
                                        { format!("◂ earlier{}", if conn.is_empty() { String::new() } else { format!(" #{conn}") }) }
                                    </text>
                                },
                                Placement::After => html! {
                                    <text class="conn off" x={(bars_x + axis.width - 4.0).to_string()} y={(y + 15.0).to_string()} text-anchor="end">
                                        { format!("{}later ▸", if conn.is_empty() { String::new() } else { format!("#{conn} ") }) }
                                    </text>
                                },
                            } }
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
