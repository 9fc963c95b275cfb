//! The connection view: one lane per connection, its requests placed along it, the
//! handshake drawn where the lane starts. Server truth or timing-inferred lanes.

use super::chart::{time_axis, AXIS_H, BARS_W, WIDTH};
use connscope_core::geometry::{self, Axis};
use connscope_core::text::{describe, format_ms, plural};
use connscope_core::{Analysis, Recorded, Request, Source};
use std::rc::Rc;
use yew::prelude::*;

const LANE_H: f64 = 26.0;
const LABEL_W: f64 = WIDTH - BARS_W - 20.0;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub requests: Rc<Vec<Request>>,
    pub analysis: Rc<Analysis>,
    pub source: Source,
    pub selected: Option<usize>,
    pub on_select: Callback<Option<usize>>,
    pub on_source: Callback<Source>,
}

#[function_component(ConnectionView)]
pub fn connection_view(p: &Props) -> Html {
    let axis = use_memo(p.requests.clone(), |r| Axis::covering(r, BARS_W));
    if p.requests.is_empty() {
        return html! {};
    }
    let truth = &p.analysis.truth_connections;
    let inferred = &p.analysis.inferred_connections;
    let (source, lanes) = p.analysis.lanes(p.source);
    // Each lane is as tall as the requests it carried at once need (h2 streams stack).
    let (layout, bottom) = geometry::lanes(lanes, &p.analysis, AXIS_H + 4.0, LANE_H);
    let height = bottom + 4.0;
    let button = |s: Source, label: String, enabled: bool| {
        let cb = p.on_source.reform(move |_| s);
        html! { <button type="button" disabled={!enabled} aria-pressed={(source == s).to_string()} onclick={cb}>{label}</button> }
    };
    let differs = p.analysis.differing();
    let (recorded_label, recorded_hint) = Recorded::of(truth).words();
    html! {
        <section class="connections" aria-labelledby="conn-h">
            <div class="section-head">
                <h2 id="conn-h">{"Connections"}</h2>
                <div class="toggle" role="group" aria-label="Lanes from">
                    { button(Source::Truth, format!("{recorded_label} ({})", truth.len()), !truth.is_empty()) }
                    { button(Source::Inferred, format!("Inferred from timing ({})", inferred.len()), true) }
                </div>
            </div>
            <p class="hint">{
                if source == Source::Truth {
                    format!("Each lane is one connection {recorded_hint}, with the time each request used it: handshake, waiting, download. Queueing is left out: the request had no connection yet.")
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
            <svg class="chart lanes" viewBox={format!("0 0 {WIDTH} {height}")} width="100%" role="list"
                 aria-label={format!("{} connections", lanes.len())}>
                { time_axis(&axis, LABEL_W, height) }
                { for lanes.iter().zip(&layout).map(|(c, lane)| {
                    let (y, tracks) = (lane.y, &lane.tracks);
                    let host = |o: &str| o.split("://").nth(1).unwrap_or(o).to_string();
                    let hosts: Vec<String> = std::iter::once(&c.origin).chain(&c.other_origins).map(|o| host(o)).collect();
                    let label = format!("#{} {} {}", c.id, hosts.join(" + "), c.protocol);
                    let origins: Vec<&str> = std::iter::once(&c.origin).chain(&c.other_origins).map(String::as_str).collect();
                    // Enter (or Space) on a focused lane selects its requests one after another.
                    let on_key = {
                        let next = c.next_request(p.selected);
                        let cb = p.on_select.clone();
                        Callback::from(move |e: KeyboardEvent| if e.key() == "Enter" || e.key() == " " {
                            e.prevent_default();
                            cb.emit(next);
                        })
                    };
                    html! {
                        <g class="lane" key={c.id.clone()} role="listitem" tabindex="0" onkeydown={on_key}
                           data-connection={c.id.clone()} data-origin={c.origin.clone()} data-origins={origins.join(" ")}
                           data-source={if c.source == Source::Truth { "truth" } else { "inferred" }}
                           data-requests={c.requests.len().to_string()} data-tracks={tracks.count.to_string()}
                           aria-label={format!("connection {}: {}{}{}. Enter selects them in turn.", label, plural(c.requests.len(), "request"),
                                if tracks.count > 1 { format!(", up to {} at once", tracks.count) } else { String::new() },
                                c.handshake_ms.map(|h| format!(", handshake {}", format_ms(h))).unwrap_or_default())}>
                            <rect class="lane-bg" x="0" y={y.to_string()} width={WIDTH.to_string()} height={(lane.height - 2.0).to_string()} />
                            <text class="label" x="6" y={(y + 16.0).to_string()}>
                                { label }
                                <tspan class="count">{ format!(" · {}", plural(c.requests.len(), "request")) }</tspan>
                                { if tracks.count > 1 { html! { <tspan class="count" x="6" dy="14">{ format!("up to {} at once", tracks.count) }</tspan> } } else { html! {} } }
                            </text>
                            { for c.requests.iter().zip(&tracks.of).map(|(&i, &track)| {
                                // This request's band in the lane: handshakes fill most of it, the
                                // request's own time a thinner bar in its middle.
                                let marks = lane.marks(track);
                                let a = &p.analysis.requests[i];
                                let r = &p.requests[i];
                                let on_wire: Vec<Html> = a.phases.on_connection()
                                    .map(|s| {
                                        let (top, h) = marks.of(s.phase);
                                        html! { <rect class={classes!("seg", format!("ph-{}", s.phase.key()), (!s.phase.is_handshake()).then_some("req-bar"))}
                                            x={(LABEL_W + axis.x(s.start)).to_string()} y={top.to_string()}
                                            width={(axis.x(s.end) - axis.x(s.start)).max(1.0).to_string()} height={h.to_string()} /> }
                                    })
                                    .collect();
                                let hidden = if a.phases.detail_hidden {
                                    let (x0, x1) = (LABEL_W + axis.x(a.phases.start), LABEL_W + axis.x(a.phases.end));
                                    html! { <rect class="seg hidden-detail" x={x0.to_string()} y={marks.request_y.to_string()}
                                        width={(x1 - x0).max(1.5).to_string()} height={marks.request_h.to_string()} /> }
                                } else { html! {} };
                                let differs = a.verdict.agreement.differs();
                                let id = i;
                                html! { <g class={classes!("req", differs.then_some("differs"), (p.selected == Some(i)).then_some("selected"))}
                                           onclick={p.on_select.reform(move |_| Some(id))}>
                                    <title>{ describe(r, a) }</title>
                                    { for on_wire }
                                    { hidden }
                                </g> }
                            }) }
                        </g>
                    }
                }) }
            </svg>
            </div>
        </section>
    }
}
