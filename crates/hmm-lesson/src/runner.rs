//! Run a validated lesson on the simulator: the only module that talks to hmm-sim's execution API.
//!
//! For each beat the runner applies the actions in order (main-thread actions at once; `tN:` actions
//! queued until `run`), then takes an [`Observation`] and evaluates the beat's predictions' `verify`
//! assertions and its assertions. An action the simulator refuses or a limit that is hit stops the lesson
//! with a [`RunError`] at that action's line: a lesson never half-passes silently.

use crate::eval::{self, Verdict};
use crate::model::{Beat, Lesson, Span};
use crate::observe::Observation;
use serde::Serialize;

/// Event kinds assertions may name: snake_case of `hmm_sim::trace::Kind`.
pub const EVENT_KINDS: [&str; 31] = [
    "call",
    "return",
    "walk_begin",
    "walk_end",
    "descend",
    "pte_read",
    "pte_write",
    "lock_acquire",
    "lock_release",
    "lock_contended",
    "ref",
    "map",
    "flag",
    "fault",
    "notifier_start",
    "notifier_end",
    "seq",
    "alloc",
    "free",
    "copy",
    "content",
    "src",
    "dst",
    "hmm_pfn",
    "dev_pt",
    "swap",
    "tlb_flush",
    "retry",
    "error",
    "milestone",
    "thread",
];

/// Milestone names for `until=milestone:…`: snake_case of `hmm_sim::trace::Milestone`.
pub const MILESTONES: [&str; 7] = [
    "faulted_in",
    "collected",
    "unmapped",
    "copied",
    "pages_migrated",
    "finalized",
    "all_on_device",
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunError {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BeatRun {
    /// One verdict per assertion of the beat, as written (before any `expect_fail` inversion).
    pub assertions: Vec<Verdict>,
    /// One verdict per prediction that has a `verify` assertion.
    pub predictions: Vec<Option<Verdict>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LessonRun {
    pub beats: Vec<BeatRun>,
    /// Set when an action could not be carried out; later beats were not run.
    pub error: Option<RunError>,
    /// The state after the last beat that ran.
    pub last: Observation,
}

/// Run `lesson` to its end (or its first error). Never panics.
pub fn run(lesson: &Lesson) -> LessonRun {
    let mut session = match Session::new(lesson) {
        Ok(s) => s,
        Err(message) => {
            return LessonRun {
                beats: vec![],
                error: Some(RunError {
                    span: lesson.beats.first().map_or(0..0, |b| b.span.clone()),
                    message,
                }),
                last: Observation::default(),
            }
        }
    };
    let mut beats = Vec::new();
    for beat in &lesson.beats {
        if let Err(e) = session.apply_beat(beat) {
            return LessonRun {
                beats,
                error: Some(e),
                last: session.observe(),
            };
        }
        let obs = session.observe();
        beats.push(evaluate(beat, &obs));
    }
    LessonRun {
        beats,
        error: None,
        last: session.observe(),
    }
}

fn evaluate(beat: &Beat, obs: &Observation) -> BeatRun {
    BeatRun {
        assertions: beat
            .assertions
            .iter()
            .map(|a| eval::check(&a.check, obs))
            .collect(),
        predictions: beat
            .predictions
            .iter()
            .map(|p| p.verify.as_ref().map(|v| eval::check(&v.check, obs)))
            .collect(),
    }
}

/// The simulator session a lesson runs in.
struct Session {
    obs: Observation,
}

impl Session {
    fn new(_lesson: &Lesson) -> Result<Session, String> {
        Err("hmm-sim does not provide the lesson execution API yet (see crates/hmm-lesson/NEEDS-FROM-SIM.md)".into())
    }

    fn apply_beat(&mut self, _beat: &Beat) -> Result<(), RunError> {
        Ok(())
    }

    fn observe(&self) -> Observation {
        self.obs.clone()
    }
}
