//! The app's state and its reducer (as in yew's `function_todomvc`): every change of state
//! is an [`Action`] saying what happened, applied in [`AppState::reduce`]. Pure: no browser
//! call here, so the whole of it is tested natively.

use connscope_core::config::RunConfig;
use connscope_core::geometry::Order;
use connscope_core::{Event, Level, RunSource, ScenarioInfo, Session, Source};
use std::rc::Rc;
use yew::prelude::*;

/// Which run the events belong to: minted by the app for each run or import it starts,
/// so events of an older run, still arriving, are dropped.
pub type RunId = u64;

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

    /// `data-theme` on the root element; None follows the system's setting.
    pub fn attribute(self) -> Option<&'static str> {
        match self {
            Theme::System => None,
            Theme::Light => Some("light"),
            Theme::Dark => Some("dark"),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "Theme: system",
            Theme::Dark => "Theme: dark",
            Theme::Light => "Theme: light",
        }
    }
}

#[derive(Clone, PartialEq, Debug)]
pub enum Scenarios {
    Loading,
    /// From the testbed's `/api/scenarios`.
    Testbed(Rc<Vec<ScenarioInfo>>),
    /// No testbed: the built-in static page only (and why).
    Static(String),
}

/// Two runs compared (`?compare=<a>,<b>`): their scenario ids, and each run once it ended.
#[derive(Clone, PartialEq, Debug)]
pub struct Compared {
    pub ids: [String; 2],
    /// A is what was shown (a recording or the last run), not a run made for the comparison.
    pub recorded: bool,
    pub runs: [Option<Session>; 2],
}

/// Where a lesson's step stands (the step itself is `config.step`).
#[derive(Clone, PartialEq, Debug, Default)]
pub struct LessonState {
    /// The choice predicted, before the run.
    pub picked: Option<usize>,
    /// The step's run, once begun: its end reveals the answer.
    pub run: Option<RunId>,
    /// The step's run has reported its start: the session shown is its own (until then it
    /// is the last run's, which has ended too).
    pub started: bool,
}

#[derive(Clone, PartialEq)]
pub struct AppState {
    pub session: Session,
    /// The run shown; events of other runs are dropped.
    pub run: RunId,
    pub scenarios: Scenarios,
    pub config: RunConfig,
    pub selected: Option<usize>,
    pub order: Order,
    pub lanes: Source,
    pub theme: Theme,
    pub presenting: bool,
    /// A file being read for import (or a comparison waiting for connections to go cold):
    /// what is happening, for the progress line.
    pub importing: Option<String>,
    /// A comparison in progress or shown.
    pub compare: Option<Compared>,
    /// The step of the lesson the link names (`config.lesson`), as far as it went.
    pub lesson: LessonState,
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
            importing: None,
            compare: None,
            lesson: LessonState::default(),
        }
    }
}

pub enum Action {
    /// The loader of run `run` reported events (a frame's worth, in order).
    Loader {
        run: RunId,
        events: Vec<Event>,
    },
    /// A run began (the app minted its id and started its loader): a page load, or a
    /// probe of `probe`'s server.
    RunBegan {
        run: RunId,
        probe: Option<String>,
    },
    ScenariosLoaded(Scenarios),
    /// The user changed a field of the form to `value` (as typed).
    SetField {
        key: &'static str,
        value: String,
    },
    Select(Option<usize>),
    SetOrder(Order),
    SetLanes(Source),
    /// The theme toggle: moves on from the theme in force when the click is handled,
    /// so two quick clicks take two steps.
    CycleTheme,
    TogglePresenting,
    Note(Level, String),
    /// A file was read for import (as run `run`): a HAR replaces the run shown and ends any
    /// run in progress; a file that cannot be imported leaves the run shown as it was.
    FileRead {
        run: RunId,
        name: String,
        text: String,
    },
    /// A picked file is being read or parsed: what is happening (shown until it is imported
    /// or refused).
    Importing(String),
    /// A comparison of two scenarios began (its runs follow as ordinary runs).
    CompareBegan {
        ids: [String; 2],
        recorded: bool,
    },
    /// Run `0` or `1` of the comparison ended: the run shown is kept as that side.
    CompareRunDone(usize),
    /// Something the user waits for that is no run (connections going cold), or its end.
    Waiting(Option<String>),
    /// A run, an import or a probe that is not part of a comparison began: the comparison ends.
    CompareEnded,
    /// Go to step `n` (1-based) of the lesson shown: its run's settings, no prediction yet.
    LessonGo(usize),
    /// The prediction made at the lesson's step.
    LessonPick(usize),
    /// Run `run` is the lesson step's run.
    LessonRan(RunId),
    /// A file was not read: `error` says why (it is larger than an import may be).
    FileRefused {
        name: String,
        error: String,
    },
}

