//! The trace: the contract between the simulator and everything that shows or checks it.
//!
//! Every step of a run is one [`Event`]: 16 bytes, plain data, tagged with the thread and the kernel function
//! that did it. Events carry old and new values, so a viewer can apply them forwards *and* backwards
//! ([`crate::view`]); counters are folds over events ([`Counters::observe`]), so every consumer counts alike.
//! The serde form is versioned by [`TRACE_SCHEMA_VERSION`].

use serde::{Deserialize, Serialize};

/// Bumped whenever the meaning of an event field changes.
pub const TRACE_SCHEMA_VERSION: u32 = 1;

/// A trace as it is saved or exchanged (CLI exports, the web app): versioned, self-describing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceFile {
    /// [`TRACE_SCHEMA_VERSION`] of the writer; readers refuse other versions.
    pub schema_version: u32,
    /// Thread names, indexed by `Event::thread`.
    pub threads: Vec<String>,
    pub events: Vec<Event>,
}

impl TraceFile {
    pub fn new(threads: Vec<String>, events: Vec<Event>) -> TraceFile {
        TraceFile {
            schema_version: TRACE_SCHEMA_VERSION,
            threads,
            events,
        }
    }

    /// Accept a deserialized file only if this build understands its schema.
    pub fn check_version(self) -> Result<TraceFile, String> {
        if self.schema_version == TRACE_SCHEMA_VERSION {
            Ok(self)
        } else {
            Err(format!(
                "trace schema version {} is not supported (this build reads version {TRACE_SCHEMA_VERSION})",
                self.schema_version
            ))
        }
    }
}

/// Simulated thread (CPU context) id.
pub type Tid = u8;

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
    InvalidateRangeStart => "mmu_notifier_invalidate_range_start", "mm/mmu_notifier.c", "Tells every subscriber overlapping the range that its mappings are about to change (the sequence goes odd).";
    InvalidateRangeEnd => "mmu_notifier_invalidate_range_end", "mm/mmu_notifier.c", "Ends an invalidation; when none remain the sequence goes even and sleepers wake.";
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
}

/// What happened in one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[repr(u8)]
pub enum Kind {
    /// A function was entered. `a` = first page (packed page ref) or 0.
    Call,
    /// A function returned. `a` = return value as `i32`.
    Return,
    /// A walk started. `a` = first page, `b` = end page, `c` = [`WalkKind`].
    WalkBegin,
    /// A walk ended. `c` = [`WalkKind`].
    WalkEnd,
    /// The walker descended one level. `a` = page, `b` = [`Level`].
    Descend,
    /// A PTE was read. `a` = page ref, `b` = packed PTE, `c` = 1 if a walker visited it (counted as a PTE visit).
    PteRead,
    /// A PTE was written. `a` = page ref, `b` = old, `c` = new (packed).
    PteWrite,
    /// A lock was taken. `a` = packed [`LockId`], `b` = mode (0 exclusive, 1 shared).
    LockAcquire,
    /// A lock was dropped. `a`, `b` as for acquire.
    LockRelease,
    /// A lock was wanted but held by someone else. `a`, `b` as for acquire, `c` = holder tid + 1 (0: readers).
    LockContended,
    /// A folio's refcount changed. `a` = pfn, `b` = new value, `c` = old value.
    Ref,
    /// A folio's mapcount changed. `a` = pfn, `b` = new, `c` = old.
    Map,
    /// A folio flag changed. `a` = pfn, `b` = [`FolioFlag`], `c` = new value.
    Flag,
    /// A page fault entered `handle_mm_fault`. `a` = page ref, `b` = [`fault`] flags.
    Fault,
    /// An invalidation started. `a` = event | owner << 8, `b`/`c` = page range.
    NotifierStart,
    /// An invalidation ended. Fields as for start.
    NotifierEnd,
    /// A notifier sequence changed. `a` = [`SeqId`], `b` = old, `c` = new.
    Seq,
    /// A frame was allocated. `a` = pfn, `b` = zone (0 system, 1 + device id).
    Alloc,
    /// A frame was freed. `a` = pfn, `b` = zone.
    Free,
    /// Page contents were copied. `a` = source pfn, `b` = destination pfn, `c` = content token copied.
    Copy,
    /// A frame's content changed. `a` = pfn, `b` = old token, `c` = new token.
    Content,
    /// `src[i]` of a `struct migrate_vma` changed. `a` = i, `b` = old, `c` = new `MIGRATE_PFN_*` value.
    Src,
    /// `dst[i]` changed. As for [`Kind::Src`].
    Dst,
    /// `hmm_pfns[i]` changed. `a` = i, `b` = new low 32 bits (pfn), `c` = new high 32 bits (flags, order).
    HmmPfn,
    /// A device page-table entry changed. `a` = device << 24 | page, `b` = old, `c` = new ([`crate::world::DptEntry`] packed).
    DevPt,
    /// A swap slot changed. `a` = slot, `b` = old token + 1 (0: free), `c` = new token + 1 (0: free).
    Swap,
    /// TLB flush. `a` = first page, `b` = end page.
    TlbFlush,
    /// Work is being redone. `a` = [`RetryReason`].
    Retry,
    /// A function failed. `a` = errno (positive).
    Error,
    /// A named point in a lane's story. `a` = [`Milestone`].
    Milestone,
    /// A thread changed scheduling state. `b` = [`ThreadState`], `c` = packed resource waited on.
    Thread,
}

