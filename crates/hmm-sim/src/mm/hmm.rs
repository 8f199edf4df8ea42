//! mm/hmm.c: `hmm_range_fault` and its walk callbacks (kernel-model.md §2.1), plus the RFC's unified
//! migrate-on-fault additions (§2.7): `hmm_vma_capture_migrate_range` and `hmm_vma_handle_migrate_prepare`.
//!
//! hmm takes no page references and no folio locks: it is a lockless snapshot validated by the interval
//! notifier sequence. Only faults (through `handle_mm_fault`) and migration-entry waits take the PTL.

use crate::errno::{EBUSY, EFAULT, EPERM, ERANGE};
use crate::kernel::Kernel;
use crate::mm::memory::{handle_mm_fault, migration_entry_wait, VM_FAULT_ERROR};
use crate::mm::migrate_device::{
    collect_pte, CollectCtx, MIGRATE_PFN_MIGRATE, MIGRATE_PFN_VALID, MIGRATE_VMA_SELECT_SYSTEM,
};
use crate::mm::mmu_notifier::{
    invalidate_range_end, invalidate_range_start, mmu_interval_retry, NotifierRange,
};
use crate::mm::walk;
use crate::pte::{Pfn, Pte, ZERO_PFN};
use crate::trace::{fault, pack_page, Ev, Func, NotifyEvent, RetryReason, Slot};
use crate::world::{MmId, Vma, Zone, PTRS_PER_PTE};

pub use crate::mm::hmm_pfn::*;

/// What `hmm_pte_need_fault` decided.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NeedFault {
    No,
    Read,
    Write,
}

/// `struct hmm_range`.
#[derive(Clone, Debug)]
pub struct HmmRange {
    pub array: u8,
    pub mm: MmId,
    pub start: u32,
    pub end: u32,
    pub hmm_pfns: Vec<u64>,
    pub default_flags: u64,
    pub pfn_flags_mask: u64,
    /// `1 + device id` of `dev_private_owner`.
    pub dev_private_owner: u8,
    /// The mirror whose interval notifier validates this snapshot.
    pub notifier: Option<usize>,
    pub notifier_seq: u64,
    /// RFC: `range->migrate` — selection flags beyond the `SELECT_SYSTEM` that `REQ_MIGRATE` implies.
    pub migrate_flags: Option<u32>,
}

impl HmmRange {
    pub fn new(
        k: &Kernel,
        mm: MmId,
        start: u32,
        end: u32,
        default_flags: u64,
        owner: u8,
    ) -> HmmRange {
        HmmRange {
            array: k.array_id(),
            mm,
            start,
            end,
            hmm_pfns: vec![0; end.saturating_sub(start) as usize],
            default_flags,
            pfn_flags_mask: 0,
            dev_private_owner: owner,
            notifier: None,
            notifier_seq: 0,
            migrate_flags: None,
        }
    }

    fn set_pfn(&mut self, k: &Kernel, vpn: u32, v: u64) {
        let i = (vpn - self.start) as usize;
        if self.hmm_pfns[i] != v {
            self.hmm_pfns[i] = v;
            let slot = Slot {
                array: self.array,
                index: i as u32,
            };
            k.record(Ev::HmmPfn { slot, value: v });
        }
    }

    fn need_fault(&self, vpn: u32, cpu_flags: u64) -> NeedFault {
        let req =
            (self.hmm_pfns[(vpn - self.start) as usize] & self.pfn_flags_mask) | self.default_flags;
        if req & HMM_PFN_REQ_FAULT == 0 {
            NeedFault::No
        } else if req & HMM_PFN_REQ_WRITE != 0 && cpu_flags & HMM_PFN_WRITE == 0 {
            NeedFault::Write
        } else if cpu_flags & HMM_PFN_VALID == 0 {
            NeedFault::Read
        } else {
            NeedFault::No
        }
    }

    fn range_need_fault(&self, s: u32, e: u32) -> NeedFault {
        let mut need = NeedFault::No;
        for vpn in s..e {
            match self.need_fault(vpn, 0) {
                NeedFault::Write => return NeedFault::Write,
                NeedFault::Read => need = NeedFault::Read,
                NeedFault::No => {}
            }
        }
        need
    }

    /// `hmm_want_migrate`: the selection flags of the unified path, if it is migrating.
    fn want_migrate(&self) -> Option<u32> {
        let flags = self.migrate_flags?;
        Some(
            flags
                | if self.default_flags & HMM_PFN_REQ_MIGRATE != 0 {
                    MIGRATE_VMA_SELECT_SYSTEM
                } else {
                    0
                },
        )
    }
}

