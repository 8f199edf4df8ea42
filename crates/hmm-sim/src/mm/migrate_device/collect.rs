//! The per-PTE decision of `migrate_vma_collect_pmd` (mm/migrate_device.c): select the page, lock it, and
//! swap its PTE for a migration entry. Shared by the collect walk and the unified path's
//! `hmm_vma_handle_migrate_prepare`.

use super::*;

/// Everything collect needs to decide about one PTE.
pub(crate) struct CollectCtx {
    pub mm: MmId,
    pub anonymous: bool,
    pub flags: u32,
    pub pgmap_owner: u8,
    pub fault_page: Option<Pfn>,
}

/// `page` is a fault page `do_swap_page` already locked (6.15+, 1afaeb8293c9); up to 6.14 the core trylocks
/// and unlocks the fault page like any other, so a third faulting thread finds it locked and sleeps in
/// `migration_entry_wait` instead of spinning.
pub(crate) fn fault_page_prelocked(k: &Kernel, fault_page: Option<Pfn>, page: Pfn) -> bool {
    k.version >= KernelVersion::V6_15 && fault_page == Some(page)
}

/// What happened to one PTE.
pub(crate) struct Collected {
    /// The `src[i]` value (0: not collected).
    pub mpfn: u32,
    /// It counts towards `cpages`.
    pub counted: bool,
    /// A present PTE was replaced (the chunk needs a TLB flush).
    pub unmapped_present: bool,
}

impl Collected {
    /// Not collected.
    const SKIP: Collected = Collected {
        mpfn: 0,
        counted: false,
        unmapped_present: false,
    };

    /// Collected without a page (a hole of an anonymous VMA, the zero page): `src = MIGRATE` with no pfn,
    /// counted in `cpages`; or, when `collect` is false, skipped.
    fn empty_or_skip(collect: bool) -> Collected {
        Collected {
            mpfn: if collect { MIGRATE_PFN_MIGRATE } else { 0 },
            counted: collect,
            unmapped_present: false,
        }
    }
}

/// The body of `migrate_vma_collect_pmd`'s PTE loop (also used, per PTE, by the unified path's
/// `hmm_vma_handle_migrate_prepare`). The caller holds the PTL.
pub(crate) fn collect_pte(k: &Kernel, ctx: &CollectCtx, vpn: u32, pte: Pte) -> Collected {
    let skip = Collected::SKIP;
    let (page, mpfn) = match collect_select(k, ctx, pte) {
        Ok(selected) => selected,
        Err(done) => return done,
    };
    let (has_mapping, anon_exclusive, pinned) = {
        let w = k.w();
        let f = w.folio(page);
        (
            f.anon_vma.is_some() || f.mapping.is_some(),
            f.anon_vma.is_some() && f.anon_exclusive,
            f.maybe_dma_pinned(),
        )
    };
    if !has_mapping {
        return skip;
    }
    // The reference "freezes" the PTE; dropped after LRU isolation (system) or at finalize (device).
    k.folio_get(page);
    let is_fault_folio = fault_page_prelocked(k, ctx.fault_page, page);
    if !(is_fault_folio || k.folio_trylock(page)) {
        k.folio_put(page);
        return skip;
    }
    let (mm, present) = (ctx.mm, pte.is_present());
    if anon_exclusive {
        // ptep_clear_flush: flushes only a PTE the TLB can hold (pte_accessible), never a device-private one.
        if present {
            k.tlb_flush(vpn, vpn + 1);
        }
        k.pte_write(mm, vpn, Pte::None);
        // folio_try_share_anon_rmap_pte fails when the page may be pinned: put the PTE back.
        if pinned {
            k.pte_write(mm, vpn, pte);
            if !is_fault_folio {
                k.folio_unlock(page);
            }
            k.folio_put(page);
            return skip;
        }
        k.set_flag(page, FolioFlag::AnonExclusive, false);
    } else {
        k.pte_write(mm, vpn, Pte::None); // ptep_get_and_clear
    }
    let kind = MigrationKind::for_unmap(mpfn & MIGRATE_PFN_WRITE != 0, anon_exclusive);
    k.pte_write(mm, vpn, Pte::Migration { pfn: page, kind });
    k.mapcount_add(page, -1); // folio_remove_rmap_pte
    k.folio_put(page);
    Collected {
        mpfn,
        counted: true,
        unmapped_present: present,
    }
}

/// Which page a PTE offers for collection, with its `src[]` value; or what collect records without
/// touching the page (holes and the zero page are collected as empty, others skipped).
fn collect_select(k: &Kernel, ctx: &CollectCtx, pte: Pte) -> Result<(Pfn, u32), Collected> {
    let skip = Collected::SKIP;
    let selected = match pte {
        Pte::None => {
            return Err(Collected::empty_or_skip(ctx.anonymous));
        }
        Pte::DevicePrivate { pfn, write } => {
            let owner = match k.w().folio(pfn).zone {
                Zone::DevicePrivate(dev) => dev + 1,
                _ => 0,
            };
            if ctx.flags & MIGRATE_VMA_SELECT_DEVICE_PRIVATE == 0 || owner != ctx.pgmap_owner {
                return Err(skip);
            }
            (
                pfn,
                migrate_pfn(pfn) | MIGRATE_PFN_MIGRATE | if write { MIGRATE_PFN_WRITE } else { 0 },
            )
        }
        // Popple's proposal: do_swap_page already swapped the fault page's PTE for a migration entry, under
        // the same locks collect would hold; collect takes it as collected.
        Pte::Migration { pfn, kind }
            if k.version == KernelVersion::PoppleProposal && ctx.fault_page == Some(pfn) =>
        {
            let write = kind == MigrationKind::Write;
            return Err(Collected {
                mpfn: migrate_pfn(pfn)
                    | MIGRATE_PFN_MIGRATE
                    | if write { MIGRATE_PFN_WRITE } else { 0 },
                counted: true,
                unmapped_present: false,
            });
        }
        // "we ignore regular swapped page", and migration / exclusive entries are not migratable.
        Pte::Swap { .. } | Pte::Migration { .. } | Pte::DeviceExclusive { .. } => return Err(skip),
        Pte::Zero => {
            let select_system = ctx.flags & MIGRATE_VMA_SELECT_SYSTEM != 0;
            return Err(Collected::empty_or_skip(select_system));
        }
        Pte::Present { pfn, write, .. } => {
            // vm_normal_page: a system page needs SELECT_SYSTEM; a device-coherent one
            // SELECT_DEVICE_COHERENT and the caller's own pgmap_owner.
            match k.w().folio(pfn).zone {
                Zone::DeviceCoherent(dev)
                    if ctx.flags & MIGRATE_VMA_SELECT_DEVICE_COHERENT == 0
                        || dev + 1 != ctx.pgmap_owner =>
                {
                    return Err(skip)
                }
                Zone::DeviceCoherent(_) => {}
                _ if ctx.flags & MIGRATE_VMA_SELECT_SYSTEM == 0 => return Err(skip),
                _ => {}
            }
            // A page of a PTE-mapped large folio (a THP whose PMD a partial munmap split): skipped, as
            // 6.14's `PageTransCompound` check does (6.16+ would split the folio here; not modelled).
            let f = k.w().folio(pfn).clone();
            if f.order > 0 || f.tail_of.is_some() {
                return Err(skip);
            }
            (
                pfn,
                migrate_pfn(pfn) | MIGRATE_PFN_MIGRATE | if write { MIGRATE_PFN_WRITE } else { 0 },
            )
        }
    };
    Ok(selected)
}
