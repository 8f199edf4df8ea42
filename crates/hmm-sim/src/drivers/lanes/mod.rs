//! The three lane drivers: driver call sequences for moving a range to device memory (DESIGN.md §1),
//! written as a dmirror-based driver would write them, on dmirror's device page table and callbacks. Each
//! runs over the whole range in one call, as the RFC cover letter counts walks. lib/test_hmm.c has none of
//! this: legacy.rs holds legacy A and B, unified.rs the RFC's single walk.
//!
//! Unlike test_hmm's ioctls, the lanes unmap their own device mappings before copying
//! (`invalidate_own_mappings`): the device's own MIGRATE invalidation is filtered, so a driver serving
//! concurrent device accesses must.

mod legacy;
mod unified;

use crate::drivers::dmirror::{self, driver_lock};
use crate::kernel::Kernel;
use crate::mm::migrate_device::{MigrateVma, MIGRATE_PFN_MIGRATE};
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
    let call = k.enter(f, pack_page(mm, start));
    let ret = match strategy {
        Strategy::LegacyA => legacy::legacy_a(k, mirror, start, end).await,
        Strategy::LegacyB => legacy::legacy_b(k, mirror, start, end).await,
        Strategy::Unified => unified::unified(k, mirror, start, end).await,
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
    call.ret(ret);
    ret
}

/// Under the driver lock, drop the device's own mappings of every page this round will migrate.
pub(super) async fn invalidate_own_mappings(k: &Kernel, mirror: usize, m: &MigrateVma) {
    k.lock(driver_lock(mirror)).await;
    for i in 0..m.npages as usize {
        if m.src[i] & MIGRATE_PFN_MIGRATE != 0 {
            k.dpt_set(mirror, m.start + i as u32, None);
        }
    }
    k.unlock(driver_lock(mirror));
}