/// One step. 16 bytes: see `size_of` test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub kind: Kind,
    pub thread: Tid,
    pub func: Func,
    pub a: u32,
    pub b: u32,
    pub c: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u32)]
pub enum WalkKind {
    /// One per `hmm_range_fault` call and one per `migrate_vma_setup`, as the RFC cover letter counts walks.
    Logical = 0,
    /// One per `walk_page_range` invocation (restarts included).
    PageRange = 1,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u32)]
pub enum Level {
    Pgd = 0,
    P4d = 1,
    Pud = 2,
    Pmd = 3,
    Pte = 4,
}

impl Level {
    pub fn from_u32(v: u32) -> Level {
        [Level::Pgd, Level::P4d, Level::Pud, Level::Pmd, Level::Pte][(v as usize).min(4)]
    }
    pub fn name(self) -> &'static str {
        ["PGD", "P4D", "PUD", "PMD", "PTE"][self as usize]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u32)]
pub enum FolioFlag {
    AnonExclusive = 0,
    Lru = 1,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u32)]
pub enum RetryReason {
    /// `hmm_range_fault` re-walks from `last` after `hmm_vma_fault` or a migration-entry wait returned -EBUSY.
    HmmRewalk = 0,
    /// The driver restarts `read_begin`/`hmm_range_fault` after -EBUSY (sequence changed).
    DriverEbusy = 1,
    /// The driver restarts because `mmu_interval_read_retry` said the snapshot is stale.
    DriverReadRetry = 2,
    /// The CPU access is retried after a fault returned without mapping the page.
    Refault = 3,
    /// `folio_migrate_mapping` found unexpected references: -EAGAIN, the page is not migrated.
    MigrateEagain = 4,
}

impl RetryReason {
    pub fn from_u32(v: u32) -> Option<RetryReason> {
        [
            RetryReason::HmmRewalk,
            RetryReason::DriverEbusy,
            RetryReason::DriverReadRetry,
            RetryReason::Refault,
            RetryReason::MigrateEagain,
        ]
        .get(v as usize)
        .copied()
    }
    pub fn describe(self) -> &'static str {
        match self {
            RetryReason::HmmRewalk => {
                "hmm_range_fault re-walks from the faulted address (-EBUSY inside the walk)"
            }
            RetryReason::DriverEbusy => {
                "the driver retries: hmm_range_fault returned -EBUSY (notifier sequence moved)"
            }
            RetryReason::DriverReadRetry => {
                "the driver retries: mmu_interval_read_retry found the snapshot stale"
            }
            RetryReason::Refault => {
                "the CPU access faults again: the fault returned without mapping the page"
            }
            RetryReason::MigrateEagain => {
                "folio_migrate_mapping: unexpected references, -EAGAIN, page not migrated"
            }
        }
    }
}

/// Named points of a lane's story; lanes are aligned on these in the compare view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[repr(u32)]
pub enum Milestone {
    FaultedIn = 0,
    Collected = 1,
    Unmapped = 2,
    Copied = 3,
    PagesMigrated = 4,
    Finalized = 5,
    AllOnDevice = 6,
}

impl Milestone {
    pub const ALL: [Milestone; 7] = [
        Milestone::FaultedIn,
        Milestone::Collected,
        Milestone::Unmapped,
        Milestone::Copied,
        Milestone::PagesMigrated,
        Milestone::Finalized,
        Milestone::AllOnDevice,
    ];
    pub fn from_u32(v: u32) -> Option<Milestone> {
        Milestone::ALL.get(v as usize).copied()
    }
    pub fn name(self) -> &'static str {
        match self {
            Milestone::FaultedIn => "faulted in",
            Milestone::Collected => "collected (migration entries installed)",
            Milestone::Unmapped => "unmapped",
            Milestone::Copied => "copied to device",
            Milestone::PagesMigrated => "migrate_vma_pages done",
            Milestone::Finalized => "finalized",
            Milestone::AllOnDevice => "all pages on device",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u32)]
