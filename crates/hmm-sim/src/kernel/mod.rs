//! The kernel context every simulated path runs in.
//!
//! Simulated threads are `async` coroutines on one OS thread (see [`crate::sched`]). A kernel path `.await`s
//! at each preemption point (lock acquisition, fault entry, explicit `cond_resched`-like points) and when it
//! must sleep; the scheduler then picks the next runnable thread.
//!
//! The primitives (`pte_write`, `folio_get`, `lock`, ...; locks.rs and memory.rs) are the only way paths
//! change the world, and each records its [`Event`]. Nothing here reads a clock or OS randomness.

mod locks;
mod memory;
#[cfg(feature = "mutants")]
pub(crate) mod mutants;
pub(crate) mod ops;

use crate::trace::*;
use crate::version::KernelVersion;
use crate::world::*;
use ops::{DevPagemapOps, MmuIntervalNotifierOps};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Scheduling state the kernel context keeps per thread.
#[derive(Clone, Debug, Default)]
pub(crate) struct ThreadCtl {
    pub(crate) stack: Vec<Func>,
    pub(crate) waiting: Option<WaitOn>,
    pub(crate) done: bool,
    /// Nesting of logical walks (`hmm_range_fault` / `migrate_vma_setup`): only the outermost is counted.
    pub(crate) logical_depth: u32,
}

/// The kernel context: world, trace and scheduler state, shared by all coroutines of a run.
pub struct Kernel {
    pub version: KernelVersion,
    pub(crate) world: RefCell<World>,
    pub(crate) events: RefCell<PackedTrace>,
    /// Whether events are kept ([`TraceMode::Keep`]) or only folded into `counters` as they happen.
    trace_mode: TraceMode,
    /// Every event of the run folded as it is recorded (kept or not).
    pub(crate) counters: RefCell<Counters>,
    /// Events recorded so far, kept or not.
    pub(crate) steps: Cell<u64>,
    /// The step budget ([`crate::Limits::max_steps`]): the event that would exceed it is not recorded,
    /// `over_budget` is set, and from then on every preemption point yields so the scheduler can stop the
    /// run, however many threads are alive.
    budget: u64,
    pub(crate) over_budget: Cell<bool>,
    /// Where the event that did not fit was made ("T0 in hmm_vma_fault"): the thread runs on to its next
    /// preemption point without recording, so this is read when the budget runs out, not when it stops.
    pub(crate) stopped_at: RefCell<String>,
    pub(crate) threads: RefCell<Vec<ThreadCtl>>,
    pub(crate) current: Cell<Tid>,
    /// Threads not yet finished; preemption points are free when only one is alive.
    pub(crate) live: Cell<usize>,
    /// Set by a preemption point to hand the CPU back to the scheduler.
    pub(crate) yielded: Cell<bool>,
    /// While tearing down unfinished coroutines, guards must not record events.
    pub(crate) quiet: Cell<bool>,
    /// Invariant breaches noticed by primitives (e.g. a PTE written without its PTL).
    pub(crate) violations: RefCell<Vec<String>>,
    next_array_id: Cell<u8>,
    /// Each device's `dev_pagemap_ops`, as its driver registered them (indexed by device id).
    pgmap_ops: RefCell<Vec<Option<&'static DevPagemapOps>>>,
    /// Each interval subscription's ops (indexed by mirror).
    interval_ops: RefCell<Vec<Option<&'static MmuIntervalNotifierOps>>>,
}

impl Kernel {
    pub fn new(version: KernelVersion, world: World, trace_mode: TraceMode, budget: u64) -> Kernel {
        Kernel {
            version,
            world: RefCell::new(world),
            events: RefCell::new(PackedTrace::new()),
            trace_mode,
            counters: RefCell::new(Counters::default()),
            steps: Cell::new(0),
            budget,
            over_budget: Cell::new(false),
            stopped_at: RefCell::new(String::new()),
            threads: RefCell::new(Vec::new()),
            current: Cell::new(0),
            live: Cell::new(0),
            yielded: Cell::new(false),
            quiet: Cell::new(false),
            violations: RefCell::new(Vec::new()),
            next_array_id: Cell::new(0),
            pgmap_ops: RefCell::new(Vec::new()),
            interval_ops: RefCell::new(Vec::new()),
        }
    }

    // ----- driver ops ---------------------------------------------------------------------------------

    /// `memremap_pages`' `pgmap->ops`: the driver of device `dev` registers its callbacks.
    pub(crate) fn set_pgmap_ops(&self, dev: DevId, ops: &'static DevPagemapOps) {
        let mut t = self.pgmap_ops.borrow_mut();
        if t.len() <= dev as usize {
            t.resize(dev as usize + 1, None);
        }
        t[dev as usize] = Some(ops);
    }

    /// `mmu_interval_notifier_insert`'s `ops`: the callbacks of subscription `mirror`.
    pub(crate) fn set_interval_ops(&self, mirror: usize, ops: &'static MmuIntervalNotifierOps) {
        let mut t = self.interval_ops.borrow_mut();
        if t.len() <= mirror {
            t.resize(mirror + 1, None);
        }
        t[mirror] = Some(ops);
    }

