//! mm/memory.c: the page-fault paths the scenarios need (kernel-model.md §2.6).
//!
//! Simplified, and said so in the UI: faults arrive with `mmap_lock` held for read (the per-VMA-lock attempt
//! and its `VM_FAULT_RETRY` for device-private entries are not shown); the swap cache is not modelled (the
//! slot is freed at swap-in, as a write fault does via `should_try_to_free_swap`); per-CPU LRU batches are not
//! modelled (new folios go straight onto the LRU).

use crate::kernel::Kernel;
use crate::mm::filemap::{do_fault, wp_page_shared};
use crate::mm::migrate_device::{collect_pte, CollectCtx, MIGRATE_VMA_SELECT_DEVICE_PRIVATE};
use crate::mm::mmu_notifier::{invalidate_range_end, invalidate_range_start, NotifierRange};
use crate::mm::rmap::remove_migration_ptes;
use crate::pte::{Pfn, Pte, ZERO_PFN};
use crate::trace::{fault, pack_page, Ev, FolioFlag, Func, LockId, NotifyEvent, Page};
use crate::version::KernelVersion;
use crate::world::{MmId, Zone};
use std::future::Future;
use std::pin::Pin;

/// `vm_fault_t` bits the model produces.
pub const VM_FAULT_OK: u32 = 0;
pub const VM_FAULT_OOM: u32 = 1;
pub const VM_FAULT_SIGBUS: u32 = 2;
pub const VM_FAULT_SIGSEGV: u32 = 4;
/// `VM_FAULT_ERROR`: any of the above.
pub const VM_FAULT_ERROR: u32 = VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV;
/// `folio_add_new_anon_rmap(RMAP_EXCLUSIVE)` + `folio_add_lru`: a fresh page's first mapping.
/// The allocation reference becomes the mapping's reference.
pub(crate) fn add_new_anon_rmap(k: &Kernel, mm: MmId, vpn: u32, pfn: Pfn) {
    {
        let mut w = k.wm();
        let anon_vma = w.mms[mm as usize].anon_vma;
        let index = w.mms[mm as usize]
            .vma(vpn)
            .map_or(vpn, |v| v.linear_page_index(vpn));
        let f = &mut w.frames[pfn as usize];
        f.index = index;
        f.anon_vma = Some(anon_vma);
    }
    k.mapcount_add(pfn, 1);
    k.set_flag(pfn, FolioFlag::AnonExclusive, true);
    if k.w().folio(pfn).zone == Zone::System {
        k.set_flag(pfn, FolioFlag::Lru, true);
    }
}

/// Break COW: new page, copy, swap the PTE under `MMU_NOTIFY_CLEAR` (this is what bumps drivers' sequences).
async fn wp_page_copy(k: &Kernel, mm: MmId, vpn: u32, orig: Pte, old: Option<Pfn>) -> u32 {
    let _call = k.enter(Func::WpPageCopy, pack_page(mm, vpn));
    let new = k.alloc_system(0);
    if let Some(old) = old {
        k.copy_page(old, new);
    }
    let range = NotifierRange::one_page(mm, vpn, NotifyEvent::Clear);
    invalidate_range_start(k, range).await;
    let ptl = k.pte_lock(mm, vpn).await;
    if k.pte_read(mm, vpn, false) == orig {
        k.tlb_flush(vpn, vpn + 1); // ptep_clear_flush
        add_new_anon_rmap(k, mm, vpn, new);
        k.pte_write(mm, vpn, Pte::mk(new, true));
        if let Some(old) = old {
            k.mapcount_add(old, -1); // folio_remove_rmap_pte
            k.folio_put(old); // the old mapping's reference
        }
    } else {
        k.folio_put(new);
    }
    k.unlock(ptl);
    invalidate_range_end(k, range);
    VM_FAULT_OK
}

