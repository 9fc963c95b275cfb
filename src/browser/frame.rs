//! Hands the loader's events to the view in batches, about ten times a second. A run
//! reports an event for every fetch, body and timing entry; rendering (and analysing) after
//! each one would put the view's work between a fetch callback and the next fetch, on the
//! one thread they share, and show up as gaps in the very waterfall being measured. Events
//! wait in order, then go over as one batch, in a task queued from a frame (or, where the
//! page paints no frames, half a second later without one): often enough to watch a run
//! progress, seldom enough that a fetch's callback rarely finds a render in its way
//! (`cargo xtask bench loader` measures the gaps).

use connscope_core::Event;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// How long events wait before they go to the view (ms).
const BATCH_MS: i32 = 100;
/// How long a batch waits for its frame before it goes over without one (ms): a page that
/// is hidden (a background tab, a covered window) paints no frames, and its view must still
/// be current, and its tests able to read it, while a probe or a run goes on.
const NO_FRAME_MS: i32 = 500;

/// Events waiting for the next batch, and where they go.
pub struct Batcher {
    pending: Rc<RefCell<Vec<Event>>>,
    scheduled: Rc<Cell<bool>>,
    /// Counts the batches scheduled, so each one's callbacks know it.
    cycle: Rc<Cell<u64>>,
    sink: Rc<dyn Fn(Vec<Event>)>,
}

impl Batcher {
    pub fn new(sink: impl Fn(Vec<Event>) + 'static) -> Self {
        Batcher { pending: Rc::default(), scheduled: Rc::default(), cycle: Rc::default(), sink: Rc::new(sink) }
    }

    /// Keeps `event` for the next batch (and schedules one if none is coming).
    pub fn push(&self, event: Event) {
        self.pending.borrow_mut().push(event);
        if self.scheduled.replace(true) {
            return;
        }
        let mine = self.cycle.get().wrapping_add(1);
        self.cycle.set(mine);
        let deliver = {
            let (pending, scheduled, sink) = (self.pending.clone(), self.scheduled.clone(), self.sink.clone());
            let cycle = self.cycle.clone();
            move || {
                // Whichever comes first, the frame or the fallback, and only for the batch it
                // was set for: a fallback left over from a batch that had its frame does not
                // hurry the next one out of its frame.
                if cycle.get() != mine || !scheduled.replace(false) {
                    return;
                }
                let batch = std::mem::take(&mut *pending.borrow_mut());
                if !batch.is_empty() {
                    sink(batch);
                }
            }
        };
        // In a task of its own, queued from the frame: the view's work for a batch (the
        // render, and the layout its measurements force) would otherwise share one task
        // with the frame's own style and layout, and a batch that adds hundreds of rows made
        // that one task 50-60 ms long (Chromium's long-animation-frame entries: a 20 ms
        // render and a 23 ms forced layout in one frame). One batch a frame still.
        let in_task = deliver.clone();
        let on_frame = Closure::once_into_js(move || super::in_own_task(in_task));
        // After BATCH_MS, in the next frame.
        let in_frame = Closure::once_into_js(move || {
            if let Some(w) = web_sys::window() {
                let _ = w.request_animation_frame(on_frame.unchecked_ref());
            }
        });
        let without_frame = Closure::once_into_js(deliver);
        let asked = web_sys::window().and_then(|w| {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                without_frame.unchecked_ref(),
                BATCH_MS + NO_FRAME_MS,
            );
            w.set_timeout_with_callback_and_timeout_and_arguments_0(in_frame.unchecked_ref(), BATCH_MS).ok()
        });
        if asked.is_none() {
            // No window to paint (never in the app): hand over at once.
            self.scheduled.set(false);
            self.flush();
        }
    }

    /// Hands over whatever waits, now: at the end of a run, so its last events do not wait
    /// for a frame a hidden tab would never paint.
    pub fn flush(&self) {
        let batch = std::mem::take(&mut *self.pending.borrow_mut());
        if !batch.is_empty() {
            (self.sink)(batch);
        }
    }
}
