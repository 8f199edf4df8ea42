//! mm/migrate_device.c: `migrate_vma_setup` / `migrate_vma_pages` / `migrate_vma_finalize`, the RFC's
//! `migrate_hmm_range_setup`, and `migrate_device_range` (kernel-model.md §2.2–§2.5, §2.7).
//!
//! The code follows the 6.16 source line by line where it matters: the chunk PTL held across
//! `migrate_vma_collect_pmd`, the trylock of each folio, the migration-entry variants, the refcount
//! arithmetic of `migrate_vma_check_page` and `folio_migrate_mapping`. THPs: up to 6.18 collect splits a
//! PMD-mapped THP first; from 6.19 (the device-private THP series, [`KernelVersion::device_thp`]) a driver
//! passing `MIGRATE_VMA_SELECT_COMPOUND` migrates a 2 MiB folio whole behind one PMD migration entry
//! (`migrate_vma_collect_huge_pmd`, one `MIGRATE_PFN_COMPOUND` src entry, `migrate_vma_insert_huge_pmd_page`),
//! and a driver that gives 4 KiB destinations for it makes `migrate_vma_pages` split it
//! (`migrate_vma_split_unmapped_folio`).

use crate::errno::EINVAL;
use crate::kernel::Kernel;
use crate::mm::memory::add_new_anon_rmap;
use crate::mm::migrate::folio_migrate_mapping;
use crate::mm::mmu_notifier::{invalidate_range_end, invalidate_range_start, NotifierRange};
use crate::mm::rmap::{remove_migration_ptes, try_to_migrate};
use crate::mm::walk;
use crate::pte::{MigrationKind, Pfn, Pte, ZERO_PFN};
use crate::trace::{pack_page, Ev, FolioFlag, Func, Milestone, NotifyEvent, Slot};
use crate::version::KernelVersion;
use crate::world::{MappingKind, MmId, Zone, PTRS_PER_PTE};

mod collect;

pub(crate) use collect::{collect_pte, fault_page_prelocked, CollectCtx};

pub const MIGRATE_PFN_VALID: u32 = 1 << 0;
pub const MIGRATE_PFN_MIGRATE: u32 = 1 << 1;
pub const MIGRATE_PFN_WRITE: u32 = 1 << 3;
/// 6.19+: the entry stands for a whole 2 MiB folio (src) or a 2 MiB destination (dst); the next 511 entries
/// are 0.
pub const MIGRATE_PFN_COMPOUND: u32 = 1 << 4;
pub const MIGRATE_PFN_SHIFT: u32 = 6;

pub const MIGRATE_VMA_SELECT_SYSTEM: u32 = 1 << 0;
pub const MIGRATE_VMA_SELECT_DEVICE_PRIVATE: u32 = 1 << 1;
pub const MIGRATE_VMA_SELECT_DEVICE_COHERENT: u32 = 1 << 2;
/// 6.19+: the driver can take 2 MiB folios whole (`MIGRATE_VMA_SELECT_COMPOUND`).
pub const MIGRATE_VMA_SELECT_COMPOUND: u32 = 1 << 3;
/// RFC ("Migrate on fault for device pages"): `migrate_vma_setup` walks with `HMM_PFN_REQ_FAULT` as well,
/// faulting in what is not present instead of skipping it. The RFC (on 6.16) numbered it `1 << 3`, the bit
/// 6.19 gave to `MIGRATE_VMA_SELECT_COMPOUND`; the model keeps both, so it takes the next free bit.
pub const MIGRATE_VMA_FAULT: u32 = 1 << 4;

/// `migrate_pfn(pfn)`.
pub fn migrate_pfn(pfn: Pfn) -> u32 {
    pfn << MIGRATE_PFN_SHIFT | MIGRATE_PFN_VALID
}

/// `migrate_pfn_to_page`: the pfn, if VALID.
pub fn mpfn_page(mpfn: u32) -> Option<Pfn> {
    (mpfn & MIGRATE_PFN_VALID != 0).then_some(mpfn >> MIGRATE_PFN_SHIFT)
}

/// `struct migrate_vma`.
#[derive(Clone, Debug)]
pub struct MigrateVma {
    /// Tells this instance's `src[]`/`dst[]` events from another's in the trace.
    pub array: u8,
    pub mm: MmId,
    pub start: u32,
    pub end: u32,
    pub src: Vec<u32>,
    pub dst: Vec<u32>,
    pub cpages: u32,
    pub npages: u32,
    /// `1 + device id` of the driver's `pgmap_owner`.
    pub pgmap_owner: u8,
    pub flags: u32,
    pub fault_page: Option<Pfn>,
}

impl MigrateVma {
    pub fn new(
        k: &Kernel,
        mm: MmId,
        start: u32,
        end: u32,
        pgmap_owner: u8,
        flags: u32,
    ) -> MigrateVma {
        let n = end.saturating_sub(start) as usize;
        MigrateVma {
            array: k.array_id(),
            mm,
            start,
            end,
            src: vec![0; n],
            dst: vec![0; n],
            cpages: 0,
            npages: 0,
            pgmap_owner,
            flags,
            fault_page: None,
        }
    }

    /// `page` is the fault page that `do_swap_page` locked before calling `migrate_to_ram`, so the core must
    /// neither lock nor unlock it. Only from 6.15 (1afaeb8293c9): before it, `fault_page` was passed for the
    /// refcount arithmetic alone and collect trylocked it like any other page.
    pub fn prelocked(&self, k: &Kernel, page: Pfn) -> bool {
        fault_page_prelocked(k, self.fault_page, page)
    }

