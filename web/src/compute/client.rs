//! The page's side of the compute worker: start it, send the request, turn its replies into [`Update`]s, and
//! stop it. Dropping the [`Job`] terminates the worker (and drops whatever the page had left to prepare):
//! that is how a run is cancelled, and how a scenario replaced mid-run stops costing anything.
//!
//! A lane's trace arrives packed; making it seekable replays it (`hmm_sim::TimelineBuilder`), which for a
//! lane of millions of events takes far longer than one task should block the page. So the page replays a
//! slice at a time, [`SLICE_MS`] at most, between which it stays responsive (and says how far it is).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use hmm_sim::{PackedTrace, Strategy, TimelineBuilder, ViewState};
use js_sys::{Array, ArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};

use super::protocol::{LaneMeta, Reply, Request};
use super::trace_bytes;
use crate::comparison::LaneTrace;

/// The worker script trunk builds from `web/index.html`'s `data-type="worker"` link (its loader shim, which
/// loads `worker.js` and `worker_bg.wasm` and runs `src/bin/worker.rs`'s `main`).
pub const WORKER_SCRIPT: &str = "./worker_loader.js";

/// The longest the page replays a lane in one task, in milliseconds: well under the 50 ms after which a task
/// counts as long (and input waits).
pub const SLICE_MS: f64 = 20.0;

/// What the page hears about a run.
#[derive(Clone)]
pub enum Update {
    Started(Strategy),
    /// The lane's trace is in; the page has replayed `done` of its `total` events (to seek in it).
    Preparing {
        strategy: Strategy,
        done: usize,
        total: usize,
    },
    Lane(Rc<LaneTrace>),
    Done {
        agree: bool,
    },
    Failed(String),
}

/// What is left to hand over, in the order the worker said it.
enum Item {
    Lane(LaneMeta, PackedTrace),
    Say(Update),
}

/// The page's queue of replies and the lane being replayed, shared by the message handler and the timer.
struct Pump {
    queue: VecDeque<Item>,
    building: Option<(LaneMeta, TimelineBuilder)>,
    /// Events replayed per slice, tuned to [`SLICE_MS`].
    slice: usize,
    timer: Option<Timeout>,
    initial: ViewState,
    on: Rc<dyn Fn(Update)>,
}

/// A running worker; dropping it terminates the worker.
pub struct Job {
    worker: Worker,
    pump: Rc<RefCell<Pump>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for Job {
    fn drop(&mut self) {
        self.worker.terminate();
        let mut pump = self.pump.borrow_mut();
        pump.timer.take();
        pump.queue.clear();
        pump.building.take();
    }
}

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// Work through the queue for at most [`SLICE_MS`], then leave the rest to a later task.
fn pump(shared: &Rc<RefCell<Pump>>) {
    let start = now();
    loop {
        let mut p = shared.borrow_mut();
        let slice = p.slice;
        if let Some((meta, builder)) = p.building.as_mut() {
            let t0 = now();
            let finished = builder.advance(slice);
            let took = (now() - t0).max(0.1);
            let (done, total) = builder.progress();
            let strategy = meta.strategy;
            // Aim each slice at half the budget: the machine may be slower in the next one.
            p.slice = ((slice as f64 * (SLICE_MS / 2.0) / took) as usize).clamp(1024, 1 << 22);
            let update = if finished {
                let (meta, builder) = p.building.take().expect("being built");
                Update::Lane(Rc::new(LaneTrace::from_worker(meta, builder.finish())))
            } else {
                Update::Preparing {
                    strategy,
                    done,
                    total,
                }
            };
            let on = p.on.clone();
            drop(p);
            on(update);
        } else if let Some(item) = p.queue.pop_front() {
            match item {
                Item::Lane(meta, trace) => {
                    let builder = TimelineBuilder::new(p.initial.clone(), trace);
                    p.building = Some((meta, builder));
                    drop(p);
                }
                Item::Say(update) => {
                    let on = p.on.clone();
                    drop(p);
                    on(update);
                }
            }
        } else {
            return;
        }
        if now() - start >= SLICE_MS {
            let mut p = shared.borrow_mut();
            if p.timer.is_none() {
                let next = shared.clone();
                p.timer = Some(Timeout::new(0, move || {
                    next.borrow_mut().timer = None;
                    pump(&next);
                }));
            }
            return;
        }
    }
}

/// Start a worker on `request`. `initial` is the set-up world's view (every lane's step 0).
pub fn start(
    request: &Request,
    initial: ViewState,
    on: impl Fn(Update) + 'static,
) -> Result<Job, String> {
    let worker = Worker::new(WORKER_SCRIPT)
        .map_err(|e| format!("the compute worker did not start: {e:?}"))?;
    let on: Rc<dyn Fn(Update)> = Rc::new(on);
    let shared = Rc::new(RefCell::new(Pump {
        queue: VecDeque::new(),
        building: None,
        slice: 16_384,
        timer: None,
        initial,
        on: on.clone(),
    }));
    let request_json = request.to_json();
    let requester = worker.clone();
    let queue = shared.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let item = match read(&event.data()) {
            // Loaded and listening: now the request reaches its handler.
            Ok(None) => match requester.post_message(&JsValue::from_str(&request_json)) {
                Ok(()) => return,
                Err(e) => Item::Say(Update::Failed(format!(
                    "the compute worker refused the request: {e:?}"
                ))),
            },
            Ok(Some(item)) => item,
            Err(message) => Item::Say(Update::Failed(message)),
        };
        let idle = {
            let mut p = queue.borrow_mut();
            p.queue.push_back(item);
            p.timer.is_none() && p.building.is_none()
        };
        if idle {
            pump(&queue);
        }
    });
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        let message = event
            .dyn_ref::<web_sys::ErrorEvent>()
            .map_or_else(|| "unknown error".to_owned(), |e| e.message());
        on(Update::Failed(format!(
            "the compute worker stopped: {message}"
        )));
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Job {
        worker,
        pump: shared,
        _on_message: on_message,
        _on_error: on_error,
    })
}

/// One message from the worker, `[json, buffer?]`: what to hand over (`None` for [`Reply::Ready`]).
fn read(data: &JsValue) -> Result<Option<Item>, String> {
    let message: Array = data.clone().unchecked_into();
    let text = message
        .get(0)
        .as_string()
        .ok_or_else(|| "bad message from the compute worker".to_owned())?;
    Ok(Some(match Reply::from_json(&text)? {
        Reply::Ready => return Ok(None),
        Reply::Started(s) => Item::Say(Update::Started(s)),
        Reply::Done { agree } => Item::Say(Update::Done { agree }),
        Reply::Failed(message) => Item::Say(Update::Failed(message)),
        Reply::Lane(meta) => Item::Lane(meta, trace(&message.get(1))?),
    }))
}

/// The trace in a transferred buffer (hmm-sim's packed form: a few bytes per event, copied into wasm memory
/// once and read there).
fn trace(buffer: &JsValue) -> Result<PackedTrace, String> {
    let buffer: ArrayBuffer = buffer
        .clone()
        .dyn_into()
        .map_err(|_| "the compute worker sent a lane without its trace".to_owned())?;
    trace_bytes::decode(&Uint8Array::new(&buffer).to_vec())
}
