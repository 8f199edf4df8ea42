//! Run a validated lesson on the simulator: the only module that talks to hmm-sim.
//!
//! Worlds. The *main world* is the test process of the selftests: it starts from the scenario and every
//! main-thread action is one `hmm_sim::run` of a single thread, whose final world is the next
//! action's starting world. Each *lane world* starts from the scenario too; `lane X` runs strategy X there
//! on its own, so the three lanes can be compared side by side.
//!
//! Pausing. A lane run always runs to its end; `until=step:N` / `until=milestone:M` only choose how much of
//! its trace the lesson looks at, and `resume` looks further into the same run (runs are deterministic).
//!
//! Threads. `tN:` actions are queued and `run` runs them together under the chosen policy. When the beat
//! asserts something about *schedules*, the same start is also run under a bounded set of schedules
//! (round robin, then hmm-sim's depth-first explorer up to `limits.schedules`), recording for each
//! property the first schedule that shows it.
//!
//! Every refusal (an op the simulator cannot do, a limit hit) becomes a [`LessonError`] at the action's line.
//!
//! | module | job |
//! |---|---|
//! | `session` | [`BeatRunner`](session::BeatRunner): the state between beats and the beat state machine |
//! | `lower` | lesson actions and scenario → hmm-sim set-up, ops, thread specs and policies |
//! | `search` | schedule claims: round robin plus hmm-sim's explorer, witnesses per property |
//! | `observe` | [`Observation`]s, built only from hmm-sim's `ViewState` of each world |
//! | `events` | what the runner reads from traces, through hmm-sim's typed `Ev` (pages, milestones, how a run ended) |

mod events;
mod lower;
mod observe;
mod search;
mod session;

use crate::eval::{self, Verdict};
use crate::model::{Check, Lesson, Span, WhichWorld};
use crate::observe::Observation;
use serde::Serialize;

pub(crate) use events::event_obs;
pub use events::{classify, is_func, milestone_keys};
pub use session::Race;

/// Why a lesson stopped before its end: an action the simulator refused, or a limit hit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LessonError {
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
    pub error: Option<LessonError>,
    /// The state after the last beat that ran.
    pub last: Observation,
}

/// Run `lesson` to its end (or its first error). Never panics on a validated lesson.
pub fn run(lesson: &Lesson) -> LessonRun {
    run_observing(lesson, |_, _| {})
}

/// [`run`], also handing `on_beat` what each beat's claims are judged against, right after the beat's actions
/// (the browser shows every beat's worlds; `hmmviz check` does not look). One runner for both, so the
/// browser and the CLI cannot disagree on a verdict.
pub fn run_observing(lesson: &Lesson, mut on_beat: impl FnMut(usize, &Observation)) -> LessonRun {
    let mut runner = match session::BeatRunner::new(lesson) {
        Ok(s) => s,
        Err(message) => {
            return LessonRun {
                beats: vec![],
                error: Some(LessonError {
                    span: 0..3,
                    message,
                }),
                last: Observation::default(),
            }
        }
    };
    let mut beats = Vec::new();
    for beat in &lesson.beats {
        if let Err(e) = runner.apply_beat(beat) {
            return LessonRun {
                beats,
                error: Some(e),
                last: runner.observe(),
            };
        }
        let obs = runner.observe();
        on_beat(beats.len(), &obs);
        // Claims read pages and events: that work counts against `limits.events` too.
        let checks = beat
            .predictions
            .iter()
            .filter_map(|p| p.verify.as_ref())
            .chain(&beat.assertions);
        for a in checks {
            if let Err(message) = runner.spend(
                claim_cost(&a.check, &obs, lesson.scenario.pages()),
                "this claim",
            ) {
                return LessonRun {
                    beats,
                    error: Some(LessonError {
                        span: a.span.clone(),
                        message,
                    }),
                    last: obs,
                };
            }
        }
        beats.push(BeatRun {
            assertions: beat
                .assertions
                .iter()
                .map(|a| eval::check(&a.check, &obs))
                .collect(),
            predictions: beat
                .predictions
                .iter()
                .map(|p| p.verify.as_ref().map(|v| eval::check(&v.check, &obs)))
                .collect(),
        });
    }
    let last = runner.observe();
    LessonRun {
        beats,
        error: None,
        last,
    }
}

/// Every threaded `run` and every lane run of `lesson`, in order, each with the world it starts from (the
/// beats before it applied), up to the first action that fails. The lesson's claims are not judged here.
pub fn races(lesson: &Lesson) -> Vec<Race> {
    let Ok(mut runner) = session::BeatRunner::new(lesson) else {
        return vec![];
    };
    runner.record_races();
    let mut races = Vec::new();
    for (i, beat) in lesson.beats.iter().enumerate() {
        let ok = runner.apply_beat(beat).is_ok();
        races.extend(
            runner
                .take_races()
                .into_iter()
                .map(|r| Race { beat: i, ..r }),
        );
        if !ok {
            break;
        }
    }
    races
}

/// What judging a claim reads (at most), in events: an event claim its world's events, a per-page claim
/// its pages (a whole result: the scenario's), `lanes_agree` every lane's pages; any claim at least 1.
fn claim_cost(c: &Check, obs: &Observation, pages: usize) -> u64 {
    use crate::model::{Probe, ResultField};
    let events = |w: WhichWorld| match w {
        WhichWorld::Main => obs.main.events.len(),
        WhichWorld::Lane(l) => obs.lane(l).map_or(0, |w| w.events.len()),
    } as u64;
    let read = match c {
        Check::Eventually(e) | Check::Never(e) => events(e.world),
        Check::Before(a, _) => events(a.world),
        Check::Compare { probe, .. } => match probe {
            Probe::Page { pages, .. } | Probe::Mirror { pages } => pages.len() as u64,
            Probe::Result { pages: Some(p), .. } => p.len() as u64,
            Probe::Result {
                field: ResultField::Data | ResultField::Snapshot,
                ..
            } => pages as u64,
            _ => 0,
        },
        Check::LanesAgree => 3 * pages as u64,
        Check::AlwaysInvariants => {
            (obs.main.violations.len()
                + obs
                    .lanes
                    .values()
                    .map(|w| w.violations.len())
                    .sum::<usize>()) as u64
        }
        Check::ExistsSchedule(_) | Check::AllSchedules(_) => 0,
    };
    read + 1
}
