//! The race lab's model: a threaded run of a lesson (hmm-lesson's `Race`) re-scheduled by the reader, one
//! scheduling choice at a time, under any kernel version the simulator has. Everything is hmm-sim's: the run
//! (`hmm_sim::run` replaying the chosen prefix), where it stops (the next choice point, reported by the
//! replay policy as an impossible choice of a thread that does not exist), how it ended (hmm-lesson's
//! `classify`, the one place a run is called a livelock), and the bad-schedule search (`hmm_sim::explore`).

use hmm_lesson::model::RunEnd;
use hmm_lesson::runner::{classify, Race};
use hmm_sim::{Event, Explorer, KernelVersion, Policy, RunConfig, RunError, ViewState};

/// A thread id no run has: asking the replay for it stops the run at the next real choice.
const NOBODY: u8 = u8::MAX;

/// Schedules "find a bad schedule" tries at most (the livelock lessons find theirs within 30).
pub const MAX_SEARCH_RUNS: usize = 200;

/// Schedules the search runs between two paints of the page (its progress, its cancel button).
pub const SEARCH_SLICE: usize = 2;

/// The longest repeating cycle looked for at a livelock's end, in events.
pub const MAX_CYCLE: usize = 4096;

/// Choices a schedule may hold (in the URL too); longer ones are cut, and said so.
pub const MAX_SCHEDULE_LEN: usize = 100_000;

/// Lane runs the lab offers, besides every threaded `run`: `(lesson id, binding, what it shows)`. A lane is
/// one driver thread, so there is nothing to schedule; these are the lane runs that go wrong on their own,
/// shown here so their end (and, for the retrying one, its repeating cycle) reads like the races'. Each is
/// the lesson's own run (one source of truth), found by its binding.
const LANE_RACES: &[(&str, &str, &str)] = &[
    (
        "notifier-owner-filter",
        "v",
        "the driver invalidates itself without the owner filter",
    ),
    (
        "notifier-owner-filter",
        "d",
        "the notifier/driver-lock deadlock (seed-004)",
    ),
];

/// A race the lab offers: a threaded `run`, or a lane run of `LANE_RACES`, of a lesson.
#[derive(Clone, Debug)]
pub struct RaceDef {
    /// `LESSON-ID` or `LESSON-ID:BIND` when the lesson has several runs (the `race=` value).
    pub key: String,
    /// What the picker says: the lesson's title, or for a lane run what it shows.
    pub title: String,
    pub race: Race,
}

impl RaceDef {
    pub fn names(&self) -> Vec<String> {
        self.race.threads.iter().map(|t| t.name.clone()).collect()
    }
}

