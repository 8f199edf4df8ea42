//! The counters: one table ([`COUNTERS`]: name, short label, one-line help) generates the [`Counters`] struct,
//! its display order and its lookup by name. Each counter is a fold over events ([`Counters::observe`]), so
//! the CLI, the web app and lesson assertions count alike; docs/cli.md and docs/lessons.md name exactly these
//! (a test checks it).

use super::{Ev, Kind, LockId, RetryReason, WalkKind};
use serde::{Deserialize, Serialize};

/// One counter as every surface names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CounterInfo {
    /// The field name: what the CLI's JSON, lessons (`A.walks`) and URLs say.
    pub name: &'static str,
    /// A short label for a lane row.
    pub label: &'static str,
    /// One line for tooltips and legends.
    pub help: &'static str,
}

macro_rules! counters {
    ($( $(#[$doc:meta])* $field:ident => $label:literal, $help:literal; )*) => {
        /// The counters the compare view and the CLI report. Each is a fold over events (see
        /// [`Counters::observe`]).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        pub struct Counters {
            $( $(#[$doc])* pub $field: u64, )*
            /// A driver retry was counted and its walk has not begun yet (so `cover_letter_walks` skips it).
            #[serde(skip)]
            retry_pending: bool,
        }

        /// Every counter, in display order.
        pub const COUNTERS: &[CounterInfo] = &[
            $( CounterInfo { name: stringify!($field), label: $label, help: $help }, )*
        ];

        const COUNT: usize = [$( stringify!($field), )*].len();

        impl Counters {
            /// Names and values in display order (the CLI, the UI chart and lessons share it).
            pub fn fields(&self) -> [(&'static str, u64); COUNT] {
                [ $( (stringify!($field), self.$field), )* ]
            }
        }
    };
}

counters! {
    /// Logical walks made by the driver: one per `hmm_range_fault` call and one per `migrate_vma_setup` call,
    /// retries after `-EBUSY` or a stale `mmu_interval_read_retry` included (nested calls inside those, e.g.
    /// the unified migrate path's internal `hmm_range_fault` or another driver's `migrate_to_ram`, are not
    /// counted again).
    walks => "walks", "logical walks made by the driver: one per hmm_range_fault() and one per migrate_vma_setup() call, driver retries after -EBUSY included";
    /// Walks as the RFC cover letter counts them: one per `hmm_range_fault` call sequence (its driver retries
    /// are the same sequence) and one per `migrate_vma_setup`. Legacy A: 2; legacy B: 1, or 3 when pages must
    /// be faulted; unified: 1.
    cover_letter_walks => "RFC walks", "walks as the RFC cover letter counts them: one per hmm_range_fault() call sequence and one per migrate_vma_setup(), driver retries not counted";
    /// `walk_page_range` invocations, restarts and nested walks included.
    walk_calls => "walk calls", "walk_page_range() invocations, restarts and nested walks included";
    /// PTEs examined by a walker callback (`hmm_vma_handle_pte`, `migrate_vma_collect_pmd`).
    pte_visits => "PTE visits", "PTEs examined by a walker callback";
    /// `handle_mm_fault` calls, whatever their outcome.
    faults => "faults", "handle_mm_fault() calls";
    /// Of `faults`, those `hmm_vma_fault` made ahead of need (pages after the first needy one in the chunk).
    faults_ahead => "ahead", "faults hmm_vma_fault made ahead of need (to the end of the PMD chunk)";
    /// PTE-lock (split PTL) acquisitions, by any function.
    ptl_acquisitions => "PTL", "split PTE-lock (PTL) acquisitions";
    /// TLB flush calls (`ptep_clear_flush`, `flush_tlb_range`).
    tlb_flushes => "TLB flush", "TLB flush calls";
    /// `mmu_notifier_invalidate_range_start` calls, any event.
    invalidations => "invalidate", "mmu_notifier_invalidate_range_start() calls";
    /// Restarts of any kind (see [`super::RetryReason`]).
    retries => "retries", "restarts of any kind (-EBUSY re-walks, driver retries, -EAGAIN)";
    /// Trace events: each is one step of the animation.
    steps => "steps", "trace events: each is one step of the animation";
}

impl CounterInfo {
    /// The counter named `name`, if any.
    pub fn find(name: &str) -> Option<&'static CounterInfo> {
        COUNTERS.iter().find(|c| c.name == name)
    }
}

impl Counters {
    /// Count one event. Most kinds only add to `steps`, so only the kinds a counter reads are decoded: the
    /// simulator counts every event as it records it, and decoding all of them would cost a third of a run.
    pub fn observe(&mut self, e: &super::Event) {
        self.steps += 1;
        if Self::counts(e.kind) {
            self.count(&e.decode());
        }
    }

    /// Count one decoded event.
    pub fn observe_ev(&mut self, ev: &Ev) {
        self.steps += 1;
        self.count(ev);
    }

    /// Does any counter besides `steps` read events of this kind? (Must cover every kind `count` matches.)
    fn counts(kind: Kind) -> bool {
        matches!(
            kind,
            Kind::WalkBegin
                | Kind::PteRead
                | Kind::Fault
                | Kind::LockAcquire
                | Kind::TlbFlush
                | Kind::NotifierStart
                | Kind::Retry
        )
    }

    fn count(&mut self, ev: &Ev) {
        match *ev {
            Ev::WalkBegin {
                walk: WalkKind::Logical,
                ..
            } => {
                self.walks += 1;
                self.cover_letter_walks += !self.retry_pending as u64;
                self.retry_pending = false;
            }
            Ev::WalkBegin {
                walk: WalkKind::PageRange,
                ..
            } => self.walk_calls += 1,
            Ev::PteRead { visit: true, .. } => self.pte_visits += 1,
            Ev::Fault { ahead, .. } => {
                self.faults += 1;
                self.faults_ahead += ahead as u64;
            }
            Ev::LockAcquire {
                lock: LockId::Ptl { .. },
                ..
            } => self.ptl_acquisitions += 1,
            Ev::TlbFlush { .. } => self.tlb_flushes += 1,
            Ev::NotifierStart { .. } => self.invalidations += 1,
            Ev::Retry { reason } => {
                self.retries += 1;
                // The driver calls hmm_range_fault again: the same call sequence, a new walk.
                self.retry_pending |= matches!(
                    reason,
                    RetryReason::DriverEbusy | RetryReason::DriverReadRetry
                );
            }
            _ => {}
        }
    }

    pub fn of(events: &super::PackedTrace) -> Counters {
        let mut c = Counters::default();
        events.iter().for_each(|e| c.observe(&e));
        c
    }

    pub fn get(&self, name: &str) -> Option<u64> {
        self.fields()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn table() -> BTreeSet<&'static str> {
        COUNTERS.iter().map(|c| c.name).collect()
    }

    /// The counter names in docs/cli.md's table: rows "| `name` | ..." of the "## The counters" section.
    fn cli_md() -> BTreeSet<String> {
        let doc = include_str!("../../../../docs/cli.md");
        let section = doc
            .split("\n## ")
            .find(|s| s.starts_with("The counters"))
            .expect("docs/cli.md has a \"## The counters\" section");
        section
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .map(str::to_owned)
            .collect()
    }

    /// The counter names docs/lessons.md lists for counter assertions (the row starting "| `A.walks").
    fn lessons_md() -> BTreeSet<String> {
        crate::trace::lessons_md_list("| `A.walks", "main world: `")
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// The fast path (`observe` decodes only the kinds in `counts`) counts exactly what decoding every event does.
    #[test]
    fn skipping_kinds_no_counter_reads_changes_nothing() {
        let states = crate::scenario::parse_states("PNSZCDOPPPNNSSZZ").unwrap();
        for lane in crate::sim::compare(&states, &crate::sim::RunConfig::default()).lanes {
            let mut full = Counters::default();
            lane.report
                .events
                .iter()
                .for_each(|e| full.observe_ev(&e.decode()));
            assert_eq!(Counters::of(&lane.report.events), full);
            assert_eq!(lane.report.counters, full, "counted as recorded");
        }
    }

    #[test]
    fn docs_name_exactly_the_counters() {
        let table: BTreeSet<String> = table().into_iter().map(str::to_owned).collect();
        assert_eq!(cli_md(), table, "docs/cli.md");
        assert_eq!(lessons_md(), table, "docs/lessons.md");
    }

    #[test]
    fn the_table_is_the_struct() {
        let c = Counters {
            walks: 1,
            steps: 10,
            ..Counters::default()
        };
        let names: Vec<&str> = c.fields().iter().map(|&(n, _)| n).collect();
        let listed: Vec<&str> = COUNTERS.iter().map(|c| c.name).collect();
        assert_eq!(names, listed);
        assert_eq!(c.get("walks"), Some(1));
        assert_eq!(c.get("steps"), Some(10));
        assert_eq!(c.get("nope"), None);
        assert_eq!(
            CounterInfo::find("faults_ahead").map(|c| c.label),
            Some("ahead")
        );
        assert_eq!(table().len(), COUNTERS.len(), "names are unique");
    }
}
