//! Hands the loader's events to the view at most once per animation frame. A run reports
//! an event for every fetch, body and timing entry; rendering (and analysing) after each
//! one would put the view's work between a fetch callback and the next fetch, on the one
//! thread they share, and show up as gaps in the very waterfall being measured. Events wait
//! in order until the browser is about to paint, then go over as one batch.

use connscope_core::Event;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Events waiting for the next frame, and where they go.
pub struct Batcher {
    pending: Rc<RefCell<Vec<Event>>>,
    scheduled: Rc<Cell<bool>>,
    sink: Rc<dyn Fn(Vec<Event>)>,
}

impl Batcher {
    pub fn new(sink: impl Fn(Vec<Event>) + 'static) -> Self {
        Batcher { pending: Rc::default(), scheduled: Rc::default(), sink: Rc::new(sink) }
    }

    /// Keeps `event` for the next frame (and asks for one if none is coming).
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
        let asked = web_sys::window().and_then(|w| w.request_animation_frame(on_frame.unchecked_ref()).ok());
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