/// Walk state (`struct hmm_vma_walk`).
struct HmmWalk {
    last: u32,
    /// RFC: the MMU_NOTIFY_MIGRATE range opened on first `test_walk`, held across every restart.
    migrate_range: Option<NotifierRange>,
}
/// Fault every page from `vpn` to `end` (the end of this PMD chunk), needed or not, then re-walk.
async fn hmm_vma_fault(
    k: &Kernel,
    r: &mut HmmRange,
    walk: &mut HmmWalk,
    vpn: u32,
    end: u32,
    need: NeedFault,
    vma: &Vma,
) -> i32 {
    let call = k.enter(Func::HmmVmaFault, pack_page(r.mm, vpn));
    walk.last = vpn;
    let mut flags = fault::REMOTE;
    if need == NeedFault::Write {
        if !vma.write {
            call.ret(EPERM);
            return EPERM;
        }
        flags |= fault::WRITE;
    }
    for addr in vpn..end {
        let ahead = if addr == vpn { 0 } else { fault::AHEAD };
        if handle_mm_fault(k, r.mm, addr, flags | ahead).await & VM_FAULT_ERROR != 0 {
            call.ret(EFAULT);
            return EFAULT;
        }
    }
    k.milestone(crate::trace::Milestone::FaultedIn);
    call.ret(EBUSY);
    EBUSY
}

/// No page table (or no VMA): fault if asked, otherwise report 0 (ERROR without a VMA).
async fn hmm_vma_walk_hole(
    k: &Kernel,
    r: &mut HmmRange,
    walk: &mut HmmWalk,
    s: u32,
    e: u32,
    vma: Option<&Vma>,
) -> i32 {
    let call = k.enter(Func::HmmVmaWalkHole, pack_page(r.mm, s));
    let need = r.range_need_fault(s, e);
    let Some(vma) = vma else {
        if need != NeedFault::No {
            call.ret(EFAULT);
            return EFAULT;
        }
        for vpn in s..e {
            r.set_pfn(k, vpn, HMM_PFN_ERROR);
        }
        return 0;
    };
    if need != NeedFault::No {
        let ret = hmm_vma_fault(k, r, walk, s, e, need, vma).await;
        call.ret(ret);
        return ret;
    }
    // RFC: on the migrate-only path, holes of anonymous VMAs are reported VALID|MIGRATE (pfn 0).
    let fill = if r.want_migrate().is_some() && vma.is_anonymous() {
        HMM_PFN_VALID | HMM_PFN_MIGRATE
    } else {
        0
    };
    for vpn in s..e {
        r.set_pfn(k, vpn, fill);
    }
    0
}

fn owner_of(k: &Kernel, pfn: Pfn) -> u8 {
    match k.w().folio(pfn).zone {
        Zone::DevicePrivate(dev) => dev + 1,
        _ => 0,
    }
}

/// RFC: under this PTE's own PTL, collect it exactly as `migrate_vma_collect_pmd` would.
async fn hmm_vma_handle_migrate_prepare(
    k: &Kernel,
    r: &mut HmmRange,
    vpn: u32,
    vma: &Vma,
    flags: u32,
) {
    let i = (vpn - r.start) as usize;
    if r.hmm_pfns[i] & HMM_PFN_VALID == 0 {
        return;
    }
    let _call = k.enter(Func::HmmVmaHandleMigratePrepare, pack_page(r.mm, vpn));
    let ptl = k.pte_lock(r.mm, vpn).await;
    let pte = k.pte_read(r.mm, vpn, false);
    // The walk read this PTE locklessly; if it changed before we took the PTL (a racing COW fault, say),
    // the recorded pfn is stale: leave the page alone rather than collect a different one.
    let seen = hmm_pfn_to_pfn(r.hmm_pfns[i]);
    let now = match pte {
        Pte::Present { pfn, .. } | Pte::DevicePrivate { pfn, .. } => Some(pfn),
        Pte::Zero => Some(ZERO_PFN),
        Pte::None => Some(0),
        _ => None,
    };
    if now != Some(seen) {
        k.unlock(ptl);
        return;
    }
    let ctx = CollectCtx {
        mm: r.mm,
        anonymous: vma.is_anonymous(),
        flags,
        pgmap_owner: r.dev_private_owner,
        fault_page: None,
    };
    let c = collect_pte(k, &ctx, vpn, pte);
    if c.counted {
        let v = if c.mpfn & MIGRATE_PFN_VALID == 0 && c.mpfn & MIGRATE_PFN_MIGRATE != 0 {
            HMM_PFN_VALID | HMM_PFN_MIGRATE // hole or zero page: pfn 0
        } else {
            r.hmm_pfns[i] | HMM_PFN_MIGRATE
        };
        r.set_pfn(k, vpn, v);
    }
    if c.unmapped_present {
        k.tlb_flush(vpn, vpn + 1); // flush_tlb_range(addr, addr + PAGE_SIZE)
    }
    k.unlock(ptl);
}

