//! connscope: how a web page's requests open and reuse connections.
pub mod model;
