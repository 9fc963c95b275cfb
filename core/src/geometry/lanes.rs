//! The connection view's lanes: one per connection, as tall as the requests it carried at
//! once need, each request on a track of its own where they overlap.

use crate::analysis::Analysis;
use crate::connections::Connection;
use crate::phases::Phase;

/// How the requests of one connection stack inside its lane: each gets a track, and
/// requests that overlap in time (h2/h3 streams multiplexed on one connection) get
/// different tracks, so each stays visible; an HTTP/1.1 connection, one request at a
/// time, needs a single track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracks {
    /// The track of each request, in the order of `Connection::requests`.
    pub of: Vec<usize>,
    /// How many tracks the lane needs (at least 1).
    pub count: usize,
}

/// Clock noise tolerated between one request's last byte and the next one's first use of
/// the same connection before they count as overlapping (the coarsest Resource Timing
/// clocks tick in 0.1 ms).
const TOUCHING_MS: f64 = 0.1;

/// A request's span on its connection: from its first phase on it (handshake or request
/// sent; queueing is not on the connection) to its last byte.
pub fn span_on_connection(analysis: &Analysis, request: usize) -> Option<(f64, f64)> {
    analysis.requests.get(request).map(|a| {
        let p = &a.phases;
        (p.on_connection().next().map_or(p.start, |s| s.start), p.end)
    })
}

/// Tracks for one connection's requests. A browser sends one request at a time on an
/// HTTP/1.x connection (none pipelines), so such a lane has one track whatever the clock
/// says: an apparent overlap there is rounding (Firefox's HAR gives whole milliseconds).
/// h2/h3, and connections whose protocol is hidden, stack what overlaps.
pub fn tracks(conn: &Connection, analysis: &Analysis) -> Tracks {
    if crate::timing::one_at_a_time(&conn.protocol) {
        return Tracks { of: vec![0; conn.requests.len()], count: 1 };
    }
    stack(&conn.requests.iter().map(|&i| span_on_connection(analysis, i)).collect::<Vec<_>>())
}

/// Where one connection's lane sits in the connection view (px).
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    pub tracks: Tracks,
    /// Top of the lane.
    pub y: f64,
    /// Height of the lane: `min_height`, or more when its requests stack.
    pub height: f64,
    /// Height of one track: a single track fills the lane; stacked ones share it, 3 to 9 px
    /// each, so a hundred streams stay visible without a lane taller than the page.
    pub band: f64,
}

impl Lane {
    /// Top of `track`'s band.
    pub fn track_top(&self, track: usize) -> f64 {
        self.y + 3.0 + track as f64 * self.band
    }

    /// Where a request on `track` is drawn: handshakes (DNS, TCP, TLS) fill most of the
    /// band, the request's own time (sent, waiting, download) a thinner bar in its middle.
    pub fn marks(&self, track: usize) -> Marks {
        let top = self.track_top(track);
        Marks {
            handshake_y: top + self.band * 0.05,
            handshake_h: self.band * 0.8,
            request_y: top + self.band * 0.2,
            request_h: self.band * 0.5,
        }
    }
}

/// The vertical place of one request's marks in its lane (px).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Marks {
    pub handshake_y: f64,
    pub handshake_h: f64,
    pub request_y: f64,
    pub request_h: f64,
}

impl Marks {
    /// Top and height of a segment of `phase`.
    pub fn of(&self, phase: Phase) -> (f64, f64) {
        if phase.is_handshake() {
            (self.handshake_y, self.handshake_h)
        } else {
            (self.request_y, self.request_h)
        }
    }
}

/// Lays the lanes out one under another from `top`, each as tall as the requests it
/// carried at once need. Returns them and the bottom of the last.
pub fn lanes(connections: &[Connection], analysis: &Analysis, top: f64, min_height: f64) -> (Vec<Lane>, f64) {
    let mut bottom = top;
    let laid = connections
        .iter()
        .map(|c| {
            let tracks = tracks(c, analysis);
            let band = if tracks.count == 1 { min_height - 6.0 } else { (220.0 / tracks.count as f64).clamp(3.0, 9.0) };
            let height = (6.0 + band * tracks.count as f64).max(min_height);
            let lane = Lane { tracks, y: bottom, height, band };
            bottom += height;
            lane
        })
        .collect();
    (laid, bottom)
}

