//! One page followed through a lane's run: every write of the entry that maps it (its PTE, or the PMD leaf over
//! its 2 MiB), with the step, the kernel function that wrote it and the kind before and after. The reader clicks
//! a page to follow it; the transport's "next change of page N" lands on these steps.
//!
//! Which events rewrite a page's entry is `crate::jump::writes_page`'s question of hmm-sim's `Ev`; the kinds come
//! from hmm-sim's `Pte::kind`. A lane's history of one page is derived once and kept (the last one asked), so
//! playing does not rescan the trace every frame.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use hmm_sim::{Func, PteKind, Strategy};

use super::pte_at;
use crate::comparison::LaneTrace;
use crate::decode;
use crate::jump::writes_page;

/// Changes of one page kept at most. A page rewritten more often than this (a livelock re-faulting it) shows
/// the first ones and says how many more there were.
pub const MAX_PAGE_CHANGES: usize = 4096;

/// One write of the page's entry.
#[derive(Clone, Debug, PartialEq)]
pub struct PageChange {
    /// The step right after the write (where the transport lands to show it).
    pub step: usize,
    pub func: Func,
    /// The PMD leaf over the page was written, not its PTE.
    pub pmd: bool,
    pub old: PteKind,
    pub new: PteKind,
}

/// A page's entry over the whole run of one lane.
#[derive(Clone, Debug, PartialEq)]
pub struct PageHistory {
    pub page: usize,
    pub strategy: Strategy,
    /// Steps in the lane.
    pub len: usize,
    /// The entry's kind at step 0.
    pub initial: PteKind,
    pub changes: Vec<PageChange>,
    /// Changes past [`MAX_PAGE_CHANGES`], not kept.
    pub more: usize,
}

impl PageHistory {
    /// The entry's kind at `step`.
    pub fn kind_at(&self, step: usize) -> PteKind {
        let before = self.changes.partition_point(|c| c.step <= step);
        before
            .checked_sub(1)
            .map_or(self.initial, |i| self.changes[i].new)
    }

    /// The first kept change after `step`, and the last one before it.
    pub fn next_after(&self, step: usize) -> Option<usize> {
        self.changes.iter().map(|c| c.step).find(|&s| s > step)
    }
    pub fn prev_before(&self, step: usize) -> Option<usize> {
        self.changes
            .iter()
            .rev()
            .map(|c| c.step)
            .find(|&s| s < step)
    }
}

/// Scan `lane`'s trace for writes of page `page`'s entry.
pub fn derive(lane: &LaneTrace, page: usize) -> PageHistory {
    let vpn = decode::page_vpn(page);
    // A page under a PMD leaf (a THP, the huge zero page) has no PTE: pte_at reads it through the leaf.
    let initial = pte_at(&lane.timeline.state(0), page).kind();
    let mut changes = Vec::new();
    let mut more = 0;
    for (i, event) in lane.timeline.events().iter().enumerate() {
        let Some(write) = writes_page(&event.decode(), vpn) else {
            continue;
        };
        if changes.len() == MAX_PAGE_CHANGES {
            more += 1;
            continue;
        }
        changes.push(PageChange {
            step: i + 1,
            func: event.func,
            pmd: write.pmd,
            old: write.old.kind(),
            new: write.new.kind(),
        });
    }
    PageHistory {
        page,
        strategy: lane.strategy,
        len: lane.timeline.len(),
        initial,
        changes,
        more,
    }
}

thread_local! {
    /// The last history derived: the lane it came from (weakly: a new scenario's lanes are new `Rc`s) and it.
    static LAST: RefCell<Option<(Weak<LaneTrace>, Rc<PageHistory>)>> = const { RefCell::new(None) };
}

/// [`derive`], kept for the last (lane, page) asked.
pub fn page_history(lane: &Rc<LaneTrace>, page: usize) -> Rc<PageHistory> {
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((from, history)) = last.as_ref() {
            if history.page == page && from.upgrade().is_some_and(|l| Rc::ptr_eq(&l, lane)) {
                return history.clone();
            }
        }
        let history = Rc::new(derive(lane, page));
        *last = Some((Rc::downgrade(lane), history.clone()));
        history
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comparison::LoadedLanes;

    fn lanes(text: &str) -> LoadedLanes {
        LoadedLanes::build(crate::scenario::parse_text(text).expect("valid"))
    }

    /// A present page migrated by the unified lane: present, then a migration entry, then device-private; each
    /// change lands where the timeline's own view says the page changed.
    #[test]
    fn a_migrated_page_goes_present_migration_device() {
        let comparison = lanes("PPNS");
        let lane = comparison.lane(Strategy::Unified);
        let h = derive(lane, 0);
        assert_eq!(h.initial, PteKind::PresentWrite);
        let kinds: Vec<PteKind> = h.changes.iter().map(|c| c.new).collect();
        assert!(kinds.iter().any(|k| k.is_migration()), "{kinds:?}");
        assert_eq!(
            h.kind_at(h.len),
            pte_at(&lane.timeline.state(h.len), 0).kind()
        );
        assert!(
            h.kind_at(h.len).name().starts_with("device_private"),
            "{kinds:?}"
        );
        for c in &h.changes {
            assert_eq!(pte_at(&lane.timeline.state(c.step), 0).kind(), c.new);
            assert_eq!(pte_at(&lane.timeline.state(c.step - 1), 0).kind(), c.old);
            assert_eq!(h.kind_at(c.step), c.new);
        }
        assert_eq!(h.more, 0);
        assert_eq!(h.next_after(0), h.changes.first().map(|c| c.step));
        assert_eq!(h.prev_before(h.len + 1), h.changes.last().map(|c| c.step));
    }

    /// An untouched page beyond the others has no changes; a none page that is faulted in starts none.
    #[test]
    fn every_page_is_its_own() {
        let comparison = lanes("PPNS");
        let lane = comparison.lane(Strategy::LegacyA);
        let none = derive(lane, 2);
        assert_eq!(none.initial, PteKind::None);
        assert!(!none.changes.is_empty(), "legacy A faults the none page in");
        let other = derive(lane, 1);
        assert!(other
            .changes
            .iter()
            .all(|c| !none.changes.contains(c) || c.pmd));
    }
}
