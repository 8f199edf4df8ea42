//! What a run lets assertions see: plain data the runner fills from the simulator, and [`crate::eval`] reads.
//!
//! Keeping this separate from hmm-sim types means assertions are evaluated (and unit-tested) without a
//! simulator, and adapting to simulator changes touches only [`crate::runner`].

use crate::model::{Counter, Location, RunEnd, Strategy};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PageObs {
    /// `hmm_sim::PteKind::name()` of the PTE.
    pub pte: String,
    pub location: Option<Location>,
    /// Of the folio the PTE refers to (None: no folio, e.g. pte_none, zero page, swap).
    pub refcount: Option<i64>,
    pub mapcount: Option<i64>,
    pub locked: bool,
    /// Name of the thread holding that folio lock.
    pub holder: Option<String>,
    /// The page's content token, wherever it lives (None: no content, e.g. unmapped).
    pub content: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventObs {
    /// snake_case of `hmm_sim::Kind`.
    pub kind: String,
    pub page: Option<usize>,
    pub thread: Option<String>,
    /// `hmm_sim::Func::name()`.
    pub func: String,
}

/// One world: the main world of dmirror/CPU ops, or a lane's own world.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WorldObs {
    pub pages: Vec<PageObs>,
    pub counters: BTreeMap<String, u64>,
    pub locks_held: u64,
    pub events: Vec<EventObs>,
    /// Messages of the simulator's invariant checker, in order.
    pub violations: Vec<String>,
}

impl WorldObs {
    pub fn counter(&self, c: Counter) -> Option<u64> {
        self.counters.get(c.name()).copied()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ResultObs {
    Dmirror {
        ret: i64,
        /// 0 on failure: dmirror copies counters back only on success.
        cpages: u64,
        faults: u64,
        /// Page index → value copied back to user space (None: nothing copied, e.g. on error).
        data: Option<BTreeMap<usize, u64>>,
        /// SNAPSHOT bytes, page index → byte.
        snapshot: Option<BTreeMap<usize, u8>>,
    },
    CpuRead {
        /// Page index → value the CPU read (None for a page whose access failed, e.g. SIGSEGV).
        data: BTreeMap<usize, Option<u64>>,
    },
    /// A `run` of threads, or a `lane` run (which also has the strategy's return code).
    Run { outcome: RunEnd, ret: Option<i64> },
}

/// Result of the bounded schedule search made for the last `run` of threads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScheduleSearch {
    /// Property key ([`crate::model::Property::key`]) → the first schedule (thread names) that had it.
    pub witnesses: BTreeMap<String, Vec<String>>,
    /// Property key → number of schedules tried that had it.
    pub counts: BTreeMap<String, u64>,
    pub tried: u64,
    /// Every schedule within the bound was tried (so `all schedules` may conclude).
    pub exhaustive: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Observation {
    pub main: WorldObs,
    pub lanes: BTreeMap<String, WorldObs>,
    pub results: BTreeMap<String, ResultObs>,
    pub mirror: Vec<u64>,
    pub schedules: Option<ScheduleSearch>,
    /// Content tokens are compared modulo this width (the simulator stores `u32` tokens).
    pub content_mask: u64,
}

impl Observation {
    pub fn lane(&self, lane: Strategy) -> Option<&WorldObs> {
        self.lanes.get(lane.name())
    }
}
