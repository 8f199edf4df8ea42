//! hmm-sim: a deterministic simulation of Linux HMM and device-private page migration.
//!
//! # Layout
//! - [`scenario`]: the one-letter-per-page state strings; [`sim`]: set up a world, run threads, compare the
//!   three driver paths, explore schedules.
//! - [`mm`] and [`drivers`]: the kernel paths and the dmirror test driver, one module per source file,
//!   functions named after the kernel's. They change the world only through [`exec::Kernel`]'s primitives,
//!   each of which records an [`trace::Event`].
//! - [`trace`]: the events (the contract with every consumer) and the counters folded from them;
//!   [`view`]: the world at any step, for viewers; [`invariants`]: what must hold at rest.
//!
//! Pure and deterministic: no I/O, no clock, no OS randomness; every scheduling choice is recorded data.

pub mod drivers;
pub mod errno;
pub mod exec;
pub mod invariants;
pub mod mm;
pub mod pte;
pub mod scenario;
pub mod sim;
pub mod trace;
pub mod view;
pub mod world;

/// Where the model departs from the kernel, in one sentence each. Every surface that shows the model
/// (the web app, lesson reports, docs) shows these.
pub const SIMPLIFICATIONS: [&str; 7] = [
    "THP (2 MiB folios, PMD migration entries) is not modelled: every page is a 4 KiB base page.",
    "The swap cache and per-CPU LRU batches are not modelled: swap-in reads straight from the slot, and lru_add_drain has nothing to drain.",
    "Faults arrive under mmap_lock: the per-VMA-lock fault path and its retry are not shown.",
    "Spinlock contention (PTL) is shown as the waiting thread sleeping.",
    "Each mirror's interval notifier covers its whole mm, and SNAPSHOT reuses it instead of inserting a temporary one per chunk.",
    "When the unified walk returns -EBUSY, the lane's driver restores what the walk collected and retries: RFC v1's behaviour after a partial conversion is an open question (kernel-model.md §7.1).",
    "The lane drivers unmap their own device mappings before copying (their own MMU_NOTIFY_MIGRATE is filtered); test_hmm's ioctls do not.",
];
