//! [`BeatRunner`]: the lesson's state between beats (the main world, each lane's latest run, bound results,
//! the mirror buffer, queued threads) and the state machine that applies one beat's actions to it.

use super::events::{classify, pause_point, stop_message};
use super::lower::{self, token};
use super::observe::{world_obs, WorldAt};
use super::search::{search, Binding, Budget};
use super::LessonError;
use crate::limits::thousands;
use crate::model::{
    Action, Beat, Check, DmirrorCmd, DriverOverride, Lesson, Pages, Property, RunEnd, Schedule,
    Strategy, Until, Verb,
};
use crate::observe::{EventLog, Observation, ResultObs, ScheduleSearch, WorldObs};
use hmm_sim::MmId;
use hmm_sim::ViewState;
use hmm_sim::{Outcome as OpOutcome, Report, RunConfig, Setup, ThreadSpec};
use hmm_sim::{Policy, RunError};
use std::collections::BTreeMap;
use std::sync::Arc;

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
    /// The whole run, to its end (its events are in `events`).
    report: Report,
    events: Arc<hmm_sim::PackedTrace>,
    names: Arc<Vec<String>>,
    /// Where the lesson paused it (number of events applied), or None: at its end.
    at: Option<usize>,
    /// The view of the world after `applied` events; moved forward only when observed (pauses only move
    /// forward), so however often a lane is resumed, each event is applied once.
    view: ViewState,
    applied: usize,
    /// The observation at `at`, until the lane moves.
    obs: Option<Arc<WorldObs>>,
    /// Which limit stopped the run, and where.
    stopped: Option<String>,
    /// How the whole run ended (classified once: it reads the trace's tail).
    outcome: RunEnd,
}

impl LaneWorld {
    /// The lane run's outcome, return code and stop message (a paused run has neither finished nor failed).
    fn result(&self) -> ResultObs {
        if self.at.is_some() {
            return ResultObs::Run {
                outcome: RunEnd::Completed,
                ret: None,
                stopped: None,
            };
        }
        let ret = self
            .report
            .outcomes
            .first()
            .and_then(|o| o.first())
            .map(|o| o.ret() as i64);
        ResultObs::Run {
            outcome: self.outcome,
            ret,
            stopped: self.stopped.clone(),
        }
    }

    fn end(&self) -> usize {
        self.at.unwrap_or(self.events.len())
    }
}

/// Runs a lesson beat by beat; [`BeatRunner::observe`] after each beat is what its assertions see.
pub struct BeatRunner<'l> {
    lesson: &'l Lesson,
    scenario: Setup,
    /// The main world now: the starting world of its next run, and its view.
    main: Setup,
    main_view: ViewState,
    main_events: EventLog,
    /// Thread names of the latest main-world run.
    main_names: Vec<String>,
    main_violations: Vec<String>,
    /// The main world's observation, until it changes.
    main_obs: Option<Arc<WorldObs>>,
    /// Per page: inside a vma of the test process now (`munmap` clears it); lanes keep the scenario's.
    mapped: Vec<bool>,
    scenario_mapped: Vec<bool>,
    processes: BTreeMap<String, MmId>,
    lanes: BTreeMap<&'static str, LaneWorld>,
    results: Arc<BTreeMap<String, ResultObs>>,
    mirror: Arc<Vec<u64>>,
    queued: Vec<Queued>,
    schedules: Option<ScheduleSearch>,
    /// Work done so far against `limits.events`.
    spent: u64,
    /// Keep each threaded `run`'s and each lane's start ([`super::races`]); off for `hmmviz check`, which
    /// never looks.
    record_races: bool,
    races: Vec<Race>,
}

