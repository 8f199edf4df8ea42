//! mm/huge_memory.c: PMD-mapped anonymous THPs. `do_huge_pmd_anonymous_page` (a fault in a `VM_HUGEPAGE`
//! range maps a 2 MiB folio, or the huge zero folio on a read), `__split_huge_pmd` (one PMD entry becomes 512
//! PTEs under `pmd_lock`, inside an `MMU_NOTIFY_CLEAR` invalidation of the 2 MiB), `split_folio` (an order-9
//! folio becomes 512 order-0 folios) and `zap_huge_pmd` (munmap of a whole 2 MiB).
//!
//! A PMD-mapped THP keeps its counts the kernel's way: one reference and `_entire_mapcount` 1 per PMD
//! mapping, in the head; after a PMD split each page has its own mapcount and the folio one reference per
//! PTE (`folio_ref_add(folio, HPAGE_PMD_NR - 1)`).
//!
//! Simplified, and said so in the UI: `split_folio` of a PMD-mapped folio splits the PMD into present PTEs
//! and then the folio, where the kernel's `unmap_folio` freezes it behind PMD-split migration entries and
//! `remap_page` restores them (the counts and the notifier ranges are the same; the transient entries are
//! not shown). Paths that the kernel runs on a PMD directly (`change_huge_pmd`, `copy_huge_pmd`,
//! `move_huge_pmd`, `follow_huge_pmd`, a write fault on a read-only THP) split it first here.

use crate::errno::EAGAIN;
use crate::kernel::Kernel;
use crate::mm::mmu_notifier::{invalidate_range_end, invalidate_range_start, NotifierRange};
use crate::pte::{MigrationKind, Pfn, Pte};
use crate::trace::{pack_page, FolioFlag, Func, NotifyEvent, NO_OWNER};
use crate::world::{MmId, Zone, PTRS_PER_PTE};

/// Pages in a PMD-mapped THP.
pub const HPAGE_PMD_NR: u32 = PTRS_PER_PTE;
/// Its order.
pub const HPAGE_PMD_ORDER: u8 = 9;

/// First page of the 2 MiB holding `vpn` (`addr & HPAGE_PMD_MASK`).
pub fn haddr(vpn: u32) -> u32 {
    vpn & !(HPAGE_PMD_NR - 1)
}

/// `thp_vma_allowable_order` for an anonymous fault: a private anonymous `VM_HUGEPAGE` vma covering the whole
/// aligned 2 MiB, whose PMD holds neither a PTE table nor a leaf.
pub fn huge_fault_allowed(k: &Kernel, mm: MmId, vpn: u32) -> bool {
    let h = haddr(vpn);
    let w = k.w();
    let m = &w.mms[mm as usize];
    m.vma(vpn).is_some_and(|v| {
        v.hugepage && v.is_anonymous() && v.start <= h && h + HPAGE_PMD_NR <= v.end
    }) && m.pmds[(vpn / PTRS_PER_PTE) as usize].is_none()
        && !m.huge.contains_key(&(vpn / PTRS_PER_PTE))
}

/// `get_huge_zero_folio`: the huge zero folio, allocated at first use.
fn get_huge_zero_folio(k: &Kernel) -> Pfn {
    let existing = k.w().huge_zero;
    existing.unwrap_or_else(|| {
        let mut w = k.wm();
        let head = w.contiguous_frames(Zone::Zero, HPAGE_PMD_NR);
        w.prep_compound(head, HPAGE_PMD_ORDER);
        w.frames[head as usize].refcount = 1;
        w.huge_zero = Some(head);
        head
    })
}

