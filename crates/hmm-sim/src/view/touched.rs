//! [`Touched`]: what one event changed in the [`super::ViewState`], so viewers can highlight it without
//! decoding events themselves; [`TouchedSet`] accumulates several.

use crate::pte::Pfn;
use crate::trace::{Ev, LockId, Milestone, Page, SeqId, Slot, Tid};
use std::collections::BTreeSet;

/// What one event changed. Plain data, no allocation: [`super::ViewState::apply`] returns it for every event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Touched {
    /// The PTE written.
    pub page: Option<Page>,
    /// The frame whose view changed: refcount, mapcount, flags, content, allocation, `PG_locked`.
    pub frame: Option<Pfn>,
    /// The lock taken or released.
    pub lock: Option<LockId>,
    /// The `src[]` / `dst[]` / `hmm_pfns[]` element set.
    pub src: Option<Slot>,
    pub dst: Option<Slot>,
    pub hmm_pfn: Option<Slot>,
    /// The device page-table entry changed: `array` is the mirror, `index` the vpn.
    pub dev_pt: Option<Slot>,
    pub seq: Option<SeqId>,
    /// The swap slot changed.
    pub swap: Option<u32>,
    /// An invalidation opened or closed.
    pub notifiers: bool,
    /// The thread whose call stack changed (a call or a return).
    pub stack: Option<Tid>,
    /// The thread that went to sleep, woke or exited.
    pub thread: Option<Tid>,
    /// The milestone reached.
    pub milestone: Option<Milestone>,
}

impl Touched {
    /// What event `ev` by `thread` changes (independent of the state it is applied to).
    pub fn of(thread: Tid, ev: &Ev) -> Touched {
        let mut t = Touched::default();
        match *ev {
            Ev::Call { .. } | Ev::Return { .. } => t.stack = Some(thread),
            Ev::PteWrite { page, .. } | Ev::PmdWrite { page, .. } => t.page = Some(page),
            Ev::LockAcquire { lock, .. } | Ev::LockRelease { lock, .. } => {
                t.lock = Some(lock);
                if let LockId::Folio(pfn) = lock {
                    t.frame = Some(pfn);
                }
            }
            Ev::Ref { pfn, .. }
            | Ev::Map { pfn, .. }
            | Ev::EntireMap { pfn, .. }
            | Ev::Flag { pfn, .. }
            | Ev::Alloc { pfn, .. }
            | Ev::Free { pfn, .. }
            | Ev::Content { pfn, .. } => t.frame = Some(pfn),
            Ev::Copy { dst, .. } => t.frame = Some(dst),
            Ev::Src { slot, .. } => t.src = Some(slot),
            Ev::Dst { slot, .. } => t.dst = Some(slot),
            Ev::HmmPfn { slot, .. } => t.hmm_pfn = Some(slot),
            Ev::DevPt { slot, .. } => t.dev_pt = Some(slot),
            Ev::Seq { seq, .. } => t.seq = Some(seq),
            Ev::Swap { slot, .. } => t.swap = Some(slot),
            Ev::NotifierStart { .. } | Ev::NotifierEnd { .. } => t.notifiers = true,
            Ev::Thread { tid, .. } => t.thread = Some(tid),
            Ev::Milestone { milestone } => t.milestone = Some(milestone),
            _ => {}
        }
        t
    }
}

/// Everything several events changed (e.g. the events between two pictures).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TouchedSet {
    pub pages: BTreeSet<Page>,
    pub frames: BTreeSet<Pfn>,
    pub locks: BTreeSet<LockId>,
    pub src: BTreeSet<Slot>,
    pub dst: BTreeSet<Slot>,
    pub hmm_pfns: BTreeSet<Slot>,
    pub dev_pt: BTreeSet<Slot>,
    pub seqs: BTreeSet<SeqId>,
    pub swap: BTreeSet<u32>,
    pub notifiers: bool,
    pub stacks: BTreeSet<Tid>,
    pub threads: BTreeSet<Tid>,
    pub milestones: Vec<Milestone>,
}

impl TouchedSet {
    pub fn add(&mut self, t: Touched) {
        self.pages.extend(t.page);
        self.frames.extend(t.frame);
        self.locks.extend(t.lock);
        self.src.extend(t.src);
        self.dst.extend(t.dst);
        self.hmm_pfns.extend(t.hmm_pfn);
        self.dev_pt.extend(t.dev_pt);
        self.seqs.extend(t.seq);
        self.swap.extend(t.swap);
        self.notifiers |= t.notifiers;
        self.stacks.extend(t.stack);
        self.threads.extend(t.thread);
        self.milestones.extend(t.milestone);
    }

    /// What `events` change, in either direction of travel.
    pub fn of(events: impl IntoIterator<Item = crate::trace::Event>) -> TouchedSet {
        let mut s = TouchedSet::default();
        for e in events {
            s.add(Touched::of(e.thread, &e.decode()));
        }
        s
    }
}
