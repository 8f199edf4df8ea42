//! lib/test_hmm.c: the dmirror test driver (hmm-selftests.md §1), the oracle's other half: here the
//! driver's data, its callbacks, the ioctl dispatcher and the READ / WRITE / fault paths; migrate.rs and
//! ioctls.rs hold the rest.
//!
//! A mirror is one `open()` of `/dev/hmm_dmirrorN` by one process: a device page table plus an interval
//! notifier over the whole mm. Devices 0 and 1 are `MEMORY_DEVICE_PRIVATE` with distinct owners. Return
//! values are the kernel's (`-EINVAL`, `-ENOENT`, `-EFAULT`, `-EPERM`, `-EBUSY`); `cpages` and `faults`
//! follow the ioctl handlers exactly (faults counts driver fault passes, not CPU faults).

use crate::drivers::ops::{DevPagemapOps, MmuIntervalNotifierOps, OpFuture};
use crate::errno::{EBUSY, EFAULT, EINVAL, ENOENT, ENOMEM, EOPNOTSUPP, EPERM};
use crate::kernel::Kernel;
use crate::mm::hmm::{
    hmm_range_fault, HmmRange, HMM_PFN_ERROR, HMM_PFN_REQ_FAULT, HMM_PFN_REQ_MIGRATE,
    HMM_PFN_REQ_WRITE, HMM_PFN_VALID, HMM_PFN_WRITE,
};
use crate::mm::memory::{handle_mm_fault, VM_FAULT_ERROR, VM_FAULT_SIGBUS};
use crate::mm::migrate_device::{
    migrate_device_range, migrate_hmm_range_setup, migrate_pfn, migrate_vma_finalize,
    migrate_vma_pages, migrate_vma_setup, migrated, mpfn_page, MigrateVma, MIGRATE_PFN_MIGRATE,
    MIGRATE_PFN_WRITE, MIGRATE_VMA_SELECT_DEVICE_COHERENT, MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
    MIGRATE_VMA_SELECT_SYSTEM,
};
use crate::mm::mmu_notifier::{
    invalidate_range_end, invalidate_range_start, mmu_interval_read_begin, mmu_interval_retry,
    NotifierRange,
};
use crate::pte::{Pfn, Pte, ZERO_PFN};
use crate::trace::{fault, pack_page, Ev, Func, LockId, Milestone, NotifyEvent, RetryReason};
use crate::world::{DevId, DptEntry, DptTag, MmId, Zone};

mod ioctls;
mod migrate;
pub(crate) mod mmap;

use ioctls::*;
use migrate::*;
pub(crate) use migrate::{dmirror_migrate_finish, dmirror_migrate_on_fault_collect};

/// Pages per chunk of device memory (`DEVMEM_CHUNK_SIZE` = 256 MiB).
pub const DEVMEM_CHUNK_PAGES: u32 = 65_536;
/// pfns per `dmirror_range_fault` / snapshot / migrate call (D-old's `ARRAY_SIZE(pfns)` of 64).
pub const DMIRROR_CHUNK_PAGES: u32 = 64;
/// `HMM_DMIRROR_FLAG_FAIL_ALLOC`.
pub const HMM_DMIRROR_FLAG_FAIL_ALLOC: u32 = 1;

/// pfns per migrate chunk: 64 in test_hmm before the device-private THP series, `PTRS_PER_PTE` with it
/// (6.19+), so that a chunk can hold a whole aligned 2 MiB.
pub(crate) fn migrate_chunk_pages(k: &Kernel) -> u32 {
    if k.version.device_thp() {
        crate::world::PTRS_PER_PTE
    } else {
        DMIRROR_CHUNK_PAGES
    }
}

/// `MIGRATE_VMA_SELECT_COMPOUND` where test_hmm passes it (6.19+), else nothing.
pub(crate) fn select_compound(k: &Kernel) -> u32 {
    if k.version.device_thp() {
        crate::mm::migrate_device::MIGRATE_VMA_SELECT_COMPOUND
    } else {
        0
    }
}

/// `HMM_DMIRROR_FLAGS`: `dmirror->flags = cmd.npages`. The model keeps the one flag test_hmm has,
/// `FAIL_ALLOC`, on the mirror's device (each test opens one mirror per device).
fn dmirror_set_flags(k: &Kernel, mirror: usize, flags: u32) -> i32 {
    let _call = k.enter(Func::DmirrorFlags, flags);
    let dev = k.w().mirrors[mirror].dev;
    k.wm().devices[dev as usize].fail_alloc = flags & HMM_DMIRROR_FLAG_FAIL_ALLOC != 0;
    0
}
/// `HMM_RANGE_DEFAULT_TIMEOUT` (1000 ms) modelled as a bound on `dmirror_range_fault` restarts.
pub const RANGE_FAULT_MAX_RESTARTS: u32 = 1000;

