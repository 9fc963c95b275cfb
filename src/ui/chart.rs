//! What the waterfall and the connection view share: the chart's size in SVG units and
//! the time scale drawn over both, so they read on one scale.

use connscope_core::geometry::{tick_label, Axis, Span};
use std::cell::RefCell;
use std::rc::Rc;
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

/// How finely the part in view is tracked (SVG units): a scroll within one step changes
/// nothing, so scrolling re-renders a chart about once per 12 rows, not once per frame.
const VIEW_STEP: f64 = 256.0;

/// The part of the chart `svg` (an `<svg>` `WIDTH` units wide) in the window's view, in
/// its SVG units, in steps of `VIEW_STEP`: measured after each render and on every scroll
/// or resize, at most once per animation frame, and drawn in the task after that frame.
#[hook]
pub fn use_view_span(svg: NodeRef) -> Span {
    // Until measured, the top edge only: a chart first drawn below the fold draws no more
    // than its margin, and the measure after that render adds what is in view.
    let span = use_state_eq(|| (0.0, 0.0));
    let frame: Rc<RefCell<Option<gloo_render::AnimationFrame>>> = use_mut_ref(|| None);
    let measure = {
        let span = span.clone();
        Rc::new(move || {
            if frame.borrow().is_some() {
                return;
            }
            let (svg, span, pending) = (svg.clone(), span.clone(), frame.clone());
            let handle = gloo_render::request_animation_frame(move |_| {
                pending.borrow_mut().take();
                let Some(el) = svg.cast::<web_sys::Element>() else { return };
                let rect = el.get_bounding_client_rect();
                let view_h = web_sys::window().and_then(|w| w.inner_height().ok()).and_then(|h| h.as_f64());
                if rect.width() <= 0.0 {
                    return;
                }
                let scale = rect.width() / WIDTH;
                let view_h = view_h.unwrap_or(1000.0);
                let top = (-rect.top()).max(0.0) / scale;
                let bottom = (view_h - rect.top()).max(0.0) / scale;
                let seen = ((top / VIEW_STEP).floor() * VIEW_STEP, (bottom / VIEW_STEP).ceil() * VIEW_STEP);
                // Measured in the frame, drawn in a task of its own: a chart that grew by
                // hundreds of rows would otherwise draw them in this frame's task, on top of
                // the layout the measure forced (Chromium's long-animation-frame entries:
                // 50-90 ms tasks in a live run of 300 requests).
                wasm_bindgen_futures::spawn_local(async move {
                    gloo_timers::future::TimeoutFuture::new(0).await;
                    span.set(seen);
                });
            });
            *frame.borrow_mut() = Some(handle);
        })
    };
    {
        let measure = measure.clone();
        use_effect_with((), move |_| {
            let listeners = web_sys::window().map(|w| {
                let options = gloo_events::EventListenerOptions {
                    phase: gloo_events::EventListenerPhase::Capture,
                    passive: true,
                };
                let on_scroll = {
                    let measure = measure.clone();
                    gloo_events::EventListener::new_with_options(&w, "scroll", options, move |_| measure())
                };
                let on_resize = gloo_events::EventListener::new(&w, "resize", move |_| measure());
                (on_scroll, on_resize)
            });
            move || drop(listeners)
        });
    }
    // After every render: the chart may have grown, or moved down the page.
    use_effect(move || measure());
    *span
}

/// The number in attribute `name` of the nearest element around an event's target that has
/// it: which row, lane or request of a chart an event handled once on the chart happened in.
pub fn closest_number(e: &Event, name: &str) -> Option<usize> {
    use wasm_bindgen::JsCast;
    let el: web_sys::Element = e.target()?.dyn_into().ok()?;
    el.closest(&format!("[{name}]")).ok()??.get_attribute(name)?.parse().ok()
}
