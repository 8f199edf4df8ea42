//! Computing a scenario off the main thread: the simulator runs in a Web Worker (a wasm module of its own,
//! `src/bin/worker.rs`, built by trunk from `web/index.html`), lane by lane, and each lane is handed to the
//! page as soon as it is done, so the first can be explored while the others compute.
//!
//! - [`protocol`]: the messages (JSON text; pure, tested natively).
//! - [`trace_bytes`]: a lane's trace as one transferable buffer (the one place that encoding lives).
//! - [`job`]: what the worker does with a request (plain Rust; `LoadedLanes::build` runs the same job
//!   in place for small scenarios and tests).
//! - [`worker`]: the worker's browser glue; [`client`]: the page's (start, replies, cancel = terminate).

pub mod client;
pub mod job;
pub mod protocol;
pub mod trace_bytes;
pub mod worker;
