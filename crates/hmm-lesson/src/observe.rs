//! What a run lets assertions see: plain data the runner fills from the simulator, and [`crate::eval`] reads.
//!
//! Keeping this separate from hmm-sim types means assertions are evaluated (and unit-tested) without a
//! simulator, and adapting to simulator changes touches only [`crate::runner`].

use crate::model::{Counter, Location, RunEnd, Strategy};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

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

/// One event as assertions see it, built on demand from the trace (never stored): its kind's and
/// function's names are hmm-sim's static strings, its thread a name of the run it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct EventObs<'a> {
    /// snake_case of `hmm_sim::Kind`.
    pub kind: &'static str,
    pub page: Option<usize>,
    pub thread: Option<&'a str>,
    /// `hmm_sim::Func::name()`.
    pub func: &'static str,
}

/// A world's events: the runs' own packed traces (`hmm_sim::PackedTrace`, shared, never copied), read as
/// [`EventObs`] one at a time. Serialized (`hmmviz run --json --events`) only when [`EventLog::show`]n.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventLog {
    segments: Vec<Segment>,
    shown: bool,
}

/// The first `end` events of one run, and the run's thread names.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Segment {
    events: Arc<hmm_sim::PackedTrace>,
    end: usize,
    names: Arc<Vec<String>>,
}

impl EventLog {
    /// Append the first `end` events of a run with threads `names`.
    pub fn push(&mut self, events: Arc<hmm_sim::PackedTrace>, end: usize, names: Arc<Vec<String>>) {
        let end = end.min(events.len());
        if end > 0 {
            self.segments.push(Segment { events, end, names });
        }
    }

    pub fn len(&self) -> usize {
        self.segments.iter().map(|s| s.end).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = EventObs<'_>> + '_ {
        self.segments.iter().flat_map(|s| {
            s.events
                .range(0, s.end)
                .map(|e| crate::runner::event_obs(&e, &s.names))
        })
    }

    /// The runs behind this log, in order: each run's kept events (hmm-sim's own, for `hmm_sim::narrate` and
    /// `Event::decode`) and its thread names (indexed by `Event::thread`).
    pub fn runs(&self) -> impl Iterator<Item = (hmm_sim::PackedTraceIter<'_>, &[String])> + '_ {
        self.segments
            .iter()
            .map(|s| (s.events.range(0, s.end), s.names.as_slice()))
    }

    /// Include the events when serialized (they are left out otherwise: `run --json` prints them only
    /// with `--events`).
    pub fn show(&mut self) {
        self.shown = true;
    }

    pub fn hidden(&self) -> bool {
        !self.shown
    }
}

impl Serialize for EventLog {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// One world: the main world of dmirror/CPU ops, or a lane's own world.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WorldObs {
    pub pages: Vec<PageObs>,
    pub counters: BTreeMap<String, u64>,
    pub locks_held: u64,
    #[serde(skip_serializing_if = "EventLog::hidden")]
    pub events: EventLog,
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
    Run {
        outcome: RunEnd,
        ret: Option<i64>,
        /// Which limit stopped the run, and where ("step limit 200,000 reached in lane unified (T0 in
        /// hmm_range_fault)"), when one did.
        #[serde(skip_serializing_if = "Option::is_none")]
        stopped: Option<String>,
    },
    /// A system call that returns 0 or an errno (`mremap`).
    Syscall { ret: i64 },
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
    /// Property key → why the evaluator could not judge it in some schedule (an internal error).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub internal: BTreeMap<String, String>,
    /// The lesson's event budget stopped the search (the lesson then stops with an error naming it).
    #[serde(skip)]
    pub budget_hit: bool,
}

/// Every part is shared with the runner (`Arc`): an observation made after a beat copies nothing, and a
/// world the beat did not change is not rebuilt.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Observation {
    pub main: Arc<WorldObs>,
    pub lanes: BTreeMap<String, Arc<WorldObs>>,
    pub results: Arc<BTreeMap<String, ResultObs>>,
    pub mirror: Arc<Vec<u64>>,
    pub schedules: Option<ScheduleSearch>,
    /// Content tokens are compared modulo this width (the simulator stores `u32` tokens).
    pub content_mask: u64,
}

impl Observation {
    pub fn lane(&self, lane: Strategy) -> Option<&WorldObs> {
        self.lanes.get(lane.name()).map(|w| &**w)
    }

    /// The same observation, its events included when serialized (`hmmviz run --json --events`).
    pub fn with_events(&self) -> Observation {
        let mut o = self.clone();
        Arc::make_mut(&mut o.main).events.show();
        for w in o.lanes.values_mut() {
            Arc::make_mut(w).events.show();
        }
        o
    }
}
