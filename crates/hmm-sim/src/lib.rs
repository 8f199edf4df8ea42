//! hmm-sim: a deterministic simulation of Linux HMM and device-private page migration.
//!
//! # The face
//! Every module is private; this file re-exports the plain data types and the few functions consumers use.
//! Drive the model with [`Setup`] → [`run`] / [`compare`] / [`explore`]; read what it did from the
//! [`Event`]s of a [`Report`] (the trace is the contract), the final [`World`] and its
//! [`World::held_locks`], and a step's [`ViewState`] through a [`Timeline`].
//!
//! # Layout (private)
//! - `mm/` and `drivers/`: the kernel paths and the dmirror test driver, one module per source file,
//!   functions named after the kernel's; `drivers/ops.rs` is the `dev_pagemap_ops` /
//!   `mmu_interval_notifier_ops` seam, so mm/ never names a driver; `drivers/lanes/` the three lane drivers.
//! - `kernel/`: the kernel context, the only way paths change the world (each primitive records an event);
//!   `sched/`: the executor, its policies and the schedule explorer; `version.rs`: [`KernelVersion`].
//! - `sim/`: set-up, run, compare. `trace/` (events, their typed form `Ev`, counters), `view/`, `invariants.rs`, `scenario.rs`, `pte.rs`,
//!   `world.rs`: the data.
//!
//! Pure and deterministic: no I/O, no clock, no OS randomness; every scheduling choice is recorded data.

mod drivers;
mod errno;
mod invariants;
mod kernel;
mod mm;
mod pte;
mod scenario;
mod sched;
mod sim;
mod trace;
mod version;
mod view;
mod world;

// Driving the model: the world before step 0, threads and their ops, runs, lane comparisons, exploration.
pub use sim::{
    compare, compare_lane, compare_setup, final_pages, final_states_agree, permission_differences,
    range_ok, restart_limit, run, same_place, Comparison, FinalPage, InitialViewBuilder, LaneRun,
    Madvice, Op, Outcome, PermissionDifference, Prot, Report, RestartLimit, RunConfig, Setup,
    ThreadSpec, COHERENT_DEVICE, MAX_COW_OR_ZERO_PAGES, MAX_DEVICES, MAX_MMS,
    MAX_OTHER_DEVICE_PAGES, OTHER_DEVICE,
};
// Scheduling and limits: policies, the explorer, run errors, kernel versions.
pub use sched::{explore, thousands, Choice, Exploration, Explorer, Limits, Policy, RunError};
pub use version::{KernelVersion, RFC_MARK};
// Driver vocabulary: the lane strategies and test_hmm's ioctls, their results and constants.
pub use drivers::dmirror::{
    prot, CmdResult, DmirrorCmd, DEVMEM_CHUNK_PAGES, DMIRROR_CHUNK_PAGES, RANGE_FAULT_MAX_RESTARTS,
};
pub use drivers::gup_test::GupTestCmd;
pub use drivers::lanes::Strategy;
pub use mm::gup::GUP_PIN_COUNTING_BIAS;
// Kernel vocabulary: errnos by name, the hmm_pfns bits (mm/hmm.c) and migrate_vma's (mm/migrate_device.c).
pub use errno::{
    describe as describe_errno, name as errno_name, parse as parse_errno, ALL as ERRNOS, EAGAIN,
    EBUSY, EFAULT, EINVAL, ENOENT, ENOMEM, EOPNOTSUPP, EPERM, ERANGE,
};
pub use mm::hmm::{
    hmm_pfn_to_map_order, HMM_PFN_ERROR, HMM_PFN_MIGRATE, HMM_PFN_ORDER_SHIFT, HMM_PFN_REQ_FAULT,
    HMM_PFN_REQ_MIGRATE, HMM_PFN_REQ_WRITE, HMM_PFN_VALID, HMM_PFN_WRITE,
};
pub use mm::migrate_device::{
    MIGRATE_PFN_MIGRATE, MIGRATE_PFN_SHIFT, MIGRATE_PFN_VALID, MIGRATE_PFN_WRITE,
    MIGRATE_VMA_SELECT_DEVICE_COHERENT, MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
    MIGRATE_VMA_SELECT_SYSTEM,
};
pub use mm::mmap::CPU_FAULT_SIGNAL;
// Scenarios: the one-letter-per-page state strings.
pub use scenario::{
    compact_states, format_states, parse_states, PageState, ScenarioError, HPAGE_PMD_NR, MAX_PAGES,
};
// The world: plain data of the simulated machine, every lock it holds, and its at-rest invariants.
pub use invariants::{check_at_rest, check_contents, check_page_cache};
pub use pte::{MigrationKind, Pfn, Pte, PteKind, MAX_FRAMES, ZERO_PFN};
pub use world::{
    AddressSpace, AnonVma, BPolicy, DevId, Device, DptEntry, DptTag, DriverOpts, FileRef, Folio,
    HeldLock, HugePmd, MappingKind, Mirror, Mm, MmId, PageLocation, PteTable, RwSem, UnifiedEntry,
    Vma, World, Zone, PTRS_PER_PTE, RANGE_BASE_VPN, VPN_LIMIT,
};
// The trace: typed events, their packing, counters folded from them.
pub use trace::spans::{call_spans, lock_holds, Span};
pub use trace::{
    chrome_trace_events, fault, pack_page, unpack_page, ChromeArg, ChromeEvent, CounterInfo,
    Counters, Ev, Event, FolioFlag, Func, Invalidation, Kind, Level, LockId, Milestone,
    NotifyEvent, PackedTrace, PackedTraceIter, PackedTraceReader, Page, RefMismatch, RetryReason,
    SeqId, Slot, ThreadState, Tid, TraceFile, TraceMode, WaitOn, WalkKind, CHROME_LOCK_TRACK,
    COUNTERS, NO_OWNER, TRACE_SCHEMA_VERSION,
};
// Test-only (feature `mutants`): skip one lock release site, for the release-site mutation test.
#[cfg(feature = "mutants")]
pub use kernel::mutants::{skip_release_at, take_release_sites_reached};
// Viewing: the world at any step, and one sentence per event.
pub use view::{
    narrate, ChunkMap, FrameView, Holders, SharedChunk, Timeline, TimelineBuilder, Touched,
    TouchedSet, ViewState, CHECKPOINT_EVERY, CHUNK_KEYS, MAX_CHECKPOINTS,
};

