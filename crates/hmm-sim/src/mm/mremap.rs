//! mm/mremap.c: `mremap(old, len, len, MREMAP_MAYMOVE | MREMAP_FIXED [| MREMAP_DONTUNMAP], new)`, the form
//! hmm-tests.c's `migrate_remap_fault` uses. `mremap_to` unmaps the target, `move_vma` creates the new vma
//! with the old `vm_pgoff` (`copy_vma`), `move_page_tables` → `move_ptes` moves every entry as it is, and the
//! old range is unmapped unless `MREMAP_DONTUNMAP` keeps its (now empty) vma.
//!
//! Moving an entry changes no refcount or mapcount and no `folio->index`: the folio is found at its new
//! address because the new vma keeps the old linear index (`Vma::pgoff`). A device-private or migration
//! entry moves like any other; the CPU fault at the new address then finds it there.
//!
//! Simplified, and said so: growing or shrinking (`new_len != old_len`), moving without `MREMAP_FIXED` and
//! VMA merging are not modelled; `move_page_tables` moves PTE by PTE (never a whole PMD table); the old vma's
//! anon_vma is not unlinked after `MREMAP_DONTUNMAP` (the model has one anon_vma per mm), which only adds
//! rmap visits that find nothing mapped.

use crate::errno::{EFAULT, EINVAL};
use crate::kernel::Kernel;
use crate::mm::mmap::{do_munmap, split_vmas};
use crate::mm::mmu_notifier::{invalidate_range_end, invalidate_range_start, NotifierRange};
use crate::pte::Pte;
use crate::trace::{pack_page, Func, NotifyEvent, NO_OWNER};
use crate::world::{MmId, PTRS_PER_PTE, VPN_LIMIT};

/// `mremap(old, npages, npages, MREMAP_MAYMOVE | MREMAP_FIXED [| MREMAP_DONTUNMAP], new)` in mm `mm`.
/// Returns 0 (the syscall's `new` address) or the errno `mremap_to` / `vma_to_resize` return.
pub async fn mremap(k: &Kernel, mm: MmId, old: u32, npages: u32, new: u32, dontunmap: bool) -> i32 {
    let call = k.enter(Func::MremapTo, pack_page(mm, old));
    k.mmap_write_lock(mm).await;
    let ret = match check(k, mm, old, npages, new, dontunmap) {
        Err(e) => e,
        Ok(()) => {
            // mremap_to: MREMAP_FIXED unmaps whatever is mapped at the target first.
            let (nstart, nend) = (new, new + npages);
            if k.w().mms[mm as usize]
                .vmas
                .iter()
                .any(|v| v.start < nend && nstart < v.end)
            {
                let _z = k.enter(Func::ZapPteRange, pack_page(mm, new));
                do_munmap(k, mm, nstart, nend).await;
            }
            // move_huge_pmd is not modelled: THPs of the old range are split first.
            crate::mm::huge_memory::split_huge_pmds(k, mm, old, old + npages).await;
            move_vma(k, mm, old, npages, new, dontunmap).await;
            0
        }
    };
    k.mmap_write_unlock(mm);
    call.ret(ret);
    ret
}

/// The checks of `mremap_to` and `vma_to_resize`, in their order.
fn check(
    k: &Kernel,
    mm: MmId,
    old: u32,
    npages: u32,
    new: u32,
    dontunmap: bool,
) -> Result<(), i32> {
    // !new_len; new_addr > TASK_SIZE - new_len (the model's address space ends at VPN_LIMIT).
    if npages == 0 || new.checked_add(npages).is_none_or(|e| e > VPN_LIMIT) {
        return Err(EINVAL);
    }
    // mremap_to: the old and new ranges may not overlap.
    if old < new + npages && new < old.saturating_add(npages) {
        return Err(EINVAL);
    }
    let w = k.w();
    // vma_to_resize: no vma at old, or the range runs past its end.
    let vma = w.mms[mm as usize].vma(old).ok_or(EFAULT)?;
    if old.saturating_add(npages) > vma.end {
        return Err(EFAULT);
    }
    // MREMAP_DONTUNMAP only for private anonymous mappings.
    if dontunmap && !vma.is_anonymous() {
        return Err(EINVAL);
    }
    Ok(())
}

