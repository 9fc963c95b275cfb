//! What of a long chart to draw: the rows and lanes in view and a margin around them.
//! Drawing only those keeps a 20,000-request run as quick to render, hover and select as a
//! 50-request one; the chart keeps its full height, so the scrollbar tells where one is.

use super::Lane;
use std::ops::Range;

/// Up to this many rows (or lanes) a chart draws them all: cheap enough, and every one of
/// them stays in the page (for find-in-page and for tests that read the whole run).
pub const DRAW_ALL_UP_TO: usize = 200;

/// The margin drawn above and below the part in view (SVG units), so a scroll of less
/// than about a screen shows rows already drawn.
pub const MARGIN: f64 = 600.0;

/// The part of a chart in view: (top, bottom) in its SVG units from its top edge.
pub type Span = (f64, f64);

/// The rows of `count`, each `row_h` high from `y0`, that meet `span` widened by `MARGIN`;
/// all of them when they are few.
pub fn rows_in_view(count: usize, y0: f64, row_h: f64, span: Span) -> Range<usize> {
    if count <= DRAW_ALL_UP_TO || row_h <= 0.0 {
        return 0..count;
    }
    let (top, bottom) = (span.0 - MARGIN - y0, span.1 + MARGIN - y0);
    let first = (top / row_h).floor().clamp(0.0, count as f64) as usize;
    let end = (bottom / row_h).ceil().clamp(0.0, count as f64) as usize;
    first..end.max(first)
}

/// The lanes (laid out top to bottom) that meet `span` widened by `MARGIN`; all of them
/// when they are few.
pub fn lanes_in_view(lanes: &[Lane], span: Span) -> Range<usize> {
    if lanes.len() <= DRAW_ALL_UP_TO {
        return 0..lanes.len();
    }
    let (top, bottom) = (span.0 - MARGIN, span.1 + MARGIN);
    let first = lanes.partition_point(|l| l.y + l.height < top);
    let end = lanes.partition_point(|l| l.y <= bottom);
    first..end.max(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::Tracks;

    #[test]
    fn a_short_run_is_drawn_whole_wherever_one_looks() {
        assert_eq!(rows_in_view(150, 26.0, 22.0, (5000.0, 6000.0)), 0..150);
        assert_eq!(rows_in_view(0, 26.0, 22.0, (0.0, 600.0)), 0..0);
    }

    #[test]
    fn a_long_run_draws_what_is_in_view_and_a_margin() {
        // 5,000 rows of 22 from 26: in view 2,226..2,886, i.e. rows 100..130, and 600 around.
        let r = rows_in_view(5000, 26.0, 22.0, (2226.0, 2886.0));
        assert_eq!(r, 72..158);
        assert!(r.contains(&100) && r.contains(&129));
        // The top of the chart, and past its end.
        assert_eq!(rows_in_view(5000, 26.0, 22.0, (0.0, 700.0)), 0..58);
        assert_eq!(rows_in_view(5000, 26.0, 22.0, (200_000.0, 201_000.0)), 5000..5000);
    }

    #[test]
    fn lanes_in_view_are_found_by_their_tops_and_heights() {
        let lane = |y: f64, height: f64| Lane { tracks: Tracks { of: vec![0], count: 1 }, y, height, band: 20.0 };
        // 300 lanes of 26, then one tall lane of 2,000.
        let mut lanes: Vec<Lane> = (0..300).map(|i| lane(30.0 + i as f64 * 26.0, 26.0)).collect();
        lanes.push(lane(30.0 + 300.0 * 26.0, 2000.0));
        let r = lanes_in_view(&lanes, (3000.0, 3600.0));
        // From the lane holding y = 2,400 to the one holding y = 4,200.
        assert_eq!((r.start, r.end), (91, 161));
        // The tall lane is drawn while any of it is near view.
        assert_eq!(lanes_in_view(&lanes, (9000.0, 9500.0)), 300..301);
    }
}
