//! [`Func`]: the kernel (or driver) function each event belongs to, with its file and purpose.

use serde::{Deserialize, Serialize};

macro_rules! funcs {
    ($( $variant:ident => $name:literal, $file:literal, $what:literal; )*) => {
        /// The kernel (or driver) function an event belongs to. Names are the kernel's own.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[repr(u16)]
        pub enum Func { $( $variant, )* }

        impl Func {
            pub const ALL: &'static [Func] = &[ $( Func::$variant, )* ];
            /// The kernel's name for the function, e.g. `"migrate_vma_collect_pmd"`.
            pub fn name(self) -> &'static str { match self { $( Func::$variant => $name, )* } }
            /// The source file it lives in, e.g. `"mm/migrate_device.c"`.
            pub fn file(self) -> &'static str { match self { $( Func::$variant => $file, )* } }
            /// One sentence: what it does and why.
            pub fn what(self) -> &'static str { match self { $( Func::$variant => $what, )* } }
        }
    };
}

funcs! {
    UserThread => "user thread", "(simulated task)", "The simulated task's own program: the ops a lesson or lane gave it.";
    UserAccess => "do_user_addr_fault", "arch/x86/mm/fault.c", "A CPU load or store hit a PTE that does not allow it, so the architecture enters the fault handler.";
    HandleMmFault => "handle_mm_fault", "mm/memory.c", "Resolves one page fault: looks at the PTE and dispatches to the handler for its kind.";
    DoAnonymousPage => "do_anonymous_page", "mm/memory.c", "First touch of anonymous memory: maps the zero page on a read, a fresh zeroed page on a write.";
    DoSwapPage => "do_swap_page", "mm/memory.c", "Handles a non-present, non-none PTE: swap-in, migration-entry wait, or a device-private page's migrate_to_ram.";
    DoWpPage => "do_wp_page", "mm/memory.c", "A write to a read-only present PTE: reuse the page if exclusive, otherwise copy it (COW).";
    WpPageCopy => "wp_page_copy", "mm/memory.c", "Breaks COW: allocates a new page, copies, and replaces the PTE under an MMU_NOTIFY_CLEAR invalidation.";
    WpPageReuse => "wp_page_reuse", "mm/memory.c", "The faulting process owns the page exclusively, so the PTE is simply made writable.";
    MigrationEntryWait => "migration_entry_wait", "mm/migrate.c", "The PTE is a migration entry: sleep until the folio is unlocked (the migration finished), then re-fault.";
    RemoveDeviceExclusiveEntry => "remove_device_exclusive_entry", "mm/memory.c", "CPU access to a device-exclusive page: invalidate the device's atomic mapping and restore a normal PTE.";
    HmmRangeFault => "hmm_range_fault", "mm/hmm.c", "Snapshots the CPU page table for a range, faulting in what the caller asked for; takes no refs and no locks on pages.";
    WalkPageRange => "walk_page_range", "mm/pagewalk.c", "Generic page-table walker: PGD→P4D→PUD→PMD→PTE, calling the walker's callbacks.";
    HmmVmaWalkTest => "hmm_vma_walk_test", "mm/hmm.c", "Checks whether hmm may walk this VMA (VM_READ, not VM_IO/VM_PFNMAP).";
    HmmVmaWalkPmd => "hmm_vma_walk_pmd", "mm/hmm.c", "Reads one PMD locklessly and maps its PTE table without taking the PTL.";
    HmmVmaWalkHole => "hmm_vma_walk_hole", "mm/hmm.c", "No page table here: fault the range in if the caller asked for it, otherwise report 0.";
    HmmVmaHandlePte => "hmm_vma_handle_pte", "mm/hmm.c", "Decodes one PTE (lockless ptep_get) into an HMM pfn, or decides it must be faulted.";
    HmmVmaFault => "hmm_vma_fault", "mm/hmm.c", "Calls handle_mm_fault for every page from here to the end of the PMD chunk, then returns -EBUSY to re-walk.";
    HmmVmaHandleMigratePrepare => "hmm_vma_handle_migrate_prepare", "mm/hmm.c", "Unified path (RFC): under this PTE's PTL, lock and ref the folio and replace the PTE with a migration entry.";
    HmmVmaCaptureMigrateRange => "hmm_vma_capture_migrate_range", "mm/hmm.c", "Unified path (RFC): checks the range is one VMA and opens the MMU_NOTIFY_MIGRATE invalidation once.";
    MigrateVmaSetup => "migrate_vma_setup", "mm/migrate_device.c", "Validates the range, collects migratable pages into src[] (installing migration entries) and unmaps them.";
    MigrateVmaCollect => "migrate_vma_collect", "mm/migrate_device.c", "Opens an MMU_NOTIFY_MIGRATE invalidation and walks the range with the collect callbacks.";
    MigrateVmaCollectPmd => "migrate_vma_collect_pmd", "mm/migrate_device.c", "Under the PTL of one PMD chunk, turns each migratable PTE into a migration entry and records src[i].";
    MigrateVmaCollectHole => "migrate_vma_collect_hole", "mm/migrate_device.c", "No page table: on an anonymous VMA every page is a hole to populate (src = MIGRATE, no pfn).";
    MigrateVmaCollectSkip => "migrate_vma_collect_skip", "mm/migrate_device.c", "Marks pages that cannot be migrated with src = 0.";
    MigrateDeviceUnmap => "migrate_device_unmap", "mm/migrate_device.c", "Isolates collected folios, unmaps any remaining mappings (try_to_migrate) and checks their refcounts.";
    MigrateVmaCheckPage => "migrate_vma_check_page", "mm/migrate_device.c", "Fails a page if it holds more references than its mappings and our own refs explain.";
    LruAddDrain => "lru_add_drain", "mm/swap.c", "Flushes this CPU's LRU batches so collected folios can be isolated.";
    FolioIsolateLru => "folio_isolate_lru", "mm/vmscan.c", "Takes the folio off the LRU (with a reference) so reclaim cannot touch it during migration.";
    FolioPutbackLru => "folio_putback_lru", "mm/vmscan.c", "Puts a folio that will not be migrated back on the LRU.";
    TryToMigrate => "try_to_migrate", "mm/rmap.c", "Walks the reverse map and replaces every remaining mapping of the folio with a migration entry.";
    TryToMigrateOne => "try_to_migrate_one", "mm/rmap.c", "Replaces one mapping with a migration entry, under an MMU_NOTIFY_CLEAR invalidation.";
    RemoveMigrationPtes => "remove_migration_ptes", "mm/migrate.c", "Walks the reverse map and replaces every migration entry with a mapping of the new (or old) folio.";
    RemoveMigrationPte => "remove_migration_pte", "mm/migrate.c", "Rebuilds one PTE from a migration entry: a present PTE, or a device-private entry if the new folio is on the device.";
    MigrateVmaPages => "migrate_vma_pages", "mm/migrate_device.c", "Commits each src→dst pair: inserts pages into holes and moves the mapping with folio_migrate_mapping.";
    MigrateVmaInsertPage => "migrate_vma_insert_page", "mm/migrate_device.c", "Populates a hole or a zero-page PTE directly with the new page, under the PTL.";
    FolioMigrateMapping => "folio_migrate_mapping", "mm/migrate.c", "Checks the source folio's refcount is exactly what is expected; any extra reference means -EAGAIN.";
    MigrateVmaFinalize => "migrate_vma_finalize", "mm/migrate_device.c", "Replaces migration entries with the new pages (or restores the old ones), unlocks and releases.";
    MigrateHmmRangeSetup => "migrate_hmm_range_setup", "mm/migrate_device.c", "Unified path (RFC): turns the HMM pfns marked MIGRATE into src[] and runs the unmap step.";
    MmuIntervalReadBegin => "mmu_interval_read_begin", "mm/mmu_notifier.c", "Returns the subscription's sequence, sleeping while an overlapping invalidation is running.";
    MmuIntervalReadRetry => "mmu_interval_read_retry", "include/linux/mmu_notifier.h", "Under the driver lock: has an invalidation happened since read_begin? Then the snapshot is stale.";
    MmuIntervalCheckRetry => "mmu_interval_check_retry", "include/linux/mmu_notifier.h", "Lockless hint: has the sequence moved? hmm_range_fault returns -EBUSY if so.";
    InvalidateRangeStart => "mmu_notifier_invalidate_range_start", "include/linux/mmu_notifier.h", "Tells every subscriber overlapping the range that its mappings are about to change (the sequence goes odd).";
    InvalidateRangeEnd => "mmu_notifier_invalidate_range_end", "include/linux/mmu_notifier.h", "Ends an invalidation; when none remain the sequence goes even and sleepers wake.";
    DmirrorCopyToPagecache => "dmirror_copy_to_pagecache", "lib/test_hmm.c", "File-backed RFC (RFC, not merged): the driver's copy-back callback copies a device page's data into the system page a page-cache lookup brings it back to (name inferred).";
    DmirrorIntervalInvalidate => "dmirror_interval_invalidate", "lib/test_hmm.c", "The driver's notifier callback: skips its own MIGRATE events, otherwise takes its lock, bumps the sequence and unmaps its device PTEs.";
    DmirrorRangeFault => "dmirror_range_fault", "lib/test_hmm.c", "The canonical driver loop: read_begin, hmm_range_fault, lock, read_retry, then program device PTEs.";
    DmirrorFault => "dmirror_fault", "lib/test_hmm.c", "Faults a range into the device page table in chunks via dmirror_range_fault.";
    DmirrorRead => "dmirror_read", "lib/test_hmm.c", "HMM_DMIRROR_READ: reads the range through the device page table, faulting what is missing.";
    DmirrorWrite => "dmirror_write", "lib/test_hmm.c", "HMM_DMIRROR_WRITE: writes the range through the device page table, faulting what is not writable.";
    DmirrorMigrateToDevice => "dmirror_migrate_to_device", "lib/test_hmm.c", "HMM_DMIRROR_MIGRATE_TO_DEV: migrate_vma_setup/pages/finalize over the range, then read it back through the device.";
    DmirrorMigrateAllocAndCopy => "dmirror_migrate_alloc_and_copy", "lib/test_hmm.c", "Allocates a device page for each collected src and copies (or clears) its data.";
    DmirrorMigrateFinalizeAndMap => "dmirror_migrate_finalize_and_map", "lib/test_hmm.c", "Maps every successfully migrated page in the device page table.";
    DmirrorMigrateToSystem => "dmirror_migrate_to_system", "lib/test_hmm.c", "HMM_DMIRROR_MIGRATE_TO_SYS: migrates the device's own pages back to system memory.";
    DmirrorDevmemFault => "dmirror_devmem_fault", "lib/test_hmm.c", "pgmap->ops->migrate_to_ram: migrates one faulted device page back to system memory.";
    DmirrorDevmemFaultAllocAndCopy => "dmirror_devmem_fault_alloc_and_copy", "lib/test_hmm.c", "Allocates system pages for device pages being migrated back and copies the data.";
    DmirrorDevmemAllocPage => "dmirror_devmem_alloc_page", "lib/test_hmm.c", "Pops a free device page (allocating a chunk if needed) and initialises it with refcount 1.";
    DmirrorDevmemFree => "dmirror_devmem_free", "lib/test_hmm.c", "pgmap->ops->page_free: the device page's refcount hit zero; return it to the free list.";
    DmirrorSnapshot => "dmirror_snapshot", "lib/test_hmm.c", "HMM_DMIRROR_SNAPSHOT: hmm_range_fault without faulting, reporting one byte per page.";
    DmirrorExclusive => "dmirror_exclusive", "lib/test_hmm.c", "HMM_DMIRROR_EXCLUSIVE: make_device_exclusive on each page and map it atomically in the device.";
    DmirrorCheckAtomic => "dmirror_check_atomic", "lib/test_hmm.c", "HMM_DMIRROR_CHECK_EXCLUSIVE: -EPERM if any page is still mapped atomically by the device.";
    DmirrorDeviceRemoveChunks => "dmirror_device_remove_chunks", "lib/test_hmm.c", "HMM_DMIRROR_RELEASE: evicts every device page to system memory and removes the chunks.";
    MigrateDeviceRange => "migrate_device_range", "mm/migrate_device.c", "Collects device pfns directly (no VMA walk) for eviction: ref, trylock, then migrate_device_unmap.";
    MakeDeviceExclusive => "make_device_exclusive", "mm/rmap.c", "Faults the page in writable and replaces its PTE with a device-exclusive entry, under MMU_NOTIFY_EXCLUSIVE.";
    ChangeProtection => "change_protection", "mm/mprotect.c", "mprotect: rewrites PTEs with the new permissions under an invalidation.";
    ZapPteRange => "zap_pte_range", "mm/memory.c", "munmap: clears PTEs and drops the page references, under an invalidation.";
    CopyPteRange => "copy_pte_range", "mm/memory.c", "fork: copies the parent's PTEs into the child, write-protecting private pages for COW.";
    LegacyA => "driver: legacy A", "(driver)", "Legacy sequence A: hmm_range_fault to fault everything in, then migrate_vma_setup/pages/finalize.";
    LegacyB => "driver: legacy B", "(driver)", "Legacy sequence B: migrate_vma_* first; if pages were not collected, hmm_range_fault them and migrate again.";
    Unified => "driver: unified", "(driver)", "Unified path (RFC): one hmm_range_fault walk with HMM_PFN_REQ_MIGRATE faults and installs migration entries.";
    MremapTo => "mremap_to", "mm/mremap.c", "mremap(MREMAP_FIXED): unmaps the target range, then moves the vma there (move_vma).";
    MoveVma => "move_vma", "mm/mremap.c", "Creates the new vma with the old vm_pgoff (copy_vma), moves the page tables, then unmaps the old range unless MREMAP_DONTUNMAP.";
    GetUserPages => "__get_user_pages", "mm/gup.c", "Gets (FOLL_GET) or pins (FOLL_PIN) user pages under mmap_lock: looks each page up, faulting it in until its PTE allows the access.";
    FollowPagePte => "follow_page_pte", "mm/gup.c", "Under the PTL, takes a reference on (or pins) the page of a present PTE that allows the access.";
    FaultinPage => "faultin_page", "mm/gup.c", "GUP could not use the PTE: faults the page in on the caller's behalf (a device-private page migrates back to RAM).";
    GupFast => "gup_fast_pte_range", "mm/gup.c", "Lockless GUP: grabs the page of a present PTE read without locks, or leaves it to the slow path.";
    CheckAndMigrateMovablePages => "check_and_migrate_movable_pages", "mm/gup.c", "FOLL_LONGTERM: migrates pinned pages that must not stay pinned (ZONE_MOVABLE, CMA, device-coherent) away first.";
    GupTestIoctl => "__gup_test_ioctl", "mm/gup_test.c", "The gup_test module: gets or pins a range one call at a time, then puts every page back.";
    MovePtes => "move_ptes", "mm/mremap.c", "Moves each PTE as it is (present, swap, migration, device-private, device-exclusive) from the old to the new address under both PTLs.";
    DoReadFault => "do_read_fault", "mm/memory.c", "A read fault on a file page: find (or read) the page-cache folio and map it read-only.";
    DoCowFault => "do_cow_fault", "mm/memory.c", "A write fault on a MAP_PRIVATE file page: copy the page-cache folio into a new anonymous folio and map that.";
    DoSharedFault => "do_shared_fault", "mm/memory.c", "A write fault on a MAP_SHARED file page: map the page-cache folio writable and mark it dirty.";
    FinishFault => "finish_fault", "mm/memory.c", "Under the PTL, installs the PTE for the folio a file fault found, unless someone else populated it first.";
    FilemapFault => "filemap_fault", "mm/filemap.c", "The page-cache lookup of a regular file's fault: returns the folio locked, reading it from disk on a miss.";
    ShmemGetFolio => "shmem_get_folio_gfp", "mm/shmem.c", "The shmem/tmpfs page-cache lookup: returns the folio, allocating a zeroed one and adding it to the cache on a miss.";
    FilemapAddFolio => "filemap_add_folio", "mm/filemap.c", "Inserts a new folio into the page cache at its index; the cache holds a reference.";
    WpPageShared => "wp_page_shared", "mm/memory.c", "A write to a read-only PTE of a MAP_SHARED file page: make it writable in place and mark the folio dirty.";
    FilemapMigrateDevicePrivate => "filemap_migrate_device_private", "mm/filemap.c", "File-backed RFC (RFC, not merged): a page-cache lookup found a device-private folio and migrates it back to system memory first (name inferred from the cover letter).";
    FilemapRead => "filemap_read", "mm/filemap.c", "read(2): copies each page from the page cache, reading missing ones from disk (shmem holes read as zeroes).";
    GenericPerformWrite => "generic_perform_write", "mm/filemap.c", "write(2): for each page, find or create the page-cache folio, copy the data in and mark it dirty.";
    FilemapWriteAndWait => "filemap_write_and_wait_range", "mm/filemap.c", "fsync: writes every dirty folio of a regular file back to disk (clean, write-protect, writeback).";
    FolioMkclean => "folio_mkclean", "mm/rmap.c", "Before writeback: write-protects every mapping of the folio through rmap_walk_file, so the next write faults and re-dirties it.";
    TruncatePagecache => "truncate_pagecache", "mm/truncate.c", "ftruncate: unmaps every mapping past the new size (private COW copies too), then removes those folios from the page cache.";
    FilemapRemoveFolio => "filemap_remove_folio", "mm/filemap.c", "Deletes one folio from the page cache and drops the cache's reference.";
    DoHugePmdAnonymousPage => "do_huge_pmd_anonymous_page", "mm/huge_memory.c", "First touch of a 2 MiB-aligned range of a MADV_HUGEPAGE vma: one PMD entry maps the huge zero page (read) or a new 2 MiB folio (write).";
    SplitHugePmd => "__split_huge_pmd", "mm/huge_memory.c", "Turns one PMD entry into a table of 512 PTEs under pmd_lock, inside an MMU_NOTIFY_CLEAR invalidation of the 2 MiB.";
    SplitFolio => "split_folio", "include/linux/huge_mm.h", "Splits a locked large folio into order-0 folios: unmaps its PMD mappings, checks no one else holds a reference, then splits.";
    SplitHugePage => "__split_huge_page", "mm/huge_memory.c", "The split itself: each page becomes a folio of its own, keeping its mappings' references.";
    ZapHugePmd => "zap_huge_pmd", "mm/huge_memory.c", "munmap of a whole 2 MiB: clears the PMD entry and drops the THP's mapping and reference.";
    ChangeHugePmd => "change_huge_pmd", "mm/huge_memory.c", "mprotect of a whole 2 MiB: changes the one PMD entry's protection in place, under the PMD lock, without splitting the THP.";
    HugepageMadvise => "hugepage_madvise", "mm/khugepaged.c", "madvise(MADV_HUGEPAGE): marks the vmas VM_HUGEPAGE, so aligned anonymous faults there map 2 MiB folios.";
    HmmVmaHandlePmd => "hmm_vma_handle_pmd", "mm/hmm.c", "A PMD maps a THP: reports its 512 pages with the order bits (9), or faults them if the caller needs more.";
    MadviseFree => "madvise_free_single_vma", "mm/madvise.c", "madvise(MADV_FREE): marks clean anonymous pages lazily freeable; only reclaim would drop them.";
    PmdMigrationEntryWait => "pmd_migration_entry_wait", "mm/migrate.c", "The PMD is a migration entry: sleep until the folio is unlocked, then re-fault.";
    MigrateVmaCollectHugePmd => "migrate_vma_collect_huge_pmd", "mm/migrate_device.c", "6.19+: under pmd_lock, collects a PMD-mapped THP or device-private PMD whole (one MIGRATE|COMPOUND entry behind a PMD migration entry) when the driver passed SELECT_COMPOUND, or splits it.";
    SetPmdMigrationEntry => "set_pmd_migration_entry", "mm/huge_memory.c", "Replaces a PMD mapping of a large folio with one PMD migration entry: flush, drop the entire mapping and its reference.";
    RemoveMigrationPmd => "remove_migration_pmd", "mm/huge_memory.c", "Replaces a PMD migration entry with a PMD mapping of the new folio (a THP or a device-private PMD entry).";
    MigrateVmaInsertHugePmdPage => "migrate_vma_insert_huge_pmd_page", "mm/migrate_device.c", "6.19+: maps a 2 MiB destination folio into an empty PMD (or over the huge zero page) with one PMD entry.";
    MigrateVmaSplitUnmappedFolio => "migrate_vma_split_unmapped_folio", "mm/migrate_device.c", "6.19+: the driver gave 4 KiB destinations for a 2 MiB source: split the PMD migration entry into 512 and the folio into 512 folios.";
    DoHugePmdDevicePrivate => "do_huge_pmd_device_private", "mm/huge_memory.c", "6.19+: a CPU fault on a device-private PMD entry: lock the device folio and call its migrate_to_ram for the whole 2 MiB.";
    MigrateVmaSplitFolio => "migrate_vma_split_folio", "mm/migrate_device.c", "6.19+: collect meets a PTE-mapped large folio: lock it (unless it is the fault folio) and split it, then collect its pages one by one.";
    DmirrorFlags => "HMM_DMIRROR_FLAGS", "lib/test_hmm.c", "Sets the mirror's flags; HMM_DMIRROR_FLAG_FAIL_ALLOC makes the next device or system allocation of a migration fail once.";
}