async fn hmm_vma_handle_pte(
    k: &Kernel,
    r: &mut HmmRange,
    walk: &mut HmmWalk,
    vpn: u32,
    end: u32,
    vma: &Vma,
) -> i32 {
    let call = k.enter(Func::HmmVmaHandlePte, pack_page(r.mm, vpn));
    let pte = k.pte_read(r.mm, vpn, true);
    let new = match pte {
        Pte::None => match r.need_fault(vpn, 0) {
            NeedFault::No => 0,
            need => return hmm_vma_fault(k, r, walk, vpn, end, need, vma).await,
        },
        Pte::DevicePrivate { pfn, write }
            if owner_of(k, pfn) == r.dev_private_owner && r.dev_private_owner != 0 =>
        {
            pfn as u64 | HMM_PFN_VALID | if write { HMM_PFN_WRITE } else { 0 }
        }
        Pte::Swap { .. }
        | Pte::DevicePrivate { .. }
        | Pte::DeviceExclusive { .. }
        | Pte::Migration { .. } => match r.need_fault(vpn, 0) {
            NeedFault::No => 0,
            need => {
                if let Pte::Migration { .. } = pte {
                    walk.last = vpn;
                    migration_entry_wait(k, r.mm, vpn).await;
                    call.ret(EBUSY);
                    return EBUSY;
                }
                return hmm_vma_fault(k, r, walk, vpn, end, need, vma).await;
            }
        },
        Pte::Present { pfn, write, .. } => {
            let cpu = HMM_PFN_VALID | if write { HMM_PFN_WRITE } else { 0 };
            match r.need_fault(vpn, cpu) {
                NeedFault::No => pfn as u64 | cpu,
                need => return hmm_vma_fault(k, r, walk, vpn, end, need, vma).await,
            }
        }
        Pte::Zero => match r.need_fault(vpn, HMM_PFN_VALID) {
            NeedFault::No => ZERO_PFN as u64 | HMM_PFN_VALID,
            need => return hmm_vma_fault(k, r, walk, vpn, end, need, vma).await,
        },
    };
    // HMM_PFN_INOUT_FLAGS (the DMA-mapping bits) are not modelled, so nothing is carried over.
    r.set_pfn(k, vpn, new);
    0
}

/// `hmm_vma_walk_pmd`: lockless PMD read, then each PTE (no PTL).
async fn hmm_vma_walk_pmd(
    k: &Kernel,
    r: &mut HmmRange,
    walk: &mut HmmWalk,
    s: u32,
    e: u32,
    vma: &Vma,
) -> i32 {
    let call = k.enter(Func::HmmVmaWalkPmd, pack_page(r.mm, s));
    // RFC: a THP the unified walk must migrate is split first (`hmm_vma_walk_split`), then walked as PTEs.
    if k.pmd_read(r.mm, s).is_some() && r.want_migrate().is_some() {
        crate::mm::huge_memory::split_thp_for_migration(k, r.mm, s, None).await;
    }
    if let Some(leaf) = k.pmd_read(r.mm, s) {
        let ret = hmm_vma_walk_huge_pmd(k, r, walk, s, e, vma, leaf).await;
        if ret != 0 {
            call.ret(ret);
        }
        return ret;
    }
    let has_table = k.w().mms[r.mm as usize].pmds[(s / PTRS_PER_PTE) as usize].is_some();
    if !has_table {
        return hmm_vma_walk_hole(k, r, walk, s, e, Some(vma)).await;
    }
    for vpn in s..e {
        let ret = hmm_vma_handle_pte(k, r, walk, vpn, e, vma).await;
        if ret != 0 {
            call.ret(ret);
            return ret;
        }
        if let Some(flags) = r.want_migrate() {
            hmm_vma_handle_migrate_prepare(k, r, vpn, vma, flags).await;
        }
    }
    0
}

