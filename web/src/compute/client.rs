//! The page's side of the compute worker: start it, send the request, turn its replies into [`Update`]s, and
//! stop it. Dropping the [`Job`] terminates the worker (and drops whatever the page had left to prepare):
//! that is how a run is cancelled, and how a scenario replaced mid-run stops costing anything.
//!
//! A lane's trace arrives packed; reading it (every event checked, `hmm_sim::PackedTraceReader`) and making
//! it seekable (a replay, `hmm_sim::TimelineBuilder`) take, for a lane of millions of events, far longer than
//! one task should block the page. So the page does both a slice at a time, [`SLICE_MS`] at most, between
//! which it stays responsive (and says how far it is).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use hmm_sim::{
    InitialViewBuilder, PackedTraceReader, PageState, Strategy, TimelineBuilder, ViewState,
};
use js_sys::{Array, ArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};

use super::protocol::{LaneMeta, Reply, Request};
use super::trace_bytes;
use crate::comparison::{LaneTrace, BROWSER_CHECKPOINT_EVERY};

/// The worker script trunk builds from `web/index.html`'s `data-type="worker"` link (its loader shim, which
/// loads `worker.js` and `worker_bg.wasm` and runs `src/bin/worker.rs`'s `main`).
pub const WORKER_SCRIPT: &str = "./worker_loader.js";

/// How long the page works on a lane (or the set-up world's view) in one task, in milliseconds: well under
/// the 50 ms after which a task counts as long (and input waits), with room for the render the slice causes.
/// A slice is many small steps, each about a millisecond at most, until this much time has passed: the cost of
/// a page or an event varies too much to size a slice from the last one (a never-touched page costs next to
/// nothing, a present one a folio and a PTE; reading is far faster than replaying), and a slice sized that
/// way overran to 30-110 ms at 262,144 pages.
pub const SLICE_MS: f64 = 8.0;

/// The steps a slice is made of: set-up pages viewed, events read, events replayed, bytes copied.
const INITIAL_STEP: usize = 1024;
const READ_STEP: usize = 8192;
const REPLAY_STEP: usize = 2048;

/// How often, at most, the page says how far the preparation is, in milliseconds: each time re-renders the
/// page, which at 262,144 pages costs more than the slice itself, and a person reads no faster.
pub const PROGRESS_MS: f64 = 250.0;

/// What the page hears about a run.
#[derive(Clone)]
pub enum Update {
    Started(Strategy),
    /// The lane's trace is in; the page has prepared `done` of its `total` events (checked, then replayed,
    /// each counted once: `total` is twice the lane's events).
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
    Lane(LaneMeta, Uint8Array),
    Say(Update),
}

/// Bytes of a lane's trace copied from the worker's buffer into wasm memory per step.
const COPY_STEP: usize = 1 << 20;

/// Where the lane being prepared is.
enum Stage {
    /// Its bytes being copied out of the transferred buffer, `COPY_STEP` at a time (`done` so far).
    Copying {
        from: Uint8Array,
        into: Vec<u8>,
        done: usize,
    },
    /// Its events being checked.
    Reading(PackedTraceReader),
    /// Its events being replayed, into checkpoints to seek from.
    Replaying(Box<TimelineBuilder>),
}

/// The set-up world's view, every lane's step 0: built a slice at a time from the moment the job starts (at
/// 262,144 pages it is about 170 ms of work), while the worker computes the first lane.
enum Initial {
    Building(Box<InitialViewBuilder>),
    Ready(Box<ViewState>),
}

/// The page's queue of replies and the lane being prepared, shared by the message handler and the timer.
struct Pump {
    queue: VecDeque<Item>,
    building: Option<(LaneMeta, Stage)>,
    /// When the page last said how far the preparation is.
    progress_said: f64,
    timer: Option<Timeout>,
    initial: Initial,
    on: Rc<dyn Fn(Update)>,
}

