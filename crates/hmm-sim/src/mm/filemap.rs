//! mm/filemap.c, the file half of mm/memory.c's fault handling, and mm/truncate.c: the page cache of an
//! address space, faults on file mappings (`MAP_SHARED` and `MAP_PRIVATE`, shmem and regular files),
//! `read(2)` / `write(2)` through the page cache, writeback and truncate.
//!
//! A page-cache folio holds one reference for the cache (`filemap_add_folio`), one per mapping, and knows
//! its `mapping` and `index`. Simplified, and said so: no readahead (one page is read per miss), no
//! reclaim of clean folios, writeback completes at once (no I/O in flight), shmem is never swapped.

use crate::kernel::Kernel;
use crate::mm::memory::{add_new_anon_rmap, VM_FAULT_OK, VM_FAULT_SIGBUS};
use crate::mm::migrate_device::{
    migrate_device_range, migrate_pfn, migrate_vma_finalize, migrate_vma_pages, migrated,
    MigrateVma, MIGRATE_PFN_MIGRATE, MIGRATE_PFN_WRITE,
};
use crate::mm::mmu_notifier::{invalidate_range_end, invalidate_range_start, NotifierRange};
use crate::mm::rmap::rmap_lock;
use crate::mm::shmem::shmem_get_folio;
use crate::pte::{Pfn, Pte};
use crate::trace::{pack_page, FolioFlag, Func, LockId, NotifyEvent, NO_OWNER};
use crate::world::{MappingKind, MmId, Vma, Zone, PTRS_PER_PTE};

/// `filemap_get_entry` + `folio_try_get`: the cached folio at `index`, with a reference.
fn filemap_get_entry(k: &Kernel, mapping: u32, index: u32) -> Option<Pfn> {
    let pfn = k.w().mappings[mapping as usize]
        .pages
        .get(&index)
        .copied()?;
    k.folio_get(pfn);
    Some(pfn)
}

/// `filemap_get_folio`: the cached folio at `index`, with a reference, for the CPU to use. On the
/// file-backed RFC kernel the cache may hold a device-private folio, which the CPU cannot read: the lookup
/// migrates it back to system memory first (`filemap_migrate_device_private`) and looks again (seed 002,
/// patch 3: "always migrating such pages back from device memory when looking them up in the pagecache").
/// On the merged kernels no device-private folio ever reaches a page cache, and this is one lookup.
pub(crate) async fn filemap_get_folio(k: &Kernel, mapping: u32, index: u32) -> Option<Pfn> {
    loop {
        let pfn = filemap_get_entry(k, mapping, index)?;
        if !k.w().folio(pfn).is_device_private() {
            return Some(pfn);
        }
        // The lookup's reference would fail migrate_vma_check_page: drop it before migrating.
        k.folio_put(pfn);
        if !filemap_migrate_device_private(k, pfn).await {
            // Another thread holds the folio's lock (it is migrating or truncating it: wait for it) or a
            // reference (the migration failed -EAGAIN: let it run). Then look again. [I]: the cover
            // letter leaves error handling out; a retry that never sleeps can spin, like 6.15's fault
            // path, while the other thread does not get to run (run-to-block scheduling).
            if k.w().folio(pfn).locked.is_some() {
                k.folio_wait_unlocked(pfn).await;
            } else {
                k.preempt().await;
            }
        }
    }
}

