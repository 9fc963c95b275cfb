//! Yew components: they draw what the core computed and emit callbacks. Nothing is decided
//! here, and nothing here calls the browser but to read the event it handles.

pub mod capture;
pub mod chart;
pub mod compare;
pub mod connections;
pub mod controls;
pub mod details;
pub mod export;
pub mod legend;
pub mod lesson;
pub mod messages;
pub mod probe;
pub mod progress;
pub mod report;
pub mod summary;
pub mod waterfall;

use std::ops::Deref;
use std::rc::Rc;

/// A value the components share and never change in place: equal when it is the same
/// value (one pointer compare), so a render that leaves the run alone compares nothing of
/// it, whatever its size. `Rc`'s own equality compares the contents.
#[derive(Debug, Default)]
pub struct Shared<T>(pub Rc<T>);

impl<T> Shared<T> {
    pub fn new(value: T) -> Shared<T> {
        Shared(Rc::new(value))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}
