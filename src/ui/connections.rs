//! The connection view: one lane per connection, its requests placed along it, the
//! handshake drawn where the lane starts. Server truth or timing-inferred lanes.

use super::chart::{closest_number, time_axis, use_view_span, AXIS_H, BARS_W, WIDTH};
use connscope_core::geometry::{self, lanes_in_view, Axis, Lane};
use connscope_core::text::{describe, escape_markup as esc, format_ms, plural};
use connscope_core::{Analysis, Connection, Recorded, Request, Source};
use std::fmt::Write;
use yew::prelude::*;

const LANE_H: f64 = 26.0;
const LABEL_W: f64 = WIDTH - BARS_W - 20.0;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub requests: super::Shared<Vec<Request>>,
    pub analysis: super::Shared<Analysis>,
    pub source: Source,
    pub selected: Option<usize>,
    pub on_select: Callback<Option<usize>>,
    pub on_source: Callback<Source>,
    /// The start of the element ids of this view: two on one page (a comparison) need two.
    #[prop_or(AttrValue::Static("conn"))]
    pub id_prefix: AttrValue,
    /// Draw from 0 to at least this time (ms): two runs compared share one time axis.
    #[prop_or_default]
    pub until_ms: Option<f64>,
}

#[function_component(ConnectionView)]
pub fn connection_view(p: &Props) -> Html {
    let axis = use_memo((p.requests.clone(), p.until_ms.map(f64::to_bits)), |(r, until)| {
        Axis::covering_until(r, BARS_W, until.map(f64::from_bits))
    });
    let heading = format!("{}-h", p.id_prefix);
    let svg_ref = use_node_ref();
    // Only the lanes near the part of the chart in view are drawn.
    let span = use_view_span(svg_ref.clone());
    let (source, _) = p.analysis.lanes(p.source);
    // Each lane is as tall as the requests it carried at once need (h2 streams stack).
    let layout = use_memo((p.analysis.clone(), source), |(analysis, source)| {
        geometry::lanes(analysis.lanes(*source).1, analysis, AXIS_H + 4.0, LANE_H)
    });
    if p.requests.is_empty() {
        return html! {};
    }
    let truth = &p.analysis.truth_connections;
    let inferred = &p.analysis.inferred_connections;
    let upstream = &p.analysis.upstream_connections;
    let lanes = p.analysis.lanes(p.source).1;
    let (layout, bottom) = (&layout.0, layout.1);
    let height = bottom + 4.0;
    let button = |s: Source, label: String, enabled: bool| {
        let cb = p.on_source.reform(move |_| s);
        html! { <button type="button" disabled={!enabled} aria-pressed={(source == s).to_string()} onclick={cb}>{label}</button> }
    };
    let differs = p.analysis.differing();
    let (recorded_label, recorded_hint) = Recorded::of(truth).words();
    let shown = lanes_in_view(layout, span);

    // Events are handled once, on the chart: a click on a request selects it; Enter (or
    // Space) on a focused lane selects its requests one after another.
    let on_click = {
        let select = p.on_select.clone();
        Callback::from(move |e: MouseEvent| {
            if let Some(i) = closest_number(&e, "data-req") {
                select.emit(Some(i));
            }
        })
    };
    let on_key = {
        let (select, analysis, selected) = (p.on_select.clone(), p.analysis.clone(), p.selected);
        let source = p.source;
        Callback::from(move |e: KeyboardEvent| {
            if e.key() != "Enter" && e.key() != " " {
                return;
            }
            let Some(k) = closest_number(&e, "data-lane") else { return };
            if let Some(c) = analysis.lanes(source).1.get(k) {
                e.prevent_default();
                select.emit(c.next_request(selected));
            }
        })
    };
    html! {
        <section class="connections" aria-labelledby={heading.clone()}>
            <div class="section-head">
                <h2 id={heading}>{"Connections"}</h2>
                <div class="toggle" role="group" aria-label="Lanes from">
                    { button(Source::Truth, format!("{recorded_label} ({})", truth.len()), !truth.is_empty()) }
                    { button(Source::Inferred, format!("Inferred from timing ({})", inferred.len()), true) }
                    { if upstream.is_empty() { html!{} } else {
                        button(Source::Upstream, format!("Behind the proxy ({})", upstream.len()), true)
                    } }
                </div>
            </div>
            <p class="hint">{
                if source == Source::Truth {
                    format!("Each lane is one connection {recorded_hint}, with the time each request used it: handshake, waiting, download. Queueing is left out: the request had no connection yet.{}",
                        if upstream.is_empty() { "" } else { " These are the browser's connections to the proxy; \"Behind the proxy\" shows the proxy's own connections to the origin server, a hop the browser never sees." })
                } else if source == Source::Upstream {
                    "Behind the proxy: each lane is a connection from the proxy to the origin server, as the proxy reported it (up-conn in Server-Timing), with the requests it forwarded on it, drawn at the times the browser saw them. Persistence is per hop: the browser may keep one connection to the proxy while the proxy opens one to the origin for every request.".to_string()
                } else {
                    "Each lane is a guess from timing alone: the API has no connection id. HTTP/1.1 lanes carry one request at a time; h2 lanes multiplex.".to_string()
                }
            }{ if differs > 0 { format!(" {differs} request(s) where timing and server differ are outlined.") } else { String::new() } }
            { " Click a request, or Tab to a lane and press Enter to step through its requests, to see one's details." }
            { if truth.is_empty() && !inferred.is_empty() {
                " No response told which connection carried it (no Server-Timing, or a browser that hides it cross-origin, as WebKit does), so only inferred lanes exist."
            } else { "" } }</p>
            { if lanes.is_empty() { html!{ <p>{"No connection could be identified: every request's connection is unknown."}</p> } } else { html!{} } }
            <div class="chart-wrap">
            <svg class="chart lanes" ref={svg_ref} viewBox={format!("0 0 {WIDTH} {height}")} width="100%" role="list"
                 onclick={on_click} onkeydown={on_key}
                 aria-label={format!("{} connections", lanes.len())}>
                { time_axis(&axis, LABEL_W, height) }
                // One keyed list of its own, as the waterfall's rows are: lanes keep their
                // elements as the page scrolls. Keyed by place in the list: a server's
                // connection ids are its own, so two origins' servers can both have a "0".
                { shown.map(|k| {
                    let (c, lane) = (&lanes[k], &layout[k]);
                    let tracks = &lane.tracks;
                    let hosts: Vec<&str> = std::iter::once(&c.origin).chain(&c.other_origins).map(|o| o.split("://").nth(1).unwrap_or(o)).collect();
                    let label = format!("#{} {} {}", c.id, hosts.join(" + "), c.protocol);
                    let origins: Vec<&str> = std::iter::once(&c.origin).chain(&c.other_origins).map(String::as_str).collect();
                    let inner = lane_markup(c, lane, &label, p, &axis);
                    html! {
                        <g class="lane" key={k} role="listitem" tabindex="0" data-lane={k.to_string()}
                           aria-setsize={lanes.len().to_string()} aria-posinset={(k + 1).to_string()}
                           data-connection={c.id.clone()} data-origin={c.origin.clone()} data-origins={origins.join(" ")}
                           data-source={match c.source { Source::Truth => "truth", Source::Inferred => "inferred", Source::Upstream => "upstream" }}
                           data-requests={c.requests.len().to_string()} data-tracks={tracks.count.to_string()}
                           aria-label={format!("connection {}: {}{}{}. Enter selects them in turn.", label, plural(c.requests.len(), "request"),
                                if tracks.count > 1 { format!(", up to {} at once", tracks.count) } else { String::new() },
                                c.handshake_ms.map(|h| format!(", handshake {}", format_ms(h))).unwrap_or_default())}>
                            { Html::from_html_unchecked(inner.into()) }
                        </g>
                    }
                }).collect::<Html>() }
            </svg>
            </div>
        </section>
    }
}

