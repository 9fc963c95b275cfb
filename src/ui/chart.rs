//! What the waterfall and the connection view share: the chart's size in SVG units and
//! the time scale drawn over both, so they read on one scale.

use connscope_core::geometry::{tick_label, Axis};
use yew::prelude::*;

pub const WIDTH: f64 = 1100.0;
pub const LABEL_W: f64 = 330.0;
pub const MARK_W: f64 = 26.0;
pub const BARS_W: f64 = WIDTH - LABEL_W - MARK_W - 70.0;
pub const ROW_H: f64 = 22.0;
pub const AXIS_H: f64 = 26.0;

/// The time scale over a chart: round ticks along the top (`AXIS_H` high), each with a
/// grid line down to `height`; bars start at `x0`.
pub fn time_axis(axis: &Axis, x0: f64, height: f64) -> Html {
    html! {
        <g class="axis" aria-hidden="true">
            { for axis.ticks(8).iter().map(|t| {
                let x = x0 + axis.x(*t);
                html! { <g>
                    <line x1={x.to_string()} x2={x.to_string()} y1={(AXIS_H - 6.0).to_string()} y2={height.to_string()} class="grid" />
                    <text x={x.to_string()} y={(AXIS_H - 10.0).to_string()} class="tick" text-anchor="middle">{ tick_label(t - axis.start) }</text>
                </g> }
            }) }
        </g>
    }
}
