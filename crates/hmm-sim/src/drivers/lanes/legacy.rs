//! Legacy A (`hmm_range_fault`, then `migrate_vma_*`) and legacy B (migrate what collect finds, fault in what
//! was missed, migrate again), B in either of the two policies real drivers use ([`BPolicy`]).

use super::invalidate_own_mappings;
use crate::drivers::dmirror::{
    dmirror_migrate_finish, dmirror_range_fault, driver_lock, mirror_ids, owner,
};
use crate::errno::{EBUSY, EFAULT};
use crate::kernel::Kernel;
use crate::mm::hmm::{HmmRange, HMM_PFN_REQ_FAULT, HMM_PFN_REQ_WRITE};
use crate::mm::hmm_pfn::{hmm_pfn_to_pfn, HMM_PFN_VALID};
use crate::mm::migrate_device::{
    migrate_vma_finalize, migrate_vma_setup, MigrateVma, MIGRATE_PFN_MIGRATE,
    MIGRATE_VMA_SELECT_DEVICE_PRIVATE, MIGRATE_VMA_SELECT_SYSTEM,
};
use crate::world::{BPolicy, Zone};

/// Fault the whole range in: the driver loop around `hmm_range_fault(REQ_FAULT[|REQ_WRITE])`, with the
/// scenario's write intent. Returns the range, whose `hmm_pfns` say where each page is.
async fn fault_in(k: &Kernel, mirror: usize, start: u32, end: u32) -> (i32, HmmRange) {
    let (mm, dev) = mirror_ids(k, mirror);
    let write = k.w().devices[dev as usize].driver.write;
    let flags = HMM_PFN_REQ_FAULT | if write { HMM_PFN_REQ_WRITE } else { 0 };
    let mut range = HmmRange::new(k, mm, start, end, flags, owner(dev));
    range.notifier = Some(mirror);
    let ret = dmirror_range_fault(k, mirror, &mut range, false).await;
    (ret, range)
}

/// One `migrate_vma_setup` → alloc+copy → `migrate_vma_pages` → map → `migrate_vma_finalize` round to this
/// mirror's device, with the device's [`crate::world::DriverOpts`]. The caller holds `mmap_lock`. Under
/// [`BPolicy::AllOrNothing`] (drm_pagemap's `drm_pagemap_migrate_to_devmem`), nothing collected is
/// `-EFAULT` and a partial collection is `-EBUSY` after `migrate_vma_finalize` put every page back.
pub(super) async fn migrate_round_to_device(
    k: &Kernel,
    mirror: usize,
    start: u32,
    end: u32,
    policy: BPolicy,
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
    if policy == BPolicy::AllOrNothing {
        if m.cpages == 0 {
            k.error(EFAULT);
            return (EFAULT, m);
        }
        if m.cpages != m.npages {
            migrate_vma_finalize(k, &mut m).await; // no dst: every collected page goes back
            k.error(EBUSY);
            return (EBUSY, m);
        }
    }
    invalidate_own_mappings(k, mirror, &m).await;
    dmirror_migrate_finish(k, mirror, &mut m).await;
    (0, m)
}

async fn migrate(
    k: &Kernel,
    mirror: usize,
    start: u32,
    end: u32,
    policy: BPolicy,
) -> (i32, MigrateVma) {
    let mm = k.w().mirrors[mirror].mm;
    k.mmap_read_lock(mm).await;
    let r = migrate_round_to_device(k, mirror, start, end, policy).await;
    k.mmap_read_unlock(mm);
    r
}

pub(super) async fn legacy_a(k: &Kernel, mirror: usize, start: u32, end: u32) -> i32 {
    let (ret, _) = fault_in(k, mirror, start, end).await;
    if ret != 0 {
        return ret;
    }
    migrate(k, mirror, start, end, BPolicy::Partial).await.0
}

/// Migrate; if pages were missed, fault the range in and migrate again. A driver reads the `hmm_pfns` its
/// fault returns: pages already on its own device (reported, never faulted) need no second round.
pub(super) async fn legacy_b(k: &Kernel, mirror: usize, start: u32, end: u32) -> i32 {
    let (_, dev) = mirror_ids(k, mirror);
    let policy = k.w().devices[dev as usize].driver.b_policy;
    let (ret, m) = migrate(k, mirror, start, end, policy).await;
    let missed: Vec<bool> = match (policy, ret) {
        (BPolicy::Partial, 0) if m.cpages == m.npages => return 0,
        (BPolicy::Partial, 0) => (0..m.npages as usize)
            .map(|i| m.src[i] & MIGRATE_PFN_MIGRATE == 0)
            .collect(),
        (BPolicy::AllOrNothing, 0) => return 0,
        (BPolicy::AllOrNothing, EBUSY | EFAULT) => vec![true; (end - start) as usize],
        (_, err) => return err,
    };
    let (ret, range) = fault_in(k, mirror, start, end).await;
    if ret != 0 {
        return ret;
    }
    let on_own_device = |i: usize| {
        let p = range.hmm_pfns[i];
        p & HMM_PFN_VALID != 0 && k.w().folio(hmm_pfn_to_pfn(p)).zone == Zone::DevicePrivate(dev)
    };
    if missed
        .iter()
        .enumerate()
        .all(|(i, &missed)| !missed || on_own_device(i))
    {
        return 0;
    }
    migrate(k, mirror, start, end, policy).await.0
}
