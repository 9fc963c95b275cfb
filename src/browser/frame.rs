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

/// How long events wait before they go to the view (ms).
const BATCH_MS: u32 = 100;
/// How long a batch waits for its frame before it goes over without one (ms): a page that
/// is hidden (a background tab, a covered window) paints no frames, and its view must still
/// be current, and its tests able to read it, while a probe or a run goes on.
const NO_FRAME_MS: i32 = 500;

/// Events waiting for the next batch, and where they go.
pub struct Batcher {
    pending: Rc<RefCell<Vec<Event>>>,
    scheduled: Rc<Cell<bool>>,
    sink: Rc<dyn Fn(Vec<Event>)>,
}

impl Batcher {
    pub fn new(sink: impl Fn(Vec<Event>) + 'static) -> Self {
        Batcher { pending: Rc::default(), scheduled: Rc::default(), sink: Rc::new(sink) }
    }

    /// Keeps `event` for the next batch (and schedules one if none is coming).
    pub fn push(&self, event: Event) {
        self.pending.borrow_mut().push(event);
        if self.scheduled.replace(true) {
            return;
        }
        let (pending, scheduled, sink) = (self.pending.clone(), self.scheduled.clone(), self.sink.clone());
        wasm_bindgen_futures::spawn_local(async move {
            super::sleep_ms(BATCH_MS).await;
            // In a task of its own, queued from the frame (`after_paint`): the view's work for
            // a batch (the render, and the layout its measurements force) would otherwise
            // share one task with the frame's own style and layout, and a batch that adds
            // hundreds of rows made that one task 50-60 ms long (Chromium's
            // long-animation-frame entries: a 20 ms render and a 23 ms forced layout in one
            // frame). One batch a frame still.
            super::after_paint(NO_FRAME_MS).await;
            scheduled.set(false);
            let batch = std::mem::take(&mut *pending.borrow_mut());
            if !batch.is_empty() {
                sink(batch);
            }
        });
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
