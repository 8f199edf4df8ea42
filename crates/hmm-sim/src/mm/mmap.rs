//! The address-space operations lessons use: `mprotect` (mm/mprotect.c `change_protection`), `munmap`
//! (mm/memory.c `zap_pte_range`) and `fork` (kernel/fork.c `dup_mmap` → mm/memory.c `copy_pte_range`),
//! plus a CPU load/store that faults like the architecture does.
//!
//! Simplified, and said so in the UI: VMA merging is not modelled; a swap entry copied by fork gets its own
//! slot holding the same data (no swap counts); mprotect to PROT_NONE keeps the PTEs and relies on the VMA
//! check, as `pte_protnone` would make them inaccessible.

use crate::errno::EFAULT;
use crate::kernel::Kernel;
use crate::mm::memory::{handle_mm_fault, present_pfn, pte_allows, VM_FAULT_ERROR};
use crate::mm::mmu_notifier::{invalidate_range_end, invalidate_range_start, NotifierRange};
use crate::pte::{MigrationKind, Pte};
use crate::trace::{fault, pack_page, FolioFlag, Func, LockId, NotifyEvent, RetryReason, NO_OWNER};
use crate::world::{Mm, MmId, Vma, PTRS_PER_PTE};

/// A CPU access whose fault fails is killed by a signal (SIGSEGV or SIGBUS), which has no errno. The model's
/// encoding of that signal in an op's result ([`crate::Outcome::Cpu`]) is `-EFAULT`, what a kernel-side
/// access to the same address (`copy_from_user`) would return.
pub const CPU_FAULT_SIGNAL: i32 = EFAULT;

/// A CPU load (`write == None`) or store of `value`. Returns the value read or written, or `-EFAULT`
/// (SIGSEGV/SIGBUS) if the fault failed. Retries the access after every fault, as the hardware does.
pub async fn cpu_access(k: &Kernel, mm: MmId, vpn: u32, write: Option<u32>) -> Result<u32, i32> {
    let call = k.enter(Func::UserAccess, pack_page(mm, vpn));
    let mut faulted = false;
    loop {
        // A PMD leaf maps the page directly: its entry narrowed to this page.
        let pte = match k.pmd_read(mm, vpn) {
            Some(_) => {
                let w = k.w();
                w.mms[mm as usize].entry(vpn, w.huge_zero)
            }
            None => k.pte_read(mm, vpn, false),
        };
        let readable = k.w().mms[mm as usize].vma(vpn).is_some_and(|v| v.read);
        if readable && pte_allows(pte, write.is_some()) {
            let pfn = present_pfn(pte).expect("allowed PTEs are present");
            return Ok(match write {
                None => k.w().folio(pfn).content,
                Some(v) => {
                    k.store(pfn, v);
                    v
                }
            });
        }
        if faulted {
            k.retry(RetryReason::Refault);
        }
        faulted = true;
        k.mmap_read_lock(mm).await;
        let flags = if write.is_some() { fault::WRITE } else { 0 };
        let r = handle_mm_fault(k, mm, vpn, flags).await;
        k.mmap_read_unlock(mm);
        if r & VM_FAULT_ERROR != 0 {
            call.ret(CPU_FAULT_SIGNAL);
            return Err(CPU_FAULT_SIGNAL);
        }
        k.preempt().await;
    }
}

/// Split VMAs so that `start` and `end` fall on boundaries; returns nothing, mutates the list.
pub(crate) fn split_vmas(mm: &mut Mm, start: u32, end: u32) {
    for at in [start, end] {
        if let Some(i) = mm.vmas.iter().position(|v| v.start < at && at < v.end) {
            let mut tail = mm.vmas[i].clone();
            mm.vmas[i].end = at;
            tail.pgoff = tail.linear_page_index(at);
            // __split_vma: the tail of a file VMA maps the file from further in (`vm_pgoff`).
            if let Some(f) = tail.file.as_mut() {
                f.pgoff += at - tail.start;
            }
            tail.start = at;
            mm.vmas.insert(i + 1, tail);
        }
    }
}

