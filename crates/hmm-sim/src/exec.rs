//! The kernel context every simulated path runs in, and the deterministic scheduler that interleaves them.
//!
//! Simulated threads are `async` coroutines on one OS thread. A kernel path `.await`s at each preemption
//! point (lock acquisition, fault entry, explicit `cond_resched`-like points) and when it must sleep. The
//! scheduler then picks the next runnable thread; when more than one could run, the pick is a recorded
//! [`Choice`] from a [`Policy`] (round robin, seeded random, or replay), so every run replays exactly.
//!
//! The primitives here (`pte_write`, `folio_get`, `lock`, ...) are the only way paths change the world,
//! and each records its [`Event`]. Nothing here reads a clock or OS randomness.

use crate::pte::{Pfn, Pte, ZERO_PFN};
use crate::trace::*;
use crate::world::*;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Kernel versions whose behaviour differs in what the model shows (kernel-model.md §2.6, §4).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum KernelVersion {
    /// ≤ 6.14: `do_swap_page` takes a reference on the device page without locking it.
    V6_14,
    /// 6.15 (1afaeb8293c9): `trylock_page` under the PTL; a loser returns 0 and re-faults at once.
    V6_15,
    /// 6.18.y with b570f37a2ce4: a loser sleeps until the folio is unlocked instead of spinning.
    V6_18,
}

impl KernelVersion {
    pub const ALL: [KernelVersion; 3] = [
        KernelVersion::V6_14,
        KernelVersion::V6_15,
        KernelVersion::V6_18,
    ];
    pub fn name(self) -> &'static str {
        match self {
            KernelVersion::V6_14 => "6.14",
            KernelVersion::V6_15 => "6.15",
            KernelVersion::V6_18 => "6.18",
        }
    }
    pub fn parse(s: &str) -> Option<KernelVersion> {
        KernelVersion::ALL.into_iter().find(|v| v.name() == s)
    }
}

/// Why a thread is not runnable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WaitOn {
    Lock(LockId),
    /// Sleeping until the folio's `PG_locked` clears (`folio_wait_bit`, `migration_entry_wait`).
    FolioUnlock(Pfn),
    /// `mmu_interval_read_begin` sleeping until mm's invalidation ends.
    NotifierIdle(MmId),
}

impl WaitOn {
    /// Packed for [`Kind::Thread`] events: a [`LockId`]'s packing (classes 0–5), or class 0xe (a folio's
    /// unlock, pfn in the low bits) or 0xf (an mm's invalidations ending, mm in the low byte).
    pub fn pack(self) -> u32 {
        match self {
            WaitOn::Lock(l) => l.pack(),
            WaitOn::FolioUnlock(pfn) => 0xe000_0000 | (pfn & 0x0fff_ffff),
            WaitOn::NotifierIdle(mm) => 0xf000_0000 | mm as u32,
        }
    }

    pub fn unpack(bits: u32) -> WaitOn {
        match bits >> 28 {
            0xe => WaitOn::FolioUnlock(bits & 0x0fff_ffff),
            0xf => WaitOn::NotifierIdle(bits as u8),
            _ => WaitOn::Lock(LockId::unpack(bits)),
        }
    }

    pub fn describe(self) -> String {
        match self {
            WaitOn::Lock(l) => l.describe(),
            WaitOn::FolioUnlock(pfn) => format!("folio pfn {pfn:#x} to be unlocked"),
            WaitOn::NotifierIdle(mm) => format!("invalidations on mm{mm} to end"),
        }
    }
}

/// Scheduling state the kernel context keeps per thread.
#[derive(Clone, Debug, Default)]
struct ThreadCtl {
    stack: Vec<Func>,
    waiting: Option<WaitOn>,
    done: bool,
    mm: MmId,
    /// Nesting of logical walks (`hmm_range_fault` / `migrate_vma_setup`): only the outermost is counted.
    logical_depth: u32,
}

