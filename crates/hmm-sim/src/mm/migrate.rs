//! mm/migrate.c: the commit-time reference check that makes migrations fail with -EAGAIN, and the move of
//! a page-cache slot from the old folio to the new one.

use crate::errno::EAGAIN;
use crate::kernel::Kernel;
use crate::pte::Pfn;
use crate::trace::{Ev, FolioFlag, Func, RefMismatch, RetryReason};

/// `folio_migrate_mapping(mapping, dst, src, extra_count)`: the source must hold exactly
/// `folio_expected_ref_count(src) + extra_count + 1` references (86ebd50224c0, 6.16; the same number for
/// anonymous pages before it). An anonymous folio has no mapping to move. A page-cache folio (only the
/// file-backed RFC lets one reach here: the merged kernel refuses it earlier, in `migrate_vma_pages`)
/// counts the cache's reference too; its slot in the cache moves to `dst`, which takes a cache reference
/// while `src` drops its own, and the dirty flag moves with the data ("Move dirty while page refs frozen").
/// Then `folio_migrate_flags`.
pub fn folio_migrate_mapping(k: &Kernel, dst: Pfn, src: Pfn, extra_count: i32) -> i32 {
    let call = k.enter(Func::FolioMigrateMapping, src);
    let (refcount, mapcount) = {
        let w = k.w();
        let f = w.folio(src);
        // folio_mapcount: each page's PTE mappings and, for a large folio, its PMD mappings.
        let ptes: i32 = (src..src + f.nr_pages()).map(|p| w.folio(p).mapcount).sum();
        (f.refcount, ptes + f.entire_mapcount)
    };
    // folio_expected_ref_count: one per mapping, one for the page cache (the swap cache is not modelled).
    let cache = k.w().folio(src).mapping;
    let expected = mapcount + cache.is_some() as i32 + extra_count + 1;
    if refcount != expected {
        k.retry(RetryReason::MigrateEagain);
        k.record(Ev::Error {
            errno: EAGAIN,
            refs: Some(RefMismatch {
                found: refcount,
                expected,
            }),
        });
        call.ret(EAGAIN);
        return EAGAIN;
    }
    if let Some(mapping) = cache {
        let (index, dirty) = {
            let w = k.w();
            (w.folio(src).index, w.folio(src).dirty)
        };
        {
            let mut w = k.wm();
            w.frames[dst as usize].mapping = Some(mapping);
            w.frames[src as usize].mapping = None;
            w.mappings[mapping as usize].pages.insert(index, dst); // xas_store
        }
        k.folio_get(dst); // folio_ref_add(newfolio, nr): the cache reference
        if dirty {
            k.set_flag(src, FolioFlag::Dirty, false);
            k.set_flag(dst, FolioFlag::Dirty, true);
        }
        k.folio_put(src); // folio_ref_unfreeze(folio, expected_count - nr): the old cache reference
    }
    // folio_migrate_flags: the new folio takes over the anon mapping and index.
    let mut w = k.wm();
    let (anon_vma, index) = (
        w.frames[src as usize].anon_vma,
        w.frames[src as usize].index,
    );
    let d = &mut w.frames[dst as usize];
    d.anon_vma = anon_vma;
    d.index = index;
    0
}
