//! mm/mmu_notifier.c: interval notifiers with the even/odd sequence (kernel-model.md §1.6, §2.1).
//!
//! Every mirror subscribes to its whole mm, as lib/test_hmm.c's `open()` does, so every invalidation of that
//! mm overlaps every mirror of it. Callbacks run in subscription order.

pub use crate::kernel::ops::NotifierRange;
use crate::kernel::Kernel;
use crate::trace::WaitOn;
use crate::trace::{Ev, Func};
/// `mmu_interval_read_begin`: the subscription's sequence, after any running invalidation has ended.
pub async fn mmu_interval_read_begin(k: &Kernel, mirror: usize) -> u64 {
    let _call = k.enter(Func::MmuIntervalReadBegin, 0);
    loop {
        let (sub_seq, mm, mm_seq) = {
            let w = k.w();
            let m = &w.mirrors[mirror];
            (m.seq, m.mm, w.mms[m.mm as usize].invalidate_seq)
        };
        // `is_invalidating`: our callback already ran for the invalidation in progress.
        if sub_seq != mm_seq {
            return sub_seq;
        }
        k.sleep_on(WaitOn::NotifierIdle(mm)).await;
    }
}

/// `mmu_notifier_invalidate_range_start`: `mn_itree_inv_start_range` then each overlapping callback.
pub async fn invalidate_range_start(k: &Kernel, r: NotifierRange) {
    let _call = k.enter(Func::InvalidateRangeStart, r.start);
    k.record(Ev::NotifierStart {
        range: r.invalidation(),
    });
    let (subs, seq) = {
        let mut w = k.wm();
        let subs: Vec<usize> = (0..w.mirrors.len())
            .filter(|&i| w.mirrors[i].mm == r.mm)
            .collect();
        let mm = &mut w.mms[r.mm as usize];
        mm.active_invalidations += 1;
        (subs, mm.invalidate_seq)
    };
    let cur_seq = if subs.is_empty() { seq } else { seq | 1 };
    if cur_seq != seq {
        k.set_mm_seq(r.mm, cur_seq);
    }
    // mn_itree_invalidate: each subscription's ops->invalidate, in subscription order.
    for sub in subs {
        if let Some(ops) = k.interval_ops(sub) {
            (ops.invalidate)(k, sub, r, cur_seq).await;
        }
    }
}

/// `mmu_notifier_invalidate_range_end`: `mn_itree_inv_end` makes the sequence even when the last one ends.
pub fn invalidate_range_end(k: &Kernel, r: NotifierRange) {
    let _call = k.enter(Func::InvalidateRangeEnd, r.start);
    let (active, seq) = {
        let mut w = k.wm();
        let mm = &mut w.mms[r.mm as usize];
        mm.active_invalidations -= 1;
        (mm.active_invalidations, mm.invalidate_seq)
    };
    if active == 0 && seq % 2 == 1 {
        k.set_mm_seq(r.mm, seq + 1);
    }
    k.record(Ev::NotifierEnd {
        range: r.invalidation(),
    });
}

/// `mmu_interval_read_retry` (under the driver lock) and `mmu_interval_check_retry` (lockless hint):
/// has the subscription's sequence moved since `seq`?
pub fn mmu_interval_retry(k: &Kernel, mirror: usize, seq: u64, locked: bool) -> bool {
    let call = k.enter(
        if locked {
            Func::MmuIntervalReadRetry
        } else {
            Func::MmuIntervalCheckRetry
        },
        0,
    );
    let stale = k.w().mirrors[mirror].seq != seq;
    call.ret(stale as i32);
    stale
}
