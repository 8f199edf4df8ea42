//! Lock primitives: exclusive locks (PTL, `PG_locked`, driver mutexes), rwsems (`mmap_lock`, anon_vma), and
//! the PTE-table helpers that take a PTL. Every acquire, contention and release is an event.

use super::Kernel;
use crate::pte::Pte;
use crate::trace::WaitOn;
use crate::trace::*;
use crate::world::*;

impl Kernel {
    fn lock_holder(&self, l: LockId) -> Result<(), Tid> {
        let w = self.w();
        let busy = |h: Option<Tid>| h.map_or(Ok(()), Err);
        match l {
            LockId::MmapLock(mm) => busy(w.mms[mm as usize].mmap_lock.writer),
            LockId::Ptl { mm, pmd } => {
                let m = &w.mms[mm as usize];
                busy(match m.pmds[pmd as usize].as_ref() {
                    Some(t) => t.ptl,
                    None => m.huge.get(&pmd).and_then(|h| h.ptl),
                })
            }
            LockId::Folio(pfn) => busy(w.frames[pfn as usize].locked),
            LockId::Driver(i) => busy(w.mirrors[i as usize].mutex),
            LockId::AnonVma(id) => busy(w.anon_vmas[id as usize].lock.writer),
            LockId::DevmemMigrate(dev) => busy(w.devices[dev as usize].migrate_lock),
            LockId::IMmap(id) => busy(w.mappings[id as usize].i_mmap_rwsem.writer),
        }
    }

    fn set_holder(&self, l: LockId, holder: Option<Tid>) {
        let mut w = self.wm();
        match l {
            LockId::MmapLock(mm) => w.mms[mm as usize].mmap_lock.writer = holder,
            LockId::Ptl { mm, pmd } => {
                let m = &mut w.mms[mm as usize];
                if let Some(t) = m.pmds[pmd as usize].as_mut() {
                    t.ptl = holder
                } else if holder.is_some() {
                    // pmd_lock of a pmd_none entry: the slot exists while its lock is held.
                    m.huge
                        .entry(pmd)
                        .or_insert(HugePmd {
                            entry: Pte::None,
                            ptl: None,
                        })
                        .ptl = holder;
                } else if let Some(h) = m.huge.get_mut(&pmd) {
                    h.ptl = None;
                    if h.entry == Pte::None {
                        m.huge.remove(&pmd);
                    }
                }
            }
            LockId::Folio(pfn) => w.frames[pfn as usize].locked = holder,
            LockId::Driver(i) => w.mirrors[i as usize].mutex = holder,
            LockId::AnonVma(id) => w.anon_vmas[id as usize].lock.writer = holder,
            LockId::DevmemMigrate(dev) => w.devices[dev as usize].migrate_lock = holder,
            LockId::IMmap(id) => w.mappings[id as usize].i_mmap_rwsem.writer = holder,
        }
    }

    /// Try to take an exclusive lock without sleeping (`spin_trylock`, `folio_trylock`, `mutex_trylock`).
    pub fn trylock(&self, l: LockId) -> bool {
        match self.lock_holder(l) {
            Ok(()) => {
                self.set_holder(l, Some(self.tid()));
                self.record(Ev::LockAcquire {
                    lock: l,
                    shared: false,
                });
                true
            }
            Err(holder) => {
                self.record(Ev::LockContended {
                    lock: l,
                    shared: false,
                    holder: Some(holder),
                });
                false
            }
        }
    }

    /// Take an exclusive lock, sleeping (or, for spinlocks, spinning — simplified to sleeping) while it is held.
    pub async fn lock(&self, l: LockId) {
        self.preempt().await;
        while !self.trylock(l) {
            self.sleep_on(WaitOn::Lock(l)).await;
        }
    }

    #[track_caller]
    pub fn unlock(&self, l: LockId) {
        #[cfg(feature = "mutants")]
        if super::mutants::skipped(std::panic::Location::caller()) {
            return;
        }
        let holder = self.lock_holder(l).err();
        if holder != Some(self.tid()) {
            self.violation(format!(
                "T{} released {} held by {:?}",
                self.tid(),
                l.describe(),
                holder
            ));
        }
        self.set_holder(l, None);
        self.record(Ev::LockRelease {
            lock: l,
            shared: false,
        });
        self.wake(WaitOn::Lock(l));
        if let LockId::Folio(pfn) = l {
            self.wake(WaitOn::FolioUnlock(pfn));
        }
    }

    /// The rwsem behind `l` (`mmap_lock`, an anon_vma's lock or a file's `i_mmap_rwsem`).
    fn with_rwsem<R>(&self, l: LockId, f: impl FnOnce(&mut RwSem) -> R) -> R {
        let mut w = self.wm();
        match l {
            LockId::MmapLock(mm) => f(&mut w.mms[mm as usize].mmap_lock),
            LockId::AnonVma(id) => f(&mut w.anon_vmas[id as usize].lock),
            LockId::IMmap(id) => f(&mut w.mappings[id as usize].i_mmap_rwsem),
            _ => unreachable!("only mmap_lock, anon_vma and i_mmap locks are rwsems"),
        }
    }