/// How the scheduler picks among several runnable threads.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Policy {
    /// Switch to the next runnable thread (by id) at every preemption point.
    RoundRobin,
    /// Keep running the current thread while it can; otherwise the lowest runnable id.
    RunToBlock,
    /// A seeded pseudo-random pick (splitmix64); the seed makes it repeatable.
    Random { seed: u64 },
    /// Replay recorded choices; past their end, fall back to `RunToBlock`.
    Replay { choices: Vec<Tid> },
}

/// One scheduling decision: which thread ran when several could.
pub type Choice = Tid;

/// Simulation limits. Every one is explicit and reported when hit.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Trace events before the run stops with [`RunError::StepLimit`].
    pub max_steps: u64,
    /// Simulated threads (the trace packs thread ids in a byte; lessons need a handful).
    pub max_threads: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_steps: 50_000_000,
            max_threads: 16,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RunError {
    /// No thread can run but some have not finished: each blocked thread and what it waits on.
    Deadlock {
        blocked: Vec<(Tid, String)>,
    },
    StepLimit {
        steps: u64,
    },
    /// A replayed choice named a thread that could not run at that point.
    ImpossibleChoice {
        index: usize,
        wanted: Tid,
        runnable: Vec<Tid>,
    },
    TooManyThreads {
        max: usize,
    },
    /// The set-up asked for something outside the model's limits (reported, never a panic).
    BadSetup {
        reason: String,
    },
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Deadlock { blocked } => {
                write!(f, "deadlock: no thread can run;")?;
                for (t, w) in blocked {
                    write!(f, " T{t} waits for {w};")?;
                }
                Ok(())
            }
            RunError::StepLimit { steps } => {
                write!(f, "step limit hit after {steps} events (possible livelock)")
            }
            RunError::ImpossibleChoice {
                index,
                wanted,
                runnable,
            } => write!(
                f,
                "schedule choice #{index} picks T{wanted}, but only {runnable:?} can run there"
            ),
            RunError::TooManyThreads { max } => write!(f, "too many threads: the limit is {max}"),
            RunError::BadSetup { reason } => write!(f, "bad set-up: {reason}"),
        }
    }
}

impl std::error::Error for RunError {}

/// The kernel context: world, trace and scheduler state, shared by all coroutines of a run.
pub struct Kernel {
    pub version: KernelVersion,
    world: RefCell<World>,
    events: RefCell<Vec<Event>>,
    threads: RefCell<Vec<ThreadCtl>>,
    current: Cell<Tid>,
    /// Threads not yet finished; preemption points are free when only one is alive.
    live: Cell<usize>,
    /// Set by a preemption point to hand the CPU back to the scheduler.
    yielded: Cell<bool>,
    /// While tearing down unfinished coroutines, guards must not record events.
    quiet: Cell<bool>,
    /// Invariant breaches noticed by primitives (e.g. a PTE written without its PTL).
    violations: RefCell<Vec<String>>,
    next_array_id: Cell<u8>,
}

impl Kernel {
    pub fn new(version: KernelVersion, world: World) -> Kernel {
        Kernel {
            version,
            world: RefCell::new(world),
            events: RefCell::new(Vec::new()),
            threads: RefCell::new(Vec::new()),
            current: Cell::new(0),
            live: Cell::new(0),
            yielded: Cell::new(false),
            quiet: Cell::new(false),
            violations: RefCell::new(Vec::new()),
            next_array_id: Cell::new(0),
        }
    }

    // ----- access ------------------------------------------------------------------------------------

