//! Memory primitives: PTEs, folio references, mappings and flags, allocation and freeing, page contents,
//! swap slots, device page tables and notifier sequences.

use super::Kernel;
use crate::pte::{Pfn, Pte, ZERO_PFN};
use crate::trace::WaitOn;
use crate::trace::*;
use crate::world::*;

impl Kernel {
    // ----- page tables -------------------------------------------------------------------------------

    /// Read a PTE (`ptep_get`); `visit` marks a walker's visit for the `pte_visits` counter.
    pub fn pte_read(&self, mm: MmId, vpn: u32, visit: bool) -> Pte {
        let pte = self.w().mms[mm as usize].pte(vpn);
        self.record(Ev::PteRead {
            page: Page { mm, vpn },
            pte,
            visit,
        });
        pte
    }

    /// `set_pte_at` / `ptep_get_and_clear`: must run under the table's PTL.
    pub fn pte_write(&self, mm: MmId, vpn: u32, new: Pte) {
        let ptl = Kernel::ptl_of(mm, vpn);
        if !self.holds(ptl) {
            self.violation(format!(
                "T{} wrote PTE {vpn:#x} of mm{mm} without its PTL",
                self.tid()
            ));
        }
        self.pte_set_raw(mm, vpn, new);
    }

    /// Read the PMD leaf covering `vpn` (`pmdp_get_lockless`, or `*pmd` under `pmd_lock`); None when that
    /// PMD holds a PTE table or nothing.
    pub fn pmd_read(&self, mm: MmId, vpn: u32) -> Option<Pte> {
        self.w().mms[mm as usize].pmd_leaf(vpn)
    }

    /// `set_pmd_at` / `pmdp_huge_get_and_clear`: set (Some) or clear (None) the PMD leaf covering `vpn`,
    /// under `pmd_lock`. A leaf never replaces a PTE table: [`Kernel::pmd_populate`] turns one into the other.
    pub fn pmd_write(&self, mm: MmId, vpn: u32, new: Option<Pte>) {
        let pmd = vpn / PTRS_PER_PTE;
        if !self.holds(Kernel::ptl_of(mm, vpn)) {
            self.violation(format!(
                "T{} wrote the PMD of page {vpn:#x} of mm{mm} without pmd_lock",
                self.tid()
            ));
        }
        let old = {
            let mut w = self.wm();
            let m = &mut w.mms[mm as usize];
            if m.pmds[pmd as usize].is_some() {
                drop(w);
                self.violation(format!(
                    "T{} set a PMD leaf over the PTE table of page {vpn:#x} of mm{mm}",
                    self.tid()
                ));
                return;
            }
            let slot = m.huge.entry(pmd).or_insert(HugePmd {
                entry: Pte::None,
                ptl: None,
            });
            let old = std::mem::replace(&mut slot.entry, new.unwrap_or(Pte::None));
            if slot.entry == Pte::None && slot.ptl.is_none() {
                m.huge.remove(&pmd);
            }
            old
        };
        self.record(Ev::PmdWrite {
            page: Page {
                mm,
                vpn: pmd * PTRS_PER_PTE,
            },
            old,
            new: new.unwrap_or(Pte::None),
        });
    }

    /// `pmd_populate` in `__split_huge_pmd_locked`: the leaf covering `vpn` becomes a PTE table holding
    /// `ptes` (512 entries), under `pmd_lock`, which stays held (now as the table's lock). Each PTE's
    /// write is recorded, so a viewer sees the 512 entries appear.
    pub fn pmd_populate(&self, mm: MmId, vpn: u32, ptes: &[Pte]) {
        let pmd = vpn / PTRS_PER_PTE;
        let l = Kernel::ptl_of(mm, vpn);
        self.pmd_write(mm, vpn, None);
        // The leaf is gone; its lock lives on in the table (the model's one lock per 2 MiB entry).
        {
            let mut w = self.wm();
            let m = &mut w.mms[mm as usize];
            let holder = m.huge.remove(&pmd).and_then(|h| h.ptl);
            m.pmds[pmd as usize] = Some(Box::new(PteTable {
                ptes: vec![Pte::None; PTRS_PER_PTE as usize],
                ptl: holder,
            }));
        }
        if !self.holds(l) {
            self.violation(format!(
                "T{} split the PMD of page {vpn:#x} of mm{mm} without pmd_lock",
                self.tid()
            ));
        }
        let base = pmd * PTRS_PER_PTE;
        for (i, &pte) in ptes.iter().enumerate() {
            if pte != Pte::None {
                self.pte_write(mm, base + i as u32, pte);
            }
        }
    }

    fn pte_set_raw(&self, mm: MmId, vpn: u32, new: Pte) {
        self.pte_alloc(mm, vpn);
        let old = {
            let mut w = self.wm();
            // No table: a PMD leaf is there (pte_alloc recorded the violation); the write is dropped.
            let Some(t) = w.mms[mm as usize].pmds[(vpn / PTRS_PER_PTE) as usize].as_mut() else {
                return;
            };
            std::mem::replace(&mut t.ptes[(vpn % PTRS_PER_PTE) as usize], new)
        };
        self.record(Ev::PteWrite {
            page: Page { mm, vpn },
            old,
            new,
        });
    }

