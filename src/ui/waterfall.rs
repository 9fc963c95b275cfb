//! The waterfall: one row per request, phases as coloured segments on a shared time axis.

use super::chart::{closest_number, time_axis, use_view_span, AXIS_H, BARS_W, LABEL_W, MARK_W, ROW_H, WIDTH};
use super::Shared;
use connscope_core::geometry::{rows, rows_in_view, Axis, Order, Placement, Row};
use connscope_core::text::{describe, escape_markup as esc, format_ms as fmt_ms, reuse_mark, short_url};
use connscope_core::{Analysed, Analysis, Phase, Request};
use std::fmt::Write;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub requests: Shared<Vec<Request>>,
    pub analysis: Shared<Analysis>,
    pub order: Order,
    pub selected: Option<usize>,
    pub on_select: Callback<Option<usize>>,
    pub on_order: Callback<Order>,
    /// Changes with every run, which resets the zoom.
    pub run_key: u64,
    /// The start of the element ids of this chart (`<prefix>-row-<n>`): two waterfalls on
    /// one page (a comparison) need two.
    #[prop_or(AttrValue::Static("wf"))]
    pub id_prefix: AttrValue,
    /// Draw from 0 to at least this time (ms), whatever the run's own span: two runs
    /// compared share one time axis.
    #[prop_or_default]
    pub until_ms: Option<f64>,
}