/// One threaded `run` (or one lane run: a single driver thread) of a lesson as hmm-sim takes it: the world it
/// starts from, its threads and the lesson's kernel, limits and schedule. The browser's race lab
/// re-schedules it choice by choice.
#[derive(Clone, Debug)]
pub struct Race {
    /// Index of the beat whose `run` this is.
    pub beat: usize,
    /// The action's binding (`r = run …`, `v = lane …`), if it has one.
    pub bind: Option<String>,
    /// `Some` for a lane run (one driver thread in its own world), `None` for a threaded `run`.
    pub lane: Option<Strategy>,
    pub setup: Setup,
    pub threads: Vec<ThreadSpec>,
    pub config: RunConfig,
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
            main_events: EventLog::default(),
            main_names: Vec::new(),
            main_violations: Vec::new(),
            main_obs: None,
            scenario_mapped: mapped.clone(),
            mapped,
            processes: BTreeMap::new(),
            lanes: BTreeMap::new(),
            results: Arc::default(),
            mirror: Arc::new(vec![0; sc.pages()]),
            queued: Vec::new(),
            schedules: None,
            spent: 0,
            record_races: false,
            races: Vec::new(),
        })
    }

    fn config(&self, policy: Policy) -> RunConfig {
        lower::config(self.lesson.kernel, &self.lesson.limits, policy)
    }

    /// What a run costs besides its events: its world is copied, and observed, page by page.
    fn setup_cost(&self) -> u64 {
        self.lesson.scenario.pages() as u64 + 1
    }

    fn budget_spent(&self, doing: &str) -> String {
        format!(
            "event budget {} (limits.events) spent before {doing}: {} events' work done (each run costs its events plus one per scenario page; each claim one per page or event it reads)",
            thousands(self.lesson.limits.events),
            thousands(self.spent)
        )
    }

    /// Charge `cost` to the lesson's event budget, or say that it is spent.
    pub fn spend(&mut self, cost: u64, doing: &str) -> Result<(), String> {
        if self.lesson.limits.events.saturating_sub(self.spent) < cost {
            return Err(self.budget_spent(doing));
        }
        self.spent += cost;
        Ok(())
    }

    /// The configuration of one run within what is left of the event budget: its step bound is
    /// `limits.steps`, or what is left when that is less (then the budget is returned, for the message).
    fn budgeted(&self, policy: Policy) -> Result<(RunConfig, Option<u64>), String> {
        let left = self.lesson.limits.events.saturating_sub(self.spent);
        let Some(steps_left) = left.checked_sub(self.setup_cost()).filter(|&s| s > 0) else {
            return Err(self.budget_spent("this run"));
        };
        let mut config = self.config(policy);
        if steps_left < config.limits.max_steps {
            config.limits.max_steps = steps_left;
            return Ok((config, Some(self.lesson.limits.events)));
        }
        Ok((config, None))
    }

    /// Charge a finished run.
    fn charge(&mut self, report: &Report) {
        self.spent += report.steps + self.setup_cost();
    }

    fn mm_of(&self, verb: &Verb) -> MmId {
        lower::process_of(verb)
            .and_then(|p| self.processes.get(p).copied())
            .unwrap_or(0)
    }

    fn bind(&mut self, bind: &Option<String>, result: ResultObs) {
        if let Some(name) = bind {
            Arc::make_mut(&mut self.results).insert(name.clone(), result);
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
        // What an action costs besides its runs: a queued one its ops, a mirror write its pages, a resume
        // (which re-observes the lane) its set-up.
        let cost = match (&a.thread, &a.op) {
            (Some(_), op) => lower::op_count(op),
            (None, Verb::Mirror { pages, .. }) => pages.len() as u64,
            (None, Verb::Lane { resume: true, .. }) => self.setup_cost(),
            _ => 0,
        };
        self.spend(cost, "this action")?;
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
                let result = if *resume {
                    self.resume_lane(*lane, until)?
                } else {
                    self.run_lane(a.bind.as_deref(), *lane, *pages, until, driver)?
                };
                self.bind(&a.bind, result);
            }
            Verb::Mirror { pages, value } => {
                let mirror = Arc::make_mut(&mut self.mirror);
                for p in pages.iter() {
                    mirror[p] = token(*value, p) as u64;
                }
            }
            Verb::Run { schedule } => {
                let result = self.run_threads(a.bind.as_deref(), schedule, properties)?;
                self.bind(&a.bind, result);
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
        let (config, budget) = self.budgeted(Policy::RunToBlock)?;
        let report = hmm_sim::run(&self.main, &[thread], &config);
        self.charge(&report);
        if let Err(e) = &report.result {
            let steps = self.lesson.limits.steps;
            return Err(
                stop_message(&report.result, steps, budget, "the main world")
                    .unwrap_or_else(|| format!("the simulator stopped: {e}")),
            );
        }
        let outcomes = report.outcomes.first().cloned().unwrap_or_default();
        self.absorb(report);
        self.record(bind, verb, &outcomes);
        Ok(())
    }

    /// Make a finished main-world run the current main world.
    fn absorb(&mut self, mut report: Report) {
        for e in &report.events {
            self.main_view.apply(&e);
        }
        // Kept for the lesson's whole life: packed, without spare capacity (`Kernel::take_events`).
        let events = std::mem::take(&mut report.events);
        let end = events.len();
        self.main_events
            .push(Arc::new(events), end, Arc::new(report.thread_names.clone()));
        self.main_obs = None;
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
        match verb {
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
                self.main_obs = None;
                return;
            }
            // A moved range is mapped at its new place; the old one stays mapped (empty) only with
            // MREMAP_DONTUNMAP.
            Verb::Mremap {
                pages,
                to,
                dontunmap,
            } if outcomes.last() == Some(&OpOutcome::Ret(0)) => {
                for p in pages.iter() {
                    self.mapped[p] = *dontunmap;
                }
                for p in *to..*to + pages.len() {
                    self.mapped[p] = true;
                }
                self.main_obs = None;
            }
            _ => {}
        }
        let Some(result) = result_obs(verb, outcomes) else {
            return;
        };
        if let ResultObs::Dmirror { data: Some(d), .. } = &result {
            let mirror = Arc::make_mut(&mut self.mirror);
            for (p, v) in d {
                mirror[*p] = *v;
            }
        }
        if let Some(name) = bind {
            Arc::make_mut(&mut self.results).insert(name.to_string(), result);
        }
    }

    /// Runs are deterministic: resuming a paused lane is looking further into the same full run.
    fn resume_lane(&mut self, lane: Strategy, until: &Until) -> Result<ResultObs, String> {
        let prev = self.lanes.get_mut(lane.name()).ok_or("nothing to resume")?;
        let Some(before) = prev.at else {
            return Err(format!("lane {} already ran to its end", lane.name()));
        };
        let at = pause_point(&prev.events, before, until, lane)?;
        if at.is_some_and(|a| a < before) {
            return Err(format!("lane {} is already past that point", lane.name()));
        }
        if at != prev.at {
            prev.at = at;
            prev.obs = None;
        }
        Ok(prev.result())
    }

    /// Run strategy `lane` from the scenario in its own world, to its end; `until` picks where to look.
    fn run_lane(
        &mut self,
        bind: Option<&str>,
        lane: Strategy,
        pages: Pages,
        until: &Until,
        over: &DriverOverride,
    ) -> Result<ResultObs, String> {
        let driver = self.lesson.scenario.driver.with(over);
        lower::check_driver(&driver)?;
        let mut setup = self.scenario.clone();
        setup.driver(lower::driver_opts(&driver));
        let thread = lower::lane_thread(lane, &driver, pages);
        let (config, budget) = self.budgeted(Policy::RunToBlock)?;
        if self.record_races {
            self.races.push(Race {
                beat: 0,
                bind: bind.map(str::to_owned),
                lane: Some(lane),
                setup: setup.clone(),
                threads: vec![thread.clone()],
                config: config.clone(),
            });
        }
        // The lane's previous run goes first: two full traces of one lane are never held at once.
        self.lanes.remove(lane.name());
        let mut report = hmm_sim::run(&setup, std::slice::from_ref(&thread), &config);
        self.charge(&report);
        refused(&report)?;
        let world = format!("lane {}", lane.name());
        let steps = self.lesson.limits.steps;
        if budget.is_some() {
            if let Some(m) = stop_message(&report.result, steps, budget, &world) {
                return Err(m);
            }
        }
        let stopped = stop_message(&report.result, steps, None, &world);
        let events = Arc::new(std::mem::take(&mut report.events));
        let at = pause_point(&events, 0, until, lane)?;
        let world = LaneWorld {
            outcome: classify(&report.result, &events),
            names: Arc::new(report.thread_names.clone()),
            report,
            events,
            at,
            view: ViewState::from_world(&setup.world),
            applied: 0,
            obs: None,
            stopped,
        };
        let result = world.result();
        self.lanes.insert(lane.name(), world);
        Ok(result)
    }

    /// `run`: every queued thread together under `schedule`, plus the schedule search the beat asks for.
    fn run_threads(
        &mut self,
        bind: Option<&str>,
        schedule: &Schedule,
        properties: &[Property],
    ) -> Result<ResultObs, String> {
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
        if self.record_races {
            self.races.push(Race {
                beat: 0,
                bind: bind.map(str::to_owned),
                lane: None,
                setup: self.main.clone(),
                threads: specs.clone(),
                config: self.config(policy.clone()),
            });
        }
        self.schedules = if properties.is_empty() {
            None
        } else {
            let limits = &self.lesson.limits;
            let bound = Budget {
                schedules: limits.schedules as usize,
                events: limits.events.saturating_sub(self.spent),
                per_run: limits.steps + self.setup_cost(),
                setup: self.setup_cost(),
            };
            if bound.events < bound.per_run {
                return Err(self.budget_spent("the schedule search"));
            }
            let config = self.config(Policy::RoundRobin);
            let bindings: Vec<Binding> = queued
                .iter()
                .enumerate()
                .flat_map(|(t, q)| {
                    q.actions.iter().filter_map(move |(bind, verb, ops)| {
                        Some(Binding {
                            thread: t,
                            name: bind.clone()?,
                            verb: verb.clone(),
                            ops: ops.clone(),
                        })
                    })
                })
                .collect();
            let (found, spent) = search(&self.main, &specs, &bindings, properties, &config, &bound);
            self.spent += spent;
            if found.budget_hit {
                return Err(format!(
                    "event budget {} (limits.events) spent after {} of at most {} schedules of the search ({} events' work): lower limits.schedules or limits.steps ({}), or raise limits.events (at most {})",
                    thousands(limits.events),
                    found.tried,
                    thousands(limits.schedules),
                    thousands(spent),
                    thousands(limits.steps),
                    thousands(crate::limits::MAX_EVENTS),
                ));
            }
            Some(found)
        };
        let (config, budget) = self.budgeted(policy)?;
        let report = hmm_sim::run(&self.main, &specs, &config);
        self.charge(&report);
        refused(&report)?;
        let steps = self.lesson.limits.steps;
        if budget.is_some() {
            if let Some(m) = stop_message(&report.result, steps, budget, "this run") {
                return Err(m);
            }
        }
        let outcome = classify(&report.result, &report.events);
        let stopped = stop_message(&report.result, steps, None, "this run");
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
        Ok(ResultObs::Run {
            outcome,
            ret: None,
            stopped,
        })
    }

    /// Keep every threaded `run`'s and every lane's start from now on ([`Self::take_races`]).
    pub fn record_races(&mut self) {
        self.record_races = true;
    }

    /// The threaded runs kept since the last call.
    pub fn take_races(&mut self) -> Vec<Race> {
        std::mem::take(&mut self.races)
    }

    /// What assertions see now: every world through hmm-sim's view of it. A world no action changed since
    /// the last observation is not rebuilt, and nothing is copied: the parts are shared.
    pub fn observe(&mut self) -> Observation {
        let main = match &self.main_obs {
            Some(o) => o.clone(),
            None => {
                let o = Arc::new(world_obs(WorldAt {
                    view: &self.main_view,
                    names: &self.main_names,
                    mapped: &self.mapped,
                    events: self.main_events.clone(),
                    violations: self.main_violations.clone(),
                }));
                self.main_obs = Some(o.clone());
                o
            }
        };
        let mapped = &self.scenario_mapped;
        let lanes = self
            .lanes
            .iter_mut()
            .map(|(name, l)| (name.to_string(), observe_lane(l, mapped)))
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
}