    /// Slot `i` of this array, as the trace names it.
    fn slot(&self, i: usize) -> Slot {
        Slot {
            array: self.array,
            index: i as u32,
        }
    }

    pub fn set_src(&mut self, k: &Kernel, i: usize, v: u32) {
        let old = std::mem::replace(&mut self.src[i], v);
        if old != v {
            k.record(Ev::Src {
                slot: self.slot(i),
                old,
                new: v,
            });
        }
    }

    pub fn set_dst(&mut self, k: &Kernel, i: usize, v: u32) {
        let old = std::mem::replace(&mut self.dst[i], v);
        if old != v {
            k.record(Ev::Dst {
                slot: self.slot(i),
                old,
                new: v,
            });
        }
    }
}
fn migrate_vma_collect_skip(k: &Kernel, m: &mut MigrateVma, s: u32, e: u32) {
    let _call = k.enter(Func::MigrateVmaCollectSkip, pack_page(m.mm, s));
    for _ in s..e {
        let i = m.npages as usize;
        m.set_dst(k, i, 0);
        m.set_src(k, i, 0);
        m.npages += 1;
    }
}

/// `thp_migration_supported() && (flags & MIGRATE_VMA_SELECT_COMPOUND)` and `[s, e)` is a whole aligned
/// 2 MiB: collect may take it as one compound entry.
fn compound_collectable(k: &Kernel, m: &MigrateVma, s: u32, e: u32) -> bool {
    k.version.device_thp()
        && m.flags & MIGRATE_VMA_SELECT_COMPOUND != 0
        && s.is_multiple_of(PTRS_PER_PTE)
        && e.is_multiple_of(PTRS_PER_PTE)
        && e > s
}

fn migrate_vma_collect_hole(k: &Kernel, m: &mut MigrateVma, anonymous: bool, s: u32, e: u32) {
    if !anonymous {
        migrate_vma_collect_skip(k, m, s, e);
        return;
    }
    let _call = k.enter(Func::MigrateVmaCollectHole, pack_page(m.mm, s));
    if compound_collectable(k, m, s, e) {
        // One entry asks for a 2 MiB destination; the other 511 are collected as skipped, "in case we need
        // to split later".
        let i = m.npages as usize;
        m.set_src(k, i, MIGRATE_PFN_MIGRATE | MIGRATE_PFN_COMPOUND);
        m.set_dst(k, i, 0);
        m.npages += 1;
        m.cpages += 1;
        migrate_vma_collect_skip(k, m, s + 1, e);
        return;
    }
    for _ in s..e {
        let i = m.npages as usize;
        m.set_src(k, i, MIGRATE_PFN_MIGRATE);
        m.set_dst(k, i, 0);
        m.npages += 1;
        m.cpages += 1;
    }
}

/// 6.19's `migrate_vma_split_folio` for the large folios a chunk's PTEs map (a THP or a 2 MiB device folio
/// whose PMD a partial munmap split): each is split before the PTE loop (the kernel drops the PTL at the
/// PTE that finds it, splits, and restarts the chunk: the same splits in the same order). A folio other
/// than the fault folio gets a reference and its lock for the split. The fault folio is locked and
/// referenced by the fault already; after the split that reference moves to the fault page's own folio
/// ("ensure the lock is held on the correct folio after the split": the model's fault path locked the
/// fault page itself, so only the reference moves).
async fn migrate_vma_split_ptemapped_folios(k: &Kernel, m: &MigrateVma, s: u32, e: u32) {
    use crate::mm::huge_memory::split_folio;
    for vpn in s..e {
        let pfn = match k.w().mms[m.mm as usize].pte(vpn) {
            Pte::Present { pfn, .. } | Pte::DevicePrivate { pfn, .. } => pfn,
            _ => continue,
        };
        let head = k.w().folio_head(pfn);
        let nr = k.w().folio(head).nr_pages();
        if nr == 1 {
            continue;
        }
        let _call = k.enter(Func::MigrateVmaSplitFolio, head);
        let fault = m.fault_page.filter(|f| (head..head + nr).contains(f));
        if fault.is_none() {
            k.folio_get(head);
            k.lock(crate::trace::LockId::Folio(head)).await;
        }
        let ret = split_folio(k, head).await;
        match fault {
            None => {
                k.folio_unlock(head);
                k.folio_put(head);
            }
            Some(f) if f != head && ret == 0 => {
                k.folio_get(f);
                k.folio_put(head);
            }
            Some(_) => {}
        }
    }
}

/// One PMD chunk under its PTL, taken once and held across the loop.
async fn migrate_vma_collect_pmd(k: &Kernel, m: &mut MigrateVma, ctx: &CollectCtx, s: u32, e: u32) {
    let _call = k.enter(Func::MigrateVmaCollectPmd, pack_page(m.mm, s));
    if k.version.device_thp() {
        migrate_vma_split_ptemapped_folios(k, m, s, e).await;
    }
    let ptl = k.pte_lock(m.mm, s).await;
    let mut unmapped = 0;
    for vpn in s..e {
        let pte = k.pte_read(m.mm, vpn, true);
        let c = collect_pte(k, ctx, vpn, pte);
        if c.counted {
            m.cpages += 1;
        }
        unmapped += c.unmapped_present as u32;
        let i = m.npages as usize;
        m.set_dst(k, i, 0);
        m.set_src(k, i, c.mpfn);
        m.npages += 1;
    }
    if unmapped > 0 {
        k.tlb_flush(s, e); // flush_tlb_range
    }
    k.unlock(ptl);
}

