//! The top component: it holds the state (`state.rs`), turns what the user does into
//! [`Action`]s, and performs the side effects actions call for — starting a run's loader,
//! reading a picked file, downloading an export, writing the address and the theme.
//! Components under `ui` only draw and emit callbacks.

pub mod state;
pub mod warm_up;

use crate::browser::fetch::Cancel;
use crate::browser::{loader, page};
use crate::ui;
use connscope_core::crawl::Limits;
use connscope_core::export::Format;
use connscope_core::probe::Browser;
use connscope_core::{analyse, Level, RunSource, RunState};
use state::{Action, AppState, RunId, Scenarios};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Files larger than this (bytes, about 2,500 requests) show the import's progress before it
/// is parsed, at the cost of a frame.
const SHOW_PROGRESS_BYTES: f64 = 4.0 * 1024.0 * 1024.0;

/// How long after opening (or after a run) the app compiles its HAR reader in passing (ms):
/// after its first paint and the scenario list, before a person can pick a file.
const WARM_UP_AFTER_MS: u32 = 300;

/// Ends the run in progress, if any, and hands out the cancel token of the next one.
fn take_over(cancel: &RefCell<Cancel>) -> Cancel {
    cancel.borrow().cancel();
    let fresh = Cancel::default();
    *cancel.borrow_mut() = fresh.clone();
    fresh
}

/// Loads `target` as run `run`: its events reach the reducer as that run's.
async fn load_run(
    dispatch: &UseReducerDispatcher<AppState>,
    run: RunId,
    target: String,
    limits: Limits,
    cancel: Cancel,
) {
    dispatch.dispatch(Action::RunBegan { run, probe: None });
    // The view of a run begun (the last run's rows cleared, the progress line) is drawn
    // before the first fetch, not while its response is due: that render, and the frame's
    // layout after it, held the page's response back 0.4-2 ms in the loader bench.
    crate::browser::after_paint(100).await;
    let d = dispatch.clone();
    loader::load(target, limits, cancel, move |events| d.dispatch(Action::Loader { run, events })).await;
}

/// Waits `ms`, saying why in the progress line; false when the wait was cancelled.
async fn wait_shown(dispatch: &UseReducerDispatcher<AppState>, ms: u32, why: String, cancel: &Cancel) -> bool {
    dispatch.dispatch(Action::Waiting(Some(why)));
    crate::browser::sleep_ms(ms).await;
    dispatch.dispatch(Action::Waiting(None));
    !cancel.is_cancelled()
}

