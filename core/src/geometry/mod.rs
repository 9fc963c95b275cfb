//! Chart geometry, computed here and only drawn by the UI: the time axis, the waterfall's
//! rows and the connection view's lanes.

mod axis;
mod lanes;
mod rows;
mod view;

pub use axis::{tick_label, Axis, DRAG_MIN_PX};
pub use lanes::{lanes, span_on_connection, stack, tracks, Lane, Marks, Tracks};
pub use rows::{rows, BarSegment, Order, Placement, Row};
pub use view::{lanes_in_view, rows_in_view, Span, DRAW_ALL_UP_TO, MARGIN};