/// The THP arm of `migrate_vma_collect_pmd` as 6.14–6.17 have it: under `pmd_lock` re-check the leaf; the
/// huge zero page is split (`split_huge_pmd`); a THP gets a reference, is trylocked and split
/// (`split_folio`, whose PMD split sends its own `MMU_NOTIFY_CLEAR` inside collect's `MMU_NOTIFY_MIGRATE`),
/// then unlocked and put, and the chunk goes on through the PTE loop. A PMD migration or device-private
/// entry, a locked folio, the fault folio or a failed split skip the chunk. Returns true when the chunk was
/// skipped. 6.19+ has [`migrate_vma_collect_huge_pmd`] instead.
async fn migrate_vma_collect_huge(
    k: &Kernel,
    m: &mut MigrateVma,
    ctx: &CollectCtx,
    s: u32,
    e: u32,
) -> bool {
    use crate::mm::huge_memory::split_thp_for_migration;
    let skip = |k: &Kernel, m: &mut MigrateVma| {
        migrate_vma_collect_skip(k, m, s, e);
        true
    };
    let leaf = k.pmd_read(m.mm, s);
    if matches!(leaf, Some(Pte::Present { .. })) && ctx.flags & MIGRATE_VMA_SELECT_SYSTEM == 0 {
        return skip(k, m);
    }
    if split_thp_for_migration(k, m.mm, s, ctx.fault_page).await {
        false
    } else {
        skip(k, m)
    }
}

/// 6.19's `migrate_vma_collect_huge_pmd`, under `pmd_lock`: the huge zero page is collected as a hole; a
/// THP (with `SELECT_SYSTEM`) or a device-private PMD entry of the caller's device (with
/// `SELECT_DEVICE_PRIVATE`) gets a reference and is trylocked (the fault folio is locked already); with
/// `SELECT_COMPOUND` on a whole aligned 2 MiB it becomes one `MIGRATE|COMPOUND[|WRITE]` entry behind a PMD
/// migration entry (`set_pmd_migration_entry`), the other 511 entries skipped. Otherwise (or if the entry
/// cannot be set) the folio is split (`split_folio`) and the chunk goes on at the PTE level. Returns true
/// when the chunk is done.
async fn migrate_vma_collect_huge_pmd(
    k: &Kernel,
    m: &mut MigrateVma,
    ctx: &CollectCtx,
    s: u32,
    e: u32,
) -> bool {
    use crate::mm::huge_memory::{set_pmd_migration_entry, split_folio};
    let _call = k.enter(Func::MigrateVmaCollectHugePmd, pack_page(m.mm, s));
    let ptl = k.pmd_lock(m.mm, s).await;
    // Every way out drops pmd_lock here.
    let unlock = |k: &Kernel| k.unlock(ptl);
    let skip = |k: &Kernel, m: &mut MigrateVma| {
        unlock(k);
        migrate_vma_collect_skip(k, m, s, e);
        true
    };
    let (head, write) = match k.pmd_read(m.mm, s) {
        // pmd_none, or a PTE table by now (the leaf changed since the lockless read): the PTE walk or
        // the hole.
        None => {
            unlock(k);
            return false;
        }
        Some(Pte::Zero) => {
            if ctx.flags & MIGRATE_VMA_SELECT_SYSTEM == 0 {
                return skip(k, m);
            }
            unlock(k);
            migrate_vma_collect_hole(k, m, ctx.anonymous, s, e);
            return true;
        }
        Some(Pte::Present { pfn, write, .. }) => {
            if ctx.flags & MIGRATE_VMA_SELECT_SYSTEM == 0 {
                return skip(k, m);
            }
            (pfn, write)
        }
        Some(Pte::DevicePrivate { pfn, write }) => {
            let owner = match k.w().folio(pfn).zone {
                Zone::DevicePrivate(dev) => dev + 1,
                _ => 0,
            };
            if ctx.flags & MIGRATE_VMA_SELECT_DEVICE_PRIVATE == 0 || owner != ctx.pgmap_owner {
                return skip(k, m);
            }
            (pfn, write)
        }
        // A PMD migration entry (or anything else not present): not ours to migrate.
        Some(_) => return skip(k, m),
    };
    k.folio_get(head);
    let is_fault_folio = ctx
        .fault_page
        .is_some_and(|f| k.w().folio_head(f) == head && fault_page_prelocked(k, Some(f), f));
    if !is_fault_folio && !k.folio_trylock(head) {
        unlock(k);
        k.folio_put(head);
        migrate_vma_collect_skip(k, m, s, e);
        return true;
    }
    if compound_collectable(k, m, s, e) {
        let i = m.npages as usize;
        let wbit = if write { MIGRATE_PFN_WRITE } else { 0 };
        m.set_src(
            k,
            i,
            migrate_pfn(head) | wbit | MIGRATE_PFN_MIGRATE | MIGRATE_PFN_COMPOUND,
        );
        m.set_dst(k, i, 0);
        m.npages += 1;
        m.cpages += 1;
        if set_pmd_migration_entry(k, m.mm, s, head) == 0 {
            migrate_vma_collect_skip(k, m, s + 1, e);
            unlock(k);
            return true;
        }
        m.npages -= 1;
        m.cpages -= 1;
        m.set_src(k, i, 0);
    }
    // fallback: split the folio outside the PMD lock, then walk its PTEs.
    unlock(k);
    let ret = split_folio(k, head).await;
    if !is_fault_folio {
        k.folio_unlock(head);
    }
    k.folio_put(head);
    if ret != 0 {
        migrate_vma_collect_skip(k, m, s, e);
        return true;
    }
    false
}

