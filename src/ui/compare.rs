//! Two runs compared: the difference table (measured beside estimated), then each run's
//! waterfall and connection view on one shared time axis, one above the other; and the
//! pairs worth comparing, one click away.

use super::Shared;
use connscope_core::compare::{pairs_served, Difference, Side};
use connscope_core::geometry::Order;
use connscope_core::text::format_ms;
use connscope_core::{Analysis, Request, Source};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PairsProps {
    /// The scenario ids the testbed serves: a pair is offered when it serves both.
    pub ids: Vec<String>,
}

#[function_component(Pairs)]
pub fn pairs(p: &PairsProps) -> Html {
    let links: Vec<Html> = pairs_served(&p.ids)
        .into_iter()
        .map(|(pair, label)| html! { <a href={format!("?compare={pair}&autorun=1")} data-compare-link={pair}>{label}</a> })
        .collect();
    if links.is_empty() {
        return html! {};
    }
    html! { <nav class="pairs" aria-label="Compare two runs"><span>{"Compare: "}</span>{ for links }</nav> }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    /// Each side's scenario id and title.
    pub ids: [String; 2],
    pub titles: [String; 2],
    /// A is what was shown (a recording or the last run) as it was, not a run made now.
    pub recorded: bool,
    /// Each run on a clock starting at its first request, and its analysis.
    pub requests: [Shared<Vec<Request>>; 2],
    pub analyses: [Shared<Analysis>; 2],
    pub difference: Shared<Difference>,
    pub order: Order,
    pub on_order: Callback<Order>,
    pub lanes: Source,
    pub on_source: Callback<Source>,
}

fn figures(s: &Side) -> [String; 4] {
    [
        s.connections.to_string(),
        format!("{} ({})", s.handshakes, format_ms(s.handshake_ms)),
        format_ms(s.total_ms),
        s.estimated_saving_ms.map_or_else(|| "—".to_string(), format_ms),
    ]
}

#[function_component(CompareView)]
pub fn compare_view(p: &Props) -> Html {
    let d = &p.difference;
    let (fa, fb) = (figures(&d.a), figures(&d.b));
    let measures = [
        ("connections", "Connections opened"),
        ("handshakes", "Handshakes paid (their time)"),
        ("total", "Total time, first start to last byte (measured)"),
        ("saving", "Saved by reuse (estimated: handshakes avoided × their median)"),
    ];
    let until = d.a.total_ms.max(d.b.total_ms);
    let side = |k: usize| {
        let label = ["a", "b"][k];
        html! {
            <div class="compare-run" data-run-label={label} aria-labelledby={format!("cmp-{label}-h")}>
                <h3 id={format!("cmp-{label}-h")}>{ format!("{}: {}", label.to_uppercase(), p.titles[k]) }</h3>
                <super::waterfall::Waterfall
                    requests={p.requests[k].clone()}
                    analysis={p.analyses[k].clone()}
                    order={p.order}
                    selected={None::<usize>}
                    on_select={Callback::noop()}
                    on_order={p.on_order.clone()}
                    run_key={k as u64}
                    id_prefix={format!("wf-{label}")}
                    until_ms={until} />
                <super::connections::ConnectionView
                    requests={p.requests[k].clone()}
                    analysis={p.analyses[k].clone()}
                    source={p.lanes}
                    selected={None::<usize>}
                    on_select={Callback::noop()}
                    on_source={p.on_source.clone()}
                    id_prefix={format!("conn-{label}")}
                    until_ms={until} />
            </div>
        }
    };
    html! {
        <section class="compare" aria-labelledby="compare-h">
            <h2 id="compare-h">{ format!("A: {} vs B: {}", p.titles[0], p.titles[1]) }</h2>
            <div class="table-wrap">
                <table data-compare-summary="" data-measured-difference-ms={format!("{:.3}", d.measured_ms)}
                       data-a-total-ms={format!("{:.3}", d.a.total_ms)} data-b-total-ms={format!("{:.3}", d.b.total_ms)}
                       data-a-connections={d.a.connections.to_string()} data-b-connections={d.b.connections.to_string()}>
                    <thead><tr>
                        <th scope="col"></th>
                        <th scope="col">{ format!("A: {}", p.ids[0]) }</th>
                        <th scope="col">{ format!("B: {}", p.ids[1]) }</th>
                    </tr></thead>
                    <tbody>
                        { for measures.iter().enumerate().map(|(i, (key, name))| html! {
                            <tr data-measure={*key}><th scope="row">{*name}</th><td>{ fa[i].clone() }</td><td>{ fb[i].clone() }</td></tr>
                        }) }
                    </tbody>
                </table>
            </div>
            <p class="measured"><strong>{ &d.measured }</strong>
                {", measured: the time from each run's first request to its last byte, on one clock."}</p>
            <p class="why">{ &d.why }</p>
            <p class="hint">{ if p.recorded {
                    "Both are drawn from their own first request (0 ms) on one time axis. A is as it was recorded; B is a new run, started at once, so a page the last run loaded may find its connections still open (the last run against the same page again is the cold-versus-warm comparison)."
                } else {
                    "Both runs are drawn from their own first request (0 ms) on one time axis. Each started from cold connections (the app waited out the servers' idle timeout between them), except the same page twice, where the second finds the first one's connections still open."
                } }
                { if d.handshakes_negligible() { " Here a handshake cost well under a millisecond (a server on this machine), so other work decides the totals: start the testbed with a round trip (cargo xtask run --rtt 30) to see what a network adds." } else { "" } }</p>
            { side(0) }
            { side(1) }
        </section>
    }
}
