//! The race lab (`?race=KEY&kernel=V&schedule=…`): a threaded run of a lesson, scheduled by the reader.
//!
//! | module | job |
//! |---|---|
//! | `builder` | races built in the page: the form's fields ↔ the link ↔ a lesson text read by hmm-lesson's parser |
//! | `builder_view` | the builder's form |
//! | `model` | stepping a race choice by choice (hmm-sim's replay), running on, round robin, the bad-schedule search (hmm-sim's explorer); how a run ended is hmm-lesson's `classify` |
//! | `url` | `race`, `kernel`, `schedule` (run-length encoded thread names) |
//! | `view` | the page: a lane per thread (holds, waits, a step button), undo, outcome banners, swimlanes |

pub mod builder;
mod builder_view;
pub mod model;
pub mod url;
mod view;

pub use url::wants_race;
pub use view::RaceLab;
