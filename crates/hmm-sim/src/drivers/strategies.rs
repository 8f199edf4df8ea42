//! The three driver call sequences for moving a range to device memory (DESIGN.md §1), written as a
//! dmirror-based driver would write them. Each runs over the whole range in one call, as the RFC cover
//! letter counts walks.

use crate::drivers::dmirror::{self, dmirror_range_fault, migrate_round_to_device, SelfInvalidate};
use crate::exec::Kernel;
use crate::mm::hmm::{HmmRange, HMM_PFN_REQ_FAULT, HMM_PFN_REQ_WRITE};
use crate::mm::migrate_device::MigrateVma;
use crate::trace::{pack_page, Func, Milestone};
use crate::world::Zone;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Strategy {
    LegacyA,
    LegacyB,
    Unified,
}

impl Strategy {
    pub const ALL: [Strategy; 3] = [Strategy::LegacyA, Strategy::LegacyB, Strategy::Unified];
    /// The snake_case name used by the CLI JSON, lessons and URLs.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::LegacyA => "legacy_a",
            Strategy::LegacyB => "legacy_b",
            Strategy::Unified => "unified",
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            Strategy::LegacyA => "Legacy A: hmm_range_fault, then migrate_vma_*",
            Strategy::LegacyB => "Legacy B: migrate_vma_*, fault what was missed, migrate again",
            Strategy::Unified => "Unified: one walk with HMM_PFN_REQ_MIGRATE",
        }
    }
    pub fn parse(s: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|x| x.name() == s)
    }
}

/// Run `strategy` for the pages `[start, end)` of the mirror's mm. Returns 0 or the first error.
pub async fn run_strategy(
    k: &Kernel,
    strategy: Strategy,
    mirror: usize,
    start: u32,
    end: u32,
) -> i32 {
    let f = match strategy {
        Strategy::LegacyA => Func::LegacyA,
        Strategy::LegacyB => Func::LegacyB,
        Strategy::Unified => Func::Unified,
    };
    let (mm, dev) = dmirror::mirror_ids(k, mirror);
    let _f = k.enter(f, pack_page(mm, start));
    let ret = match strategy {
        Strategy::LegacyA => legacy_a(k, mirror, start, end).await,
        Strategy::LegacyB => legacy_b(k, mirror, start, end).await,
        Strategy::Unified => unified(k, mirror, start, end).await,
    };
    let all_on_device = {
        let w = k.w();
        (start..end).all(|vpn| {
            w.mms[mm as usize]
                .pte(vpn)
                .pfn()
                .is_some_and(|p| w.folio(p).zone == Zone::DevicePrivate(dev))
        })
    };
    if ret == 0 && all_on_device {
        k.milestone(Milestone::AllOnDevice);
    }
    _f.ret(ret);
    ret
}

/// Fault the whole range in, writable: the driver loop around `hmm_range_fault(REQ_FAULT|REQ_WRITE)`.
async fn fault_in(k: &Kernel, mirror: usize, start: u32, end: u32) -> i32 {
    let (mm, dev) = dmirror::mirror_ids(k, mirror);
    let write = k.w().devices[dev as usize].driver.write;
    let flags = HMM_PFN_REQ_FAULT | if write { HMM_PFN_REQ_WRITE } else { 0 };
    let mut range = HmmRange::new(k, mm, start, end, flags, dev + 1);
    range.notifier = Some(mirror);
    dmirror_range_fault(k, mirror, &mut range, false).await
}

async fn migrate(k: &Kernel, mirror: usize, start: u32, end: u32) -> (i32, MigrateVma) {
    let mm = k.w().mirrors[mirror].mm;
    k.mmap_read_lock(mm).await;
    let r = migrate_round_to_device(k, mirror, start, end, SelfInvalidate::BeforeCopy).await;
    k.mmap_read_unlock(mm);
    r
}

async fn legacy_a(k: &Kernel, mirror: usize, start: u32, end: u32) -> i32 {
    let ret = fault_in(k, mirror, start, end).await;
    if ret != 0 {
        return ret;
    }
    migrate(k, mirror, start, end).await.0
}

/// drm_gpusvm's shape: migrate what collect finds; `cpages != npages` means some pages were not
/// collected (swapped, another device's, …): fault them in and migrate again.
async fn legacy_b(k: &Kernel, mirror: usize, start: u32, end: u32) -> i32 {
    let (ret, m) = migrate(k, mirror, start, end).await;
    if ret != 0 || m.cpages == m.npages {
        return ret;
    }
    let ret = fault_in(k, mirror, start, end).await;
    if ret != 0 {
        return ret;
    }
    migrate(k, mirror, start, end).await.0
}

/// The RFC's path: one `hmm_range_fault(REQ_FAULT|REQ_MIGRATE)` walk then migrate (see
/// [`dmirror::migrate_on_fault_round`]), over the whole range under `mmap_lock`.
async fn unified(k: &Kernel, mirror: usize, start: u32, end: u32) -> i32 {
    let mm = k.w().mirrors[mirror].mm;
    k.mmap_read_lock(mm).await;
    let ret =
        dmirror::migrate_on_fault_round(k, mirror, start, end, SelfInvalidate::BeforeCopy).await;
    k.mmap_read_unlock(mm);
    ret
}