/// `mprotect(start, npages, prot)`.
pub async fn mprotect(k: &Kernel, mm: MmId, start: u32, end: u32, read: bool, write: bool) -> i32 {
    let _call = k.enter(Func::ChangeProtection, pack_page(mm, start));
    k.mmap_write_lock(mm).await;
    {
        let mut w = k.wm();
        let m = &mut w.mms[mm as usize];
        split_vmas(m, start, end);
        for v in m
            .vmas
            .iter_mut()
            .filter(|v| v.start >= start && v.end <= end)
        {
            v.read = read;
            v.write = write;
        }
    }
    let range = NotifierRange {
        mm,
        start,
        end,
        event: NotifyEvent::ProtectionVma,
        owner: NO_OWNER,
    };
    // change_pmd_range: a PMD leaf the range cuts is split (__split_huge_pmd); one it covers whole keeps its
    // PMD, changed in place (change_huge_pmd).
    let mut whole = Vec::new();
    for (h, covered) in crate::mm::huge_memory::pmd_spans(start, end) {
        if k.pmd_read(mm, h).is_none() {
            continue;
        }
        if covered {
            whole.push(h);
        } else {
            crate::mm::huge_memory::split_huge_pmd(k, mm, h).await;
        }
    }
    invalidate_range_start(k, range).await;
    if !write {
        for &h in &whole {
            crate::mm::huge_memory::change_huge_pmd_readonly(k, mm, h).await;
        }
        for vpn in start..end {
            if k.w().mms[mm as usize].pmds[(vpn / PTRS_PER_PTE) as usize].is_none() {
                continue;
            }
            let ptl = k.pte_lock(mm, vpn).await;
            let new = match k.pte_read(mm, vpn, false) {
                Pte::Present {
                    pfn,
                    write: true,
                    dirty,
                } => Some(Pte::Present {
                    pfn,
                    write: false,
                    dirty,
                }),
                Pte::DevicePrivate { pfn, write: true } => {
                    Some(Pte::DevicePrivate { pfn, write: false })
                }
                Pte::DeviceExclusive { pfn, write: true } => {
                    Some(Pte::DeviceExclusive { pfn, write: false })
                }
                Pte::Migration {
                    pfn,
                    kind: MigrationKind::Write,
                } => Some(Pte::Migration {
                    pfn,
                    kind: MigrationKind::ReadExclusive,
                }),
                _ => None,
            };
            if let Some(new) = new {
                k.pte_write(mm, vpn, new);
            }
            k.unlock(ptl);
        }
        k.tlb_flush(start, end);
    }
    invalidate_range_end(k, range);
    k.mmap_write_unlock(mm);
    0
}

/// `munmap(start, npages)`: zap the PTEs, drop the references, remove the VMA range.
pub async fn munmap(k: &Kernel, mm: MmId, start: u32, end: u32) -> i32 {
    let _call = k.enter(Func::ZapPteRange, pack_page(mm, start));
    k.mmap_write_lock(mm).await;
    do_munmap(k, mm, start, end).await;
    k.mmap_write_unlock(mm);
    0
}

/// The body of `munmap` under `mmap_lock` held for writing (mremap unmaps with it too).
pub(crate) async fn do_munmap(k: &Kernel, mm: MmId, start: u32, end: u32) {
    let range = NotifierRange {
        mm,
        start,
        end,
        event: NotifyEvent::Unmap,
        owner: NO_OWNER,
    };
    invalidate_range_start(k, range).await;
    // zap_pmd_range: a PMD leaf wholly inside the range is zapped whole, one the range cuts is split.
    for (h, covered) in crate::mm::huge_memory::pmd_spans(start, end) {
        if k.pmd_read(mm, h).is_none() {
            continue;
        }
        if covered {
            crate::mm::huge_memory::zap_huge_pmd(k, mm, h).await;
        } else {
            crate::mm::huge_memory::split_huge_pmd(k, mm, h).await;
        }
    }
    for vpn in start..end {
        if k.w().mms[mm as usize].pmds[(vpn / PTRS_PER_PTE) as usize].is_none() {
            continue;
        }
        let ptl = k.pte_lock(mm, vpn).await;
        let pte = k.pte_read(mm, vpn, false);
        if pte != Pte::None {
            k.pte_write(mm, vpn, Pte::None);
        }
        if let Pte::DevicePrivate { pfn, .. } = pte {
            // zap_nonpresent_ptes since be3f38d05cc5: a device-private folio is anonymous even in a file
            // VMA (a MAP_PRIVATE file page COWed, then migrated); the check was vma_is_anonymous() before.
            // `page_folio`: a page of a 2 MiB device folio is anonymous through its head.
            // The file-backed RFC puts page-cache folios behind device-private entries, so there the
            // warning cannot stand; [I]: the RFC's mm/memory.c hunk is taken to drop it (its file rmap
            // is removed like any other).
            let head = k.w().folio_head(pfn);
            if !k.w().folio(head).is_anon() && !k.version.file_backed_device_private() {
                k.violation(format!(
                    "zap_nonpresent_ptes: WARN_ON_ONCE(!folio_test_anon()) for pfn {pfn:#x}"
                ));
            }
        }
        match pte {
            Pte::Present { pfn, .. }
            | Pte::DevicePrivate { pfn, .. }
            | Pte::DeviceExclusive { pfn, .. } => {
                k.mapcount_add(pfn, -1);
                k.folio_put(pfn);
            }
            Pte::Swap { slot } => k.swap_set(slot, None),
            _ => {}
        }
        k.unlock(ptl);
        k.wm().expected.remove(&(mm, vpn));
    }
    k.tlb_flush(start, end);
    invalidate_range_end(k, range);
    {
        let mut w = k.wm();
        let m = &mut w.mms[mm as usize];
        split_vmas(m, start, end);
        m.vmas.retain(|v| v.end <= start || v.start >= end);
    }
}

