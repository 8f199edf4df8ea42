//! Why a step matters: one sentence per kind of event, for the kinds that mark a turn in the story (a wait, a
//! retry, a failure, an invalidation, a TLB flush, a fault, a milestone). Written per kind, never per trace:
//! the simulator says what happened (`hmm_sim::narrate`), this says why a reader should care.

use hmm_sim::{Ev, Event};

/// The sentence for `e`'s kind, if it is one that matters.
pub fn why(e: &Event) -> Option<&'static str> {
    Some(match e.decode() {
        Ev::LockContended { .. } => "Another thread holds this lock, so this one must wait: the order in which threads take locks decides races and deadlocks.",
        Ev::Retry { .. } => "Work is being redone because something changed underneath: a run that keeps doing this without progress is a livelock.",
        Ev::Error { .. } => "A failure the caller has to handle: it is how the kernel says \"not now\" (-EAGAIN, -EBUSY) or \"not possible\" (-EFAULT).",
        Ev::NotifierStart { .. } => "Before changing these PTEs the kernel tells every subscribed driver (its invalidate callback), so no device keeps using a stale mapping.",
        Ev::Seq { .. } => "The notifier sequence moved: a driver that read it before this must throw its snapshot away and retry (mmu_interval_read_retry).",
        Ev::TlbFlush { .. } => "The CPUs drop their cached translations of these pages: only after this can no CPU still use the old mapping.",
        Ev::Fault { .. } => "The access could not use the PTE as it is: the fault handler decides what to do from the PTE's kind.",
        Ev::Milestone { .. } => "A milestone: a point the lanes are compared at.",
        _ => return None,
    })
}
