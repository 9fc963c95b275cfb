//! Waterfall and connection-view geometry: time → x, round ticks, rows and lanes, computed
//! here and only drawn by the UI.

use super::phases::Phase;
use super::run::{Analysis, Connection, Request};

/// Maps the page's clock (ms) onto `width` pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axis {
    pub start: f64,
    pub end: f64,
    pub width: f64,
}

impl Axis {
    /// An axis covering every request, starting at the first one.
    pub fn covering(requests: &[Request], width: f64) -> Axis {
        let mut start = f64::INFINITY;
        let mut end = f64::NEG_INFINITY;
        for t in requests.iter().filter_map(|r| r.timing.as_ref()) {
            start = start.min(t.start_time);
            end = end.max(t.response_end.max(t.start_time));
        }
        if !start.is_finite() {
            return Axis { start: 0.0, end: 1.0, width };
        }
        Axis { start, end: end.max(start + 1.0), width }
    }

    /// Zooms to `[from, to]` (ms), keeping at least 0.1 ms.
    pub fn zoomed(self, from: f64, to: f64) -> Axis {
        let (a, b) = if from <= to { (from, to) } else { (to, from) };
        Axis { start: a, end: b.max(a + 0.1), width: self.width }
    }

    pub fn x(&self, t: f64) -> f64 {
        (t - self.start) / (self.end - self.start) * self.width
    }

    /// The time at `x` pixels (the inverse of [`Axis::x`]), for drag-to-zoom.
    pub fn t(&self, x: f64) -> f64 {
        self.start + x / self.width.max(1e-9) * (self.end - self.start)
    }

    /// Zooms by `factor` (< 1 narrows) around `center`, within `limits`.
    pub fn scaled(self, factor: f64, center: f64, limits: Axis) -> Axis {
        let half = (self.end - self.start) * factor / 2.0;
        let (mut a, mut b) = (center - half, center + half);
        if b - a >= limits.end - limits.start {
            return limits;
        }
        if a < limits.start {
            b += limits.start - a;
            a = limits.start;
        }
        if b > limits.end {
            a -= b - limits.end;
            b = limits.end;
        }
        self.zoomed(a, b)
    }

    /// Ticks at round steps (1, 2, 5 × 10ⁿ ms) counted from the axis start (the labels
    /// read 0, 20, 40 ms…), about `target` of them. Returned on the page's clock.
    pub fn ticks(&self, target: usize) -> Vec<f64> {
        let relative = Axis { start: 0.0, end: self.end - self.start, width: self.width };
        relative.round_ticks(target).into_iter().map(|t| t + self.start).collect()
    }

    fn round_ticks(&self, target: usize) -> Vec<f64> {
        let span = self.end - self.start;
        let rough = span / target.max(1) as f64;
        let magnitude = 10f64.powf(rough.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|s| *s >= rough * (1.0 - 1e-9))
            .unwrap_or(10.0 * magnitude);
        let first = (self.start / step).ceil() * step;
        (0..).map(|i| first + i as f64 * step).take_while(|t| *t <= self.end + step * 1e-9).take(1000).collect()
    }
}

/// A tick's label: `0 ms`, `2.5 ms`, `1.2 s`.
pub fn tick_label(ms_from_start: f64) -> String {
    if ms_from_start.abs() >= 1000.0 {
        format!("{} s", trim(ms_from_start / 1000.0))
    } else {
        format!("{} ms", trim(ms_from_start))
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[derive(Debug, Clone, PartialEq)]
pub struct BarSegment {
    pub phase: Phase,
    pub x: f64,
    pub width: f64,
}

/// Where a request's bar lies against the time window shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Placement {
    /// At least partly inside (or no timing at all).
    #[default]
    Inside,
    /// Ended before the window starts.
    Before,
    /// Starts after the window ends.
    After,
}

/// One request's row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub request: usize,
    pub index: usize,
    /// The whole bar (for entries whose phases are hidden).
    pub x: f64,
    pub width: f64,
    pub segments: Vec<BarSegment>,
    /// Zoomed in, a bar may lie wholly outside the window: nothing of it is drawn.
    pub placement: Placement,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    Start,
    Origin,
}