/// `move_vma`: `copy_vma` (the new vma, same flags, `vm_pgoff` of `old`), `move_page_tables`, then the old
/// range's unmap, which finds its PTEs already cleared, unless `MREMAP_DONTUNMAP`.
async fn move_vma(k: &Kernel, mm: MmId, old: u32, npages: u32, new: u32, dontunmap: bool) {
    let _call = k.enter(Func::MoveVma, pack_page(mm, old));
    let (ostart, oend) = (old, old + npages);
    {
        let mut w = k.wm();
        let m = &mut w.mms[mm as usize];
        split_vmas(m, ostart, oend);
        let mut moved = m.vma(old).expect("checked by mremap_to").clone();
        moved.start = new;
        moved.end = new + npages;
        m.vmas.push(moved);
        m.vmas.sort_by_key(|v| v.start);
    }
    move_page_tables(k, mm, old, npages, new).await;
    if !dontunmap {
        let _z = k.enter(Func::ZapPteRange, pack_page(mm, old));
        do_munmap(k, mm, ostart, oend).await;
    }
}

/// `move_page_tables`: one `MMU_NOTIFY_UNMAP` invalidation over the old range (every mirror drops it), and
/// `move_ptes` per stretch that stays within one PTE table at both ends.
async fn move_page_tables(k: &Kernel, mm: MmId, old: u32, npages: u32, new: u32) {
    let range = NotifierRange {
        mm,
        start: old,
        end: old + npages,
        event: NotifyEvent::Unmap,
        owner: NO_OWNER,
    };
    invalidate_range_start(k, range).await;
    let mut done = 0;
    while done < npages {
        let (o, n) = (old + done, new + done);
        let extent = (PTRS_PER_PTE - o % PTRS_PER_PTE)
            .min(PTRS_PER_PTE - n % PTRS_PER_PTE)
            .min(npages - done);
        if k.w().mms[mm as usize].pmds[(o / PTRS_PER_PTE) as usize].is_some() {
            move_ptes(k, mm, o, n, extent).await;
        }
        done += extent;
    }
    invalidate_range_end(k, range);
}

/// `move_ptes`: the old PTL, then the new one nested (`SINGLE_DEPTH_NESTING`) when it is another table;
/// each entry `ptep_get_and_clear`ed at the old address and `set_pte_at` the new one, unchanged; a TLB
/// flush of the old range if a present PTE moved.
async fn move_ptes(k: &Kernel, mm: MmId, old: u32, new: u32, n: u32) {
    let _call = k.enter(Func::MovePtes, pack_page(mm, old));
    let old_ptl = k.pte_lock(mm, old).await;
    k.pte_alloc(mm, new);
    let new_ptl = Kernel::ptl_of(mm, new);
    let nested = new_ptl != old_ptl;
    if nested {
        k.lock(new_ptl).await;
    }
    let mut flush = false;
    for i in 0..n {
        let pte = k.pte_read(mm, old + i, false);
        if pte == Pte::None {
            continue;
        }
        flush |= matches!(pte, Pte::Present { .. } | Pte::Zero);
        k.pte_write(mm, old + i, Pte::None);
        k.pte_write(mm, new + i, pte);
        // What the CPU must read back moves with the entry.
        let mut w = k.wm();
        if let Some(v) = w.expected.remove(&(mm, old + i)) {
            w.expected.insert((mm, new + i), v);
        }
    }
    if flush {
        k.tlb_flush(old, old + n);
    }
    if nested {
        k.unlock(new_ptl);
    }
    k.unlock(old_ptl);
}
