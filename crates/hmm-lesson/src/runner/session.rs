//! [`BeatRunner`]: the lesson's state between beats (the main world, each lane's latest run, bound results,
//! the mirror buffer, queued threads) and the state machine that applies one beat's actions to it.

use super::events::{classify, events_of, pause_point};
use super::lower::{self, token};
use super::observe::{world_obs, WorldAt};
use super::search::search;
use super::LessonError;
use crate::model::{
    Action, Beat, Check, DmirrorCmd, DriverOverride, Lesson, Pages, Property, RunEnd, Schedule,
    Strategy, Until, Verb,
};
use crate::observe::{EventObs, Observation, ResultObs, ScheduleSearch};
use hmm_sim::MmId;
use hmm_sim::ViewState;
use hmm_sim::{Outcome as OpOutcome, Report, RunConfig, Setup, ThreadSpec};
use hmm_sim::{Policy, RunError};
use std::collections::BTreeMap;

/// Work queued on one thread until `run`.
struct Queued {
    name: String,
    mm: MmId,
    ops: Vec<hmm_sim::Op>,
    /// Each queued action: its binding, the action, and the range of `ops` it became.
    actions: Vec<(Option<String>, Verb, std::ops::Range<usize>)>,
}

/// One lane's world: its latest run from the scenario, possibly paused part-way.
struct LaneWorld {
    /// The whole run, to its end.
    report: Report,
    /// Where the lesson paused it (number of events applied), or None: at its end.
    at: Option<usize>,
    /// The view of the world it started from, which its trace is replayed onto.
    start: ViewState,
}

impl LaneWorld {
    /// The lane run's outcome and return code (a paused run has neither finished nor failed).
    fn result(&self) -> (RunEnd, Option<i64>) {
        if self.at.is_some() {
            return (RunEnd::Completed, None);
        }
        let ret = self
            .report
            .outcomes
            .first()
            .and_then(|o| o.first())
            .map(|o| o.ret() as i64);
        (classify(&self.report), ret)
    }
}

/// Runs a lesson beat by beat; [`BeatRunner::observe`] after each beat is what its assertions see.
pub struct BeatRunner<'l> {
    lesson: &'l Lesson,
    scenario: Setup,
    /// The main world now: the starting world of its next run, and its view.
    main: Setup,
    main_view: ViewState,
    main_events: Vec<EventObs>,
    /// Thread names of the latest main-world run.
    main_names: Vec<String>,
    main_violations: Vec<String>,
    /// Per page: inside a vma of the test process now (`munmap` clears it); lanes keep the scenario's.
    mapped: Vec<bool>,
    scenario_mapped: Vec<bool>,
    processes: BTreeMap<String, MmId>,
    lanes: BTreeMap<&'static str, LaneWorld>,
    results: BTreeMap<String, ResultObs>,
    mirror: Vec<u64>,
    queued: Vec<Queued>,
    schedules: Option<ScheduleSearch>,
}

/// Errors the simulator reports about a request rather than about the run it made.
fn refused(report: &Report) -> Result<(), String> {
    match &report.result {
        Err(
            e @ (RunError::ImpossibleChoice { .. }
            | RunError::TooManyThreads { .. }
            | RunError::BadSetup { .. }),
        ) => Err(format!("the simulator refused the run: {e}")),
        _ => Ok(()),
    }
}

