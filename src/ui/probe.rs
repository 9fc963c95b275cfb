//! A probe's progress and result: which question it is on, how long is left, and what it
//! found, in numbers and in a sentence. `[data-probe]` carries the figures for tests.

use connscope_core::probe::{Browser, Idle, ProbeStatus, Stage};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub status: ProbeStatus,
    pub browser: Browser,
}

#[function_component(ProbeView)]
pub fn probe_view(p: &Props) -> Html {
    let s = &p.status;
    let current = s.stage.step();
    let finished = matches!(s.stage, Stage::Done | Stage::Failed | Stage::Cancelled);
    let figures = s.idle.map(Idle::figures);
    let (estimate, low, high) = (figures.map(|f| f.0), figures.map(|f| f.1), figures.and_then(|f| f.2));
    let attr = |v: Option<f64>| v.map(|ms| format!("{ms:.0}"));
    let step_class = |i: usize| match current {
        Some(c) if i < c => "done",
        Some(c) if i == c => "current",
        None if finished && s.stage == Stage::Done => "done",
        _ => "pending",
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
                { for Stage::QUESTIONS.iter().enumerate().map(|(i, st)| html! {
                    <li class={step_class(i)} aria-current={(current == Some(i)).then_some("step")}>{ st.label() }</li>
                }) }
            </ol>
            <p class="probe-progress">{ s.progress_words() }</p>
            { if !finished { html! {
                <progress max="3" value={current.map_or(0, |c| c).to_string()} aria-label="Probe progress"></progress>
            } } else { html! {} } }
            <dl class="probe-result">
                <dt>{"Keeps connections"}</dt><dd>{ match s.keep_alive { Some(true) => "yes", Some(false) => "no", None => "—" } }</dd>
                <dt>{"Requests per connection"}</dt><dd>{ s.max_requests_words() }</dd>
                <dt>{"Idle timeout"}</dt><dd>{ s.idle_words() }</dd>
                <dt>{"Protocol"}</dt><dd>{ s.protocol.clone().unwrap_or_else(|| "—".into()) }</dd>
            </dl>
            { if finished { html! { <p class="probe-sentence">{ s.sentence(p.browser) }</p> } } else { html! {} } }
        </section>
    }
}
