//! The served-request log: the testbed's own record of which connection carried each
//! request, for tests to compare with what browsers report.

/// One request as the server served it: the ground truth the e2e tests compare with what
/// browsers report (some engines do not expose cross-origin Server-Timing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The origin (scheme://host:port) that served it.
    pub origin: String,
    /// Path and query as requested.
    pub target: String,
    pub connection: u64,
    pub request_number: u32,
}

/// The most recent requests served, bounded so a long-running testbed stays small.
#[derive(Default)]
pub(crate) struct ServedLog(std::sync::Mutex<std::collections::VecDeque<Served>>);

const SERVED_LOG_MAX: usize = 50_000;

impl ServedLog {
    pub(crate) fn record(&self, s: Served) {
        if let Ok(mut log) = self.0.lock() {
            if log.len() >= SERVED_LOG_MAX {
                log.pop_front();
            }
            log.push_back(s);
        }
    }
    pub(crate) fn take(&self) -> Vec<Served> {
        self.0.lock().map(|mut l| l.drain(..).collect()).unwrap_or_default()
    }
}
