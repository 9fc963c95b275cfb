//! The waterfall's rows: one per request, its phases as segments in pixels.

use super::axis::Axis;
use crate::analysis::Analysis;
use crate::phases::Phase;
use crate::request::Request;

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
            // Not-a-number never reaches the SVG: such a time draws at the left edge.
            let clip = |x: f64| if x.is_finite() { x.clamp(0.0, axis.width) } else { 0.0 };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoomed_in_rows_say_which_side_of_the_window_their_bar_is_on() {
        use crate::{analyse, testing::req};
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
}
