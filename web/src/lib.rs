//! The hmmviz browser app: compare the three ways a driver moves a range to device memory (legacy A, legacy B,
//! unified), step by step, look deep into one lane, and travel in time.
//!
//! # Layout
//!
//! - [`app`]: the root component: reads the URL, owns the reducer, the keyboard map, the play loop, and keeps
//!   the URL in step with the picture.
//! - [`state`]: the one reducer (`AppState`, `Action`): every control dispatches the same actions.
//! - [`url`]: the versioned URL format (`?v=1&pages=…&view=…&lane=…&step=…`), read without ever failing.
//! - [`scenario`]: scenario text (hmm-sim's state string plus an `X*n` repeat shorthand) and the presets.
//! - [`session`]: one scenario run through the three lanes once; lane alignment by milestone.
//! - [`track`]: a lane's trace with sparse checkpoints and a forward cursor: seeking any step is cheap.
//! - [`frame`]: small render data derived from a lane's state at one step (what one picture shows).
//! - [`decode`]: spelling out packed values (MIGRATE_PFN_* and HMM_PFN_* bits, notifier sequences…).
//! - [`components`]: presentational components.
//!
//! Architecture invariant: this crate only renders what `hmm-sim` computes. It never re-implements kernel
//! semantics (not even which letters are valid: that is `hmm_sim::parse_states`' job); the picture at
//! any step is `hmm_sim::ViewState` replayed from the simulator's own trace.

mod app;
pub mod components;
pub mod decode;
pub mod frame;
pub mod scenario;
pub mod session;
pub mod state;
pub mod track;
pub mod url;

pub use app::App;
