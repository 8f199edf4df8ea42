//! The hmmviz browser app: compare the three ways a driver moves a range to device memory (legacy A, legacy B,
//! unified), step by step, look deep into one lane, and travel in time.
//!
//! # Layout
//!
//! State:
//! - [`state`]: the one reducer (`AppState`, `Action`): every control dispatches the same actions; one function
//!   per group of actions (playback, moving in time, lane and alignment, scenario, settings).
//! - [`url`]: the versioned URL format (`?v=1&pages=…&view=…&lane=…&step=…`), read without ever failing.
//! - [`scenario`]: the presets and the browser's page limit; the text itself is parsed and written back by
//!   hmm-sim (`parse_states`, `compact_states`).
//! - [`compute`]: the simulator in a Web Worker: the request, each lane's trace handed over as bytes, the
//!   page's side (progress, cancel).
//! - [`comparison`]: one scenario run through the three lanes once (`LoadedLanes`, a `LaneTrace` per lane, seekable
//!   through `hmm_sim::Timeline`); lane alignment by milestone.
//! - [`lesson`]: lessons in the browser (bundled lesson files, played with hmm-lesson's own parser and runner,
//!   `?lessons` / `?lesson=ID&beat=N`); `root` picks the page per page load: the compare app and the glossary
//!   are the app module's, the lesson pages and the race lab a second module's (`src/bin/pages.rs`), which
//!   [`pages_module`] starts only on those pages.
//! - [`race`]: the race lab (`?race=KEY&kernel=V&schedule=…`): a lesson's threaded run scheduled by the reader.
//! - [`glossary`]: the glossary page (`?glossary`) and the links from every term where it appears.
//! - [`why`]: one sentence per kind of event that marks a turn (a wait, a retry, an invalidation…), shown
//!   beside the narration in the lesson player and the race lab.
//! - [`embed`]: embedding in another page: the layout parameters (`embed`, `lanes`, `controls`, `theme`,
//!   `present`, `origin`), the versioned postMessage protocol, the embedded page.
//! - [`present`]: presenting from a stage: clicker keys, blanking, fullscreen, the projector layout, the
//!   speaker window in step over a BroadcastChannel.
//! - [`share`]: the address bar as a history of pictures (push for a new scenario or view, `popstate`
//!   restores), "copy link" and "copy embed code".
//! - [`export`]: the step as SVG or PNG, the run as a Perfetto trace (hmm-sim's `chrome_trace_events`).
//! - [`jump`]: the kinds of event the transport jumps to, each a question asked of `hmm_sim::Ev`.
//! - [`kernel_refs`]: where each kernel function is defined per kernel version (Elixir links) and where hmm-sim
//!   models it: the data file `web/kernel-refs.tsv`.
//!
//! Derive (pure functions to plain render data, `Clone + PartialEq`):
//! - [`picture`]: `lane` (a compare lane; the three lanes on one page window), `deep` (the deep view),
//!   `swimlanes` (the timeline's window of spans), `narration`, `spans` (hmm-sim's call and lock spans of a
//!   trace, indexed for window queries). No module here reads a trace event's packed fields: what an event is
//!   and what it changed come from hmm-sim (`Event::decode` → `Ev`, `TouchedSet`, `call_spans`, `narrate`).
//! - [`decode`]: spelling out packed values (MIGRATE_PFN_* and HMM_PFN_* bits, notifier sequences…).
//!
//! Draw:
//! - [`components`]: presentational components; plain-data props only, callbacks out.
//! - `app`: the root component; it only wires: URL ↔ state ↔ components, the keyboard map, the play loop.
//!
//! Architecture invariant: this crate only renders what `hmm-sim` computes. It never re-implements kernel
//! semantics (not even which letters are valid: that is `hmm_sim::parse_states`' job); the picture at
//! any step is `hmm_sim::ViewState` replayed from the simulator's own trace.

mod app;
pub mod comparison;
pub mod components;
pub mod compute;
pub mod decode;
pub mod embed;
pub mod export;
pub mod glossary;
pub mod jump;
pub mod kernel_refs;
pub mod lesson;
pub mod pages_module;
pub mod picture;
pub mod present;
pub mod race;
mod root;
pub mod scenario;
pub mod share;
pub mod state;
pub mod url;
pub mod why;

pub use app::App;
pub use root::{Page, PagesRoot, Root};
