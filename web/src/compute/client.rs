//! The page's side of the compute worker: start it, send the request, turn its replies into [`Update`]s
//! (each lane's trace read from the transferred buffer), and stop it. Dropping the [`Job`] terminates the
//! worker: that is how a run is cancelled, and how a scenario replaced mid-run stops costing anything.

use std::rc::Rc;

use hmm_sim::{PackedTrace, Strategy, ViewState};
use js_sys::{Array, ArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};

use super::protocol::{Reply, Request};
use super::trace_bytes;
use crate::comparison::LaneTrace;

/// The worker script trunk builds from `web/index.html`'s `data-type="worker"` link (its loader shim, which
/// loads `worker.js` and `worker_bg.wasm` and runs `src/bin/worker.rs`'s `main`).
pub const WORKER_SCRIPT: &str = "./worker_loader.js";

/// What the page hears about a run.
#[derive(Clone)]
pub enum Update {
    Started(Strategy),
    Lane(Rc<LaneTrace>),
    Done { agree: bool },
    Failed(String),
}

/// A running worker; dropping it terminates the worker.
pub struct Job {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for Job {
    fn drop(&mut self) {
        self.worker.terminate();
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
    let on = Rc::new(on);
    let on_reply = on.clone();
    let request_json = request.to_json();
    let requester = worker.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        match read(&event.data(), &initial) {
            // Loaded and listening: now the request reaches its handler.
            None => {
                if let Err(e) = requester.post_message(&JsValue::from_str(&request_json)) {
                    on_reply(Update::Failed(format!(
                        "the compute worker refused the request: {e:?}"
                    )));
                }
            }
            Some(update) => on_reply(update),
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
        _on_message: on_message,
        _on_error: on_error,
    })
}

/// One message from the worker: `[json, buffer?]`; `None` for [`Reply::Ready`].
fn read(data: &JsValue, initial: &ViewState) -> Option<Update> {
    let message: Array = data.clone().unchecked_into();
    let reply = message
        .get(0)
        .as_string()
        .ok_or_else(|| "bad message from the compute worker".to_owned())
        .and_then(|text| Reply::from_json(&text));
    Some(match reply {
        Ok(Reply::Ready) => return None,
        Err(message) => Update::Failed(message),
        Ok(Reply::Started(s)) => Update::Started(s),
        Ok(Reply::Done { agree }) => Update::Done { agree },
        Ok(Reply::Failed(message)) => Update::Failed(message),
        Ok(Reply::Lane(meta)) => match events(&message.get(1)) {
            Ok(events) => Update::Lane(Rc::new(LaneTrace::from_worker(
                meta,
                events,
                initial.clone(),
            ))),
            Err(message) => Update::Failed(message),
        },
    })
}

/// The trace in a transferred buffer (hmm-sim's packed form: a few bytes per event, copied into wasm memory
/// once and read there).
fn events(buffer: &JsValue) -> Result<PackedTrace, String> {
    let buffer: ArrayBuffer = buffer
        .clone()
        .dyn_into()
        .map_err(|_| "the compute worker sent a lane without its trace".to_owned())?;
    trace_bytes::decode(&Uint8Array::new(&buffer).to_vec())
}
