//! Yew components: they read model types, draw, and emit callbacks. Nothing is decided here.

pub mod connections;
pub mod controls;
pub mod details;
pub mod export;
pub mod legend;
pub mod messages;
pub mod progress;
pub mod summary;
pub mod waterfall;

/// A duration for people: `0.42 ms`, `12.3 ms`, `340 ms`, `1.20 s`.
pub fn fmt_ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 1.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

/// The mark of a verdict, readable without colour.
pub fn reuse_mark(r: crate::model::Reuse) -> (&'static str, &'static str) {
    match r {
        crate::model::Reuse::New => ("●", "new connection"),
        crate::model::Reuse::Reused => ("↺", "reused connection"),
        crate::model::Reuse::Unknown => ("?", "unknown"),
    }
}
