//! What an assertion (or a prediction's `verify`) means: the claim, what it probes, the value it expects.

use super::{Pages, Pattern, Span, Strategy};
use serde::Serialize;

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
pub enum WhichWorld {
    Main,
    Lane(Strategy),
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
        world: WhichWorld,
        field: PageField,
        pages: Pages,
    },
    /// The test's mirror buffer.
    Mirror { pages: Pages },
    /// A counter of a world: `A.walks`, `counters.faults`.
    Counter { world: WhichWorld, counter: Counter },
    /// Locks still held in a world (should be 0 when every thread is done).
    LocksHeld { world: WhichWorld },
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

/// A counter of kernel-model.md §3, as hmm-sim names it: a row of `hmm_sim::COUNTERS`, so a counter added to
/// the simulator is assertable without touching lessons' code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Counter {
    name: &'static str,
}

impl Counter {
    /// Every counter, in hmm-sim's display order.
    pub fn all() -> impl Iterator<Item = Counter> {
        hmm_sim::COUNTERS.iter().map(|c| Counter { name: c.name })
    }
    pub fn name(self) -> &'static str {
        self.name
    }
    pub fn from_name(name: &str) -> Option<Counter> {
        hmm_sim::CounterInfo::find(name).map(|c| Counter { name: c.name })
    }
}

/// How a run of threads ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum RunEnd {
    Completed,
    /// No thread runnable while some are blocked.
    Deadlock,
    /// The step bound was hit while threads kept running without progress (re-faulting, retrying).
    Livelock,
    /// The step bound was hit.
    StepLimit,
}

impl RunEnd {
    pub const ALL: [RunEnd; 4] = [
        RunEnd::Completed,
        RunEnd::Deadlock,
        RunEnd::Livelock,
        RunEnd::StepLimit,
    ];
    pub fn name(self) -> &'static str {
        match self {
            RunEnd::Completed => "completed",
            RunEnd::Deadlock => "deadlock",
            RunEnd::Livelock => "livelock",
            RunEnd::StepLimit => "step_limit",
        }
    }
    pub fn from_name(name: &str) -> Option<RunEnd> {
        RunEnd::ALL.into_iter().find(|o| o.name() == name)
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
    Outcome(RunEnd),
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
    Outcome(RunEnd),
    /// The run's trace has a matching event.
    Event(EventPattern),
    /// A result bound by one of the run's own queued actions holds in that schedule (`p.data == i+1`),
    /// optionally only where a guard holds: `r.cpages == 4 when r.ret == 0` (the selftests' `if (rc == 0)`).
    Result(ResultProperty),
}

/// `CLAIM [when GUARD]` over the results of one schedule. Only `all schedules` takes a guard: a schedule
/// where the guard does not hold has the property vacuously.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResultProperty {
    /// The property as written, its key in reports.
    pub text: String,
    pub claim: ResultClaim,
    pub when: Option<ResultClaim>,
}

/// A comparison whose probe is a bound result (`Probe::Result`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResultClaim {
    pub probe: Probe,
    pub cmp: Cmp,
    pub value: Value,
}

impl Property {
    /// The key under which a schedule search reports witnesses of this property.
    pub fn key(&self) -> String {
        match self {
            Property::Outcome(o) => o.name().to_string(),
            Property::Event(e) => e.describe(),
            Property::Result(r) => r.text.clone(),
        }
    }
}

/// An event in a world's trace: kind name plus optional filters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventPattern {
    pub world: WhichWorld,
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
            WhichWorld::Main => self.kind.clone(),
            WhichWorld::Lane(l) => format!("{}.{}", l.name(), self.kind),
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
