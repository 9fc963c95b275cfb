//! Collects Resource Timing entries of a run: the buffer is enlarged, a
//! PerformanceObserver keeps every entry whose name carries the run's token (so entries of
//! other runs and of the app itself never leak in), and each becomes a `connscope_core::Timing`.

use connscope_core::timing::ServerTimingEntry;
use connscope_core::Timing;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Resource entries the page keeps; the default (250) drops entries of large pages.
const BUFFER_SIZE: u32 = 20_000;

/// A PerformanceResourceTiming entry read into a `Timing`: called for every entry of a run
/// while the run goes on, so it reads what it needs and nothing else, in one call to
/// `timing.js` (the entry's `toJSON()` text parsed by serde cost a page tenfold; property
/// by property from here, ~75 crossings an entry). Attributes a browser lacks are left at
/// their defaults, as the type's own reading of JSON does.
pub fn to_timing(entry: &JsValue) -> Option<Timing> {
    let read = js_sys::Array::from(&read_entry(entry));
    let text = |i: u32| read.get(i).as_string();
    let numbers = read.get(4).dyn_into::<js_sys::Float64Array>().map(|n| n.to_vec()).unwrap_or_default();
    // In timing.js's NUMBERS order; a field the browser lacks reads NaN.
    let number = |i: usize| numbers.get(i).copied().filter(|v| v.is_finite());
    let num = |i: usize| number(i).unwrap_or(0.0);
    let listed = js_sys::Array::from(&read.get(5));
    let server_timing = (0..listed.length() / 3)
        .map(|k| ServerTimingEntry {
            name: listed.get(3 * k).as_string().unwrap_or_default(),
            duration: listed.get(3 * k + 1).as_f64().filter(|v| v.is_finite()).unwrap_or(0.0),
            description: listed.get(3 * k + 2).as_string().unwrap_or_default(),
        })
        .collect();
    Some(Timing {
        name: text(0)?,
        initiator_type: text(1).unwrap_or_default(),
        next_hop_protocol: text(2).unwrap_or_default(),
        delivery_type: text(3),
        start_time: num(0),
        duration: num(1),
        redirect_start: num(2),
        redirect_end: num(3),
        fetch_start: num(4),
        domain_lookup_start: num(5),
        domain_lookup_end: num(6),
        connect_start: num(7),
        connect_end: num(8),
        secure_connection_start: num(9),
        request_start: num(10),
        response_start: num(11),
        response_end: num(12),
        transfer_size: num(13),
        encoded_body_size: num(14),
        decoded_body_size: num(15),
        response_status: number(16).map(|s| s as u16),
        server_timing,
        ..Timing::default()
    })
}

#[wasm_bindgen(module = "/src/browser/timing.js")]
extern "C" {
    #[wasm_bindgen(js_name = readEntry)]
    fn read_entry(entry: &JsValue) -> JsValue;
}

/// How often a look-up that the observer has not answered also asks the performance
/// timeline itself (ms): the observer wakes a look-up as soon as its entry arrives, this is
/// only the fallback for an entry the observer missed.
const POLL_MS: u32 = 100;

/// Look-ups waiting for the observer, by URL.
type Waiting = Rc<RefCell<HashMap<String, Vec<futures::channel::oneshot::Sender<()>>>>>;

/// Entries of one run, by URL.
pub struct Collector {
    entries: Rc<RefCell<HashMap<String, Timing>>>,
    waiting: Waiting,
    observer: Option<web_sys::PerformanceObserver>,
    _callback: Option<Closure<dyn FnMut(web_sys::PerformanceObserverEntryList)>>,
    performance: Option<web_sys::Performance>,
    /// The browser and this page's clock tick, where it stamps hand-overs (see `read`).
    stamp: Option<(connscope_core::probe::Browser, f64)>,
}

/// An entry read as `to_timing` does, marked for a browser that stamps a 0 ms connect on a
/// request it hands a connection that has just fallen free (`stamp`: the browser and this
/// page's clock tick, where it is such a browser; see `super::page::hand_over_stamp`).
fn read(entry: &JsValue, stamp: Option<(connscope_core::probe::Browser, f64)>) -> Option<Timing> {
    let mut t = to_timing(entry)?;
    if let Some((browser, tick)) = stamp {
        connscope_core::reuse::mark_hand_over_stamp(&mut t, browser, tick);
    }
    Some(t)
}

impl Collector {
    pub fn new(token_prefix: String) -> Collector {
        let stamp = super::page::hand_over_stamp();
        let performance = web_sys::window().and_then(|w| w.performance());
        if let Some(p) = &performance {
            p.set_resource_timing_buffer_size(BUFFER_SIZE);
        }
        let entries: Rc<RefCell<HashMap<String, Timing>>> = Rc::default();
        let sink = entries.clone();
        let waiting: Waiting = Rc::default();
        let wake = waiting.clone();
        let callback = Closure::<dyn FnMut(web_sys::PerformanceObserverEntryList)>::new(
            move |list: web_sys::PerformanceObserverEntryList| {
                for entry in list.get_entries().iter() {
                    let name = js_sys::Reflect::get(&entry, &"name".into())
                        .ok()
                        .and_then(|n| n.as_string())
                        .unwrap_or_default();
                    if name.contains(&token_prefix) {
                        if let Some(t) = read(&entry, stamp) {
                            let woken = wake.borrow_mut().remove(&name);
                            sink.borrow_mut().insert(name, t);
                            for w in woken.into_iter().flatten() {
                                let _ = w.send(());
                            }
                        }
                    }
                }
            },
        );
        let observer = web_sys::PerformanceObserver::new(callback.as_ref().unchecked_ref()).ok();
        if let Some(o) = &observer {
            // { type: "resource", buffered: true }: web-sys only models the older entryTypes form.
            let init = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&init, &"type".into(), &"resource".into());
            let _ = js_sys::Reflect::set(&init, &"buffered".into(), &true.into());
            o.observe(init.unchecked_ref());
        }
        Collector { entries, waiting, observer, _callback: Some(callback), performance, stamp }
    }

    /// The entry for `url`, waiting up to `wait_ms` for it: browsers add it when the body
    /// has been read and deliver it to observers a little later. The observer wakes the
    /// look-up; its own timer only asks the timeline every `POLL_MS`, as the fallback.
    pub async fn entry(&self, url: &str, wait_ms: u32) -> Option<Timing> {
        let mut waited = 0;
        loop {
            if let Some(t) = self.entries.borrow().get(url) {
                return Some(t.clone());
            }
            if let Some(p) = &self.performance {
                let found = p.get_entries_by_name_with_entry_type(url, "resource");
                if found.length() > 0 {
                    if let Some(t) = read(&found.get(found.length() - 1), self.stamp) {
                        return Some(t);
                    }
                }
            }
            if waited >= wait_ms {
                return None;
            }
            let (tx, rx) = futures::channel::oneshot::channel();
            self.waiting.borrow_mut().entry(url.to_string()).or_default().push(tx);
            let step = POLL_MS.min(wait_ms - waited);
            let sleep = super::sleep_ms(step);
            futures::pin_mut!(sleep);
            if let futures::future::Either::Right(_) = futures::future::select(rx, sleep).await {
                waited += step;
            }
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        if let Some(o) = &self.observer {
            o.disconnect();
        }
    }
}
