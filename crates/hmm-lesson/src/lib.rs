//! hmm-lesson: lesson files that both teach and check.
//!
//! A lesson is Markdown with TOML front matter (the scenario) and `##` beats holding prose and fenced
//! directive blocks: ```` ```hmm ```` actions, ```` ```predict ```` questions and ```` ```assert ```` claims.
//! docs/lessons.md is the author's reference; this crate is its implementation.
//!
//! # Layout
//!
//! | module | owns |
//! |---|---|
//! | [`diag`] | `path:line:col: message` diagnostics with snippet and caret, each bounded, at most `MAX_DIAGNOSTICS` per file |
//! | [`markdown`] | splitting a file into front matter, beats and directive blocks |
//! | [`front`] | the TOML front matter (serde, `deny_unknown_fields`) → scenario (states parsed once, by hmm-sim) |
//! | [`action`] | the action language (one action per line) |
//! | [`assertion`] | the assertion language (one claim per line): `lex` tokens, `terms` probes/values/events |
//! | [`predict`] | prediction blocks (TOML) |
//! | [`values`] | shared value syntaxes: page ranges, content patterns, errnos, snapshot bytes |
//! | [`parse`] | parse, then validate the whole file → [`model::Lesson`] or every diagnostic |
//! | [`model`] | the validated lesson: plain data (`action`: verbs, `claim`: assertions) |
//! | [`observe`] | what a run exposes to assertions: plain data |
//! | [`eval`] | evaluating one claim against an observation (`probe`: world state, `result`: bound results); a claim it cannot judge is an internal verdict that fails the lesson |
//! | [`runner`] | the only module that drives hmm-sim (`session`, `lower`, `search`, `observe`, `events`) |
//! | [`check`] | lesson files in, pass/fail reports out (used by `hmmviz check` and the tests); bounded directory walks |
//! | [`report_html`] | one report as a standalone HTML page (`hmmviz check --html`, the web player's download) |
//! | [`limits`] | every bound, in one place |
//!
//! Architecture invariant: nothing in this crate panics on any input; every limit is a named constant in
//! [`limits`] and is reported when hit.

pub mod action;
pub mod assertion;
pub mod check;
pub mod diag;
pub mod eval;
pub mod front;
pub mod limits;
pub mod markdown;
pub mod model;
pub mod observe;
pub mod parse;
pub mod predict;
pub mod report_html;
pub mod runner;
pub mod values;

pub use check::{check_file, check_text, collect, Collected, LessonReport};
pub use diag::Diagnostic;
pub use model::Lesson;
pub use parse::parse;
