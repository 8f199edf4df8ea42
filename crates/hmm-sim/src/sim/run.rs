//! Running threads on a set-up world: each op's kernel path, the scheduler, and what the run produced.

use super::setup::{open_mirror, range_ok, Setup};
use crate::drivers::dmirror::{
    dmirror_ioctl, CmdResult, DmirrorCmd, DMIRROR_DEVMEM_OPS, DMIRROR_DEVMEM_OPS_NO_COPY_BACK,
    DMIRROR_MIN_OPS,
};
use crate::drivers::gup_test::{gup_test_ioctl, GupTestCmd};
use crate::drivers::lanes::{run_strategy, Strategy};
use crate::errno::EINVAL;
use crate::invariants;
use crate::kernel::Kernel;
use crate::mm::filemap::{
    filemap_read, filemap_write_and_wait, generic_perform_write, truncate_pagecache,
};
use crate::mm::mmap::{cpu_access, fork, mprotect, munmap};
use crate::mm::mremap::mremap;
use crate::sched::{Executor, Limits, Policy, RunError};
use crate::trace::{Counters, PackedTrace, Tid, TraceMode};
use crate::version::KernelVersion;
use crate::world::*;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;

/// One thing a simulated thread does. Pages are virtual page numbers of the thread's mm.
/// The `madvise(2)` advice the model has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Madvice {
    /// `MADV_HUGEPAGE`: the range's vmas get `VM_HUGEPAGE`.
    HugePage,
    /// `MADV_FREE`: the range's anonymous pages may be reclaimed lazily, without swap.
    Free,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Move `[start, start + npages)` to device `dev` with one of the three driver strategies.
    Lane {
        strategy: Strategy,
        dev: DevId,
        start: u32,
        npages: u32,
    },
    /// An ioctl on `/dev/hmm_dmirror<dev>` opened by this process. `data` is the WRITE buffer.
    Dmirror {
        dev: DevId,
        cmd: DmirrorCmd,
        start: u32,
        npages: u32,
        data: Vec<u32>,
    },
    CpuRead {
        vpn: u32,
    },
    CpuWrite {
        vpn: u32,
        value: u32,
    },
    Mprotect {
        start: u32,
        npages: u32,
        read: bool,
        write: bool,
    },
    Munmap {
        start: u32,
        npages: u32,
    },
    /// `madvise(start, npages, advice)`.
    Madvise {
        start: u32,
        npages: u32,
        advice: Madvice,
    },
    /// `mremap(start, npages, npages, MREMAP_MAYMOVE | MREMAP_FIXED [| MREMAP_DONTUNMAP], new)`.
    Mremap {
        start: u32,
        npages: u32,
        new: u32,
        dontunmap: bool,
    },
    /// An ioctl on mm/gup_test.c's `/sys/kernel/debug/gup_test` over `[start, start + npages)`, one page per
    /// call, with `FOLL_WRITE` (and `FOLL_LONGTERM` if `longterm`).
    GupTest {
        cmd: GupTestCmd,
        start: u32,
        npages: u32,
        longterm: bool,
    },
    /// fork(): the child is a new mm; later ops of *this* thread keep using the parent.
    Fork,
    /// `pwrite(fd, value, 1 page, index)` to a file of [`Setup::create_file`].
    FileWrite {
        file: u32,
        index: u32,
        value: u32,
    },
    /// `pread` of one page: [`Outcome::Cpu`] `Ok(data)`, or [`Outcome::Ret`] 0 (no bytes) past the end.
    FileRead {
        file: u32,
        index: u32,
    },
    /// `fsync(fd)`: write the dirty folios of a regular file back to disk.
    Fsync {
        file: u32,
    },
    /// `ftruncate(fd, pages)`.
    Truncate {
        file: u32,
        pages: u32,
    },
}

/// What an op returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Ret(i32),
    Cmd(CmdResult),
    /// A CPU access: the value read/written, or the signal as `-EFAULT`.
    Cpu(Result<u32, i32>),
    Forked {
        child: MmId,
    },
}