/// Rows of the waterfall, in the chosen order. Requests without timing come last.
pub fn rows(requests: &[Request], analysis: &Analysis, axis: &Axis, order: Order) -> Vec<Row> {
    let mut ids: Vec<usize> = (0..requests.len().min(analysis.requests.len())).collect();
    let start = |i: usize| requests[i].timing.as_ref().map_or(f64::INFINITY, |t| t.start_time);
    ids.sort_by(|a, b| {
        let by_origin = match order {
            Order::Origin => requests[*a].origin.cmp(&requests[*b].origin),
            Order::Start => std::cmp::Ordering::Equal,
        };
        by_origin.then(start(*a).total_cmp(&start(*b))).then(a.cmp(b))
    });
    ids.into_iter()
        .enumerate()
        .map(|(index, i)| {
            let p = &analysis.requests[i].phases;
            let clip = |x: f64| x.clamp(0.0, axis.width);
            let (x0, x1) =
                if requests[i].timing.is_some() { (clip(axis.x(p.start)), clip(axis.x(p.end))) } else { (0.0, 0.0) };
            let segments = p
                .segments
                .iter()
                .map(|s| {
                    let (a, b) = (clip(axis.x(s.start)), clip(axis.x(s.end)));
                    BarSegment { phase: s.phase, x: a, width: (b - a).max(0.0) }
                })
                .filter(|s| s.width > 0.0)
                .collect();
            let placement = match requests[i].timing {
                Some(_) if p.end < axis.start => Placement::Before,
                Some(_) if p.start > axis.end => Placement::After,
                _ => Placement::Inside,
            };
            Row { request: i, index, x: x0, width: (x1 - x0).max(0.0), segments, placement }
        })
        .collect()
}

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
    if super::timing::one_at_a_time(&conn.protocol) {
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
    fn ticks_fall_on_round_steps() {
        let axis = Axis { start: 0.0, end: 87.0, width: 800.0 };
        assert_eq!(axis.ticks(8), vec![0.0, 20.0, 40.0, 60.0, 80.0]);
        // Labels count from the first request, whatever the page's clock says.
        let late = Axis { start: 92.405, end: 547.0, width: 800.0 };
        let labels: Vec<String> = late.ticks(5).iter().map(|t| tick_label(t - late.start)).collect();
        assert_eq!(labels, ["0 ms", "100 ms", "200 ms", "300 ms", "400 ms"]);
        let small = Axis { start: 3.3, end: 3.9, width: 800.0 };
        let t = small.ticks(6);
        assert!((t[0] - 3.3).abs() < 1e-9 && t.len() == 7, "{t:?}");
    }

    #[test]
    fn x_maps_the_axis_onto_the_width() {
        let axis = Axis { start: 10.0, end: 20.0, width: 500.0 };
        assert_eq!(axis.x(10.0), 0.0);
        assert_eq!(axis.x(15.0), 250.0);
        assert_eq!(axis.zoomed(12.0, 14.0).x(13.0), 250.0);
    }

    #[test]
    fn zooming_stays_inside_the_run_and_inverts() {
        let full = Axis { start: 0.0, end: 100.0, width: 500.0 };
        assert_eq!(full.t(full.x(37.5)), 37.5);
        let z = full.scaled(0.5, 10.0, full);
        assert_eq!((z.start, z.end), (0.0, 50.0), "pushed back inside the run");
        let z = z.scaled(0.5, 30.0, full);
        assert_eq!((z.start, z.end), (17.5, 42.5));
        assert_eq!(z.scaled(100.0, 30.0, full), full, "zooming out stops at the whole run");
    }

    #[test]
    fn zoomed_in_rows_say_which_side_of_the_window_their_bar_is_on() {
        use crate::model::{analyse, testing::req};
        let requests: Vec<_> = [(0.0, 5.0), (10.0, 20.0), (30.0, 40.0)]
            .iter()
            .enumerate()
            .map(|(i, (s, e))| req(i, "http://a", *s, *e, None, None, "http/1.1"))
            .collect();
        let analysis = analyse(&requests);
        let whole = Axis::covering(&requests, 400.0);
        assert!(rows(&requests, &analysis, &whole, Order::Start).iter().all(|r| r.placement == Placement::Inside));
        let window = whole.zoomed(8.0, 25.0);
        let zoomed = rows(&requests, &analysis, &window, Order::Start);
        let placements: Vec<Placement> = zoomed.iter().map(|r| r.placement).collect();
        assert_eq!(placements, [Placement::Before, Placement::Inside, Placement::After]);
        assert!(zoomed[0].segments.is_empty() && zoomed[2].segments.is_empty());
        assert!(!zoomed[1].segments.is_empty());
    }

    #[test]
    fn multiplexed_streams_stack_and_one_at_a_time_stays_on_one_track() {
        use crate::model::{analyse, testing::req};
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
        let mut overlapping = h1.clone();
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

    #[test]
    fn labels_are_short() {
        assert_eq!(tick_label(0.0), "0 ms");
        assert_eq!(tick_label(2.5), "2.5 ms");
        assert_eq!(tick_label(1500.0), "1.5 s");
    }
}