    pub fn tlb_flush(&self, start: u32, end: u32) {
        self.record(Ev::TlbFlush { start, end });
    }

    // ----- folios ------------------------------------------------------------------------------------

    /// `folio_get(page_folio(page))`: a reference on a page is a reference on its folio's head.
    pub fn folio_get(&self, pfn: Pfn) {
        if pfn == ZERO_PFN {
            return;
        }
        let pfn = self.w().folio_head(pfn);
        let (old, new) = {
            let mut w = self.wm();
            let f = &mut w.frames[pfn as usize];
            f.refcount += 1;
            (f.refcount - 1, f.refcount)
        };
        self.record(Ev::Ref { pfn, old, new });
    }

    /// `folio_ref_add`: `delta` references at once (a `FOLL_PIN` adds `GUP_PIN_COUNTING_BIAS`). Never the
    /// last reference: dropping that is `folio_put`'s job.
    pub fn folio_ref_add(&self, pfn: Pfn, delta: i32) {
        if pfn == ZERO_PFN {
            return;
        }
        let pfn = self.w().folio_head(pfn);
        let (old, new) = {
            let mut w = self.wm();
            let f = &mut w.frames[pfn as usize];
            f.refcount += delta;
            (f.refcount - delta, f.refcount)
        };
        self.record(Ev::Ref { pfn, old, new });
        if new <= 0 {
            self.violation(format!("folio_ref_add dropped pfn {pfn:#x} to {new}"));
        }
    }

    /// `folio_put`: the last reference frees the frame (device pages go back through `page_free`).
    pub fn folio_put(&self, pfn: Pfn) {
        if pfn == ZERO_PFN {
            return;
        }
        let pfn = self.w().folio_head(pfn);
        let (old, new, zone) = {
            let mut w = self.wm();
            let f = &mut w.frames[pfn as usize];
            f.refcount -= 1;
            (f.refcount + 1, f.refcount, f.zone)
        };
        self.record(Ev::Ref { pfn, old, new });
        if new < 0 {
            self.violation(format!("refcount of pfn {pfn:#x} went negative"));
        }
        if new == 0 {
            match zone {
                Zone::DevicePrivate(dev) | Zone::DeviceCoherent(dev) => match self.pgmap_ops(dev) {
                    Some(ops) => (ops.page_free)(self, pfn),
                    None => {
                        self.violation(format!(
                            "device {dev} has no dev_pagemap_ops to free pfn {pfn:#x}"
                        ));
                        self.free_frame(pfn, zone)
                    }
                },
                _ => self.free_frame(pfn, zone),
            }
        }
    }

    /// Free a folio: every page of a large one (the model's allocator keeps single frames).
    fn free_frame(&self, pfn: Pfn, zone: Zone) {
        let n = self.w().frames[pfn as usize].nr_pages();
        for p in pfn..pfn + n {
            self.reset_frame(p);
            self.record(Ev::Free { pfn: p, zone });
            if zone == Zone::System {
                self.wm().free_system.push(p);
            }
        }
    }

    /// The frame goes back to its allocator. A folio freed while still locked is a bug the kernel reports
    /// (`free_page_is_bad`: `PG_locked` is among the flags checked at free).
    pub(crate) fn reset_frame(&self, pfn: Pfn) {
        let locked = self.w().frames[pfn as usize].locked;
        if let Some(t) = locked {
            self.violation(format!(
                "pfn {pfn:#x} freed while PG_locked by T{t} (bad page)"
            ));
        }
        let mut w = self.wm();
        let f = &mut w.frames[pfn as usize];
        *f = Folio {
            content: f.content,
            ..Folio::free(f.zone)
        };
    }

    /// `_entire_mapcount` of the folio headed by `head`: one per PMD mapping.
    pub fn entire_mapcount_add(&self, head: Pfn, delta: i32) {
        let (old, new) = {
            let mut w = self.wm();
            let f = &mut w.frames[head as usize];
            f.entire_mapcount += delta;
            (f.entire_mapcount - delta, f.entire_mapcount)
        };
        self.record(Ev::EntireMap {
            pfn: head,
            old,
            new,
        });
    }

    pub fn mapcount_add(&self, pfn: Pfn, delta: i32) {
        if pfn == ZERO_PFN {
            return;
        }
        let (old, new) = {
            let mut w = self.wm();
            let f = &mut w.frames[pfn as usize];
            f.mapcount += delta;
            (f.mapcount - delta, f.mapcount)
        };
        self.record(Ev::Map { pfn, old, new });
    }

    pub fn set_flag(&self, pfn: Pfn, flag: FolioFlag, value: bool) {
        {
            let mut w = self.wm();
            let f = &mut w.frames[pfn as usize];
            match flag {
                FolioFlag::AnonExclusive => f.anon_exclusive = value,
                FolioFlag::Lru => f.lru = value,
                FolioFlag::Dirty => f.dirty = value,
                FolioFlag::Writeback => f.writeback = value,
            }
        }
        self.record(Ev::Flag { pfn, flag, value });
    }

