//! lib/test_hmm.c `dmirror_fops_mmap`: mmap of the device file. For every page of the vma the driver
//! allocates a zeroed page (`alloc_page(GFP_KERNEL | __GFP_ZERO)`), inserts it with `vm_insert_page` (which
//! makes the vma `VM_MIXEDMAP`, takes a reference and a file rmap for the PTE) and drops its allocation
//! reference (`put_page`). The PTE gets the vma's `vm_page_prot`: read-only for a private mapping
//! (copy-on-write), writable for a shared one. The pages are not anonymous (no anon_vma) and not on the LRU.
//!
//! Done when the world is set up (the mmap comes before anything the lesson runs), so it writes the world
//! directly instead of recording trace events.

use crate::pte::Pte;
use crate::world::{MmId, PteTable, Vma, World, PTRS_PER_PTE};

/// Map `[start, start + npages)` of `mm` as `mmap(fd of /dev/hmm_dmirrorN, prot, MAP_PRIVATE or
/// MAP_SHARED)` would, pages inserted by `dmirror_fops_mmap`.
pub(crate) fn dmirror_fops_mmap(
    w: &mut World,
    mm: MmId,
    start: u32,
    npages: u32,
    read: bool,
    write: bool,
    shared: bool,
) {
    let m = &mut w.mms[mm as usize];
    m.vmas.push(Vma {
        start,
        end: start + npages,
        read,
        write,
        shared,
        special: false,
        pgoff: 0, // the file offset: mmap(…, fd, 0)
        mixedmap: true,
        hugepage: false,
        // The device file has no page cache (`vm_insert_page` of the driver's own pages).
        file: None,
    });
    m.vmas.sort_by_key(|v| v.start);
    for vpn in start..start + npages {
        let pfn = w.system_pop();
        let f = &mut w.frames[pfn as usize];
        f.content = 0;
        f.index = vpn - start;
        // vm_insert_page's reference and mapping; the allocation reference was put.
        f.refcount = 1;
        f.mapcount = 1;
        let table =
            w.mms[mm as usize].pmds[(vpn / PTRS_PER_PTE) as usize].get_or_insert_with(|| {
                Box::new(PteTable {
                    ptes: vec![Pte::None; PTRS_PER_PTE as usize],
                    ptl: None,
                })
            });
        table.ptes[(vpn % PTRS_PER_PTE) as usize] = Pte::Present {
            pfn,
            write: shared && write,
            dirty: false,
        };
        w.expected.insert((mm, vpn), 0);
    }
}