async fn migrate_vma_collect(k: &Kernel, m: &mut MigrateVma) {
    let _call = k.enter(Func::MigrateVmaCollect, pack_page(m.mm, m.start));
    let range = NotifierRange {
        mm: m.mm,
        start: m.start,
        end: m.end,
        event: NotifyEvent::Migrate,
        owner: m.pgmap_owner,
    };
    invalidate_range_start(k, range).await;
    let anonymous = k.w().mms[m.mm as usize]
        .vma(m.start)
        .is_some_and(|v| v.is_anonymous());
    let ctx = CollectCtx {
        mm: m.mm,
        anonymous,
        flags: m.flags,
        pgmap_owner: m.pgmap_owner,
        fault_page: m.fault_page,
    };
    let walk = walk::begin(k, m.mm, m.start, m.end);
    for (s, e) in walk::pmd_chunks(m.start, m.end) {
        walk::descend(k, &walk, s);
        if k.pmd_read(m.mm, s).is_some() {
            let done = if k.version.device_thp() {
                migrate_vma_collect_huge_pmd(k, m, &ctx, s, e).await
            } else {
                migrate_vma_collect_huge(k, m, &ctx, s, e).await
            };
            if done {
                continue;
            }
        }
        let has_table = k.w().mms[m.mm as usize].pmds[(s / PTRS_PER_PTE) as usize].is_some();
        if has_table {
            migrate_vma_collect_pmd(k, m, &ctx, s, e).await;
        } else {
            migrate_vma_collect_hole(k, m, anonymous, s, e);
        }
    }
    walk::end(k, m.start, m.end);
    invalidate_range_end(k, range);
    m.end = m.start + m.npages;
}

/// Fails the page if it holds references that its mappings and the migration's own refs do not explain.
fn migrate_vma_check_page(k: &Kernel, page: Pfn, fault_page: Option<Pfn>) -> bool {
    let call = k.enter(Func::MigrateVmaCheckPage, page);
    let (refcount, mapcount, device, in_page_cache) = {
        let w = k.w();
        let f = w.folio(page);
        (
            f.refcount,
            folio_mapcount(k, page),
            f.is_device(),
            f.mapping.is_some(),
        )
    };
    let mut extra = 1 + (fault_page == Some(page)) as i32;
    if device {
        extra += 1;
    }
    if in_page_cache {
        extra += 1; // folio_mapping: the page-cache reference
    }
    let ok = refcount - extra <= mapcount;
    call.ret(ok as i32);
    ok
}

/// `folio_mapcount`: every PTE mapping of the folio's pages plus its PMD mappings.
fn folio_mapcount(k: &Kernel, head: Pfn) -> i32 {
    let w = k.w();
    let f = w.folio(head);
    let ptes: i32 = (head..head + f.nr_pages())
        .map(|p| w.folio(p).mapcount)
        .sum();
    ptes + f.entire_mapcount
}

fn folio_putback_lru(k: &Kernel, page: Pfn) {
    let _call = k.enter(Func::FolioPutbackLru, page);
    k.set_flag(page, FolioFlag::Lru, true);
    k.folio_put(page);
}

/// `migrate_vma_unmap` → `migrate_device_unmap(src, npages, fault_page)`.
pub async fn migrate_vma_unmap(k: &Kernel, m: &mut MigrateVma) {
    let _call = k.enter(Func::MigrateDeviceUnmap, pack_page(m.mm, m.start));
    {
        let _d = k.enter(Func::LruAddDrain, 0);
    }
    let (mut unmapped, mut restore) = (0u32, 0u32);
    let mut next = 0usize;
    while next < m.npages as usize {
        let i = next;
        next += 1;
        let Some(page) = mpfn_page(m.src[i]) else {
            if m.src[i] & MIGRATE_PFN_MIGRATE != 0 {
                unmapped += 1;
            }
            continue;
        };
        // A compound entry stands for its whole folio: the tail entries are not visited.
        let nr = k.w().folio(page).nr_pages();
        if nr > 1 {
            m.set_src(k, i, m.src[i] | MIGRATE_PFN_COMPOUND);
            next = i + nr as usize;
        }
        let device = k.w().folio(page).is_device();
        if !device {
            // folio_isolate_lru: takes a reference and clears LRU; then drop collect's reference.
            let on_lru = k.w().folio(page).lru;
            let _iso = k.enter(Func::FolioIsolateLru, page);
            if !on_lru {
                _iso.ret(0);
                drop(_iso);
                m.set_src(k, i, m.src[i] & !MIGRATE_PFN_MIGRATE);
                restore += 1;
                continue;
            }
            k.folio_get(page);
            k.set_flag(page, FolioFlag::Lru, false);
            drop(_iso);
            k.folio_put(page);
        }
        if folio_mapcount(k, page) > 0 {
            try_to_migrate(k, page).await;
        }
        if folio_mapcount(k, page) > 0 || !migrate_vma_check_page(k, page, m.fault_page) {
            if !device {
                k.folio_get(page);
                folio_putback_lru(k, page);
            }
            m.set_src(k, i, m.src[i] & !MIGRATE_PFN_MIGRATE);
            restore += 1;
            continue;
        }
        unmapped += 1;
    }
    for i in 0..m.npages as usize {
        if restore == 0 {
            break;
        }
        let Some(page) = mpfn_page(m.src[i]) else {
            continue;
        };
        if m.src[i] & MIGRATE_PFN_MIGRATE != 0 {
            continue;
        }
        remove_migration_ptes(k, page, page).await;
        m.set_src(k, i, 0);
        if !m.prelocked(k, page) {
            k.folio_unlock(page);
        }
        k.folio_put(page);
        restore -= 1;
    }
    m.cpages = unmapped;
}

