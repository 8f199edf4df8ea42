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
}

impl JumpKind {
    pub const ALL: [JumpKind; 5] = [
        JumpKind::MigrationEntry,
        JumpKind::Walk,
        JumpKind::Lock,
        JumpKind::Fault,
        JumpKind::Milestone,
    ];

    pub fn name(self) -> &'static str {
        match self {
            JumpKind::Walk => "walk",
            JumpKind::Lock => "lock",
            JumpKind::Fault => "fault",
            JumpKind::MigrationEntry => "migration",
            JumpKind::Milestone => "milestone",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            JumpKind::Walk => "page-table walk",
            JumpKind::Lock => "lock taken",
            JumpKind::Fault => "page fault",
            JumpKind::MigrationEntry => "migration entry installed",
            JumpKind::Milestone => "milestone",
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
        }
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

    /// Every kind finds something in a lane that walks, locks, faults and migrates.
    #[test]
    fn every_kind_starts_somewhere() {
        let states = crate::scenario::parse_text("PPSSNN").expect("valid");
        let comparison = crate::comparison::LoadedLanes::build(states);
        let events = comparison
            .lane(hmm_sim::Strategy::LegacyA)
            .timeline
            .events();
        for k in JumpKind::ALL {
            assert!(
                events.iter().any(|e| k.starts(&e.decode())),
                "no {} in legacy A",
                k.name()
            );
        }
    }
}
