//! What a probe found and where it stands, in figures and in words.

use crate::text::format_seconds;
use serde::{Deserialize, Serialize};

/// Which question the probe is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    KeepsConnections,
    RequestsPerConnection,
    IdleTimeout,
    Done,
    Failed,
    Cancelled,
}

impl Stage {
    /// The three questions, in the order the probe asks them.
    pub const QUESTIONS: [Stage; 3] = [Stage::KeepsConnections, Stage::RequestsPerConnection, Stage::IdleTimeout];

    /// Which of [`Stage::QUESTIONS`] this is (0-based); None once the probe has ended.
    pub fn step(self) -> Option<usize> {
        Stage::QUESTIONS.iter().position(|q| *q == self)
    }

    /// `data-probe`.
    pub fn key(self) -> &'static str {
        match self {
            Stage::KeepsConnections | Stage::RequestsPerConnection | Stage::IdleTimeout => "running",
            Stage::Done => "done",
            Stage::Failed => "failed",
            Stage::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::KeepsConnections => "Does the server keep connections open?",
            Stage::RequestsPerConnection => "How many requests does one connection serve?",
            Stage::IdleTimeout => "How long does the server keep an idle connection?",
            Stage::Done => "Done",
            Stage::Failed => "Stopped",
            Stage::Cancelled => "Cancelled",
        }
    }
}

/// Requests one connection served: exactly, or at least (the probe stopped counting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Count {
    Exactly(u32),
    AtLeast(u32),
}

impl Count {
    /// `data-max-requests`: `7` or `>=200`.
    pub fn key(self) -> String {
        match self {
            Count::Exactly(n) => n.to_string(),
            Count::AtLeast(n) => format!(">={n}"),
        }
    }
}

/// How long the server keeps an idle connection.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Idle {
    /// A pause of `low` ms was survived and one of `high` ms was not.
    Between { low: f64, high: f64 },
    /// Even the longest pause tried (ms) was survived.
    LongerThan(f64),
}

impl Idle {
    /// (estimate, lowest, highest) in ms; no highest when it is longer than was tried.
    pub fn figures(self) -> (f64, f64, Option<f64>) {
        match self {
            Idle::Between { low, high } => (self.estimate_ms(), low, Some(high)),
            Idle::LongerThan(ms) => (ms, ms, None),
        }
    }

    /// The estimate: the middle of what is known.
    pub fn estimate_ms(self) -> f64 {
        match self {
            Idle::Between { low, high } => (low + high) / 2.0,
            Idle::LongerThan(ms) => ms,
        }
    }
}

/// Where a probe stands, and what it found so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeStatus {
    pub origin: String,
    pub stage: Stage,
    pub requests_sent: usize,
    /// A rough estimate of the time left (ms), for the progress bar.
    pub eta_ms: Option<f64>,
    /// `nextHopProtocol` of the responses.
    pub protocol: Option<String>,
    pub keep_alive: Option<bool>,
    pub max_requests: Option<Count>,
    pub idle: Option<Idle>,
    /// Why the probe stopped early, or what it could not tell.
    pub problem: Option<String>,
}

impl ProbeStatus {
    /// The idle timeout in words: `about 2.9 s (between 2.8 s and 3.0 s)`.
    pub fn idle_words(&self) -> String {
        match self.idle {
            Some(Idle::Between { low, high }) => format!(
                "about {} (between {} and {})",
                format_seconds(Idle::Between { low, high }.estimate_ms()),
                format_seconds(low),
                format_seconds(high)
            ),
            Some(Idle::LongerThan(ms)) => format!("longer than {}", format_seconds(ms)),
            None if self.keep_alive == Some(false) => "none: nothing stays open".into(),
            None => "—".into(),
        }
    }

    /// Requests per connection in words: `5`, `at least 200 (no cap seen)`.
    pub fn max_requests_words(&self) -> String {
        match self.max_requests {
            Some(Count::Exactly(n)) => n.to_string(),
            Some(Count::AtLeast(n)) => format!("at least {n} (no cap seen)"),
            None => "—".into(),
        }
    }