/// The file-backed RFC's migration of a device-private page-cache folio back to system memory ([I]: the
/// name and the exact steps are inferred from the cover letter, the patch text was not found; the steps
/// are those of `migrate_device_range`, the mainline API for migrating device pages with no vma): lock and
/// unmap the device page (`try_to_migrate` through `rmap_walk_file`), give it a system page, and move the
/// page-cache slot over (`folio_migrate_mapping`). The data comes from the device through the driver's
/// copy-back callback, after which the page is dirtied (`set_page_dirty`: the device may have written
/// it); a driver without the callback gets the page reloaded from the backing store (`->read_folio`),
/// which is only right because such a driver was given clean, read-only file pages. `false` if the folio
/// could not be taken (locked by another thread, or gone).
async fn filemap_migrate_device_private(k: &Kernel, pfn: Pfn) -> bool {
    let call = k.enter(Func::FilemapMigrateDevicePrivate, pfn);
    let (dev, mapping, index) = {
        let w = k.w();
        let f = w.folio(pfn);
        match (f.zone, f.mapping) {
            (Zone::DevicePrivate(dev), Some(m)) => (dev, m, f.index),
            _ => return true, // already back, or out of the cache: nothing to do
        }
    };
    let mut m = MigrateVma::new(k, 0, 0, 1, dev + 1, 0);
    migrate_device_range(k, &mut m, &[pfn]).await;
    let copy_back = k.pgmap_ops(dev).and_then(|ops| ops.copy_to_pagecache);
    let mut dst = None;
    if m.src[0] & MIGRATE_PFN_MIGRATE != 0 {
        let page = k.alloc_system(0);
        k.lock(LockId::Folio(page)).await;
        match copy_back {
            Some(copy) => copy(k, pfn, page),
            None => {
                let data = k.w().mappings[mapping as usize]
                    .disk
                    .get(&index)
                    .copied()
                    .unwrap_or(0);
                k.set_content(page, data); // ->read_folio: the device's copy is dropped
            }
        }
        m.set_dst(k, 0, migrate_pfn(page) | (m.src[0] & MIGRATE_PFN_WRITE));
        dst = Some(page);
    }
    migrate_vma_pages(k, &mut m).await;
    let ok = migrated(&m, 0);
    if let (true, Some(page), Some(_)) = (ok, dst, copy_back) {
        folio_mark_dirty(k, page); // the driver's set_page_dirty
    }
    migrate_vma_finalize(k, &mut m).await;
    call.ret(ok as i32);
    ok
}

/// `filemap_add_folio`: a new folio (the caller's reference, locked) joins the page cache at `index`. The
/// cache takes a reference of its own; the folio goes on the LRU.
pub(crate) fn filemap_add_folio(k: &Kernel, mapping: u32, index: u32, pfn: Pfn) {
    let _call = k.enter(Func::FilemapAddFolio, pfn);
    {
        let mut w = k.wm();
        let f = &mut w.frames[pfn as usize];
        f.mapping = Some(mapping);
        f.index = index;
        w.mappings[mapping as usize].pages.insert(index, pfn);
    }
    k.folio_get(pfn);
    k.set_flag(pfn, FolioFlag::Lru, true);
}

/// `filemap_fault` for a regular file: the folio at `index`, locked and with a reference; on a miss a new
/// folio is allocated, added to the cache locked, and read from disk (`filemap_read_folio`). The caller
/// checked `index < i_size`.
async fn filemap_fault(k: &Kernel, mapping: u32, index: u32) -> Pfn {
    let _call = k.enter(Func::FilemapFault, index);
    if let Some(pfn) = filemap_get_folio(k, mapping, index).await {
        k.lock(LockId::Folio(pfn)).await;
        return pfn;
    }
    let pfn = k.alloc_system(0);
    // __folio_set_locked: nobody else knows the new folio, and nothing between the lookup and the
    // insertion sleeps, so no other thread can add one at this index first (-EEXIST is not modelled).
    k.folio_trylock(pfn);
    filemap_add_folio(k, mapping, index, pfn);
    let data = k.w().mappings[mapping as usize]
        .disk
        .get(&index)
        .copied()
        .unwrap_or(0);
    k.set_content(pfn, data); // ->read_folio: the block's data arrives
    pfn
}

/// `__do_fault` → `vma->vm_ops->fault`: the page-cache folio for `index`, locked, with a reference; `None`
/// past the end of the file (`VM_FAULT_SIGBUS`).
async fn do_fault_lookup(k: &Kernel, mapping: u32, index: u32) -> Option<Pfn> {
    let (kind, size) = {
        let w = k.w();
        let a = &w.mappings[mapping as usize];
        (a.kind, a.size)
    };
    if index >= size {
        return None;
    }
    Some(match kind {
        MappingKind::File => filemap_fault(k, mapping, index).await,
        MappingKind::Shmem => shmem_get_folio(k, mapping, index).await,
    })
}

/// `finish_fault` → `set_pte_range`: under the PTL, map `pfn` (a file folio: `folio_add_file_rmap_pte`;
/// an anonymous COW copy: `folio_add_new_anon_rmap`) unless someone else populated the PTE first. The
/// caller's reference becomes the mapping's; `false` if it was not used.
async fn finish_fault(k: &Kernel, mm: MmId, vpn: u32, pfn: Pfn, entry: Pte, anon: bool) -> bool {
    let _call = k.enter(Func::FinishFault, pack_page(mm, vpn));
    let ptl = k.pte_lock(mm, vpn).await;
    let populated = k.pte_read(mm, vpn, false) != Pte::None;
    if !populated {
        if anon {
            add_new_anon_rmap(k, mm, vpn, pfn);
        } else {
            k.mapcount_add(pfn, 1);
        }
        k.pte_write(mm, vpn, entry);
    }
    k.unlock(ptl);
    !populated
}

