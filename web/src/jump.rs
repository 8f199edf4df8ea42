//! The kinds of event the transport jumps to ("next migration entry", "previous lock taken"…): the transport's
//! vocabulary, and for each the question it asks of hmm-sim's typed event ([`hmm_sim::Ev`]).

use hmm_sim::Ev;

/// The kinds of event the transport can jump to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JumpKind {
    Walk,
    Lock,
    Fault,
    MigrationEntry,
    Milestone,
    /// An mmu notifier invalidation starting (the drivers' invalidate callbacks run).
    Notifier,
    TlbFlush,
    /// Redone work (a re-walk, a re-fault) or a failure (-EBUSY, -EAGAIN…).
    Retry,
}

impl JumpKind {
    pub const ALL: [JumpKind; 8] = [
        JumpKind::MigrationEntry,
        JumpKind::Walk,
        JumpKind::Lock,
        JumpKind::Fault,
        JumpKind::Milestone,
        JumpKind::Notifier,
        JumpKind::TlbFlush,
        JumpKind::Retry,
    ];

    pub fn name(self) -> &'static str {
        match self {
            JumpKind::Walk => "walk",
            JumpKind::Lock => "lock",
            JumpKind::Fault => "fault",
            JumpKind::MigrationEntry => "migration",
            JumpKind::Milestone => "milestone",
            JumpKind::Notifier => "notifier",
            JumpKind::TlbFlush => "tlb",
            JumpKind::Retry => "retry",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            JumpKind::Walk => "page-table walk",
            JumpKind::Lock => "lock taken",
            JumpKind::Fault => "page fault",
            JumpKind::MigrationEntry => "migration entry installed",
            JumpKind::Milestone => "milestone",
            JumpKind::Notifier => "notifier invalidation",
            JumpKind::TlbFlush => "TLB flush",
            JumpKind::Retry => "retry or error (-EBUSY, -EAGAIN…)",
        }
    }

    pub fn parse(s: &str) -> Option<JumpKind> {
        JumpKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// Does event `ev` start something of this kind?
    pub fn starts(self, ev: &Ev) -> bool {
        match self {
            JumpKind::Walk => ev.is_walk_begin(),
            JumpKind::Lock => matches!(ev, Ev::LockAcquire { .. }),
            JumpKind::Fault => matches!(ev, Ev::Fault { .. }),
            JumpKind::MigrationEntry => ev.installs_migration_entry(),
            JumpKind::Milestone => ev.is_milestone(),
            JumpKind::Notifier => matches!(ev, Ev::NotifierStart { .. }),
            JumpKind::TlbFlush => matches!(ev, Ev::TlbFlush { .. }),
            JumpKind::Retry => matches!(ev, Ev::Retry { .. } | Ev::Error { .. }),
        }
    }
}

/// The entry of one page of the range (mm 0) an event rewrote: its PTE, or the PMD leaf that maps its 2 MiB
/// (`PmdWrite` names the PMD's first page). "Next change of page N" and the page's history ask this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryWrite {
    /// The PMD leaf over the page, not its PTE.
    pub pmd: bool,
    pub old: hmm_sim::Pte,
    pub new: hmm_sim::Pte,
}

/// Did `ev` rewrite the entry that maps virtual page `vpn` of mm 0?
pub fn writes_page(ev: &Ev, vpn: u32) -> Option<EntryWrite> {
    match *ev {
        Ev::PteWrite { page, old, new } if page.mm == 0 && page.vpn == vpn => Some(EntryWrite {
            pmd: false,
            old,
            new,
        }),
        Ev::PmdWrite { page, old, new }
            if page.mm == 0 && page.vpn == vpn - vpn % hmm_sim::PTRS_PER_PTE =>
        {
            Some(EntryWrite {
                pmd: true,
                old,
                new,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        for k in JumpKind::ALL {
            assert_eq!(JumpKind::parse(k.name()), Some(k));
        }
        assert_eq!(JumpKind::parse("nope"), None);
    }

    /// Every kind finds something in a lane that walks, locks, faults and migrates (legacy B retries: its
    /// first migrate_vma_setup skips the swapped pages).
    #[test]
    fn every_kind_starts_somewhere() {
        let states = crate::scenario::parse_text("PPSSNN").expect("valid");
        let comparison = crate::comparison::LoadedLanes::build(states);
        for k in JumpKind::ALL {
            let found = [hmm_sim::Strategy::LegacyA, hmm_sim::Strategy::LegacyB]
                .iter()
                .any(|&s| {
                    comparison
                        .lane(s)
                        .timeline
                        .events()
                        .iter()
                        .any(|e| k.starts(&e.decode()))
                });
            assert!(found, "no {} in legacy A or B", k.name());
        }
    }
}