#[function_component(Waterfall)]
pub fn waterfall(p: &Props) -> Html {
    let full = use_memo((p.requests.clone(), p.until_ms.map(f64::to_bits)), |(r, until)| {
        Axis::covering_until(r, BARS_W, until.map(f64::from_bits))
    });
    let prefix = p.id_prefix.to_string();
    let zoom = use_state(|| None::<(f64, f64)>);
    // The tooltip follows the mouse, else the keyboard focus.
    let hovered = use_state(|| None::<usize>);
    let focused = use_state(|| None::<usize>);
    let drag = use_state(|| None::<(f64, f64)>);
    let svg_ref = use_node_ref();
    // Only the rows near the part of the chart in view are drawn.
    let span = use_view_span(svg_ref.clone());
    // A row the keyboard moved to that was not drawn yet: focused once it is.
    let pending_focus = use_mut_ref(|| None::<usize>);
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
            <section class="waterfall empty" aria-labelledby={format!("{prefix}-h")}>
                <h2 id={format!("{prefix}-h")}>{"Waterfall"}</h2>
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
            <div class="tooltip" role="tooltip" id={format!("{prefix}-tip")} style={place}>
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

    // The rows drawn, and the one that takes Tab: the selected row where it is drawn, else
    // the first drawn (arrow keys move from there, so Tab passes a long chart in one step).
    let shown = rows_in_view(layout.len(), AXIS_H, ROW_H, span);
    let drawn = &layout[shown];
    let tab_row = p.selected.filter(|s| drawn.iter().any(|r| r.request == *s)).or(drawn.first().map(|r| r.request));
    let count = layout.len();

    // Events are handled once, on the chart, for the row they happened in.
    let on_click = {
        let select = p.on_select.clone();
        Callback::from(move |e: MouseEvent| {
            if let Some(id) = row_of(&e) {
                select.emit(Some(id));
            }
        })
    };
    let on_over = {
        let hovered = hovered.clone();
        Callback::from(move |e: MouseEvent| {
            let id = row_of(&e);
            if *hovered != id {
                hovered.set(id);
            }
        })
    };
    let on_leave = {
        let (hovered, on_up) = (hovered, on_up.clone());
        Callback::from(move |e: MouseEvent| {
            hovered.set(None);
            on_up.emit(e);
        })
    };
    let on_focus = {
        let (select, focused, prefix) = (p.on_select.clone(), focused.clone(), prefix.clone());
        Callback::from(move |e: FocusEvent| {
            if let Some(id) = row_of(&e) {
                // Firefox scrolls a focused SVG element's whole chart into view, not the row:
                // the row is brought back into view at once, before the chart redraws.
                if let Some(el) = row_element(&prefix, id) {
                    reveal(&el);
                }
                focused.set(Some(id));
                select.emit(Some(id));
            }
        })
    };
    let on_blur = {
        let focused = focused.clone();
        Callback::from(move |_: FocusEvent| focused.set(None))
    };
    let on_key = {
        let (select, layout, pending) = (p.on_select.clone(), layout.clone(), pending_focus.clone());
        let prefix = prefix.clone();
        Callback::from(move |e: KeyboardEvent| {
            let Some(id) = row_of(&e) else { return };
            let Some(at) = layout.iter().position(|r| r.request == id) else { return };
            let last = layout.len().saturating_sub(1);
            let to = match e.key().as_str() {
                "Enter" | " " => {
                    e.prevent_default();
                    select.emit(Some(id));
                    return;
                }
                "ArrowDown" => (at + 1).min(last),
                "ArrowUp" => at.saturating_sub(1),
                "PageDown" => (at + 20).min(last),
                "PageUp" => at.saturating_sub(20),
                "Home" => 0,
                "End" => last,
                _ => return,
            };
            e.prevent_default();
            if let Some(row) = layout.get(to) {
                *pending.borrow_mut() = Some(row.request);
                focus_row(&prefix, row.request, to, e.target());
            }
        })
    };
    // A row the keyboard moved to, drawn by this render: focus it. And the focused row, if
    // this render moved it (drawing rows before it can): a moved element loses the focus
    // without a blur, so it is given back, without scrolling.
    {
        let (pending, focused, prefix) = (pending_focus, *focused, prefix.clone());
        use_effect(move || {
            let id = *pending.borrow();
            if let Some(el) = id.and_then(|id| row_element(&prefix, id)) {
                pending.borrow_mut().take();
                focus_in_place(&el);
                reveal(&el);
            } else if let Some(el) = focused.and_then(|id| row_element(&prefix, id)) {
                let active = web_sys::window().and_then(|w| w.document()).and_then(|d| d.active_element());
                if active.as_ref() != Some(el.as_ref()) {
                    focus_in_place(&el);
                }
            }
        });
    }

    html! {
        <section class="waterfall" aria-labelledby={format!("{prefix}-h")}>
            <div class="section-head">
                <h2 id={format!("{prefix}-h")}>{"Waterfall"}</h2>
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
            } else { "Drag across the chart to zoom into a time range; select a request and press Fit selected to see its handshake up close. In the chart, the arrow keys, Page Up/Down, Home and End move between requests.".to_string() } }</p>
            <super::legend::Legend />
            <div class="chart-wrap">
            { tooltip.unwrap_or_default() }
            <svg class="chart" ref={svg_ref} viewBox={format!("0 0 {WIDTH} {height}")} width="100%" role="list"
                 onmousedown={on_down} onmousemove={on_move} onmouseup={on_up} onmouseleave={on_leave}
                 onclick={on_click} onmouseover={on_over} onfocusin={on_focus} onfocusout={on_blur} onkeydown={on_key}
                 aria-label={format!("Waterfall of {count} requests; each row describes its phases; arrow keys move between rows")}>
                { match *drag {
                    Some((a, b)) if (a - b).abs() > 1.0 => html! { <rect class="brush" x={a.min(b).to_string()} y="0"
                        width={(a - b).abs().to_string()} height={height.to_string()} /> },
                    _ => html! {},
                } }
                { time_axis(&axis, bars_x, height) }
                // The rows are one keyed list of their own (`collect`, not `for`, which the
                // macro splices among the unkeyed children above): Yew then diffs them by key
                // and keeps each row's element while the drawn span moves, instead of
                // matching rows by position from the end and replacing every one (and with
                // it the focused row) each time the span gained or lost a row at the end.
                { drawn.iter().map(|row| {
                    let id = row.request;
                    let (r, a) = (&p.requests[id], &p.analysis.requests[id]);
                    let conn = p.analysis.connection_label(id);
                    let mut attrs: Vec<(&'static str, String)> = Phase::ALL.iter()
                        .filter_map(|ph| a.phases.duration(*ph).map(|d| (ph.data_attribute(), format!("{d:.3}"))))
                        .collect();
                    if let Some(t) = &a.verdict.truth {
                        attrs.push(("data-server-connection", t.connection.clone()));
                        attrs.push(("data-server-request", t.request_number.to_string()));
                    }
                    if let Some(why) = a.verdict.inference.reason {
                        attrs.push(("data-unknown-reason", why.key().to_string()));
                    }
                    if let Some(up) = r.timing.as_ref().and_then(|t| t.upstream_truth()) {
                        attrs.push(("data-upstream-connection", up.hop.connection));
                        attrs.push(("data-upstream-request", up.hop.request_number.to_string()));
                        attrs.push(("data-upstream-origin", up.origin));
                    }
                    let protocol = r.timing.as_ref().and_then(|t| t.protocol()).unwrap_or("").to_string();
                    let inner = row_markup(row, r, a, &conn, page_origin, axis.width);
                    let mut vtag = html! {
                        <g class={classes!("row", a.verdict.reuse.key(), (p.selected == Some(id)).then_some("selected"))} key={id}
                           id={format!("{prefix}-row-{id}")} role="listitem" tabindex={if tab_row == Some(id) { "0" } else { "-1" }}
                           aria-setsize={count.to_string()} aria-posinset={(row.index + 1).to_string()}
                           data-row={id.to_string()} data-index={row.index.to_string()}
                           data-request-url={r.url.clone()} data-reuse={a.verdict.reuse.key()} data-connection={conn}
                           data-agreement={a.verdict.agreement.key()} data-inferred-reuse={a.verdict.inference.reuse.key()} data-protocol={protocol} data-kind={r.kind.label()}
                           data-total={format!("{:.3}", a.phases.total())}
                           aria-label={describe(r, a)} aria-describedby={(tip_for == Some(id)).then(|| format!("{prefix}-tip"))}>
                            { Html::from_html_unchecked(inner.into()) }
                        </g>
                    };
                    if let yew::virtual_dom::VNode::VTag(tag) = &mut vtag {
                        for (k, v) in attrs {
                            Rc::make_mut(tag).add_attribute(k, v);
                        }
                    }
                    vtag
                }).collect::<Html>() }
            </svg>
            </div>
        </section>
    }
}

