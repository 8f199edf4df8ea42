//! The worker's browser glue: take a request from the page, run it ([`super::job::run`]), post each reply
//! back with the lane's trace as a transferred `ArrayBuffer`. Everything it does is in `job`; this only
//! carries messages.

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::job;
use super::protocol::{Reply, Request};

/// Install the message handler. Called once by the worker binary's `main`.
pub fn serve() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_scope = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let scope = &reply_scope;
        let request = event
            .data()
            .as_string()
            .ok_or_else(|| "bad request: not text".to_owned())
            .and_then(|text| Request::from_json(&text));
        let request = match request {
            Ok(request) => request,
            Err(message) => return post(scope, &Reply::Failed(message), None),
        };
        let performance = scope.performance();
        let now = move || performance.as_ref().map_or(0.0, |p| p.now());
        job::run(&request, now, |reply, bytes| post(scope, &reply, bytes));
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    post(&scope, &Reply::Ready, None);
}

/// Post `[json, buffer?]`, the buffer transferred (moved to the page, not copied).
fn post(scope: &DedicatedWorkerGlobalScope, reply: &Reply, bytes: Option<Vec<u8>>) {
    let message = Array::new();
    message.push(&JsValue::from_str(&reply.to_json()));
    let transfer = Array::new();
    if let Some(bytes) = bytes {
        let array = Uint8Array::new_with_length(bytes.len() as u32);
        array.copy_from(&bytes);
        drop(bytes);
        let buffer = array.buffer();
        message.push(&buffer);
        transfer.push(&buffer);
    }
    // Posting fails only if the page went away; nothing is left to tell.
    let _ = scope.post_message_with_transfer(&message, &transfer);
}