    pub(crate) fn pgmap_ops(&self, dev: DevId) -> Option<&'static DevPagemapOps> {
        self.pgmap_ops.borrow().get(dev as usize).copied().flatten()
    }

    pub(crate) fn interval_ops(&self, mirror: usize) -> Option<&'static MmuIntervalNotifierOps> {
        self.interval_ops.borrow().get(mirror).copied().flatten()
    }

    // ----- access ------------------------------------------------------------------------------------

    /// Read access to the world. Never hold it across an `.await`.
    pub fn w(&self) -> std::cell::Ref<'_, World> {
        self.world.borrow()
    }
    pub(crate) fn wm(&self) -> std::cell::RefMut<'_, World> {
        self.world.borrow_mut()
    }
    pub fn take_events(&self) -> PackedTrace {
        let mut events = std::mem::take(&mut *self.events.borrow_mut());
        events.shrink_to_fit();
        events
    }
    pub fn into_world(self) -> World {
        self.world.into_inner()
    }
    pub fn violations(&self) -> Vec<String> {
        self.violations.borrow().clone()
    }
    /// Where thread `tid` is, for a person: `"T1 in hmm_range_fault"`.
    pub(crate) fn where_is(&self, tid: Tid) -> String {
        let threads = self.threads.borrow();
        match threads.get(tid as usize).and_then(|t| t.stack.last()) {
            Some(func) => format!("T{tid} in {}", func.name()),
            None => format!("T{tid}"),
        }
    }
    pub fn tid(&self) -> Tid {
        self.current.get()
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

    /// Record `ev` as done by the current thread in its innermost function. Every primitive records through
    /// here; [`Event::from_ev`] packs it (trace/codec.rs is the only code that touches packed fields).
    pub fn record(&self, ev: Ev) {
        if self.quiet.get() {
            return;
        }
        if self.steps.get() >= self.budget {
            // Checked here, where events are made, so no path can outrun the budget between two polls.
            if !self.over_budget.get() {
                *self.stopped_at.borrow_mut() = self.where_is(self.tid());
            }
            self.over_budget.set(true);
            return;
        }
        self.steps.set(self.steps.get() + 1);
        let thread = self.tid();
        let func = self
            .threads
            .borrow()
            .get(thread as usize)
            .and_then(|t| t.stack.last().copied());
        let event = Event::from_ev(thread, func.unwrap_or(Func::UserThread), ev);
        self.counters.borrow_mut().observe(&event);
        if self.trace_mode == TraceMode::Keep {
            self.events.borrow_mut().push(event);
        }
    }

    /// Enter a kernel function: records `Call` and keeps it on the thread's stack until the returned [`Call`]
    /// drops (recording `Return`). Bind it as `let call = k.enter(..)` and record a return value with
    /// `call.ret(v)`; a function that records none binds `let _call` (held only for its drop).
    pub fn enter(&self, func: Func, a: u32) -> Call<'_> {
        if let Some(t) = self.threads.borrow_mut().get_mut(self.tid() as usize) {
            t.stack.push(func);
        }
        self.record(Ev::Call { arg: a });
        Call {
            k: self,
            ret: Cell::new(0),
        }
    }

    pub fn milestone(&self, m: Milestone) {
        self.record(Ev::Milestone { milestone: m });
    }
    pub fn retry(&self, r: RetryReason) {
        self.record(Ev::Retry { reason: r });
    }
    pub fn error(&self, errno: i32) {
        self.record(Ev::Error { errno, refs: None });
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
            self.record(Ev::WalkBegin {
                walk: WalkKind::Logical,
                start,
                end,
            });
        }
        outer
    }

    pub(crate) fn logical_walk_end(&self, outer: bool, start: u32, end: u32) {
        self.threads.borrow_mut()[self.tid() as usize].logical_depth -= 1;
        if outer {
            self.record(Ev::WalkEnd {
                walk: WalkKind::Logical,
                start,
                end,
            });
        }
    }

    // ----- scheduling --------------------------------------------------------------------------------

    /// A preemption point: another runnable thread may run here. Past the step budget it always yields,
    /// so the scheduler regains control and ends the run (every loop in a kernel path takes a lock or
    /// faults, and both pass through here).
    pub async fn preempt(&self) {
        if self.live.get() > 1 || self.over_budget.get() {
            self.yielded.set(true);
            YieldOnce(false).await;
        }
    }

    /// Sleep until `what` changes; the caller re-checks its condition afterwards.
    pub async fn sleep_on(&self, what: WaitOn) {
        self.threads.borrow_mut()[self.tid() as usize].waiting = Some(what);
        self.record(Ev::Thread {
            tid: self.tid(),
            state: ThreadState::Blocked,
            waits_on: Some(what),
        });
        self.yielded.set(true);
        YieldOnce(false).await;
        self.record(Ev::Thread {
            tid: self.tid(),
            state: ThreadState::Runnable,
            waits_on: None,
        });
    }

    /// Wake every thread sleeping on `what`.
    pub(crate) fn wake(&self, what: WaitOn) {
        for t in self.threads.borrow_mut().iter_mut() {
            if t.waiting == Some(what) {
                t.waiting = None;
            }
        }
    }
}

/// A function's activation: pops the thread's stack and records `Return` when dropped.
pub struct Call<'k> {
    k: &'k Kernel,
    ret: Cell<i32>,
}

impl Call<'_> {
    /// Record the value the function returns (0 by default).
    pub fn ret(&self, value: i32) {
        self.ret.set(value);
    }
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        self.k.record(Ev::Return {
            ret: self.ret.get(),
        });
        if let Some(t) = self.k.threads.borrow_mut().get_mut(self.k.tid() as usize) {
            t.stack.pop();
        }
    }
}

pub(crate) struct YieldOnce(bool);

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