/// `do_huge_pmd_anonymous_page`: a read maps the huge zero folio (`set_huge_zero_folio`), a write a new
/// zeroed 2 MiB folio (`vma_alloc_anon_folio_pmd`, `map_anon_folio_pmd`), under `pmd_lock` after
/// re-checking the PMD is still none.
pub async fn do_huge_pmd_anonymous_page(k: &Kernel, mm: MmId, vpn: u32, write: bool) -> u32 {
    let h = haddr(vpn);
    let _call = k.enter(Func::DoHugePmdAnonymousPage, pack_page(mm, h));
    let vma_write = k.w().mms[mm as usize].vma(vpn).is_some_and(|v| v.write);
    if !write {
        get_huge_zero_folio(k);
        let ptl = k.pmd_lock(mm, h).await;
        if k.pmd_read(mm, h).is_none()
            && k.w().mms[mm as usize].pmds[(h / PTRS_PER_PTE) as usize].is_none()
        {
            k.pmd_write(mm, h, Some(Pte::Zero));
        }
        k.unlock(ptl);
        return crate::mm::memory::VM_FAULT_OK;
    }
    let head = k.alloc_thp(Zone::System);
    let ptl = k.pmd_lock(mm, h).await;
    if k.pmd_read(mm, h).is_none()
        && k.w().mms[mm as usize].pmds[(h / PTRS_PER_PTE) as usize].is_none()
    {
        folio_add_new_anon_rmap_pmd(k, mm, h, head);
        k.pmd_write(mm, h, Some(Pte::mk(head, vma_write)));
        for p in head..head + HPAGE_PMD_NR {
            k.wm().expected.insert((mm, h + (p - head)), 0);
        }
    } else {
        k.folio_put(head);
    }
    k.unlock(ptl);
    crate::mm::memory::VM_FAULT_OK
}

/// `folio_add_new_anon_rmap(folio, vma, haddr, RMAP_EXCLUSIVE)` of a PMD-mapped folio + `folio_add_lru`:
/// entire mapcount 1, the allocation reference becomes the mapping's.
pub(crate) fn folio_add_new_anon_rmap_pmd(k: &Kernel, mm: MmId, h: u32, head: Pfn) {
    {
        let mut w = k.wm();
        let anon_vma = w.mms[mm as usize].anon_vma;
        let index = w.mms[mm as usize]
            .vma(h)
            .map_or(h, |v| v.linear_page_index(h));
        let f = &mut w.frames[head as usize];
        f.index = index;
        f.anon_vma = Some(anon_vma);
    }
    k.entire_mapcount_add(head, 1);
    k.set_flag(head, FolioFlag::AnonExclusive, true);
    if k.w().folio(head).zone == Zone::System {
        k.set_flag(head, FolioFlag::Lru, true);
    }
}

/// `__split_huge_pmd(vma, pmd, address, freeze = false)`: under an `MMU_NOTIFY_CLEAR` invalidation of the
/// 2 MiB and `pmd_lock`, `__split_huge_pmd_locked` turns the PMD leaf into a PTE table of 512 entries: a
/// THP's pages (present, or device-private for a device THP) with `folio_ref_add(511)`, each page's
/// mapcount +1 and the entire mapcount −1; the huge zero page becomes 512 zero-page PTEs
/// (`__split_huge_zero_page_pmd`); a PMD migration entry 512 migration entries. A present PMD is flushed
/// (`pmdp_invalidate`) first. Nothing to do if the PMD is no longer a leaf.
pub async fn split_huge_pmd(k: &Kernel, mm: MmId, vpn: u32) {
    let h = haddr(vpn);
    if k.pmd_read(mm, h).is_none() {
        return;
    }
    let _call = k.enter(Func::SplitHugePmd, pack_page(mm, h));
    let range = NotifierRange {
        mm,
        start: h,
        end: h + HPAGE_PMD_NR,
        event: NotifyEvent::Clear,
        owner: NO_OWNER,
    };
    invalidate_range_start(k, range).await;
    let ptl = k.pmd_lock(mm, h).await;
    if let Some(leaf) = k.pmd_read(mm, h) {
        let page = |i: u32| -> Pte {
            match leaf {
                Pte::Present { pfn, write, dirty } => Pte::Present {
                    pfn: pfn + i,
                    write,
                    dirty,
                },
                Pte::DevicePrivate { pfn, write } => Pte::DevicePrivate {
                    pfn: pfn + i,
                    write,
                },
                Pte::Migration { pfn, kind } => Pte::Migration { pfn: pfn + i, kind },
                other => other,
            }
        };
        let ptes: Vec<Pte> = (0..HPAGE_PMD_NR).map(page).collect();
        match leaf {
            Pte::Present { pfn: head, .. } | Pte::DevicePrivate { pfn: head, .. } => {
                if leaf.is_present() {
                    k.tlb_flush(h, h + HPAGE_PMD_NR); // pmdp_invalidate
                }
                k.folio_ref_add(head, HPAGE_PMD_NR as i32 - 1);
                for p in head..head + HPAGE_PMD_NR {
                    k.mapcount_add(p, 1);
                }
                k.entire_mapcount_add(head, -1);
            }
            Pte::Zero => k.tlb_flush(h, h + HPAGE_PMD_NR), // pmdp_huge_clear_flush
            _ => {}
        }
        k.pmd_populate(mm, h, &ptes);
    }
    k.unlock(ptl);
    invalidate_range_end(k, range);
}