/// `migrate_vma_setup(args)`.
pub async fn migrate_vma_setup(k: &Kernel, m: &mut MigrateVma) -> i32 {
    let call = k.enter(Func::MigrateVmaSetup, pack_page(m.mm, m.start));
    let logical = k.logical_walk_begin(m.start, m.end);
    let ret = migrate_vma_setup_body(k, m).await;
    k.logical_walk_end(logical, m.start, m.end);
    call.ret(ret);
    if ret != 0 {
        k.error(ret);
    }
    ret
}

async fn migrate_vma_setup_body(k: &Kernel, m: &mut MigrateVma) -> i32 {
    let vma = k.w().mms[m.mm as usize].vma(m.start).cloned();
    let Some(vma) = vma else { return EINVAL };
    // VM_SPECIAL includes VM_MIXEDMAP.
    if vma.special
        || vma.mixedmap
        || m.start >= m.end
        || m.end > vma.end
        || m.src.len() < (m.end - m.start) as usize
    {
        return EINVAL;
    }
    if let Some(fp) = m.fault_page {
        let w = k.w();
        let f = w.folio(fp);
        // 1afaeb8293c9: the fault page arrives locked by do_swap_page.
        if !f.is_device() || (k.version >= KernelVersion::V6_15 && f.locked.is_none()) {
            return EINVAL;
        }
    }
    m.cpages = 0;
    m.npages = 0;
    if m.flags & MIGRATE_VMA_FAULT != 0 {
        return migrate_vma_setup_by_walk(k, m).await;
    }
    migrate_vma_collect(k, m).await;
    k.milestone(Milestone::Collected);
    if m.cpages > 0 {
        migrate_vma_unmap(k, m).await;
    }
    k.milestone(Milestone::Unmapped);
    0
}

/// The RFC's `migrate_vma_setup` with `MIGRATE_VMA_FAULT`: the collection is the unified walk, on a
/// range `migrate_vma_setup` builds itself: no interval notifier (so no sequence to validate and no
/// `-EBUSY` for the caller to retry; the walk's own `-EBUSY`s re-walk inside `hmm_range_fault`),
/// `HMM_PFN_REQ_MIGRATE | HMM_PFN_REQ_FAULT` and nothing else (no write request), `dev_private_owner` =
/// `pgmap_owner`. `migrate_hmm_range_setup` runs whatever the walk returned, and the walk's error is
/// returned: a caller that bails out on it must still finalize what was collected. In the kernel the walk
/// writes its HMM pfns into `args->src` and converts them in place; the model keeps the two arrays apart.
/// Without the flag the model's `migrate_vma_setup` keeps mainline's collect (the RFC replaces it by the
/// walk for every caller; its cover letter says the selftests still pass).
async fn migrate_vma_setup_by_walk(k: &Kernel, m: &mut MigrateVma) -> i32 {
    use crate::mm::hmm::{hmm_range_fault, HmmRange, HMM_PFN_REQ_FAULT, HMM_PFN_REQ_MIGRATE};
    let mut range = HmmRange::new(
        k,
        m.mm,
        m.start,
        m.end,
        HMM_PFN_REQ_MIGRATE | HMM_PFN_REQ_FAULT,
        m.pgmap_owner,
    );
    range.migrate_flags = Some(m.flags & !MIGRATE_VMA_FAULT);
    let ret = hmm_range_fault(k, &mut range).await;
    k.milestone(Milestone::Collected);
    migrate_hmm_range_setup(k, m, &range.hmm_pfns).await;
    ret
}