/// A write to a read-only present PTE (or the zero page).
async fn do_wp_page(k: &Kernel, mm: MmId, vpn: u32, pte: Pte, shared: bool) -> u32 {
    let _call = k.enter(Func::DoWpPage, pack_page(mm, vpn));
    let Pte::Present { pfn, .. } = pte else {
        return wp_page_copy(k, mm, vpn, pte, None).await;
    };
    if shared {
        return wp_page_shared(k, mm, vpn, pte, pfn).await;
    }
    let (anon, exclusive, mapcount, refcount) = {
        let w = k.w();
        let f = w.folio(pfn);
        (f.is_anon(), f.anon_exclusive, f.mapcount, f.refcount)
    };
    // wp_page_reuse when exclusive or when ours is the only reference (`wp_can_reuse_anon_folio`); a
    // page-cache folio in a MAP_PRIVATE mapping, or a driver's page in a private VM_MIXEDMAP mapping, is
    // always copied (the copy is anonymous).
    if anon && (exclusive || (mapcount == 1 && refcount == 1)) {
        let _r = k.enter(Func::WpPageReuse, pack_page(mm, vpn));
        let ptl = k.pte_lock(mm, vpn).await;
        if k.pte_read(mm, vpn, false) == pte {
            k.set_flag(pfn, FolioFlag::AnonExclusive, true);
            k.pte_write(mm, vpn, Pte::mk(pfn, true));
        }
        k.unlock(ptl);
        return VM_FAULT_OK;
    }
    // The fault holds a reference on the old folio while it copies.
    k.folio_get(pfn);
    let ret = wp_page_copy(k, mm, vpn, pte, Some(pfn)).await;
    k.folio_put(pfn);
    ret
}

/// CPU touches a device-exclusive page: lock it, restore a normal PTE under an `MMU_NOTIFY_EXCLUSIVE`
/// invalidation (which makes the device drop its atomic mapping).
/// Since 6.15 the kernel issues `MMU_NOTIFY_CLEAR` with no owner here; before, `MMU_NOTIFY_EXCLUSIVE` with
/// no owner (David Hildenbrand's 2025 device-exclusive rework reserved EXCLUSIVE for the conversion).
async fn remove_device_exclusive_entry(k: &Kernel, mm: MmId, vpn: u32, orig: Pte, pfn: Pfn) -> u32 {
    let _call = k.enter(Func::RemoveDeviceExclusiveEntry, pack_page(mm, vpn));
    k.folio_get(pfn);
    k.lock(LockId::Folio(pfn)).await;
    let event = if k.version >= KernelVersion::V6_15 {
        NotifyEvent::Clear
    } else {
        NotifyEvent::Exclusive
    };
    let range = NotifierRange::one_page(mm, vpn, event);
    invalidate_range_start(k, range).await;
    let ptl = k.pte_lock(mm, vpn).await;
    if k.pte_read(mm, vpn, false) == orig {
        let Pte::DeviceExclusive { write, .. } = orig else {
            unreachable!("matched by caller")
        };
        k.pte_write(mm, vpn, Pte::mk(pfn, write));
    }
    k.unlock(ptl);
    invalidate_range_end(k, range);
    k.folio_unlock(pfn);
    k.folio_put(pfn);
    VM_FAULT_OK
}

/// The PTE is a migration entry: take the PTL to check it, drop it, and sleep until the folio unlocks.
/// Takes no reference (`migration_entry_wait_on_locked`).
pub(crate) async fn migration_entry_wait(k: &Kernel, mm: MmId, vpn: u32) {
    let _call = k.enter(Func::MigrationEntryWait, pack_page(mm, vpn));
    let ptl = k.pte_lock(mm, vpn).await;
    let pte = k.pte_read(mm, vpn, false);
    k.unlock(ptl);
    if let Pte::Migration { pfn, .. } = pte {
        k.folio_wait_unlocked(pfn).await;
    }
}

