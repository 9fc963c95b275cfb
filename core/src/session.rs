//! A run as a sequence of events, applied by a reducer. The crawl reports what
//! happens; `Session::apply` records it. Pure, so the whole life of a run is tested natively.

use crate::capture::CaptureInfo;
use crate::probe::ProbeStatus;
use crate::request::{Kind, Outcome, Request};
use crate::timing::Timing;
use crate::url::origin_of;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// The `data-run-state` of the app's root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    #[default]
    Idle,
    Running,
    Done,
    Failed,
}

impl RunState {
    pub fn key(self) -> &'static str {
        match self {
            RunState::Idle => "idle",
            RunState::Running => "running",
            RunState::Done => "done",
            RunState::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warning,
    Error,
}

/// Something the user should read about the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub level: Level,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Started {
        target: String,
        /// `performance.timeOrigin` of the page running the loader (epoch ms).
        time_origin_ms: f64,
    },
    Discovered {
        url: String,
        kind: Kind,
        parent: Option<usize>,
        depth: u32,
    },
    RequestStarted {
        id: usize,
    },
    RequestFinished {
        id: usize,
        status: u16,
        timing: Option<Timing>,
    },
    RequestFailed {
        id: usize,
        message: String,
        timing: Option<Timing>,
    },
    Note {
        level: Level,
        text: String,
    },
    Finished,
    Failed {
        message: String,
    },
    Cancelled,
    /// A file that could not be imported: said so, and the run shown stays as it was.
    ImportFailed {
        file: String,
        error: String,
    },
    /// Where a probe stands (each step, and its result).
    Probe(ProbeStatus),
    /// A whole recording (HAR import, capture) replaces the run.
    Imported {
        target: String,
        requests: Vec<Request>,
        notes: Vec<Message>,
        time_origin_ms: f64,
        source: RunSource,
        capture: Option<Rc<CaptureInfo>>,
    },
}

/// Where the run shown came from: the root's `data-source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunSource {
    /// Loaded by connscope itself (a run or a probe).
    #[default]
    Live,
    /// A HAR file.
    Har,
    /// A page's own measurement of its load (the capture script), or its HAR export.
    Capture,
}

