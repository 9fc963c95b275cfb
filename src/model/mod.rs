//! The model: everything connscope decides, in plain Rust (no web-sys, js-sys or yew), so
//! it is tested natively. Timing entries in; phases, reuse verdicts, connections,
//! summaries, HAR and waterfall geometry out.

pub mod config;
pub mod discover;
pub mod failure;
pub mod geometry;
pub mod har;
pub mod phases;
pub mod reuse;
pub mod run;
pub mod session;
#[cfg(test)]
pub(crate) mod testing;
pub mod timing;

pub use phases::{Phase, Phases, Segment};
pub use reuse::{Agreement, Reuse, UnknownReason, Verdict};
pub use run::{analyse, Analysed, Analysis, Connection, Kind, Outcome, Request, Source, Summary, Witness};
pub use session::{Event, Level, Message, RunState, Session};
pub use timing::{ServerTimingEntry, ServerTruth, Timing};
