use connscope_core::text::format_ms as fmt_ms;
use connscope_core::{Analysis, Summary};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub analysis: super::Shared<Analysis>,
}

/// The table's columns, each with what it counts where the name alone could be read two ways
/// (shown on hover and read by screen readers).
const COLUMNS: [(&str, Option<&str>); 12] = [
    ("Origin", None),
    ("Requests", None),
    ("New conns", Some("Requests that opened a new connection")),
    ("Reused", Some("Requests sent on a connection that was already open")),
    ("Unknown", Some("Requests whose connection the browser did not reveal (no Timing-Allow-Origin, failed, or cached)")),
    ("Reuse", Some("Reused requests as a share of those whose connection is known")),
    ("Handshakes", Some("Time in TCP and TLS handshakes, all new connections together; the reading above gives one handshake's median")),
    ("Protocol", None),
    ("At once", Some("HTTP/1.1: the most connections in use at the same moment (one request each); browsers open at most 6 per host")),
    ("Queued", Some("Requests that waited 10 ms or more in the browser's queue before being sent, and that time in all")),
    ("Total time", Some("From the first request's start to the last byte")),
    ("Reuse saved", Some("The handshakes that reused requests skipped, each priced at the median handshake measured on its origin in this run")),
];

fn row(s: &Summary, total: bool) -> Html {
    let ratio = s.reuse_ratio.map_or("—".to_string(), |r| format!("{:.0}%", r * 100.0));
    let saved = match (s.saved_ms, s.reused) {
        // At least this much: some reuses had no handshake on their origin to price them by.
        (Some(v), _) if s.unpriced_reused > 0 => html! {
            <abbr title={format!("{} where a handshake was measured; {} reused request(s) on origins without one are not priced", fmt_ms(v), s.unpriced_reused)}
                  aria-label={format!("at least {}, {} reused requests not priced", fmt_ms(v), s.unpriced_reused)}>
                { format!("≥ {}", fmt_ms(v)) }
            </abbr>
        },
        (Some(v), _) => html! { fmt_ms(v) },
        (None, 0) => html! { "—" },
        (None, _) => html! { "not measured" },
    };
    // A connection opened before the first request (a preconnect) shows no handshake.
    let handshakes = if s.new_connections > 0 && s.median_handshake_ms.is_none() {
        "not seen".to_string()
    } else {
        fmt_ms(s.tcp_ms + s.tls_ms)
    };
    let proto = if s.protocols.is_empty() { "—".to_string() } else { s.protocols.join(", ") };
    let queued = if s.queued == 0 { "—".to_string() } else { format!("{} · {}", s.queued, fmt_ms(s.queued_ms)) };
    html! {
        <tr class={classes!(total.then_some("total"))} data-origin={(!total).then(|| s.origin.clone())}
            data-in-use-peak={s.peak_in_use.map(|n| n.to_string())} data-queued={s.queued.to_string()}>
            <th scope="row">{ &s.origin }</th>
            <td>{ s.requests }</td>
            <td>{ s.new_connections }</td>
            <td>{ s.reused }</td>
            <td>{ s.unknown }</td>
            <td>{ ratio }</td>
            <td>{ handshakes }</td>
            <td>{ proto }</td>
            <td>{ s.peak_in_use.map_or("—".to_string(), |n| n.to_string()) }</td>
            <td>{ queued }</td>
            <td>{ fmt_ms(s.span_ms) }</td>
            <td>{ saved }</td>
        </tr>
    }
}

/// The run's figures a class reads from the back row: requests, connections opened, reused,
/// the handshakes paid, the time from first start to last byte.
fn key_figures(t: &Summary) -> Html {
    let figure = |class: &'static str, key: &'static str, value: String, label: &'static str| {
        html! { <div class={class} data-figure={key}><dt>{label}</dt><dd>{value}</dd></div> }
    };
    html! {
        <dl class="key-figures" data-key-figures="">
            { figure("", "requests", t.requests.to_string(), "requests") }
            { figure("new", "new", t.new_connections.to_string(), "opened a connection") }
            { figure("reused", "reused", t.reused.to_string(), "reused one") }
            { if t.unknown > 0 { figure("unknown", "unknown", t.unknown.to_string(), "cannot tell") } else { html!{} } }
            { figure("", "handshakes", fmt_ms(t.tcp_ms + t.tls_ms), "in TCP and TLS handshakes") }
            { figure("", "span", fmt_ms(t.span_ms), "first start to last byte") }
        </dl>
    }
}

#[function_component(SummaryView)]
pub fn summary(p: &Props) -> Html {
    let a = &p.analysis;
    if a.total.requests == 0 {
        return html! {};
    }
    html! {
        <section class="summary" aria-labelledby="summary-h">
            <h2 id="summary-h">{"Summary"}</h2>
            { key_figures(&a.total) }
            <p class="reading">{ &a.reading }</p>
            <div class="table-wrap">
            <table>
                <thead><tr>
                    { for COLUMNS.iter().map(|(name, meaning)| match meaning {
                        Some(m) => html! { <th scope="col"><abbr title={*m}>{ *name }</abbr></th> },
                        None => html! { <th scope="col">{ *name }</th> },
                    }) }
                </tr></thead>
                <tbody>
                    { for a.origins.iter().map(|s| row(s, false)) }
                    { if a.origins.len() > 1 { row(&a.total, true) } else { html!{} } }
                </tbody>
            </table>
            </div>
        </section>
    }
}
