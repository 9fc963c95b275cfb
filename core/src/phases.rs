//! The phases of one request, from its Resource Timing entry: queueing, redirect, DNS,
//! TCP, TLS, waiting, download. A phase that did not happen is `None`, never a negative or
//! invented number; inconsistent entries (browser quirks, faked clocks) get a note.

use crate::timing::Timing;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Waiting before the network: queued for a free connection (HTTP/1.1 allows 6 per
    /// origin), or stalled.
    Blocked,
    Redirect,
    Dns,
    Tcp,
    Tls,
    /// From sending the request to the first byte of the response.
    Waiting,
    Download,
}

impl Phase {
    pub const ALL: [Phase; 7] =
        [Phase::Blocked, Phase::Redirect, Phase::Dns, Phase::Tcp, Phase::Tls, Phase::Waiting, Phase::Download];

    /// Whether the phase sets up a connection (DNS, TCP, TLS) rather than carry the request.
    pub fn is_handshake(self) -> bool {
        matches!(self, Phase::Dns | Phase::Tcp | Phase::Tls)
    }

    /// The name in `data-phase-*` attributes and CSS classes.
    pub fn key(self) -> &'static str {
        match self {
            Phase::Blocked => "blocked",
            Phase::Redirect => "redirect",
            Phase::Dns => "dns",
            Phase::Tcp => "tcp",
            Phase::Tls => "tls",
            Phase::Waiting => "waiting",
            Phase::Download => "download",
        }
    }

    /// The `data-phase-*` attribute of waterfall rows (the DOM contract).
    pub fn data_attribute(self) -> &'static str {
        match self {
            Phase::Blocked => "data-phase-blocked",
            Phase::Redirect => "data-phase-redirect",
            Phase::Dns => "data-phase-dns",
            Phase::Tcp => "data-phase-tcp",
            Phase::Tls => "data-phase-tls",
            Phase::Waiting => "data-phase-waiting",
            Phase::Download => "data-phase-download",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Phase::Blocked => "Queueing",
            Phase::Redirect => "Redirect",
            Phase::Dns => "DNS",
            Phase::Tcp => "TCP connect",
            Phase::Tls => "TLS handshake",
            Phase::Waiting => "Waiting (TTFB)",
            Phase::Download => "Download",
        }
    }

    /// What the phase is, in a sentence a student can read.
    pub fn explanation(self) -> &'static str {
        match self {
            Phase::Blocked => "Time before the request reached the network: waiting in the browser's queue for a free connection (HTTP/1.1 browsers open at most 6 per origin) or for other work.",
            Phase::Redirect => "Time spent following redirects before the final URL was fetched.",
            Phase::Dns => "Looking up the host name's IP address. Skipped when the connection is reused or the answer is cached.",
            Phase::Tcp => "The TCP three-way handshake that opens a new connection: one round trip before any request can be sent.",
            Phase::Tls => "The TLS handshake that secures a new HTTPS connection: one or two more round trips. A reused connection skips it.",
            Phase::Waiting => "From sending the request to the first byte of the response: one round trip plus the server's think time.",
            Phase::Download => "Receiving the response body, from its first byte to its last.",
        }
    }
}

/// A stretch of time on a request's bar, in ms on the page's clock.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub phase: Phase,
    pub start: f64,
    pub end: f64,
}

/// The phases of one request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Phases {
    /// Contiguous pieces of the bar, in time order; phases that did not happen are absent.
    pub segments: Vec<Segment>,
    /// Where the bar starts and ends (startTime, responseEnd).
    pub start: f64,
    pub end: f64,
    /// What was odd about the entry, for the user to read.
    pub notes: Vec<String>,
    /// Only start and end are known (opaque or failed entries).
    pub detail_hidden: bool,
    /// The entry has request and response starts: waiting and download happened, even
    /// when coarsening makes one of them 0 ms.
    pub response_known: bool,
}

/// Timestamps closer than this are equal: entries are coarsened to 5 µs at best.
pub const EPSILON_MS: f64 = 0.001;

/// An integer that orders as `v` does (IEEE 754 total order), for ordered sets of moments.
pub(crate) fn order_key(v: f64) -> i64 {
    let bits = v.to_bits() as i64;
    bits ^ ((((bits >> 63) as u64) >> 1) as i64)
}

pub fn same(a: f64, b: f64) -> bool {
    (a - b).abs() < EPSILON_MS
}

