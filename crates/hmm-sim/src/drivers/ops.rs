//! The seam between the kernel and its drivers, named after the kernel's: `struct dev_pagemap_ops`
//! (`migrate_to_ram`, `page_free`) and `struct mmu_interval_notifier_ops` (`invalidate`), declared with the
//! kernel context (kernel/ops.rs, as the kernel's headers declare them).
//!
//! mm/ never names a driver: a device-private page's fault calls its device's `migrate_to_ram`, its last
//! `folio_put` calls `page_free`, and an invalidation calls each subscription's `invalidate`, all through
//! the tables a driver registered with the kernel (`Kernel::set_pgmap_ops`, `Kernel::set_interval_ops`).

pub(crate) use crate::kernel::ops::{DevPagemapOps, MmuIntervalNotifierOps, OpFuture};
