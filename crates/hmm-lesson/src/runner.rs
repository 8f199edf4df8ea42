//! Run a validated lesson on the simulator: the only module that talks to hmm-sim.
//!
//! Worlds. The *main world* is the test process of the selftests: it starts from the scenario and every
//! main-thread action is one `hmm_sim::run` of a single thread, whose final world is the next
//! action's starting world. Each *lane world* starts from the scenario too; `lane X` runs strategy X there
//! on its own, so the three lanes can be compared side by side.
//!
//! Pausing. A lane run `until=step:N` runs with a step bound of N events (the simulator stops at its next
//! scheduling point); `until=milestone:M` first runs to the end to find the milestone's event index, then
//! replays to it. Runs are deterministic, so `resume` replays from the scenario to the new target.
//!
//! Threads. `tN:` actions are queued and `run` runs them together under the chosen policy. When the beat
//! asserts something about *schedules*, the same start is also run under a bounded set of schedules
//! (round robin, run-to-block, then seeded random ones up to `limits.schedules`), recording for each
//! property the first schedule that shows it.
//!
//! Every refusal (an op the simulator cannot do, a limit hit) becomes a [`RunError`] at the action's line.

use crate::eval::{self, Verdict};
use crate::model::{
    self, Beat, Check, Counter, DmirrorCmd, Driver, Lane, Lesson, Location, Op, Outcome, Pages,
    Pattern, Prot, Schedule, Span, Until, VmaKind,
};
use crate::observe::{EventObs, Observation, PageObs, ResultObs, ScheduleSearch, WorldObs};
use hmm_sim::parse_states;
use hmm_sim::Strategy;
use hmm_sim::{self as sim, Outcome as SimOutcome, Report, RunConfig, Setup, ThreadSpec};
use hmm_sim::{unpack_page, Counters, Event, Func, Kind, Milestone, RetryReason};
use hmm_sim::{KernelVersion, Limits, Policy, RunError as SimError};
use hmm_sim::{MmId, PageLocation, World, Zone, RANGE_BASE_VPN};
use hmm_sim::{Pte, ZERO_PFN};
use hmm_sim::{Timeline, ViewState};
use serde::Serialize;
use std::collections::BTreeMap;

/// Event kinds assertions may name: snake_case of `hmm_sim::Kind`.
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

/// Milestone names for `until=milestone:…`: snake_case of `hmm_sim::Milestone`.
pub const MILESTONES: [&str; 7] = [
    "faulted_in",
    "collected",
    "unmapped",
    "copied",
    "pages_migrated",
    "finalized",
    "all_on_device",
];

/// Is `name` a kernel function the simulator attributes events to?
pub fn is_func(name: &str) -> bool {
    Func::ALL.iter().any(|f| f.name() == name)
}

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