impl Pump {
    /// Is there work left for a later task?
    fn busy(&self) -> bool {
        self.building.is_some()
            || !self.queue.is_empty()
            || matches!(self.initial, Initial::Building(_))
    }
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

/// The page's clock, in milliseconds (`performance.now()`).
pub fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// Take `step` until it says it is finished or the slice's time is up. True once finished.
fn for_a_slice(mut step: impl FnMut() -> bool) -> bool {
    let deadline = now() + SLICE_MS;
    loop {
        if step() {
            return true;
        }
        if now() >= deadline {
            return false;
        }
    }
}

/// Hand over what the worker said, up to one slice of work (viewing the set-up world, or preparing a lane),
/// then leave the rest to a later task.
fn pump(shared: &Rc<RefCell<Pump>>) {
    loop {
        let mut guard = shared.borrow_mut();
        let p = &mut *guard;
        // What the worker said in words needs nothing prepared: say it at once.
        if p.building.is_none() && matches!(p.queue.front(), Some(Item::Say(_))) {
            let Some(Item::Say(update)) = p.queue.pop_front() else {
                unreachable!("a Say is in front")
            };
            let on = p.on.clone();
            drop(guard);
            on(update);
            continue;
        }
        if let Initial::Building(builder) = &mut p.initial {
            if for_a_slice(|| builder.advance(INITIAL_STEP)) {
                let Initial::Building(builder) =
                    std::mem::replace(&mut p.initial, Initial::Ready(Box::default()))
                else {
                    unreachable!("being built")
                };
                p.initial = Initial::Ready(Box::new(builder.finish()));
            }
            drop(guard);
            schedule(shared);
            return;
        }
        let Initial::Ready(initial) = &p.initial else {
            unreachable!("built above")
        };
        if let Some((meta, stage)) = p.building.as_mut() {
            let strategy = meta.strategy;
            let update = match stage {
                Stage::Copying { from, into, done } => {
                    let copied = for_a_slice(|| {
                        let end = (*done + COPY_STEP).min(into.len());
                        from.subarray(*done as u32, end as u32)
                            .copy_to(&mut into[*done..end]);
                        *done = end;
                        end == into.len()
                    });
                    if copied {
                        let Some((meta, Stage::Copying { into, .. })) = p.building.take() else {
                            unreachable!("being copied")
                        };
                        match trace_bytes::reader(into) {
                            Ok(reader) => p.building = Some((meta, Stage::Reading(reader))),
                            Err(e) => {
                                p.queue.clear();
                                let on = p.on.clone();
                                drop(guard);
                                on(Update::Failed(e));
                                return;
                            }
                        }
                    }
                    Update::Preparing {
                        strategy,
                        done: 0,
                        total: 2,
                    }
                }
                Stage::Reading(reader) => {
                    let mut failed = None;
                    let finished = for_a_slice(|| {
                        reader.advance(READ_STEP).unwrap_or_else(|e| {
                            failed = Some(e);
                            true
                        })
                    });
                    let (done, total) = reader.progress();
                    if let Some(e) = failed {
                        p.building = None;
                        p.queue.clear();
                        Update::Failed(trace_bytes::unreadable(e))
                    } else {
                        if finished {
                            let Some((meta, Stage::Reading(reader))) = p.building.take() else {
                                unreachable!("being read")
                            };
                            match reader.finish() {
                                Ok(trace) => {
                                    let builder = TimelineBuilder::spaced(
                                        ViewState::clone(initial),
                                        trace,
                                        BROWSER_CHECKPOINT_EVERY,
                                    );
                                    p.building = Some((meta, Stage::Replaying(Box::new(builder))));
                                }
                                Err(e) => {
                                    p.queue.clear();
                                    let on = p.on.clone();
                                    drop(guard);
                                    on(Update::Failed(trace_bytes::unreadable(e)));
                                    return;
                                }
                            }
                        }
                        Update::Preparing {
                            strategy,
                            done,
                            total: 2 * total,
                        }
                    }
                }
                Stage::Replaying(builder) => {
                    let finished = for_a_slice(|| builder.advance(REPLAY_STEP));
                    let (done, total) = builder.progress();
                    if finished {
                        let Some((meta, Stage::Replaying(builder))) = p.building.take() else {
                            unreachable!("being replayed")
                        };
                        // Handed over in a task of its own: the lane's first render is a long one.
                        let lane = LaneTrace::from_worker(meta, builder.finish());
                        p.queue.push_front(Item::Say(Update::Lane(Rc::new(lane))));
                        Update::Preparing {
                            strategy,
                            done: 2 * total,
                            total: 2 * total,
                        }
                    } else {
                        Update::Preparing {
                            strategy,
                            done: total + done,
                            total: 2 * total,
                        }
                    }
                }
            };
            let quiet =
                matches!(update, Update::Preparing { .. }) && now() - p.progress_said < PROGRESS_MS;
            if !quiet && matches!(update, Update::Preparing { .. }) {
                p.progress_said = now();
            }
            let on = p.on.clone();
            drop(guard);
            if !quiet {
                on(update);
            }
            // One slice per task: what the slice said renders, and input waits no longer than a slice.
            schedule(shared);
            return;
        } else if let Some(item) = p.queue.pop_front() {
            match item {
                Item::Lane(meta, from) => {
                    let into = vec![0; from.length() as usize];
                    p.building = Some((
                        meta,
                        Stage::Copying {
                            from,
                            into,
                            done: 0,
                        },
                    ));
                    drop(guard);
                }
                Item::Say(update) => {
                    let on = p.on.clone();
                    drop(guard);
                    on(update);
                }
            }
        } else {
            return;
        }
    }
}

/// Run the pump again in a later task (unless that is already planned).
fn schedule(shared: &Rc<RefCell<Pump>>) {
    let mut p = shared.borrow_mut();
    if p.timer.is_none() && p.busy() {
        let next = shared.clone();
        p.timer = Some(Timeout::new(0, move || {
            next.borrow_mut().timer = None;
            pump(&next);
        }));
    }
}

/// Start a worker on `request`, whose pages are `states` (the page views their set-up world meanwhile).
pub fn start(
    request: &Request,
    states: &[PageState],
    on: impl Fn(Update) + 'static,
) -> Result<Job, String> {
    let worker = Worker::new(WORKER_SCRIPT)
        .map_err(|e| format!("the compute worker did not start: {e:?}"))?;
    let on: Rc<dyn Fn(Update)> = Rc::new(on);
    let shared = Rc::new(RefCell::new(Pump {
        queue: VecDeque::new(),
        building: None,
        progress_said: f64::NEG_INFINITY,
        timer: None,
        initial: Initial::Building(Box::new(InitialViewBuilder::new(states))),
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
            p.timer.is_none() && p.building.is_none() && matches!(p.initial, Initial::Ready(_))
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
    // The set-up world's view, a slice per task, starting now.
    schedule(&shared);
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

/// The trace's bytes in a transferred buffer (hmm-sim's packed form: a few bytes per event), copied into
/// wasm memory and read there a slice at a time by the pump.
fn trace(buffer: &JsValue) -> Result<Uint8Array, String> {
    let buffer: ArrayBuffer = buffer
        .clone()
        .dyn_into()
        .map_err(|_| "the compute worker sent a lane without its trace".to_owned())?;
    Ok(Uint8Array::new(&buffer))
}