/// Populate a hole (or replace the zero page) directly with the new page.
async fn migrate_vma_insert_page(k: &Kernel, m: &mut MigrateVma, i: usize, page: Pfn) {
    let vpn = m.start + i as u32;
    let _call = k.enter(Func::MigrateVmaInsertPage, pack_page(m.mm, vpn));
    let vma = k.w().mms[m.mm as usize].vma(vpn).cloned();
    let abort = |m: &mut MigrateVma| m.set_src(k, i, m.src[i] & !MIGRATE_PFN_MIGRATE);
    let Some(vma) = vma.filter(|v| v.is_anonymous()) else {
        abort(m);
        return;
    };
    if k.version.device_thp() && m.dst[i] & MIGRATE_PFN_COMPOUND != 0 {
        if migrate_vma_insert_huge_pmd_page(k, m, i, page, &vma).await != 0 {
            abort(m);
        }
        return;
    }
    match k.pmd_read(m.mm, vpn) {
        None => {}
        // The huge zero page (6.19 collects it as a hole): split it, then replace its zero PTE.
        Some(Pte::Zero) => crate::mm::huge_memory::split_huge_pmd(k, m.mm, vpn).await,
        // A THP was mapped here since collect saw the hole (a racing fault): `pmd_trans_huge` → abort.
        Some(_) => {
            abort(m);
            return;
        }
    }
    // A device-private page gets a device-private entry; a device-coherent one, like system memory, an
    // ordinary PTE (mk_pte, writable and dirty in a VM_WRITE vma).
    let device = k.w().folio(page).is_device_private();
    let entry = mapping_of_new_page(page, device, vma.write);
    let ptl = k.pte_lock(m.mm, vpn).await;
    let flush = match k.pte_read(m.mm, vpn, false) {
        Pte::None => false,
        Pte::Zero => true,
        _ => {
            // Someone populated it first: "only one of the new pages will be inserted".
            k.unlock(ptl);
            abort(m);
            return;
        }
    };
    add_new_anon_rmap(k, m.mm, vpn, page);
    k.folio_get(page);
    if flush {
        k.tlb_flush(vpn, vpn + 1); // ptep_clear_flush of the zero-page PTE
    }
    k.pte_write(m.mm, vpn, entry);
    k.unlock(ptl);
    m.set_src(k, i, MIGRATE_PFN_MIGRATE);
}

/// 6.19's `migrate_vma_insert_huge_pmd_page`: a 2 MiB destination folio for a compound hole (or the huge
/// zero page) is mapped by one PMD entry, as `__do_huge_pmd_anonymous_page` would: a device-private PMD
/// entry for device-private memory, a THP otherwise. Under `pmd_lock` the PMD must still be none (a PTE
/// table or a leaf that raced in aborts the whole 2 MiB: all 512 src entries lose MIGRATE) or the huge zero
/// page (flushed and replaced, `pmdp_invalidate`). `folio_add_new_anon_rmap` of the PMD (its entire
/// mapcount becomes 1) and a reference for the mapping. `-EINVAL` if the vma cannot hold a PMD-aligned 2 MiB here
/// (`thp_vma_suitable_order`): the caller aborts the one entry.
async fn migrate_vma_insert_huge_pmd_page(
    k: &Kernel,
    m: &mut MigrateVma,
    i: usize,
    page: Pfn,
    vma: &crate::world::Vma,
) -> i32 {
    use crate::mm::huge_memory::{folio_add_new_anon_rmap_pmd, HPAGE_PMD_NR};
    let h = m.start + i as u32;
    let _call = k.enter(Func::MigrateVmaInsertHugePmdPage, pack_page(m.mm, h));
    if !h.is_multiple_of(HPAGE_PMD_NR) || h < vma.start || h + HPAGE_PMD_NR > vma.end {
        return EINVAL;
    }
    let entry = mapping_of_new_page(page, k.w().folio(page).is_device_private(), vma.write);
    let ptl = k.pmd_lock(m.mm, h).await;
    let table = k.w().mms[m.mm as usize].pmds[(h / PTRS_PER_PTE) as usize].is_some();
    // None: a PTE table or a leaf raced in since collect saw the hole.
    let flush = match k.pmd_read(m.mm, h) {
        Some(Pte::Zero) => Some(true),
        None if !table => Some(false),
        _ => None,
    };
    if let Some(flush) = flush {
        folio_add_new_anon_rmap_pmd(k, m.mm, h, page);
        k.folio_get(page);
        if flush {
            k.tlb_flush(h, h + HPAGE_PMD_NR); // pmdp_invalidate of the huge zero PMD
            k.pmd_write(m.mm, h, None);
        }
        k.pmd_write(m.mm, h, Some(entry));
    }
    k.unlock(ptl);
    if flush.is_none() {
        let n = (HPAGE_PMD_NR as usize).min(m.npages as usize - i);
        for j in i..i + n {
            m.set_src(k, j, m.src[j] & !MIGRATE_PFN_MIGRATE);
        }
    }
    0
}

/// 6.19's `migrate_vma_split_unmapped_folio`: the driver gave 4 KiB destinations for a compound source.
/// With a reference of its own (the frozen split drops one), the PMD migration entry becomes 512 PTE
/// migration entries (`split_huge_pmd_address(freeze = true)`), the folio 512 folios
/// (`folio_split_unmapped`), and the src entry 512 entries with the same flags and consecutive pfns.
async fn migrate_vma_split_unmapped_folio(k: &Kernel, m: &mut MigrateVma, i: usize, head: Pfn) {
    use crate::mm::huge_memory::{folio_split_unmapped, split_huge_pmd, HPAGE_PMD_NR};
    let h = m.start + i as u32;
    let _call = k.enter(Func::MigrateVmaSplitUnmappedFolio, pack_page(m.mm, h));
    k.folio_get(head);
    split_huge_pmd(k, m.mm, h).await;
    k.folio_put(head); // freeze: the split drops a reference
    folio_split_unmapped(k, head);
    let flags = m.src[i] & ((1 << MIGRATE_PFN_SHIFT) - 1) & !MIGRATE_PFN_COMPOUND;
    m.set_src(k, i, m.src[i] & !MIGRATE_PFN_COMPOUND);
    let n = (HPAGE_PMD_NR as usize).min(m.npages as usize - i);
    for j in 1..n {
        m.set_src(k, i + j, migrate_pfn(head + j as u32) | flags);
    }
}

