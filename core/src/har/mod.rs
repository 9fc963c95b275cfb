//! HAR 1.2: export of a run, and import of HAR files saved by browsers' DevTools, so a real
//! site recorded there can be analysed and drawn too. Malformed input gives an error that
//! names what is wrong, or a partial result with notes; nothing panics.

mod export;
mod import;
mod lean;

pub use export::{export, export_run};
pub use import::{check_size, import, HarError, Imported, MAX_ENTRY_NOTES, MAX_FILE_BYTES};
