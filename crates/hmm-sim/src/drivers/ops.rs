//! The seam between the kernel and its drivers, named after the kernel's: `struct dev_pagemap_ops`
//! (include/linux/memremap.h) and `struct mmu_interval_notifier_ops` (include/linux/mmu_notifier.h).
//!
//! mm/ never names a driver: a device-private page's fault calls its device's `migrate_to_ram`, its last
//! `folio_put` calls `page_free`, and an invalidation calls each subscription's `invalidate`, all through
//! the tables a driver registered with the [`Kernel`] (`Kernel::set_pgmap_ops`, `Kernel::set_interval_ops`).

use crate::kernel::Kernel;
use crate::mm::mmu_notifier::NotifierRange;
use crate::pte::Pfn;
use crate::world::MmId;
use std::future::Future;
use std::pin::Pin;

/// A boxed future on the kernel context (callbacks may sleep, and may recurse into kernel paths).
pub type OpFuture<'k, T> = Pin<Box<dyn Future<Output = T> + 'k>>;

/// `struct dev_pagemap_ops`: what the kernel calls on a device's ZONE_DEVICE pages.
#[derive(Debug)]
pub struct DevPagemapOps {
    /// `migrate_to_ram(vmf)`: a CPU fault on a device-private entry (mm, page, device page, write fault).
    /// Returns a `vm_fault_t`.
    pub migrate_to_ram: for<'k> fn(&'k Kernel, MmId, u32, Pfn, bool) -> OpFuture<'k, u32>,
    /// `page_free(page)`: the page's last reference is gone.
    pub page_free: fn(&Kernel, Pfn),
}

/// `struct mmu_interval_notifier_ops`: what the kernel calls on one interval subscription (a mirror).
#[derive(Debug)]
pub struct MmuIntervalNotifierOps {
    /// `invalidate(interval_sub, range, cur_seq)`.
    pub invalidate: for<'k> fn(&'k Kernel, usize, NotifierRange, u64) -> OpFuture<'k, ()>,
}