    pub fn folio_trylock(&self, pfn: Pfn) -> bool {
        self.trylock(LockId::Folio(pfn))
    }
    #[track_caller]
    pub fn folio_unlock(&self, pfn: Pfn) {
        self.unlock(LockId::Folio(pfn))
    }
    /// `folio_wait_locked`: sleep until `PG_locked` clears (takes no reference and not the lock).
    pub async fn folio_wait_unlocked(&self, pfn: Pfn) {
        while self.w().frames[pfn as usize].locked.is_some() {
            self.sleep_on(WaitOn::FolioUnlock(pfn)).await;
        }
    }

    /// Allocate a system frame with refcount 1 (`alloc_page_vma`), holding `content`.
    pub fn alloc_system(&self, content: u32) -> Pfn {
        let pfn = {
            let mut w = self.wm();
            let pfn = w.system_pop();
            w.frames[pfn as usize].content = content;
            pfn
        };
        self.record(Ev::Alloc {
            pfn,
            zone: Zone::System,
        });
        self.record(Ev::Ref {
            pfn,
            old: 0,
            new: 1,
        });
        self.record(Ev::Content {
            pfn,
            old: 0,
            new: content,
        });
        pfn
    }

    /// Allocate a 2 MiB folio of `zone` (512 contiguous frames, one order-9 folio whose head holds
    /// refcount 1), zeroed (`vma_alloc_anon_folio_pmd` / a driver's large device folio).
    pub fn alloc_thp(&self, zone: Zone) -> Pfn {
        let head = {
            let mut w = self.wm();
            let head = w.contiguous_frames(zone, PTRS_PER_PTE);
            w.prep_compound(head, 9);
            w.frames[head as usize].refcount = 1;
            head
        };
        self.record(Ev::Alloc { pfn: head, zone });
        self.record(Ev::Ref {
            pfn: head,
            old: 0,
            new: 1,
        });
        head
    }

    /// Overwrite a frame's content (a CPU store, a device write, or a copy's destination).
    pub fn set_content(&self, pfn: Pfn, content: u32) {
        let old = std::mem::replace(&mut self.wm().frames[pfn as usize].content, content);
        self.record(Ev::Content {
            pfn,
            old,
            new: content,
        });
    }

    /// A store of `value` into the page at `pfn` (by a CPU or a device): the frame's content changes, and
    /// so does what every virtual page mapping that frame must read back (shared memory has several), and
    /// for a page-cache folio what `read(2)` of its file page returns.
    pub fn store(&self, pfn: Pfn, value: u32) {
        self.set_content(pfn, value);
        let mut w = self.wm();
        let mappers: Vec<(MmId, u32)> = w
            .rmap_candidates(pfn)
            .into_iter()
            .filter(|&(mm, vpn)| w.mms[mm as usize].entry(vpn, w.huge_zero).pfn() == Some(pfn))
            .collect();
        for key in mappers {
            w.expected.insert(key, value);
        }
        let f = &w.frames[pfn as usize];
        if let Some(m) = f.mapping {
            let index = f.index;
            w.expected_file.insert((m, index), value);
        }
    }

    /// Copy page data (`copy_highpage`, or the driver's DMA).
    pub fn copy_page(&self, src: Pfn, dst: Pfn) {
        let content = self.w().frames[src as usize].content;
        self.wm().frames[dst as usize].content = content;
        self.record(Ev::Copy { src, dst, content });
    }

    pub fn swap_set(&self, slot: u32, new: Option<u32>) {
        let old = std::mem::replace(&mut self.wm().swap[slot as usize], new);
        self.record(Ev::Swap { slot, old, new });
    }

    /// Change a device page-table entry of mirror `mirror`.
    pub fn dpt_set(&self, mirror: usize, vpn: u32, new: Option<DptEntry>) {
        let old = {
            let mut w = self.wm();
            let m = &mut w.mirrors[mirror];
            match new {
                Some(e) => m.pt.insert(vpn, e),
                None => m.pt.remove(&vpn),
            }
        };
        if old != new {
            let slot = Slot {
                array: mirror as u8,
                index: vpn,
            };
            self.record(Ev::DevPt { slot, old, new });
        }
    }

    // ----- notifier sequences ------------------------------------------------------------------------

    pub fn set_mm_seq(&self, mm: MmId, new: u64) {
        let old = std::mem::replace(&mut self.wm().mms[mm as usize].invalidate_seq, new);
        self.record(Ev::Seq {
            seq: SeqId::Mm(mm),
            old: old as u32,
            new: new as u32,
        });
        if new.is_multiple_of(2) {
            self.wake(WaitOn::NotifierIdle(mm));
        }
    }

    pub fn set_sub_seq(&self, mirror: usize, new: u64) {
        let (dev, mm, old) = {
            let mut w = self.wm();
            let m = &mut w.mirrors[mirror];
            (m.dev, m.mm, std::mem::replace(&mut m.seq, new))
        };
        self.record(Ev::Seq {
            seq: SeqId::Sub { dev, mm },
            old: old as u32,
            new: new as u32,
        });
    }
}