/// Mints the id of each run or import, so late events of an older one are told apart.
fn mint(counter: &RefCell<RunId>) -> RunId {
    let mut c = counter.borrow_mut();
    *c += 1;
    *c
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| AppState::from_link(&page::location_search()));
    let cancel = use_mut_ref(Cancel::default);
    let runs = use_mut_ref(|| 0 as RunId);
    // The state as last rendered, for callbacks made once: a callback made anew on every
    // render never equals the last one, so every component given it would render again with
    // each batch of a run (the form alone took about 20 ms each time).
    let latest = use_mut_ref(|| state.clone());
    *latest.borrow_mut() = state.clone();

    // On open: the scenario list (the link was read into the first state).
    {
        let dispatch = state.dispatcher();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let list = match page::fetch_scenarios().await {
                    Ok(list) if !list.is_empty() => Scenarios::Testbed(Rc::new(list)),
                    Ok(_) => Scenarios::Static("the testbed lists no scenarios".into()),
                    Err(e) => Scenarios::Static(e),
                };
                dispatch.dispatch(Action::ScenariosLoaded(list));
            });
        });
    }

    // While the app waits for the user, once: the crawl over a made-up page, then the HAR
    // reader, the analysis and the views over a made-up run (`warm_up.rs`), so the browser
    // has compiled their code before a run starts or a file is dropped (a first stylesheet
    // paid ~1 ms between its last byte and its references' start). Never during a run: it
    // would stand between a fetch's callback and the next fetch; a run that starts while it
    // is under way stops it at its next step.
    {
        let (latest, warmed) = (latest.clone(), use_mut_ref(|| false));
        let running = state.session.state == RunState::Running;
        use_effect_with(running, move |running| {
            if !*running && !*warmed.borrow() {
                wasm_bindgen_futures::spawn_local(async move {
                    let since = latest.borrow().run;
                    let idle = move || latest.borrow().quiet_since(since);
                    crate::browser::sleep_ms(WARM_UP_AFTER_MS).await;
                    if !idle() || warmed.replace(true) {
                        return;
                    }
                    warm_up::warm_up(idle).await;
                });
            }
        });
    }

    // Opened by the capture script (`?capture=<origin>`): wait for that page's capture.
    {
        let (runs, dispatch, waiting) = (runs.clone(), state.dispatcher(), state.config.capture.clone());
        let listener = use_mut_ref(|| None);
        use_effect_with((), move |_| {
            if let Some(origin) = waiting {
                let from = format!("the capture from {origin}");
                let deliver = {
                    let dispatch = dispatch.clone();
                    move |text: Result<String, String>| match text {
                        Ok(text) => dispatch.dispatch(Action::FileRead { run: mint(&runs), name: from.clone(), text }),
                        Err(error) => dispatch.dispatch(Action::FileRefused { name: from.clone(), error }),
                    }
                };
                match crate::browser::capture::receive(origin.clone(), deliver) {
                    Ok(l) => {
                        *listener.borrow_mut() = Some(l);
                        dispatch.dispatch(Action::Importing(format!("Waiting for the capture from {origin}…")));
                    }
                    Err(why) => dispatch.dispatch(Action::Note(Level::Warning, why)),
                }
            }
        });
    }

    let start_run = {
        let (latest, cancel, runs) = (latest.clone(), cancel.clone(), runs.clone());
        use_callback((), move |_: (), _| {
            let state = latest.borrow().clone();
            let fresh = take_over(&cancel);
            let run = mint(&runs);
            let dispatch = state.dispatcher();
            dispatch.dispatch(Action::CompareEnded);
            let scenarios: &[_] = match &state.scenarios {
                Scenarios::Testbed(list) => list,
                _ => &[],
            };
            let target = state.config.target(scenarios, &page::static_page_url());
            let limits = Limits::from(&state.config);
            wasm_bindgen_futures::spawn_local(async move { load_run(&dispatch, run, target, limits, fresh).await });
        })
    };

    let start_probe = {
        let (latest, cancel, runs) = (latest.clone(), cancel.clone(), runs.clone());
        use_callback((), move |_: (), _| {
            let state = latest.borrow().clone();
            let scenarios: &[_] = match &state.scenarios {
                Scenarios::Testbed(list) => list,
                _ => &[],
            };
            let Some(url) = state.config.probe_target(scenarios) else {
                state.dispatch(Action::Note(Level::Warning, "Type the URL of a resource on the server to probe (any small file it serves, such as https://example.com/favicon.ico).".into()));
                return;
            };
            let fresh = take_over(&cancel);
            let run = mint(&runs);
            let dispatch = state.dispatcher();
            dispatch.dispatch(Action::CompareEnded);
            dispatch.dispatch(Action::RunBegan { run, probe: Some(url.clone()) });
            let limits = state.config.probe_limits();
            wasm_bindgen_futures::spawn_local(async move {
                let report = move |events| dispatch.dispatch(Action::Loader { run, events });
                loader::probe(url, limits, fresh, report).await;
            });
        })
    };

    // A comparison: scenario a, then b, as two ordinary runs; between them the app waits out
    // the longest idle timeout of the testbed's persistent origins (the pages share the cdn
    // origin), so b starts from cold connections too. The same scenario twice is the warm
    // comparison: no wait. Each run is kept as its side when it ends.
    let start_compare = {
        let (latest, cancel, runs) = (latest.clone(), cancel.clone(), runs.clone());
        use_callback((), move |(a, b): (String, String), _| {
            let state = latest.borrow().clone();
            let dispatch = state.dispatcher();
            let list: &[_] = match &state.scenarios {
                Scenarios::Testbed(list) => list,
                _ => &[],
            };
            let pages = match connscope_core::compare::targets(list, &a, &b) {
                Ok(pages) => pages,
                Err(why) => {
                    dispatch.dispatch(Action::Note(Level::Warning, why));
                    return;
                }
            };
            let cold_ms = connscope_core::compare::cold_after_ms(list);
            let fresh = take_over(&cancel);
            // A page that has run nothing has no connection open yet.
            let fresh_page = state.session.requests.is_empty();
            let limits = Limits::from(&state.config);
            let runs = runs.clone();
            dispatch.dispatch(Action::CompareBegan { ids: [a.clone(), b.clone()], recorded: false });
            let warm_up = page::static_page_url();
            wasm_bindgen_futures::spawn_local(async move {
                // The app's own first crawl in a page runs slower (its code compiles as it
                // is first used): a crawl of the built-in page on the app's origin, shown
                // nowhere, so that a does not pay for it and b not.
                dispatch.dispatch(Action::Waiting(Some("Getting ready to compare…".into())));
                loader::load(warm_up, limits, fresh.clone(), |_| {}).await;
                dispatch.dispatch(Action::Waiting(None));
                for (k, (id, target)) in [a.clone(), b.clone()].into_iter().zip(pages).enumerate() {
                    let wait = if k == 0 { !fresh_page } else { a != b };
                    let why = format!(
                        "Letting connections go cold before running {id} ({:.1} s, the servers' idle timeout)…",
                        cold_ms as f64 / 1000.0
                    );
                    if (wait && !wait_shown(&dispatch, cold_ms, why, &fresh).await) || fresh.is_cancelled() {
                        return;
                    }
                    load_run(&dispatch, mint(&runs), target, limits, fresh.clone()).await;
                    if fresh.is_cancelled() {
                        return;
                    }
                    dispatch.dispatch(Action::CompareRunDone(k));
                }
            });
        })
    };

    // What is shown (an imported HAR, a capture, or the last run) as side A, against a new
    // run of the form's page as side B, drawn on one axis like any comparison.
    let start_compare_shown = {
        let (latest, cancel, runs) = (latest.clone(), cancel.clone(), runs.clone());
        use_callback((), move |_: (), _| {
            let state = latest.borrow().clone();
            let dispatch = state.dispatcher();
            if state.session.requests.is_empty() || state.session.state == RunState::Running {
                dispatch.dispatch(Action::Note(
                    Level::Warning,
                    "Nothing finished is shown to compare: import a HAR or a capture, or let a run end, first.".into(),
                ));
                return;
            }
            let list: &[_] = match &state.scenarios {
                Scenarios::Testbed(list) => list,
                _ => &[],
            };
            let target = state.config.target(list, &page::static_page_url());
            let shown = state.session.source.shown();
            let b_label =
                state.config.url.clone().or_else(|| state.config.scenario.clone()).unwrap_or_else(|| target.clone());
            let fresh = take_over(&cancel);
            let run = mint(&runs);
            let limits = Limits::from(&state.config);
            dispatch.dispatch(Action::CompareBegan { ids: [shown.to_string(), b_label], recorded: true });
            dispatch.dispatch(Action::CompareRunDone(0));
            wasm_bindgen_futures::spawn_local(async move {
                load_run(&dispatch, run, target, limits, fresh.clone()).await;
                if !fresh.is_cancelled() {
                    dispatch.dispatch(Action::CompareRunDone(1));
                }
            });
        })
    };

    // When each origin was last used by a run: a lesson's step starts from cold connections,
    // so a step whose server a recent run used (the same step again, or the first screen's
    // run) waits out that server's idle timeout first.
    let last_used = use_mut_ref(std::collections::HashMap::<String, f64>::new);
    {
        let (last_used, requests) = (last_used.clone(), state.session.requests.clone());
        let ended = matches!(state.session.state, RunState::Done | RunState::Failed);
        use_effect_with((ended, state.run), move |(ended, _)| {
            if *ended {
                let now = page::now_ms();
                let mut used = last_used.borrow_mut();
                for r in requests.iter() {
                    used.insert(r.origin.clone(), now);
                }
            }
        });
    }

    // A lesson step's run, with the prediction made (or none): the step's scenario from cold.
    let start_lesson = {
        let (latest, cancel, runs, last_used) = (latest.clone(), cancel.clone(), runs.clone(), last_used);
        use_callback((), move |choice: Option<usize>, _| {
            let state = latest.borrow().clone();
            let dispatch = state.dispatcher();
            let Some(step) = state
                .config
                .lesson
                .as_deref()
                .and_then(connscope_core::lesson::find)
                .and_then(|l| l.steps.get(state.config.step.saturating_sub(1)))
            else {
                return;
            };
            if let Some(k) = choice {
                dispatch.dispatch(Action::LessonPick(k));
            }
            let list: &[_] = match &state.scenarios {
                Scenarios::Testbed(list) => list,
                _ => &[],
            };
            let target = state.config.target(list, &page::static_page_url());
            let idle_ms = list.iter().find(|s| s.id == step.scenario && s.keep_alive).and_then(|s| s.idle_timeout_ms);
            let since_ms = connscope_core::url::origin_of(&target)
                .and_then(|origin| last_used.borrow().get(&origin).copied())
                .map(|at| page::now_ms() - at);
            let wait_ms = connscope_core::lesson::cold_wait_ms(idle_ms, since_ms);
            let fresh = take_over(&cancel);
            let run = mint(&runs);
            let limits = Limits::from(&state.config);
            wasm_bindgen_futures::spawn_local(async move {
                let why = format!(
                    "Letting the last run's connections go cold first ({:.1} s, the server's idle timeout)…",
                    wait_ms as f64 / 1000.0
                );
                if wait_ms > 0 && !wait_shown(&dispatch, wait_ms, why, &fresh).await {
                    return;
                }
                dispatch.dispatch(Action::CompareEnded);
                dispatch.dispatch(Action::LessonRan(run));
                load_run(&dispatch, run, target, limits, fresh).await;
            });
        })
    };
    // Moving to another step ends the step's run, if it is still going.
    let on_lesson_go = {
        let (cancel, dispatch) = (cancel.clone(), state.dispatcher());
        use_callback((), move |n: usize, _| {
            cancel.borrow().cancel();
            dispatch.dispatch(Action::Waiting(None));
            dispatch.dispatch(Action::LessonGo(n));
        })
    };
    // ← and → move between a lesson's steps.
    {
        let (latest, go) = (latest, on_lesson_go.clone());
        let in_lesson = state.config.lesson.is_some();
        let listener = use_mut_ref(|| None);
        use_effect_with(in_lesson, move |in_lesson| {
            *listener.borrow_mut() = in_lesson
                .then(|| {
                    page::on_arrow_keys(move |d| {
                        let step = latest.borrow().config.step as i64 + i64::from(d);
                        if step >= 1 {
                            go.emit(step as usize);
                        }
                    })
                })
                .flatten();
        });
    }

    // Autorun once the scenario list is known: a probe link probes; `autorun=1` runs; a link
    // that names nothing runs the first scenario (a newcomer sees a waterfall at once).
    {
        let (start_run, start_probe, start_compare) = (start_run.clone(), start_probe.clone(), start_compare);
        let ready = !matches!(state.scenarios, Scenarios::Loading);
        let config = state.config.clone();
        let shown = !state.session.requests.is_empty();
        use_effect_with(ready, move |ready| {
            if !*ready || config.capture.is_some() || shown {
                // Not yet; or the tab waits for a capture (or shows what came first), not a run.
            } else if let Some(pair) = config.compare.clone() {
                start_compare.emit(pair);
            } else if config.probe.is_some() {
                start_probe.emit(());
            } else if config.autorun || (config.scenario.is_none() && config.url.is_none()) {
                start_run.emit(());
            }
        });
    }

    let on_cancel = {
        let cancel = cancel.clone();
        use_callback((), move |_: (), _| cancel.borrow().cancel())
    };
    let dispatch = state.dispatcher();
    let on_field = {
        let dispatch = dispatch.clone();
        use_callback((), move |(key, value), _| dispatch.dispatch(Action::SetField { key, value }))
    };
    // The address bar always holds the link that reproduces what the form says.
    use_effect_with(state.config.clone(), page::write_location);
    let on_select = {
        let dispatch = dispatch.clone();
        use_callback((), move |i: Option<usize>, _| dispatch.dispatch(Action::Select(i)))
    };
    let on_order = {
        let dispatch = dispatch.clone();
        use_callback((), move |o, _| dispatch.dispatch(Action::SetOrder(o)))
    };
    let on_source = {
        let dispatch = dispatch.clone();
        use_callback((), move |s, _| dispatch.dispatch(Action::SetLanes(s)))
    };

    // The run and its analysis, shared with every view: analysed again only when the run
    // changed (a new batch of events), compared by pointer.
    let requests = ui::Shared(state.session.requests.clone());
    let analysis = (*use_memo(requests.clone(), |r| ui::Shared::new(analyse(r)))).clone();

    let on_export = {
        let (target, origin) = (state.session.target.clone(), state.session.time_origin_ms);
        let capture = state.session.capture.clone();
        let dispatch = dispatch.clone();
        use_callback(
            (requests.clone(), analysis.clone(), target, origin.to_bits(), capture),
            move |format: Format, deps| {
                let (requests, analysis, target, origin, capture) = deps;
                let origin = f64::from_bits(*origin);
                let written = format.write(target, requests, analysis, origin, capture.as_deref());
                let saved = written
                    .map_err(|e| e.to_string())
                    .and_then(|text| page::download(format.file_name(), format.mime(), &text));
                if let Err(e) = saved {
                    dispatch.dispatch(Action::Note(
                        Level::Error,
                        format!("{} could not be saved: {e}", format.file_name()),
                    ));
                }
            },
        )
    };
    let on_file = {
        let (cancel, runs, dispatch) = (cancel.clone(), runs.clone(), dispatch.clone());
        use_callback((), move |file: web_sys::File, _| {
            // Too big is said before a byte is read: the run shown stays.
            if let Err(e) = connscope_core::har::check_size(file.size()) {
                dispatch.dispatch(Action::FileRefused { name: file.name(), error: e.to_string() });
                return;
            }
            let (cancel, runs, dispatch) = (cancel.clone(), runs.clone(), dispatch.clone());
            // A big file takes a while to read and parse: say so, and let it show first (a
            // small one is done before a frame could show it).
            let big = file.size() > SHOW_PROGRESS_BYTES;
            let size = connscope_core::text::format_bytes(file.size());
            dispatch.dispatch(Action::Importing(format!("Reading {} ({size})…", file.name())));
            page::read_text(file, move |name, text| {
                let text = match text {
                    Ok(text) => text,
                    Err(error) => {
                        let error = format!(
                            "the browser could not read it ({error}); it may have changed or moved since it was \
                             chosen: choose it again"
                        );
                        dispatch.dispatch(Action::FileRefused { name, error });
                        return;
                    }
                };
                cancel.borrow().cancel();
                dispatch.dispatch(Action::Importing(format!("Reading the entries of {name} ({size})…")));
                wasm_bindgen_futures::spawn_local(async move {
                    if big {
                        page::after_paint().await;
                    }
                    dispatch.dispatch(Action::FileRead { run: mint(&runs), name, text });
                });
            });
        })
    };

    let on_paste = {
        let (cancel, runs, dispatch) = (cancel, runs, dispatch.clone());
        use_callback((), move |text: String, _| {
            if text.trim().is_empty() {
                dispatch.dispatch(Action::Note(
                    Level::Warning,
                    "Nothing was pasted: copy the capture the page showed, then paste it here.".into(),
                ));
                return;
            }
            cancel.borrow().cancel();
            dispatch.dispatch(Action::FileRead { run: mint(&runs), name: "The pasted capture".into(), text });
        })
    };
    let (bookmarklet, snippet) = (*use_memo((), |_| {
        let app = crate::browser::capture::app_url();
        (
            AttrValue::from(connscope_core::capture::bookmarklet(&app)),
            AttrValue::from(connscope_core::capture::snippet(&app)),
        )
    }))
    .clone();
    // The site report, for a recording of a site (a capture or a HAR), not the testbed's runs.
    let source = state.session.source;
    let capture = state.session.capture.clone();
    let report = (*use_memo((analysis.clone(), source), |(analysis, source)| {
        (*source != RunSource::Live).then(|| {
            let page = requests.first().map(|r| r.origin.clone()).unwrap_or_default();
            let labels = requests.iter().map(|r| connscope_core::text::short_url(&r.url, &page)).collect();
            (
                ui::Shared::new(connscope_core::report::site_report(&requests, analysis, capture.as_deref())),
                ui::Shared::new(labels),
            )
        })
    }))
    .clone();

    // Both runs of a comparison, each on its own clock from 0, analysed, and their difference.
    let compared = (*use_memo(state.compare.clone(), |compare| {
        let c = compare.as_ref()?;
        let (Some(a), Some(b)) = (&c.runs[0], &c.runs[1]) else { return None };
        let zero = |s: &connscope_core::Session| ui::Shared::new(connscope_core::compare::from_zero(&s.requests));
        let (ra, rb) = (zero(a), zero(b));
        let (aa, ab) = (ui::Shared::new(analyse(&ra)), ui::Shared::new(analyse(&rb)));
        let difference = ui::Shared::new(connscope_core::compare::difference(&c.ids[0], &aa, &c.ids[1], &ab));
        Some((c.ids.clone(), c.recorded, [ra, rb], [aa, ab], difference))
    }))
    .clone();
    // The lesson's step, and once its run is done, what the run shows.
    let lesson = state.config.lesson.as_deref().and_then(connscope_core::lesson::find);
    let lesson_server =
        lesson.and_then(|l| l.steps.get(state.config.step.checked_sub(1)?)).and_then(|step| match &state.scenarios {
            Scenarios::Testbed(list) => list.iter().find(|s| s.id == step.scenario).cloned(),
            _ => None,
        });
    let reveal = (*use_memo(
        (
            analysis.clone(),
            state.lesson.clone(),
            state.run,
            state.session.state == RunState::Done,
            state.config.step,
            lesson.map(|l| l.id),
        ),
        |(analysis, progress, run, done, step, _)| {
            let step = lesson?.steps.get(step.checked_sub(1)?)?;
            if progress.run != Some(*run) || !progress.started || !done {
                return None;
            }
            let Scenarios::Testbed(list) = &state.scenarios else { return None };
            let info = list.iter().find(|s| s.id == step.scenario)?;
            Some(ui::Shared::new(connscope_core::lesson::reveal(step, info, &requests, analysis)))
        },
    ))
    .clone();
    let on_order_compare = on_order.clone();
    // Compared, the table says what each side did: the last run's own summary would read as
    // the whole comparison's.
    let comparing = compared.is_some();
    let on_source_compare = on_source.clone();

    {
        let theme = state.theme.attribute();
        use_effect_with(theme, |t| page::set_theme(*t));
    }
    let browser = *use_memo((), |_| Browser::from_user_agent(&page::user_agent()));
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

    html! {
        <main id="connscope" class={classes!("app", state.presenting.then_some("presenting"), lesson.is_some().then_some("in-lesson"))}
              data-run-state={run_state.key()} data-source={source.key()} data-row-count={requests.len().to_string()} aria-busy={(run_state == RunState::Running).to_string()}>
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
                    <button type="button" onclick={dispatch.to_callback().reform(|_| Action::CycleTheme)}>{state.theme.label()}</button>
                    <button type="button" aria-pressed={state.presenting.to_string()}
                        onclick={dispatch.to_callback().reform(|_| Action::TogglePresenting)}>{"Presentation mode"}</button>
                </div>
            </header>
            { lesson.map(|lesson| html! {
                <ui::lesson::LessonView {lesson} step={state.config.step} picked={state.lesson.picked}
                    running={run_state == RunState::Running || state.importing.is_some()} ran={state.lesson.run.is_some()}
                    reveal={reveal} on_run={start_lesson} on_go={on_lesson_go}
                    certificate_origin={lesson_server.filter(|s| s.tls).map(|s| AttrValue::from(s.origin.clone()))} />
            }).unwrap_or_default() }
            <ui::controls::Controls
                scenarios={scenarios.clone()}
                no_testbed={no_testbed}
                config={state.config.clone()}
                running={run_state == RunState::Running}
                on_field={on_field}
                on_run={start_run}
                on_probe={start_probe}
                on_cancel={on_cancel} />
            { match (lesson, scenarios.as_ref()) {
                (None, Some(list)) => html! { <>
                    <ui::compare::Pairs ids={list.iter().map(|s| s.id.clone()).collect::<Vec<_>>()} />
                    <ui::lesson::LessonLinks />
                </> },
                _ => html! {},
            } }
            <ui::progress::Progress importing={state.importing.clone()} state={run_state} done={done} discovered={discovered} target={state.session.target.clone()} />
            <ui::messages::Messages messages={state.session.messages.clone()} />
            { state.session.probe.clone().map(|status| html! { <ui::probe::ProbeView {status} browser={browser} /> }).unwrap_or_default() }
            { report.map(|(report, labels)| html! {
                <ui::report::SiteReportView {report} {labels} on_select={on_select.clone()} />
            }).unwrap_or_default() }
            { if comparing { html! {} } else { html! { <ui::summary::SummaryView analysis={analysis.clone()} /> } } }
            { if let Some((ids, recorded, requests, analyses, difference)) = compared {
                let title = |id: &str| scenarios.as_ref().and_then(|l| l.iter().find(|s| s.id == id).map(|s| s.title.clone())).unwrap_or_else(|| id.to_string());
                let titles = [title(&ids[0]), title(&ids[1])];
                html! {
                    <ui::compare::CompareView ids={ids} {titles} {recorded} {requests} {analyses} {difference}
                        order={state.order} on_order={on_order_compare} lanes={state.lanes} on_source={on_source_compare} />
                }
            } else { html! { <>
            <ui::waterfall::Waterfall
                requests={requests.clone()}
                analysis={analysis.clone()}
                order={state.order}
                selected={state.selected}
                on_select={on_select.clone()}
                on_order={on_order}
                run_key={state.run} />
            <ui::details::Details requests={requests.clone()} analysis={analysis.clone()} selected={state.selected} />
            <ui::connections::ConnectionView
                requests={requests.clone()}
                analysis={analysis.clone()}
                source={state.lanes}
                selected={state.selected}
                on_select={on_select}
                on_source={on_source} />
            </> } } }
            <ui::legend::Explainer />
            <ui::export::Export empty={requests.is_empty() || run_state == RunState::Running} on_export={on_export} on_file={on_file} on_compare={start_compare_shown} />
            <ui::capture::CapturePanel {bookmarklet} {snippet} {on_paste} />
        </main>
    }
}