/// The PMD-leaf arms of `hmm_vma_walk_pmd` (the PMD read locklessly): a PMD migration entry waits
/// (`pmd_migration_entry_wait`, `-EBUSY`) if a fault is needed and reports 0 otherwise; a device-private PMD
/// entry (6.18+, `hmm_vma_handle_absent_pmd`) of the caller's device reports its pages with order 9, one of
/// another device is faulted; a THP or the huge zero page goes to `hmm_vma_handle_pmd`.
async fn hmm_vma_walk_huge_pmd(
    k: &Kernel,
    r: &mut HmmRange,
    walk: &mut HmmWalk,
    s: u32,
    e: u32,
    vma: &Vma,
    leaf: Pte,
) -> i32 {
    let base = s - s % PTRS_PER_PTE;
    match leaf {
        Pte::Migration { pfn, .. } => {
            if r.range_need_fault(s, e) != NeedFault::No {
                walk.last = s;
                let _w = k.enter(Func::PmdMigrationEntryWait, pack_page(r.mm, s));
                let head = k.w().folio_head(pfn);
                k.folio_wait_unlocked(head).await;
                return EBUSY;
            }
            for vpn in s..e {
                r.set_pfn(k, vpn, 0);
            }
            0
        }
        Pte::DevicePrivate { pfn, write } => {
            if owner_of(k, pfn) == r.dev_private_owner {
                let cpu =
                    HMM_PFN_VALID | if write { HMM_PFN_WRITE } else { 0 } | hmm_pfn_flags_order(9);
                for vpn in s..e {
                    r.set_pfn(k, vpn, (pfn + (vpn - base)) as u64 | cpu);
                }
                return 0;
            }
            match r.range_need_fault(s, e) {
                NeedFault::No => {
                    for vpn in s..e {
                        r.set_pfn(k, vpn, 0);
                    }
                    0
                }
                need => hmm_vma_fault(k, r, walk, s, e, need, vma).await,
            }
        }
        _ => hmm_vma_handle_pmd(k, r, walk, s, e, vma, leaf).await,
    }
}

/// `hmm_vma_handle_pmd`: `cpu_flags` = VALID, WRITE if the PMD is writable, and the map order 9; fault the
/// chunk if any page needs more (`hmm_range_need_fault`), otherwise report each page `pfn + i` with them.
/// The huge zero page is reported like any page, read-only.
async fn hmm_vma_handle_pmd(
    k: &Kernel,
    r: &mut HmmRange,
    walk: &mut HmmWalk,
    s: u32,
    e: u32,
    vma: &Vma,
    leaf: Pte,
) -> i32 {
    let call = k.enter(Func::HmmVmaHandlePmd, pack_page(r.mm, s));
    let base = s - s % PTRS_PER_PTE;
    let (head, write) = match leaf {
        Pte::Present { pfn, write, .. } => (pfn, write),
        _ => (k.w().huge_zero.unwrap_or(ZERO_PFN), false),
    };
    let cpu = HMM_PFN_VALID | if write { HMM_PFN_WRITE } else { 0 } | hmm_pfn_flags_order(9);
    let mut need = NeedFault::No;
    for vpn in s..e {
        match r.need_fault(vpn, cpu) {
            NeedFault::Write => need = NeedFault::Write,
            NeedFault::Read if need == NeedFault::No => need = NeedFault::Read,
            _ => {}
        }
    }
    if need != NeedFault::No {
        let ret = hmm_vma_fault(k, r, walk, s, e, need, vma).await;
        call.ret(ret);
        return ret;
    }
    for vpn in s..e {
        r.set_pfn(k, vpn, (head + (vpn - base)) as u64 | cpu);
    }
    0
}

/// `hmm_vma_walk_test` (+ the RFC's `hmm_vma_capture_migrate_range`). `Some(ret)` skips the VMA.
async fn hmm_vma_walk_test(
    k: &Kernel,
    r: &mut HmmRange,
    walk: &mut HmmWalk,
    s: u32,
    e: u32,
    vma: &Vma,
) -> Option<i32> {
    let call = k.enter(Func::HmmVmaWalkTest, pack_page(r.mm, s));
    if vma.special || !vma.read {
        if r.range_need_fault(s, e) != NeedFault::No {
            call.ret(EFAULT);
            return Some(EFAULT);
        }
        for vpn in s..e {
            r.set_pfn(k, vpn, HMM_PFN_ERROR);
        }
        return Some(0);
    }
    if r.want_migrate().is_some() && walk.migrate_range.is_none() {
        let _c = k.enter(Func::HmmVmaCaptureMigrateRange, pack_page(r.mm, s));
        if r.start < vma.start || r.end > vma.end {
            _c.ret(ERANGE);
            return Some(ERANGE);
        }
        let range = NotifierRange {
            mm: r.mm,
            start: r.start,
            end: r.end,
            event: NotifyEvent::Migrate,
            owner: r.dev_private_owner,
        };
        invalidate_range_start(k, range).await;
        walk.migrate_range = Some(range);
    }
    None
}

