//! The time axis of the charts: the page's clock (ms) onto pixels, zooming, and round ticks.

use crate::request::Request;

/// The largest page-clock time charted (ms): a year. Beyond it a time is a broken number.
pub const MAX_CLOCK_MS: f64 = 365.0 * 24.0 * 3600.0 * 1000.0;

/// A drag across a chart shorter than this (px) is a click, not a zoom.
pub const DRAG_MIN_PX: f64 = 6.0;

/// Maps the page's clock (ms) onto `width` pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axis {
    pub start: f64,
    pub end: f64,
    pub width: f64,
}

impl Axis {
    /// An axis covering every request, starting at the first one. Times that are not
    /// numbers, or beyond [`MAX_CLOCK_MS`] (a hostile or broken recording), are left out, so
    /// the scale stays finite.
    pub fn covering(requests: &[Request], width: f64) -> Axis {
        let usable = |v: f64| v.is_finite() && v.abs() <= MAX_CLOCK_MS;
        let mut start = f64::INFINITY;
        let mut end = f64::NEG_INFINITY;
        for t in requests.iter().filter_map(|r| r.timing.as_ref()) {
            for v in [t.start_time, t.response_end].into_iter().filter(|v| usable(*v)) {
                start = start.min(v);
                end = end.max(v);
            }
        }
        let width = if width.is_finite() && width > 0.0 { width } else { 1.0 };
        if !start.is_finite() {
            return Axis { start: 0.0, end: 1.0, width };
        }
        Axis { start, end: end.max(start + 1.0), width }
    }

    /// An axis from 0 (or an earlier request) to at least `until` ms: two runs, each moved
    /// onto a clock that starts at its first request (`compare::from_zero`), drawn on one scale.
    pub fn covering_until(requests: &[Request], width: f64, until: Option<f64>) -> Axis {
        let covering = Axis::covering(requests, width);
        match until.filter(|u| u.is_finite() && u.abs() <= MAX_CLOCK_MS) {
            Some(until) => Axis { start: covering.start.min(0.0), end: covering.end.max(until), ..covering },
            None => covering,
        }
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

    /// The window that shows `[from, to]` with a tenth of its span (at least 0.05 ms) on
    /// either side, within `limits`: "Fit selected".
    pub fn fit(from: f64, to: f64, limits: Axis) -> Axis {
        let pad = ((to - from) * 0.1).max(0.05);
        limits.zoomed((from - pad).max(limits.start), (to + pad).min(limits.end))
    }

    /// The window a drag across the bars from `a` to `b` (px from the bars' left edge) asks
    /// for, or None when it was too short to be anything but a click.
    pub fn dragged(&self, a: f64, b: f64) -> Option<Axis> {
        ((a - b).abs() > DRAG_MIN_PX).then(|| self.zoomed(self.t(a.min(b)), self.t(a.max(b))))
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
    fn fitting_pads_a_tenth_and_short_drags_are_clicks() {
        let full = Axis { start: 0.0, end: 100.0, width: 1000.0 };
        let fit = Axis::fit(10.0, 30.0, full);
        assert_eq!((fit.start, fit.end), (8.0, 32.0));
        let edge = Axis::fit(0.0, 0.0, full);
        assert_eq!((edge.start, edge.end), (0.0, 0.1), "a zero-length request still gets a window");
        assert_eq!(full.dragged(100.0, 104.0), None);
        let z = full.dragged(300.0, 100.0).unwrap();
        assert_eq!((z.start, z.end), (10.0, 30.0));
    }

    #[test]
    fn labels_are_short() {
        assert_eq!(tick_label(0.0), "0 ms");
        assert_eq!(tick_label(2.5), "2.5 ms");
        assert_eq!(tick_label(1500.0), "1.5 s");
    }
}