/// A lane's world at its pause point (or end): its view moved forward to there.
fn observe_lane(l: &mut LaneWorld, mapped: &[bool]) -> Arc<WorldObs> {
    if let Some(o) = &l.obs {
        return o.clone();
    }
    let at = l.end();
    for e in l.events.range(l.applied.min(at), at) {
        l.view.apply(&e);
    }
    l.applied = l.applied.max(at);
    let mut events = EventLog::default();
    events.push(l.events.clone(), at, l.names.clone());
    let o = Arc::new(world_obs(WorldAt {
        view: &l.view,
        names: &l.report.thread_names,
        mapped,
        events,
        // Invariants are checked over the whole run; a pause does not hide a later breach.
        violations: l.report.violations.clone(),
    }));
    l.obs = Some(o.clone());
    o
}

/// What an action's completed ops give assertions (None: an action with no result). Pure: the schedule
/// search builds each schedule's results with it too.
pub(super) fn result_obs(verb: &Verb, outcomes: &[OpOutcome]) -> Option<ResultObs> {
    match verb {
        Verb::Dmirror { cmd, pages, .. } => {
            let Some(OpOutcome::Cmd(c)) = outcomes.last() else {
                return None;
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
            let snapshot = (c.ret == 0 && *cmd == DmirrorCmd::Snapshot).then(|| {
                pages
                    .iter()
                    .zip(&c.snapshot)
                    .map(|(p, b)| (p, *b))
                    .collect()
            });
            Some(ResultObs::Dmirror {
                ret: c.ret as i64,
                cpages: c.cpages,
                faults: c.faults,
                data,
                snapshot,
            })
        }
        Verb::Mremap { .. } | Verb::Madvise { .. } | Verb::GupTest { .. } => {
            match outcomes.last() {
                Some(OpOutcome::Ret(r)) => Some(ResultObs::Syscall { ret: *r as i64 }),
                _ => None,
            }
        }
        Verb::CpuRead { pages, .. } | Verb::FileRead { pages } => Some(ResultObs::CpuRead {
            data: pages
                .iter()
                .zip(outcomes)
                .map(|(p, o)| match o {
                    OpOutcome::Cpu(Ok(v)) => (p, Some(*v as u64)),
                    _ => (p, None),
                })
                .collect(),
        }),
        _ => None,
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
                let mut view = ViewState::from_world(&runner.scenario.world);
                for e in lane.events.iter() {
                    view.apply(&e);
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
