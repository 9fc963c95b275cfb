//! Yew components: they draw what the core computed and emit callbacks. Nothing is decided
//! here, and nothing here calls the browser but to read the event it handles.

pub mod chart;
pub mod connections;
pub mod controls;
pub mod details;
pub mod export;
pub mod legend;
pub mod messages;
pub mod probe;
pub mod progress;
pub mod summary;
pub mod waterfall;