impl Phases {
    /// Total duration of a phase, or None when it did not happen.
    pub fn duration(&self, phase: Phase) -> Option<f64> {
        let mut total = (self.response_known && matches!(phase, Phase::Waiting | Phase::Download)).then_some(0.0);
        for s in self.segments.iter().filter(|s| s.phase == phase) {
            *total.get_or_insert(0.0) += s.end - s.start;
        }
        total
    }

    /// The pieces during which the request occupied a connection: its handshake (if it
    /// opened one), then request to last byte. Queueing and redirects happened before the
    /// request had a connection.
    pub fn on_connection(&self) -> impl Iterator<Item = &Segment> {
        self.segments.iter().filter(|s| !matches!(s.phase, Phase::Blocked | Phase::Redirect))
    }

    pub fn total(&self) -> f64 {
        (self.end - self.start).max(0.0)
    }

    pub fn from_timing(t: &Timing) -> Phases {
        let mut p = Phases {
            start: t.start_time,
            end: t.response_end.max(t.start_time),
            // Room for every phase at once: one allocation, no regrowth.
            segments: Vec::with_capacity(Phase::ALL.len()),
            ..Phases::default()
        };
        if t.response_end > 0.0 && t.response_end + EPSILON_MS < t.start_time {
            p.notes.push(format!(
                "The entry ends ({:.3} ms) before it starts ({:.3} ms): the clock was faked (headless --virtual-time-budget?) — its times cannot be trusted.",
                t.response_end, t.start_time
            ));
            return p;
        }
        if t.is_opaque() {
            p.detail_hidden = true;
            return p;
        }

        // Points in time order; each phase spans the gap between two of them. A point
        // that is out of order (a quirk) is pulled forward so no phase is negative, and
        // the entry is flagged.
        let mut cursor = t.start_time;
        let push = |p: &mut Phases, phase: Phase, start: f64, end: f64, cursor: &mut f64| {
            // Time between two phases (Firefox spends some between DNS and connect) is
            // stalled time: count it as queueing, so the segments cover the whole bar.
            if start > *cursor + EPSILON_MS && end > start + EPSILON_MS && !p.segments.is_empty() {
                match p.segments.last_mut() {
                    Some(last) if last.phase == Phase::Blocked => last.end = start,
                    _ => p.segments.push(Segment { phase: Phase::Blocked, start: *cursor, end: start }),
                }
                *cursor = start;
            }
            let start = start.max(*cursor);
            if end > start + EPSILON_MS {
                p.segments.push(Segment { phase, start, end });
                *cursor = end;
            } else if end + EPSILON_MS < start && end > 0.0 {
                p.notes.push(format!(
                    "{} ends before it starts ({:.3} > {:.3} ms): shown as zero.",
                    phase.label(),
                    start,
                    end
                ));
            }
        };

        if t.redirect_start > 0.0 && t.redirect_end > t.redirect_start {
            push(&mut p, Phase::Redirect, t.redirect_start, t.redirect_end, &mut cursor);
        }
        let fetch_start = if t.fetch_start > 0.0 { t.fetch_start } else { t.start_time };
        let connected = t.connect_end > t.connect_start + EPSILON_MS;
        let dns = t.domain_lookup_end > t.domain_lookup_start + EPSILON_MS;
        let first_network = if dns {
            t.domain_lookup_start
        } else if connected {
            t.connect_start
        } else {
            t.request_start
        };
        push(&mut p, Phase::Blocked, cursor.max(fetch_start.min(cursor)), first_network, &mut cursor);
        if dns {
            push(&mut p, Phase::Dns, t.domain_lookup_start, t.domain_lookup_end, &mut cursor);
        }
        if connected {
            let tls = t.secure_connection_start > 0.0 && !same(t.secure_connection_start, t.fetch_start);
            if tls
                && (t.secure_connection_start + EPSILON_MS < t.connect_start
                    || t.secure_connection_start > t.connect_end + EPSILON_MS)
            {
                p.notes.push(format!(
                    "secureConnectionStart ({:.3} ms) lies outside the connect phase ({:.3}–{:.3} ms): TLS time not shown.",
                    t.secure_connection_start, t.connect_start, t.connect_end
                ));
                push(&mut p, Phase::Tcp, t.connect_start, t.connect_end, &mut cursor);
            } else if tls {
                push(&mut p, Phase::Tcp, t.connect_start, t.secure_connection_start, &mut cursor);
                push(&mut p, Phase::Tls, t.secure_connection_start, t.connect_end, &mut cursor);
            } else {
                push(&mut p, Phase::Tcp, t.connect_start, t.connect_end, &mut cursor);
            }
            // connectEnd → requestStart: the request waited for the new socket to be handed over.
            push(&mut p, Phase::Blocked, t.connect_end, t.request_start, &mut cursor);
        }
        if t.request_start > 0.0 && t.response_start > 0.0 {
            p.response_known = true;
            push(&mut p, Phase::Waiting, t.request_start, t.response_start, &mut cursor);
            push(&mut p, Phase::Download, t.response_start, t.response_end, &mut cursor);
        } else if t.response_start == 0.0 && t.response_end > 0.0 {
            p.notes.push("No response start: the response may have failed.".into());
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_tls() -> Timing {
        Timing {
            start_time: 10.0,
            fetch_start: 10.0,
            domain_lookup_start: 10.5,
            domain_lookup_end: 11.0,
            connect_start: 11.0,
            secure_connection_start: 12.0,
            connect_end: 14.0,
            request_start: 14.1,
            response_start: 20.0,
            response_end: 25.0,
            next_hop_protocol: "h2".into(),
            transfer_size: 1000.0,
            decoded_body_size: 700.0,
            ..Timing::default()
        }
    }

    #[test]
    fn a_new_tls_connection_has_every_phase_in_order() {
        let p = Phases::from_timing(&new_tls());
        let d = |ph| p.duration(ph);
        assert_eq!(d(Phase::Dns), Some(0.5));
        assert_eq!(d(Phase::Tcp), Some(1.0));
        assert_eq!(d(Phase::Tls), Some(2.0));
        assert_eq!(d(Phase::Waiting), Some(5.9));
        assert_eq!(d(Phase::Download), Some(5.0));
        assert!((d(Phase::Blocked).unwrap() - 0.6).abs() < 1e-9);
        assert_eq!(d(Phase::Redirect), None);
        assert!(p.notes.is_empty());
        let wire: Vec<Phase> = p.on_connection().map(|s| s.phase).collect();
        assert_eq!(wire, [Phase::Dns, Phase::Tcp, Phase::Tls, Phase::Waiting, Phase::Download]);
        let covered: f64 = p.segments.iter().map(|s| s.end - s.start).sum();
        assert!((covered - p.total()).abs() < 1e-9, "segments cover the bar");
        assert!(p.segments.windows(2).all(|w| w[0].end <= w[1].start + 1e-9));
    }

    #[test]
    fn a_reused_connection_has_no_dns_tcp_or_tls() {
        let t = Timing {
            start_time: 30.0,
            fetch_start: 30.0,
            domain_lookup_start: 30.0,
            domain_lookup_end: 30.0,
            connect_start: 30.0,
            connect_end: 30.0,
            secure_connection_start: 30.0,
            request_start: 42.0,
            response_start: 45.0,
            response_end: 46.0,
            ..new_tls()
        };
        let p = Phases::from_timing(&t);
        assert_eq!(p.duration(Phase::Dns), None);
        assert_eq!(p.duration(Phase::Tcp), None);
        assert_eq!(p.duration(Phase::Tls), None);
        assert_eq!(p.duration(Phase::Blocked), Some(12.0), "queued for a free connection");
    }

    #[test]
    fn tcp_without_tls_spans_the_whole_connect() {
        let t = Timing { secure_connection_start: 0.0, ..new_tls() };
        let p = Phases::from_timing(&t);
        assert_eq!(p.duration(Phase::Tcp), Some(3.0));
        assert_eq!(p.duration(Phase::Tls), None);
    }

    #[test]
    fn an_opaque_entry_hides_detail_without_inventing_phases() {
        let t = Timing { start_time: 5.0, fetch_start: 5.0, response_end: 9.0, duration: 4.0, ..Timing::default() };
        let p = Phases::from_timing(&t);
        assert!(p.detail_hidden);
        assert!(p.segments.is_empty());
        assert_eq!(p.total(), 4.0);
    }

    #[test]
    fn virtual_time_entries_are_flagged_not_drawn_backwards() {
        let t = Timing {
            start_time: 100.0,
            fetch_start: 100.0,
            response_end: 50.0,
            request_start: 60.0,
            response_start: 55.0,
            ..Timing::default()
        };
        let p = Phases::from_timing(&t);
        assert!(p.segments.is_empty());
        assert!(p.notes[0].contains("faked"), "{:?}", p.notes);
    }

    #[test]
    fn out_of_order_values_never_give_negative_phases() {
        // secureConnectionStart before connectStart (seen as a quirk), response before request.
        let t = Timing { secure_connection_start: 10.2, response_start: 13.0, ..new_tls() };
        let p = Phases::from_timing(&t);
        assert!(p.segments.iter().all(|s| s.end >= s.start));
        assert!(!p.notes.is_empty());
    }
}
