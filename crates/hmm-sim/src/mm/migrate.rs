//! mm/migrate.c: the commit-time reference check that makes migrations fail with -EAGAIN.

use crate::errno::EAGAIN;
use crate::kernel::Kernel;
use crate::pte::Pfn;
use crate::trace::{Ev, Func, RefMismatch, RetryReason};

/// `folio_migrate_mapping(mapping, dst, src, extra_count)` for an anonymous folio with no mapping to move:
/// the source must hold exactly `folio_expected_ref_count(src) + extra_count + 1` references
/// (86ebd50224c0, 6.16; the same number for anonymous pages before it). Then `folio_migrate_flags`.
pub fn folio_migrate_mapping(k: &Kernel, dst: Pfn, src: Pfn, extra_count: i32) -> i32 {
    let call = k.enter(Func::FolioMigrateMapping, src);
    let (refcount, mapcount) = {
        let w = k.w();
        let f = w.folio(src);
        // folio_mapcount: each page's PTE mappings and, for a large folio, its PMD mappings.
        let ptes: i32 = (src..src + f.nr_pages()).map(|p| w.folio(p).mapcount).sum();
        (f.refcount, ptes + f.entire_mapcount)
    };
    // folio_expected_ref_count: one per mapping (swap cache and page cache are not modelled).
    let expected = mapcount + extra_count + 1;
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
