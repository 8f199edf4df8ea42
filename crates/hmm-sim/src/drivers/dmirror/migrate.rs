//! lib/test_hmm.c's migration paths: device page allocation, the copy to and from device memory,
//! MIGRATE_TO_DEV / MIGRATE_TO_SYS, `migrate_to_ram` (`dmirror_devmem_fault`) and the RFC's
//! migrate-on-fault collection.

use super::*;
use crate::mm::migrate_device::MIGRATE_PFN_COMPOUND;
use crate::world::PTRS_PER_PTE;

/// `HMM_DMIRROR_FLAG_FAIL_ALLOC`, tested and cleared by the allocation it fails.
fn take_fail_alloc(k: &Kernel, dev: DevId) -> bool {
    std::mem::take(&mut k.wm().devices[dev as usize].fail_alloc)
}

/// `dmirror_devmem_alloc_page(dmirror, is_large)`: pop a free device page (a new chunk if none), or with
/// `is_large` a free 2 MiB device folio (`free_folios`, 6.19+); refcount 1 on the head, locked
/// (`zone_device_folio_init`).
pub fn dmirror_devmem_alloc_page(
    k: &Kernel,
    dev: DevId,
    mirror: (DevId, MmId),
    is_large: bool,
) -> Pfn {
    let _call = k.enter(Func::DmirrorDevmemAllocPage, 0);
    let pfn = {
        let mut w = k.wm();
        let pfn = if is_large {
            let zone = w.devices[dev as usize].zone();
            let head = match w.devices[dev as usize].free_folios.pop() {
                Some(head) => head,
                None => {
                    // dmirror_allocate_chunk(is_large): the model's large chunk is one folio.
                    let head = w.contiguous_frames(zone, PTRS_PER_PTE);
                    w.devices[dev as usize].chunks.push((head, PTRS_PER_PTE));
                    head
                }
            };
            w.prep_compound(head, crate::mm::huge_memory::HPAGE_PMD_ORDER);
            w.frames[head as usize].refcount = 1;
            w.devices[dev as usize].calloc += PTRS_PER_PTE as u64;
            head
        } else {
            w.devmem_pop(dev, DEVMEM_CHUNK_PAGES)
        };
        let f = &mut w.frames[pfn as usize];
        f.mirror = Some(mirror);
        f.locked = Some(k.tid());
        pfn
    };
    let zone = k.w().devices[dev as usize].zone();
    k.record(Ev::Alloc { pfn, zone });
    k.record(Ev::Ref {
        pfn,
        old: 0,
        new: 1,
    });
    let lock = LockId::Folio(pfn);
    k.record(Ev::LockAcquire {
        lock,
        shared: false,
    });
    pfn
}