/// Run `lesson` to its end (or its first error). Never panics on a validated lesson.
pub fn run(lesson: &Lesson) -> LessonRun {
    let mut session = match Session::new(lesson) {
        Ok(s) => s,
        Err(message) => {
            return LessonRun {
                beats: vec![],
                error: Some(RunError {
                    span: 0..3,
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
    let last = session.observe();
    LessonRun {
        beats,
        error: None,
        last,
    }
}

fn kernel_version(k: model::Kernel) -> KernelVersion {
    match k {
        model::Kernel::V6_14 => KernelVersion::V6_14,
        model::Kernel::V6_15 => KernelVersion::V6_15,
        model::Kernel::V6_18 => KernelVersion::V6_18,
    }
}

fn vpn(page: usize) -> u32 {
    RANGE_BASE_VPN + page as u32
}

/// Content tokens are `u32` in the simulator.
fn token(p: Pattern, page: usize) -> u32 {
    p.value(page) as u32
}

/// Work queued on one thread until `run`.
struct Queued {
    name: String,
    mm: MmId,
    ops: Vec<sim::Op>,
    /// Each queued action: its binding, the action, and the range of `ops` it became.
    actions: Vec<(Option<String>, Op, std::ops::Range<usize>)>,
}

/// One lane's world: its latest run from the scenario, possibly paused part-way.
struct LaneWorld {
    /// The whole run, to its end.
    report: Report,
    /// Where the lesson paused it (number of events applied), or None: at its end.
    at: Option<usize>,
    /// The world it started from, for replaying the trace to a pause point.
    setup: Setup,
}

/// The step a lane run pauses at for `until`, or None when it runs to its end.
fn pause_point(report: &Report, until: &Until, lane: Lane) -> Result<Option<usize>, String> {
    Ok(match until {
        Until::Done => None,
        Until::Step(n) => Some(*n as usize).filter(|&n| n < report.events.len()),
        Until::Milestone(name) => {
            let index = report.events.iter().position(|e| {
                e.kind == Kind::Milestone
                    && Milestone::from_u32(e.a).is_some_and(|m| milestone_name(m) == name)
            });
            let index = index
                .ok_or_else(|| format!("lane {} never reaches milestone {name}", lane.name()))?;
            // Pause just after the milestone event.
            Some(index + 1)
        }
    })
}

/// A lane run's outcome and return code (a paused run has neither finished nor failed).
fn lane_result(l: &LaneWorld) -> (Outcome, Option<i64>) {
    if l.at.is_some() {
        return (Outcome::Completed, None);
    }
    let ret = l
        .report
        .outcomes
        .first()
        .and_then(|o| o.first())
        .map(|o| o.ret() as i64);
    (classify(&l.report), ret)
}

struct Session<'l> {
    lesson: &'l Lesson,
    scenario: Setup,
    kernel: KernelVersion,
    /// The main world now.
    main: Setup,
    main_events: Vec<(Event, String)>,
    /// Thread names of the latest main-world run.
    main_names: Vec<String>,
    main_violations: Vec<String>,
    processes: BTreeMap<String, MmId>,
    lanes: BTreeMap<&'static str, LaneWorld>,
    results: BTreeMap<String, ResultObs>,
    mirror: Vec<u64>,
    queued: Vec<Queued>,
    schedules: Option<ScheduleSearch>,
}

impl<'l> Session<'l> {
    fn new(lesson: &'l Lesson) -> Result<Session<'l>, String> {
        let sc = &lesson.scenario;
        let states = parse_states(&sc.states).map_err(|e| e.to_string())?;
        if states.contains(&hmm_sim::PageState::OtherDevice) && sc.devices < 2 {
            return Err("`O` pages live on device 1: the scenario needs devices = 2".into());
        }
        if states.contains(&hmm_sim::PageState::DevicePrivate) && sc.devices < 1 {
            return Err("`D` pages live on device 0: the scenario needs devices >= 1".into());
        }
        let mut setup = Setup::new(sc.devices as u8);
        for v in &sc.vmas {
            let (read, write) = match v.prot {
                Prot::ReadWrite => (true, true),
                Prot::Read => (true, false),
                Prot::None => (false, false),
            };
            let prot = sim::Prot {
                read,
                write,
                shared: v.kind == VmaKind::AnonShared,
            };
            setup.mmap(0, vpn(v.pages.start), v.pages.len() as u32, prot);
        }
        for (p, st) in states.iter().enumerate() {
            if *st != hmm_sim::PageState::None {
                setup.place(0, vpn(p), *st, token(sc.content, p));
            }
        }
        setup.driver(driver_opts(&sc.driver));
        if let Some(e) = setup.errors.first() {
            return Err(format!("the simulator refused the scenario: {e}"));
        }
        Ok(Session {
            lesson,
            main: setup.clone(),
            scenario: setup,
            kernel: kernel_version(lesson.kernel),
            main_events: Vec::new(),
            main_names: Vec::new(),
            main_violations: Vec::new(),
            processes: BTreeMap::new(),
            lanes: BTreeMap::new(),
            results: BTreeMap::new(),
            mirror: vec![0; sc.pages()],
            queued: Vec::new(),
            schedules: None,
        })
    }

    fn config(&self, policy: Policy) -> RunConfig {
        RunConfig {
            kernel: self.kernel,
            policy,
            limits: Limits {
                max_steps: self.lesson.limits.steps,
                max_threads: crate::limits::MAX_THREADS + 1,
            },
        }
    }

    fn mm_of(&self, proc: &Option<String>) -> MmId {
        proc.as_ref()
            .and_then(|p| self.processes.get(p).copied())
            .unwrap_or(0)
    }

    fn apply_beat(&mut self, beat: &Beat) -> Result<(), RunError> {
        // Schedule properties the beat asks about: the search records witnesses for exactly these.
        let properties: Vec<model::Property> = beat
            .assertions
            .iter()
            .filter_map(|a| match &a.check {
                Check::ExistsSchedule(p) | Check::AllSchedules(p) => Some(p.clone()),
                _ => None,
            })
            .collect();
        for a in &beat.actions {
            let err = |message: String| RunError {
                span: a.span.clone(),
                message,
            };
            if let Some(thread) = &a.thread {
                let mm = match &a.op {
                    Op::Dmirror { proc, .. }
                    | Op::CpuRead { proc, .. }
                    | Op::CpuWrite { proc, .. } => self.mm_of(proc),
                    _ => 0,
                };
                let ops = self.sim_ops(&a.op).map_err(err)?;
                let slot = match self.queued.iter().position(|q| &q.name == thread) {
                    Some(i) => i,
                    None => {
                        self.queued.push(Queued {
                            name: thread.clone(),
                            mm,
                            ops: vec![],
                            actions: vec![],
                        });
                        self.queued.len() - 1
                    }
                };
                let q = &mut self.queued[slot];
                if q.mm != mm {
                    return Err(err(format!(
                        "thread {thread} already runs in another process"
                    )));
                }
                let range = q.ops.len()..q.ops.len() + ops.len();
                q.ops.extend(ops);
                q.actions.push((a.bind.clone(), a.op.clone(), range));
                continue;
            }
            match &a.op {
                Op::Lane {
                    lane,
                    pages,
                    until,
                    resume,
                    driver,
                } => {
                    let (outcome, ret) = self
                        .run_lane(*lane, *pages, until, *resume, driver)
                        .map_err(err)?;
                    if let Some(name) = &a.bind {
                        self.results
                            .insert(name.clone(), ResultObs::Run { outcome, ret });
                    }
                }
                Op::Mirror { pages, value } => {
                    for p in pages.iter() {
                        self.mirror[p] = token(*value, p) as u64;
                    }
                }
                Op::Run { schedule } => {
                    let outcome = self.run_threads(schedule, &properties).map_err(err)?;
                    if let Some(name) = &a.bind {
                        self.results
                            .insert(name.clone(), ResultObs::Run { outcome, ret: None });
                    }
                }
                op => {
                    let mm = match op {
                        Op::Dmirror { proc, .. }
                        | Op::CpuRead { proc, .. }
                        | Op::CpuWrite { proc, .. } => self.mm_of(proc),
                        _ => 0,
                    };
                    let ops = self.sim_ops(op).map_err(err)?;
                    let thread = ThreadSpec {
                        name: "main".into(),
                        mm,
                        ops,
                    };
                    let report = sim::run(&self.main, &[thread], &self.config(Policy::RunToBlock));
                    if let Err(e) = &report.result {
                        return Err(err(format!("the simulator stopped: {e}")));
                    }
                    let outcomes = report.outcomes.first().cloned().unwrap_or_default();
                    self.absorb(report);
                    self.record(a.bind.as_deref(), op, &outcomes);
                }
            }
        }
        Ok(())
    }

    /// The simulator ops one action stands for (CPU accesses are one op per page).
    fn sim_ops(&self, op: &Op) -> Result<Vec<sim::Op>, String> {
        Ok(match op {
            Op::Dmirror {
                cmd, dev, pages, ..
            } => {
                let cmd = *cmd;
                let data = if cmd == DmirrorCmd::Write {
                    pages.iter().map(|p| self.mirror[p] as u32).collect()
                } else {
                    Vec::new()
                };
                vec![sim::Op::Dmirror {
                    dev: *dev as u8,
                    cmd,
                    start: vpn(pages.start),
                    npages: pages.len() as u32,
                    data,
                }]
            }
            Op::CpuRead { pages, .. } => pages
                .iter()
                .map(|p| sim::Op::CpuRead { vpn: vpn(p) })
                .collect(),
            Op::CpuWrite { pages, value, .. } => pages
                .iter()
                .map(|p| sim::Op::CpuWrite {
                    vpn: vpn(p),
                    value: token(*value, p),
                })
                .collect(),
            Op::Mprotect { pages, prot } => {
                let (read, write) = match prot {
                    Prot::ReadWrite => (true, true),
                    Prot::Read => (true, false),
                    Prot::None => (false, false),
                };
                vec![sim::Op::Mprotect {
                    start: vpn(pages.start),
                    npages: pages.len() as u32,
                    read,
                    write,
                }]
            }
            Op::Munmap { pages } => vec![sim::Op::Munmap {
                start: vpn(pages.start),
                npages: pages.len() as u32,
            }],
            Op::Fork => vec![sim::Op::Fork],
            Op::Lane { .. } | Op::Mirror { .. } | Op::Run { .. } => {
                return Err("this action cannot be queued on a thread".into())
            }
        })
    }

    /// Make a finished main-world run the current main world.
    fn absorb(&mut self, report: Report) {
        self.main_names = report.thread_names.clone();
        let names = report.thread_names.clone();
        self.main_events.extend(report.events.iter().map(|e| {
            (
                *e,
                names.get(e.thread as usize).cloned().unwrap_or_default(),
            )
        }));
        self.main_violations
            .extend(report.violations.iter().cloned());
        self.main = Setup {
            world: report.world,
            devices: self.main.devices,
            errors: Vec::new(),
        };
    }

    /// Bind the outcome of an action's ops, and update the mirror buffer as user space would.
    fn record(&mut self, bind: Option<&str>, op: &Op, outcomes: &[SimOutcome]) {
        let result = match op {
            Op::Dmirror { cmd, pages, .. } => {
                let Some(SimOutcome::Cmd(c)) = outcomes.last() else {
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
            Op::CpuRead { pages, .. } => ResultObs::CpuRead {
                data: pages
                    .iter()
                    .zip(outcomes)
                    .map(|(p, o)| {
                        (
                            p,
                            if let SimOutcome::Cpu(Ok(v)) = o {
                                Some(*v as u64)
                            } else {
                                None
                            },
                        )
                    })
                    .collect(),
            },
            Op::Fork => {
                if let (Some(name), Some(SimOutcome::Forked { child })) = (bind, outcomes.last()) {
                    self.processes.insert(name.to_string(), *child);
                }
                return;
            }
            _ => return,
        };
        if let Some(name) = bind {
            self.results.insert(name.to_string(), result);
        }
    }

    fn run_lane(
        &mut self,
        lane: Lane,
        pages: Pages,
        until: &Until,
        resume: bool,
        over: &model::DriverOverride,
    ) -> Result<(Outcome, Option<i64>), String> {
        if resume {
            // Runs are deterministic: resuming is looking further into the same full run.
            let prev = self.lanes.get_mut(lane.name()).ok_or("nothing to resume")?;
            let Some(before) = prev.at else {
                return Err(format!("lane {} already ran to its end", lane.name()));
            };
            let at = pause_point(&prev.report, until, lane)?;
            if at.is_some_and(|a| a < before) {
                return Err(format!("lane {} is already past that point", lane.name()));
            }
            prev.at = at;
            return Ok(lane_result(prev));
        }
        let driver = self.lesson.scenario.driver.with(over);
        check_driver(&driver)?;
        let mut setup = self.scenario.clone();
        setup.driver(driver_opts(&driver));
        let strategy = match lane {
            Lane::LegacyA => Strategy::LegacyA,
            Lane::LegacyB => Strategy::LegacyB,
            Lane::Unified => Strategy::Unified,
        };
        let thread = ThreadSpec {
            name: lane.name().into(),
            mm: 0,
            ops: vec![sim::Op::Lane {
                strategy,
                dev: driver.owner as u8,
                start: vpn(pages.start),
                npages: pages.len() as u32,
            }],
        };
        let report = sim::run(
            &setup,
            std::slice::from_ref(&thread),
            &self.config(Policy::RunToBlock),
        );
        if let Err(
            e @ (SimError::ImpossibleChoice { .. }
            | SimError::TooManyThreads { .. }
            | SimError::BadSetup { .. }),
        ) = &report.result
        {
            return Err(format!("the simulator refused the run: {e}"));
        }
        let at = pause_point(&report, until, lane)?;
        let world = LaneWorld { report, at, setup };
        let result = lane_result(&world);
        self.lanes.insert(lane.name(), world);
        Ok(result)
    }

    fn run_threads(
        &mut self,
        schedule: &Schedule,
        properties: &[model::Property],
    ) -> Result<Outcome, String> {
        let queued = std::mem::take(&mut self.queued);
        let specs: Vec<ThreadSpec> = queued
            .iter()
            .map(|q| ThreadSpec {
                name: q.name.clone(),
                mm: q.mm,
                ops: q.ops.clone(),
            })
            .collect();
        let policy = match schedule {
            Schedule::RoundRobin => Policy::RoundRobin,
            Schedule::Random { seed } => Policy::Random { seed: *seed },
            Schedule::Replay { choices } => {
                let mut tids = Vec::new();
                for c in choices {
                    // Thread ids follow spawn order, which is the order threads were first queued.
                    let t = queued
                        .iter()
                        .position(|q| &q.name == c)
                        .ok_or(format!("no thread {c} in this run"))?;
                    tids.push(t as u8);
                }
                Policy::Replay { choices: tids }
            }
        };
        self.schedules = if properties.is_empty() {
            None
        } else {
            Some(self.search(&specs, properties))
        };
        let report = sim::run(&self.main, &specs, &self.config(policy));
        if let Err(
            e @ (SimError::ImpossibleChoice { .. }
            | SimError::TooManyThreads { .. }
            | SimError::BadSetup { .. }),
        ) = &report.result
        {
            return Err(format!("the simulator refused the run: {e}"));
        }
        let outcome = classify(&report);
        let outcomes = report.outcomes.clone();
        self.absorb(report);
        for (t, q) in queued.iter().enumerate() {
            let done = outcomes.get(t).map_or(&[][..], Vec::as_slice);
            for (bind, op, range) in &q.actions {
                // An action whose ops did not all complete (the run stopped) has no result to bind.
                if let Some(slice) = done.get(range.clone()) {
                    self.record(bind.as_deref(), op, slice);
                }
            }
        }
        Ok(outcome)
    }

    /// Bounded schedule search from the current main world: round robin first (it interleaves at every
    /// preemption point), then hmm-sim's depth-first explorer, `limits.schedules` runs in all.
    fn search(&self, specs: &[ThreadSpec], properties: &[model::Property]) -> ScheduleSearch {
        let mut witnesses: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        let mut visit = |report: &Report| {
            let outcome = classify(report);
            let events = events_of(report);
            for p in properties {
                let has = match p {
                    model::Property::Outcome(o) => *o == outcome,
                    model::Property::Event(e) => events.iter().any(|x| eval::event_matches(e, x)),
                };
                if has {
                    let key = p.key();
                    *counts.entry(key.clone()).or_default() += 1;
                    witnesses.entry(key).or_insert_with(|| witness(report));
                }
            }
            // Never stop early: `all schedules` needs the count over every run.
            false
        };
        let budget = self.lesson.limits.schedules as usize;
        visit(&sim::run(
            &self.main,
            specs,
            &self.config(Policy::RoundRobin),
        ));
        let dfs = sim::explore(
            &self.main,
            specs,
            &self.config(Policy::RunToBlock),
            budget.saturating_sub(1),
            visit,
        );
        ScheduleSearch {
            witnesses,
            counts,
            tried: dfs.runs as u64 + 1,
            exhaustive: dfs.exhaustive,
        }
    }

    fn observe(&self) -> Observation {
        let pages = self.lesson.scenario.pages();
        let main = WorldObs {
            pages: observe_pages(&self.main.world, pages, &self.main_names),
            counters: counters(&Counters::of(
                &self.main_events.iter().map(|(e, _)| *e).collect::<Vec<_>>(),
            )),
            locks_held: locks_held(&self.main.world),
            events: self
                .main_events
                .iter()
                .map(|(e, t)| event_obs(e, t))
                .collect(),
            violations: self.main_violations.clone(),
        };
        let lanes = self
            .lanes
            .iter()
            .map(|(name, l)| (name.to_string(), observe_lane(l, pages)))
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

/// The lesson's driver settings as hmm-sim's driver options (`Setup::driver`).
fn driver_opts(d: &Driver) -> hmm_sim::DriverOpts {
    hmm_sim::DriverOpts {
        write: d.write,
        select_device_private: d.select.device_private,
        hold_lock_across_setup: d.lock_across_setup,
        filter_own_migrate: d.owner_filter,
        migrate_to_ram_lock: d.fault_lock,
    }
}

/// Refuse driver settings hmm-sim's strategies do not model, rather than silently ignoring them.
fn check_driver(d: &Driver) -> Result<(), String> {
    if !d.select.system {
        return Err("hmm-sim's lane strategies always select MIGRATE_VMA_SELECT_SYSTEM".into());
    }
    Ok(())
}

fn milestone_name(m: Milestone) -> &'static str {
    match m {
        Milestone::FaultedIn => "faulted_in",
        Milestone::Collected => "collected",
        Milestone::Unmapped => "unmapped",
        Milestone::Copied => "copied",
        Milestone::PagesMigrated => "pages_migrated",
        Milestone::Finalized => "finalized",
        Milestone::AllOnDevice => "all_on_device",
    }
}

/// How a run ended. A step-bound stop counts as a livelock when the last quarter of the trace is still
/// redoing work (re-faults or `folio_migrate_mapping` -EAGAIN): threads run but make no progress.
/// A schedule as thread names, shortened for reports: the first choices, then how many more.
fn witness(r: &Report) -> Vec<String> {
    const SHOWN: usize = 24;
    let name = |t: &u8| r.thread_names.get(*t as usize).cloned().unwrap_or_default();
    let mut w: Vec<String> = r.choices.iter().take(SHOWN).map(name).collect();
    if r.choices.len() > SHOWN {
        w.push(format!("… ({} choices in all)", r.choices.len()));
    }
    if w.is_empty() {
        w.push("(no choice: one thread could run at a time)".into());
    }
    w
}

fn classify(r: &Report) -> Outcome {
    match &r.result {
        Ok(()) => Outcome::Completed,
        Err(SimError::Deadlock { .. }) => Outcome::Deadlock,
        Err(SimError::StepLimit { .. }) => {
            let tail = &r.events[r.events.len() - r.events.len() / 4..];
            let spinning = tail.iter().any(|e| {
                e.kind == Kind::Retry
                    && matches!(
                        RetryReason::from_u32(e.a),
                        Some(RetryReason::Refault | RetryReason::MigrateEagain)
                    )
            });
            if spinning {
                Outcome::Livelock
            } else {
                Outcome::StepLimit
            }
        }
        Err(_) => Outcome::StepLimit,
    }
}

fn counters(c: &Counters) -> BTreeMap<String, u64> {
    let known: Vec<&str> = Counter::ALL.iter().map(|c| c.name()).collect();
    c.fields()
        .into_iter()
        .filter(|(n, _)| known.contains(n))
        .map(|(n, v)| (n.to_string(), v))
        .collect()
}

/// `names`: thread names of the run that produced `w` (lock holders are thread ids).
fn observe_pages(w: &World, pages: usize, names: &[String]) -> Vec<PageObs> {
    let Some(mm) = w.mms.first() else {
        return Vec::new();
    };
    (0..pages)
        .map(|p| {
            let v = vpn(p);
            let pte = mm.pte(v);
            let folio = pte.pfn().filter(|&pfn| pfn != 0).map(|pfn| w.folio(pfn));
            let loc = w.locate(0, v);
            let location = match loc {
                PageLocation::Unpopulated => Location::Nowhere,
                PageLocation::ZeroPage | PageLocation::System { .. } => Location::Sys,
                PageLocation::Swap { .. } => Location::Swap,
                PageLocation::Device { dev, .. } => Location::Dev(dev as usize),
            };
            PageObs {
                pte: pte.kind().name().to_string(),
                location: Some(location),
                refcount: folio.map(|f| f.refcount as i64),
                mapcount: folio.map(|f| f.mapcount as i64),
                locked: folio.is_some_and(|f| f.locked.is_some()),
                holder: folio
                    .and_then(|f| f.locked)
                    .map(|t| names.get(t as usize).cloned().unwrap_or(format!("T{t}"))),
                content: mm.vma(v).map(|_| loc.content() as u64),
            }
        })
        .collect()
}

fn observe_lane(l: &LaneWorld, pages: usize) -> WorldObs {
    let Some(at) = l.at else {
        return WorldObs {
            pages: observe_pages(&l.report.world, pages, &l.report.thread_names),
            counters: counters(&l.report.counters()),
            locks_held: locks_held(&l.report.world),
            events: events_of(&l.report),
            violations: l.report.violations.clone(),
        };
    };
    // Paused: replay the recorded trace to the pause point (hmm_sim::view), never re-deriving semantics.
    let events = &l.report.events[..at];
    let timeline = Timeline::new(ViewState::from_world(&l.setup.world), events.to_vec());
    let view = timeline.state_at(at);
    let Some(mm) = l.setup.world.mms.first() else {
        return WorldObs::default();
    };
    let names = &l.report.thread_names;
    let page_obs = (0..pages)
        .map(|p| {
            let v = vpn(p);
            let pte = view.ptes.get(&(0, v)).copied().unwrap_or(Pte::None);
            let frame = pte
                .pfn()
                .filter(|&pfn| pfn != ZERO_PFN)
                .and_then(|pfn| view.frames.get(&pfn));
            let (location, content) = match pte {
                Pte::None => (Location::Nowhere, 0),
                Pte::Zero => (Location::Sys, 0),
                Pte::Swap { slot } => (Location::Swap, view.swap.get(&slot).copied().unwrap_or(0)),
                _ => match frame {
                    Some(f) => match f.zone {
                        Zone::DevicePrivate(d) => (Location::Dev(d as usize), f.content),
                        _ => (Location::Sys, f.content),
                    },
                    None => (Location::Sys, 0),
                },
            };
            PageObs {
                pte: pte.kind().name().to_string(),
                location: Some(location),
                refcount: frame.map(|f| f.refcount as i64),
                mapcount: frame.map(|f| f.mapcount as i64),
                locked: frame.is_some_and(|f| f.locked_by.is_some()),
                holder: frame
                    .and_then(|f| f.locked_by)
                    .map(|t| names.get(t as usize).cloned().unwrap_or(format!("T{t}"))),
                content: mm.vma(v).map(|_| content as u64),
            }
        })
        .collect();
    WorldObs {
        pages: page_obs,
        counters: counters(&view.counters),
        locks_held: view.locks.values().map(|h| h.len() as u64).sum(),
        events: events
            .iter()
            .map(|e| event_obs(e, names.get(e.thread as usize).map_or("", String::as_str)))
            .collect(),
        // Invariants are checked over the whole run; a pause does not hide a later breach.
        violations: l.report.violations.clone(),
    }
}

fn locks_held(w: &World) -> u64 {
    let ptls = w
        .mms
        .iter()
        .flat_map(|m| m.pmds.iter().flatten())
        .filter(|t| t.ptl.is_some())
        .count();
    let mmap = w
        .mms
        .iter()
        .map(|m| m.mmap_lock.readers.len() + usize::from(m.mmap_lock.writer.is_some()))
        .sum::<usize>();
    let folios = w.frames.iter().filter(|f| f.locked.is_some()).count();
    let mutexes = w.mirrors.iter().filter(|m| m.mutex.is_some()).count();
    let driver = w
        .devices
        .iter()
        .filter(|d| d.migrate_lock.is_some())
        .count();
    (ptls + mmap + folios + mutexes + driver) as u64
}

fn events_of(r: &Report) -> Vec<EventObs> {
    r.events
        .iter()
        .map(|e| {
            event_obs(
                e,
                r.thread_names
                    .get(e.thread as usize)
                    .map_or("", String::as_str),
            )
        })
        .collect()
}

fn event_obs(e: &Event, thread: &str) -> EventObs {
    let page = match e.kind {
        Kind::Call | Kind::PteRead | Kind::PteWrite | Kind::Fault | Kind::Descend => {
            let (_, v) = unpack_page(e.a);
            v.checked_sub(RANGE_BASE_VPN).map(|p| p as usize)
        }
        _ => None,
    };
    EventObs {
        kind: snake(&format!("{:?}", e.kind)),
        page,
        thread: Some(thread.to_string()),
        func: e.func.name().to_string(),
    }
}

/// `PteWrite` → `pte_write`.
fn snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_kind_names_match_the_simulator() {
        for k in [
            Kind::Call,
            Kind::PteWrite,
            Kind::NotifierStart,
            Kind::HmmPfn,
            Kind::TlbFlush,
            Kind::Thread,
        ] {
            let name = snake(&format!("{k:?}"));
            assert!(EVENT_KINDS.contains(&name.as_str()), "{name}");
        }
        for m in Milestone::ALL {
            assert!(MILESTONES.contains(&milestone_name(m)));
        }
        assert_eq!(MILESTONES.len(), Milestone::ALL.len());
        assert!(is_func("do_swap_page"));
        assert!(!is_func("do_swap_pages"));
    }
}
