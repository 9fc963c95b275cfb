//! The top component and its state: a Reducible driven by Actions (STYLE.md). Side
//! effects — fetching the scenario list, running the loader — live in hooks and callbacks.

use crate::browser::loader::{self, Cancel, Options};
use crate::model::config::{RunConfig, ScenarioInfo};
use crate::model::geometry::Order;
use crate::model::{analyse, Event, Level, RunState, Session, Source};
use crate::ui;
use std::rc::Rc;
use yew::prelude::*;

/// Where the built-in static test page lives, relative to the app.
pub const STATIC_TESTPAGE: &str = "testpage/page.html";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    /// The theme the toggle moves to: system → dark → light → system.
    pub fn next(self) -> Theme {
        match self {
            Theme::System => Theme::Dark,
            Theme::Dark => Theme::Light,
            Theme::Light => Theme::System,
        }
    }
}

#[derive(Clone, PartialEq, Debug)]
pub enum Scenarios {
    Loading,
    /// From the testbed's `/api/scenarios`.
    Testbed(Rc<Vec<ScenarioInfo>>),
    /// No testbed: the built-in static page only.
    Static(String),
}

#[derive(Clone, PartialEq)]
pub struct AppState {
    pub session: Session,
    /// The current run; events of older runs are dropped.
    pub run: u32,
    pub scenarios: Scenarios,
    pub config: RunConfig,
    pub selected: Option<usize>,
    pub order: Order,
    pub lanes: Source,
    pub theme: Theme,
    pub presenting: bool,
}

impl Default for AppState {
    fn default() -> Self {
        AppState {
            session: Session::default(),
            run: 0,
            scenarios: Scenarios::Loading,
            config: RunConfig::default(),
            selected: None,
            order: Order::Start,
            lanes: Source::Truth,
            theme: Theme::System,
            presenting: false,
        }
    }
}

pub enum Action {
    Loader {
        run: u32,
        event: Box<Event>,
    },
    BeginRun(u32),
    ScenariosLoaded(Scenarios),
    Configure(RunConfig),
    Select(Option<usize>),
    SetOrder(Order),
    SetLanes(Source),
    /// The theme toggle: moves on from the theme in force when the click is handled,
    /// so two quick clicks take two steps.
    CycleTheme,
    TogglePresenting,
    Note(Level, String),
    /// A HAR file replaces the run (and ends any run in progress).
    Import {
        name: String,
        text: String,
    },
}

