//! The RFC's path: one walk then migrate, over the whole range under `mmap_lock`, through either of the RFC's
//! entry points (`DriverOpts::unified_entry`): `hmm_range_fault(REQ_FAULT|REQ_MIGRATE)` under the driver's
//! notifier, or `migrate_vma_setup(MIGRATE_VMA_FAULT)`.

use super::invalidate_own_mappings;
use crate::drivers::dmirror::{
    dmirror_migrate_finish, dmirror_migrate_on_fault_collect, mirror_ids,
};
use crate::kernel::Kernel;
use crate::mm::migrate_device::{
    migrate_vma_finalize, migrate_vma_setup, MigrateVma, MIGRATE_VMA_FAULT,
    MIGRATE_VMA_SELECT_SYSTEM,
};
use crate::world::UnifiedEntry;

/// One migrate-on-fault round (the collection is test_hmm's RFC 4/4 code), unmapping the device's own
/// mappings before the copy.
async fn migrate_on_fault_round(k: &Kernel, mirror: usize, start: u32, end: u32) -> i32 {
    let write = k.w().devices[mirror_ids(k, mirror).1 as usize].driver.write;
    let mut m = match dmirror_migrate_on_fault_collect(k, mirror, start, end, write).await {
        Ok(m) => m,
        Err(ret) => return ret,
    };
    invalidate_own_mappings(k, mirror, &m).await;
    dmirror_migrate_finish(k, mirror, &mut m).await;
    0
}

/// The migrate path: `migrate_vma_setup(SELECT_SYSTEM | MIGRATE_VMA_FAULT)`, as a driver that moves a
/// range without mirroring it would call it. No notifier sequence: nothing for the driver to re-check or
/// retry. On an error the walk may already have collected pages (`migrate_hmm_range_setup` ran anyway), so
/// this driver finalizes them back before it returns the error.
async fn migrate_vma_fault_round(k: &Kernel, mirror: usize, start: u32, end: u32) -> i32 {
    let (mm, dev) = mirror_ids(k, mirror);
    let flags = MIGRATE_VMA_SELECT_SYSTEM | MIGRATE_VMA_FAULT;
    let mut m = MigrateVma::new(k, mm, start, end, dev + 1, flags);
    let ret = migrate_vma_setup(k, &mut m).await;
    if ret != 0 {
        if m.cpages > 0 {
            migrate_vma_finalize(k, &mut m).await;
        }
        return ret;
    }
    invalidate_own_mappings(k, mirror, &m).await;
    dmirror_migrate_finish(k, mirror, &mut m).await;
    0
}

pub(super) async fn unified(k: &Kernel, mirror: usize, start: u32, end: u32) -> i32 {
    let (mm, dev) = mirror_ids(k, mirror);
    let entry = k.w().devices[dev as usize].driver.unified_entry;
    k.mmap_read_lock(mm).await;
    let ret = match entry {
        UnifiedEntry::HmmRangeFault => migrate_on_fault_round(k, mirror, start, end).await,
        UnifiedEntry::MigrateVmaFault => migrate_vma_fault_round(k, mirror, start, end).await,
    };
    k.mmap_read_unlock(mm);
    ret
}