/// `page_pgmap(page)->ops->migrate_to_ram(vmf)`: the owning device's driver moves the page back.
pub(crate) async fn migrate_to_ram(k: &Kernel, mm: MmId, vpn: u32, pfn: Pfn, write: bool) -> u32 {
    let ops = match k.w().folio(pfn).zone {
        Zone::DevicePrivate(dev) => k.pgmap_ops(dev),
        _ => None,
    };
    match ops {
        Some(ops) => (ops.migrate_to_ram)(k, mm, vpn, pfn, write).await,
        None => VM_FAULT_SIGBUS,
    }
}

/// Swap-in of an exclusive anonymous page (no swap cache in the model).
/// Since v6.11 (c18160dba5ff63, "reuse exclusive folio directly instead of wp page faults") an exclusive
/// swap-in in a `VM_WRITE` VMA is mapped writable even on a read fault; dirty only for a write fault.
async fn swap_in(k: &Kernel, mm: MmId, vpn: u32, orig: Pte, slot: u32, write: bool) -> u32 {
    let vma_write = k.w().mms[mm as usize].vma(vpn).is_some_and(|v| v.write);
    let content = k.w().swap[slot as usize].unwrap_or(0);
    let pfn = k.alloc_system(content);
    let ptl = k.pte_lock(mm, vpn).await;
    if k.pte_read(mm, vpn, false) != orig {
        k.unlock(ptl);
        k.folio_put(pfn);
        return VM_FAULT_OK;
    }
    add_new_anon_rmap(k, mm, vpn, pfn);
    k.pte_write(
        mm,
        vpn,
        Pte::Present {
            pfn,
            write: vma_write,
            dirty: write,
        },
    );
    k.swap_set(slot, None); // swap_free, after set_pte_at as in do_swap_page
    k.unlock(ptl);
    VM_FAULT_OK
}

/// Non-present, non-none PTE: swap-in, migration-entry wait, device-exclusive restore, or a device-private
/// page's `migrate_to_ram` with the version-dependent locking of kernel-model.md §2.6.
async fn do_swap_page(k: &Kernel, mm: MmId, vpn: u32, orig: Pte, write: bool) -> u32 {
    let _call = k.enter(Func::DoSwapPage, pack_page(mm, vpn));
    match orig {
        Pte::Migration { .. } => {
            migration_entry_wait(k, mm, vpn).await;
            VM_FAULT_OK
        }
        Pte::DeviceExclusive { pfn, .. } => {
            remove_device_exclusive_entry(k, mm, vpn, orig, pfn).await
        }
        Pte::Swap { slot } => swap_in(k, mm, vpn, orig, slot, write).await,
        Pte::DevicePrivate { pfn, .. } => {
            let ptl = k.pte_lock(mm, vpn).await;
            if k.pte_read(mm, vpn, false) != orig {
                k.unlock(ptl);
                return VM_FAULT_OK;
            }
            match k.version {
                KernelVersion::V6_14 => {
                    k.folio_get(pfn); // get_page: no folio lock before 1afaeb8293c9
                    k.unlock(ptl);
                    let ret = migrate_to_ram(k, mm, vpn, pfn, write).await;
                    k.folio_put(pfn);
                    ret
                }
                KernelVersion::V6_15
                | KernelVersion::Fix2026
                | KernelVersion::PoppleProposal
                | KernelVersion::FileRfc => {
                    if k.folio_trylock(pfn) {
                        k.folio_get(pfn);
                        let proposal = k.version == KernelVersion::PoppleProposal;
                        if proposal {
                            install_fault_migration_entry(k, mm, vpn, orig, pfn);
                        }
                        k.unlock(ptl);
                        let ret = migrate_to_ram(k, mm, vpn, pfn, write).await;
                        if proposal {
                            restore_unused_fault_migration_entry(k, mm, vpn, pfn).await;
                        }
                        k.folio_unlock(pfn);
                        k.folio_put(pfn);
                        ret
                    } else if k.version == KernelVersion::V6_15 {
                        // The loser returns at once and the access faults again: spinning.
                        k.unlock(ptl);
                        VM_FAULT_OK
                    } else {
                        // b570f37a2ce4: sleep until the folio is unlocked (migration_entry_wait_on_locked).
                        k.unlock(ptl);
                        k.folio_wait_unlocked(pfn).await;
                        VM_FAULT_OK
                    }
                }
            }
        }
        Pte::None | Pte::Present { .. } | Pte::Zero => VM_FAULT_SIGBUS,
    }
}

