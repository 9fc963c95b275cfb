//! A lesson's step: the question with its choices (the prediction), the run, and the
//! reveal with the figures this run measured; and the links to every lesson and step.

use super::Shared;
use connscope_core::lesson::{Lesson, Reveal, LESSONS};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lesson: &'static Lesson,
    /// 1-based.
    pub step: usize,
    pub picked: Option<usize>,
    pub running: bool,
    /// The step's run has begun (the choices are locked until the next step or run).
    pub ran: bool,
    pub reveal: Option<Shared<Reveal>>,
    /// The step's server, when it speaks HTTPS with the testbed's own certificate: a browser
    /// that has not accepted it yet cannot load the step.
    pub certificate_origin: Option<AttrValue>,
    /// A prediction made (the run starts with it), or None: run without one.
    pub on_run: Callback<Option<usize>>,
    pub on_go: Callback<usize>,
}

#[function_component(LessonView)]
pub fn lesson_view(p: &Props) -> Html {
    let count = p.lesson.steps.len();
    let Some(step) = p.lesson.steps.get(p.step.saturating_sub(1)) else {
        return html! {};
    };
    let n = p.step;
    let go = |to: usize| p.on_go.reform(move |_: MouseEvent| to);
    let choices = step.choices.iter().enumerate().map(|(k, text)| {
        let pressed = p.picked == Some(k);
        let answer = p.reveal.as_ref().and_then(|r| r.answer) == Some(k);
        html! {
            <button type="button" class={classes!("choice", answer.then_some("answer"))} data-choice={k.to_string()}
                aria-pressed={pressed.to_string()} disabled={p.running || p.ran}
                onclick={p.on_run.reform(move |_: MouseEvent| Some(k))}>
                <span class="choice-letter" aria-hidden="true">{ char::from(b'A' + k as u8) }</span>{ *text }
            </button>
        }
    });
    let reveal = p.reveal.as_ref().map(|r| {
        let verdict = step.verdict(p.picked, r.answer);
        html! {
            <div class={classes!("reveal", r.answer.is_none().then_some("untold"))} data-reveal="" data-answer={r.answer.map(|a| a.to_string()).unwrap_or_default()}
                 data-picked={p.picked.map(|a| a.to_string()).unwrap_or_default()}>
                <p class="verdict"><strong>{ verdict }</strong></p>
                <dl class="facts">
                    { for r.facts.iter().map(|f| html! {
                        <div data-fact={f.key} data-value={format!("{:.3}", f.value)}><dt>{ f.label }</dt><dd>{ &f.text }</dd></div>
                    }) }
                </dl>
                <p class="measured">{ &r.measured }</p>
                <p class="shows">{ step.lesson }</p>
            </div>
        }
    });
    let action = if p.ran && !p.running { "Run this step again" } else { "Run without predicting" };
    html! {
        <section class="lesson" aria-labelledby="lesson-h" data-lesson={p.lesson.id}
                 data-lesson-step={n.to_string()} data-step-key={step.key}>
            <nav class="lesson-nav" aria-label="Lesson steps">
                <button type="button" data-lesson-prev="" disabled={n <= 1} onclick={go(n.saturating_sub(1))}
                    aria-label="Previous step">{"←"}</button>
                <span class="lesson-where">{ format!("Step {n} of {count}") }</span>
                <button type="button" data-lesson-next="" disabled={n >= count} onclick={go(n + 1)}
                    aria-label="Next step">{"→"}</button>
                <h2 id="lesson-h">{ step.title }</h2>
                <span class="lesson-title">{ p.lesson.title }</span>
                <a class="lesson-leave" href={format!("?scenario={}", step.scenario)}>{"Leave the lesson"}</a>
            </nav>
            { if n == 1 && !p.ran { html! { <p class="intro">{ p.lesson.intro }</p> } } else { html! {} } }
            <p class="question" id="lesson-q">{ step.question }</p>
            <div class="choices-row">
                <div class="choices" role="group" aria-labelledby="lesson-q">{ for choices }</div>
                <button type="button" data-lesson-run="" disabled={p.running}
                    onclick={p.on_run.reform(|_: MouseEvent| None)}>{ action }</button>
                <span class="hint">{ if p.running { "Running…" } else if p.ran { "" } else { "Pick an answer to run the step, or run it first. ← and → move between steps." } }</span>
            </div>
            { match (&p.certificate_origin, &p.reveal) {
                (Some(origin), None) => html! {
                    <p class="cert-note">{"This step's server speaks HTTPS with the testbed's own certificate. If your browser has not accepted it yet, the run cannot load the page: open "}
                        <a href={origin.clone()} target="_blank" rel="noopener">{ origin.clone() }</a>
                        {" once, accept the warning, then run the step."}</p>
                },
                _ => html! {},
            } }
            <div aria-live="polite">{ reveal.unwrap_or_default() }</div>
        </section>
    }
}

/// The lessons on the start screen, each step its own link.
#[function_component(LessonLinks)]
pub fn lesson_links() -> Html {
    html! {
        <nav class="lessons" aria-label="Lessons">
            { for LESSONS.iter().map(|l| html! {
                <details>
                    <summary><a href={format!("?lesson={}", l.id)} data-lesson-link={l.id}>{ format!("Lesson: {}", l.title) }</a>
                        { format!(" ({} steps)", l.steps.len()) }</summary>
                    <ol>
                        { for l.steps.iter().enumerate().map(|(i, s)| html! {
                            <li><a href={format!("?lesson={}&step={}", l.id, i + 1)} data-lesson-step-link={s.key}>{ s.title }</a></li>
                        }) }
                    </ol>
                </details>
            }) }
        </nav>
    }
}
