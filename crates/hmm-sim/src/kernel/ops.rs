//! The kernel's driver-facing interface, after the headers that declare it: `struct dev_pagemap_ops`
//! (include/linux/memremap.h), `struct mmu_interval_notifier_ops` and `struct mmu_notifier_range`
//! (include/linux/mmu_notifier.h). Drivers fill the tables ([`crate::drivers::ops`]); the kernel calls them.

use super::Kernel;
use crate::pte::Pfn;
use crate::trace::{Invalidation, NotifyEvent};
use crate::world::MmId;
use std::future::Future;
use std::pin::Pin;

/// `struct mmu_notifier_range`.
#[derive(Clone, Copy, Debug)]
pub struct NotifierRange {
    pub mm: MmId,
    pub start: u32,
    pub end: u32,
    pub event: NotifyEvent,
    /// `NO_OWNER` or `1 + device id` (`pgmap_owner`).
    pub owner: u8,
}

impl NotifierRange {
    /// One page, no owner: what `wp_page_copy`, `try_to_migrate_one`, the device-exclusive paths and other
    /// single-PTE changes issue (`mmu_notifier_range_init(..., address, address + PAGE_SIZE)`).
    pub fn one_page(mm: MmId, vpn: u32, event: NotifyEvent) -> NotifierRange {
        NotifierRange {
            mm,
            start: vpn,
            end: vpn + 1,
            event,
            owner: crate::trace::NO_OWNER,
        }
    }

    /// What the trace records of this range (its mm is the thread's, not recorded).
    pub(crate) fn invalidation(&self) -> Invalidation {
        Invalidation {
            event: self.event,
            owner: self.owner,
            start: self.start,
            end: self.end,
        }
    }
}

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
    /// The file-backed RFC's copy-back callback (seed 002, patch 4, "a callback that drivers may implement
    /// to actually copy any modified data back"; its name is not in the cover letter): copy device page
    /// `src` (a page-cache folio) into system page `dst` when a page-cache lookup migrates it back. The
    /// driver then dirties `dst` (`set_page_dirty`). `None`: the driver has no such callback, and the
    /// kernel reloads the page from its backing store instead.
    pub copy_to_pagecache: Option<fn(&Kernel, Pfn, Pfn)>,
}

/// `struct mmu_interval_notifier_ops`: what the kernel calls on one interval subscription (a mirror).
#[derive(Debug)]
pub struct MmuIntervalNotifierOps {
    /// `invalidate(interval_sub, range, cur_seq)`.
    pub invalidate: for<'k> fn(&'k Kernel, usize, NotifierRange, u64) -> OpFuture<'k, ()>,
}