/// `migrate_vma_pages(args)` → `__migrate_device_pages`.
pub async fn migrate_vma_pages(k: &Kernel, m: &mut MigrateVma) {
    let _call = k.enter(Func::MigrateVmaPages, pack_page(m.mm, m.start));
    let mut notified: Option<NotifierRange> = None;
    let compound_kernel = k.version.device_thp();
    let mut next = 0usize;
    while next < m.npages as usize {
        let i = next;
        next += 1;
        let vpn = m.start + i as u32;
        let Some(newpage) = mpfn_page(m.dst[i]) else {
            m.set_src(k, i, m.src[i] & !MIGRATE_PFN_MIGRATE);
            continue;
        };
        let Some(page) = mpfn_page(m.src[i]) else {
            if m.src[i] & MIGRATE_PFN_MIGRATE == 0 {
                continue;
            }
            if notified.is_none() {
                let r = NotifierRange {
                    mm: m.mm,
                    start: vpn,
                    end: m.end,
                    event: NotifyEvent::Migrate,
                    owner: m.pgmap_owner,
                };
                invalidate_range_start(k, r).await;
                notified = Some(r);
            }
            // A compound hole the driver filled with 4 KiB pages is inserted page by page.
            let nr = if compound_kernel
                && m.src[i] & MIGRATE_PFN_COMPOUND != 0
                && m.dst[i] & MIGRATE_PFN_COMPOUND == 0
            {
                m.set_src(k, i, m.src[i] & !MIGRATE_PFN_COMPOUND);
                (PTRS_PER_PTE as usize).min(m.npages as usize - i)
            } else {
                1
            };
            for j in i..i + nr {
                m.set_src(k, j, m.src[j] | MIGRATE_PFN_MIGRATE);
                match mpfn_page(m.dst[j]) {
                    Some(d) => migrate_vma_insert_page(k, m, j, d).await,
                    None => m.set_src(k, j, m.src[j] & !MIGRATE_PFN_MIGRATE),
                }
            }
            next = i + nr;
            continue;
        };
        let mut nr = 1usize;
        if compound_kernel && m.src[i] & MIGRATE_PFN_MIGRATE != 0 {
            let (src_compound, dst_compound) = (
                m.src[i] & MIGRATE_PFN_COMPOUND != 0,
                m.dst[i] & MIGRATE_PFN_COMPOUND != 0,
            );
            if src_compound && !dst_compound {
                nr = (k.w().folio(page).nr_pages() as usize).min(m.npages as usize - i);
                next = i + nr;
                migrate_vma_split_unmapped_folio(k, m, i, page).await;
            } else if dst_compound && !src_compound {
                // A 2 MiB destination for a 4 KiB source: not supported.
                m.set_src(k, i, m.src[i] & !MIGRATE_PFN_MIGRATE);
                continue;
            }
        }
        let (dst_device, src_file) = (
            k.w().folio(newpage).is_device(),
            k.w().folio(page).mapping.is_some(),
        );
        // "only support anonymous memory migrating to device private memory": a page-cache folio (shmem
        // or file) keeps its page; finalize restores its migration entries through rmap_walk_file. The
        // file-backed RFC lifts the rule, within what its driver can bring back (`file_folio_may_leave`).
        if dst_device && src_file && !file_folio_may_leave(k, page, newpage, m.src[i]) {
            m.set_src(k, i, m.src[i] & !MIGRATE_PFN_MIGRATE);
            continue;
        }
        for j in i..i + nr {
            let (Some(src), Some(dst)) = (mpfn_page(m.src[j]), mpfn_page(m.dst[j])) else {
                m.set_src(k, j, m.src[j] & !MIGRATE_PFN_MIGRATE);
                continue;
            };
            let extra = (m.fault_page == Some(src)) as i32;
            if folio_migrate_mapping(k, dst, src, extra) != 0 {
                m.set_src(k, j, m.src[j] & !MIGRATE_PFN_MIGRATE);
            } else if m.src[j] & MIGRATE_PFN_WRITE != 0
                && k.w().folio(dst).mapping.is_some()
                && k.w().folio(dst).is_device_private()
                && !k.w().folio(dst).dirty
            {
                // The file-backed RFC ([I]): the device may write a page-cache page it holds writable
                // without the kernel seeing it, so the folio stays dirty while it is there and
                // writeback finds it (and migrates it back to write it).
                k.set_flag(dst, FolioFlag::Dirty, true);
            }
        }
    }
    if let Some(r) = notified {
        invalidate_range_end(k, r);
    }
    k.milestone(Milestone::PagesMigrated);
}

/// The file-backed RFC (seed 002, patches 2-4; [I]: modelled from the cover letter, the patch text was
/// not found): may page-cache folio `page` move to device page `newpage`? Only on the RFC kernel. Before
/// patch 4 a folio that leaves is brought back by reloading it from the backing store, so only a clean
/// folio of a regular file, mapped read-only (`src` has no `MIGRATE_PFN_WRITE`), may leave: "read-only
/// migration". With a driver that registers patch 4's copy-back callback
/// (`DevPagemapOps::copy_to_pagecache`) any page-cache folio may, dirty data and shmem included.
fn file_folio_may_leave(k: &Kernel, page: Pfn, newpage: Pfn, src: u32) -> bool {
    if !k.version.file_backed_device_private() {
        return false;
    }
    let dev = match k.w().folio(newpage).zone {
        Zone::DevicePrivate(dev) => dev,
        _ => return false, // device-coherent memory is not part of the RFC
    };
    if k.pgmap_ops(dev)
        .is_some_and(|ops| ops.copy_to_pagecache.is_some())
    {
        return true;
    }
    let w = k.w();
    let f = w.folio(page);
    let regular_file = f
        .mapping
        .is_some_and(|m| w.mappings[m as usize].kind == MappingKind::File);
    regular_file && !f.dirty && src & MIGRATE_PFN_WRITE == 0
}

