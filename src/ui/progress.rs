use connscope_core::RunState;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// A file being read for import, and what is happening to it.
    pub importing: Option<String>,
    pub state: RunState,
    pub done: usize,
    pub discovered: usize,
    pub target: String,
}

#[function_component(Progress)]
pub fn progress(p: &Props) -> Html {
    if let Some(what) = &p.importing {
        return html! {
            <section class="progress importing" aria-live="polite" aria-busy="true">
                <progress aria-label="import in progress" />
                <span class="progress-label">{what}</span>
            </section>
        };
    }
    let label = match p.state {
        RunState::Idle => "Ready. Pick a scenario or type a URL, then Run.".to_string(),
        RunState::Running => format!("Loading {}: {} of {} requests done", p.target, p.done, p.discovered),
        RunState::Done => format!("Done: {} requests from {}", p.discovered, p.target),
        RunState::Failed => format!("Failed: {}", p.target),
    };
    html! {
        <section class="progress" aria-live="polite">
            <progress max={p.discovered.max(1).to_string()} value={p.done.to_string()} aria-label="requests done" />
            <span class="progress-label">{label}</span>
        </section>
    }
}
