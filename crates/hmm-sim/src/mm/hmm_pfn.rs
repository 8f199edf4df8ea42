//! include/linux/hmm.h: the bits of an `hmm_pfns[]` entry (and the RFC's `HMM_PFN_MIGRATE`). A header of its
//! own, as in the kernel, so mm/migrate_device.c's `migrate_hmm_range_setup` reads them without mm/hmm.c.

use crate::pte::Pfn;

pub const HMM_PFN_VALID: u64 = 1 << 63;
pub const HMM_PFN_WRITE: u64 = 1 << 62;
pub const HMM_PFN_ERROR: u64 = 1 << 61;
/// RFC patch 2/4: `HMM_PFN_MIGRATE` = `HMM_PFN_REQ_MIGRATE`, bit 57.
pub const HMM_PFN_MIGRATE: u64 = 1 << 57;
pub const HMM_PFN_REQ_FAULT: u64 = HMM_PFN_VALID;
pub const HMM_PFN_REQ_WRITE: u64 = HMM_PFN_WRITE;
pub const HMM_PFN_REQ_MIGRATE: u64 = HMM_PFN_MIGRATE;
/// `HMM_PFN_ORDER_SHIFT` of the merged kernels (6.15+: `BITS_PER_LONG - 11`): 5 bits of map order, set on
/// every pfn a PMD (order 9) or PUD leaf maps. (The RFC moves it to 52, under its `HMM_PFN_MIGRATE`; the
/// model's RFC lanes never walk a THP.)
pub const HMM_PFN_ORDER_SHIFT: u32 = 53;

/// `hmm_pfn_to_map_order`.
pub fn hmm_pfn_to_map_order(p: u64) -> u32 {
    ((p >> HMM_PFN_ORDER_SHIFT) & 0x1f) as u32
}

/// `hmm_pfn_flags_order(order)`.
pub fn hmm_pfn_flags_order(order: u32) -> u64 {
    (order as u64) << HMM_PFN_ORDER_SHIFT
}

/// The low bits hold the pfn.
const HMM_PFN_PFN_MASK: u64 = (1 << 52) - 1;

pub fn hmm_pfn_to_pfn(p: u64) -> Pfn {
    (p & HMM_PFN_PFN_MASK) as Pfn
}