    /// Read access to the world. Never hold it across an `.await`.
    pub fn w(&self) -> std::cell::Ref<'_, World> {
        self.world.borrow()
    }
    pub(crate) fn wm(&self) -> std::cell::RefMut<'_, World> {
        self.world.borrow_mut()
    }
    pub fn events(&self) -> std::cell::Ref<'_, Vec<Event>> {
        self.events.borrow()
    }
    pub fn take_events(&self) -> Vec<Event> {
        std::mem::take(&mut self.events.borrow_mut())
    }
    pub fn into_world(self) -> World {
        self.world.into_inner()
    }
    pub fn violations(&self) -> Vec<String> {
        self.violations.borrow().clone()
    }
    pub fn tid(&self) -> Tid {
        self.current.get()
    }
    /// The mm of the running thread (`current->mm`).
    pub fn current_mm(&self) -> MmId {
        self.threads.borrow()[self.tid() as usize].mm
    }
    pub(crate) fn violation(&self, what: String) {
        self.violations.borrow_mut().push(what);
    }
    /// A fresh id for a `struct migrate_vma` / `hmm_range` array, so viewers can tell arrays apart.
    pub(crate) fn array_id(&self) -> u8 {
        let id = self.next_array_id.get();
        self.next_array_id.set(id.wrapping_add(1));
        id
    }

    // ----- events ------------------------------------------------------------------------------------

    pub fn emit(&self, kind: Kind, a: u32, b: u32, c: u32) {
        if self.quiet.get() {
            return;
        }
        let thread = self.tid();
        let func = self
            .threads
            .borrow()
            .get(thread as usize)
            .and_then(|t| t.stack.last().copied());
        self.events.borrow_mut().push(Event {
            kind,
            thread,
            func: func.unwrap_or(Func::UserThread),
            a,
            b,
            c,
        });
    }

    /// Enter a kernel function: records `Call` and keeps it on the thread's stack until the guard drops.
    pub fn enter(&self, func: Func, a: u32) -> Frame<'_> {
        if let Some(t) = self.threads.borrow_mut().get_mut(self.tid() as usize) {
            t.stack.push(func);
        }
        self.emit(Kind::Call, a, 0, 0);
        Frame {
            k: self,
            ret: Cell::new(0),
        }
    }

    pub fn milestone(&self, m: Milestone) {
        self.emit(Kind::Milestone, m as u32, 0, 0);
    }
    pub fn retry(&self, r: RetryReason) {
        self.emit(Kind::Retry, r as u32, 0, 0);
    }
    pub fn error(&self, errno: i32) {
        self.emit(Kind::Error, errno.unsigned_abs(), 0, 0);
    }

    /// A logical walk (`hmm_range_fault`, `migrate_vma_setup`) begins. Only a thread's outermost one is
    /// recorded, so nested calls (the unified migrate path, another driver's `migrate_to_ram`) are not counted
    /// twice. Returns whether it was recorded, for [`Kernel::logical_walk_end`].
    pub(crate) fn logical_walk_begin(&self, start: u32, end: u32) -> bool {
        let outer = {
            let mut threads = self.threads.borrow_mut();
            let t = &mut threads[self.tid() as usize];
            t.logical_depth += 1;
            t.logical_depth == 1
        };
        if outer {
            self.emit(Kind::WalkBegin, start, end, WalkKind::Logical as u32);
        }
        outer
    }

    pub(crate) fn logical_walk_end(&self, outer: bool, start: u32, end: u32) {
        self.threads.borrow_mut()[self.tid() as usize].logical_depth -= 1;
        if outer {
            self.emit(Kind::WalkEnd, start, end, WalkKind::Logical as u32);
        }
    }

    // ----- scheduling --------------------------------------------------------------------------------

    /// A preemption point: another runnable thread may run here.
    pub async fn preempt(&self) {
        if self.live.get() > 1 {
            self.yielded.set(true);
            YieldOnce(false).await;
        }
    }

    /// Sleep until `what` changes; the caller re-checks its condition afterwards.
    pub async fn sleep_on(&self, what: WaitOn) {
        self.threads.borrow_mut()[self.tid() as usize].waiting = Some(what);
        self.emit(
            Kind::Thread,
            self.tid() as u32,
            ThreadState::Blocked as u32,
            what.pack(),
        );
        self.yielded.set(true);
        YieldOnce(false).await;
        self.emit(
            Kind::Thread,
            self.tid() as u32,
            ThreadState::Runnable as u32,
            0,
        );
    }

    /// Wake every thread sleeping on `what`.
    fn wake(&self, what: WaitOn) {
        for t in self.threads.borrow_mut().iter_mut() {
            if t.waiting == Some(what) {
                t.waiting = None;
            }
        }
    }

    // ----- locks -------------------------------------------------------------------------------------

    fn lock_holder(&self, l: LockId) -> Result<(), u32> {
        let w = self.w();
        let busy = |h: Option<Tid>| h.map_or(Ok(()), |t| Err(t as u32 + 1));
        match l {
            LockId::MmapLock(mm) => busy(w.mms[mm as usize].mmap_lock.writer),
            LockId::Ptl { mm, pmd } => busy(
                w.mms[mm as usize].pmds[pmd as usize]
                    .as_ref()
                    .and_then(|t| t.ptl),
            ),
            LockId::Folio(pfn) => busy(w.frames[pfn as usize].locked),
            LockId::Driver(i) => busy(w.mirrors[i as usize].mutex),
            LockId::AnonVma(id) => busy(w.anon_vmas[id as usize].lock.writer),
            LockId::DevmemMigrate(dev) => busy(w.devices[dev as usize].migrate_lock),
        }
    }

    fn set_holder(&self, l: LockId, holder: Option<Tid>) {
        let mut w = self.wm();
        match l {
            LockId::MmapLock(mm) => w.mms[mm as usize].mmap_lock.writer = holder,
            LockId::Ptl { mm, pmd } => {
                if let Some(t) = w.mms[mm as usize].pmds[pmd as usize].as_mut() {
                    t.ptl = holder
                }
            }
            LockId::Folio(pfn) => w.frames[pfn as usize].locked = holder,
            LockId::Driver(i) => w.mirrors[i as usize].mutex = holder,
            LockId::AnonVma(id) => w.anon_vmas[id as usize].lock.writer = holder,
            LockId::DevmemMigrate(dev) => w.devices[dev as usize].migrate_lock = holder,
        }
    }

    /// Try to take an exclusive lock without sleeping (`spin_trylock`, `folio_trylock`, `mutex_trylock`).
    pub fn trylock(&self, l: LockId) -> bool {
        match self.lock_holder(l) {
            Ok(()) => {
                self.set_holder(l, Some(self.tid()));
                self.emit(Kind::LockAcquire, l.pack(), 0, 0);
                true
            }
            Err(holder) => {
                self.emit(Kind::LockContended, l.pack(), 0, holder);
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

    pub fn unlock(&self, l: LockId) {
        let holder = self.lock_holder(l).err().map(|h| (h - 1) as Tid);
        if holder != Some(self.tid()) {
            self.violation(format!(
                "T{} released {} held by {:?}",
                self.tid(),
                l.describe(),
                holder
            ));
        }
        self.set_holder(l, None);
        self.emit(Kind::LockRelease, l.pack(), 0, 0);
        self.wake(WaitOn::Lock(l));
        if let LockId::Folio(pfn) = l {
            self.wake(WaitOn::FolioUnlock(pfn));
        }
    }

    /// The rwsem behind `l` (`mmap_lock` or an anon_vma's lock).
    fn with_rwsem<R>(&self, l: LockId, f: impl FnOnce(&mut RwSem) -> R) -> R {
        let mut w = self.wm();
        match l {
            LockId::MmapLock(mm) => f(&mut w.mms[mm as usize].mmap_lock),
            LockId::AnonVma(id) => f(&mut w.anon_vmas[id as usize].lock),
            _ => unreachable!("only mmap_lock and anon_vma locks are rwsems"),
        }
    }

    /// `down_read`: shared with other readers, excluded by a writer.
    pub async fn down_read(&self, l: LockId) {
        self.preempt().await;
        while let Some(writer) = self.with_rwsem(l, |s| s.writer) {
            self.emit(Kind::LockContended, l.pack(), 1, writer as u32 + 1);
            self.sleep_on(WaitOn::Lock(l)).await;
        }
        let tid = self.tid();
        self.with_rwsem(l, |s| s.readers.push(tid));
        self.emit(Kind::LockAcquire, l.pack(), 1, 0);
    }

    pub fn up_read(&self, l: LockId) {
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
        self.emit(Kind::LockRelease, l.pack(), 1, 0);
        self.wake(WaitOn::Lock(l));
    }

    /// `down_write`: waits for every reader and writer to leave.
    pub async fn down_write(&self, l: LockId) {
        self.preempt().await;
        while !self.with_rwsem(l, |s| s.writer.is_none() && s.readers.is_empty()) {
            self.emit(Kind::LockContended, l.pack(), 0, 0);
            self.sleep_on(WaitOn::Lock(l)).await;
        }
        let tid = self.tid();
        self.with_rwsem(l, |s| s.writer = Some(tid));
        self.emit(Kind::LockAcquire, l.pack(), 0, 0);
    }

    pub fn up_write(&self, l: LockId) {
        self.unlock(l);
    }

    pub async fn mmap_read_lock(&self, mm: MmId) {
        self.down_read(LockId::MmapLock(mm)).await;
    }

    pub fn mmap_read_unlock(&self, mm: MmId) {
        self.up_read(LockId::MmapLock(mm));
    }

    pub async fn mmap_write_lock(&self, mm: MmId) {
        self.down_write(LockId::MmapLock(mm)).await;
    }

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

    /// `__pte_alloc`: populate the PMD with an empty PTE table.
    pub fn pte_alloc(&self, mm: MmId, vpn: u32) {
        let pmd = (vpn / PTRS_PER_PTE) as usize;
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
        self.lock_holder(l).err() == Some(self.tid() as u32 + 1)
    }

    // ----- page tables -------------------------------------------------------------------------------

    /// Read a PTE (`ptep_get`); `visit` marks a walker's visit for the `pte_visits` counter.
    pub fn pte_read(&self, mm: MmId, vpn: u32, visit: bool) -> Pte {
        let pte = self.w().mms[mm as usize].pte(vpn);
        self.emit(Kind::PteRead, pack_page(mm, vpn), pte.pack(), visit as u32);
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
        self.emit(Kind::PteWrite, pack_page(mm, vpn), old.pack(), new.pack());
    }

    pub fn tlb_flush(&self, start: u32, end: u32) {
        self.emit(Kind::TlbFlush, start, end, 0);
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
        self.emit(Kind::Ref, pfn, new as u32, old as u32);
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
        self.emit(Kind::Ref, pfn, new as u32, old as u32);
        if new < 0 {
            self.violation(format!("refcount of pfn {pfn:#x} went negative"));
        }
        if new == 0 {
            match zone {
                Zone::DevicePrivate(dev) => self.dmirror_devmem_free(dev, pfn),
                _ => self.free_frame(pfn, zone),
            }
        }
    }

    fn dmirror_devmem_free(&self, dev: DevId, pfn: Pfn) {
        let _f = self.enter(Func::DmirrorDevmemFree, pfn);
        let removing = {
            let mut w = self.wm();
            let d = &mut w.devices[dev as usize];
            d.cfree += 1;
            d.removing
        };
        self.reset_frame(pfn);
        self.emit(Kind::Free, pfn, 1 + dev as u32, 0);
        if !removing {
            self.wm().devices[dev as usize].free.push(pfn);
        }
    }

    fn free_frame(&self, pfn: Pfn, zone: Zone) {
        self.reset_frame(pfn);
        self.emit(Kind::Free, pfn, 0, 0);
        if zone == Zone::System {
            self.wm().free_system.push(pfn);
        }
    }

    fn reset_frame(&self, pfn: Pfn) {
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
        self.emit(Kind::Map, pfn, new as u32, old as u32);
    }

    pub fn set_flag(&self, pfn: Pfn, flag: FolioFlag, value: bool) {
        {
            let mut w = self.wm();
            let f = &mut w.frames[pfn as usize];
            match flag {
                FolioFlag::AnonExclusive => f.anon_exclusive = value,
                FolioFlag::Lru => f.lru = value,
            }
        }
        self.emit(Kind::Flag, pfn, flag as u32, value as u32);
    }

    pub fn folio_trylock(&self, pfn: Pfn) -> bool {
        self.trylock(LockId::Folio(pfn))
    }
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
        self.emit(Kind::Alloc, pfn, 0, 0);
        self.emit(Kind::Ref, pfn, 1, 0);
        self.emit(Kind::Content, pfn, 0, content);
        pfn
    }

    /// Overwrite a frame's content (a CPU store, a device write, or a copy's destination).
    pub fn set_content(&self, pfn: Pfn, content: u32) {
        let old = std::mem::replace(&mut self.wm().frames[pfn as usize].content, content);
        self.emit(Kind::Content, pfn, old, content);
    }

    /// A store of `value` into the page at `pfn` (by a CPU or a device): the frame's content changes, and
    /// so does what every virtual page mapping that frame must read back (shared memory has several).
    pub fn store(&self, pfn: Pfn, value: u32) {
        self.set_content(pfn, value);
        let mut w = self.wm();
        let index = w.frames[pfn as usize].index;
        let mappers: Vec<MmId> = w
            .mms
            .iter()
            .filter(|m| m.alive && m.pte(index).pfn() == Some(pfn))
            .map(|m| m.id)
            .collect();
        for mm in mappers {
            w.expected.insert((mm, index), value);
        }
    }

    /// Copy page data (`copy_highpage`, or the driver's DMA).
    pub fn copy_page(&self, src: Pfn, dst: Pfn) {
        let content = self.w().frames[src as usize].content;
        self.wm().frames[dst as usize].content = content;
        self.emit(Kind::Copy, src, dst, content);
    }

    pub fn swap_set(&self, slot: u32, new: Option<u32>) {
        let old = std::mem::replace(&mut self.wm().swap[slot as usize], new);
        self.emit(
            Kind::Swap,
            slot,
            old.map_or(0, |c| c + 1),
            new.map_or(0, |c| c + 1),
        );
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
            self.emit(
                Kind::DevPt,
                (mirror as u32) << 24 | (vpn & 0xff_ffff),
                DptEntry::pack(old),
                DptEntry::pack(new),
            );
        }
    }

    // ----- notifier sequences ------------------------------------------------------------------------

    pub fn set_mm_seq(&self, mm: MmId, new: u64) {
        let old = std::mem::replace(&mut self.wm().mms[mm as usize].invalidate_seq, new);
        self.emit(Kind::Seq, SeqId::Mm(mm).pack(), old as u32, new as u32);
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
        self.emit(
            Kind::Seq,
            SeqId::Sub { dev, mm }.pack(),
            old as u32,
            new as u32,
        );
    }
}