/// `do_fault` for a `pte_none` PTE of a file VMA: `do_read_fault`, `do_cow_fault` (a write to a
/// `MAP_PRIVATE` mapping: the data is copied into a new anonymous folio, so a file VMA gains an anonymous
/// page) or `do_shared_fault` (a write to a `MAP_SHARED` mapping: the page-cache folio is mapped writable
/// and dirtied).
pub(crate) async fn do_fault(k: &Kernel, mm: MmId, vpn: u32, vma: &Vma, write: bool) -> u32 {
    let Some(index) = vma.pgoff_of(vpn) else {
        return VM_FAULT_SIGBUS;
    };
    let mapping = vma.file.map(|f| f.mapping).unwrap_or(0);
    let func = match (write, vma.shared) {
        (false, _) => Func::DoReadFault,
        (true, false) => Func::DoCowFault,
        (true, true) => Func::DoSharedFault,
    };
    let call = k.enter(func, pack_page(mm, vpn));
    let Some(folio) = do_fault_lookup(k, mapping, index).await else {
        call.ret(VM_FAULT_SIGBUS as i32);
        return VM_FAULT_SIGBUS;
    };
    let (mapped, entry, anon) = match func {
        Func::DoCowFault => {
            let new = k.alloc_system(0);
            k.copy_page(folio, new); // copy_mc_user_highpage
            (new, Pte::mk(new, true), true)
        }
        Func::DoSharedFault => (folio, Pte::mk(folio, true), false),
        _ => (
            folio,
            Pte::Present {
                pfn: folio,
                write: false,
                dirty: false,
            },
            false,
        ),
    };
    let used = finish_fault(k, mm, vpn, mapped, entry, anon).await;
    if used && func == Func::DoSharedFault {
        folio_mark_dirty(k, folio); // fault_dirty_shared_page
    }
    k.folio_unlock(folio);
    if !used {
        k.folio_put(mapped);
    }
    if mapped != folio {
        k.folio_put(folio); // do_cow_fault drops the page-cache folio once copied
    }
    VM_FAULT_OK
}

/// `folio_mark_dirty` (`filemap_dirty_folio`): the folio now holds data its backing store lacks.
pub(crate) fn folio_mark_dirty(k: &Kernel, pfn: Pfn) {
    if !k.w().folio(pfn).dirty {
        k.set_flag(pfn, FolioFlag::Dirty, true);
    }
}

/// `wp_page_shared`: a write to a read-only PTE of a `MAP_SHARED` file page makes it writable in place
/// and dirties the folio. A regular file's `->page_mkwrite` (`filemap_page_mkwrite`) dirties it under the
/// folio lock first, which is what keeps writeback (`folio_mkclean` then clearing the dirty flag, also
/// under the folio lock) from cleaning a folio that was just made writable again; shmem has no
/// `->page_mkwrite` and no writeback, and is dirtied after (`fault_dirty_shared_page`).
pub(crate) async fn wp_page_shared(k: &Kernel, mm: MmId, vpn: u32, pte: Pte, pfn: Pfn) -> u32 {
    let _call = k.enter(Func::WpPageShared, pack_page(mm, vpn));
    let mapping = k.w().folio(pfn).mapping;
    let page_mkwrite =
        mapping.is_some_and(|m| k.w().mappings[m as usize].kind == MappingKind::File);
    k.folio_get(pfn);
    if page_mkwrite {
        k.lock(LockId::Folio(pfn)).await;
        if k.w().folio(pfn).mapping == mapping {
            folio_mark_dirty(k, pfn);
        }
    }
    let ptl = k.pte_lock(mm, vpn).await;
    let same = k.pte_read(mm, vpn, false) == pte;
    if same {
        k.pte_write(mm, vpn, Pte::mk(pfn, true));
    }
    k.unlock(ptl);
    if page_mkwrite {
        k.folio_unlock(pfn);
    } else if same && mapping.is_some() {
        folio_mark_dirty(k, pfn);
    }
    k.folio_put(pfn);
    VM_FAULT_OK
}