/// Snapshot bytes (`HMM_DMIRROR_PROT_*`).
pub mod prot {
    pub const ERROR: u8 = 0xff;
    pub const NONE: u8 = 0x00;
    pub const READ: u8 = 0x01;
    pub const WRITE: u8 = 0x02;
    /// `HMM_DMIRROR_PROT_PMD`: the CPU maps the page with a PMD (map order 9).
    pub const PMD: u8 = 0x04;
    /// `HMM_DMIRROR_PROT_PUD`: with a PUD (map order 18): never, in this model (no PUD-mapped memory).
    pub const PUD: u8 = 0x08;
    pub const ZERO: u8 = 0x10;
    pub const DEV_PRIVATE_LOCAL: u8 = 0x20;
    pub const DEV_PRIVATE_REMOTE: u8 = 0x30;
    pub const DEV_COHERENT_LOCAL: u8 = 0x40;
    pub const DEV_COHERENT_REMOTE: u8 = 0x50;
}

/// The ioctls of `dmirror_fops_unlocked_ioctl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DmirrorCmd {
    Read,
    Write,
    MigrateToDev,
    MigrateToSys,
    Snapshot,
    Exclusive,
    CheckExclusive,
    Release,
    /// RFC 4/4 `HMM_DMIRROR_MIGRATE_ON_FAULT_TO_DEV`: the unified migrate-on-fault path, per chunk.
    MigrateOnFaultToDev,
    /// `HMM_DMIRROR_FLAGS` (test_hmm of 6.19+): the mirror's flags are `npages`;
    /// `HMM_DMIRROR_FLAG_FAIL_ALLOC` (1) makes the next migration allocation fail once.
    Flags,
}

impl DmirrorCmd {
    pub const ALL: [DmirrorCmd; 10] = [
        DmirrorCmd::Read,
        DmirrorCmd::Write,
        DmirrorCmd::MigrateToDev,
        DmirrorCmd::MigrateToSys,
        DmirrorCmd::Snapshot,
        DmirrorCmd::Exclusive,
        DmirrorCmd::CheckExclusive,
        DmirrorCmd::Release,
        DmirrorCmd::MigrateOnFaultToDev,
        DmirrorCmd::Flags,
    ];
    /// The uAPI name without the `HMM_DMIRROR_` prefix.
    pub fn name(self) -> &'static str {
        match self {
            DmirrorCmd::Read => "READ",
            DmirrorCmd::Write => "WRITE",
            DmirrorCmd::MigrateToDev => "MIGRATE_TO_DEV",
            DmirrorCmd::MigrateToSys => "MIGRATE_TO_SYS",
            DmirrorCmd::Snapshot => "SNAPSHOT",
            DmirrorCmd::Exclusive => "EXCLUSIVE",
            DmirrorCmd::CheckExclusive => "CHECK_EXCLUSIVE",
            DmirrorCmd::Release => "RELEASE",
            DmirrorCmd::MigrateOnFaultToDev => "MIGRATE_ON_FAULT_TO_DEV",
            DmirrorCmd::Flags => "FLAGS",
        }
    }
    pub fn parse(s: &str) -> Option<DmirrorCmd> {
        DmirrorCmd::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// What an ioctl returns to user space (counters only on success, as `copy_to_user` is skipped on error).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CmdResult {
    pub ret: i32,
    pub cpages: u64,
    pub faults: u64,
    /// READ / MIGRATE_TO_DEV / EXCLUSIVE: the bounce buffer (one content token per page).
    pub data: Vec<u32>,
    /// SNAPSHOT: one byte per page.
    pub snapshot: Vec<u8>,
}

/// The process and device a mirror belongs to.
pub(crate) fn mirror_ids(k: &Kernel, mirror: usize) -> (MmId, DevId) {
    let w = k.w();
    (w.mirrors[mirror].mm, w.mirrors[mirror].dev)
}

/// The end of the next chunk of a migrate ioctl's loop (`vma_lookup`, then clipped to the chunk size, the
/// range and the VMA), or `-EINVAL` if `at` is not in a readable VMA.
fn migrate_chunk_end(k: &Kernel, mm: MmId, at: u32, end: u32) -> Result<u32, i32> {
    let w = k.w();
    match w.mms[mm as usize].vma(at) {
        Some(vma) if vma.read => Ok((at + migrate_chunk_pages(k)).min(end).min(vma.end)),
        _ => Err(EINVAL),
    }
}