/// A function's activation: pops the thread's stack and records `Return` when dropped.
pub struct Frame<'k> {
    k: &'k Kernel,
    ret: Cell<i32>,
}

impl Frame<'_> {
    /// Record the value the function returns (0 by default).
    pub fn ret(&self, value: i32) {
        self.ret.set(value);
    }
}

impl Drop for Frame<'_> {
    fn drop(&mut self) {
        self.k.emit(Kind::Return, self.ret.get() as u32, 0, 0);
        if let Some(t) = self.k.threads.borrow_mut().get_mut(self.k.tid() as usize) {
            t.stack.pop();
        }
    }
}

struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}

type Coroutine = Pin<Box<dyn Future<Output = ()>>>;

/// Runs coroutines on [`Kernel`] under a [`Policy`], recording every choice.
pub struct Executor {
    pub kernel: Rc<Kernel>,
    coroutines: Vec<Option<Coroutine>>,
    pub names: Vec<String>,
    pub limits: Limits,
    /// The choices made where more than one thread could run; replaying them reproduces the run.
    pub choices: Vec<Choice>,
    /// The runnable threads at each of those choices: the alternatives an explorer may try.
    pub choice_points: Vec<Vec<Tid>>,
    rng: u64,
}

impl Executor {
    pub fn new(kernel: Rc<Kernel>, limits: Limits) -> Executor {
        Executor {
            kernel,
            coroutines: Vec::new(),
            names: Vec::new(),
            limits,
            choices: Vec::new(),
            choice_points: Vec::new(),
            rng: 0,
        }
    }