/// `read(2)` of file page `index` (`filemap_read`, `shmem_file_read_iter`): the data, or `None` at or past
/// the end of the file (a short read). A regular file's miss reads the block into a new cached folio; a
/// shmem hole reads as zeroes without allocating.
pub async fn filemap_read(k: &Kernel, mapping: u32, index: u32) -> Option<u32> {
    let call = k.enter(Func::FilemapRead, index);
    let (kind, size) = {
        let w = k.w();
        let a = &w.mappings[mapping as usize];
        (a.kind, a.size)
    };
    if index >= size {
        call.ret(0);
        return None;
    }
    let folio = match kind {
        MappingKind::File => Some(filemap_fault(k, mapping, index).await),
        MappingKind::Shmem => match filemap_get_folio(k, mapping, index).await {
            Some(pfn) => {
                k.lock(LockId::Folio(pfn)).await;
                Some(pfn)
            }
            None => None,
        },
    };
    let Some(pfn) = folio else { return Some(0) };
    let data = k.w().folio(pfn).content;
    k.folio_unlock(pfn);
    k.folio_put(pfn);
    Some(data)
}

/// `write(2)` of `value` to file page `index` (`generic_perform_write`: `write_begin` finds or creates the
/// locked folio, the data is copied in, `write_end` dirties it). Writing past the end grows the file.
pub async fn generic_perform_write(k: &Kernel, mapping: u32, index: u32, value: u32) {
    let _call = k.enter(Func::GenericPerformWrite, index);
    let kind = k.w().mappings[mapping as usize].kind;
    {
        let mut w = k.wm();
        let a = &mut w.mappings[mapping as usize];
        a.size = a.size.max(index + 1); // i_size_write
    }
    let pfn = match kind {
        MappingKind::Shmem => shmem_get_folio(k, mapping, index).await,
        MappingKind::File => filemap_fault(k, mapping, index).await,
    };
    k.store(pfn, value);
    folio_mark_dirty(k, pfn);
    k.folio_unlock(pfn);
    k.folio_put(pfn);
}

/// `folio_mkclean`: write-protect (and clean) every PTE mapping the folio, through `rmap_walk_file` under
/// `i_mmap_rwsem`, so the next write faults (`wp_page_shared`) and dirties the folio again.
async fn folio_mkclean(k: &Kernel, pfn: Pfn) {
    let _call = k.enter(Func::FolioMkclean, pfn);
    let Some(lock) = rmap_lock(k, pfn) else {
        return;
    };
    k.down_read(lock).await;
    let members = k.w().rmap_candidates(pfn);
    for (mm, vpn) in members {
        let range = NotifierRange::one_page(mm, vpn, NotifyEvent::ProtectionPage);
        invalidate_range_start(k, range).await;
        let ptl = k.pte_lock(mm, vpn).await;
        if let Pte::Present { pfn: p, write, .. } = k.pte_read(mm, vpn, false) {
            if p == pfn && write {
                k.tlb_flush(vpn, vpn + 1);
                let clean = Pte::Present {
                    pfn,
                    write: false,
                    dirty: false,
                };
                k.pte_write(mm, vpn, clean);
            }
        }
        k.unlock(ptl);
        invalidate_range_end(k, range);
    }
    k.up_read(lock);
}

/// `fsync(2)` → `filemap_write_and_wait_range`: every dirty folio of a regular file is locked, cleaned
/// (`folio_clear_dirty_for_io` → `folio_mkclean`), written to disk under `PG_writeback`, and unlocked.
/// shmem has no backing store to write to.
pub async fn filemap_write_and_wait(k: &Kernel, mapping: u32) {
    let _call = k.enter(Func::FilemapWriteAndWait, mapping);
    if k.w().mappings[mapping as usize].kind == MappingKind::Shmem {
        return;
    }
    let dirty: Vec<u32> = {
        let w = k.w();
        let a = &w.mappings[mapping as usize];
        a.pages
            .iter()
            .filter(|(_, &pfn)| w.folio(pfn).dirty)
            .map(|(&i, _)| i)
            .collect()
    };
    for index in dirty {
        // Each folio is taken again by its index, with a reference (`filemap_get_folios_tag`): the one
        // seen above may have been truncated or migrated since. On the file-backed RFC (patch 4,
        // "writeback for shared device private pages") the lookup also brings a dirty device-private
        // folio back (the block layer cannot read device memory); its system copy is the one written.
        // A copy-back driver's writable pages are always dirty while on the device (`migrate_vma_pages`).
        let Some(pfn) = filemap_get_folio(k, mapping, index).await else {
            continue;
        };
        k.lock(LockId::Folio(pfn)).await;
        // Still this file's dirty folio? (truncate may have removed it while we slept on the lock.)
        let still = {
            let w = k.w();
            w.folio(pfn).dirty && w.mappings[mapping as usize].pages.get(&index) == Some(&pfn)
        };
        if still {
            folio_mkclean(k, pfn).await;
            k.set_flag(pfn, FolioFlag::Dirty, false);
            k.set_flag(pfn, FolioFlag::Writeback, true);
            let data = k.w().folio(pfn).content;
            k.wm().mappings[mapping as usize].disk.insert(index, data);
            k.set_flag(pfn, FolioFlag::Writeback, false); // folio_end_writeback
        }
        k.folio_unlock(pfn);
        k.folio_put(pfn);
    }
}