/// One `walk_page_range(mm, last, end, &hmm_walk_ops)`, in the kernel's order: each VMA (or the hole before
/// it) in turn, `test_walk` once per VMA, then its PMD entries one by one.
async fn walk_range(k: &Kernel, r: &mut HmmRange, walk: &mut HmmWalk) -> i32 {
    let w = walk::begin(k, r.mm, walk.last, r.end);
    let mut ret = 0;
    for (s, e, vma) in vma_segments(k, r.mm, walk.last, r.end) {
        ret = match vma {
            None => hmm_vma_walk_hole(k, r, walk, s, e, None).await,
            Some(vma) => match hmm_vma_walk_test(k, r, walk, s, e, &vma).await {
                Some(ret) => ret,
                None => walk_pmds(k, r, walk, &w, s, e, &vma).await,
            },
        };
        if ret != 0 {
            break;
        }
    }
    walk::end(k, walk.last, r.end);
    ret
}

/// `walk_pmd_range` over one VMA's part of the range: `hmm_vma_walk_pmd` per PMD entry.
async fn walk_pmds(
    k: &Kernel,
    r: &mut HmmRange,
    walk: &mut HmmWalk,
    w: &walk::Walk,
    s: u32,
    e: u32,
    vma: &Vma,
) -> i32 {
    for (s, e) in walk::pmd_chunks(s, e) {
        walk::descend(k, w, s);
        let ret = hmm_vma_walk_pmd(k, r, walk, s, e, vma).await;
        if ret != 0 {
            return ret;
        }
    }
    0
}

/// `[s, e)` split at VMA boundaries, each piece with its VMA (or none: a hole in the address space).
fn vma_segments(k: &Kernel, mm: MmId, s: u32, e: u32) -> Vec<(u32, u32, Option<Vma>)> {
    let w = k.w();
    let mut out = Vec::new();
    let mut at = s;
    while at < e {
        match w.mms[mm as usize].vma(at) {
            Some(v) => {
                let end = v.end.min(e);
                out.push((at, end, Some(v.clone())));
                at = end;
            }
            None => {
                let next = w.mms[mm as usize]
                    .vmas
                    .iter()
                    .map(|v| v.start)
                    .filter(|&st| st > at)
                    .min();
                let end = next.unwrap_or(e).min(e);
                out.push((at, end, None));
                at = end;
            }
        }
    }
    out
}

/// `hmm_range_fault(range)`: 0, `-EBUSY` (sequence moved), `-EFAULT`, `-EPERM` (or the RFC's `-ERANGE`).
pub async fn hmm_range_fault(k: &Kernel, r: &mut HmmRange) -> i32 {
    let call = k.enter(Func::HmmRangeFault, pack_page(r.mm, r.start));
    let logical = k.logical_walk_begin(pack_page(r.mm, r.start), r.end);
    let held = k.w().mms[r.mm as usize]
        .mmap_lock
        .readers
        .contains(&k.tid());
    if !held {
        k.violation(format!(
            "T{} called hmm_range_fault without mmap_lock (mmap_assert_locked)",
            k.tid()
        ));
    }
    let mut walk = HmmWalk {
        last: r.start,
        migrate_range: None,
    };
    let ret = loop {
        if let Some(sub) = r.notifier {
            if mmu_interval_retry(k, sub, r.notifier_seq, false) {
                break EBUSY;
            }
        }
        let ret = walk_range(k, r, &mut walk).await;
        if ret != EBUSY {
            break ret;
        }
        k.retry(RetryReason::HmmRewalk);
        k.preempt().await;
    };
    // RFC: the migrate invalidation is closed on every exit (the unbalanced-start bug Mika fixed).
    if let Some(range) = walk.migrate_range {
        invalidate_range_end(k, range);
    }
    k.logical_walk_end(logical, pack_page(r.mm, r.start), r.end);
    if ret != 0 {
        k.error(ret);
    }
    call.ret(ret);
    ret
}
