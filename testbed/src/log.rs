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

/// The most recent requests served, bounded by the bytes they take, so a testbed that runs
/// for days (`cargo xtask run` never drains it) stays small: the oldest go first.
#[derive(Default)]
pub(crate) struct ServedLog(std::sync::Mutex<Kept>);

#[derive(Default)]
pub(crate) struct Kept {
    entries: std::collections::VecDeque<Served>,
    bytes: usize,
}

/// What the log may hold in all.
pub const SERVED_LOG_BYTES: usize = 4 * 1024 * 1024;
/// A target longer than this is kept cut (tests read short ones; a request head may be 16 KB).
pub const SERVED_TARGET_MAX: usize = 1024;

fn size(s: &Served) -> usize {
    size_of::<Served>() + s.origin.len() + s.target.len()
}

impl ServedLog {
    pub(crate) fn record(&self, mut s: Served) {
        if s.target.len() > SERVED_TARGET_MAX {
            let mut cut = SERVED_TARGET_MAX;
            while !s.target.is_char_boundary(cut) {
                cut -= 1;
            }
            s.target.truncate(cut);
        }
        if let Ok(mut log) = self.0.lock() {
            log.bytes += size(&s);
            log.entries.push_back(s);
            while log.bytes > SERVED_LOG_BYTES {
                match log.entries.pop_front() {
                    Some(old) => log.bytes -= size(&old),
                    None => break,
                }
            }
        }
    }

    pub(crate) fn take(&self) -> Vec<Served> {
        self.0
            .lock()
            .map(|mut l| {
                l.bytes = 0;
                l.entries.drain(..).collect()
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
            log.record(Served {
                origin: "http://127.0.0.1:8081".into(),
                target: long.clone(),
                connection: 1,
                request_number: n + 1,
            });
        }
        let kept = log.take();
        let bytes: usize = kept.iter().map(size).sum();
        assert!(bytes <= SERVED_LOG_BYTES, "{bytes}");
        assert!(kept.iter().all(|s| s.target.len() <= SERVED_TARGET_MAX));
        assert_eq!(kept.last().map(|s| s.request_number), Some(20_000), "the newest is kept");
        assert!(kept.len() > 1000, "{} kept", kept.len());
        assert!(log.take().is_empty());
    }
}
