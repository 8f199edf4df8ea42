//! mm/shmem.c: the page cache of shmem / tmpfs files, which every `MAP_SHARED|MAP_ANONYMOUS` mapping is
//! (`shmem_zero_setup` gives the VMA a file of its own). The page cache is the only copy of the data:
//! swap is not modelled for shmem, so a shmem folio stays cached until the file is truncated.

use crate::kernel::Kernel;
use crate::mm::filemap::{filemap_add_folio, filemap_get_folio};
use crate::pte::Pfn;
use crate::trace::{Func, LockId};

/// `shmem_get_folio_gfp(inode, index, ..., SGP_CACHE)`: the folio caching file page `index`, locked and
/// with a reference; on a miss (a hole) a zeroed folio is allocated (`shmem_alloc_folio`) and added to the
/// cache (`shmem_add_to_page_cache`). The caller checked `index < i_size`.
pub(crate) async fn shmem_get_folio(k: &Kernel, mapping: u32, index: u32) -> Pfn {
    let _call = k.enter(Func::ShmemGetFolio, index);
    if let Some(pfn) = filemap_get_folio(k, mapping, index).await {
        k.lock(LockId::Folio(pfn)).await;
        return pfn;
    }
    let pfn = k.alloc_system(0);
    // __folio_set_locked: nobody else knows the new folio, and nothing between the lookup and the
    // insertion sleeps, so no other thread can add one at this index first (-EEXIST is not modelled).
    k.folio_trylock(pfn);
    filemap_add_folio(k, mapping, index, pfn);
    pfn
}
