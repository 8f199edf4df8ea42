//! The race lab's model: a threaded run of a lesson (hmm-lesson's `Race`) re-scheduled by the reader, one
//! scheduling choice at a time, under any kernel version the simulator has. Everything is hmm-sim's: the run
//! (`hmm_sim::run` replaying the chosen prefix), where it stops (the next choice point, reported by the
//! replay policy as an impossible choice of a thread that does not exist), how it ended (hmm-lesson's
//! `classify`, the one place a run is called a livelock), and the bad-schedule search (`hmm_sim::explore`).

use hmm_lesson::model::RunEnd;
use hmm_lesson::runner::{classify, Race};
use hmm_sim::{Event, KernelVersion, Policy, RunConfig, RunError, ViewState};

/// A thread id no run has: asking the replay for it stops the run at the next real choice.
const NOBODY: u8 = u8::MAX;

/// Schedules "find a bad schedule" tries at most (the livelock lessons find theirs within 30).
pub const MAX_SEARCH_RUNS: usize = 200;

/// Choices a schedule may hold (in the URL too); longer ones are cut, and said so.
pub const MAX_SCHEDULE_LEN: usize = 100_000;

/// A race the lab offers: a threaded `run` of a bundled lesson.
#[derive(Clone, Debug)]
pub struct RaceDef {
    /// `LESSON-ID` or `LESSON-ID:BIND` when the lesson has several runs (the `race=` value).
    pub key: String,
    pub lesson_title: String,
    pub race: Race,
}

impl RaceDef {
    pub fn names(&self) -> Vec<String> {
        self.race.threads.iter().map(|t| t.name.clone()).collect()
    }
}

/// Every threaded run of every bundled lesson.
pub fn builtin() -> Vec<RaceDef> {
    let mut out = Vec::new();
    for &(path, text) in crate::lesson::bundle::BUNDLED {
        let Ok(lesson) = hmm_lesson::parse(path, text) else {
            continue;
        };
        let races = hmm_lesson::runner::races(&lesson);
        let several = races.len() > 1;
        for (i, race) in races.into_iter().enumerate() {
            let key = if several {
                format!(
                    "{}:{}",
                    lesson.id,
                    race.bind.clone().unwrap_or_else(|| (i + 1).to_string())
                )
            } else {
                lesson.id.clone()
            };
            out.push(RaceDef {
                key,
                lesson_title: lesson.title.clone(),
                race,
            });
        }
    }
    out
}