/// Every threaded run of every lesson, the lane runs of `LANE_RACES`, and the builder's presets.
pub fn builtin() -> Vec<RaceDef> {
    let mut out = Vec::new();
    for &(path, text) in crate::lesson::bundle::files() {
        let Ok(lesson) = hmm_lesson::parse(path, text) else {
            continue;
        };
        let races = hmm_lesson::runner::races(&lesson);
        let threaded = races.iter().filter(|r| r.lane.is_none()).count();
        for (i, race) in races.into_iter().enumerate() {
            let title = match race.lane {
                None => lesson.title.clone(),
                Some(_) => {
                    let Some(&(_, _, what)) = LANE_RACES.iter().find(|(id, bind, _)| {
                        *id == lesson.id && race.bind.as_deref() == Some(*bind)
                    }) else {
                        continue;
                    };
                    format!("{}: {what}", lesson.title)
                }
            };
            let key = if threaded > 1 || race.lane.is_some() {
                format!(
                    "{}:{}",
                    lesson.id,
                    race.bind.clone().unwrap_or_else(|| (i + 1).to_string())
                )
            } else {
                lesson.id.clone()
            };
            out.push(RaceDef { key, title, race });
        }
    }
    // The races written with the builder (`builder::presets`), on the kernel the lab opens them with.
    for (key, title, build) in super::builder::presets() {
        if let Ok(def) = build.race(KernelVersion::Fix2026) {
            out.push(RaceDef {
                key: key.into(),
                title: title.into(),
                ..def
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

/// hmm-sim's depth-first explorer over `race`'s schedules, stopping at the first that does not complete, a
/// slice at a time (`resume`), so the page can show progress and be cancelled between slices.
pub struct BadSearch {
    explorer: Explorer,
    how: Option<RunEnd>,
}

impl BadSearch {
    pub fn new(max_runs: usize) -> BadSearch {
        BadSearch {
            explorer: Explorer::new(max_runs),
            how: None,
        }
    }

    /// Schedules tried so far.
    pub fn tried(&self) -> usize {
        self.explorer.runs()
    }

    /// Try at most `slice` more schedules; `Some` once the search has ended. Always the same `race` and
    /// `kernel` for one search.
    pub fn resume(&mut self, race: &Race, kernel: KernelVersion, slice: usize) -> Option<Search> {
        let how = &mut self.how;
        let found = self.explorer.resume(
            &race.setup,
            &race.threads,
            &config(race, kernel, Policy::RoundRobin),
            slice,
            |report| {
                let end = classify(&report.result, &report.events);
                let bad = end != RunEnd::Completed;
                if bad {
                    *how = Some(end);
                }
                bad
            },
        )?;
        Some(Search {
            tried: found.runs,
            exhaustive: found.exhaustive,
            witness: found.witness.zip(self.how.take()),
        })
    }
}

/// The whole search at once (the tests; the page searches in slices).
pub fn find_bad(race: &Race, kernel: KernelVersion, max_runs: usize) -> Search {
    let mut search = BadSearch::new(max_runs);
    loop {
        if let Some(found) = search.resume(race, kernel, SEARCH_SLICE) {
            return found;
        }
    }
}

/// What an event is, for finding a cycle: its kind, thread and kernel function (its fields, sequence
/// numbers and refcounts among them, may change from one turn of a livelock to the next).
fn shape(e: &Event) -> (hmm_sim::Kind, u8, hmm_sim::Func) {
    (e.kind, e.thread, e.func)
}

/// The repeating cycle at the end of a livelocked run: the shortest period `p` (at most `MAX_CYCLE`) such
/// that the last three turns (`3p` events) repeat with period `p`, event by event, in kind, thread and
/// function. `None` when the end does not repeat that way (or the run is too short to tell).
pub fn cycle_period(events: &[Event]) -> Option<usize> {
    let len = events.len();
    (1..=MAX_CYCLE.min(len / 3))
        .find(|&p| (len - 3 * p..len - p).all(|i| shape(&events[i]) == shape(&events[i + p])))
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

    /// A completed run ends with each thread exiting, which does not repeat; a made-up trace that repeats
    /// "a b c" is found to have period 3, not 6 or 1.
    #[test]
    fn the_cycle_is_the_shortest_repeat() {
        let r = race("livelock-6-14");
        let done = step(
            &r.race,
            KernelVersion::Fix2026,
            &round_robin(&r.race, KernelVersion::Fix2026),
        );
        assert_eq!(done.end.map(|e| e.how), Some(RunEnd::Completed));
        assert_eq!(cycle_period(&done.events), None);
        let turn: Vec<Event> = done.events[..3].to_vec();
        assert!(
            turn.windows(2).all(|w| shape(&w[0]) != shape(&w[1])),
            "three different events"
        );
        let mut events = done.events[3..20].to_vec();
        for _ in 0..4 {
            events.extend_from_slice(&turn);
        }
        assert_eq!(cycle_period(&events), Some(3));
    }

    #[test]
    fn the_seed_004_races_are_built_in() {
        let keys: Vec<String> = builtin().into_iter().map(|r| r.key).collect();
        for key in ["notifier-owner-filter:v", "notifier-owner-filter:d"] {
            assert!(keys.contains(&key.to_owned()), "{key} in {keys:?}");
        }
        let d = race("notifier-owner-filter:d");
        let end = run_on(&d.race, d.race.config.kernel, &[])
            .end
            .expect("ended");
        assert_eq!(end.how, RunEnd::Deadlock, "{end:?}");
        // Without the filter the driver's own invalidation fails each walk: it retries until its budget is
        // spent and returns -EBUSY, so the run completes, after many invalidations.
        let v = race("notifier-owner-filter:v");
        let run = run_on(&v.race, v.race.config.kernel, &[]);
        assert_eq!(run.end.map(|e| e.how), Some(RunEnd::Completed));
        let invalidations = run
            .events
            .iter()
            .filter(|e| matches!(e.decode(), hmm_sim::Ev::NotifierStart { .. }))
            .count();
        assert!(invalidations > 2, "{invalidations} invalidations");
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
        // The witness's end repeats: one turn of the livelock, found in its events.
        let period = cycle_period(&replay.events).expect("a livelock repeats");
        let n = replay.events.len();
        assert!(period > 1 && period < n / 3, "period {period} of {n}");
        let fixed = find_bad(&r.race, KernelVersion::Fix2026, MAX_SEARCH_RUNS);
        assert!(fixed.witness.is_none(), "{fixed:?}");
        eprintln!(
            "2026: {} schedules, exhaustive {}",
            fixed.tried, fixed.exhaustive
        );
    }
}
