//! mm/gup.c: getting and pinning user pages for a kernel user, as mm/gup_test.c's ioctls call them, always
//! with `FOLL_WRITE` (hmm-tests.c's `gup_test_exec` passes it on every call).
//!
//! The slow path `__get_user_pages` runs under `mmap_lock` for reading: `follow_page_pte` takes the PTL
//! and grabs the page only if its PTE is present and writable; anything else (none, zero page, read-only,
//! swap, migration or device-private entry) goes through `faultin_page` → `handle_mm_fault(FAULT_FLAG_WRITE)`
//! and is looked up again. A device-private page therefore never gets pinned: its fault migrates it back to
//! system memory first (`migrate_to_ram`). `gup_fast` reads the PTE locklessly and falls back to the slow
//! path for any PTE it cannot use. `FOLL_GET` takes one reference; `FOLL_PIN` adds
//! `GUP_PIN_COUNTING_BIAS`, which is how `folio_maybe_dma_pinned()` recognises a pinned order-0 folio and
//! why `migrate_vma_check_page()`'s refcount check refuses it.
//!
//! Simplified, and said so: `FOLL_LONGTERM`'s `check_and_migrate_movable_pages` finds every system page of
//! the model longterm-pinnable (no ZONE_MOVABLE, no CMA), so it never migrates one.

use crate::errno::{EFAULT, ENOMEM};
use crate::kernel::Kernel;
use crate::mm::memory::{handle_mm_fault, VM_FAULT_ERROR, VM_FAULT_OOM};
use crate::pte::{Pfn, Pte};
use crate::trace::{fault, pack_page, Func};
use crate::world::MmId;

/// `GUP_PIN_COUNTING_BIAS`: the references one `FOLL_PIN` adds to an order-0 folio.
pub const GUP_PIN_COUNTING_BIAS: i32 = 1024;

/// `try_grab_folio`: `FOLL_PIN` adds the bias, `FOLL_GET` one reference.
fn try_grab_folio(k: &Kernel, pfn: Pfn, pin: bool) {
    if pin {
        k.folio_ref_add(pfn, GUP_PIN_COUNTING_BIAS);
    } else {
        k.folio_get(pfn);
    }
}

/// `unpin_user_page` (`FOLL_PIN`) or `put_page` (`FOLL_GET`): the last reference frees the folio.
pub fn put_user_page(k: &Kernel, pfn: Pfn, pin: bool) {
    if pin {
        k.folio_ref_add(pfn, -(GUP_PIN_COUNTING_BIAS - 1));
    }
    k.folio_put(pfn);
}

/// `follow_page_pte` with `FOLL_WRITE`: under the PTL, grab the page of a present writable PTE.
async fn follow_page_pte(k: &Kernel, mm: MmId, vpn: u32, pin: bool) -> Option<Pfn> {
    let _call = k.enter(Func::FollowPagePte, pack_page(mm, vpn));
    let ptl = k.pte_lock(mm, vpn).await;
    let page = match k.pte_read(mm, vpn, false) {
        // A writable anonymous PTE maps an exclusive page, so FOLL_PIN needs no unshare.
        Pte::Present {
            pfn, write: true, ..
        } => {
            try_grab_folio(k, pfn, pin);
            Some(pfn)
        }
        _ => None,
    };
    k.unlock(ptl);
    page
}

/// `faultin_page`: a write fault on the caller's behalf; its error as `vm_fault_to_errno` maps it.
async fn faultin_page(k: &Kernel, mm: MmId, vpn: u32) -> Result<(), i32> {
    let call = k.enter(Func::FaultinPage, pack_page(mm, vpn));
    let r = handle_mm_fault(k, mm, vpn, fault::WRITE).await;
    if r & VM_FAULT_ERROR != 0 {
        let e = if r & VM_FAULT_OOM != 0 {
            ENOMEM
        } else {
            EFAULT
        };
        call.ret(e);
        return Err(e);
    }
    Ok(())
}

/// `__get_user_pages` for one page with `FOLL_WRITE` (caller holds `mmap_lock` for reading), plus
/// `FOLL_LONGTERM`'s check. Returns the grabbed page or the errno.
pub async fn get_user_pages(
    k: &Kernel,
    mm: MmId,
    vpn: u32,
    pin: bool,
    longterm: bool,
) -> Result<Pfn, i32> {
    let call = k.enter(Func::GetUserPages, pack_page(mm, vpn));
    // check_vma_flags: FOLL_WRITE needs VM_WRITE; VM_IO / VM_PFNMAP have no pages to get.
    let vma_ok = k.w().mms[mm as usize]
        .vma(vpn)
        .is_some_and(|v| v.write && !v.special);
    if !vma_ok {
        call.ret(EFAULT);
        return Err(EFAULT);
    }
    // follow_huge_pmd is not modelled: a THP is split first.
    crate::mm::huge_memory::split_huge_pmd(k, mm, vpn).await;
    let pfn = loop {
        if let Some(pfn) = follow_page_pte(k, mm, vpn, pin).await {
            break pfn;
        }
        if let Err(e) = faultin_page(k, mm, vpn).await {
            call.ret(e);
            return Err(e);
        }
        k.preempt().await;
    };
    if longterm {
        // Every system page of the model is longterm-pinnable: nothing to migrate.
        let check = k.enter(Func::CheckAndMigrateMovablePages, pfn);
        check.ret(0);
    }
    Ok(pfn)
}

/// `get_user_pages_fast` / `pin_user_pages_fast` for one page with `FOLL_WRITE`: `gup_fast` grabs the page
/// of a present writable PTE read without locks; otherwise the slow path, under `mmap_lock` it takes.
pub async fn get_user_pages_fast(
    k: &Kernel,
    mm: MmId,
    vpn: u32,
    pin: bool,
    longterm: bool,
) -> Result<Pfn, i32> {
    {
        let _call = k.enter(Func::GupFast, pack_page(mm, vpn));
        if let Pte::Present {
            pfn, write: true, ..
        } = k.pte_read(mm, vpn, false)
        {
            try_grab_folio(k, pfn, pin);
            return Ok(pfn);
        }
    }
    k.mmap_read_lock(mm).await;
    let r = get_user_pages(k, mm, vpn, pin, longterm).await;
    k.mmap_read_unlock(mm);
    r
}
