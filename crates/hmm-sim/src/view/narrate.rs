//! [`narrate`]: one line per event, naming the kernel function; errnos by name (`-EBUSY`).

use crate::errno::{self, EAGAIN};
use crate::trace::{Ev, Event, Page, RefMismatch, ThreadState, WalkKind};

fn page(p: Page) -> String {
    format!("page {:#x} (mm{})", p.vpn as u64 * 4096, p.mm)
}

/// One line saying what event `e` did, naming the kernel function: the narration of a step.
pub fn narrate(e: &Event) -> String {
    let f = e.func.name();
    let ev = e.decode();
    match ev {
        Ev::Call { .. } => format!("{f}() is called — {}", e.func.what()),
        Ev::Return { ret } => format!("{f}() returns {}", errno::describe(ret)),
        Ev::WalkBegin {
            walk: WalkKind::Logical,
            ..
        } => {
            format!("{f}: a logical page-table walk begins")
        }
        Ev::WalkBegin { .. } => format!("{f}: walk_page_range starts"),
        Ev::WalkEnd { .. } => format!("{f}: the walk ends"),
        Ev::Descend { level, .. } => {
            format!("{f}: the walker descends to the {} level", level.name())
        }
        Ev::PteRead { page: p, pte, .. } => {
            format!("{f} reads the PTE of {}: {}", page(p), pte.kind().name())
        }
        Ev::PteWrite { page: p, old, new } => format!(
            "{f} writes the PTE of {}: {} → {}",
            page(p),
            old.kind().name(),
            new.kind().name()
        ),
        Ev::PmdWrite { page: p, old, new } => format!(
            "{f} writes the PMD entry of the 2 MiB at {}: {} → {}",
            page(p),
            old.kind().name(),
            new.kind().name()
        ),
        Ev::LockAcquire { lock, .. } => format!("{f} takes {}", lock.describe()),
        Ev::LockRelease { lock, .. } => format!("{f} releases {}", lock.describe()),
        Ev::LockContended { lock, .. } => {
            format!("{f} finds {} held: it must wait", lock.describe())
        }
        Ev::Ref { .. } | Ev::Map { .. } | Ev::Flag { .. } | Ev::EntireMap { .. } => {
            narrate_frame(f, ev)
        }
        Ev::Fault {
            page: p,
            write,
            ahead,
            ..
        } => format!(
            "{f}: page fault on {}{}{}",
            page(p),
            if write { " (write)" } else { " (read)" },
            if ahead {
                ", fault-ahead: hmm_vma_fault faults to the end of the PMD chunk"
            } else {
                ""
            }
        ),
        Ev::NotifierStart { range } => format!(
            "{f}: invalidation {} starts (owner {})",
            range.event.name(),
            range
                .owner_device()
                .map_or("none".to_string(), |d| format!("device {d}"))
        ),
        Ev::NotifierEnd { range } => format!("{f}: invalidation {} ends", range.event.name()),
        Ev::Seq { old, new, .. } => format!("{f}: notifier sequence {old} → {new}"),
        Ev::Alloc { .. }
        | Ev::Free { .. }
        | Ev::Copy { .. }
        | Ev::Content { .. }
        | Ev::Src { .. }
        | Ev::Dst { .. }
        | Ev::HmmPfn { .. }
        | Ev::DevPt { .. }
        | Ev::Swap { .. } => narrate_frame(f, ev),
        Ev::TlbFlush { start, end } => {
            format!("{f}: TLB flush of {} page(s)", end.saturating_sub(start))
        }
        Ev::Retry { reason } => format!("{f}: retry: {}", reason.describe()),
        Ev::Error {
            errno: EAGAIN,
            refs: Some(RefMismatch { found, expected }),
        } => format!("{f}: -EAGAIN: refcount {found} but {expected} expected"),
        Ev::Error { errno, .. } => format!("{f} fails with {}", errno::describe(errno)),
        Ev::Milestone { milestone } => format!("milestone: {}", milestone.name()),
        Ev::Thread { tid, state, .. } => format!(
            "T{tid} {}",
            match state {
                ThreadState::Runnable => "runs again",
                ThreadState::Blocked => "sleeps",
                ThreadState::Exited => "exits",
            }
        ),
        Ev::Malformed { kind, a, b, c } => format!(
            "{f}: a {} event this build cannot read ({a:#x}, {b:#x}, {c:#x})",
            kind.name()
        ),
    }
}