/// Popple's proposal (seed 003, never merged): holding the PTL, the page lock and a reference, swap the
/// fault page's device-private PTE for a migration entry with collect's own per-PTE step, so threads that
/// fault next wait on the entry without taking a reference. The driver's collect then takes the entry as
/// already collected. [I]: the thread gives the idea, not a patch; the details follow collect.
fn install_fault_migration_entry(k: &Kernel, mm: MmId, vpn: u32, orig: Pte, pfn: Pfn) {
    let owner = match k.w().folio(pfn).zone {
        Zone::DevicePrivate(dev) => dev + 1,
        _ => return,
    };
    let ctx = CollectCtx {
        mm,
        anonymous: true,
        flags: MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
        pgmap_owner: owner,
        fault_page: Some(pfn),
    };
    collect_pte(k, &ctx, vpn, orig);
}

/// If `migrate_to_ram` returned without migrating or restoring the page (it never called
/// `migrate_vma_setup`, say), the proposal's migration entry must not outlive the fault: put the
/// device-private PTE back as `migrate_vma_finalize` would.
async fn restore_unused_fault_migration_entry(k: &Kernel, mm: MmId, vpn: u32, pfn: Pfn) {
    if matches!(k.pte_read(mm, vpn, false), Pte::Migration { pfn: p, .. } if p == pfn) {
        remove_migration_ptes(k, pfn, pfn).await;
    }
}

/// First touch of an anonymous VMA: the zero page for a read, a new zeroed page for a write.
async fn do_anonymous_page(k: &Kernel, mm: MmId, vpn: u32, write: bool) -> u32 {
    let _call = k.enter(Func::DoAnonymousPage, pack_page(mm, vpn));
    if !write {
        let ptl = k.pte_lock(mm, vpn).await;
        if k.pte_read(mm, vpn, false) == Pte::None {
            k.pte_write(mm, vpn, Pte::Zero);
        }
        k.unlock(ptl);
        return VM_FAULT_OK;
    }
    let pfn = k.alloc_system(0);
    let ptl = k.pte_lock(mm, vpn).await;
    if k.pte_read(mm, vpn, false) != Pte::None {
        // Someone else populated it first: drop our page.
        k.unlock(ptl);
        k.folio_put(pfn);
        return VM_FAULT_OK;
    }
    add_new_anon_rmap(k, mm, vpn, pfn);
    k.pte_write(mm, vpn, Pte::mk(pfn, write));
    k.unlock(ptl);
    VM_FAULT_OK
}