/// `dmirror->mutex` of mirror `mirror`, as a lock id.
pub(crate) fn driver_lock(mirror: usize) -> LockId {
    LockId::Driver(mirror as u8)
}

/// `pgmap_owner` of device `dev` as ranges and notifier events carry it (`NO_OWNER` is 0).
pub(crate) fn owner(dev: DevId) -> u8 {
    dev + 1
}

/// `dmirror_devmem_ops`: what the kernel calls on dmirror's device-private pages.
pub(crate) static DMIRROR_DEVMEM_OPS: DevPagemapOps = DevPagemapOps {
    migrate_to_ram: migrate_to_ram_op,
    page_free: dmirror_devmem_free,
    copy_to_pagecache: Some(dmirror_copy_to_pagecache),
};

/// The same table without the file-backed RFC's copy-back callback (`DriverOpts::file_copy_back` off):
/// test_hmm as the RFC's patches 2-3 leave it, before patch 4.
pub(crate) static DMIRROR_DEVMEM_OPS_NO_COPY_BACK: DevPagemapOps = DevPagemapOps {
    copy_to_pagecache: None,
    ..DMIRROR_DEVMEM_OPS
};

/// The RFC's copy-back callback: the device page's data, whatever the device wrote to it, goes to the
/// system page the page cache will hold.
fn dmirror_copy_to_pagecache(k: &Kernel, src: Pfn, dst: Pfn) {
    let _call = k.enter(Func::DmirrorCopyToPagecache, src);
    k.copy_page(src, dst);
}

fn migrate_to_ram_op(k: &Kernel, mm: MmId, vpn: u32, page: Pfn, write: bool) -> OpFuture<'_, u32> {
    Box::pin(dmirror_devmem_fault(k, mm, vpn, page, write))
}

fn invalidate_op(k: &Kernel, mirror: usize, r: NotifierRange, cur_seq: u64) -> OpFuture<'_, ()> {
    Box::pin(dmirror_interval_invalidate(k, mirror, r, cur_seq))
}

/// `dmirror_min_ops`: the interval notifier callbacks of every mirror.
pub(crate) static DMIRROR_MIN_OPS: MmuIntervalNotifierOps = MmuIntervalNotifierOps {
    invalidate: invalidate_op,
};

/// `dmirror_devmem_free` (`page_free`): the device page's last reference is gone; back to the free list
/// unless its chunk is being removed.
fn dmirror_devmem_free(k: &Kernel, pfn: Pfn) {
    let _call = k.enter(Func::DmirrorDevmemFree, pfn);
    let dev = device_of(k, pfn);
    let removing = {
        let mut w = k.wm();
        let d = &mut w.devices[dev as usize];
        d.cfree += 1;
        d.removing
    };
    let (zone, nr) = {
        let w = k.w();
        (
            w.frames[pfn as usize].zone,
            w.frames[pfn as usize].nr_pages(),
        )
    };
    // A 2 MiB device folio goes back whole to `free_folios`, a page to `free_pages`.
    for p in pfn..pfn + nr {
        k.reset_frame(p);
    }
    k.record(Ev::Free { pfn, zone });
    if !removing {
        let mut w = k.wm();
        let d = &mut w.devices[dev as usize];
        if nr > 1 {
            d.free_folios.push(pfn);
        } else {
            d.free.push(pfn);
        }
    }
}

/// The notifier callback. Filters the device's own `MMU_NOTIFY_MIGRATE`; everything else takes the
/// mutex, bumps the sequence and unmaps the device page table over the range.
async fn dmirror_interval_invalidate(k: &Kernel, mirror: usize, r: NotifierRange, cur_seq: u64) {
    let call = k.enter(Func::DmirrorIntervalInvalidate, pack_page(r.mm, r.start));
    let (dev, filter) = {
        let w = k.w();
        (w.mirrors[mirror].dev, w.mirrors[mirror].filter_own_migrate)
    };
    if filter && r.event == NotifyEvent::Migrate && r.owner == owner(dev) {
        call.ret(1);
        return;
    }
    k.lock(driver_lock(mirror)).await;
    k.set_sub_seq(mirror, cur_seq);
    // dmirror_do_update walks xa_for_each_range(start >> PAGE_SHIFT, end >> PAGE_SHIFT), whose last index is
    // inclusive: the page just past the invalidated range loses its device mapping too, and a later READ of
    // it faults again (test_hmm's reads and faults use exclusive ends; only the update does not).
    let vpns: Vec<u32> = k.w().mirrors[mirror]
        .pt
        .range(r.start..=r.end)
        .map(|(&v, _)| v)
        .collect();
    for vpn in vpns {
        k.dpt_set(mirror, vpn, None);
    }
    k.unlock(driver_lock(mirror));
    call.ret(1);
}