    /// Where the probe stands, for its progress line.
    pub fn progress_words(&self) -> String {
        match self.stage {
            Stage::Done | Stage::Failed | Stage::Cancelled => {
                format!("{} after {}.", self.stage.label(), crate::text::plural(self.requests_sent, "request"))
            }
            stage => {
                let step = stage.step().map_or(1, |i| i + 1);
                let left = self.eta_ms.map(|ms| format!(", about {} left", format_seconds(ms))).unwrap_or_default();
                format!(
                    "Step {step} of 3: {} ({} sent{left})",
                    stage.label(),
                    crate::text::plural(self.requests_sent, "request")
                )
            }
        }
    }

    /// The result in plain words, with what the browser adds and what cannot be told.
    pub fn sentence(&self, browser: Browser) -> String {
        let mut out = String::new();
        match (self.keep_alive, self.idle, self.max_requests) {
            (Some(false), _, _) => {
                out.push_str("This server does not keep connections: every request needed a new one (it closes after each response, as HTTP/1.0 did). ");
            }
            (Some(true), idle, max) => {
                out.push_str("This server keeps connections open");
                match idle {
                    Some(Idle::Between { .. }) => {
                        out.push_str(&format!(" and keeps an idle one for {}", self.idle_words()));
                    }
                    Some(Idle::LongerThan(_)) => {
                        out.push_str(&format!(
                            " and keeps an idle one for {} (the longest pause tried)",
                            self.idle_words()
                        ));
                    }
                    None => {}
                }
                match max {
                    Some(Count::Exactly(n)) => {
                        out.push_str(&format!(", and serves at most {n} requests on one connection. "));
                    }
                    Some(Count::AtLeast(n)) => {
                        out.push_str(&format!(
                            ", and served all {n} requests of the probe on one connection (no cap seen). "
                        ));
                    }
                    None => out.push_str(". "),
                }
            }
            (None, _, _) => {}
        }
        if let Some(p) = &self.protocol {
            if crate::timing::multiplexed(p) {
                out.push_str(&format!("It speaks {p}: one connection carries many requests at once, so the browser rarely needs a second. "));
            }
        }
        if self.idle.is_some() {
            out.push_str(browser.idle_note());
            out.push(' ');
        }
        if let Some(problem) = &self.problem {
            out.push_str(problem);
            out.push(' ');
        }
        out.push_str("A proxy or load balancer in between keeps its own connections: what is measured is the hop from this browser to the first server that answers.");
        out.trim_end().to_string()
    }
}

/// The browser the probe runs in, for what it adds to the server's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browser {
    Chromium,
    Firefox,
    Safari,
    Other,
}

impl Browser {
    /// From `navigator.userAgent`.
    pub fn from_user_agent(ua: &str) -> Browser {
        if ua.contains("Firefox/") {
            Browser::Firefox
        } else if ua.contains("Chrome/") || ua.contains("Chromium/") {
            Browser::Chromium
        } else if ua.contains("Safari/") || ua.contains("AppleWebKit/") {
            Browser::Safari
        } else {
            Browser::Other
        }
    }

    fn idle_note(self) -> &'static str {
        match self {
            Browser::Chromium => "The browser closes idle connections itself too (Chromium: after 5 minutes once used, 10 s if never used), so this is the smaller of the server's timeout and the browser's.",
            Browser::Firefox => "The browser closes idle connections itself too (Firefox: after network.http.keep-alive.timeout, 115 s by default), so this is the smaller of the server's timeout and the browser's.",
            Browser::Safari => "The browser closes idle connections itself too (WebKit's network stack keeps them about a minute or two), so this is the smaller of the server's timeout and the browser's.",
            Browser::Other => "The browser may close idle connections itself too, so this is the smaller of the server's timeout and the browser's.",
        }
    }
}