/// Frames, per-call arrays, device page tables and swap slots.
fn narrate_frame(f: &str, ev: Ev) -> String {
    match ev {
        Ev::Ref { pfn, old, new } => format!("{f}: refcount of pfn {pfn:#x} {old} → {new}"),
        Ev::Map { pfn, old, new } => format!("{f}: mapcount of pfn {pfn:#x} {old} → {new}"),
        Ev::EntireMap { pfn, old, new } => {
            format!("{f}: entire (PMD) mapcount of the THP at pfn {pfn:#x} {old} → {new}")
        }
        Ev::Flag { pfn, flag, value } => format!("{f}: {} of pfn {pfn:#x} = {value}", flag.name()),
        Ev::Alloc { pfn, zone } => format!(
            "{f} allocates pfn {pfn:#x}{}",
            match zone {
                crate::world::Zone::DevicePrivate(d) => format!(" on device {d}"),
                crate::world::Zone::DeviceCoherent(d) => format!(" on device {d} (coherent)"),
                _ => String::new(),
            }
        ),
        Ev::Free { pfn, .. } => format!("{f}: pfn {pfn:#x} is freed"),
        Ev::Copy { src, dst, .. } => format!("{f} copies pfn {src:#x} → pfn {dst:#x}"),
        Ev::Content { pfn, new, .. } => format!("{f}: pfn {pfn:#x} now holds {new:#x}"),
        Ev::Src { slot, new, .. } => format!("{f}: src[{}] = {new:#x}", slot.index),
        Ev::Dst { slot, new, .. } => format!("{f}: dst[{}] = {new:#x}", slot.index),
        Ev::HmmPfn { slot, value } => format!("{f}: hmm_pfns[{}] = {value:#x}", slot.index),
        Ev::DevPt { new, .. } => format!(
            "{f}: device page table entry {}",
            if new.is_none() { "removed" } else { "set" }
        ),
        Ev::Swap { slot, new, .. } => format!(
            "{f}: swap slot {slot} {}",
            if new.is_none() { "freed" } else { "written" }
        ),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Func, RetryReason};

    #[test]
    fn errnos_are_named() {
        let ret = Event::from_ev(0, Func::HmmVmaFault, Ev::Return { ret: errno::EBUSY });
        assert_eq!(narrate(&ret), "hmm_vma_fault() returns -EBUSY");
        let ok = Event::from_ev(0, Func::HmmVmaFault, Ev::Return { ret: 3 });
        assert_eq!(narrate(&ok), "hmm_vma_fault() returns 3");
        let err = Event::from_ev(
            0,
            Func::DmirrorCheckAtomic,
            Ev::Error {
                errno: errno::EPERM,
                refs: None,
            },
        );
        assert_eq!(narrate(&err), "dmirror_check_atomic fails with -EPERM");
        let eagain = Event::from_ev(
            0,
            Func::FolioMigrateMapping,
            Ev::Error {
                errno: EAGAIN,
                refs: Some(RefMismatch {
                    found: 3,
                    expected: 2,
                }),
            },
        );
        assert_eq!(
            narrate(&eagain),
            "folio_migrate_mapping: -EAGAIN: refcount 3 but 2 expected"
        );
        let retry = Event::from_ev(
            0,
            Func::HmmRangeFault,
            Ev::Retry {
                reason: RetryReason::HmmRewalk,
            },
        );
        assert!(narrate(&retry).contains("-EBUSY"));
    }
}