/// The ioctl dispatcher: argument checks, then the handler.
pub async fn dmirror_ioctl(
    k: &Kernel,
    mirror: usize,
    cmd: DmirrorCmd,
    start: u32,
    npages: u32,
    data: &[u32],
) -> CmdResult {
    if npages == 0 || start.checked_add(npages).is_none() {
        return CmdResult {
            ret: EINVAL,
            ..CmdResult::default()
        };
    }
    let mut res = CmdResult::default();
    let args = Cmd {
        mirror,
        start,
        end: start + npages,
        data,
        res: &mut res,
    };
    let ret = match cmd {
        DmirrorCmd::Read => dmirror_read(k, args).await,
        DmirrorCmd::Write => dmirror_write(k, args).await,
        DmirrorCmd::MigrateToDev => dmirror_migrate_to_device(k, args).await,
        DmirrorCmd::MigrateToSys => dmirror_migrate_to_system(k, args).await,
        DmirrorCmd::Snapshot => dmirror_snapshot(k, args).await,
        DmirrorCmd::Exclusive => dmirror_exclusive(k, args).await,
        DmirrorCmd::CheckExclusive => dmirror_check_atomic(k, args).await,
        DmirrorCmd::Release => dmirror_device_remove_chunks(k, mirror).await,
        DmirrorCmd::MigrateOnFaultToDev => dmirror_fault_and_migrate_to_device(k, args).await,
        DmirrorCmd::Flags => dmirror_set_flags(k, mirror, npages),
    };
    res.ret = ret;
    if res.ret != 0 {
        // On error the handler returns before copy_to_user: user space sees no counters.
        return CmdResult {
            ret: res.ret,
            ..CmdResult::default()
        };
    }
    res
}

/// An ioctl as its handler sees it: test_hmm's `struct hmm_dmirror_cmd` (the pages `[start, end)`, the
/// user buffer `data` for WRITE, the results `cpages`/`faults` and what READ/SNAPSHOT copy out) with the
/// `struct dmirror` it was issued on.
pub(super) struct Cmd<'a> {
    pub mirror: usize,
    pub start: u32,
    pub end: u32,
    pub data: &'a [u32],
    pub res: &'a mut CmdResult,
}

/// `dmirror_do_read`: copy each page through the device page table; `-ENOENT` at the first hole.
fn dmirror_do_read(k: &Kernel, mirror: usize, start: u32, end: u32, res: &mut CmdResult) -> i32 {
    for vpn in start..end {
        let e = k.w().mirrors[mirror].pt.get(&vpn).copied();
        let Some(e) = e else { return ENOENT };
        let content = k.w().folio(e.pfn).content;
        res.data.push(content);
        res.cpages += 1;
    }
    0
}

/// "Return the migrated data for verification": read the range through the device page table, under the
/// mutex. `cpages` is the number of pages the device can read; a missing pfn is `-ENOENT`.
async fn read_back(k: &Kernel, mirror: usize, start: u32, end: u32, res: &mut CmdResult) -> i32 {
    k.lock(driver_lock(mirror)).await;
    let ret = dmirror_do_read(k, mirror, start, end, res);
    k.unlock(driver_lock(mirror));
    ret
}

async fn dmirror_read(k: &Kernel, cmd: Cmd<'_>) -> i32 {
    let call = k.enter(Func::DmirrorRead, cmd.start);
    let mut at = cmd.start;
    loop {
        k.lock(driver_lock(cmd.mirror)).await;
        let ret = dmirror_do_read(k, cmd.mirror, at, cmd.end, cmd.res);
        k.unlock(driver_lock(cmd.mirror));
        if ret != ENOENT {
            call.ret(ret);
            return ret;
        }
        at = cmd.start + cmd.res.cpages as u32;
        let ret = dmirror_fault(k, cmd.mirror, at, cmd.end, false).await;
        if ret != 0 {
            call.ret(ret);
            return ret;
        }
        cmd.res.faults += 1;
    }
}

