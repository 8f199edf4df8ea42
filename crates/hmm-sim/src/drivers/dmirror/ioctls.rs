//! lib/test_hmm.c's other ioctls: SNAPSHOT, EXCLUSIVE (with `make_device_exclusive`), CHECK_EXCLUSIVE and
//! RELEASE.

use super::*;

/// `dmirror_mkentry`: one snapshot byte.
pub(super) fn dmirror_mkentry(k: &Kernel, dev: DevId, p: u64) -> u8 {
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
        Zone::DeviceCoherent(d) if d == dev => prot::DEV_COHERENT_LOCAL,
        Zone::DeviceCoherent(_) => prot::DEV_COHERENT_REMOTE,
        Zone::Zero => prot::ZERO,
        Zone::System => prot::NONE,
    };
    // The map order says at which level the CPU maps the page (PMD_SHIFT / PUD_SHIFT - PAGE_SHIFT).
    let level = match crate::mm::hmm_pfn::hmm_pfn_to_map_order(p) {
        9 => prot::PMD,
        18 => prot::PUD,
        _ => 0,
    };
    base | level
        | if p & HMM_PFN_WRITE != 0 {
            prot::WRITE
        } else {
            prot::READ
        }
}

/// SNAPSHOT: `hmm_range_fault` with no fault flags, chunk by chunk. (Simplified: the kernel inserts a
/// temporary interval notifier per chunk; the model reuses the mirror's.)
pub(super) async fn dmirror_snapshot(k: &Kernel, cmd: Cmd<'_>) -> i32 {
    let call = k.enter(Func::DmirrorSnapshot, cmd.start);
    let (mm, dev) = mirror_ids(k, cmd.mirror);
    let mut at = cmd.start;
    while at < cmd.end {
        let next = (at + DMIRROR_CHUNK_PAGES).min(cmd.end);
        let mut range = HmmRange::new(k, mm, at, next, 0, owner(dev));
        range.notifier = Some(cmd.mirror);
        let ret = dmirror_range_fault(k, cmd.mirror, &mut range, false).await;
        if ret != 0 {
            call.ret(ret);
            return ret;
        }
        for &p in &range.hmm_pfns {
            cmd.res.snapshot.push(dmirror_mkentry(k, dev, p));
        }
        cmd.res.cpages += (next - at) as u64;
        at = next;
    }
    0
}

/// EXCLUSIVE: `make_device_exclusive` on each page, mapped ATOMIC in the device page table.
pub(super) async fn dmirror_exclusive(k: &Kernel, cmd: Cmd<'_>) -> i32 {
    let call = k.enter(Func::DmirrorExclusive, cmd.start);
    let mm = k.w().mirrors[cmd.mirror].mm;
    k.mmap_read_lock(mm).await;
    for vpn in cmd.start..cmd.end {
        match make_device_exclusive(k, mm, vpn).await {
            Ok(pfn) => {
                k.lock(driver_lock(cmd.mirror)).await;
                k.dpt_set(
                    cmd.mirror,
                    vpn,
                    Some(DptEntry {
                        pfn,
                        tag: DptTag::Atomic,
                    }),
                );
                k.unlock(driver_lock(cmd.mirror));
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
    let ret = read_back(k, cmd.mirror, cmd.start, cmd.end, cmd.res).await;
    ret
}

/// `make_device_exclusive(mm, addr, NULL, &folio)`: fault the page in writable (GUP with FOLL_WRITE),
/// lock it, and swap its PTE for a device-exclusive entry under `MMU_NOTIFY_EXCLUSIVE`. Returns the
/// folio locked and referenced.
pub(super) async fn make_device_exclusive(k: &Kernel, mm: MmId, vpn: u32) -> Result<Pfn, i32> {
    let _call = k.enter(Func::MakeDeviceExclusive, pack_page(mm, vpn));
    // A THP is split first (the model has no device-exclusive PMD; the kernel's folio_walk splits too).
    crate::mm::huge_memory::split_huge_pmd(k, mm, vpn).await;
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
                // The owner is make_device_exclusive's argument, which test_hmm passes as NULL (a driver
                // that wants to filter its own event, like nvidia-uvm, passes its owner).
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

pub(super) async fn dmirror_check_atomic(k: &Kernel, cmd: Cmd<'_>) -> i32 {
    let call = k.enter(Func::DmirrorCheckAtomic, cmd.start);
    k.lock(driver_lock(cmd.mirror)).await;
    let atomic = k.w().mirrors[cmd.mirror]
        .pt
        .range(cmd.start..cmd.end)
        .any(|(_, e)| e.tag == DptTag::Atomic);
    k.unlock(driver_lock(cmd.mirror));
    let ret = if atomic { EPERM } else { 0 };
    call.ret(ret);
    ret
}

/// RELEASE: evict every chunk of the device to system memory and remove it.
pub(super) async fn dmirror_device_remove_chunks(k: &Kernel, mirror: usize) -> i32 {
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