/// `handle_mm_fault(vma, addr, flags)`. Boxed because fault → `migrate_to_ram` → `migrate_vma_setup` may
/// recurse into other kernel paths.
pub fn handle_mm_fault(
    k: &Kernel,
    mm: MmId,
    vpn: u32,
    flags: u32,
) -> Pin<Box<dyn Future<Output = u32> + '_>> {
    Box::pin(async move {
        k.preempt().await;
        let call = k.enter(Func::HandleMmFault, pack_page(mm, vpn));
        k.record(Ev::fault(Page { mm, vpn }, flags));
        let write = flags & fault::WRITE != 0;
        let Some(vma) = k.w().mms[mm as usize].vma(vpn).cloned() else {
            call.ret(VM_FAULT_SIGSEGV as i32);
            return VM_FAULT_SIGSEGV;
        };
        if !vma.read || (write && !vma.write) {
            call.ret(VM_FAULT_SIGSEGV as i32);
            return VM_FAULT_SIGSEGV;
        }
        // The PMD level first (`__handle_mm_fault`): a THP fault, or a PMD leaf this access cannot use.
        if let Some(ret) = huge_pmd_fault(k, mm, vpn, write).await {
            call.ret(ret as i32);
            return ret;
        }
        let pte = k.pte_read(mm, vpn, false);
        let ret = match pte {
            // File VMAs (shmem included) fault through the page cache (`do_fault`).
            Pte::None if vma.file.is_some() => do_fault(k, mm, vpn, &vma, write).await,
            Pte::None => do_anonymous_page(k, mm, vpn, write).await,
            Pte::Present { write: false, .. } | Pte::Zero if write => {
                do_wp_page(k, mm, vpn, pte, vma.shared).await
            }
            Pte::Present { .. } | Pte::Zero => {
                // The PTE already allows the access: handle_pte_fault only refreshes young/dirty under the PTL.
                let ptl = k.pte_lock(mm, vpn).await;
                k.unlock(ptl);
                VM_FAULT_OK
            }
            Pte::Swap { .. }
            | Pte::Migration { .. }
            | Pte::DevicePrivate { .. }
            | Pte::DeviceExclusive { .. } => do_swap_page(k, mm, vpn, pte, write).await,
        };
        call.ret(ret as i32);
        ret
    })
}

/// The PMD half of `__handle_mm_fault`. `pmd_none` in a THP-enabled range → `do_huge_pmd_anonymous_page`; a
/// PMD migration entry → `pmd_migration_entry_wait`; a leaf the access cannot use (a write to the huge zero
/// page or a read-only THP, a device-private PMD) is split and the fault continues at the PTE level
/// (`do_huge_pmd_wp_page`'s fallback; see huge_memory.rs for what the model splits where the kernel does
/// not). None: the PTE level handles it.
async fn huge_pmd_fault(k: &Kernel, mm: MmId, vpn: u32, write: bool) -> Option<u32> {
    use crate::mm::huge_memory::{do_huge_pmd_anonymous_page, huge_fault_allowed, split_huge_pmd};
    match k.pmd_read(mm, vpn) {
        None if huge_fault_allowed(k, mm, vpn) => {
            Some(do_huge_pmd_anonymous_page(k, mm, vpn, write).await)
        }
        None => None,
        Some(Pte::Migration { pfn, .. }) => {
            let _call = k.enter(Func::PmdMigrationEntryWait, pack_page(mm, vpn));
            let head = k.w().folio_head(pfn);
            k.folio_wait_unlocked(head).await;
            Some(VM_FAULT_OK)
        }
        Some(Pte::Present { write: true, .. }) => Some(VM_FAULT_OK),
        // 6.19+: a device-private PMD faults the whole 2 MiB back (`do_huge_pmd_device_private`).
        Some(Pte::DevicePrivate { .. }) if k.version.device_thp() => {
            Some(crate::mm::huge_memory::do_huge_pmd_device_private(k, mm, vpn, write).await)
        }
        Some(Pte::Present { .. } | Pte::Zero) if !write => Some(VM_FAULT_OK),
        Some(_) => {
            split_huge_pmd(k, mm, vpn).await;
            None
        }
    }
}

/// Is `pte` usable for a CPU access of this kind without a fault?
pub fn pte_allows(pte: Pte, write: bool) -> bool {
    match pte {
        Pte::Present { write: w, .. } => !write || w,
        Pte::Zero => !write,
        _ => false,
    }
}

/// The frame a present PTE maps (the zero page for `Pte::Zero`).
pub fn present_pfn(pte: Pte) -> Option<Pfn> {
    match pte {
        Pte::Present { pfn, .. } => Some(pfn),
        Pte::Zero => Some(ZERO_PFN),
        _ => None,
    }
}