/// `migrate_vma_finalize(args)` → `__migrate_device_finalize`.
pub async fn migrate_vma_finalize(k: &Kernel, m: &mut MigrateVma) {
    let _call = k.enter(Func::MigrateVmaFinalize, pack_page(m.mm, m.start));
    for i in 0..m.npages as usize {
        let newpage = mpfn_page(m.dst[i]);
        let Some(src) = mpfn_page(m.src[i]) else {
            if let Some(dst) = newpage {
                k.folio_unlock(dst);
                k.folio_put(dst);
            }
            continue;
        };
        let mut dst = src;
        match newpage {
            Some(d) if m.src[i] & MIGRATE_PFN_MIGRATE != 0 => dst = d,
            Some(d) => {
                k.folio_unlock(d);
                k.folio_put(d);
            }
            None => {}
        }
        if !k.w().folio(dst).is_device() {
            k.set_flag(dst, FolioFlag::Lru, true); // folio_add_lru
        }
        remove_migration_ptes(k, src, dst).await;
        if !m.prelocked(k, src) {
            k.folio_unlock(src);
        }
        if k.w().folio(src).is_device() {
            k.folio_put(src);
        } else {
            // folio_putback_lru: the isolation reference
            k.set_flag(src, FolioFlag::Lru, dst == src);
            k.folio_put(src);
        }
        if dst != src {
            k.folio_unlock(dst);
            k.folio_put(dst);
        }
    }
    k.milestone(Milestone::Finalized);
}

/// The RFC's `migrate_hmm_range_setup(range)`: HMM pfns marked MIGRATE become `src[]`, then unmap.
pub async fn migrate_hmm_range_setup(k: &Kernel, m: &mut MigrateVma, hmm_pfns: &[u64]) {
    use crate::mm::hmm_pfn::{HMM_PFN_MIGRATE, HMM_PFN_VALID, HMM_PFN_WRITE};
    let _call = k.enter(Func::MigrateHmmRangeSetup, pack_page(m.mm, m.start));
    m.npages = (m.end - m.start).min(hmm_pfns.len() as u32);
    m.cpages = 0;
    for (i, &p) in hmm_pfns.iter().enumerate().take(m.npages as usize) {
        if p & HMM_PFN_VALID == 0 || p & HMM_PFN_MIGRATE == 0 {
            m.set_src(k, i, 0);
            m.set_dst(k, i, 0);
            continue;
        }
        m.cpages += 1;
        let pfn = crate::mm::hmm_pfn::hmm_pfn_to_pfn(p);
        let v = if pfn == ZERO_PFN {
            MIGRATE_PFN_MIGRATE
        } else {
            migrate_pfn(pfn)
                | MIGRATE_PFN_MIGRATE
                | if p & HMM_PFN_WRITE != 0 {
                    MIGRATE_PFN_WRITE
                } else {
                    0
                }
        };
        m.set_src(k, i, v);
    }
    if m.cpages > 0 {
        migrate_vma_unmap(k, m).await;
    }
    k.milestone(Milestone::Unmapped);
}

/// `migrate_device_range(src_pfns, start, npages)`: collect device pfns directly (eviction, no VMA):
/// `folio_get_nontail_page` + trylock, then `migrate_device_unmap`.
pub async fn migrate_device_range(k: &Kernel, m: &mut MigrateVma, pfns: &[Pfn]) {
    let _call = k.enter(Func::MigrateDeviceRange, pfns.first().copied().unwrap_or(0));
    m.npages = pfns.len() as u32;
    m.cpages = 0;
    for (i, &pfn) in pfns.iter().enumerate() {
        if k.w().folio(pfn).refcount == 0 {
            continue; // free device page: nothing to evict
        }
        k.folio_get(pfn);
        if !k.folio_trylock(pfn) {
            k.folio_put(pfn);
            continue;
        }
        // No WRITE bit: the mapping's write state travels in the migration entry try_to_migrate installs.
        m.set_src(k, i, migrate_pfn(pfn) | MIGRATE_PFN_MIGRATE);
        m.cpages += 1;
    }
    migrate_vma_unmap(k, m).await;
}

/// Did the migration of entry `i` succeed? (lib/test_hmm.c counts these as migrated pages.)
pub fn migrated(m: &MigrateVma, i: usize) -> bool {
    m.src[i] & MIGRATE_PFN_VALID != 0 && m.src[i] & MIGRATE_PFN_MIGRATE != 0
}

/// The entry that maps a migrated-in destination page (insert_page and its PMD twin): a device-private
/// entry for device-private memory, else an ordinary PTE (mk_pte, writable and dirty in a VM_WRITE vma).
fn mapping_of_new_page(page: Pfn, device_private: bool, write: bool) -> Pte {
    if device_private {
        Pte::DevicePrivate { pfn: page, write }
    } else {
        Pte::mk(page, write)
    }
}
