//! Read-only decoders for values the trace carries packed: addresses and page-table indices of a page, the
//! `MIGRATE_PFN_*` and `HMM_PFN_*` bits, notifier sequences and invalidations, what a sleeping thread waits on.
//!
//! The bit values come from hmm-sim's own constants; nothing here decides what a value means for the kernel,
//! it only spells it out for the screen.

use hmm_sim::{Invalidation, LockId, SeqId};
use hmm_sim::{Zone, RANGE_BASE_VPN};
use hmm_sim::{HMM_PFN_ERROR, HMM_PFN_MIGRATE, HMM_PFN_VALID, HMM_PFN_WRITE};
use hmm_sim::{MIGRATE_PFN_MIGRATE, MIGRATE_PFN_SHIFT, MIGRATE_PFN_VALID, MIGRATE_PFN_WRITE};

/// The virtual address of page `index` of the scenario's range.
pub fn page_vpn(index: usize) -> u32 {
    RANGE_BASE_VPN.saturating_add(index as u32)
}

pub fn addr(vpn: u32) -> String {
    format!("{:#x}", vpn as u64 * 4096)
}

/// x86-64 4-level page-table indices of a page: (PGD, PUD, PMD, PTE). P4D is folded on 4-level paging.
pub fn table_indices(vpn: u32) -> (u32, u32, u32, u32) {
    (vpn >> 27 & 511, vpn >> 18 & 511, vpn >> 9 & 511, vpn & 511)
}

/// `MIGRATE_PFN_*` flags of a `src[]`/`dst[]` value, as the kernel's names, and the pfn if VALID.
pub fn migrate_pfn(value: u32) -> (Vec<&'static str>, Option<u32>) {
    let mut flags = Vec::new();
    if value & MIGRATE_PFN_VALID != 0 {
        flags.push("VALID");
    }
    if value & MIGRATE_PFN_MIGRATE != 0 {
        flags.push("MIGRATE");
    }
    if value & MIGRATE_PFN_WRITE != 0 {
        flags.push("WRITE");
    }
    let pfn = (value & MIGRATE_PFN_VALID != 0).then_some(value >> MIGRATE_PFN_SHIFT);
    (flags, pfn)
}

/// `HMM_PFN_*` flags of an `hmm_pfns[]` value and its pfn (meaningful when VALID).
pub fn hmm_pfn(value: u64) -> (Vec<&'static str>, Option<u64>) {
    let mut flags = Vec::new();
    for (bit, name) in [
        (HMM_PFN_VALID, "VALID"),
        (HMM_PFN_WRITE, "WRITE"),
        (HMM_PFN_ERROR, "ERROR"),
        (HMM_PFN_MIGRATE, "MIGRATE"),
    ] {
        if value & bit != 0 {
            flags.push(name);
        }
    }
    let pfn = (value & HMM_PFN_VALID != 0).then_some(value & ((1 << 52) - 1));
    (flags, pfn)
}

pub fn seq_name(id: SeqId) -> String {
    match id {
        SeqId::Mm(mm) => format!("mm{mm} invalidate_seq"),
        SeqId::Sub { dev, mm } => format!("dmirror{dev} interval_sub (mm{mm})"),
    }
}

/// An open invalidation: its event, its range of pages and its owner.
pub fn invalidation(range: Invalidation) -> String {
    let owner = range
        .owner_device()
        .map_or_else(|| "no owner".to_owned(), |d| format!("owner device {d}"));
    format!(
        "{} [{} … {}) ({owner})",
        range.event.name(),
        addr(range.start),
        addr(range.end)
    )
}

pub fn zone_name(zone: Zone) -> String {
    match zone {
        Zone::System => "system".to_owned(),
        Zone::Zero => "zero page".to_owned(),
        Zone::DevicePrivate(dev) => format!("device {dev}"),
        Zone::DeviceCoherent(dev) => format!("device {dev} (coherent, CPU-mapped)"),
    }
}

/// Short lock label for tight spaces (swimlane rows).
pub fn lock_short(lock: LockId) -> String {
    match lock {
        LockId::MmapLock(mm) => format!("mmap_lock mm{mm}"),
        LockId::Ptl { pmd, .. } => format!("PTL {pmd:#x}"),
        LockId::Folio(pfn) => format!("PG_locked {pfn:#x}"),
        LockId::Driver(dev) => format!("dmirror{dev} mutex"),
        LockId::AnonVma(id) => format!("anon_vma {id}"),
        LockId::DevmemMigrate(dev) => format!("dev{dev} m2r lock"),
        LockId::IMmap(id) => format!("i_mmap file {id}"),
    }
}

/// Locks for a one-line list: every lock by name, except that many folio locks (a 512-page collect holds 512
/// PG_locked bits) become one "PG_locked of N folios (pfn a…b)" entry. Read from a view's per-thread index
/// (`ViewState::held_by`, `last_folio_locked_by`, or [`crate::picture::held_summary`]): the locks other than
/// folio locks, the folio locks' pfns in order, their number and the last. Reads at most a
/// few pfns, so a thread holding a folio lock per page of a 1 GiB range costs no more than one holding five.
pub fn summarize_held(
    others: &[LockId],
    mut folios: impl Iterator<Item = u32>,
    count: usize,
    last: Option<u32>,
) -> Vec<String> {
    const FOLIOS_LISTED: usize = 4;
    if count <= FOLIOS_LISTED {
        let mut all: Vec<LockId> = others.to_vec();
        all.extend(folios.map(LockId::Folio));
        all.sort();
        return all.iter().map(|l| l.describe()).collect();
    }
    let mut out: Vec<String> = others.iter().map(|l| l.describe()).collect();
    let lo = folios.next().unwrap_or(0);
    let hi = last.unwrap_or(lo);
    out.push(format!(
        "PG_locked of {count} folios (pfn {lo:#x} … {hi:#x})"
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrate_pfn_bits() {
        assert_eq!(
            migrate_pfn(0x4b),
            (vec!["VALID", "MIGRATE", "WRITE"], Some(1))
        );
        assert_eq!(
            migrate_pfn(0x400089),
            (vec!["VALID", "WRITE"], Some(0x10002))
        );
        assert_eq!(migrate_pfn(0x2), (vec!["MIGRATE"], None));
        assert_eq!(migrate_pfn(0), (vec![], None));
    }

    #[test]
    fn hmm_pfn_bits() {
        assert_eq!(
            hmm_pfn(0xc000000000000001),
            (vec!["VALID", "WRITE"], Some(1))
        );
    }

    #[test]
    fn indices_of_the_range_base() {
        assert_eq!(table_indices(RANGE_BASE_VPN), (0, 0, 0x80, 0));
        assert_eq!(addr(RANGE_BASE_VPN), "0x10000000");
    }
}
