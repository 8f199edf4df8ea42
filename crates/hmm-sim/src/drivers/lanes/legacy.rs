//! Legacy A (`hmm_range_fault`, then `migrate_vma_*`) and legacy B (migrate what collect finds, fault in what
//! was missed, migrate again), B in either of the two policies real drivers use ([`BPolicy`]).

use super::invalidate_own_mappings;
use crate::drivers::dmirror::{
    dmirror_migrate_finish, dmirror_range_fault, driver_lock, mirror_ids, owner, select_compound,
};
use crate::errno::{EBUSY, EFAULT};
use crate::kernel::Kernel;
use crate::mm::hmm::{HmmRange, HMM_PFN_REQ_FAULT, HMM_PFN_REQ_WRITE};
use crate::mm::hmm_pfn::{hmm_pfn_to_pfn, HMM_PFN_VALID};
use crate::mm::migrate_device::{
    migrate_vma_finalize, migrate_vma_setup, MigrateVma, MIGRATE_PFN_COMPOUND, MIGRATE_PFN_MIGRATE,
    MIGRATE_VMA_SELECT_DEVICE_PRIVATE, MIGRATE_VMA_SELECT_SYSTEM,
};
use crate::world::{BPolicy, Zone, PTRS_PER_PTE};

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
    // On a kernel with device-private THPs (6.19+) a test_hmm-like driver takes a 2 MiB folio whole, as
    // test_hmm's dmirror_migrate_to_device and nouveau's migrate_to_ram do (`MIGRATE_VMA_SELECT_COMPOUND`).
    // drm_pagemap (the all-or-nothing policy) does not ask for it in 6.19 ([I]: its `cpages != npages`
    // check would refuse every compound collection, which counts one entry for 512 pages), so collect
    // splits the THP for it, as it does on every kernel before 6.19.
    let compound = match policy {
        BPolicy::Partial => select_compound(k),
        BPolicy::AllOrNothing => 0,
    };
    let select = MIGRATE_VMA_SELECT_SYSTEM
        | compound
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
/// The pages a migrate round did not take. A compound entry (`MIGRATE_PFN_COMPOUND`, 6.19+) stands for
/// its folio's 512 pages, whose own entries collect left empty: those pages moved with it.
fn missed_pages(m: &MigrateVma) -> Vec<bool> {
    let n = m.npages as usize;
    let mut missed = vec![true; n];
    let mut i = 0;
    while i < n {
        let taken = m.src[i] & MIGRATE_PFN_MIGRATE != 0;
        let nr = if taken && m.src[i] & MIGRATE_PFN_COMPOUND != 0 {
            (PTRS_PER_PTE as usize).min(n - i)
        } else {
            1
        };
        for page in &mut missed[i..i + nr] {
            *page = !taken;
        }
        i += nr;
    }
    missed
}

pub(super) async fn legacy_b(k: &Kernel, mirror: usize, start: u32, end: u32) -> i32 {
    let (_, dev) = mirror_ids(k, mirror);
    let policy = k.w().devices[dev as usize].driver.b_policy;
    let (ret, m) = migrate(k, mirror, start, end, policy).await;
    let missed: Vec<bool> = match (policy, ret) {
        (BPolicy::Partial, 0) if m.cpages == m.npages => return 0,
        (BPolicy::Partial, 0) => missed_pages(&m),
        (BPolicy::AllOrNothing, 0) => return 0,
        (BPolicy::AllOrNothing, EBUSY | EFAULT) => vec![true; (end - start) as usize],
        (_, err) => return err,
    };
    // Every page was taken after all: 2 MiB folios collected whole count once in `cpages`.
    if !missed.contains(&true) {
        return 0;
    }
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
