//! lib/test_hmm.c: the dmirror test driver (hmm-selftests.md §1), the oracle's other half.
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
    MIGRATE_PFN_WRITE, MIGRATE_VMA_SELECT_DEVICE_PRIVATE, MIGRATE_VMA_SELECT_SYSTEM,
};
use crate::mm::mmu_notifier::{
    invalidate_range_end, invalidate_range_start, mmu_interval_read_begin, mmu_interval_retry,
    NotifierRange,
};
use crate::pte::{Pfn, Pte, ZERO_PFN};
use crate::trace::{fault, pack_page, Func, Kind, LockId, Milestone, NotifyEvent, RetryReason};
use crate::world::{DevId, DptEntry, DptTag, MmId, Zone};

/// Pages per chunk of device memory (`DEVMEM_CHUNK_SIZE` = 256 MiB).
pub const DEVMEM_CHUNK_PAGES: u32 = 65_536;
/// pfns per `dmirror_range_fault` / snapshot / migrate call (D-old's `ARRAY_SIZE(pfns)` of 64).
pub const DMIRROR_CHUNK_PAGES: u32 = 64;
/// `HMM_RANGE_DEFAULT_TIMEOUT` (1000 ms) modelled as a bound on `dmirror_range_fault` restarts.
pub const RANGE_FAULT_MAX_RESTARTS: u32 = 1000;

/// Snapshot bytes (`HMM_DMIRROR_PROT_*`).
pub mod prot {
    pub const ERROR: u8 = 0xff;
    pub const NONE: u8 = 0x00;
    pub const READ: u8 = 0x01;
    pub const WRITE: u8 = 0x02;
    pub const ZERO: u8 = 0x10;
    pub const DEV_PRIVATE_LOCAL: u8 = 0x20;
    pub const DEV_PRIVATE_REMOTE: u8 = 0x30;
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
}