async fn dmirror_write(k: &Kernel, cmd: Cmd<'_>) -> i32 {
    let call = k.enter(Func::DmirrorWrite, cmd.start);
    loop {
        k.lock(driver_lock(cmd.mirror)).await;
        let ret = dmirror_do_write(
            k,
            cmd.mirror,
            cmd.start + cmd.res.cpages as u32,
            cmd.end,
            cmd.start,
            cmd.data,
            cmd.res,
        );
        k.unlock(driver_lock(cmd.mirror));
        if ret != ENOENT {
            call.ret(ret);
            return ret;
        }
        let ret = dmirror_fault(
            k,
            cmd.mirror,
            cmd.start + cmd.res.cpages as u32,
            cmd.end,
            true,
        )
        .await;
        if ret != 0 {
            call.ret(ret);
            return ret;
        }
        cmd.res.faults += 1;
    }
}

/// `dmirror_do_write`: store the user's data into each page mapped writable in the device page table.
fn dmirror_do_write(
    k: &Kernel,
    mirror: usize,
    from: u32,
    end: u32,
    start: u32,
    data: &[u32],
    res: &mut CmdResult,
) -> i32 {
    for vpn in from..end {
        let e = k.w().mirrors[mirror].pt.get(&vpn).copied();
        let Some(e) = e.filter(|e| e.tag == DptTag::Write) else {
            return ENOENT;
        };
        let value = data.get((vpn - start) as usize).copied().unwrap_or(0);
        k.store(e.pfn, value);
        res.cpages += 1;
    }
    0
}

/// `dmirror_fault`: `dmirror_range_fault` over the range in chunks.
async fn dmirror_fault(k: &Kernel, mirror: usize, start: u32, end: u32, write: bool) -> i32 {
    let call = k.enter(Func::DmirrorFault, start);
    let mut at = start;
    while at < end {
        let next = (at + DMIRROR_CHUNK_PAGES).min(end);
        let (mm, dev) = mirror_ids(k, mirror);
        let flags = HMM_PFN_REQ_FAULT | if write { HMM_PFN_REQ_WRITE } else { 0 };
        let mut range = HmmRange::new(k, mm, at, next, flags, owner(dev));
        range.notifier = Some(mirror);
        let ret = dmirror_range_fault(k, mirror, &mut range, true).await;
        if ret != 0 {
            call.ret(ret);
            return ret;
        }
        at = next;
    }
    0
}

/// The canonical driver loop (Documentation/mm/hmm.rst): `read_begin`, `hmm_range_fault` under
/// `mmap_lock`, then `read_retry` under the driver lock; with `program`, `dmirror_do_fault` maps the
/// result in the device page table. Returns with the mutex released.
pub async fn dmirror_range_fault(
    k: &Kernel,
    mirror: usize,
    range: &mut HmmRange,
    program: bool,
) -> i32 {
    let call = k.enter(Func::DmirrorRangeFault, pack_page(range.mm, range.start));
    let mut restarts = 0;
    loop {
        if restarts > RANGE_FAULT_MAX_RESTARTS {
            call.ret(EBUSY);
            return EBUSY; // the timeout
        }
        range.notifier_seq = mmu_interval_read_begin(k, mirror).await;
        k.mmap_read_lock(range.mm).await;
        let ret = hmm_range_fault(k, range).await;
        k.mmap_read_unlock(range.mm);
        if ret == EBUSY {
            restarts += 1;
            k.retry(RetryReason::DriverEbusy);
            continue;
        }
        if ret != 0 {
            call.ret(ret);
            return ret;
        }
        k.lock(driver_lock(mirror)).await;
        if mmu_interval_retry(k, mirror, range.notifier_seq, true) {
            k.unlock(driver_lock(mirror));
            restarts += 1;
            k.retry(RetryReason::DriverReadRetry);
            continue;
        }
        break;
    }
    let ret = if program {
        dmirror_do_fault(k, mirror, range)
    } else {
        0
    };
    k.unlock(driver_lock(mirror));
    call.ret(ret);
    ret
}

/// `dmirror_do_fault`: store each page, tagged WRITE iff `HMM_PFN_WRITE`.
fn dmirror_do_fault(k: &Kernel, mirror: usize, range: &HmmRange) -> i32 {
    for (i, &p) in range.hmm_pfns.iter().enumerate() {
        if p & HMM_PFN_VALID == 0 {
            return EFAULT; // WARN_ON in the driver
        }
        let write = p & HMM_PFN_WRITE != 0;
        if !write && range.default_flags & HMM_PFN_REQ_WRITE != 0 {
            return EFAULT;
        }
        let pfn = crate::mm::hmm::hmm_pfn_to_pfn(p);
        let tag = if write { DptTag::Write } else { DptTag::Read };
        k.dpt_set(mirror, range.start + i as u32, Some(DptEntry { pfn, tag }));
    }
    0
}