/// Where the model departs from the kernel, in one sentence each. Every surface that shows the model
/// (the web app, lesson reports, docs) shows these.
pub const SIMPLIFICATIONS: [&str; 10] = [
    "THP: 6.14 and 6.15 split a 2 MiB folio before migrating it; 2026 (6.19+) migrates it whole for test_hmm's ioctls, its migrate_to_ram and the legacy lanes (MIGRATE_VMA_SELECT_COMPOUND; not legacy B under drm_pagemap's all_or_nothing policy, nor the RFC's unified walk, which split), collect splits a PTE-mapped large folio before its chunk's PTE loop rather than at the PTE that finds it (6.15 skips it), and a second PMD mapping (after fork) is not unmapped by try_to_migrate. fork, mremap, GUP and write faults split a THP where the kernel can keep the PMD (mprotect of a whole 2 MiB keeps it, as change_huge_pmd does); no khugepaged, no deferred split.",
    "The swap cache and per-CPU LRU batches are not modelled: swap-in reads straight from the slot, and lru_add_drain has nothing to drain.",
    "Faults arrive under mmap_lock: the per-VMA-lock fault path and its retry are not shown.",
    "Spinlock contention (PTL) is shown as the waiting thread sleeping.",
    "Each mirror's interval notifier covers its whole mm, and SNAPSHOT reuses it instead of inserting a temporary one per chunk.",
    "When the unified walk returns -EBUSY, the lane's driver restores what the walk collected and retries. RFC v1's own test driver walks again instead and waits forever on a migration entry it installed itself; the rfc_v1 driver option shows that hang.",
    "The lane drivers unmap their own device mappings before copying (their own MMU_NOTIFY_MIGRATE is filtered); test_hmm's ioctls do not.",
    "Files: one page is read per page-cache miss (no readahead), clean pages are never reclaimed, writeback finishes at once, and shmem is never swapped.",
    "The unified walk re-checks that a PTE still maps the page it recorded before converting it, and refuses a range spanning two VMAs before walking; RFC v1 does neither. migrate_vma_setup without MIGRATE_VMA_FAULT keeps mainline's collect, where the RFC sends every caller through the walk.",
    "A long-term GUP pin of a device-coherent page pins it where it is; the kernel first migrates it to system memory.",
];