/// Split every PMD leaf overlapping `[start, end)` of `mm` (`split_huge_pmd_address` per 2 MiB): what a
/// path that works on PTEs here does first.
pub async fn split_huge_pmds(k: &Kernel, mm: MmId, start: u32, end: u32) {
    for (h, _) in pmd_spans(start, end) {
        split_huge_pmd(k, mm, h).await;
    }
}

/// The 2 MiB chunks pages `start..end` touch, in order: each one's first page, and whether the range covers
/// it whole (a leaf there is changed or zapped whole; one the range cuts is split first).
pub fn pmd_spans(start: u32, end: u32) -> impl Iterator<Item = (u32, bool)> {
    (haddr(start)..end)
        .step_by(HPAGE_PMD_NR as usize)
        .map(move |h| (h, start <= h && h + HPAGE_PMD_NR <= end))
}

/// `split_folio(folio)` of a locked large anonymous folio the caller holds a reference on: every PMD
/// mapping is split (`unmap_folio`, see the module's note), then, if the refcount is exactly the mappings
/// plus the caller's (`can_split_folio`), `__split_huge_page` makes 512 order-0 folios, each keeping its
/// page's mappings' references; the caller's reference and lock stay on the head page. `-EAGAIN` if an
/// extra reference (a pin, a concurrent GUP) holds the folio.
pub async fn split_folio(k: &Kernel, head: Pfn) -> i32 {
    let call = k.enter(Func::SplitFolio, head);
    let n = k.w().folio(head).nr_pages();
    // unmap_folio: every PMD mapping of the folio, found through the rmap.
    let candidates = k.w().rmap_candidates(head);
    for (mm, vpn) in candidates {
        if k.pmd_read(mm, vpn).and_then(|e| e.pfn()) == Some(head) {
            split_huge_pmd(k, mm, vpn).await;
        }
    }
    let (refcount, mapped) = {
        let w = k.w();
        let mapped: i32 = (head..head + n).map(|p| w.folio(p).mapcount).sum::<i32>()
            + w.folio(head).entire_mapcount;
        (w.folio(head).refcount, mapped)
    };
    if refcount != mapped + 1 {
        call.ret(EAGAIN);
        return EAGAIN;
    }
    let _s = k.enter(Func::SplitHugePage, head);
    let template = k.w().folio(head).clone();
    for p in head + 1..head + n {
        let maps = {
            let mut w = k.wm();
            let f = &mut w.frames[p as usize];
            f.tail_of = None;
            f.anon_vma = template.anon_vma;
            f.index = template.index + (p - head);
            f.anon_exclusive = template.anon_exclusive;
            f.lru = template.lru;
            f.mirror = template.mirror;
            f.mapcount
        };
        // Each new folio keeps one reference per mapping of its page (__split_huge_page_tail + remap).
        if maps > 0 {
            k.folio_ref_add(p, maps);
        } else {
            k.folio_get(p);
            k.folio_put(p);
        }
    }
    let head_maps = k.w().folio(head).mapcount;
    k.wm().frames[head as usize].order = 0;
    let drop = refcount - (head_maps + 1);
    if drop > 0 {
        k.folio_ref_add(head, -drop);
    }
    call.ret(0);
    0
}