impl AppState {
    /// The state the app opens in, from its link (`location.search`): the run it describes,
    /// and a warning for each part of the link that could not be read.
    pub fn from_link(search: &str) -> AppState {
        let (config, problems) = RunConfig::from_query(search);
        let lanes = config
            .lesson
            .as_deref()
            .and_then(connscope_core::lesson::find)
            .and_then(|l| l.steps.get(config.step.saturating_sub(1)))
            .map_or(Source::Truth, |step| step.lanes);
        let mut s = AppState { config, lanes, ..AppState::default() };
        for text in problems {
            s.session.apply(Event::Note { level: Level::Warning, text });
        }
        s
    }
}

impl AppState {
    /// Whether nothing has begun since the run `since` was shown: no run under way, none
    /// begun (a run's id is minted before its first event shows it running, in the view's
    /// next batch), no file being read. Work done in passing (the warm-up) waits for this.
    pub fn quiet_since(&self, since: RunId) -> bool {
        self.run == since && self.session.state != connscope_core::RunState::Running && self.importing.is_none()
    }
}

/// A file's text (a HAR, or a capture however it came: delivered, pasted or dropped) as
/// the event that shows it, or why it cannot be shown.
fn imported(name: &str, text: &str) -> Result<Event, String> {
    if connscope_core::capture::is_capture(text) {
        let c = connscope_core::capture::import(text).map_err(|e| e.to_string())?;
        let title = if c.info.title.is_empty() { c.info.page_url.clone() } else { c.info.title.clone() };
        return Ok(Event::Imported {
            target: format!("{title} (captured from {})", c.info.page_url),
            requests: c.requests,
            notes: c.notes,
            time_origin_ms: c.time_origin_ms,
            source: RunSource::Capture,
            capture: Some(Rc::new(c.info)),
        });
    }
    let h = connscope_core::har::import(text).map_err(|e| e.to_string())?;
    Ok(Event::Imported {
        target: format!("{} (from {name})", h.page),
        requests: h.requests,
        notes: h.notes,
        time_origin_ms: h.time_origin_ms,
        source: if h.capture.is_some() { RunSource::Capture } else { RunSource::Har },
        capture: h.capture.map(Rc::new),
    })
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        if matches!(action, Action::FileRead { .. } | Action::FileRefused { .. }) {
            s.importing = None;
        }
        match action {
            Action::Loader { run, events } => {
                if run != s.run {
                    return self;
                }
                if s.lesson.run == Some(run) && events.iter().any(|e| matches!(e, Event::Started { .. })) {
                    s.lesson.started = true;
                }
                for event in events {
                    s.session.apply(event);
                }
            }
            Action::RunBegan { run, probe } => {
                s.run = run;
                s.selected = None;
                // The link says what ran last: a probe link starts the probe again.
                s.config.probe = probe;
            }
            Action::ScenariosLoaded(list) => s.scenarios = list,
            Action::SetField { key, value } => {
                // The same rules as the link: a value that cannot be read keeps the previous
                // one and says so. Picking a scenario clears a typed URL.
                if let Err(problem) = s.config.set(key, &value) {
                    s.session.apply(Event::Note { level: Level::Warning, text: problem });
                }
                if key == "scenario" {
                    s.config.url = None;
                    // Another scenario is no longer the lesson's step.
                    s.config.lesson = None;
                }
            }
            Action::Select(i) => s.selected = i,
            Action::SetOrder(o) => s.order = o,
            Action::SetLanes(l) => s.lanes = l,
            Action::CycleTheme => s.theme = s.theme.next(),
            Action::TogglePresenting => s.presenting = !s.presenting,
            Action::Note(level, text) => s.session.apply(Event::Note { level, text }),
            Action::Importing(what) => s.importing = Some(what),
            Action::FileRead { run, name, text } => match imported(&name, &text) {
                Ok(event) => {
                    s.run = run;
                    s.selected = None;
                    s.compare = None;
                    s.session.apply(event);
                }
                // The run shown, its selection and zoom stay.
                Err(error) => s.session.apply(Event::ImportFailed { file: name, error }),
            },
            Action::FileRefused { name, error } => s.session.apply(Event::ImportFailed { file: name, error }),
            Action::CompareBegan { ids, recorded } => s.compare = Some(Compared { ids, recorded, runs: [None, None] }),
            Action::CompareRunDone(i) => {
                if let Some(run) = s.compare.as_mut().and_then(|c| c.runs.get_mut(i)) {
                    *run = Some(s.session.clone());
                }
            }
            Action::Waiting(what) => s.importing = what,
            Action::CompareEnded => s.compare = None,
            Action::LessonGo(n) => {
                if let Some(lesson) = s.config.lesson.as_deref().and_then(connscope_core::lesson::find) {
                    s.config = RunConfig::for_step(lesson, n);
                    if let Some(step) = lesson.steps.get(s.config.step.saturating_sub(1)) {
                        s.lanes = step.lanes;
                    }
                    s.lesson = LessonState::default();
                    s.compare = None;
                }
            }
            Action::LessonPick(k) => s.lesson.picked = Some(k),
            Action::LessonRan(run) => s.lesson = LessonState { run: Some(run), started: false, ..s.lesson },
        }
        Rc::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connscope_core::{Kind, RunState};

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

    #[test]
    fn a_run_is_under_way_from_its_id_not_from_its_first_event() {
        let s = Rc::new(AppState::default());
        let since = s.run;
        assert!(s.quiet_since(since));
        // Begun: its first events come in the next batch, and the session still shows the
        // last run's state.
        let begun = s.clone().reduce(Action::RunBegan { run: 7, probe: None });
        assert_ne!(begun.session.state, RunState::Running);
        assert!(!begun.quiet_since(since));
        let running = begun.reduce(Action::Loader {
            run: 7,
            events: vec![Event::Started { target: "a".into(), time_origin_ms: 0.0 }],
        });
        assert!(!running.quiet_since(7));
        let reading = s.reduce(Action::Importing("Reading a.har…".into()));
        assert!(!reading.quiet_since(since));
    }

    #[test]
    fn events_of_a_run_no_longer_shown_are_dropped() {
        let event = |url: &str| Event::Discovered { url: url.into(), kind: Kind::Document, parent: None, depth: 0 };
        let s = Rc::new(AppState::default()).reduce(Action::RunBegan { run: 7, probe: None });
        // One frame's batch, applied in order.
        let s = s.reduce(Action::Loader {
            run: 7,
            events: vec![
                Event::Started { target: "a".into(), time_origin_ms: 0.0 },
                event("http://a/"),
                event("http://b/"),
            ],
        });
        assert_eq!(s.session.requests.len(), 2);
        // A second run begins before the first has finished reporting.
        let s = s.reduce(Action::RunBegan { run: 8, probe: None });
        let s = s.reduce(Action::Loader { run: 7, events: vec![event("http://late/")] });
        assert_eq!(s.session.requests.len(), 2, "the old run's late batch is dropped");
        assert_eq!(s.session.state, RunState::Running);
    }

    #[test]
    fn the_link_sets_the_run_and_says_what_it_could_not_read() {
        let s = AppState::from_link("?scenario=close&pause=soon&autorun=1");
        assert_eq!((s.config.scenario.as_deref(), s.config.autorun, s.config.pause_ms), (Some("close"), true, 0));
        assert_eq!(s.session.messages.len(), 1);
        assert!(s.session.messages[0].text.starts_with("pause=\"soon\""), "{}", s.session.messages[0].text);
    }

    #[test]
    fn a_lesson_moves_between_steps_forgetting_the_last_steps_prediction_and_run() {
        let s = Rc::new(AppState::from_link("?lesson=persistence&step=2"));
        assert_eq!((s.config.step, s.config.scenario.as_deref()), (2, Some("keepalive")));
        let s = s.reduce(Action::LessonPick(1)).reduce(Action::RunBegan { run: 4, probe: None });
        let s = s.reduce(Action::LessonRan(4));
        assert_eq!(s.lesson, LessonState { picked: Some(1), run: Some(4), started: false });
        // Until the step's run reports its start, the session shown is the last run's.
        let started = Event::Started { target: "http://127.0.0.1:8091/page.html".into(), time_origin_ms: 0.0 };
        let s = s.reduce(Action::Loader { run: 4, events: vec![started] });
        assert!(s.lesson.started);
        let s = s.reduce(Action::LessonGo(3));
        assert_eq!((s.config.step, s.config.scenario.as_deref()), (3, Some("queue")));
        assert_eq!(s.lesson, LessonState::default());
        assert_eq!(s.config.to_query(), "?lesson=persistence&step=3");
        // Steps past either end stay on the lesson.
        assert_eq!(s.clone().reduce(Action::LessonGo(0)).config.step, 1);
        let last = s.clone().reduce(Action::LessonGo(40));
        assert_eq!((last.config.step, last.lanes), (9, Source::Upstream), "the proxy's step opens behind the proxy");
        assert_eq!(AppState::from_link("?lesson=persistence&step=9").lanes, Source::Upstream);
        // Picking another scenario leaves the lesson.
        let s = s.reduce(Action::SetField { key: "scenario", value: "h2".into() });
        assert_eq!((s.config.lesson.as_deref(), s.config.to_query().as_str()), (None, "?scenario=h2"));
        // Without a lesson, a step does nothing.
        let plain = Rc::new(AppState::default()).reduce(Action::LessonGo(3));
        assert_eq!(plain.config, RunConfig::default());
    }

    #[test]
    fn what_is_shown_becomes_side_a_and_the_next_run_side_b() {
        let made_up = connscope_core::synthetic::requests(5);
        let har = connscope_core::export::Format::Har
            .write("made up", &made_up, &connscope_core::analyse(&made_up), 0.0, None)
            .unwrap_or_default();
        let s = Rc::new(AppState::default()).reduce(Action::FileRead { run: 1, name: "x.har".into(), text: har });
        assert_eq!(s.session.requests.len(), 5);
        let s = s.reduce(Action::CompareBegan { ids: ["the imported HAR".into(), "close".into()], recorded: true });
        let s = s.reduce(Action::CompareRunDone(0)).reduce(Action::RunBegan { run: 2, probe: None });
        let started = Event::Started { target: "http://127.0.0.1:8082/page.html".into(), time_origin_ms: 0.0 };
        let s = s.reduce(Action::Loader { run: 2, events: vec![started, Event::Finished] });
        let s = s.reduce(Action::CompareRunDone(1));
        let c = s.compare.as_ref().expect("a comparison");
        assert!(c.recorded);
        assert_eq!(c.runs[0].as_ref().map(|r| (r.source, r.requests.len())), Some((RunSource::Har, 5)));
        assert_eq!(
            c.runs[1].as_ref().map(|r| (r.source, r.target.as_str())),
            Some((RunSource::Live, "http://127.0.0.1:8082/page.html"))
        );
    }

    #[test]
    fn two_field_changes_before_a_render_both_count() {
        let s = Rc::new(AppState::from_link("?url=https%3A%2F%2Fexample.com%2F"));
        let s = s.reduce(Action::SetField { key: "limit", value: "50".into() });
        let s = s.reduce(Action::SetField { key: "depth", value: "2".into() });
        assert_eq!((s.config.limit, s.config.depth), (50, 2));
        assert_eq!(s.config.url.as_deref(), Some("https://example.com/"));
        let s = s.reduce(Action::SetField { key: "scenario", value: "h2".into() });
        assert_eq!(
            (s.config.scenario.as_deref(), s.config.url.as_deref()),
            (Some("h2"), None),
            "a scenario clears the URL"
        );
        let s = s.reduce(Action::SetField { key: "concurrency", value: "many".into() });
        assert_eq!(s.config.concurrency, None);
        assert!(s.session.messages.last().is_some_and(|m| m.level == Level::Warning && m.text.contains("concurrency")));
    }

    #[test]
    fn the_link_names_the_probe_while_one_runs_and_forgets_it_after_a_page_load() {
        let s = Rc::new(AppState::default())
            .reduce(Action::RunBegan { run: 1, probe: Some("http://h:1/r/probe.css".into()) });
        assert!(s.config.to_query().contains("probe=http%3A%2F%2Fh%3A1%2Fr%2Fprobe.css"), "{}", s.config.to_query());
        let s = s.reduce(Action::RunBegan { run: 2, probe: None });
        assert_eq!(s.config.probe, None);
    }

    #[test]
    fn a_file_too_big_to_import_is_named_with_its_size_and_loses_nothing() {
        let s = Rc::new(AppState::default()).reduce(Action::RunBegan { run: 3, probe: None });
        let error = connscope_core::har::check_size(600.0 * 1024.0 * 1024.0).unwrap_err().to_string();
        let s = s.reduce(Action::FileRefused { name: "big.har".into(), error });
        assert_eq!(s.run, 3);
        let last = s.session.messages.last().map(|m| m.text.clone()).unwrap_or_default();
        assert!(
            last.starts_with("big.har was not imported: the file is 600 MB; connscope imports HAR files up to 256 MB"),
            "{last}"
        );
    }

    #[test]
    fn an_import_says_what_it_is_doing_until_it_ends_either_way() {
        let s = Rc::new(AppState::default()).reduce(Action::Importing("Reading big.har (29.3 MB)…".into()));
        assert_eq!(s.importing.as_deref(), Some("Reading big.har (29.3 MB)…"));
        let done = s.clone().reduce(Action::FileRead { run: 1, name: "big.har".into(), text: "{}".into() });
        assert_eq!(done.importing, None, "a file that could not be imported ends the import too");
        let refused = s.reduce(Action::FileRefused { name: "big.har".into(), error: "too big".into() });
        assert_eq!(refused.importing, None);
    }

    #[test]
    fn an_unreadable_file_keeps_the_run_and_its_id() {
        let s = Rc::new(AppState::default()).reduce(Action::RunBegan { run: 3, probe: None });
        let s = s.reduce(Action::FileRead { run: 4, name: "notes.txt".into(), text: "hello".into() });
        assert_eq!(s.run, 3, "events of run 3 still count");
        assert!(s.session.messages.last().is_some_and(|m| m.text.starts_with("notes.txt was not imported")));
    }

    #[test]
    fn a_capture_and_a_har_are_told_apart_and_a_capture_link_waits_instead_of_running() {
        let capture = r#"{"format":"connscope-capture","version":1,"page":{"url":"https://example.com/","title":"Example"},
            "timeOrigin":1764320000000,"navigation":{"name":"https://example.com/","startTime":0,"fetchStart":1,"responseEnd":9},
            "resources":[{"name":"https://example.com/a.css","startTime":3,"fetchStart":3,"responseEnd":5}]}"#;
        let s = Rc::new(AppState::from_link("?capture=https%3A%2F%2Fexample.com"));
        assert_eq!(s.config.capture.as_deref(), Some("https://example.com"));
        let s = s.reduce(Action::FileRead {
            run: 5,
            name: "the capture from https://example.com".into(),
            text: capture.into(),
        });
        assert_eq!((s.run, s.session.source, s.session.requests.len()), (5, RunSource::Capture, 2));
        assert_eq!(s.session.capture.as_ref().map(|c| c.title.as_str()), Some("Example"));
        assert!(s.session.target.starts_with("Example (captured from https://example.com/)"), "{}", s.session.target);
        // Its HAR export reads back as a capture; a plain HAR as a HAR.
        let a = connscope_core::analyse(&s.session.requests);
        let har = connscope_core::export::Format::Har
            .write("Example", &s.session.requests, &a, 0.0, s.session.capture.as_deref())
            .unwrap_or_default();
        let again = s.clone().reduce(Action::FileRead { run: 6, name: "x.har".into(), text: har });
        assert_eq!(again.session.source, RunSource::Capture);
        let plain =
            connscope_core::export::Format::Har.write("x", &s.session.requests, &a, 0.0, None).unwrap_or_default();
        let plain = s.reduce(Action::FileRead { run: 7, name: "y.har".into(), text: plain });
        assert_eq!((plain.session.source, plain.session.capture.is_none()), (RunSource::Har, true));
        // A capture link must name an origin.
        let bad = AppState::from_link("?capture=javascript:alert(1)");
        assert_eq!(bad.config.capture, None);
        assert!(bad.session.messages.iter().any(|m| m.text.contains("no capture is awaited")));
    }
}