impl DmirrorCmd {
    pub const ALL: [DmirrorCmd; 9] = [
        DmirrorCmd::Read,
        DmirrorCmd::Write,
        DmirrorCmd::MigrateToDev,
        DmirrorCmd::MigrateToSys,
        DmirrorCmd::Snapshot,
        DmirrorCmd::Exclusive,
        DmirrorCmd::CheckExclusive,
        DmirrorCmd::Release,
        DmirrorCmd::MigrateOnFaultToDev,
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
        Some(vma) if vma.read => Ok((at + DMIRROR_CHUNK_PAGES).min(end).min(vma.end)),
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
};

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
    k.reset_frame(pfn);
    k.emit(Kind::Free, pfn, 1 + dev as u32, 0);
    if !removing {
        k.wm().devices[dev as usize].free.push(pfn);
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
    let vpns: Vec<u32> = k.w().mirrors[mirror]
        .pt
        .range(r.start..r.end)
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
    let end = start + npages;
    let mut res = CmdResult::default();
    res.ret = match cmd {
        DmirrorCmd::Read => dmirror_read(k, mirror, start, end, &mut res).await,
        DmirrorCmd::Write => dmirror_write(k, mirror, start, end, data, &mut res).await,
        DmirrorCmd::MigrateToDev => {
            dmirror_migrate_to_device(k, mirror, start, end, &mut res).await
        }
        DmirrorCmd::MigrateToSys => {
            dmirror_migrate_to_system(k, mirror, start, end, &mut res).await
        }
        DmirrorCmd::Snapshot => dmirror_snapshot(k, mirror, start, end, &mut res).await,
        DmirrorCmd::Exclusive => dmirror_exclusive(k, mirror, start, end, &mut res).await,
        DmirrorCmd::CheckExclusive => dmirror_check_atomic(k, mirror, start, end).await,
        DmirrorCmd::Release => dmirror_device_remove_chunks(k, mirror).await,
        DmirrorCmd::MigrateOnFaultToDev => {
            dmirror_fault_and_migrate_to_device(k, mirror, start, end, &mut res).await
        }
    };
    if res.ret != 0 {
        // On error the handler returns before copy_to_user: user space sees no counters.
        return CmdResult {
            ret: res.ret,
            ..CmdResult::default()
        };
    }
    res
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

async fn dmirror_read(k: &Kernel, mirror: usize, start: u32, end: u32, res: &mut CmdResult) -> i32 {
    let call = k.enter(Func::DmirrorRead, start);
    let mut at = start;
    loop {
        k.lock(driver_lock(mirror)).await;
        let ret = dmirror_do_read(k, mirror, at, end, res);
        k.unlock(driver_lock(mirror));
        if ret != ENOENT {
            call.ret(ret);
            return ret;
        }
        at = start + res.cpages as u32;
        let ret = dmirror_fault(k, mirror, at, end, false).await;
        if ret != 0 {
            call.ret(ret);
            return ret;
        }
        res.faults += 1;
    }
}

async fn dmirror_write(
    k: &Kernel,
    mirror: usize,
    start: u32,
    end: u32,
    data: &[u32],
    res: &mut CmdResult,
) -> i32 {
    let call = k.enter(Func::DmirrorWrite, start);
    loop {
        k.lock(driver_lock(mirror)).await;
        let ret = dmirror_do_write(k, mirror, start + res.cpages as u32, end, start, data, res);
        k.unlock(driver_lock(mirror));
        if ret != ENOENT {
            call.ret(ret);
            return ret;
        }
        let ret = dmirror_fault(k, mirror, start + res.cpages as u32, end, true).await;
        if ret != 0 {
            call.ret(ret);
            return ret;
        }
        res.faults += 1;
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

/// `dmirror_devmem_alloc_page`: pop a free device page (a new chunk if none), refcount 1, locked
/// (`zone_device_page_init`). `None` when `FAIL_ALLOC` is armed.
pub fn dmirror_devmem_alloc_page(k: &Kernel, dev: DevId, mirror: (DevId, MmId)) -> Option<Pfn> {
    let call = k.enter(Func::DmirrorDevmemAllocPage, 0);
    let fail = std::mem::take(&mut k.wm().devices[dev as usize].fail_alloc);
    if fail {
        call.ret(ENOMEM);
        return None;
    }
    let pfn = {
        let mut w = k.wm();
        let pfn = w.devmem_pop(dev, DEVMEM_CHUNK_PAGES);
        let f = &mut w.frames[pfn as usize];
        f.mirror = Some(mirror);
        f.locked = Some(k.tid());
        pfn
    };
    k.emit(Kind::Alloc, pfn, 1 + dev as u32, 0);
    k.emit(Kind::Ref, pfn, 1, 0);
    k.emit(Kind::LockAcquire, LockId::Folio(pfn).pack(), 0, 0);
    Some(pfn)
}

/// Allocate a device page for each collected src and copy (or clear) its data.
pub fn dmirror_migrate_alloc_and_copy(k: &Kernel, mirror: usize, m: &mut MigrateVma) {
    let _call = k.enter(Func::DmirrorMigrateAllocAndCopy, pack_page(m.mm, m.start));
    let (mm, dev) = mirror_ids(k, mirror);
    for i in 0..m.npages as usize {
        if m.src[i] & MIGRATE_PFN_MIGRATE == 0 {
            continue;
        }
        let spage = mpfn_page(m.src[i]);
        if spage.is_some_and(|p| k.w().folio(p).is_device()) {
            continue; // WARN: already device memory
        }
        let Some(dpage) = dmirror_devmem_alloc_page(k, dev, (dev, mm)) else {
            continue;
        };
        match spage {
            Some(s) => k.copy_page(s, dpage),
            None => k.set_content(dpage, 0), // clear_highpage
        }
        m.set_dst(k, i, migrate_pfn(dpage) | (m.src[i] & MIGRATE_PFN_WRITE));
    }
    k.milestone(Milestone::Copied);
}

/// Map every successfully migrated page in the device page table (WRITE iff dst WRITE).
pub async fn dmirror_migrate_finalize_and_map(k: &Kernel, mirror: usize, m: &MigrateVma) {
    let _call = k.enter(Func::DmirrorMigrateFinalizeAndMap, pack_page(m.mm, m.start));
    k.lock(driver_lock(mirror)).await;
    for i in 0..m.npages as usize {
        if m.src[i] & MIGRATE_PFN_MIGRATE == 0 {
            continue;
        }
        let Some(dpage) = mpfn_page(m.dst[i]) else {
            continue;
        };
        let tag = if m.dst[i] & MIGRATE_PFN_WRITE != 0 {
            DptTag::Write
        } else {
            DptTag::Read
        };
        k.dpt_set(
            mirror,
            m.start + i as u32,
            Some(DptEntry { pfn: dpage, tag }),
        );
    }
    k.unlock(driver_lock(mirror));
}

/// The second half of every migration to the device, after collection: `dmirror_migrate_alloc_and_copy`,
/// `migrate_vma_pages`, `dmirror_migrate_finalize_and_map`, `migrate_vma_finalize`.
pub(crate) async fn dmirror_migrate_finish(k: &Kernel, mirror: usize, m: &mut MigrateVma) {
    dmirror_migrate_alloc_and_copy(k, mirror, m);
    migrate_vma_pages(k, m).await;
    dmirror_migrate_finalize_and_map(k, mirror, m).await;
    migrate_vma_finalize(k, m).await;
}

/// One chunk of `dmirror_migrate_to_device`: `migrate_vma_setup` (SELECT_SYSTEM) then the rest of the
/// round. The caller holds `mmap_lock`.
async fn dmirror_migrate_chunk(k: &Kernel, mirror: usize, start: u32, end: u32) -> i32 {
    let (mm, dev) = mirror_ids(k, mirror);
    let mut m = MigrateVma::new(k, mm, start, end, owner(dev), MIGRATE_VMA_SELECT_SYSTEM);
    let ret = migrate_vma_setup(k, &mut m).await;
    if ret != 0 {
        return ret;
    }
    dmirror_migrate_finish(k, mirror, &mut m).await;
    0
}

async fn dmirror_migrate_to_device(
    k: &Kernel,
    mirror: usize,
    start: u32,
    end: u32,
    res: &mut CmdResult,
) -> i32 {
    let call = k.enter(Func::DmirrorMigrateToDevice, start);
    let mm = k.w().mirrors[mirror].mm;
    k.mmap_read_lock(mm).await;
    let mut at = start;
    while at < end {
        let next = match migrate_chunk_end(k, mm, at, end) {
            Ok(next) => next,
            Err(e) => {
                k.mmap_read_unlock(mm);
                call.ret(e);
                return e;
            }
        };
        let ret = dmirror_migrate_chunk(k, mirror, at, next).await;
        if ret != 0 {
            k.mmap_read_unlock(mm);
            call.ret(ret);
            return ret;
        }
        at = next;
    }
    k.mmap_read_unlock(mm);
    let ret = read_back(k, mirror, start, end, res).await;
    call.ret(ret);
    ret
}

/// RFC 4/4 `dmirror_fault_and_migrate_to_device`: per chunk, under `mmap_lock`, one migrate-on-fault
/// round; then the range is read back through the device page table.
async fn dmirror_fault_and_migrate_to_device(
    k: &Kernel,
    mirror: usize,
    start: u32,
    end: u32,
    res: &mut CmdResult,
) -> i32 {
    let call = k.enter(Func::DmirrorMigrateToDevice, start);
    let mm = k.w().mirrors[mirror].mm;
    let mut at = start;
    while at < end {
        let next = (at + DMIRROR_CHUNK_PAGES).min(end);
        k.mmap_read_lock(mm).await;
        let ret = match dmirror_migrate_on_fault_collect(k, mirror, at, next).await {
            Ok(mut m) => {
                dmirror_migrate_finish(k, mirror, &mut m).await;
                0
            }
            Err(ret) => ret,
        };
        k.mmap_read_unlock(mm);
        if ret != 0 {
            call.ret(ret);
            return ret;
        }
        at = next;
    }
    let ret = read_back(k, mirror, start, end, res).await;
    call.ret(ret);
    ret
}

/// Allocate system pages for device pages being migrated back, erase them from the device page table
/// and copy the data (`dmirror_devmem_fault_alloc_and_copy`).
async fn dmirror_devmem_fault_alloc_and_copy(
    k: &Kernel,
    m: &mut MigrateVma,
    mirror: Option<usize>,
) -> u32 {
    let _call = k.enter(
        Func::DmirrorDevmemFaultAllocAndCopy,
        pack_page(m.mm, m.start),
    );
    for i in 0..m.npages as usize {
        let Some(spage) = mpfn_page(m.src[i]) else {
            continue;
        };
        if m.src[i] & MIGRATE_PFN_MIGRATE == 0 || !k.w().folio(spage).is_device() {
            continue;
        }
        let dev = device_of(k, spage);
        let fail = std::mem::take(&mut k.wm().devices[dev as usize].fail_alloc);
        if fail {
            return crate::mm::memory::VM_FAULT_OOM;
        }
        let dpage = k.alloc_system(0);
        k.lock(LockId::Folio(dpage)).await;
        if let Some(mirror) = mirror {
            let vpn = k.w().folio(spage).index;
            k.lock(driver_lock(mirror)).await;
            k.dpt_set(mirror, vpn, None); // xa_erase
            k.unlock(driver_lock(mirror));
        }
        k.copy_page(spage, dpage);
        m.set_dst(k, i, migrate_pfn(dpage) | (m.src[i] & MIGRATE_PFN_WRITE));
    }
    0
}

fn device_of(k: &Kernel, pfn: Pfn) -> DevId {
    match k.w().folio(pfn).zone {
        Zone::DevicePrivate(d) => d,
        _ => 0,
    }
}

async fn dmirror_migrate_to_system(
    k: &Kernel,
    mirror: usize,
    start: u32,
    end: u32,
    res: &mut CmdResult,
) -> i32 {
    let call = k.enter(Func::DmirrorMigrateToSystem, start);
    let (mm, dev) = mirror_ids(k, mirror);
    k.mmap_read_lock(mm).await;
    let mut at = start;
    while at < end {
        let next = match migrate_chunk_end(k, mm, at, end) {
            Ok(next) => next,
            Err(e) => {
                k.mmap_read_unlock(mm);
                call.ret(e);
                return e;
            }
        };
        let mut m = MigrateVma::new(
            k,
            mm,
            at,
            next,
            owner(dev),
            MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
        );
        let ret = migrate_vma_setup(k, &mut m).await;
        if ret != 0 {
            k.mmap_read_unlock(mm);
            call.ret(ret);
            return ret;
        }
        dmirror_devmem_fault_alloc_and_copy(k, &mut m, Some(mirror)).await;
        migrate_vma_pages(k, &mut m).await;
        res.cpages += (0..m.npages as usize).filter(|&i| migrated(&m, i)).count() as u64;
        migrate_vma_finalize(k, &mut m).await;
        at = next;
    }
    k.mmap_read_unlock(mm);
    0
}

/// `pgmap->ops->migrate_to_ram`: migrate the faulted device page back to system memory.
/// `page` is locked by `do_swap_page` since 6.15 and referenced by it in every version.
async fn dmirror_devmem_fault(k: &Kernel, mm: MmId, vpn: u32, page: Pfn, _write: bool) -> u32 {
    let call = k.enter(Func::DmirrorDevmemFault, pack_page(mm, vpn));
    let (dev, mirror) = {
        let w = k.w();
        let f = w.folio(page);
        let dev = device_of(k, page);
        (dev, f.mirror.and_then(|(d, m)| w.mirror_index(d, m)))
    };
    let serialise = k.w().devices[dev as usize].migrate_to_ram_lock;
    let lock = LockId::DevmemMigrate(dev);
    if serialise {
        k.lock(lock).await; // Xe-style: one migrate_to_ram at a time (kernel-model.md §4)
    }
    let mut m = MigrateVma::new(
        k,
        mm,
        vpn,
        vpn + 1,
        owner(dev),
        MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
    );
    m.fault_page = Some(page);
    let ret = if migrate_vma_setup(k, &mut m).await != 0 {
        VM_FAULT_SIGBUS
    } else {
        let r = dmirror_devmem_fault_alloc_and_copy(k, &mut m, mirror).await;
        if r == 0 {
            migrate_vma_pages(k, &mut m).await;
            migrate_vma_finalize(k, &mut m).await;
        }
        r
    };
    if serialise {
        k.unlock(lock);
    }
    call.ret(ret as i32);
    ret
}

/// `dmirror_mkentry`: one snapshot byte.
fn dmirror_mkentry(k: &Kernel, dev: DevId, p: u64) -> u8 {
    if p & HMM_PFN_ERROR != 0 {
        return prot::ERROR;
    }
    if p & HMM_PFN_VALID == 0 {
        return prot::NONE;
    }
    let pfn = crate::mm::hmm::hmm_pfn_to_pfn(p);
    let base = match k.w().folio(pfn).zone {
        Zone::DevicePrivate(d) if d == dev => prot::DEV_PRIVATE_LOCAL,
        Zone::DevicePrivate(_) => prot::DEV_PRIVATE_REMOTE,
        Zone::Zero => prot::ZERO,
        Zone::System => prot::NONE,
    };
    base | if p & HMM_PFN_WRITE != 0 {
        prot::WRITE
    } else {
        prot::READ
    }
}

/// SNAPSHOT: `hmm_range_fault` with no fault flags, chunk by chunk. (Simplified: the kernel inserts a
/// temporary interval notifier per chunk; the model reuses the mirror's.)
async fn dmirror_snapshot(
    k: &Kernel,
    mirror: usize,
    start: u32,
    end: u32,
    res: &mut CmdResult,
) -> i32 {
    let call = k.enter(Func::DmirrorSnapshot, start);
    let (mm, dev) = mirror_ids(k, mirror);
    let mut at = start;
    while at < end {
        let next = (at + DMIRROR_CHUNK_PAGES).min(end);
        let mut range = HmmRange::new(k, mm, at, next, 0, owner(dev));
        range.notifier = Some(mirror);
        let ret = dmirror_range_fault(k, mirror, &mut range, false).await;
        if ret != 0 {
            call.ret(ret);
            return ret;
        }
        for &p in &range.hmm_pfns {
            res.snapshot.push(dmirror_mkentry(k, dev, p));
        }
        res.cpages += (next - at) as u64;
        at = next;
    }
    0
}

/// EXCLUSIVE: `make_device_exclusive` on each page, mapped ATOMIC in the device page table.
async fn dmirror_exclusive(
    k: &Kernel,
    mirror: usize,
    start: u32,
    end: u32,
    res: &mut CmdResult,
) -> i32 {
    let call = k.enter(Func::DmirrorExclusive, start);
    let mm = k.w().mirrors[mirror].mm;
    k.mmap_read_lock(mm).await;
    for vpn in start..end {
        match make_device_exclusive(k, mm, vpn).await {
            Ok(pfn) => {
                k.lock(driver_lock(mirror)).await;
                k.dpt_set(
                    mirror,
                    vpn,
                    Some(DptEntry {
                        pfn,
                        tag: DptTag::Atomic,
                    }),
                );
                k.unlock(driver_lock(mirror));
                k.folio_unlock(pfn);
                k.folio_put(pfn);
            }
            Err(e) => {
                k.mmap_read_unlock(mm);
                call.ret(e);
                return e;
            }
        }
    }
    k.mmap_read_unlock(mm);
    let ret = read_back(k, mirror, start, end, res).await;
    ret
}

/// `make_device_exclusive(mm, addr, NULL, &folio)`: fault the page in writable (GUP with FOLL_WRITE),
/// lock it, and swap its PTE for a device-exclusive entry under `MMU_NOTIFY_EXCLUSIVE`. Returns the
/// folio locked and referenced.
async fn make_device_exclusive(k: &Kernel, mm: MmId, vpn: u32) -> Result<Pfn, i32> {
    let _call = k.enter(Func::MakeDeviceExclusive, pack_page(mm, vpn));
    loop {
        let pte = k.pte_read(mm, vpn, false);
        match pte {
            Pte::Present {
                pfn, write: true, ..
            } if pfn != ZERO_PFN => {
                if k.w().folio(pfn).anon_vma.is_none() {
                    return Err(EOPNOTSUPP); // not anonymous
                }
                k.folio_get(pfn);
                k.lock(LockId::Folio(pfn)).await;
                let range = NotifierRange::one_page(mm, vpn, NotifyEvent::Exclusive);
                invalidate_range_start(k, range).await;
                let ptl = k.pte_lock(mm, vpn).await;
                let ok = k.pte_read(mm, vpn, false) == pte;
                if ok {
                    k.tlb_flush(vpn, vpn + 1); // ptep_clear_flush
                    k.pte_write(mm, vpn, Pte::DeviceExclusive { pfn, write: true });
                }
                k.unlock(ptl);
                invalidate_range_end(k, range);
                if ok {
                    return Ok(pfn);
                }
                k.folio_unlock(pfn);
                k.folio_put(pfn);
            }
            _ => {
                k.mmap_read_unlock(mm);
                k.mmap_read_lock(mm).await;
                let r = handle_mm_fault(k, mm, vpn, fault::WRITE | fault::REMOTE).await;
                if r & VM_FAULT_ERROR != 0 {
                    return Err(EFAULT);
                }
                k.retry(RetryReason::Refault);
            }
        }
    }
}

async fn dmirror_check_atomic(k: &Kernel, mirror: usize, start: u32, end: u32) -> i32 {
    let call = k.enter(Func::DmirrorCheckAtomic, start);
    k.lock(driver_lock(mirror)).await;
    let atomic = k.w().mirrors[mirror]
        .pt
        .range(start..end)
        .any(|(_, e)| e.tag == DptTag::Atomic);
    k.unlock(driver_lock(mirror));
    let ret = if atomic { EPERM } else { 0 };
    call.ret(ret);
    ret
}

/// RELEASE: evict every chunk of the device to system memory and remove it.
async fn dmirror_device_remove_chunks(k: &Kernel, mirror: usize) -> i32 {
    let _call = k.enter(Func::DmirrorDeviceRemoveChunks, 0);
    let dev = k.w().mirrors[mirror].dev;
    let chunks = {
        let mut w = k.wm();
        let d = &mut w.devices[dev as usize];
        d.removing = true;
        d.free.clear(); // dmirror_remove_free_pages
        std::mem::take(&mut d.chunks)
    };
    for (first, n) in chunks {
        let pfns: Vec<Pfn> = (first..first + n).collect();
        let mut m = MigrateVma::new(k, 0, 0, n, owner(dev), 0);
        migrate_device_range(k, &mut m, &pfns).await;
        // dmirror_device_evict_chunk: allocate, copy, commit.
        for i in 0..m.npages as usize {
            let Some(spage) = mpfn_page(m.src[i]) else {
                continue;
            };
            if m.src[i] & MIGRATE_PFN_MIGRATE == 0 {
                continue;
            }
            let dpage = k.alloc_system(0);
            k.lock(LockId::Folio(dpage)).await;
            k.copy_page(spage, dpage);
            m.set_dst(k, i, migrate_pfn(dpage) | (m.src[i] & MIGRATE_PFN_WRITE));
        }
        m.start = 0;
        migrate_vma_pages(k, &mut m).await;
        migrate_vma_finalize(k, &mut m).await;
    }
    k.wm().devices[dev as usize].removing = false;
    0
}

/// The RFC's test driver (`dmirror_fault_and_migrate_to_device`, one chunk), collection half: one
/// `hmm_range_fault(REQ_FAULT|REQ_MIGRATE)` walk that faults pages in and installs migration entries, then
/// `migrate_hmm_range_setup`; [`dmirror_migrate_finish`] does the rest. The caller holds `mmap_lock`. On `-EBUSY` the driver
/// first restores what the walk collected, then retries (the model's choice: RFC v1's behaviour after a
/// partial conversion is an open question, kernel-model.md §7.1).
pub(crate) async fn dmirror_migrate_on_fault_collect(
    k: &Kernel,
    mirror: usize,
    start: u32,
    end: u32,
) -> Result<MigrateVma, i32> {
    let (mm, dev) = mirror_ids(k, mirror);
    let mut attempts = 0;
    let (range, mut m) = loop {
        let mut range = HmmRange::new(
            k,
            mm,
            start,
            end,
            HMM_PFN_REQ_FAULT | HMM_PFN_REQ_MIGRATE,
            dev + 1,
        );
        range.notifier = Some(mirror);
        range.migrate_flags = Some(0);
        let mut m = MigrateVma::new(k, mm, start, end, dev + 1, 0);
        range.notifier_seq = mmu_interval_read_begin(k, mirror).await;
        let mut ret = hmm_range_fault(k, &mut range).await;
        if ret == 0 {
            k.lock(driver_lock(mirror)).await;
            let stale = mmu_interval_retry(k, mirror, range.notifier_seq, true);
            k.unlock(driver_lock(mirror));
            if !stale {
                break (range, m);
            }
            ret = EBUSY;
        }
        // Undo the partial conversion: every collected entry goes back to its page.
        // The walk has installed every migration entry: the unified path's collect phase is over.
        k.milestone(Milestone::Collected);
        migrate_hmm_range_setup(k, &mut m, &range.hmm_pfns).await;
        migrate_vma_finalize(k, &mut m).await;
        attempts += 1;
        if ret != EBUSY || attempts > RANGE_FAULT_MAX_RESTARTS {
            return Err(ret);
        }
        k.retry(RetryReason::DriverEbusy);
    };
    migrate_hmm_range_setup(k, &mut m, &range.hmm_pfns).await;
    Ok(m)
}