/// The THP split a migration walk does before collecting 4 KiB pages (6.14–6.17's `migrate_vma_collect_pmd`,
/// the RFC's `hmm_vma_walk_split`): under `pmd_lock` re-check the leaf; the huge zero page is split
/// (`split_huge_pmd`); a THP gets a reference, is trylocked and split (`split_folio`, whose PMD split sends
/// its own `MMU_NOTIFY_CLEAR`), then unlocked and put. False (skip these pages) for a PMD migration or
/// device-private entry, the fault folio, a folio locked by someone else or a failed split.
pub(crate) async fn split_thp_for_migration(
    k: &Kernel,
    mm: MmId,
    vpn: u32,
    fault_page: Option<Pfn>,
) -> bool {
    let h = haddr(vpn);
    let ptl = k.pmd_lock(mm, h).await;
    let leaf = k.pmd_read(mm, h);
    k.unlock(ptl);
    match leaf {
        None => true,
        Some(Pte::Zero) => {
            split_huge_pmd(k, mm, h).await;
            true
        }
        Some(Pte::Present { pfn: head, .. }) => {
            k.folio_get(head);
            if fault_page.is_some_and(|f| k.w().folio_head(f) == head) || !k.folio_trylock(head) {
                k.folio_put(head);
                return false;
            }
            let ret = split_folio(k, head).await;
            k.folio_unlock(head);
            k.folio_put(head);
            ret == 0
        }
        Some(_) => false,
    }
}

/// `zap_huge_pmd`: munmap of a whole 2 MiB: clear the PMD leaf (`pmdp_huge_get_and_clear_full`) and drop the
/// mapping (`folio_remove_rmap_pmd`, then the reference). The caller flushes the TLB for the range.
pub async fn zap_huge_pmd(k: &Kernel, mm: MmId, vpn: u32) {
    let h = haddr(vpn);
    let _call = k.enter(Func::ZapHugePmd, pack_page(mm, h));
    let ptl = k.pmd_lock(mm, h).await;
    if let Some(leaf) = k.pmd_read(mm, h) {
        k.pmd_write(mm, h, None);
        if let Pte::Present { pfn, .. } | Pte::DevicePrivate { pfn, .. } = leaf {
            k.entire_mapcount_add(pfn, -1);
            k.folio_put(pfn);
        }
    }
    k.unlock(ptl);
    let mut w = k.wm();
    for vpn in h..h + HPAGE_PMD_NR {
        w.expected.remove(&(mm, vpn));
    }
}

/// `change_huge_pmd(vma, pmd, addr, PROT_READ)`: mprotect write-protects a PMD leaf the range covers whole in
/// place, under the PMD lock: a huge present entry loses its write bit; a non-present one
/// (`change_non_present_huge_pmd`) becomes readable: a writable PMD migration entry read-exclusive, a writable
/// device-private entry read-only. The huge zero page is read-only already. Making a range writable leaves the
/// entry as it is here, as it does for PTEs (the next write faults and reuses the page).
pub async fn change_huge_pmd_readonly(k: &Kernel, mm: MmId, vpn: u32) {
    let h = haddr(vpn);
    let _call = k.enter(Func::ChangeHugePmd, pack_page(mm, h));
    let ptl = k.pmd_lock(mm, h).await;
    let new = match k.pmd_read(mm, h) {
        Some(Pte::Present {
            pfn,
            write: true,
            dirty,
        }) => Some(Pte::Present {
            pfn,
            write: false,
            dirty,
        }),
        Some(Pte::DevicePrivate { pfn, write: true }) => {
            Some(Pte::DevicePrivate { pfn, write: false })
        }
        Some(Pte::Migration {
            pfn,
            kind: MigrationKind::Write,
        }) => Some(Pte::Migration {
            pfn,
            kind: MigrationKind::ReadExclusive,
        }),
        _ => None,
    };
    if let Some(new) = new {
        k.pmd_write(mm, h, Some(new));
    }
    k.unlock(ptl);
}

