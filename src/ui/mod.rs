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

pub use crate::model::run::format_ms as fmt_ms;

/// The mark of a verdict, readable without colour.
pub fn reuse_mark(r: crate::model::Reuse) -> (&'static str, &'static str) {
    match r {
        crate::model::Reuse::New => ("●", "new connection"),
        crate::model::Reuse::Reused => ("↺", "reused connection"),
        crate::model::Reuse::Unknown => ("?", "unknown"),
    }
}