impl Outcome {
    /// The return code (0 on success, `-errno` otherwise).
    pub fn ret(&self) -> i32 {
        match self {
            Outcome::Ret(r) => *r,
            Outcome::Cmd(c) => c.ret,
            Outcome::Cpu(r) => r.err().unwrap_or(0),
            Outcome::Forked { .. } => 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadSpec {
    pub name: String,
    pub mm: MmId,
    pub ops: Vec<Op>,
}

/// How to run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunConfig {
    pub kernel: KernelVersion,
    pub policy: Policy,
    pub limits: Limits,
    pub trace: TraceMode,
}

impl Default for RunConfig {
    fn default() -> RunConfig {
        RunConfig {
            kernel: KernelVersion::V6_15,
            policy: Policy::RunToBlock,
            limits: Limits::default(),
            trace: TraceMode::Keep,
        }
    }
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct Report {
    /// Every event, packed, unless the run was [`TraceMode::CountersOnly`] (then empty).
    pub events: PackedTrace,
    /// Every event folded, kept or not.
    pub counters: Counters,
    /// Events recorded (kept or not).
    pub steps: u64,
    /// Per thread, the outcome of each op it completed.
    pub outcomes: Vec<Vec<Outcome>>,
    pub result: Result<(), RunError>,
    /// The scheduling choices made: replaying them reproduces `events` exactly.
    pub choices: Vec<Tid>,
    /// The runnable threads at each choice.
    pub choice_points: Vec<Vec<Tid>>,
    pub thread_names: Vec<String>,
    pub world: World,
    /// Invariant breaches: during the run (PTL rule, refcounts) and at rest after it.
    pub violations: Vec<String>,
}

/// Run `threads` on the world of `setup`.
pub fn run(setup: &Setup, threads: &[ThreadSpec], cfg: &RunConfig) -> Report {
    let kernel = Rc::new(Kernel::new(
        cfg.kernel,
        setup.world.clone(),
        cfg.trace,
        cfg.limits.max_steps,
    ));
    // Every device is a dmirror device, and every mirror subscribes with dmirror's callbacks.
    for (dev, d) in setup.world.devices.iter().enumerate() {
        let ops = if d.driver.file_copy_back {
            &DMIRROR_DEVMEM_OPS
        } else {
            &DMIRROR_DEVMEM_OPS_NO_COPY_BACK
        };
        kernel.set_pgmap_ops(dev as DevId, ops);
    }
    for mirror in 0..setup.world.mirrors.len() {
        kernel.set_interval_ops(mirror, &DMIRROR_MIN_OPS);
    }
    let mut exec = Executor::new(kernel.clone(), cfg.limits.clone());
    let outcomes: Rc<RefCell<Vec<Vec<Outcome>>>> =
        Rc::new(RefCell::new(vec![Vec::new(); threads.len()]));
    let mut spawn_error = None;
    for (t, spec) in threads.iter().enumerate() {
        let ops = spec.ops.clone();
        let out = outcomes.clone();
        let mm = spec.mm;
        let spawned = exec.spawn(&spec.name, move |k: Rc<Kernel>| {
            Box::pin(async move {
                for op in ops {
                    let o = run_op(&k, mm, &op).await;
                    out.borrow_mut()[t].push(o);
                }
            })
        });
        if let Err(e) = spawned {
            spawn_error = Some(e);
            break;
        }
    }
    let result = match (setup.errors.first(), spawn_error) {
        (Some(reason), _) => Err(RunError::BadSetup {
            reason: reason.clone(),
        }),
        (None, Some(e)) => Err(e),
        (None, None) => exec.run(&cfg.policy),
    };
    let choices = std::mem::take(&mut exec.choices);
    let choice_points = std::mem::take(&mut exec.choice_points);
    let names = exec.names.clone();
    drop(exec);
    let events = kernel.take_events();
    let counters = kernel.counters.take();
    let steps = kernel.steps.get();
    let mut violations = kernel.violations();
    let kernel = Rc::try_unwrap(kernel)
        .ok()
        .expect("the executor and coroutines are gone");
    let world = kernel.into_world();
    if result.is_ok() {
        violations.extend(invariants::check_at_rest(&world));
    }
    let outcomes = Rc::try_unwrap(outcomes)
        .map(|c| c.into_inner())
        .unwrap_or_default();
    Report {
        events,
        counters,
        steps,
        outcomes,
        result,
        choices,
        choice_points,
        thread_names: names,
        world,
        violations,
    }
}

/// `-EINVAL` for ops whose pages or device fall outside the model, before any kernel path sees them.
fn op_out_of_range(k: &Kernel, op: &Op) -> bool {
    let devices = k.w().devices.len() as DevId;
    match *op {
        Op::Lane {
            dev, start, npages, ..
        }
        | Op::Dmirror {
            dev, start, npages, ..
        } => dev >= devices || !range_ok(start, npages),
        Op::CpuRead { vpn } | Op::CpuWrite { vpn, .. } => !range_ok(vpn, 1),
        Op::Mprotect { start, npages, .. }
        | Op::Munmap { start, npages }
        | Op::Madvise { start, npages, .. } => !range_ok(start, npages),
        Op::Mremap {
            start, npages, new, ..
        } => !range_ok(start, npages) || !range_ok(new, npages),
        Op::GupTest { start, npages, .. } => !range_ok(start, npages),
        Op::Fork => k.w().mms.len() >= MAX_MMS,
        Op::FileWrite { file, index, .. } | Op::FileRead { file, index } => {
            file as usize >= k.w().mappings.len() || !range_ok(index, 1)
        }
        Op::Fsync { file } => file as usize >= k.w().mappings.len(),
        Op::Truncate { file, pages } => {
            file as usize >= k.w().mappings.len() || !range_ok(0, pages)
        }
    }
}

/// Address spaces a run may create (the trace packs mm ids in a byte; lessons need a few).
pub const MAX_MMS: usize = 16;

async fn run_op(k: &Kernel, mm: MmId, op: &Op) -> Outcome {
    if op_out_of_range(k, op) {
        return match op {
            Op::Dmirror { .. } => Outcome::Cmd(CmdResult {
                ret: EINVAL,
                ..CmdResult::default()
            }),
            Op::CpuRead { .. } | Op::CpuWrite { .. } => Outcome::Cpu(Err(EINVAL)),
            _ => Outcome::Ret(EINVAL),
        };
    }
    match *op {
        Op::Lane {
            strategy,
            dev,
            start,
            npages,
        } => {
            let mirror = ensure_mirror(k, dev, mm);
            Outcome::Ret(
                run_strategy(k, strategy, mirror, start, start.saturating_add(npages)).await,
            )
        }
        Op::Dmirror {
            dev,
            cmd,
            start,
            npages,
            ref data,
        } => {
            let mirror = ensure_mirror(k, dev, mm);
            Outcome::Cmd(dmirror_ioctl(k, mirror, cmd, start, npages, data).await)
        }
        Op::CpuRead { vpn } => Outcome::Cpu(cpu_access(k, mm, vpn, None).await),
        Op::CpuWrite { vpn, value } => Outcome::Cpu(cpu_access(k, mm, vpn, Some(value)).await),
        Op::Mprotect {
            start,
            npages,
            read,
            write,
        } => Outcome::Ret(mprotect(k, mm, start, start.saturating_add(npages), read, write).await),
        Op::Munmap { start, npages } => {
            Outcome::Ret(munmap(k, mm, start, start.saturating_add(npages)).await)
        }
        Op::Madvise {
            start,
            npages,
            advice,
        } => {
            let end = start.saturating_add(npages);
            Outcome::Ret(match advice {
                Madvice::HugePage => {
                    crate::mm::huge_memory::madvise_hugepage(k, mm, start, end).await
                }
                Madvice::Free => crate::mm::huge_memory::madvise_free(k, mm, start, end).await,
            })
        }
        Op::Mremap {
            start,
            npages,
            new,
            dontunmap,
        } => Outcome::Ret(mremap(k, mm, start, npages, new, dontunmap).await),
        Op::GupTest {
            cmd,
            start,
            npages,
            longterm,
        } => Outcome::Ret(gup_test_ioctl(k, mm, cmd, start, npages, longterm).await),
        Op::Fork => Outcome::Forked {
            child: fork(k, mm).await,
        },
        Op::FileWrite { file, index, value } => {
            generic_perform_write(k, file, index, value).await;
            Outcome::Ret(0)
        }
        Op::FileRead { file, index } => match filemap_read(k, file, index).await {
            Some(data) => Outcome::Cpu(Ok(data)),
            None => Outcome::Ret(0),
        },
        Op::Fsync { file } => {
            filemap_write_and_wait(k, file).await;
            Outcome::Ret(0)
        }
        Op::Truncate { file, pages } => {
            truncate_pagecache(k, file, pages).await;
            Outcome::Ret(0)
        }
    }
}

/// The mirror of (`dev`, `mm`), opening it (and subscribing its notifier) on first use.
fn ensure_mirror(k: &Kernel, dev: DevId, mm: MmId) -> usize {
    let mirror = open_mirror(&mut k.wm(), dev, mm);
    k.set_interval_ops(mirror, &DMIRROR_MIN_OPS);
    mirror
}
