//! The hmmviz browser app.
//!
//! For now this is the thinnest honest end-to-end path: the user types a scenario state string (or picks a
//! preset), and the app shows what `hmm-sim` makes of it, page by page, or the parse error it reports.
//!
//! Architecture invariant: this crate only renders what `hmm-sim` computes. It never re-implements kernel
//! semantics (not even which letters are valid: that is `hmm_sim::scenario::parse_states`' job).

mod app;
mod components;

pub use app::App;
