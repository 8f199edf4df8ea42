//! mm/rmap.c and the rmap half of mm/migrate.c: reverse-map walks over a folio's mappings.
//!
//! `rmap_walk` picks the walk by the folio: an anonymous folio's mappings are found through its anon_vma
//! (`rmap_walk_anon`: every mm that shares it, parent and fork children, wherever one of its vmas covers
//! the folio's linear index, `vma_address()` through `vm_pgoff`, under the anon_vma rwsem for read); a
//! page-cache folio's (shmem or a regular file) through its address space (`rmap_walk_file`: every VMA in
//! `mapping->i_mmap` covering `folio->index`, again through `vm_pgoff`, under `i_mmap_rwsem` for read).

use crate::kernel::Kernel;
use crate::mm::mmu_notifier::{invalidate_range_end, invalidate_range_start, NotifierRange};
use crate::pte::{MigrationKind, Pfn, Pte};
use crate::trace::{pack_page, FolioFlag, Func, LockId, NotifyEvent};
use crate::world::{MmId, Zone};
/// The places an rmap walk visits (`rmap_walk_anon`'s anon_vma members or `rmap_walk_file`'s `i_mmap`
/// VMAs, see [`crate::world::World::rmap_candidates`]). Whether each PTE still maps the folio is checked at
/// the visit, under its PTL (`page_vma_mapped_walk`), not up front: a fork that copied the entry after the
/// walk started is still seen.
fn rmap_members(k: &Kernel, pfn: Pfn) -> Vec<(MmId, u32)> {
    k.w().rmap_candidates(pfn)
}

/// Cheap pre-check that this mm's PTE may map `pfn` (the real check is repeated under the PTL).
fn maps(k: &Kernel, mm: MmId, vpn: u32, pfn: Pfn) -> bool {
    k.w().mms[mm as usize].pte(vpn).pfn() == Some(pfn)
}

/// The rwsem a walk of `pfn`'s mappings takes for read: the anon_vma's (`anon_vma_lock_read`) or the
/// file's `i_mmap_rwsem` (`i_mmap_lock_read`). `None` for a folio with no mapping at all.
pub(crate) fn rmap_lock(k: &Kernel, pfn: Pfn) -> Option<LockId> {
    let w = k.w();
    let f = w.folio(pfn);
    match (f.anon_vma, f.mapping) {
        (Some(av), _) => Some(LockId::AnonVma(av)),
        (None, Some(m)) => Some(LockId::IMmap(m)),
        (None, None) => None,
    }
}

/// `rmap_walk(folio)`'s lock-walk-unlock frame: the places `folio`'s anon_vma or file may map it, under
/// that rmap's lock. `remove_migration_ptes` walks the new folio (which took over the old one's anon_vma
/// or page-cache slot in `folio_migrate_mapping`) to find the old one's migration entries.
async fn rmap_walk_locked(k: &Kernel, folio: Pfn) -> (Option<LockId>, Vec<(MmId, u32)>) {
    let lock = rmap_lock(k, folio);
    if let Some(lock) = lock {
        k.down_read(lock).await;
    }
    (lock, rmap_members(k, folio))
}

async fn try_to_migrate_one(k: &Kernel, mm: MmId, vpn: u32, pfn: Pfn) {
    let _call = k.enter(Func::TryToMigrateOne, pack_page(mm, vpn));
    let range = NotifierRange::one_page(mm, vpn, NotifyEvent::Clear);
    invalidate_range_start(k, range).await;
    let ptl = k.pte_lock(mm, vpn).await;
    let pte = k.pte_read(mm, vpn, false);
    let write = match pte {
        Pte::Present { pfn: p, write, .. } if p == pfn => {
            k.tlb_flush(vpn, vpn + 1); // ptep_clear_flush
            write
        }
        Pte::DevicePrivate { pfn: p, write } if p == pfn => write,
        _ => {
            k.unlock(ptl);
            invalidate_range_end(k, range);
            return;
        }
    };
    // A page-cache folio's dirty PTE passes its dirty bit on (`folio_mark_dirty` in try_to_migrate_one).
    if let Pte::Present { dirty: true, .. } = pte {
        if k.w().folio(pfn).mapping.is_some() && !k.w().folio(pfn).dirty {
            k.set_flag(pfn, FolioFlag::Dirty, true);
        }
    }
    let exclusive = k.w().folio(pfn).anon_exclusive;
    let kind = MigrationKind::for_unmap(write, exclusive);
    if exclusive {
        k.set_flag(pfn, FolioFlag::AnonExclusive, false);
    }
    k.pte_write(mm, vpn, Pte::Migration { pfn, kind });
    k.mapcount_add(pfn, -1); // folio_remove_rmap_pte
    k.folio_put(pfn);
    k.unlock(ptl);
    invalidate_range_end(k, range);
}

/// `try_to_migrate(folio, 0)`: replace every remaining mapping with a migration entry.
pub async fn try_to_migrate(k: &Kernel, pfn: Pfn) {
    let _call = k.enter(Func::TryToMigrate, pfn);
    let (lock, members) = rmap_walk_locked(k, pfn).await;
    for (mm, vpn) in members {
        if maps(k, mm, vpn, pfn) {
            try_to_migrate_one(k, mm, vpn, pfn).await;
        }
    }
    if let Some(lock) = lock {
        k.up_read(lock);
    }
}

async fn remove_migration_pte(k: &Kernel, mm: MmId, vpn: u32, src: Pfn, dst: Pfn) {
    let _call = k.enter(Func::RemoveMigrationPte, pack_page(mm, vpn));
    let ptl = k.pte_lock(mm, vpn).await;
    let kind = match k.pte_read(mm, vpn, false) {
        Pte::Migration { pfn, kind } if pfn == src => kind,
        _ => {
            k.unlock(ptl);
            return;
        }
    };
    k.folio_get(dst);
    let write = kind == MigrationKind::Write;
    let new = match k.w().folio(dst).zone {
        Zone::DevicePrivate(_) => Pte::DevicePrivate { pfn: dst, write },
        _ => Pte::Present {
            pfn: dst,
            write,
            dirty: false,
        },
    };
    // RMAP_EXCLUSIVE for write and read-exclusive entries of an anonymous folio; a page-cache folio
    // takes a file rmap (`folio_add_file_rmap_pte`), which has no exclusive bit.
    if kind != MigrationKind::Read && k.w().folio(dst).is_anon() {
        k.set_flag(dst, FolioFlag::AnonExclusive, true);
    }
    k.mapcount_add(dst, 1);
    k.pte_write(mm, vpn, new);
    k.unlock(ptl);
}

/// `remove_migration_ptes(src, dst, 0)`: every migration entry for `src` becomes a mapping of `dst`
/// (`dst == src` restores the original). `dst` inherits `src`'s anon_vma and index beforehand.
pub async fn remove_migration_ptes(k: &Kernel, src: Pfn, dst: Pfn) {
    let _call = k.enter(Func::RemoveMigrationPtes, src);
    let (lock, members) = rmap_walk_locked(k, dst).await;
    for (mm, vpn) in members {
        // page_vma_mapped_walk stops at a PMD migration entry of a large folio: remove_migration_pmd.
        if let Some(Pte::Migration { pfn, .. }) = k.pmd_read(mm, vpn) {
            if pfn == src {
                crate::mm::huge_memory::remove_migration_pmd(k, mm, vpn, src, dst).await;
            }
            continue;
        }
        if !maps(k, mm, vpn, src) {
            continue;
        }
        remove_migration_pte(k, mm, vpn, src, dst).await;
    }
    if let Some(lock) = lock {
        k.up_read(lock);
    }
}