impl RunSource {
    pub fn key(self) -> &'static str {
        match self {
            RunSource::Live => "live",
            RunSource::Har => "har",
            RunSource::Capture => "capture",
        }
    }

    /// What is shown, as a comparison names it when it is side A.
    pub fn shown(self) -> &'static str {
        match self {
            RunSource::Live => "the last run",
            RunSource::Har => "the imported HAR",
            RunSource::Capture => "the capture",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Session {
    pub state: RunState,
    pub target: String,
    /// Shared with the views that draw them: a state change that leaves them alone (a
    /// selection, a note) copies a pointer, not the run.
    pub requests: Rc<Vec<Request>>,
    pub messages: Vec<Message>,
    /// The page clock's origin (epoch ms), for absolute times in exports.
    pub time_origin_ms: f64,
    /// When the run is a probe: where it stands and what it found.
    pub probe: Option<ProbeStatus>,
    pub source: RunSource,
    /// What a capture said besides its entries (hints, buffer, page).
    pub capture: Option<Rc<CaptureInfo>>,
}

impl Session {
    pub fn apply(&mut self, event: Event) {
        match event {
            Event::Started { target, time_origin_ms } => {
                // What was said before any run (a link's unreadable parts) is about the
                // page, not a run: the first run keeps it in view.
                let before = if self.state == RunState::Idle { std::mem::take(&mut self.messages) } else { Vec::new() };
                *self = Session {
                    state: RunState::Running,
                    target,
                    time_origin_ms,
                    messages: before,
                    ..Session::default()
                };
            }
            Event::Discovered { url, kind, parent, depth } => {
                let id = self.requests.len();
                let origin = origin_of(&url).unwrap_or_else(|| "(no origin)".to_string());
                Rc::make_mut(&mut self.requests).push(Request {
                    id,
                    url,
                    origin,
                    kind,
                    parent,
                    depth,
                    outcome: Outcome::Pending,
                    timing: None,
                    recorded_connection: None,
                });
            }
            Event::RequestStarted { id } => {
                if let Some(r) = Rc::make_mut(&mut self.requests).get_mut(id) {
                    r.outcome = Outcome::Running;
                }
            }
            Event::RequestFinished { id, status, timing } => {
                if let Some(r) = Rc::make_mut(&mut self.requests).get_mut(id) {
                    r.outcome = Outcome::Done { status };
                    r.timing = timing;
                }
            }
            Event::RequestFailed { id, message, timing } => {
                if let Some(r) = Rc::make_mut(&mut self.requests).get_mut(id) {
                    r.outcome = Outcome::Failed { message };
                    r.timing = timing;
                }
            }
            Event::Note { level, text } => self.messages.push(Message { level, text }),
            Event::Probe(status) => self.probe = Some(status),
            Event::Finished => {
                if self.state == RunState::Running {
                    self.state = RunState::Done;
                }
            }
            Event::Failed { message } => {
                self.state = RunState::Failed;
                self.messages.push(Message { level: Level::Error, text: message });
            }
            Event::Cancelled => {
                for r in Rc::make_mut(&mut self.requests).iter_mut() {
                    if matches!(r.outcome, Outcome::Pending | Outcome::Running) {
                        r.outcome = Outcome::Failed { message: "cancelled".into() };
                    }
                }
                self.state = RunState::Done;
                self.messages.push(Message {
                    level: Level::Warning,
                    text: "Run cancelled: the requests that finished are shown.".into(),
                });
            }
            Event::ImportFailed { file, error } => self.messages.push(Message {
                level: Level::Error,
                text: format!(
                    "{file} was not imported: {error}. {}",
                    if self.requests.is_empty() { "Nothing was loaded." } else { "The run shown is unchanged." }
                ),
            }),
            Event::Imported { target, requests, notes, time_origin_ms, source, capture } => {
                *self = Session {
                    state: RunState::Done,
                    target,
                    requests: Rc::new(requests),
                    time_origin_ms,
                    source,
                    capture,
                    ..Session::default()
                };
                self.messages.extend(notes);
            }
        }
    }

    /// (finished, discovered), for the progress bar.
    pub fn progress(&self) -> (usize, usize) {
        let done =
            self.requests.iter().filter(|r| matches!(r.outcome, Outcome::Done { .. } | Outcome::Failed { .. })).count();
        (done, self.requests.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_link_said_stays_through_the_first_run_but_not_the_next() {
        let mut s = Session::default();
        s.apply(Event::Note { level: Level::Warning, text: "capture=\"nope\" is not the origin of a page".into() });
        s.apply(Event::Started { target: "a".into(), time_origin_ms: 0.0 });
        assert_eq!(s.messages.len(), 1, "the link's warning is still shown");
        s.apply(Event::Finished);
        s.apply(Event::Started { target: "b".into(), time_origin_ms: 0.0 });
        assert!(s.messages.is_empty(), "a run's messages end with it");
    }

    #[test]
    fn a_file_that_cannot_be_imported_loses_nothing() {
        let mut s = Session::default();
        s.apply(Event::Started { target: "http://h/page.html".into(), time_origin_ms: 0.0 });
        s.apply(Event::Discovered { url: "http://h/page.html".into(), kind: Kind::Document, parent: None, depth: 0 });
        s.apply(Event::Finished);
        let before = (s.state, s.target.clone(), s.requests.clone());
        s.apply(Event::ImportFailed { file: "notes.txt".into(), error: "this file is not JSON".into() });
        assert_eq!((s.state, s.target.clone(), s.requests.clone()), before);
        let last = s.messages.last().unwrap();
        assert_eq!(last.level, Level::Error);
        assert_eq!(last.text, "notes.txt was not imported: this file is not JSON. The run shown is unchanged.");
    }

    #[test]
    fn a_run_goes_from_idle_to_done_through_its_events() {
        let mut s = Session::default();
        assert_eq!(s.state, RunState::Idle);
        s.apply(Event::Started { target: "http://h/page.html".into(), time_origin_ms: 0.0 });
        s.apply(Event::Discovered { url: "http://h/page.html".into(), kind: Kind::Document, parent: None, depth: 0 });
        s.apply(Event::Discovered { url: "http://cdn:81/a.svg".into(), kind: Kind::Image, parent: Some(0), depth: 1 });
        assert_eq!(s.requests[1].origin, "http://cdn:81");
        s.apply(Event::RequestStarted { id: 0 });
        s.apply(Event::RequestFinished { id: 0, status: 200, timing: None });
        assert_eq!(s.progress(), (1, 2));
        s.apply(Event::RequestFailed { id: 1, message: "timeout".into(), timing: None });
        s.apply(Event::Finished);
        assert_eq!(s.state, RunState::Done);
        assert_eq!(s.progress(), (2, 2));
    }

    #[test]
    fn events_for_unknown_requests_are_ignored() {
        let mut s = Session::default();
        s.apply(Event::RequestFinished { id: 7, status: 200, timing: None });
        assert!(s.requests.is_empty());
    }

    #[test]
    fn cancelling_marks_what_was_left_and_keeps_the_rest() {
        let mut s = Session::default();
        s.apply(Event::Started { target: "t".into(), time_origin_ms: 0.0 });
        s.apply(Event::Discovered { url: "http://h/a".into(), kind: Kind::Document, parent: None, depth: 0 });
        s.apply(Event::Discovered { url: "http://h/b".into(), kind: Kind::Image, parent: Some(0), depth: 1 });
        s.apply(Event::RequestFinished { id: 0, status: 200, timing: None });
        s.apply(Event::Cancelled);
        assert_eq!(s.requests[0].outcome, Outcome::Done { status: 200 });
        assert_eq!(s.requests[1].outcome, Outcome::Failed { message: "cancelled".into() });
        assert_eq!(s.state, RunState::Done);
    }

    #[test]
    fn a_failure_keeps_its_message() {
        let mut s = Session::default();
        s.apply(Event::Started { target: "t".into(), time_origin_ms: 0.0 });
        s.apply(Event::Failed { message: "not HTML".into() });
        assert_eq!(s.state, RunState::Failed);
        assert_eq!(s.messages[0].level, Level::Error);
    }
}
