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

    fn pte_set_raw(&self, mm: MmId, vpn: u32, new: Pte) {
        self.pte_alloc(mm, vpn);
        let old = {
            let mut w = self.wm();
            let t = w.mms[mm as usize].pmds[(vpn / PTRS_PER_PTE) as usize]
                .as_mut()
                .expect("allocated above");
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

    pub fn folio_get(&self, pfn: Pfn) {
        if pfn == ZERO_PFN {
            return;
        }
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

    fn free_frame(&self, pfn: Pfn, zone: Zone) {
        self.reset_frame(pfn);
        self.record(Ev::Free { pfn, zone });
        if zone == Zone::System {
            self.wm().free_system.push(pfn);
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
            .filter(|&(mm, vpn)| w.mms[mm as usize].pte(vpn).pfn() == Some(pfn))
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