    /// Add a thread running `body` with `current->mm == mm`.
    pub fn spawn(
        &mut self,
        name: &str,
        mm: MmId,
        body: impl FnOnce(Rc<Kernel>) -> Coroutine,
    ) -> Result<Tid, RunError> {
        if self.coroutines.len() >= self.limits.max_threads {
            return Err(RunError::TooManyThreads {
                max: self.limits.max_threads,
            });
        }
        let tid = self.coroutines.len() as Tid;
        self.kernel.threads.borrow_mut().push(ThreadCtl {
            mm,
            ..ThreadCtl::default()
        });
        self.coroutines.push(Some(body(self.kernel.clone())));
        self.names.push(name.to_string());
        self.kernel.live.set(self.kernel.live.get() + 1);
        Ok(tid)
    }

    fn runnable(&self) -> Vec<Tid> {
        let threads = self.kernel.threads.borrow();
        (0..threads.len())
            .filter(|&t| !threads[t].done && threads[t].waiting.is_none())
            .map(|t| t as Tid)
            .collect()
    }

    fn splitmix(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn pick(
        &mut self,
        policy: &Policy,
        runnable: &[Tid],
        last: Option<Tid>,
    ) -> Result<Tid, RunError> {
        let index = self.choices.len();
        let stay = last.filter(|t| runnable.contains(t));
        let pick = match policy {
            Policy::RunToBlock => stay.unwrap_or(runnable[0]),
            Policy::RoundRobin => match last {
                Some(l) => runnable
                    .iter()
                    .copied()
                    .find(|&t| t > l)
                    .unwrap_or(runnable[0]),
                None => runnable[0],
            },
            // `run` seeded the generator from the policy.
            Policy::Random { .. } => runnable[(self.splitmix() % runnable.len() as u64) as usize],
            Policy::Replay { choices } => match choices.get(index) {
                Some(&wanted) if runnable.contains(&wanted) => wanted,
                Some(&wanted) => {
                    return Err(RunError::ImpossibleChoice {
                        index,
                        wanted,
                        runnable: runnable.to_vec(),
                    })
                }
                None => stay.unwrap_or(runnable[0]),
            },
        };
        Ok(pick)
    }

    /// Run until every thread finishes, or report why not. Unfinished coroutines are dropped silently.
    pub fn run(&mut self, policy: &Policy) -> Result<(), RunError> {
        let result = self.run_inner(policy);
        self.kernel.quiet.set(true);
        self.coroutines.iter_mut().for_each(|c| *c = None);
        self.kernel.quiet.set(false);
        result
    }

    fn run_inner(&mut self, policy: &Policy) -> Result<(), RunError> {
        if let Policy::Random { seed } = policy {
            self.rng = *seed;
        }
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut last: Option<Tid> = None;
        loop {
            let runnable = self.runnable();
            if runnable.is_empty() {
                let threads = self.kernel.threads.borrow();
                if threads.iter().all(|t| t.done) {
                    return Ok(());
                }
                let blocked = threads
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| !t.done)
                    .map(|(i, t)| {
                        (
                            i as Tid,
                            t.waiting.map_or("nothing".into(), |w| w.describe()),
                        )
                    })
                    .collect();
                return Err(RunError::Deadlock { blocked });
            }
            let tid = if runnable.len() == 1 {
                runnable[0]
            } else {
                let t = self.pick(policy, &runnable, last)?;
                self.choices.push(t);
                self.choice_points.push(runnable.clone());
                t
            };
            last = Some(tid);
            self.kernel.current.set(tid);
            self.kernel.yielded.set(false);
            let co = self.coroutines[tid as usize]
                .as_mut()
                .expect("runnable threads have a coroutine");
            if co.as_mut().poll(&mut cx).is_ready() {
                self.coroutines[tid as usize] = None;
                self.kernel.threads.borrow_mut()[tid as usize].done = true;
                self.kernel.live.set(self.kernel.live.get() - 1);
                self.kernel
                    .emit(Kind::Thread, tid as u32, ThreadState::Exited as u32, 0);
            }
            let steps = self.kernel.events.borrow().len() as u64;
            if steps > self.limits.max_steps {
                return Err(RunError::StepLimit { steps });
            }
        }
    }
}