/// `fork()`: a child mm with the parent's VMAs; private pages become COW-shared (both read-only),
/// writable device-private entries become readable in both (`copy_nonpresent_pte`). Returns the child.
pub async fn fork(k: &Kernel, parent: MmId) -> MmId {
    let call = k.enter(Func::CopyPteRange, parent as u32);
    k.mmap_write_lock(parent).await;
    // anon_vma_fork: link the child into the parent's anon_vma under its write lock, so an rmap walk in
    // progress (which holds it for read) either sees the child or finishes before the child exists.
    let parent_av = k.w().mms[parent as usize].anon_vma;
    let av_lock = LockId::AnonVma(parent_av);
    k.down_write(av_lock).await;
    let child = k.wm().fork_mm(parent);
    k.up_write(av_lock);
    let vmas: Vec<Vma> = k.w().mms[parent as usize].vmas.clone();
    for vma in &vmas {
        // copy_huge_pmd is not modelled: the parent's THPs are split first.
        crate::mm::huge_memory::split_huge_pmds(k, parent, vma.start, vma.end).await;
    }
    for vma in vmas {
        let cow = !vma.shared;
        let range = NotifierRange {
            mm: parent,
            start: vma.start,
            end: vma.end,
            event: NotifyEvent::ProtectionVma,
            owner: NO_OWNER,
        };
        if cow {
            invalidate_range_start(k, range).await;
        }
        for vpn in vma.start..vma.end {
            if k.w().mms[parent as usize].pmds[(vpn / PTRS_PER_PTE) as usize].is_none() {
                continue;
            }
            let ptl = k.pte_lock(parent, vpn).await;
            let cptl = k.pte_lock(child, vpn).await;
            let pte = k.pte_read(parent, vpn, false);
            let (parent_new, child_new) = copy_pte(k, pte, cow);
            if let Some(p) = parent_new {
                k.pte_write(parent, vpn, p);
            }
            if let Some(c) = child_new {
                k.pte_write(child, vpn, c);
            }
            let content = k.w().expected.get(&(parent, vpn)).copied();
            if let Some(c) = content {
                k.wm().expected.insert((child, vpn), c);
            }
            k.unlock(cptl);
            k.unlock(ptl);
        }
        if cow {
            k.tlb_flush(vma.start, vma.end);
            invalidate_range_end(k, range);
        }
    }
    k.mmap_write_unlock(parent);
    call.ret(child as i32);
    child
}

/// `copy_present_pte` / `copy_nonpresent_pte` for one PTE: the parent's new PTE (if it changes) and the
/// child's. The caller holds both PTLs.
fn copy_pte(k: &Kernel, pte: Pte, cow: bool) -> (Option<Pte>, Option<Pte>) {
    match pte {
        Pte::None => (None, None),
        Pte::Zero => (None, Some(Pte::Zero)),
        Pte::Present { pfn, write, dirty } => {
            k.folio_get(pfn);
            k.mapcount_add(pfn, 1);
            if cow {
                k.set_flag(pfn, FolioFlag::AnonExclusive, false);
                let ro = Pte::Present {
                    pfn,
                    write: false,
                    dirty,
                };
                (write.then_some(ro), Some(ro))
            } else {
                (None, Some(pte))
            }
        }
        Pte::DevicePrivate { pfn, write } => {
            k.folio_get(pfn);
            k.mapcount_add(pfn, 1);
            k.set_flag(pfn, FolioFlag::AnonExclusive, false);
            let ro = Pte::DevicePrivate { pfn, write: false };
            (write.then_some(ro), Some(ro))
        }
        Pte::Swap { slot } => {
            let content = k.w().swap[slot as usize];
            let new_slot = {
                let mut w = k.wm();
                w.swap.push(None);
                (w.swap.len() - 1) as u32
            };
            k.swap_set(new_slot, content);
            (None, Some(Pte::Swap { slot: new_slot }))
        }
        // COW mappings need both sides read-only; migration entries hold no mapcount.
        Pte::Migration { pfn, kind } => {
            let ro = Pte::Migration {
                pfn,
                kind: if cow { MigrationKind::Read } else { kind },
            };
            ((ro != pte).then_some(ro), Some(ro))
        }
        // copy_nonpresent_pte restores a device-exclusive entry to the present PTE it replaced
        // (try_restore_exclusive_pte) and copies that, as for any present page.
        Pte::DeviceExclusive { pfn, write } => {
            k.folio_get(pfn);
            k.mapcount_add(pfn, 1);
            k.set_flag(pfn, FolioFlag::AnonExclusive, false);
            let ro = Pte::Present {
                pfn,
                write: write && !cow,
                dirty: true,
            };
            (Some(ro), Some(ro))
        }
    }
}