pub enum ThreadState {
    Runnable = 0,
    Blocked = 1,
    Exited = 2,
}

/// Page-fault flags carried by [`Kind::Fault`].
pub mod fault {
    pub const WRITE: u32 = 1;
    /// `FAULT_FLAG_REMOTE`: the fault is on behalf of a device (hmm), not this CPU's access.
    pub const REMOTE: u32 = 2;
    /// Fault-ahead: `hmm_vma_fault` faults every page to the end of the PMD chunk; this page did not need it.
    pub const AHEAD: u32 = 4;
}

/// A lock, packed into a u32 for the trace: `class:4 | index:28`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LockId {
    /// `mm->mmap_lock` (rwsem) of mm `n`.
    MmapLock(u8),
    /// Split PTE lock of PTE table `pmd` (index of the PMD entry) in mm `mm`.
    Ptl { mm: u8, pmd: u32 },
    /// `PG_locked` of the folio at `pfn`.
    Folio(u32),
    /// The driver's mutex (`dmirror->mutex`) of device `n`.
    Driver(u8),
    /// `anon_vma` read lock taken by rmap walks; `n` is the anon_vma id.
    AnonVma(u32),
    /// A driver lock serialising `migrate_to_ram` on device `n` (Xe had one; dmirror does not).
    DevmemMigrate(u8),
}

impl LockId {
    pub fn pack(self) -> u32 {
        match self {
            LockId::MmapLock(mm) => mm as u32,
            LockId::Ptl { mm, pmd } => 1 << 28 | (mm as u32) << 20 | (pmd & 0xf_ffff),
            LockId::Folio(pfn) => 2 << 28 | (pfn & 0x0fff_ffff),
            LockId::Driver(dev) => 3 << 28 | dev as u32,
            LockId::AnonVma(id) => 4 << 28 | (id & 0x0fff_ffff),
            LockId::DevmemMigrate(dev) => 5 << 28 | dev as u32,
        }
    }
    pub fn unpack(bits: u32) -> LockId {
        let index = bits & 0x0fff_ffff;
        match bits >> 28 {
            1 => LockId::Ptl {
                mm: (index >> 20) as u8,
                pmd: index & 0xf_ffff,
            },
            2 => LockId::Folio(index),
            3 => LockId::Driver(index as u8),
            4 => LockId::AnonVma(index),
            5 => LockId::DevmemMigrate(index as u8),
            _ => LockId::MmapLock(index as u8),
        }
    }
    pub fn describe(self) -> String {
        match self {
            LockId::MmapLock(mm) => format!("mmap_lock (mm{mm})"),
            LockId::Ptl { mm, pmd } => format!("PTL of PTE table {pmd:#x} (mm{mm})"),
            LockId::Folio(pfn) => format!("PG_locked of folio pfn {pfn:#x}"),
            LockId::Driver(dev) => format!("dmirror{dev}->mutex"),
            LockId::AnonVma(id) => format!("anon_vma {id} (read)"),
            LockId::DevmemMigrate(dev) => format!("device {dev} migrate_to_ram lock"),
        }
    }
}

/// A notifier sequence counter, packed for [`Kind::Seq`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeqId {
    /// `subscriptions->invalidate_seq` of mm `n`.
    Mm(u8),
    /// `interval_sub->invalidate_seq` of device `n`'s subscription on mm `mm`.
    Sub { dev: u8, mm: u8 },
}

impl SeqId {
    pub fn pack(self) -> u32 {
        match self {
            SeqId::Mm(mm) => mm as u32,
            SeqId::Sub { dev, mm } => 1 << 16 | (dev as u32) << 8 | mm as u32,
        }
    }
    pub fn unpack(bits: u32) -> SeqId {
        if bits >> 16 == 1 {
            SeqId::Sub {
                dev: (bits >> 8) as u8,
                mm: bits as u8,
            }
        } else {
            SeqId::Mm(bits as u8)
        }
    }
}

/// A virtual page of a process, packed for the trace: `mm:8 | vpn:24`.
pub fn pack_page(mm: u8, vpn: u32) -> u32 {
    (mm as u32) << 24 | (vpn & 0x00ff_ffff)
}

pub fn unpack_page(bits: u32) -> (u8, u32) {
    ((bits >> 24) as u8, bits & 0x00ff_ffff)
}