/// Where a schedule leaves the run.
#[derive(Clone, Debug, PartialEq)]
pub struct Stepped {
    /// The events so far.
    pub events: Vec<Event>,
    /// The choices actually taken (a schedule past an impossible choice is cut there).
    pub choices: Vec<u8>,
    /// Paused at a choice among these threads; empty once the run ended.
    pub runnable: Vec<u8>,
    /// How the run ended, once it has.
    pub end: Option<Ended>,
    /// Why the schedule asked for was cut, if it was.
    pub cut: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ended {
    pub how: RunEnd,
    /// hmm-sim's own words for a deadlock or a step limit (what each thread waits on; the limit).
    pub why: Option<String>,
}

fn config(race: &Race, kernel: KernelVersion, policy: Policy) -> RunConfig {
    RunConfig {
        kernel,
        policy,
        ..race.config.clone()
    }
}

/// Run `race` on `kernel` with `choices`, to the next choice after them (or to its end).
pub fn step(race: &Race, kernel: KernelVersion, choices: &[u8]) -> Stepped {
    let mut wanted = choices[..choices.len().min(MAX_SCHEDULE_LEN)].to_vec();
    let mut cut = (choices.len() > MAX_SCHEDULE_LEN)
        .then(|| format!("the schedule was cut to its first {MAX_SCHEDULE_LEN} choices"));
    loop {
        let mut probe = wanted.clone();
        probe.push(NOBODY);
        let report = hmm_sim::run(
            &race.setup,
            &race.threads,
            &config(race, kernel, Policy::Replay { choices: probe }),
        );
        match &report.result {
            Err(RunError::ImpossibleChoice {
                index, runnable, ..
            }) if *index >= wanted.len() => {
                return Stepped {
                    events: report.events.iter().collect(),
                    choices: wanted,
                    runnable: runnable.clone(),
                    end: None,
                    cut,
                };
            }
            Err(RunError::ImpossibleChoice {
                index,
                wanted: w,
                runnable,
            }) => {
                let name = |t: &u8| {
                    race.threads
                        .get(*t as usize)
                        .map_or_else(|| format!("thread #{t}"), |s| s.name.clone())
                };
                cut = Some(format!(
                    "choice {} asked for {}, which could not run then (runnable: {}): the schedule stops before it",
                    index + 1,
                    name(w),
                    runnable.iter().map(name).collect::<Vec<_>>().join(", ")
                ));
                wanted.truncate(*index);
            }
            result => {
                let how = classify(result, &report.events);
                let why = result.as_ref().err().map(|e| e.to_string());
                let taken = report.choices.len().min(wanted.len());
                wanted.truncate(taken);
                return Stepped {
                    events: report.events.iter().collect(),
                    choices: wanted,
                    runnable: vec![],
                    end: Some(Ended { how, why }),
                    cut,
                };
            }
        }
    }
}

/// Run `race` on `kernel` from `choices` to its end, hmm-sim's scheduler going on after them as the
/// replay policy does: the thread that ran last keeps running until it blocks or exits.
pub fn run_on(race: &Race, kernel: KernelVersion, choices: &[u8]) -> Stepped {
    let wanted = &choices[..choices.len().min(MAX_SCHEDULE_LEN)];
    let report = hmm_sim::run(
        &race.setup,
        &race.threads,
        &config(
            race,
            kernel,
            Policy::Replay {
                choices: wanted.to_vec(),
            },
        ),
    );
    if let Err(RunError::ImpossibleChoice { .. }) = report.result {
        // An impossible prefix: say where, as stepping does.
        return step(race, kernel, wanted);
    }
    let how = classify(&report.result, &report.events);
    let why = report.result.as_ref().err().map(|e| e.to_string());
    Stepped {
        events: report.events.iter().collect(),
        choices: report.choices[..report.choices.len().min(MAX_SCHEDULE_LEN)].to_vec(),
        runnable: vec![],
        end: Some(Ended { how, why }),
        cut: None,
    }
}

/// The choices hmm-sim's round-robin scheduler makes on `race` (the schedule the lessons' `run` uses).
pub fn round_robin(race: &Race, kernel: KernelVersion) -> Vec<u8> {
    let report = hmm_sim::run(
        &race.setup,
        &race.threads,
        &config(race, kernel, Policy::RoundRobin),
    );
    let mut choices = report.choices;
    choices.truncate(MAX_SCHEDULE_LEN);
    choices
}

/// What "find a bad schedule" found.
#[derive(Clone, Debug, PartialEq)]
pub struct Search {
    pub tried: usize,
    pub exhaustive: bool,
    /// The first schedule that did not complete, and how it ended.
    pub witness: Option<(Vec<u8>, RunEnd)>,
}

/// hmm-sim's depth-first explorer over `race`'s schedules, stopping at the first that does not complete.
pub fn find_bad(race: &Race, kernel: KernelVersion, max_runs: usize) -> Search {
    let mut how = None;
    let found = hmm_sim::explore(
        &race.setup,
        &race.threads,
        &config(race, kernel, Policy::RoundRobin),
        max_runs,
        |report| {
            let end = classify(&report.result, &report.events);
            if end != RunEnd::Completed {
                how = Some(end);
                true
            } else {
                false
            }
        },
    );
    Search {
        tried: found.runs,
        exhaustive: found.exhaustive,
        witness: found.witness.zip(how),
    }
}

/// The world after `events`, as hmm-sim views it: what each thread holds and waits on.
pub fn view_after(race: &Race, events: &[Event]) -> ViewState {
    let mut view = ViewState::from_world(&race.setup.world);
    for e in events {
        view.apply(e);
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    fn race(key: &str) -> RaceDef {
        builtin()
            .into_iter()
            .find(|r| r.key == key)
            .unwrap_or_else(|| {
                panic!(
                    "no race {key}: {:?}",
                    builtin().iter().map(|r| r.key.clone()).collect::<Vec<_>>()
                )
            })
    }

    #[test]
    fn the_livelock_lessons_are_races() {
        let keys: Vec<String> = builtin().into_iter().map(|r| r.key).collect();
        assert!(keys.contains(&"livelock-6-14".to_owned()), "{keys:?}");
        let r = race("livelock-6-14");
        assert_eq!(r.names(), ["t1", "t2", "t3"]);
    }

    #[test]
    fn stepping_pauses_at_each_choice_and_round_robin_completes_on_every_kernel() {
        let r = race("livelock-6-14");
        let first = step(&r.race, KernelVersion::V6_14, &[]);
        assert!(first.end.is_none());
        assert!(first.runnable.len() > 1, "{:?}", first.runnable);
        let one = step(&r.race, KernelVersion::V6_14, &[first.runnable[0]]);
        assert_eq!(one.choices.len(), 1);
        assert!(one.events.len() > first.events.len());
        for (kernel, want) in [
            (KernelVersion::V6_14, RunEnd::Completed),
            (KernelVersion::V6_15, RunEnd::Completed),
            (KernelVersion::Fix2026, RunEnd::Completed),
        ] {
            let all = round_robin(&r.race, kernel);
            let end = step(&r.race, kernel, &all).end.expect("ended");
            assert_eq!(end.how, want, "{kernel:?} after {} choices", all.len());
        }
    }

    /// By hand (the e2e test clicks this): t1 t2 t3 t1 t2 t3 t1 t2 t3 t1 t2, then the scheduler runs on.
    /// On 6.14 that livelocks; one choice fewer completes. 6.15 livelocks too, differently: the thread that
    /// loses the trylock re-faults at once and, run on alone, never lets the winner finish (the spinning of
    /// the 6.15 lesson); 2026's sleeping waiter completes it.
    #[test]
    fn a_hand_schedule_then_run_on() {
        let r = race("livelock-6-14");
        let hand = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1];
        let end = |k, c: &[u8]| run_on(&r.race, k, c).end.unwrap().how;
        assert_eq!(end(KernelVersion::V6_14, &hand), RunEnd::Livelock);
        assert_eq!(end(KernelVersion::V6_14, &hand[..10]), RunEnd::Completed);
        assert_eq!(end(KernelVersion::V6_15, &hand), RunEnd::Livelock);
        assert_eq!(end(KernelVersion::Fix2026, &hand), RunEnd::Completed);
    }

    #[test]
    fn an_impossible_schedule_is_cut_and_said() {
        let r = race("livelock-6-14");
        let s = step(&r.race, KernelVersion::V6_14, &[7, 0]);
        assert!(s.choices.is_empty());
        assert!(s.cut.unwrap().contains("thread #7"));
    }

    #[test]
    fn the_search_finds_the_6_14_livelock_and_its_witness_replays() {
        let r = race("livelock-6-14");
        let found = find_bad(&r.race, KernelVersion::V6_14, MAX_SEARCH_RUNS);
        let (witness, how) = found.witness.expect("a bad schedule");
        assert_eq!(how, RunEnd::Livelock);
        eprintln!(
            "witness of {} choices after {} schedules",
            witness.len(),
            found.tried
        );
        let replay = step(&r.race, KernelVersion::V6_14, &witness);
        assert_eq!(
            replay.end.map(|e| e.how),
            Some(RunEnd::Livelock),
            "{} choices",
            witness.len()
        );
        let fixed = find_bad(&r.race, KernelVersion::Fix2026, MAX_SEARCH_RUNS);
        assert!(fixed.witness.is_none(), "{fixed:?}");
        eprintln!(
            "2026: {} schedules, exhaustive {}",
            fixed.tried, fixed.exhaustive
        );
    }
}
