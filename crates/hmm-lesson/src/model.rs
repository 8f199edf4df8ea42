//! The validated lesson: plain data with public fields, produced by [`crate::parse`] and consumed by the
//! runner, the checker, the CLI and the web app.
//!
//! Nothing here refers to TOML, Markdown or hmm-sim: a `Lesson` is what the file *means*. Every element that
//! can fail at run time keeps its byte [`Span`] so a failing assertion is reported at its own line.

use serde::Serialize;
use std::ops::Range;

/// Byte range into the lesson file.
pub type Span = Range<usize>;

/// Kernel versions whose behaviour differs in what lessons show (kernel-model.md §2.6, §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Kernel {
    /// ≤ 6.14: `do_swap_page` takes a page reference without the folio lock (the livelock).
    V6_14,
    /// 6.15: `trylock_page` in `do_swap_page` (1afaeb8293c9); losers re-fault.
    V6_15,
    /// 6.18 with b570f37a2ce4: losers sleep on the folio lock.
    V6_18,
}

impl Kernel {
    pub const NAMES: [&'static str; 3] = ["6.14", "6.15", "6.18"];
    pub fn from_name(name: &str) -> Option<Kernel> {
        match name {
            "6.14" => Some(Kernel::V6_14),
            "6.15" => Some(Kernel::V6_15),
            "6.18" => Some(Kernel::V6_18),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum LessonKind {
    /// A teaching lesson: prose, predictions and assertions.
    Lesson,
    /// A kernel selftest replayed as a scenario: its assertions are the kernel's outcomes.
    Selftest,
}

/// Half-open range of page indices within the scenario's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Pages {
    pub start: usize,
    pub end: usize,
}

impl Pages {
    pub fn len(self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
    pub fn iter(self) -> Range<usize> {
        self.start..self.end
    }
}

/// A page-content pattern: each simulated page carries one u64 token, and the selftests' `ptr[i] = i`
/// becomes "page p holds p". `-i` is the wrapping negation (the tests' `-i` as an unsigned token).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Pattern {
    /// `i + offset` (offset may be 0 or negative, wrapping).
    Index { offset: i64 },
    /// `-i + offset`.
    NegIndex { offset: i64 },
    /// The same value on every page.
    Const(u64),
}

impl Pattern {
    pub fn value(self, page: usize) -> u64 {
        let page = page as u64;
        match self {
            Pattern::Index { offset } => page.wrapping_add(offset as u64),
            Pattern::NegIndex { offset } => page.wrapping_neg().wrapping_add(offset as u64),
            Pattern::Const(v) => v,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum VmaKind {
    /// `MAP_PRIVATE | MAP_ANONYMOUS`.
    AnonPrivate,
    /// `MAP_SHARED | MAP_ANONYMOUS` (shmem-backed: not anonymous for migrate_vma).
    AnonShared,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Prot {
    ReadWrite,
    Read,
    None,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Vma {
    pub pages: Pages,
    pub kind: VmaKind,
    pub prot: Prot,
}

/// `MIGRATE_VMA_SELECT_*` flags a lane's driver passes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Select {
    pub system: bool,
    pub device_private: bool,
}

/// How the simulated driver behaves when it runs a lane (kernel-model.md §1.4–1.6, §5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Driver {
    pub select: Select,
    /// Index of the device whose `pgmap_owner` the driver passes.
    pub owner: usize,
    /// `HMM_PFN_REQ_WRITE` on the lane's `hmm_range_fault` walks.
    pub write: bool,
    /// The notifier callback skips `MMU_NOTIFY_MIGRATE` events whose owner is the driver itself.
    pub owner_filter: bool,
    /// The driver holds its own lock across `migrate_vma_setup` (the deadlock of kernel-model.md §5a).
    pub lock_across_setup: bool,
    /// `migrate_to_ram` serialises on a driver lock, as Xe's did (needed for the livelock of §4).
    pub fault_lock: bool,
}

/// Per-run changes to the scenario's [`Driver`] (`lane legacy_b owner_filter=false`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DriverOverride {
    pub select: Option<Select>,
    pub owner: Option<usize>,
    pub write: Option<bool>,
    pub owner_filter: Option<bool>,
    pub lock_across_setup: Option<bool>,
    pub fault_lock: Option<bool>,
}

impl Driver {
    pub fn with(&self, o: &DriverOverride) -> Driver {
        Driver {
            select: o.select.unwrap_or(self.select),
            owner: o.owner.unwrap_or(self.owner),
            write: o.write.unwrap_or(self.write),
            owner_filter: o.owner_filter.unwrap_or(self.owner_filter),
            lock_across_setup: o.lock_across_setup.unwrap_or(self.lock_across_setup),
            fault_lock: o.fault_lock.unwrap_or(self.fault_lock),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Scheduler steps per run before it stops with `step_limit`.
    pub steps: u64,
    /// Schedules tried by `exists schedule` / `all schedules`.
    pub schedules: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Scenario {
    /// One letter per page (hmm_sim::scenario), the initial state.
    pub states: String,
    /// Initial content of every page that has content (P, C, S, D, O).
    pub content: Pattern,
    /// dmirror devices opened by the test process (device 0, 1, …; all device-private, distinct owners).
    pub devices: usize,
    pub vmas: Vec<Vma>,
    pub driver: Driver,
    /// Names of the extra threads that `tN:` lines may use.
    pub threads: Vec<String>,
}

impl Scenario {
    pub fn pages(&self) -> usize {
        self.states.chars().count()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lesson {
    pub path: String,
    pub id: String,
    pub schema: u32,
    pub title: String,
    pub kernel: Kernel,
    pub kind: LessonKind,
    pub source: Option<String>,
    pub scaled: Option<String>,
    pub limits: Limits,
    pub scenario: Scenario,
    pub beats: Vec<Beat>,
}

impl Lesson {
    pub fn assertion_count(&self) -> usize {
        self.beats.iter().map(|b| b.assertions.len()).sum()
    }
    pub fn prediction_count(&self) -> usize {
        self.beats.iter().map(|b| b.predictions.len()).sum()
    }
}

/// One `##` section: prose, then actions, predictions and assertions in file order. Actions run first,
/// then the assertions are checked against the state they leave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Beat {
    pub title: String,
    pub span: Span,
    pub prose: String,
    pub actions: Vec<Action>,
    pub predictions: Vec<Prediction>,
    pub assertions: Vec<Assertion>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Lane {
    LegacyA,
    LegacyB,
    Unified,
}

impl Lane {
    pub const ALL: [Lane; 3] = [Lane::LegacyA, Lane::LegacyB, Lane::Unified];
    pub fn name(self) -> &'static str {
        match self {
            Lane::LegacyA => "legacy_a",
            Lane::LegacyB => "legacy_b",
            Lane::Unified => "unified",
        }
    }
    /// Long names and the short A/B/U of the seeds' table.
    pub fn from_name(name: &str) -> Option<Lane> {
        match name {
            "legacy_a" | "A" => Some(Lane::LegacyA),
            "legacy_b" | "B" => Some(Lane::LegacyB),
            "unified" | "U" => Some(Lane::Unified),
            _ => None,
        }
    }
}

/// Where a lane run stops.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Until {
    Done,
    Step(u64),
    Milestone(String),
}

/// dmirror ioctls (lib/test_hmm_uapi.h), plus the RFC's `MIGRATE_ON_FAULT_TO_DEV`: the simulator's own type.
pub use hmm_sim::DmirrorCmd;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Op {
    /// Run one lane strategy over `pages` in that lane's own world: a fresh copy of the scenario, or with
    /// `resume` the lane's stopped run continued. The lane's counters are those of its latest run.
    Lane {
        lane: Lane,
        pages: Pages,
        until: Until,
        resume: bool,
        driver: DriverOverride,
    },
    /// A dmirror ioctl on device `dev`, issued by process `proc` (None: the test process).
    Dmirror {
        cmd: DmirrorCmd,
        dev: usize,
        pages: Pages,
        proc: Option<String>,
    },
    CpuRead {
        pages: Pages,
        proc: Option<String>,
    },
    CpuWrite {
        pages: Pages,
        value: Pattern,
        proc: Option<String>,
    },
    /// Set the test's user-space mirror buffer (what `WRITE` sends and `READ` overwrites). Not a kernel op.
    Mirror {
        pages: Pages,
        value: Pattern,
    },
    Mprotect {
        pages: Pages,
        prot: Prot,
    },
    Munmap {
        pages: Pages,
    },
    /// fork(); the child is named by the binding (`child = fork`).
    Fork,
    /// Run every queued `tN:` op under a scheduler.
    Run {
        schedule: Schedule,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Schedule {
    RoundRobin,
    Random {
        seed: u64,
    },
    /// A recorded list of thread names, one per scheduling choice.
    Replay {
        choices: Vec<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Action {
    pub span: Span,
    /// `tN:` prefix: queue on that thread instead of running now on the main thread.
    pub thread: Option<String>,
    /// `name = …`: the result (or the forked process) is referred to by this name.
    pub bind: Option<String>,
    pub op: Op,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Prediction {
    pub span: Span,
    pub question: String,
    pub choices: Vec<String>,
    pub answer: String,
    /// One hint per wrong choice, in `choices` order (the answer's slot is empty).
    pub hints: Vec<(String, String)>,
    /// An assertion that must hold for `answer` to be right: keeps the answer honest against the simulator.
    pub verify: Option<Assertion>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Assertion {
    pub span: Span,
    /// The source text, for reports.
    pub text: String,
    /// `expect_fail:`: the lesson demonstrates a bug; the claim must NOT hold.
    pub expect_fail: bool,
    pub check: Check,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Eq => "==",
            Cmp::Ne => "!=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }
    /// For values with no order (kinds, locations, outcomes): only `==` and `!=` can hold; the validator
    /// refuses the ordering comparisons for them.
    pub fn holds_eq<T: PartialEq>(self, left: &T, right: &T) -> bool {
        match self {
            Cmp::Eq => left == right,
            Cmp::Ne => left != right,
            Cmp::Lt | Cmp::Le | Cmp::Gt | Cmp::Ge => false,
        }
    }
    pub fn holds<T: PartialOrd>(self, left: &T, right: &T) -> bool {
        match self {
            Cmp::Eq => left == right,
            Cmp::Ne => left != right,
            Cmp::Lt => left < right,
            Cmp::Le => left <= right,
            Cmp::Gt => left > right,
            Cmp::Ge => left >= right,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Check {
    /// `probe op value`.
    Compare {
        probe: Probe,
        cmp: Cmp,
        value: Value,
    },
    /// `always invariants`: the simulator's invariant checker never fired in any world so far.
    AlwaysInvariants,
    /// `lanes_agree`: the three lanes' final states are equal.
    LanesAgree,
    /// `exists schedule P`: among the bounded schedules of the beat's `run`, one has property P.
    ExistsSchedule(Property),
    /// `all schedules P`: every schedule has P, and the search was exhaustive within the bound.
    AllSchedules(Property),
    Eventually(EventPattern),
    Never(EventPattern),
    Before(EventPattern, EventPattern),
}

/// Which world a probe reads: the main world (dmirror/CPU ops) or a lane's own world.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum World {
    Main,
    Lane(Lane),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Probe {
    /// A field of a bound result: `r.ret`, `r.cpages`, `r.faults`, `r.data[p..q]`, `r.snapshot[p..q]`, `r.outcome`.
    Result {
        name: String,
        field: ResultField,
        pages: Option<Pages>,
    },
    /// Per-page state of a world: `pte[..]`, `where[..]`, `refcount[..]`, `mapcount[..]`, `locked[..]`, `mem[..]`.
    Page {
        world: World,
        field: PageField,
        pages: Pages,
    },
    /// The test's mirror buffer.
    Mirror { pages: Pages },
    /// A counter of a world: `A.walks`, `counters.faults`.
    Counter { world: World, counter: Counter },
    /// Locks still held in a world (should be 0 when every thread is done).
    LocksHeld { world: World },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ResultField {
    Ret,
    Cpages,
    Faults,
    Data,
    Snapshot,
    Outcome,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PageField {
    Pte,
    Where,
    Refcount,
    Mapcount,
    Locked,
    /// The thread holding the folio lock (`PG_locked`) of the page's folio, or `none`.
    Holder,
    Mem,
}

/// The per-lane counters of kernel-model.md §3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Counter {
    Walks,
    WalkCalls,
    PteVisits,
    Faults,
    /// Of `faults`, those `hmm_vma_fault` made ahead of need.
    FaultsAhead,
    PtlAcquisitions,
    TlbFlushes,
    Invalidations,
    Retries,
    Steps,
}

impl Counter {
    pub const ALL: [Counter; 10] = [
        Counter::Walks,
        Counter::WalkCalls,
        Counter::PteVisits,
        Counter::Faults,
        Counter::FaultsAhead,
        Counter::PtlAcquisitions,
        Counter::TlbFlushes,
        Counter::Invalidations,
        Counter::Retries,
        Counter::Steps,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Counter::Walks => "walks",
            Counter::WalkCalls => "walk_calls",
            Counter::PteVisits => "pte_visits",
            Counter::Faults => "faults",
            Counter::FaultsAhead => "faults_ahead",
            Counter::PtlAcquisitions => "ptl_acquisitions",
            Counter::TlbFlushes => "tlb_flushes",
            Counter::Invalidations => "invalidations",
            Counter::Retries => "retries",
            Counter::Steps => "steps",
        }
    }
    pub fn from_name(name: &str) -> Option<Counter> {
        Counter::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// How a run of threads ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Outcome {
    Completed,
    /// No thread runnable while some are blocked.
    Deadlock,
    /// The step bound was hit while threads kept running without progress (re-faulting, retrying).
    Livelock,
    /// The step bound was hit.
    StepLimit,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Completed,
        Outcome::Deadlock,
        Outcome::Livelock,
        Outcome::StepLimit,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Deadlock => "deadlock",
            Outcome::Livelock => "livelock",
            Outcome::StepLimit => "step_limit",
        }
    }
    pub fn from_name(name: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.name() == name)
    }
}

/// Where a page's content lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Location {
    /// System RAM (including the zero page).
    Sys,
    /// Device memory of device N.
    Dev(usize),
    Swap,
    /// No content: pte_none or an unmapped address.
    Nowhere,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Value {
    Int(i64),
    /// A content pattern (`i`, `-i`, `i+1`); plain integers compare as `Const` against contents.
    Pattern(Pattern),
    /// A PTE kind name (hmm_sim::PteKind::name), checked by the validator.
    Kind(String),
    Location(Location),
    Outcome(Outcome),
    Bool(bool),
    /// Snapshot bytes, one per page.
    Bytes(Vec<u8>),
    /// `none`: e.g. `r.data == none` (a failed ioctl copies nothing back).
    Nothing,
    /// A thread name (lock holders): `holder[0] == legacy_b`; `none` is `Nothing`.
    Thread(String),
}

/// What a schedule search looks for in each schedule it tries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Property {
    /// The run ends so.
    Outcome(Outcome),
    /// The run's trace has a matching event.
    Event(EventPattern),
}

impl Property {
    /// The key under which a schedule search reports witnesses of this property.
    pub fn key(&self) -> String {
        match self {
            Property::Outcome(o) => o.name().to_string(),
            Property::Event(e) => e.describe(),
        }
    }
}

/// An event in a world's trace: kind name plus optional filters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventPattern {
    pub world: World,
    pub kind: String,
    pub page: Option<usize>,
    pub thread: Option<String>,
    /// Kernel function the event is attributed to.
    pub func: Option<String>,
}

impl EventPattern {
    /// `U.retry(page=3, func=do_swap_page)`: the pattern as written.
    pub fn describe(&self) -> String {
        let mut s = match self.world {
            World::Main => self.kind.clone(),
            World::Lane(l) => format!("{}.{}", l.name(), self.kind),
        };
        let mut filters = Vec::new();
        if let Some(pg) = self.page {
            filters.push(format!("page={pg}"));
        }
        if let Some(t) = &self.thread {
            filters.push(format!("thread={t}"));
        }
        if let Some(f) = &self.func {
            filters.push(format!("func={f}"));
        }
        if !filters.is_empty() {
            s.push_str(&format!("({})", filters.join(", ")));
        }
        s
    }
}