/// `madvise(MADV_FREE)` (`madvise_free_single_vma`): the kernel clears the dirty bit of each present
/// exclusive anonymous page (a THP wholly inside the range too, `madvise_free_huge_pmd`) so reclaim may drop
/// it later without swapping; non-present entries (swap, device-private) are skipped. The model has no
/// reclaim, so nothing is ever dropped and the data stays readable: the call is shown, under `mmap_lock`
/// for reading, and returns 0; a range with a hole in its vmas gives `-ENOMEM`, as `madvise` does.
pub async fn madvise_free(k: &Kernel, mm: MmId, start: u32, end: u32) -> i32 {
    let call = k.enter(Func::MadviseFree, pack_page(mm, start));
    k.mmap_read_lock(mm).await;
    let mapped = (start..end).all(|vpn| k.w().mms[mm as usize].vma(vpn).is_some());
    k.mmap_read_unlock(mm);
    if !mapped {
        call.ret(crate::errno::ENOMEM);
        return crate::errno::ENOMEM;
    }
    0
}

/// `madvise(MADV_HUGEPAGE)` (`hugepage_madvise`): the vmas of the range get `VM_HUGEPAGE`, under
/// `mmap_lock` for writing (split at the range's edges).
pub async fn madvise_hugepage(k: &Kernel, mm: MmId, start: u32, end: u32) -> i32 {
    let _call = k.enter(Func::HugepageMadvise, pack_page(mm, start));
    k.mmap_write_lock(mm).await;
    {
        let mut w = k.wm();
        let m = &mut w.mms[mm as usize];
        crate::mm::mmap::split_vmas(m, start, end);
        for v in m
            .vmas
            .iter_mut()
            .filter(|v| v.start >= start && v.end <= end)
        {
            v.hugepage = true;
        }
    }
    k.mmap_write_unlock(mm);
    0
}

/// `set_pmd_migration_entry(pvmw, page)` (6.19's collect calls it under the `pmd_lock` it holds): a PMD
/// mapping of a large folio becomes one PMD migration entry. A present PMD is flushed
/// (`pmdp_invalidate`); a device-private one the TLB never held is not. An AnonExclusive folio is shared
/// first (`folio_try_share_anon_rmap_pmd`), which fails for a maybe-pinned folio: the PMD is left as it
/// was and `-EBUSY` returned. Then `folio_remove_rmap_pmd` (entire mapcount −1) and `folio_put` (the
/// mapping's reference; the caller holds its own).
pub(crate) fn set_pmd_migration_entry(k: &Kernel, mm: MmId, h: u32, head: Pfn) -> i32 {
    let call = k.enter(Func::SetPmdMigrationEntry, pack_page(mm, h));
    let (write, present) = match k.pmd_read(mm, h) {
        Some(Pte::Present { pfn, write, .. }) if pfn == head => (write, true),
        Some(Pte::DevicePrivate { pfn, write }) if pfn == head => (write, false),
        _ => {
            call.ret(crate::errno::EBUSY);
            return crate::errno::EBUSY;
        }
    };
    let (exclusive, pinned) = {
        let w = k.w();
        let f = w.folio(head);
        (f.anon_exclusive, f.maybe_dma_pinned())
    };
    if exclusive && pinned {
        call.ret(crate::errno::EBUSY);
        return crate::errno::EBUSY;
    }
    if present {
        k.tlb_flush(h, h + HPAGE_PMD_NR); // pmdp_invalidate
    }
    let kind = MigrationKind::for_unmap(write, exclusive);
    if exclusive {
        k.set_flag(head, FolioFlag::AnonExclusive, false);
    }
    k.pmd_write(mm, h, Some(Pte::Migration { pfn: head, kind }));
    k.entire_mapcount_add(head, -1); // folio_remove_rmap_pmd
    k.folio_put(head);
    0
}