    /// `down_read`: shared with other readers, excluded by a writer.
    pub async fn down_read(&self, l: LockId) {
        self.preempt().await;
        while let Some(writer) = self.with_rwsem(l, |s| s.writer) {
            self.record(Ev::LockContended {
                lock: l,
                shared: true,
                holder: Some(writer),
            });
            self.sleep_on(WaitOn::Lock(l)).await;
        }
        let tid = self.tid();
        self.with_rwsem(l, |s| s.readers.push(tid));
        self.record(Ev::LockAcquire {
            lock: l,
            shared: true,
        });
    }

    #[track_caller]
    pub fn up_read(&self, l: LockId) {
        #[cfg(feature = "mutants")]
        if super::mutants::skipped(std::panic::Location::caller()) {
            return;
        }
        let tid = self.tid();
        let held = self.with_rwsem(l, |s| match s.readers.iter().position(|&t| t == tid) {
            Some(i) => {
                s.readers.remove(i);
                true
            }
            None => false,
        });
        if !held {
            self.violation(format!(
                "T{tid} read-unlocked {} it did not hold",
                l.describe()
            ));
        }
        self.record(Ev::LockRelease {
            lock: l,
            shared: true,
        });
        self.wake(WaitOn::Lock(l));
    }

    /// `down_write`: waits for every reader and writer to leave.
    pub async fn down_write(&self, l: LockId) {
        self.preempt().await;
        while !self.with_rwsem(l, |s| s.writer.is_none() && s.readers.is_empty()) {
            self.record(Ev::LockContended {
                lock: l,
                shared: false,
                holder: None,
            });
            self.sleep_on(WaitOn::Lock(l)).await;
        }
        let tid = self.tid();
        self.with_rwsem(l, |s| s.writer = Some(tid));
        self.record(Ev::LockAcquire {
            lock: l,
            shared: false,
        });
    }

    #[track_caller]
    pub fn up_write(&self, l: LockId) {
        self.unlock(l);
    }

    pub async fn mmap_read_lock(&self, mm: MmId) {
        self.down_read(LockId::MmapLock(mm)).await;
    }

    #[track_caller]
    pub fn mmap_read_unlock(&self, mm: MmId) {
        self.up_read(LockId::MmapLock(mm));
    }

    pub async fn mmap_write_lock(&self, mm: MmId) {
        self.down_write(LockId::MmapLock(mm)).await;
    }

    #[track_caller]
    pub fn mmap_write_unlock(&self, mm: MmId) {
        self.up_write(LockId::MmapLock(mm));
    }

    /// The PTL of the table holding `vpn`. Its absence (`pmd_none`) is the caller's bug.
    pub fn ptl_of(mm: MmId, vpn: u32) -> LockId {
        LockId::Ptl {
            mm,
            pmd: vpn / PTRS_PER_PTE,
        }
    }

    /// `pte_offset_map_lock`: allocate the PTE table if needed (`pte_alloc`) and take its PTL.
    pub async fn pte_lock(&self, mm: MmId, vpn: u32) -> LockId {
        self.pte_alloc(mm, vpn);
        let l = Kernel::ptl_of(mm, vpn);
        self.lock(l).await;
        l
    }

    /// `pmd_lock`: the lock of the PMD entry covering `vpn` (the model keys it as the PTL of that entry; see
    /// [`HugePmd`]).
    pub async fn pmd_lock(&self, mm: MmId, vpn: u32) -> LockId {
        let l = Kernel::ptl_of(mm, vpn);
        self.lock(l).await;
        l
    }

    /// `__pte_alloc`: populate the PMD with an empty PTE table. A PMD leaf is not a table: the kernel's
    /// `pte_offset_map_lock` fails there, so a path that gets here must have split it first.
    pub fn pte_alloc(&self, mm: MmId, vpn: u32) {
        let pmd = (vpn / PTRS_PER_PTE) as usize;
        if self.w().mms[mm as usize].huge.contains_key(&(pmd as u32)) {
            self.violation(format!(
                "T{} mapped a PTE table at page {vpn:#x} of mm{mm}, which a PMD leaf maps (not split first)",
                self.tid()
            ));
            return;
        }
        let mut w = self.wm();
        let slot = &mut w.mms[mm as usize].pmds[pmd];
        if slot.is_none() {
            *slot = Some(Box::new(PteTable {
                ptes: vec![Pte::None; PTRS_PER_PTE as usize],
                ptl: None,
            }));
        }
    }

    pub fn holds(&self, l: LockId) -> bool {
        self.lock_holder(l).err() == Some(self.tid())
    }
}
