//! Hands the loader's events to the view in batches, about ten times a second. A run
//! reports an event for every fetch, body and timing entry; rendering (and analysing) after
//! each one would put the view's work between a fetch callback and the next fetch, on the
//! one thread they share, and show up as gaps in the very waterfall being measured. Events
//! wait in order, then go over as one batch, in a frame: often enough to watch a run
//! progress, seldom enough that a fetch's callback rarely finds a render in its way
//! (`cargo xtask bench loader` measures the gaps).

use connscope_core::Event;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// How long events wait before they go to the view (ms).
const BATCH_MS: i32 = 100;

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
        let on_frame = Closure::once_into_js(move || {
            scheduled.set(false);
            let batch = std::mem::take(&mut *pending.borrow_mut());
            if !batch.is_empty() {
                sink(batch);
            }
        });
        // After BATCH_MS, in the next frame.
        let in_frame = Closure::once_into_js(move || {
            if let Some(w) = web_sys::window() {
                let _ = w.request_animation_frame(on_frame.unchecked_ref());
            }
        });
        let asked = web_sys::window().and_then(|w| {
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
