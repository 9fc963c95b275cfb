//! The testbed's own record, for tests to compare with what browsers report: which
//! connection carried each request, when each connection was accepted, and when each
//! request arrived on it.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in milliseconds since the Unix epoch: the clock a page reads as
/// `performance.timeOrigin + performance.now()` (and `Date.now()`), so tests can place the
/// server's moments on a browser's timeline.
pub fn epoch_ms() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// One request as the server served it: the ground truth the e2e tests compare with what
/// browsers report (some engines do not expose cross-origin Server-Timing).
#[derive(Debug, Clone, PartialEq)]
pub struct Served {
    /// The origin the request named (scheme://host:port, the host from its `Host` or
    /// `:authority`): a connection that two host names share (HTTP/2 coalescing) serves both.
    pub origin: String,
    /// Path and query as requested.
    pub target: String,
    pub connection: u64,
    pub request_number: u32,
    /// When its connection was accepted (epoch ms, see [`epoch_ms`]).
    pub accepted_ms: f64,
    /// When the request's head had arrived (epoch ms).
    pub received_ms: f64,
}

/// One connection as the server accepted it, whether or not it ever carried a request
/// (a browser's spare or preconnected socket may carry none).
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    /// The origin it was accepted on (scheme://host:port as the testbed names it).
    pub origin: String,
    pub connection: u64,
    /// Epoch ms, see [`epoch_ms`].
    pub accepted_ms: f64,
}

/// What the log may hold in all, requests and connections together.
pub const SERVED_LOG_BYTES: usize = 4 * 1024 * 1024;
/// A target longer than this is kept cut (tests read short ones; a request head may be 16 KB).
pub const SERVED_TARGET_MAX: usize = 1024;

/// The most recent records, bounded by the bytes they take, so a testbed that runs for
/// days (`cargo xtask run` never drains it) stays small: the oldest go first.
#[derive(Default)]
pub(crate) struct ServedLog(Mutex<Kept>);

#[derive(Default)]
struct Kept {
    served: VecDeque<Served>,
    opened: VecDeque<Opened>,
    bytes: usize,
}

fn served_size(s: &Served) -> usize {
    size_of::<Served>() + s.origin.len() + s.target.len()
}

fn opened_size(o: &Opened) -> usize {
    size_of::<Opened>() + o.origin.len()
}

fn cut(s: &mut String, max: usize) {
    if s.len() > max {
        let mut at = max;
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        s.truncate(at);
    }
}

impl Kept {
    /// Drops the oldest records (of either kind) until the log fits its bytes.
    fn trim(&mut self) {
        while self.bytes > SERVED_LOG_BYTES {
            let served_first = match (self.served.front(), self.opened.front()) {
                (Some(s), Some(o)) => s.received_ms <= o.accepted_ms,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if served_first {
                if let Some(old) = self.served.pop_front() {
                    self.bytes -= served_size(&old);
                }
            } else if let Some(old) = self.opened.pop_front() {
                self.bytes -= opened_size(&old);
            }
        }
    }
}

impl ServedLog {
    pub(crate) fn record(&self, mut s: Served) {
        cut(&mut s.target, SERVED_TARGET_MAX);
        cut(&mut s.origin, SERVED_TARGET_MAX);
        if let Ok(mut log) = self.0.lock() {
            log.bytes += served_size(&s);
            log.served.push_back(s);
            log.trim();
        }
    }

    pub(crate) fn opened(&self, o: Opened) {
        if let Ok(mut log) = self.0.lock() {
            log.bytes += opened_size(&o);
            log.opened.push_back(o);
            log.trim();
        }
    }

    /// The requests served since the last call, oldest first; forgets them.
    pub(crate) fn take(&self) -> Vec<Served> {
        self.0
            .lock()
            .map(|mut l| {
                let taken: Vec<Served> = l.served.drain(..).collect();
                l.bytes -= taken.iter().map(served_size).sum::<usize>();
                taken
            })
            .unwrap_or_default()
    }

    /// The connections accepted since the last call, oldest first; forgets them.
    pub(crate) fn take_opened(&self) -> Vec<Opened> {
        self.0
            .lock()
            .map(|mut l| {
                let taken: Vec<Opened> = l.opened.drain(..).collect();
                l.bytes -= taken.iter().map(opened_size).sum::<usize>();
                taken
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_newest_within_its_bytes() {
        let log = ServedLog::default();
        let long = format!("/r/a.css?{}", "x".repeat(16 * 1024));
        for n in 0..20_000u32 {
            log.opened(Opened { origin: "http://127.0.0.1:8081".into(), connection: n.into(), accepted_ms: n.into() });
            log.record(Served {
                origin: "http://127.0.0.1:8081".into(),
                target: long.clone(),
                connection: n.into(),
                request_number: n + 1,
                accepted_ms: n.into(),
                received_ms: f64::from(n) + 0.5,
            });
        }
        let kept = log.take();
        let opened = log.take_opened();
        let bytes: usize = kept.iter().map(served_size).sum::<usize>() + opened.iter().map(opened_size).sum::<usize>();
        assert!(bytes <= SERVED_LOG_BYTES, "{bytes}");
        assert!(kept.iter().all(|s| s.target.len() <= SERVED_TARGET_MAX));
        assert_eq!(kept.last().map(|s| s.request_number), Some(20_000), "the newest is kept");
        assert_eq!(opened.last().map(|o| o.connection), Some(19_999), "the newest is kept");
        assert!(kept.len() > 1000, "{} kept", kept.len());
        // The oldest go first, whichever kind they are: both kinds cover the same newest span.
        let (first_served, first_opened) = (kept[0].connection, opened[0].connection);
        assert!(first_served.abs_diff(first_opened) <= 1, "{first_served} vs {first_opened}");
        assert!(log.take().is_empty() && log.take_opened().is_empty());
    }
}