/// `unmap_mapping_range(mapping, from, 0, even_cows = 1)`: zap every PTE of every VMA of this file that
/// maps a page at or past `from`, private COW copies included (under `i_mmap_rwsem` for read).
async fn unmap_mapping_range(k: &Kernel, mapping: u32, from: u32) {
    let lock = LockId::IMmap(mapping);
    k.down_read(lock).await;
    let vmas: Vec<(MmId, u32, u32)> = {
        let w = k.w();
        let mut out = Vec::new();
        for mm in w.mms.iter().filter(|m| m.alive) {
            for v in &mm.vmas {
                let Some(f) = v.file.filter(|f| f.mapping == mapping) else {
                    continue;
                };
                let first = from.max(f.pgoff);
                let last = f.pgoff + (v.end - v.start);
                if first < last {
                    out.push((mm.id, v.start + (first - f.pgoff), v.end));
                }
            }
        }
        out
    };
    for (mm, start, end) in vmas {
        let range = NotifierRange {
            mm,
            start,
            end,
            event: NotifyEvent::Unmap,
            owner: NO_OWNER,
        };
        invalidate_range_start(k, range).await;
        for vpn in start..end {
            if k.w().mms[mm as usize].pmds[(vpn / PTRS_PER_PTE) as usize].is_none() {
                continue;
            }
            let ptl = k.pte_lock(mm, vpn).await;
            let pte = k.pte_read(mm, vpn, false);
            if let Pte::Present { pfn, .. } | Pte::DevicePrivate { pfn, .. } = pte {
                k.pte_write(mm, vpn, Pte::None);
                k.mapcount_add(pfn, -1);
                k.folio_put(pfn);
            }
            k.unlock(ptl);
            k.wm().expected.remove(&(mm, vpn));
        }
        k.tlb_flush(start, end);
        invalidate_range_end(k, range);
    }
    k.up_read(lock);
}

/// `ftruncate(fd, size)` → `truncate_setsize` + `truncate_pagecache`: the file shrinks (or grows) to `size`
/// pages; pages past it are unmapped everywhere and their folios removed from the page cache
/// (`filemap_remove_folio`, under each folio's lock); a regular file's blocks past it are freed.
pub async fn truncate_pagecache(k: &Kernel, mapping: u32, size: u32) {
    let _call = k.enter(Func::TruncatePagecache, mapping);
    k.wm().mappings[mapping as usize].size = size; // i_size_write
    unmap_mapping_range(k, mapping, size).await;
    let doomed: Vec<u32> = k.w().mappings[mapping as usize]
        .pages
        .range(size..)
        .map(|(&i, _)| i)
        .collect();
    for index in doomed {
        // Taken again by index, with a reference (`find_lock_entries`): an earlier folio's lock may have
        // slept while this one was migrated (its slot now holds the new folio) or freed. A device-private
        // folio is not migrated back: its data is being thrown away.
        let Some(pfn) = filemap_get_entry(k, mapping, index) else {
            continue;
        };
        k.lock(LockId::Folio(pfn)).await;
        if k.w().mappings[mapping as usize].pages.get(&index) == Some(&pfn) {
            let _r = k.enter(Func::FilemapRemoveFolio, pfn);
            {
                let mut w = k.wm();
                w.mappings[mapping as usize].pages.remove(&index);
                w.frames[pfn as usize].mapping = None;
            }
            if k.w().folio(pfn).dirty {
                k.set_flag(pfn, FolioFlag::Dirty, false); // folio_cancel_dirty: the data is gone
            }
            k.folio_put(pfn); // the page cache's reference
        }
        k.folio_unlock(pfn);
        k.folio_put(pfn);
    }
    let mut w = k.wm();
    let doomed_blocks: Vec<u32> = w.mappings[mapping as usize]
        .disk
        .range(size..)
        .map(|(&i, _)| i)
        .collect();
    for i in doomed_blocks {
        w.mappings[mapping as usize].disk.remove(&i);
    }
    w.expected_file
        .retain(|&(m, i), _| m != mapping || i < size);
}
