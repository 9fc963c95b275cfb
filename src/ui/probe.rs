//! A probe's progress and result: which question it is on, how long is left, and what it
//! found, in numbers and in a sentence. `[data-probe]` carries the figures for tests.

use connscope_core::probe::{Browser, Idle, ProbeStatus, Stage};
use connscope_core::text::format_ms;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub status: ProbeStatus,
    pub browser: Browser,
}

const STAGES: [Stage; 3] = [Stage::KeepsConnections, Stage::RequestsPerConnection, Stage::IdleTimeout];

fn seconds(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format_ms(ms)
    }
}

#[function_component(ProbeView)]
pub fn probe_view(p: &Props) -> Html {
    let s = &p.status;
    let current = STAGES.iter().position(|st| *st == s.stage);
    let finished = matches!(s.stage, Stage::Done | Stage::Failed | Stage::Cancelled);
    let (estimate, low, high) = match s.idle {
        Some(Idle::Between { low, high }) => (Some(Idle::Between { low, high }.estimate_ms()), Some(low), Some(high)),
        Some(Idle::LongerThan(ms)) => (Some(ms), Some(ms), None),
        None => (None, None, None),
    };
    let attr = |v: Option<f64>| v.map(|ms| format!("{ms:.0}"));
    let step_class = |i: usize| match current {
        Some(c) if i < c => "done",
        Some(c) if i == c => "current",
        None if finished && s.stage == Stage::Done => "done",
        _ => "pending",
    };
    let progress = if finished {
        format!("{} after {} request{}.", s.stage.label(), s.requests_sent, if s.requests_sent == 1 { "" } else { "s" })
    } else {
        let left = s.eta_ms.map(|ms| format!(", about {} left", seconds(ms))).unwrap_or_default();
        format!(
            "Step {} of 3: {} ({} requests sent{left})",
            current.map_or(1, |c| c + 1),
            s.stage.label(),
            s.requests_sent
        )
    };
    let idle_text = match s.idle {
        Some(Idle::Between { low, high }) => format!(
            "about {} (between {} and {})",
            seconds(Idle::Between { low, high }.estimate_ms()),
            seconds(low),
            seconds(high)
        ),
        Some(Idle::LongerThan(ms)) => format!("longer than {}", seconds(ms)),
        None if s.keep_alive == Some(false) => "none: nothing stays open".into(),
        None => "—".into(),
    };
    let max_text = match s.max_requests {
        Some(connscope_core::probe::Count::Exactly(n)) => n.to_string(),
        Some(connscope_core::probe::Count::AtLeast(n)) => format!("at least {n} (no cap seen)"),
        None => "—".into(),
    };
    html! {
        <section class="probe" aria-labelledby="probe-h" aria-live="polite"
                 data-probe={s.stage.key()}
                 data-keep-alive={s.keep_alive.map(|k| k.to_string())}
                 data-max-requests={s.max_requests.map(|c| c.key())}
                 data-idle-timeout-ms={attr(estimate)}
                 data-idle-timeout-low-ms={attr(low)}
                 data-idle-timeout-high-ms={attr(high)}
                 data-protocol={s.protocol.clone()}>
            <h2 id="probe-h">{ format!("Keep-alive policy of {}", s.origin) }</h2>
            <ol class="probe-steps">
                { for STAGES.iter().enumerate().map(|(i, st)| html! {
                    <li class={step_class(i)} aria-current={(current == Some(i)).then_some("step")}>{ st.label() }</li>
                }) }
            </ol>
            <p class="probe-progress">{ progress }</p>
            { if !finished { html! {
                <progress max="3" value={current.map_or(0, |c| c).to_string()} aria-label="Probe progress"></progress>
            } } else { html! {} } }
            <dl class="probe-result">
                <dt>{"Keeps connections"}</dt><dd>{ match s.keep_alive { Some(true) => "yes", Some(false) => "no", None => "—" } }</dd>
                <dt>{"Requests per connection"}</dt><dd>{ max_text }</dd>
                <dt>{"Idle timeout"}</dt><dd>{ idle_text }</dd>
                <dt>{"Protocol"}</dt><dd>{ s.protocol.clone().unwrap_or_else(|| "—".into()) }</dd>
            </dl>
            { if finished { html! { <p class="probe-sentence">{ s.sentence(p.browser) }</p> } } else { html! {} } }
        </section>
    }
}