impl Reducible for AppState {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Loader { run, event } => {
                if run != s.run {
                    return self;
                }
                s.session.apply(*event);
            }
            Action::BeginRun(run) => {
                s.run = run;
                s.selected = None;
            }
            Action::ScenariosLoaded(list) => s.scenarios = list,
            Action::Configure(c) => s.config = c,
            Action::Select(i) => s.selected = i,
            Action::SetOrder(o) => s.order = o,
            Action::SetLanes(l) => s.lanes = l,
            Action::CycleTheme => s.theme = s.theme.next(),
            Action::TogglePresenting => s.presenting = !s.presenting,
            Action::Note(level, text) => s.session.apply(Event::Note { level, text }),
            Action::Import { name, text } => match crate::model::har::import(&text) {
                Ok(imported) => {
                    s.run += 1;
                    s.selected = None;
                    s.session.apply(Event::Imported {
                        target: format!("{} (from {name})", imported.page),
                        requests: imported.requests,
                        notes: imported.notes,
                        time_origin_ms: imported.time_origin_ms,
                    })
                }
                // The run shown, its selection and zoom stay.
                Err(e) => s.session.apply(Event::ImportFailed { file: name, error: e.to_string() }),
            },
        }
        Rc::new(s)
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(AppState::default);
    let cancel = use_mut_ref(Cancel::default);

    // On open: read the link, then the scenario list.
    {
        let dispatch = state.dispatcher();
        use_effect_with((), move |_| {
            let (config, problems) = RunConfig::from_query(&crate::browser::page::location_search());
            dispatch.dispatch(Action::Configure(config));
            for p in problems {
                dispatch.dispatch(Action::Note(Level::Warning, p));
            }
            wasm_bindgen_futures::spawn_local(async move {
                let list = match crate::browser::page::fetch_scenarios().await {
                    Ok(list) if !list.is_empty() => Scenarios::Testbed(Rc::new(list)),
                    Ok(_) => Scenarios::Static("the testbed lists no scenarios".into()),
                    Err(e) => Scenarios::Static(e),
                };
                dispatch.dispatch(Action::ScenariosLoaded(list));
            });
        });
    }

    let start_run = {
        let state = state.clone();
        let cancel = cancel.clone();
        Callback::from(move |_: ()| {
            cancel.borrow().cancel();
            let fresh = Cancel::default();
            *cancel.borrow_mut() = fresh.clone();
            let run = state.run + 1;
            let dispatch = state.dispatcher();
            dispatch.dispatch(Action::BeginRun(run));
            let scenarios: &[ScenarioInfo] = match &state.scenarios {
                Scenarios::Testbed(list) => list,
                _ => &[],
            };
            let target = state.config.target(scenarios, &crate::browser::page::static_page_url());
            crate::browser::page::write_location(&state.config);
            let opts = Options {
                concurrency: state.config.concurrency,
                pause_ms: state.config.pause_ms,
                limit: state.config.limit,
                max_depth: state.config.depth,
                ..Options::default()
            };
            wasm_bindgen_futures::spawn_local(async move {
                let report = move |event| dispatch.dispatch(Action::Loader { run, event: Box::new(event) });
                loader::load(target, opts, fresh, report).await;
            });
        })
    };

    // Autorun once the scenario list is known: on `autorun=1`, or when the link names
    // nothing (a newcomer sees a waterfall without doing anything).
    {
        let start_run = start_run.clone();
        let ready = !matches!(state.scenarios, Scenarios::Loading);
        let config = state.config.clone();
        use_effect_with(ready, move |ready| {
            if *ready && (config.autorun || (config.scenario.is_none() && config.url.is_none())) {
                start_run.emit(());
            }
        });
    }

    let on_cancel = {
        let cancel = cancel.clone();
        Callback::from(move |_: ()| cancel.borrow().cancel())
    };
    let dispatch = state.dispatcher();
    let on_config = {
        let dispatch = dispatch.clone();
        Callback::from(move |c: RunConfig| {
            crate::browser::page::write_location(&c);
            dispatch.dispatch(Action::Configure(c));
        })
    };
    let on_select = {
        let dispatch = dispatch.clone();
        Callback::from(move |i: Option<usize>| dispatch.dispatch(Action::Select(i)))
    };

    let requests = use_memo(state.session.requests.clone(), |r| r.clone());
    let analysis = use_memo(requests.clone(), |r| analyse(r));

    let theme_attr = match state.theme {
        Theme::System => None,
        Theme::Light => Some("light"),
        Theme::Dark => Some("dark"),
    };
    {
        let theme_attr = theme_attr.map(str::to_string);
        use_effect_with(theme_attr, |t| {
            crate::browser::page::set_theme(t.as_deref());
        });
    }
    let run_state = state.session.state;
    let (done, discovered) = state.session.progress();
    let scenarios = match &state.scenarios {
        Scenarios::Testbed(list) => Some(list.clone()),
        _ => None,
    };
    let no_testbed = match &state.scenarios {
        Scenarios::Static(why) => Some(why.clone()),
        _ => None,
    };
    let theme_label = match state.theme {
        Theme::System => "Theme: system",
        Theme::Dark => "Theme: dark",
        Theme::Light => "Theme: light",
    };

    html! {
        <main id="connscope" class={classes!("app", state.presenting.then_some("presenting"))}
              data-run-state={run_state.key()} aria-busy={(run_state == RunState::Running).to_string()}>
            // The hatching that marks time the browser hid, shared by every chart (CSS: url(#hatch)).
            <svg class="defs" width="0" height="0" aria-hidden="true" focusable="false">
                <defs>
                    <pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                        <rect class="hatch-bg" width="6" height="6" />
                        <rect class="hatch-fg" width="3" height="6" />
                    </pattern>
                </defs>
            </svg>
            <header class="top">
                <h1 class="brand">{"connscope"}</h1>
                <p class="tagline">{"Which requests opened a new connection, which reused one, and what each phase cost."}</p>
                <div class="top-actions">
                    <button type="button" onclick={dispatch.to_callback().reform(|_| Action::CycleTheme)}>{theme_label}</button>
                    <button type="button" aria-pressed={state.presenting.to_string()}
                        onclick={dispatch.to_callback().reform(|_| Action::TogglePresenting)}>{"Presentation mode"}</button>
                </div>
            </header>
            <ui::controls::Controls
                scenarios={scenarios}
                no_testbed={no_testbed}
                config={state.config.clone()}
                running={run_state == RunState::Running}
                on_change={on_config}
                on_run={start_run}
                on_cancel={on_cancel} />
            <ui::progress::Progress state={run_state} done={done} discovered={discovered} target={state.session.target.clone()} />
            <ui::messages::Messages messages={state.session.messages.clone()} />
            <ui::summary::SummaryView analysis={analysis.clone()} />
            <ui::waterfall::Waterfall
                requests={requests.clone()}
                analysis={analysis.clone()}
                order={state.order}
                selected={state.selected}
                on_select={on_select.clone()}
                on_order={dispatch.to_callback().reform(Action::SetOrder)}
                run_key={state.run} />
            <ui::details::Details requests={requests.clone()} analysis={analysis.clone()} selected={state.selected} />
            <ui::connections::ConnectionView
                requests={requests.clone()}
                analysis={analysis.clone()}
                source={state.lanes}
                selected={state.selected}
                on_select={on_select}
                on_source={dispatch.to_callback().reform(Action::SetLanes)} />
            <ui::legend::Explainer />
            <ui::export::Export requests={requests} analysis={analysis} target={state.session.target.clone()}
                time_origin_ms={state.session.time_origin_ms}
                on_import={{
                    let cancel = cancel.clone();
                    let dispatch = dispatch.clone();
                    Callback::from(move |(name, text): (String, String)| {
                        cancel.borrow().cancel();
                        dispatch.dispatch(Action::Import { name, text });
                    })
                }} />
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_click_on_the_theme_toggle_takes_one_step_even_before_a_render() {
        // Two clicks dispatched before Yew re-renders reach the reducer one after the other.
        let start = Rc::new(AppState::default());
        let once = start.clone().reduce(Action::CycleTheme);
        let twice = once.clone().reduce(Action::CycleTheme);
        let thrice = twice.clone().reduce(Action::CycleTheme);
        assert_eq!(
            [start.theme, once.theme, twice.theme, thrice.theme],
            [Theme::System, Theme::Dark, Theme::Light, Theme::System]
        );
    }
}
