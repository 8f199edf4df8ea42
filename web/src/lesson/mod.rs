//! Lessons in the browser: every lesson file of `lessons/` bundled at build time, played beat by beat with
//! the same parser and runner as `hmmviz check` (hmm-lesson), so the browser and CI never disagree on a
//! verdict.
//!
//! | module | job |
//! |---|---|
//! | `bundle` | the bundled files (`web/build.rs`) and the index (title, kind, kernel, audience) |
//! | `play` | one lesson checked and run (`hmm_lesson::check::check_text_observing`), every beat's worlds kept |
//! | `markdown` | a beat's prose to nodes (text only, never HTML) |
//! | `route` | `?lessons`, `?lesson=ID&beat=N`; progress in localStorage |
//! | `view` | the index, the paste/drop box and the player (predictions before the beat's results) |

pub mod bundle;
pub mod markdown;
pub mod play;
pub mod route;
mod view;

pub use view::{func_link, LessonApp};

/// Does this query string ask for the lesson pages?
pub fn wants_lessons(search: &str) -> bool {
    route::parse(search).is_some()
}