/// What is drawn inside one row, as SVG markup: its background, label, reuse mark, bar
/// and connection. Markup, not virtual DOM: a row is redrawn whole when it changes, and
/// building a string is far cheaper (in time and in code) than building and diffing nodes.
fn row_markup(row: &Row, r: &Request, a: &Analysed, conn: &str, page_origin: &str, bars_w: f64) -> String {
    let y = AXIS_H + row.index as f64 * ROW_H;
    let bars_x = LABEL_W + MARK_W;
    let key = a.verdict.reuse.key();
    let (mark, mark_label) = reuse_mark(a.verdict.reuse);
    let mut m = String::with_capacity(640);
    let _ = write!(
        m,
        r#"<rect class="row-bg" x="0" y="{y}" width="{WIDTH}" height="{ROW_H}"/><text class="label" x="6" y="{ty}"><tspan class="kind">{kind:<10}</tspan>{url}</text><text class="mark {key}" x="{mx}" y="{my}" aria-label="{mark_label}">{mark}</text>"#,
        ty = y + 15.0,
        kind = r.kind.label(),
        url = esc(&short_url(&r.url, page_origin)),
        mx = LABEL_W + 8.0,
        my = y + 16.0,
    );
    if row.segments.is_empty() && r.timing.is_some() && row.placement == Placement::Inside {
        let _ = write!(
            m,
            r#"<rect class="seg hidden-detail" x="{}" y="{}" width="{}" height="{}"/>"#,
            bars_x + row.x,
            y + 5.0,
            row.width.max(1.0),
            ROW_H - 10.0
        );
    }
    for s in &row.segments {
        let _ = write!(
            m,
            r#"<rect class="seg ph-{}" x="{}" y="{}" width="{}" height="{}"/>"#,
            s.phase.key(),
            bars_x + s.x,
            y + 4.0,
            s.width.max(0.5),
            ROW_H - 8.0
        );
    }
    let conn = esc(conn);
    let hash = if conn.is_empty() { String::new() } else { format!("#{conn}") };
    // Zoomed in: say where the bar went instead of drawing a sliver at the edge.
    let _ = match row.placement {
        Placement::Inside => {
            write!(m, r#"<text class="conn" x="{}" y="{}">{hash}</text>"#, bars_x + row.x + row.width + 6.0, y + 15.0)
        }
        Placement::Before => {
            let space = if hash.is_empty() { "" } else { " " };
            write!(m, r#"<text class="conn off" x="{}" y="{}">◂ earlier{space}{hash}</text>"#, bars_x + 4.0, y + 15.0)
        }
        Placement::After => {
            let space = if hash.is_empty() { "" } else { " " };
            write!(
                m,
                r#"<text class="conn off" x="{}" y="{}" text-anchor="end">{hash}{space}later ▸</text>"#,
                bars_x + bars_w - 4.0,
                y + 15.0
            )
        }
    };
    m
}

/// The request of the row an event happened in (its `data-row`).
fn row_of(e: &Event) -> Option<usize> {
    closest_number(e, "data-row")
}

fn row_element(prefix: &str, id: usize) -> Option<web_sys::SvgElement> {
    web_sys::window()?.document()?.get_element_by_id(&format!("{prefix}-row-{id}"))?.dyn_into().ok()
}

/// Focuses `el` without the browser scrolling (Firefox would scroll to the chart's top).
fn focus_in_place(el: &web_sys::SvgElement) {
    let options = web_sys::FocusOptions::new();
    options.set_prevent_scroll(true);
    let _ = el.focus_with_options(&options);
}

/// Scrolls the page the least that brings `el` wholly into view.
fn reveal(el: &web_sys::Element) {
    let Some(w) = web_sys::window() else { return };
    let view_h = w.inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(800.0);
    let r = el.get_bounding_client_rect();
    let dy = if r.top() < 0.0 {
        r.top() - 8.0
    } else if r.bottom() > view_h {
        r.bottom() - view_h + 8.0
    } else {
        return;
    };
    w.scroll_by_with_x_and_y(0.0, dy);
}

/// Moves the keyboard focus to row `id` (at `index`): at once where it is drawn; otherwise
/// the page scrolls to it, and the render that draws it focuses it.
fn focus_row(prefix: &str, id: usize, index: usize, from: Option<web_sys::EventTarget>) {
    if let Some(el) = row_element(prefix, id) {
        focus_in_place(&el);
        reveal(&el);
        return;
    }
    let Some(svg) =
        from.and_then(|t| t.dyn_into::<web_sys::Element>().ok()).and_then(|el| el.closest("svg").ok().flatten())
    else {
        return;
    };
    let rect = svg.get_bounding_client_rect();
    let scale = rect.width() / WIDTH;
    let Some(w) = web_sys::window() else { return };
    let view_h = w.inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(800.0);
    let row_top = rect.top() + (AXIS_H + index as f64 * ROW_H) * scale;
    w.scroll_by_with_x_and_y(0.0, row_top - view_h / 2.0);
}
