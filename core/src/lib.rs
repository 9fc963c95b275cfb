//! connscope-core: everything connscope decides, in plain Rust with no browser or UI
//! dependency, so all of it is tested natively and the compiler keeps it that way (this
//! crate cannot name yew, web-sys, js-sys, wasm-bindgen or gloo).
//!
//! Timing entries in; phases, reuse verdicts, connections, summaries, HAR and chart
//! geometry out. The crawl ([`crawl::Crawl`]) decides how a run loads a page and returns
//! effects for the browser shell to carry out. `docs/ARCHITECTURE.md` draws the layers.

pub mod analysis;
pub mod capture;
pub mod compare;
pub mod config;
pub mod connections;
pub mod contract;
pub mod crawl;
pub mod effect;
pub mod export;
pub mod failure;
pub mod geometry;
pub mod har;
pub mod lesson;
pub mod phases;
pub mod probe;
pub mod report;
pub mod request;
pub mod reuse;
pub mod session;
pub mod summary;
pub mod synthetic;
#[cfg(test)]
pub(crate) mod testing;
pub mod text;
pub mod timing;
pub mod url;

pub use analysis::{analyse, Analysed, Analysis};
pub use connections::{Connection, Recorded, Source, Witness};
pub use contract::{ScenarioInfo, ServerTruth};
pub use phases::{Phase, Phases, Segment};
pub use request::{Kind, Outcome, Request};
pub use reuse::{Agreement, Reuse, UnknownReason, Verdict};
pub use session::{Event, Level, Message, RunSource, RunState, Session};
pub use summary::Summary;
pub use timing::{ServerTimingEntry, Timing};
