//! mm/rmap.c and the rmap half of mm/migrate.c: reverse-map walks over a folio's mappings.
//!
//! An anonymous folio's mappings are found as the kernel finds them: every mm that shares the folio's
//! anon_vma (parent and fork children) may map it where one of its vmas covers the folio's linear index
//! (`folio->index`, `vma_address()`).

use crate::kernel::Kernel;
use crate::mm::mmu_notifier::{invalidate_range_end, invalidate_range_start, NotifierRange};
use crate::pte::{MigrationKind, Pfn, Pte};
use crate::trace::{pack_page, FolioFlag, Func, LockId, NotifyEvent};
use crate::world::{MmId, Zone};
/// The places an rmap walk visits, in anon_vma member order (`rmap_walk_anon`): every live mm that shares
/// the folio's anon_vma, at each address whose vma covers the folio's index. Whether each PTE still maps the folio is checked at the
/// visit, under its PTL (`page_vma_mapped_walk`), not up front: a fork that copied the entry after the walk
/// started is still seen.
fn rmap_members(k: &Kernel, pfn: Pfn) -> Vec<(MmId, u32)> {
    let w = k.w();
    let f = w.folio(pfn);
    let Some(av) = f.anon_vma else {
        return Vec::new();
    };
    w.anon_vmas[av as usize]
        .members
        .iter()
        .filter(|&&mm| w.mms[mm as usize].alive)
        .flat_map(|&mm| {
            w.mms[mm as usize]
                .addresses_of(f.index)
                .map(move |vpn| (mm, vpn))
        })
        .collect()
}

/// Cheap pre-check that this mm's PTE may map `pfn` (the real check is repeated under the PTL).
fn maps(k: &Kernel, mm: MmId, vpn: u32, pfn: Pfn) -> bool {
    k.w().mms[mm as usize].pte(vpn).pfn() == Some(pfn)
}

fn anon_vma_of(k: &Kernel, pfn: Pfn) -> u32 {
    k.w().folio(pfn).anon_vma.unwrap_or(0)
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
    let exclusive = k.w().folio(pfn).anon_exclusive;
    let kind = if write {
        MigrationKind::Write
    } else if exclusive {
        MigrationKind::ReadExclusive
    } else {
        MigrationKind::Read
    };
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
    let av = LockId::AnonVma(anon_vma_of(k, pfn));
    k.down_read(av).await;
    for (mm, vpn) in rmap_members(k, pfn) {
        if maps(k, mm, vpn, pfn) {
            try_to_migrate_one(k, mm, vpn, pfn).await;
        }
    }
    k.up_read(av);
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
    // RMAP_EXCLUSIVE for write and read-exclusive entries.
    if kind != MigrationKind::Read {
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
    let av = LockId::AnonVma(anon_vma_of(k, dst));
    k.down_read(av).await;
    for (mm, vpn) in rmap_members(k, src) {
        if !maps(k, mm, vpn, src) {
            continue;
        }
        remove_migration_pte(k, mm, vpn, src, dst).await;
    }
    k.up_read(av);
}