/// The counters the compare view and the CLI report. Each is a fold over events (see [`Counters::observe`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Logical walks as the RFC cover letter counts them: one per `hmm_range_fault` call and one per
    /// `migrate_vma_setup` made by the driver (nested calls inside those, e.g. the unified migrate path's
    /// internal `hmm_range_fault` or another driver's `migrate_to_ram`, are not counted again).
    pub walks: u64,
    /// `walk_page_range` invocations, restarts and nested walks included.
    pub walk_calls: u64,
    /// PTEs examined by a walker callback (`hmm_vma_handle_pte`, `migrate_vma_collect_pmd`).
    pub pte_visits: u64,
    /// `handle_mm_fault` calls, whatever their outcome.
    pub faults: u64,
    /// Of `faults`, those `hmm_vma_fault` made ahead of need (pages after the first needy one in the chunk).
    pub faults_ahead: u64,
    /// PTE-lock (split PTL) acquisitions, by any function.
    pub ptl_acquisitions: u64,
    /// TLB flush calls (`ptep_clear_flush`, `flush_tlb_range`).
    pub tlb_flushes: u64,
    /// `mmu_notifier_invalidate_range_start` calls, any event.
    pub invalidations: u64,
    /// Restarts of any kind (see [`RetryReason`]).
    pub retries: u64,
    /// Trace events: each is one step of the animation.
    pub steps: u64,
}

impl Counters {
    pub fn observe(&mut self, e: &Event) {
        self.steps += 1;
        match e.kind {
            Kind::WalkBegin if e.c == WalkKind::Logical as u32 => self.walks += 1,
            Kind::WalkBegin => self.walk_calls += 1,
            Kind::PteRead if e.c == 1 => self.pte_visits += 1,
            Kind::Fault => {
                self.faults += 1;
                if e.b & fault::AHEAD != 0 {
                    self.faults_ahead += 1;
                }
            }
            Kind::LockAcquire if matches!(LockId::unpack(e.a), LockId::Ptl { .. }) => {
                self.ptl_acquisitions += 1
            }
            Kind::TlbFlush => self.tlb_flushes += 1,
            Kind::NotifierStart => self.invalidations += 1,
            Kind::Retry => self.retries += 1,
            _ => {}
        }
    }

    pub fn of(events: &[Event]) -> Counters {
        let mut c = Counters::default();
        events.iter().for_each(|e| c.observe(e));
        c
    }

    /// Names and values in display order (the CLI, the UI chart and lessons share it).
    pub fn fields(&self) -> [(&'static str, u64); 10] {
        [
            ("walks", self.walks),
            ("walk_calls", self.walk_calls),
            ("pte_visits", self.pte_visits),
            ("faults", self.faults),
            ("faults_ahead", self.faults_ahead),
            ("ptl_acquisitions", self.ptl_acquisitions),
            ("tlb_flushes", self.tlb_flushes),
            ("invalidations", self.invalidations),
            ("retries", self.retries),
            ("steps", self.steps),
        ]
    }

    pub fn get(&self, name: &str) -> Option<u64> {
        self.fields()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }
}

/// Notifier events (`enum mmu_notifier_event`), the ones this model issues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum NotifyEvent {
    Unmap = 0,
    Clear = 1,
    ProtectionVma = 2,
    Migrate = 3,
    Exclusive = 4,
}

impl NotifyEvent {
    pub fn from_u8(v: u8) -> NotifyEvent {
        match v {
            0 => NotifyEvent::Unmap,
            1 => NotifyEvent::Clear,
            2 => NotifyEvent::ProtectionVma,
            3 => NotifyEvent::Migrate,
            _ => NotifyEvent::Exclusive,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            NotifyEvent::Unmap => "MMU_NOTIFY_UNMAP",
            NotifyEvent::Clear => "MMU_NOTIFY_CLEAR",
            NotifyEvent::ProtectionVma => "MMU_NOTIFY_PROTECTION_VMA",
            NotifyEvent::Migrate => "MMU_NOTIFY_MIGRATE",
            NotifyEvent::Exclusive => "MMU_NOTIFY_EXCLUSIVE",
        }
    }
}

/// Owner cookie of a notifier range: `NO_OWNER` or `1 + device id`.
pub const NO_OWNER: u8 = 0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Event>(), 16);
    }

    #[test]
    fn lock_ids_round_trip() {
        for l in [
            LockId::MmapLock(1),
            LockId::Ptl { mm: 2, pmd: 0x1234 },
            LockId::Folio(0xabcdef),
            LockId::Driver(3),
            LockId::AnonVma(7),
            LockId::DevmemMigrate(1),
        ] {
            assert_eq!(LockId::unpack(l.pack()), l);
        }
        for s in [SeqId::Mm(1), SeqId::Sub { dev: 2, mm: 1 }] {
            assert_eq!(SeqId::unpack(s.pack()), s);
        }
    }

    #[test]
    fn func_names_are_unique() {
        let names: std::collections::BTreeSet<_> = Func::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(names.len(), Func::ALL.len());
    }
}
