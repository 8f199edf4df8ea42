//! The RFC's path: one `hmm_range_fault(REQ_FAULT|REQ_MIGRATE)` walk then migrate, over the whole range under
//! `mmap_lock`.

use super::invalidate_own_mappings;
use crate::drivers::dmirror::{
    dmirror_migrate_finish, dmirror_migrate_on_fault_collect, mirror_ids,
};
use crate::kernel::Kernel;

/// One migrate-on-fault round (the collection is test_hmm's RFC 4/4 code), unmapping the device's own
/// mappings before the copy.
async fn migrate_on_fault_round(k: &Kernel, mirror: usize, start: u32, end: u32) -> i32 {
    let write = k.w().devices[mirror_ids(k, mirror).1 as usize].driver.write;
    let mut m = match dmirror_migrate_on_fault_collect(k, mirror, start, end, write).await {
        Ok(m) => m,
        Err(ret) => return ret,
    };
    invalidate_own_mappings(k, mirror, &m).await;
    dmirror_migrate_finish(k, mirror, &mut m).await;
    0
}

pub(super) async fn unified(k: &Kernel, mirror: usize, start: u32, end: u32) -> i32 {
    let mm = k.w().mirrors[mirror].mm;
    k.mmap_read_lock(mm).await;
    let ret = migrate_on_fault_round(k, mirror, start, end).await;
    k.mmap_read_unlock(mm);
    ret
}