/// `remove_migration_pmd(pvmw, new)`, from `remove_migration_ptes`' rmap walk: under `pmd_lock`, a PMD
/// migration entry of `src` becomes a PMD mapping of the large folio `dst` (a device-private PMD entry
/// for device-private memory, a THP otherwise), with `folio_add_anon_rmap_pmd` (entire mapcount +1,
/// exclusive unless the entry was a plain read entry) and a reference for the mapping.
pub(crate) async fn remove_migration_pmd(k: &Kernel, mm: MmId, h: u32, src: Pfn, dst: Pfn) {
    let _call = k.enter(Func::RemoveMigrationPmd, pack_page(mm, h));
    let ptl = k.pmd_lock(mm, h).await;
    // The entry is re-read under the lock: one that changed meanwhile is left alone.
    if let Some(Pte::Migration { pfn, kind }) = k.pmd_read(mm, h) {
        if pfn == src {
            map_migrated_pmd(k, mm, h, dst, kind);
        }
    }
    k.unlock(ptl);
}

/// The body of `remove_migration_pmd` under `pmd_lock`: map `dst` at the PMD.
fn map_migrated_pmd(k: &Kernel, mm: MmId, h: u32, dst: Pfn, kind: MigrationKind) {
    k.folio_get(dst);
    let write = kind == MigrationKind::Write;
    let new = if k.w().folio(dst).is_device_private() {
        Pte::DevicePrivate { pfn: dst, write }
    } else {
        Pte::Present {
            pfn: dst,
            write,
            dirty: false,
        }
    };
    if kind != MigrationKind::Read && k.w().folio(dst).is_anon() {
        k.set_flag(dst, FolioFlag::AnonExclusive, true);
    }
    k.entire_mapcount_add(dst, 1);
    k.pmd_write(mm, h, Some(new));
}

/// `folio_split_unmapped(folio, 0)` of a locked large folio no page table maps (its PMD migration entry
/// has just been split into 512 PTE migration entries): 512 order-0 folios, each locked and holding the
/// one reference the migration holds on it, as the head keeps its own (finalize unlocks and puts each).
pub(crate) fn folio_split_unmapped(k: &Kernel, head: Pfn) {
    let _call = k.enter(Func::SplitHugePage, head);
    let template = k.w().folio(head).clone();
    let n = template.nr_pages();
    for p in head + 1..head + n {
        {
            let mut w = k.wm();
            let f = &mut w.frames[p as usize];
            f.tail_of = None;
            f.anon_vma = template.anon_vma;
            f.index = template.index + (p - head);
            f.anon_exclusive = template.anon_exclusive;
            f.lru = false;
            f.mirror = template.mirror;
        }
        k.folio_get(p);
        let locked = k.folio_trylock(p);
        debug_assert!(locked, "a tail page just split off is unlocked");
    }
    k.wm().frames[head as usize].order = 0;
}

/// `do_huge_pmd_device_private(vmf)` (6.19+): a CPU fault on a device-private PMD entry. Under `pmd_lock`
/// re-check the entry, then trylock the device folio: the winner takes a reference, drops the lock and
/// calls the page's `pgmap->ops->migrate_to_ram` (which migrates the whole 2 MiB), then unlocks and puts
/// it; a loser sleeps until the folio is unlocked and the access faults again.
pub async fn do_huge_pmd_device_private(k: &Kernel, mm: MmId, vpn: u32, write: bool) -> u32 {
    let h = haddr(vpn);
    let call = k.enter(Func::DoHugePmdDevicePrivate, pack_page(mm, h));
    let ptl = k.pmd_lock(mm, h).await;
    let Some(Pte::DevicePrivate { pfn: head, .. }) = k.pmd_read(mm, h) else {
        k.unlock(ptl);
        return crate::mm::memory::VM_FAULT_OK;
    };
    if !k.folio_trylock(head) {
        k.unlock(ptl);
        k.folio_wait_unlocked(head).await;
        return crate::mm::memory::VM_FAULT_OK;
    }
    k.folio_get(head);
    k.unlock(ptl);
    let ret = crate::mm::memory::migrate_to_ram(k, mm, h, head, write).await;
    k.folio_unlock(head);
    k.folio_put(head);
    call.ret(ret as i32);
    ret
}