/// Allocate a device page for each collected src and copy (or clear) its data. A compound src (6.19+)
/// gets a 2 MiB device folio and a `COMPOUND` dst; with `FAIL_ALLOC` armed that allocation fails and it
/// falls back to 512 device pages (a 4 KiB src is then simply not migrated).
pub fn dmirror_migrate_alloc_and_copy(k: &Kernel, mirror: usize, m: &mut MigrateVma) {
    let _call = k.enter(Func::DmirrorMigrateAllocAndCopy, pack_page(m.mm, m.start));
    let (mm, dev) = mirror_ids(k, mirror);
    let mut next = 0usize;
    while next < m.npages as usize {
        let i = next;
        next += 1;
        if m.src[i] & MIGRATE_PFN_MIGRATE == 0 {
            continue;
        }
        let spage = mpfn_page(m.src[i]);
        if spage.is_some_and(|p| k.w().folio(p).is_device()) {
            continue; // WARN: already device memory
        }
        let is_large = m.src[i] & MIGRATE_PFN_COMPOUND != 0;
        let nr = if is_large {
            (PTRS_PER_PTE as usize).min(m.npages as usize - i)
        } else {
            1
        };
        if take_fail_alloc(k, dev) {
            let _fail = k.enter(Func::DmirrorDevmemAllocPage, 0);
            _fail.ret(ENOMEM);
            drop(_fail);
            if !is_large {
                continue;
            }
            // "Try with smaller pages": one device page per 4 KiB of the 2 MiB.
            let wbit = m.src[i] & MIGRATE_PFN_WRITE;
            for j in i..i + nr {
                let dpage = dmirror_devmem_alloc_page(k, dev, (dev, mm), false);
                match spage {
                    Some(s) => k.copy_page(s + (j - i) as u32, dpage),
                    None => k.set_content(dpage, 0),
                }
                m.set_dst(k, j, migrate_pfn(dpage) | wbit);
            }
            next = i + nr;
            continue;
        }
        let dpage = dmirror_devmem_alloc_page(k, dev, (dev, mm), is_large);
        if is_large {
            for j in 0..nr as u32 {
                match spage {
                    Some(s) => k.copy_page(s + j, dpage + j),
                    None => k.set_content(dpage + j, 0),
                }
            }
            let wbit = m.src[i] & MIGRATE_PFN_WRITE;
            m.set_dst(k, i, migrate_pfn(dpage) | wbit | MIGRATE_PFN_COMPOUND);
            next = i + nr;
            continue;
        }
        match spage {
            Some(s) => k.copy_page(s, dpage),
            None => k.set_content(dpage, 0), // clear_highpage
        }
        // test_hmm maps a page with no source writable when the VMA is (a hole or the zero page of a
        // writable mapping: nothing to copy-on-write).
        let vma_writable = k.w().mms[mm as usize]
            .vma(m.start + i as u32)
            .is_some_and(|v| v.write);
        let write = m.src[i] & MIGRATE_PFN_WRITE != 0 || (spage.is_none() && vma_writable);
        m.set_dst(
            k,
            i,
            migrate_pfn(dpage) | if write { MIGRATE_PFN_WRITE } else { 0 },
        );
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
        // A 2 MiB device folio is mapped page by page (one xarray entry per page).
        let nr = if m.dst[i] & MIGRATE_PFN_COMPOUND != 0 {
            k.w().folio(dpage).nr_pages()
        } else {
            1
        };
        for j in 0..nr {
            k.dpt_set(
                mirror,
                m.start + i as u32 + j,
                Some(DptEntry {
                    pfn: dpage + j,
                    tag,
                }),
            );
        }
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
pub(super) async fn dmirror_migrate_chunk(k: &Kernel, mirror: usize, start: u32, end: u32) -> i32 {
    let (mm, dev) = mirror_ids(k, mirror);
    let flags = MIGRATE_VMA_SELECT_SYSTEM | select_compound(k);
    let mut m = MigrateVma::new(k, mm, start, end, owner(dev), flags);
    let ret = migrate_vma_setup(k, &mut m).await;
    if ret != 0 {
        return ret;
    }
    dmirror_migrate_finish(k, mirror, &mut m).await;
    0
}

pub(super) async fn dmirror_migrate_to_device(k: &Kernel, cmd: Cmd<'_>) -> i32 {
    let call = k.enter(Func::DmirrorMigrateToDevice, cmd.start);
    let mut ret = dmirror_migrate_chunks(
        k,
        cmd.mirror,
        cmd.start,
        cmd.end,
        MigrateTo::Device,
        cmd.res,
    )
    .await;
    if ret == 0 {
        ret = read_back(k, cmd.mirror, cmd.start, cmd.end, cmd.res).await;
    }
    call.ret(ret);
    ret
}

/// RFC 4/4 `dmirror_fault_and_migrate_to_device`: per chunk, under `mmap_lock`, one migrate-on-fault
/// round; then the range is read back through the device page table.
pub(super) async fn dmirror_fault_and_migrate_to_device(k: &Kernel, cmd: Cmd<'_>) -> i32 {
    let call = k.enter(Func::DmirrorMigrateToDevice, cmd.start);
    let mm = k.w().mirrors[cmd.mirror].mm;
    let mut at = cmd.start;
    while at < cmd.end {
        let next = (at + DMIRROR_CHUNK_PAGES).min(cmd.end);
        k.mmap_read_lock(mm).await;
        let ret = match dmirror_migrate_on_fault_collect(k, cmd.mirror, at, next, false).await {
            Ok(mut m) => {
                dmirror_migrate_finish(k, cmd.mirror, &mut m).await;
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
    let ret = read_back(k, cmd.mirror, cmd.start, cmd.end, cmd.res).await;
    call.ret(ret);
    ret
}

/// RFC v1's test driver, as posted: `dmirror_range_fault` (its own `mmap_read_lock`, nested in the chunk
/// loop's; `-EBUSY` retried by walking again, without undoing the migration entries the first walk installed,
/// so the new walk can meet one and sleep in `migration_entry_wait` on a folio this thread locked), then
/// `migrate_hmm_range_setup` without checking what the fault returned.
async fn rfc_v1_collect(
    k: &Kernel,
    mirror: usize,
    start: u32,
    end: u32,
    write: bool,
) -> MigrateVma {
    let (mm, dev) = mirror_ids(k, mirror);
    let flags = HMM_PFN_REQ_FAULT | HMM_PFN_REQ_MIGRATE | if write { HMM_PFN_REQ_WRITE } else { 0 };
    let mut range = HmmRange::new(k, mm, start, end, flags, dev + 1);
    range.notifier = Some(mirror);
    range.migrate_flags = Some(0);
    let mut m = MigrateVma::new(k, mm, start, end, dev + 1, 0);
    let _unchecked = dmirror_range_fault(k, mirror, &mut range, false).await;
    k.milestone(Milestone::Collected);
    migrate_hmm_range_setup(k, &mut m, &range.hmm_pfns).await;
    m
}

/// Allocate system pages for device pages being migrated back, erase them from the device page table
/// and copy the data (`dmirror_devmem_fault_alloc_and_copy`).
pub(super) async fn dmirror_devmem_fault_alloc_and_copy(
    k: &Kernel,
    m: &mut MigrateVma,
    mirror: Option<usize>,
) -> u32 {
    let _call = k.enter(
        Func::DmirrorDevmemFaultAllocAndCopy,
        pack_page(m.mm, m.start),
    );
    let mut next = 0usize;
    while next < m.npages as usize {
        let i = next;
        next += 1;
        let Some(spage) = mpfn_page(m.src[i]) else {
            continue;
        };
        if m.src[i] & MIGRATE_PFN_MIGRATE == 0 || !k.w().folio(spage).is_device() {
            continue;
        }
        let dev = device_of(k, spage);
        // A 2 MiB device folio (6.19+) comes back as a 2 MiB system folio (`vma_alloc_folio` of its
        // order), or, if that allocation fails, page by page.
        let nr = (k.w().folio(spage).nr_pages() as usize).min(m.npages as usize - i);
        let wbit = m.src[i] & MIGRATE_PFN_WRITE;
        let large = if take_fail_alloc(k, dev) {
            if nr == 1 {
                return crate::mm::memory::VM_FAULT_OOM;
            }
            None
        } else if nr > 1 {
            let head = k.alloc_thp(Zone::System);
            k.lock(LockId::Folio(head)).await;
            m.set_dst(k, i, migrate_pfn(head) | wbit | MIGRATE_PFN_COMPOUND);
            Some(head)
        } else {
            None
        };
        for j in 0..nr {
            let dst_page = match large {
                Some(head) => head + j as u32,
                None => {
                    let dpage = k.alloc_system(0);
                    k.lock(LockId::Folio(dpage)).await;
                    dpage
                }
            };
            if let Some(mirror) = mirror {
                let vpn = m.start + (i + j) as u32; // xa_erase(&dmirror->pt, addr >> PAGE_SHIFT)
                k.dpt_set(mirror, vpn, None); // xa_erase: test_hmm takes no dmirror->mutex here (the xarray locks itself)
            }
            k.copy_page(spage + j as u32, dst_page);
            if large.is_none() {
                // The fallback's entries carry no WRITE: test_hmm overwrites the dst it had flagged.
                let flags = if nr == 1 { wbit } else { 0 };
                m.set_dst(k, i + j, migrate_pfn(dst_page) | flags);
            }
        }
        next = i + nr;
    }
    0
}

pub(super) fn device_of(k: &Kernel, pfn: Pfn) -> DevId {
    match k.w().folio(pfn).zone {
        Zone::DevicePrivate(d) | Zone::DeviceCoherent(d) => d,
        _ => 0,
    }
}

pub(super) async fn dmirror_migrate_to_system(k: &Kernel, cmd: Cmd<'_>) -> i32 {
    let call = k.enter(Func::DmirrorMigrateToSystem, cmd.start);
    let ret = dmirror_migrate_chunks(
        k,
        cmd.mirror,
        cmd.start,
        cmd.end,
        MigrateTo::System,
        cmd.res,
    )
    .await;
    call.ret(ret);
    ret
}

/// One chunk of `dmirror_migrate_to_system`: `migrate_vma_setup` (`dmirror_select_device`:
/// SELECT_DEVICE_PRIVATE, or SELECT_DEVICE_COHERENT on a coherent device), the copy back,
/// `migrate_vma_pages`, counting what moved, `migrate_vma_finalize`. The caller holds `mmap_lock`.
async fn dmirror_migrate_to_system_chunk(
    k: &Kernel,
    mirror: usize,
    start: u32,
    end: u32,
    res: &mut CmdResult,
) -> i32 {
    let (mm, dev) = mirror_ids(k, mirror);
    let select = if k.w().devices[dev as usize].coherent {
        MIGRATE_VMA_SELECT_DEVICE_COHERENT
    } else {
        MIGRATE_VMA_SELECT_DEVICE_PRIVATE
    } | select_compound(k);
    let mut m = MigrateVma::new(k, mm, start, end, owner(dev), select);
    let ret = migrate_vma_setup(k, &mut m).await;
    if ret != 0 {
        return ret;
    }
    if dmirror_devmem_fault_alloc_and_copy(k, &mut m, Some(mirror)).await != 0 {
        migrate_vma_finalize(k, &mut m).await;
        return ENOMEM;
    }
    migrate_vma_pages(k, &mut m).await;
    res.cpages += (0..m.npages as usize).filter(|&i| migrated(&m, i)).count() as u64;
    migrate_vma_finalize(k, &mut m).await;
    0
}

/// Which way a migrate ioctl moves pages.
#[derive(Clone, Copy)]
enum MigrateTo {
    Device,
    System,
}

/// The loop `dmirror_migrate_to_device` and `dmirror_migrate_to_system` share: under `mmap_lock`, each
/// chunk of `[start, end)` in turn (`vma_lookup`, clipped: `migrate_chunk_end`), stopping at the first error.
async fn dmirror_migrate_chunks(
    k: &Kernel,
    mirror: usize,
    start: u32,
    end: u32,
    to: MigrateTo,
    res: &mut CmdResult,
) -> i32 {
    let mm = k.w().mirrors[mirror].mm;
    k.mmap_read_lock(mm).await;
    let mut at = start;
    let ret = loop {
        if at >= end {
            break 0;
        }
        let next = match migrate_chunk_end(k, mm, at, end) {
            Ok(next) => next,
            Err(e) => break e,
        };
        let ret = match to {
            MigrateTo::Device => dmirror_migrate_chunk(k, mirror, at, next).await,
            MigrateTo::System => dmirror_migrate_to_system_chunk(k, mirror, at, next, res).await,
        };
        if ret != 0 {
            break ret;
        }
        at = next;
    };
    k.mmap_read_unlock(mm);
    ret
}

/// `pgmap->ops->migrate_to_ram`: migrate the faulted device page back to system memory.
/// `page` is locked by `do_swap_page` since 6.15 and referenced by it in every version.
pub(super) async fn dmirror_devmem_fault(
    k: &Kernel,
    mm: MmId,
    vpn: u32,
    page: Pfn,
    _write: bool,
) -> u32 {
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
    // A 2 MiB device folio (6.19+) is migrated whole: the range is its aligned 2 MiB, with
    // SELECT_COMPOUND.
    // "When folios are partially mapped, we can't rely on the folio order": a fault through a PTE
    // (`vmf->pte`) migrates one page, even of a large folio; only a fault on the device-private PMD
    // (`do_huge_pmd_device_private`) takes the folio's 2 MiB.
    let order = k.w().folio(k.w().folio_head(page)).order;
    let via_pmd = matches!(k.pmd_read(mm, vpn), Some(Pte::DevicePrivate { .. }));
    let (start, end, compound) = if order > 0 && via_pmd {
        let h = crate::mm::huge_memory::haddr(vpn);
        (h, h + (1 << order), select_compound(k))
    } else {
        (vpn, vpn + 1, 0)
    };
    let mut m = MigrateVma::new(
        k,
        mm,
        start,
        end,
        owner(dev),
        MIGRATE_VMA_SELECT_DEVICE_PRIVATE | compound,
    );
    m.fault_page = Some(page);
    let ret = if migrate_vma_setup(k, &mut m).await != 0 {
        VM_FAULT_SIGBUS
    } else {
        let r = dmirror_devmem_fault_alloc_and_copy(k, &mut m, mirror).await;
        // On an allocation failure the collected pages are restored (`migrate_vma_finalize`) before the
        // error returns.
        if r == 0 {
            migrate_vma_pages(k, &mut m).await;
        }
        migrate_vma_finalize(k, &mut m).await;
        r
    };
    if serialise {
        k.unlock(lock);
    }
    call.ret(ret as i32);
    ret
}

/// The RFC's test driver (`dmirror_fault_and_migrate_to_device`, one chunk), collection half: one
/// `hmm_range_fault(REQ_FAULT|REQ_MIGRATE)` walk (`|REQ_WRITE` when `write`: the lanes' shared write intent; the
/// RFC's ioctl passes none) that faults pages in and installs migration entries, then `migrate_hmm_range_setup`; [`dmirror_migrate_finish`] does the rest. The caller holds `mmap_lock`. On `-EBUSY` the driver
/// first restores what the walk collected, then retries (the model's choice: RFC v1's behaviour after a
/// partial conversion is an open question, kernel-model.md §7.1).
pub(crate) async fn dmirror_migrate_on_fault_collect(
    k: &Kernel,
    mirror: usize,
    start: u32,
    end: u32,
    write: bool,
) -> Result<MigrateVma, i32> {
    let (mm, dev) = mirror_ids(k, mirror);
    if k.w().devices[dev as usize].driver.rfc_v1_driver {
        return Ok(rfc_v1_collect(k, mirror, start, end, write).await);
    }
    let mut attempts = 0;
    let (range, mut m) = loop {
        let mut range = HmmRange::new(
            k,
            mm,
            start,
            end,
            HMM_PFN_REQ_FAULT | HMM_PFN_REQ_MIGRATE | if write { HMM_PFN_REQ_WRITE } else { 0 },
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
        migrate_hmm_range_setup(k, &mut m, &range.hmm_pfns).await;
        migrate_vma_finalize(k, &mut m).await;
        attempts += 1;
        if ret != EBUSY || attempts > RANGE_FAULT_MAX_RESTARTS {
            return Err(ret);
        }
        k.retry(RetryReason::DriverEbusy);
    };
    // The walk has installed every migration entry: the unified path's collect phase is over.
    k.milestone(Milestone::Collected);
    migrate_hmm_range_setup(k, &mut m, &range.hmm_pfns).await;
    Ok(m)
}