/// Greedy interval stacking in start order: each span goes to the lowest track free by its
/// start. A missing span takes track 0.
pub fn stack(spans: &[Option<(f64, f64)>]) -> Tracks {
    let mut order: Vec<(usize, (f64, f64))> = spans.iter().enumerate().filter_map(|(k, s)| Some((k, (*s)?))).collect();
    order.sort_by(|a, b| a.1 .0.total_cmp(&b.1 .0).then(a.0.cmp(&b.0)));
    let mut of = vec![0; spans.len()];
    let mut ends: Vec<f64> = Vec::new();
    for (k, (start, end)) in order {
        let track = match ends.iter().position(|&e| e <= start + TOUCHING_MS) {
            Some(t) => t,
            None => {
                ends.push(f64::NEG_INFINITY);
                ends.len() - 1
            }
        };
        ends[track] = end.max(start);
        of[k] = track;
    }
    Tracks { of, count: ends.len().max(1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiplexed_streams_stack_and_one_at_a_time_stays_on_one_track() {
        use crate::{analyse, testing::req};
        // h2: three streams at once on one connection, then a fourth once the second ended.
        let h2: Vec<_> = [(0.0, 10.0), (1.0, 8.0), (2.0, 12.0), (9.0, 14.0)]
            .iter()
            .enumerate()
            .map(|(i, (s, e))| req(i, "https://h", *s, *e, (i == 0).then_some(3.0), Some(("7", i as u32 + 1)), "h2"))
            .collect();
        let a = analyse(&h2);
        let t = tracks(&a.truth_connections[0], &a);
        assert_eq!((t.of.as_slice(), t.count), ([0, 1, 2, 1].as_slice(), 3), "the fourth takes the first track free");
        // HTTP/1.1 keep-alive: each request starts as (or a clock tick before) the last ends.
        let h1: Vec<_> = [(0.0, 5.0), (5.05, 9.0), (9.0, 12.0)]
            .iter()
            .enumerate()
            .map(|(i, (s, e))| {
                req(i, "http://a", *s, *e, (i == 0).then_some(1.0), Some(("3", i as u32 + 1)), "http/1.1")
            })
            .collect();
        let a = analyse(&h1);
        let spans: Vec<_> = (0..h1.len()).map(|i| span_on_connection(&a, i)).collect();
        assert_eq!(stack(&spans).count, 1, "touching within the clock's tick is not overlapping");
        assert_eq!(tracks(&a.truth_connections[0], &a), Tracks { of: vec![0, 0, 0], count: 1 });
        // Whole-millisecond times (Firefox's HAR) can show the next request a tick early:
        // on HTTP/1.x that is rounding, never two requests at once.
        let rounded = [Some((0.0, 5.0)), Some((4.0, 9.0))];
        assert_eq!(stack(&rounded).count, 2);
        let mut overlapping = h1;
        if let Some(t) = overlapping[1].timing.as_mut() {
            t.request_start = 4.0;
        }
        let a = analyse(&overlapping);
        assert_eq!(tracks(&a.truth_connections[0], &a).count, 1);

        // Laid out: the h2 lane is as tall as its three tracks need, the next starts below.
        let a2 = analyse(&h2);
        let both = [
            a2.truth_connections[0].clone(),
            Connection { protocol: "http/1.1".into(), ..a2.truth_connections[0].clone() },
        ];
        let (laid, bottom) = lanes(&both, &a2, 30.0, 26.0);
        assert_eq!((laid[0].y, laid[0].band, laid[0].height), (30.0, 9.0, 33.0));
        assert_eq!((laid[1].y, laid[1].band, laid[1].height), (63.0, 20.0, 26.0));
        assert_eq!((laid[0].track_top(2), bottom), (51.0, 89.0));
        // A connection whose requests the analysis does not have still gets a track.
        let stray = Connection { requests: vec![99], ..a.truth_connections[0].clone() };
        assert_eq!(tracks(&stray, &a), Tracks { of: vec![0], count: 1 });
    }
}