impl<'l> BeatRunner<'l> {
    pub fn new(lesson: &'l Lesson) -> Result<BeatRunner<'l>, String> {
        let sc = &lesson.scenario;
        let setup = lower::scenario_setup(sc)?;
        let mut mapped = vec![false; sc.pages()];
        for v in &sc.vmas {
            for p in v.pages.iter() {
                mapped[p] = true;
            }
        }
        Ok(BeatRunner {
            lesson,
            main_view: ViewState::from_world(&setup.world),
            main: setup.clone(),
            scenario: setup,
            main_events: Vec::new(),
            main_names: Vec::new(),
            main_violations: Vec::new(),
            scenario_mapped: mapped.clone(),
            mapped,
            processes: BTreeMap::new(),
            lanes: BTreeMap::new(),
            results: BTreeMap::new(),
            mirror: vec![0; sc.pages()],
            queued: Vec::new(),
            schedules: None,
        })
    }

    fn config(&self, policy: Policy) -> RunConfig {
        lower::config(self.lesson.kernel, &self.lesson.limits, policy)
    }

    fn mm_of(&self, verb: &Verb) -> MmId {
        lower::process_of(verb)
            .and_then(|p| self.processes.get(p).copied())
            .unwrap_or(0)
    }

    fn bind(&mut self, bind: &Option<String>, result: ResultObs) {
        if let Some(name) = bind {
            self.results.insert(name.clone(), result);
        }
    }

    /// Run the beat's actions in order: queued ones wait for the beat's `run`.
    pub fn apply_beat(&mut self, beat: &Beat) -> Result<(), LessonError> {
        // Schedule properties the beat asks about: the search records witnesses for exactly these.
        let properties: Vec<Property> = beat
            .assertions
            .iter()
            .filter_map(|a| match &a.check {
                Check::ExistsSchedule(p) | Check::AllSchedules(p) => Some(p.clone()),
                _ => None,
            })
            .collect();
        for a in &beat.actions {
            self.apply_action(a, &properties)
                .map_err(|message| LessonError {
                    span: a.span.clone(),
                    message,
                })?;
        }
        Ok(())
    }

    fn apply_action(&mut self, a: &Action, properties: &[Property]) -> Result<(), String> {
        if let Some(thread) = &a.thread {
            return self.queue(thread, a);
        }
        match &a.op {
            Verb::Lane {
                lane,
                pages,
                until,
                resume,
                driver,
            } => {
                let (outcome, ret) = if *resume {
                    self.resume_lane(*lane, until)?
                } else {
                    self.run_lane(*lane, *pages, until, driver)?
                };
                self.bind(&a.bind, ResultObs::Run { outcome, ret });
            }
            Verb::Mirror { pages, value } => {
                for p in pages.iter() {
                    self.mirror[p] = token(*value, p) as u64;
                }
            }
            Verb::Run { schedule } => {
                let outcome = self.run_threads(schedule, properties)?;
                self.bind(&a.bind, ResultObs::Run { outcome, ret: None });
            }
            verb => self.run_main(a.bind.as_deref(), verb)?,
        }
        Ok(())
    }

    /// Queue an action on a declared thread until the beat's `run`.
    fn queue(&mut self, thread: &str, a: &Action) -> Result<(), String> {
        let mm = self.mm_of(&a.op);
        let ops = lower::sim_ops(&a.op, &self.mirror)?;
        let slot = match self.queued.iter().position(|q| q.name == thread) {
            Some(i) => i,
            None => {
                self.queued.push(Queued {
                    name: thread.to_string(),
                    mm,
                    ops: vec![],
                    actions: vec![],
                });
                self.queued.len() - 1
            }
        };
        let q = &mut self.queued[slot];
        if q.mm != mm {
            return Err(format!("thread {thread} already runs in another process"));
        }
        let range = q.ops.len()..q.ops.len() + ops.len();
        q.ops.extend(ops);
        q.actions.push((a.bind.clone(), a.op.clone(), range));
        Ok(())
    }

    /// One action on the main thread, run at once in the main world.
    fn run_main(&mut self, bind: Option<&str>, verb: &Verb) -> Result<(), String> {
        let thread = ThreadSpec {
            name: "main".into(),
            mm: self.mm_of(verb),
            ops: lower::sim_ops(verb, &self.mirror)?,
        };
        let report = hmm_sim::run(&self.main, &[thread], &self.config(Policy::RunToBlock));
        if let Err(e) = &report.result {
            return Err(format!("the simulator stopped: {e}"));
        }
        let outcomes = report.outcomes.first().cloned().unwrap_or_default();
        self.absorb(report);
        self.record(bind, verb, &outcomes);
        Ok(())
    }

    /// Make a finished main-world run the current main world.
    fn absorb(&mut self, report: Report) {
        for e in &report.events {
            self.main_view.apply(e);
        }
        self.main_events
            .extend(events_of(&report.events, &report.thread_names));
        self.main_names = report.thread_names;
        self.main_violations.extend(report.violations);
        self.main = Setup {
            world: report.world,
            devices: self.main.devices,
            errors: Vec::new(),
        };
    }

    /// Bind the outcome of an action's ops, and update what user space knows: the mirror buffer as the
    /// test's copy-back would, the processes forked, the pages still mapped.
    fn record(&mut self, bind: Option<&str>, verb: &Verb, outcomes: &[OpOutcome]) {
        let result = match verb {
            Verb::Dmirror { cmd, pages, .. } => {
                let Some(OpOutcome::Cmd(c)) = outcomes.last() else {
                    return;
                };
                let copies_back = matches!(
                    cmd,
                    DmirrorCmd::Read
                        | DmirrorCmd::MigrateToDev
                        | DmirrorCmd::Exclusive
                        | DmirrorCmd::MigrateOnFaultToDev
                );
                let data = (c.ret == 0 && copies_back).then(|| {
                    pages
                        .iter()
                        .zip(&c.data)
                        .map(|(p, v)| (p, *v as u64))
                        .collect::<BTreeMap<_, _>>()
                });
                if let Some(d) = &data {
                    for (p, v) in d {
                        self.mirror[*p] = *v;
                    }
                }
                let snapshot = (c.ret == 0 && *cmd == DmirrorCmd::Snapshot).then(|| {
                    pages
                        .iter()
                        .zip(&c.snapshot)
                        .map(|(p, b)| (p, *b))
                        .collect()
                });
                ResultObs::Dmirror {
                    ret: c.ret as i64,
                    cpages: c.cpages,
                    faults: c.faults,
                    data,
                    snapshot,
                }
            }
            Verb::CpuRead { pages, .. } => ResultObs::CpuRead {
                data: pages
                    .iter()
                    .zip(outcomes)
                    .map(|(p, o)| match o {
                        OpOutcome::Cpu(Ok(v)) => (p, Some(*v as u64)),
                        _ => (p, None),
                    })
                    .collect(),
            },
            Verb::Fork => {
                if let (Some(name), Some(OpOutcome::Forked { child })) = (bind, outcomes.last()) {
                    self.processes.insert(name.to_string(), *child);
                }
                return;
            }
            Verb::Munmap { pages } => {
                for p in pages.iter() {
                    self.mapped[p] = false;
                }
                return;
            }
            _ => return,
        };
        if let Some(name) = bind {
            self.results.insert(name.to_string(), result);
        }
    }

    /// Runs are deterministic: resuming a paused lane is looking further into the same full run.
    fn resume_lane(
        &mut self,
        lane: Strategy,
        until: &Until,
    ) -> Result<(RunEnd, Option<i64>), String> {
        let prev = self.lanes.get_mut(lane.name()).ok_or("nothing to resume")?;
        let Some(before) = prev.at else {
            return Err(format!("lane {} already ran to its end", lane.name()));
        };
        let at = pause_point(&prev.report, until, lane)?;
        if at.is_some_and(|a| a < before) {
            return Err(format!("lane {} is already past that point", lane.name()));
        }
        prev.at = at;
        Ok(prev.result())
    }

    /// Run strategy `lane` from the scenario in its own world, to its end; `until` picks where to look.
    fn run_lane(
        &mut self,
        lane: Strategy,
        pages: Pages,
        until: &Until,
        over: &DriverOverride,
    ) -> Result<(RunEnd, Option<i64>), String> {
        let driver = self.lesson.scenario.driver.with(over);
        lower::check_driver(&driver)?;
        let mut setup = self.scenario.clone();
        setup.driver(lower::driver_opts(&driver));
        let thread = lower::lane_thread(lane, &driver, pages);
        let report = hmm_sim::run(
            &setup,
            std::slice::from_ref(&thread),
            &self.config(Policy::RunToBlock),
        );
        refused(&report)?;
        let at = pause_point(&report, until, lane)?;
        let world = LaneWorld {
            report,
            at,
            start: ViewState::from_world(&setup.world),
        };
        let result = world.result();
        self.lanes.insert(lane.name(), world);
        Ok(result)
    }

    /// `run`: every queued thread together under `schedule`, plus the schedule search the beat asks for.
    fn run_threads(
        &mut self,
        schedule: &Schedule,
        properties: &[Property],
    ) -> Result<RunEnd, String> {
        let queued = std::mem::take(&mut self.queued);
        let specs: Vec<ThreadSpec> = queued
            .iter()
            .map(|q| ThreadSpec {
                name: q.name.clone(),
                mm: q.mm,
                ops: q.ops.clone(),
            })
            .collect();
        let names: Vec<&str> = queued.iter().map(|q| q.name.as_str()).collect();
        let policy = lower::policy(schedule, &names)?;
        self.schedules = if properties.is_empty() {
            None
        } else {
            let budget = self.lesson.limits.schedules as usize;
            let config = self.config(Policy::RoundRobin);
            Some(search(&self.main, &specs, properties, &config, budget))
        };
        let report = hmm_sim::run(&self.main, &specs, &self.config(policy));
        refused(&report)?;
        let outcome = classify(&report);
        let outcomes = report.outcomes.clone();
        self.absorb(report);
        for (t, q) in queued.iter().enumerate() {
            let done = outcomes.get(t).map_or(&[][..], Vec::as_slice);
            for (bind, verb, range) in &q.actions {
                // An action whose ops did not all complete (the run stopped) has no result to bind.
                if let Some(slice) = done.get(range.clone()) {
                    self.record(bind.as_deref(), verb, slice);
                }
            }
        }
        Ok(outcome)
    }

    /// What assertions see now: every world through hmm-sim's view of it.
    pub fn observe(&self) -> Observation {
        let main = world_obs(WorldAt {
            view: &self.main_view,
            names: &self.main_names,
            mapped: &self.mapped,
            events: self.main_events.clone(),
            violations: self.main_violations.clone(),
        });
        let lanes = self
            .lanes
            .iter()
            .map(|(name, l)| (name.to_string(), self.observe_lane(l)))
            .collect();
        Observation {
            main,
            lanes,
            results: self.results.clone(),
            mirror: self.mirror.clone(),
            schedules: self.schedules.clone(),
            content_mask: u32::MAX as u64,
        }
    }

    /// A lane's world at its pause point (or end): its trace replayed onto its starting view.
    fn observe_lane(&self, l: &LaneWorld) -> crate::observe::WorldObs {
        let at = l.at.unwrap_or(l.report.events.len());
        let events = &l.report.events[..at];
        let mut view = l.start.clone();
        for e in events {
            view.apply(e);
        }
        world_obs(WorldAt {
            view: &view,
            names: &l.report.thread_names,
            mapped: &self.scenario_mapped,
            events: events_of(events, &l.report.thread_names),
            // Invariants are checked over the whole run; a pause does not hide a later breach.
            violations: l.report.violations.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::observe::held_locks;
    use super::*;
    use std::path::Path;

    /// `locks_held` counts from the view's lock table; `World::held_locks()` enumerates every lock class of
    /// the world itself. For every lesson, the main world and each lane at the end of its run agree, so a
    /// leaked lock of any class (an anon_vma rwsem, a device's migrate lock…) fails `locks_held == 0`.
    fn holders(view: &ViewState) -> Vec<(hmm_sim::LockId, hmm_sim::Tid)> {
        let mut v: Vec<_> = view
            .locks
            .iter()
            .flat_map(|(l, ts)| ts.iter().map(move |t| (*l, *t)))
            .collect();
        v.sort();
        v
    }

    fn world_holders(w: &hmm_sim::World) -> Vec<(hmm_sim::LockId, hmm_sim::Tid)> {
        let mut v: Vec<_> = w.held_locks().iter().map(|h| (h.lock, h.holder)).collect();
        v.sort();
        v
    }

    #[test]
    fn view_lock_count_is_the_worlds_for_every_lesson() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lessons");
        let crate::check::Collected { files, errors, .. } = crate::check::collect(&[root]);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(files.len() >= 30, "only {} lessons", files.len());
        let mut worlds = 0;
        let mut held = 0;
        for f in &files {
            let lesson = crate::check::load(f).unwrap_or_else(|d| panic!("{}: {d:?}", f.display()));
            let mut runner = BeatRunner::new(&lesson).expect("the scenario sets up");
            for beat in &lesson.beats {
                if runner.apply_beat(beat).is_err() {
                    break;
                }
            }
            let main = &runner.main.world;
            assert_eq!(
                held_locks(&runner.main_view),
                main.held_locks().len() as u64,
                "{}: main world",
                f.display()
            );
            assert_eq!(
                holders(&runner.main_view),
                world_holders(main),
                "{}: main world",
                f.display()
            );
            held += main.held_locks().len();
            worlds += 1;
            for (name, lane) in &runner.lanes {
                let mut view = lane.start.clone();
                for e in &lane.report.events {
                    view.apply(e);
                }
                let world = &lane.report.world;
                assert_eq!(
                    held_locks(&view),
                    world.held_locks().len() as u64,
                    "{}: lane {name}",
                    f.display()
                );
                assert_eq!(
                    holders(&view),
                    world_holders(world),
                    "{}: lane {name}",
                    f.display()
                );
                held += world.held_locks().len();
                worlds += 1;
            }
        }
        assert!(worlds > files.len(), "some lesson runs a lane");
        assert!(
            held > 0,
            "some lesson ends with a lock held (a deadlock), so the comparison sees one"
        );
    }
}
