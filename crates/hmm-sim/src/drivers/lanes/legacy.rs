//! Legacy A (`hmm_range_fault`, then `migrate_vma_*`) and legacy B (drm_gpusvm's shape: migrate what collect
//! finds, fault in what was missed, migrate again).

use super::invalidate_own_mappings;
use crate::drivers::dmirror::{
    dmirror_migrate_finish, dmirror_range_fault, driver_lock, mirror_ids, owner,
};
use crate::kernel::Kernel;
use crate::mm::hmm::{HmmRange, HMM_PFN_REQ_FAULT, HMM_PFN_REQ_WRITE};
use crate::mm::migrate_device::{
    migrate_vma_setup, MigrateVma, MIGRATE_VMA_SELECT_DEVICE_PRIVATE, MIGRATE_VMA_SELECT_SYSTEM,
};

/// Fault the whole range in, writable: the driver loop around `hmm_range_fault(REQ_FAULT|REQ_WRITE)`.
async fn fault_in(k: &Kernel, mirror: usize, start: u32, end: u32) -> i32 {
    let (mm, dev) = mirror_ids(k, mirror);
    let write = k.w().devices[dev as usize].driver.write;
    let flags = HMM_PFN_REQ_FAULT | if write { HMM_PFN_REQ_WRITE } else { 0 };
    let mut range = HmmRange::new(k, mm, start, end, flags, owner(dev));
    range.notifier = Some(mirror);
    dmirror_range_fault(k, mirror, &mut range, false).await
}

/// One `migrate_vma_setup` → alloc+copy → `migrate_vma_pages` → map → `migrate_vma_finalize` round to this
/// mirror's device, with the device's [`crate::world::DriverOpts`]. The caller holds `mmap_lock`.
pub(super) async fn migrate_round_to_device(
    k: &Kernel,
    mirror: usize,
    start: u32,
    end: u32,
) -> (i32, MigrateVma) {
    let (mm, dev) = mirror_ids(k, mirror);
    let opts = k.w().devices[dev as usize].driver;
    let select = MIGRATE_VMA_SELECT_SYSTEM
        | if opts.select_device_private {
            MIGRATE_VMA_SELECT_DEVICE_PRIVATE
        } else {
            0
        };
    let mut m = MigrateVma::new(k, mm, start, end, owner(dev), select);
    // Drivers with plain notifiers hold their lock across setup to block page-table downgrades; the
    // owner filter in the callback is what keeps that from deadlocking (kernel-model.md §5a).
    if opts.hold_lock_across_setup {
        k.lock(driver_lock(mirror)).await;
    }
    let ret = migrate_vma_setup(k, &mut m).await;
    if opts.hold_lock_across_setup {
        k.unlock(driver_lock(mirror));
    }
    if ret != 0 {
        return (ret, m);
    }
    invalidate_own_mappings(k, mirror, &m).await;
    dmirror_migrate_finish(k, mirror, &mut m).await;
    (0, m)
}

async fn migrate(k: &Kernel, mirror: usize, start: u32, end: u32) -> (i32, MigrateVma) {
    let mm = k.w().mirrors[mirror].mm;
    k.mmap_read_lock(mm).await;
    let r = migrate_round_to_device(k, mirror, start, end).await;
    k.mmap_read_unlock(mm);
    r
}

pub(super) async fn legacy_a(k: &Kernel, mirror: usize, start: u32, end: u32) -> i32 {
    let ret = fault_in(k, mirror, start, end).await;
    if ret != 0 {
        return ret;
    }
    migrate(k, mirror, start, end).await.0
}

/// drm_gpusvm's shape: migrate what collect finds; `cpages != npages` means some pages were not
/// collected (swapped, another device's, …): fault them in and migrate again.
pub(super) async fn legacy_b(k: &Kernel, mirror: usize, start: u32, end: u32) -> i32 {
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