/// What is drawn inside one lane, as SVG markup (see the waterfall's rows): its background,
/// label, and each request's band, handshakes filling most of it and the request's own time
/// a thinner bar in its middle.
fn lane_markup(c: &Connection, lane: &Lane, label: &str, p: &Props, axis: &Axis) -> String {
    let (y, tracks) = (lane.y, &lane.tracks);
    let mut m = String::with_capacity(256 + c.requests.len() * 400);
    let _ = write!(
        m,
        r#"<rect class="lane-bg" x="0" y="{y}" width="{WIDTH}" height="{}"/><text class="label" x="6" y="{}">{}<tspan class="count"> · {}</tspan>"#,
        lane.height - 2.0,
        y + 16.0,
        esc(label),
        plural(c.requests.len(), "request")
    );
    if tracks.count > 1 {
        let _ = write!(m, r#"<tspan class="count" x="6" dy="14">up to {} at once</tspan>"#, tracks.count);
    }
    m.push_str("</text>");
    for (&i, &track) in c.requests.iter().zip(&tracks.of) {
        let (Some(a), Some(r)) = (p.analysis.requests.get(i), p.requests.get(i)) else { continue };
        let marks = lane.marks(track);
        let _ = write!(
            m,
            r#"<g class="req{}{}" data-req="{i}"><title>{}</title>"#,
            if a.verdict.agreement.differs() { " differs" } else { "" },
            if p.selected == Some(i) { " selected" } else { "" },
            esc(&describe(r, a))
        );
        for s in a.phases.on_connection() {
            let (top, h) = marks.of(s.phase);
            let _ = write!(
                m,
                r#"<rect class="seg ph-{}{}" x="{}" y="{top}" width="{}" height="{h}"/>"#,
                s.phase.key(),
                if s.phase.is_handshake() { "" } else { " req-bar" },
                LABEL_W + axis.x(s.start),
                (axis.x(s.end) - axis.x(s.start)).max(1.0)
            );
        }
        if a.phases.detail_hidden {
            let (x0, x1) = (LABEL_W + axis.x(a.phases.start), LABEL_W + axis.x(a.phases.end));
            let _ = write!(
                m,
                r#"<rect class="seg hidden-detail" x="{x0}" y="{}" width="{}" height="{}"/>"#,
                marks.request_y,
                (x1 - x0).max(1.5),
                marks.request_h
            );
        }
        m.push_str("</g>");
    }
    m
}
