//! The public face of the simulator: build a scenario, give threads programs, run them under a
//! scheduling policy, and get back the trace, each op's outcome and the final world.
//!
//! Set-up (`Setup`) builds the world directly, as if earlier faults and migrations had happened; it is
//! "before step 0" and records no events. Everything after it is traced.

use crate::drivers::dmirror::{dmirror_ioctl, CmdResult, DmirrorCmd, DEVMEM_CHUNK_PAGES, EINVAL};
use crate::drivers::strategies::{run_strategy, Strategy};
use crate::exec::{Executor, Kernel, KernelVersion, Limits, Policy, RunError};
use crate::invariants;
use crate::mm::mmap::{cpu_access, fork, mprotect, munmap};
use crate::pte::Pte;
use crate::scenario::PageState;
use crate::trace::{Counters, Event, Tid};
use crate::world::*;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;

/// One thing a simulated thread does. Pages are virtual page numbers of the thread's mm.
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
    /// fork(): the child is a new mm; later ops of *this* thread keep using the parent.
    Fork,
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
}

impl Default for RunConfig {
    fn default() -> RunConfig {
        RunConfig {
            kernel: KernelVersion::V6_15,
            policy: Policy::RunToBlock,
            limits: Limits::default(),
        }
    }
}

/// Mapping flags for [`Setup::mmap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prot {
    pub read: bool,
    pub write: bool,
    /// `MAP_SHARED|MAP_ANONYMOUS`.
    pub shared: bool,
}

impl Prot {
    pub const RW: Prot = Prot {
        read: true,
        write: true,
        shared: false,
    };
    pub const RO: Prot = Prot {
        read: true,
        write: false,
        shared: false,
    };
    pub const NONE: Prot = Prot {
        read: false,
        write: false,
        shared: false,
    };
}

/// The world before step 0.
#[derive(Clone, Debug)]
pub struct Setup {
    pub world: World,
    /// Device count (each a private dmirror device with its own owner).
    pub devices: u8,
    /// Requests refused because they break a limit; `run` reports the first as `RunError::BadSetup`.
    pub errors: Vec<String>,
}

/// Devices a scenario may have (`DMIRROR_NDEVICES`).
pub const MAX_DEVICES: u8 = 4;

/// Is `[start, start + npages)` inside the model's address space and page limit?
pub fn range_ok(start: u32, npages: u32) -> bool {
    (npages as usize) <= crate::scenario::MAX_PAGES
        && start
            .checked_add(npages)
            .is_some_and(|end| end <= VPN_LIMIT)
}

/// The device that owns `O` pages in state-string scenarios.
pub const OTHER_DEVICE: DevId = 1;

impl Setup {
    /// One process (mm0) and `devices` dmirror devices, each opened by mm0.
    pub fn new(devices: u8) -> Setup {
        let devices_wanted = devices;
        let devices = devices.min(MAX_DEVICES);
        let mut world = World::new();
        world.new_anon_vma(vec![0]);
        world.mms.push(Mm::new(0, 0));
        for id in 0..devices {
            world.devices.push(Device {
                id,
                free: Vec::new(),
                chunks: Vec::new(),
                calloc: 0,
                cfree: 0,
                fail_alloc: false,
                migrate_to_ram_lock: false,
                migrate_lock: None,
                driver: DriverOpts::default(),
                removing: false,
            });
        }
        let mut s = Setup {
            world,
            devices,
            errors: Vec::new(),
        };
        if devices_wanted > MAX_DEVICES {
            s.errors
                .push(format!("{devices_wanted} devices: at most {MAX_DEVICES}"));
        }
        for dev in 0..devices {
            s.open_mirror(dev, 0);
        }
        s
    }

    /// `open("/dev/hmm_dmirror<dev>")` by process `mm`: a mirror with an interval notifier over the mm.
    pub fn open_mirror(&mut self, dev: DevId, mm: MmId) -> usize {
        open_mirror(&mut self.world, dev, mm)
    }

    /// `mmap` a fixed range.
    pub fn mmap(&mut self, mm: MmId, start: u32, npages: u32, prot: Prot) {
        if !range_ok(start, npages) || npages == 0 || self.world.mms.get(mm as usize).is_none() {
            self.errors.push(format!(
                "mmap of {npages} pages at page {start:#x} of mm{mm} is outside the model"
            ));
            return;
        }
        self.world.mms[mm as usize].vmas.push(Vma {
            start,
            end: start + npages,
            read: prot.read,
            write: prot.write,
            shared: prot.shared,
            special: false,
        });
        self.world.mms[mm as usize].vmas.sort_by_key(|v| v.start);
    }

    /// The standard scenario of a state string: one anonymous RW VMA at [`RANGE_BASE_VPN`], page `i`
    /// holding content `i + 1` unless it reads as zero (`Z`, `N`); `C` pages are shared with a fork child
    /// (mm1); `D` pages live on device 0, `O` pages on device 1.
    pub fn from_states(states: &[PageState]) -> Setup {
        let mut s = Setup::new(2);
        s.mmap(0, RANGE_BASE_VPN, states.len() as u32, Prot::RW);
        for (i, &st) in states.iter().enumerate() {
            s.place(0, RANGE_BASE_VPN + i as u32, st, i as u32 + 1);
        }
        s
    }

    fn child_for_cow(&mut self, parent: MmId) -> MmId {
        if let Some(child) = self
            .world
            .mms
            .iter()
            .position(|m| m.id != parent && m.alive)
        {
            return child as MmId;
        }
        self.world.fork_mm(parent)
    }

    fn set_pte(&mut self, mm: MmId, vpn: u32, pte: Pte) {
        let pmd = (vpn / PTRS_PER_PTE) as usize;
        let table = self.world.mms[mm as usize].pmds[pmd].get_or_insert_with(|| {
            Box::new(PteTable {
                ptes: vec![Pte::None; PTRS_PER_PTE as usize],
                ptl: None,
            })
        });
        table.ptes[(vpn % PTRS_PER_PTE) as usize] = pte;
    }

    fn anon_folio(&mut self, mm: MmId, vpn: u32, content: u32) -> u32 {
        let pfn = self.world.system_pop();
        let av = self.world.mms[mm as usize].anon_vma;
        let f = &mut self.world.frames[pfn as usize];
        f.content = content;
        f.anon_vma = Some(av);
        f.index = vpn;
        f.mapcount = 1;
        f.anon_exclusive = true;
        f.lru = true;
        pfn
    }

    /// Put page `vpn` of `mm` in `state`, holding `content` where it has data.
    pub fn place(&mut self, mm: MmId, vpn: u32, state: PageState, content: u32) {
        if !range_ok(vpn, 1) || self.world.mms.get(mm as usize).is_none() {
            self.errors
                .push(format!("page {vpn:#x} of mm{mm} is outside the model"));
            return;
        }
        if matches!(state, PageState::DevicePrivate | PageState::OtherDevice) && self.devices == 0 {
            self.errors.push(format!(
                "page {vpn:#x} is device-private but the scenario has no device"
            ));
            return;
        }
        let expected = match state {
            PageState::Zero | PageState::None => 0,
            _ => content,
        };
        match state {
            PageState::None => {}
            PageState::Zero => self.set_pte(mm, vpn, Pte::Zero),
            PageState::Present => {
                let pfn = self.anon_folio(mm, vpn, content);
                self.set_pte(
                    mm,
                    vpn,
                    Pte::Present {
                        pfn,
                        write: true,
                        dirty: true,
                    },
                );
            }
            PageState::CowShared => {
                let child = self.child_for_cow(mm);
                let pfn = self.anon_folio(mm, vpn, content);
                let f = &mut self.world.frames[pfn as usize];
                f.refcount = 2;
                f.mapcount = 2;
                f.anon_exclusive = false;
                let ro = Pte::Present {
                    pfn,
                    write: false,
                    dirty: true,
                };
                self.set_pte(mm, vpn, ro);
                self.set_pte(child, vpn, ro);
                self.world.expected.insert((child, vpn), content);
            }
            PageState::Swapped => {
                self.world.swap.push(Some(content));
                let slot = (self.world.swap.len() - 1) as u32;
                self.set_pte(mm, vpn, Pte::Swap { slot });
            }
            PageState::DevicePrivate | PageState::OtherDevice => {
                let dev = if state == PageState::DevicePrivate {
                    0
                } else {
                    OTHER_DEVICE.min(self.devices - 1)
                };
                let pfn = self.world.devmem_pop(dev, DEVMEM_CHUNK_PAGES);
                let av = self.world.mms[mm as usize].anon_vma;
                let f = &mut self.world.frames[pfn as usize];
                f.content = content;
                f.anon_vma = Some(av);
                f.index = vpn;
                f.mapcount = 1;
                f.anon_exclusive = true;
                f.mirror = Some((dev, mm));
                self.set_pte(mm, vpn, Pte::DevicePrivate { pfn, write: true });
                let mirror = self
                    .world
                    .mirror_index(dev, mm)
                    .unwrap_or_else(|| open_mirror(&mut self.world, dev, mm));
                self.world.mirrors[mirror].pt.insert(
                    vpn,
                    DptEntry {
                        pfn,
                        tag: DptTag::Write,
                    },
                );
            }
        }
        self.world.expected.insert((mm, vpn), expected);
    }
}

fn open_mirror(world: &mut World, dev: DevId, mm: MmId) -> usize {
    if let Some(i) = world.mirror_index(dev, mm) {
        return i;
    }
    // mmu_interval_notifier_insert while idle: the subscription starts one behind the mm's sequence.
    let seq = world.mms[mm as usize].invalidate_seq - 1;
    world.mirrors.push(Mirror {
        dev,
        mm,
        pt: Default::default(),
        seq,
        mutex: None,
        filter_own_migrate: true,
    });
    world.mirrors.len() - 1
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct Report {
    pub events: Vec<Event>,
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

impl Report {
    pub fn counters(&self) -> Counters {
        Counters::of(&self.events)
    }
}

/// Run `threads` on the world of `setup`.
pub fn run(setup: &Setup, threads: &[ThreadSpec], cfg: &RunConfig) -> Report {
    let kernel = Rc::new(Kernel::new(cfg.kernel, setup.world.clone()));
    let mut exec = Executor::new(kernel.clone(), cfg.limits.clone());
    let outcomes: Rc<RefCell<Vec<Vec<Outcome>>>> =
        Rc::new(RefCell::new(vec![Vec::new(); threads.len()]));
    let mut spawn_error = None;
    for (t, spec) in threads.iter().enumerate() {
        let ops = spec.ops.clone();
        let out = outcomes.clone();
        let mm = spec.mm;
        let spawned = exec.spawn(&spec.name, mm, move |k: Rc<Kernel>| {
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
        Op::Mprotect { start, npages, .. } | Op::Munmap { start, npages } => {
            !range_ok(start, npages)
        }
        Op::Fork => k.w().mms.len() >= MAX_MMS,
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
        Op::Fork => Outcome::Forked {
            child: fork(k, mm).await,
        },
    }
}

fn ensure_mirror(k: &Kernel, dev: DevId, mm: MmId) -> usize {
    let mut w = k.wm();
    open_mirror(&mut w, dev, mm)
}

/// One page's final state, as lanes are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalPage {
    pub location: PageLocation,
    pub pte: crate::pte::PteKind,
}

/// The driver mm's pages `[start, end)` after a run.
pub fn final_pages(world: &World, mm: MmId, start: u32, end: u32) -> Vec<FinalPage> {
    (start..end)
        .map(|vpn| FinalPage {
            location: world.locate(mm, vpn),
            pte: world.mms[mm as usize].pte(vpn).kind(),
        })
        .collect()
}

/// Where a page ended up, without frame numbers: what "the same final state" means across lanes.
pub fn same_place(a: &FinalPage, b: &FinalPage) -> bool {
    let key = |p: &FinalPage| match p.location {
        PageLocation::Device { dev, content, .. } => (1 + dev as u32, content),
        other => (0, other.content()),
    };
    key(a) == key(b)
}

/// One lane of a comparison.
#[derive(Clone, Debug)]
pub struct LaneRun {
    pub strategy: Strategy,
    pub report: Report,
    pub counters: Counters,
    pub final_pages: Vec<FinalPage>,
}

/// Run the three strategies on the same scenario.
pub fn compare(states: &[PageState], cfg: &RunConfig) -> Vec<LaneRun> {
    let setup = Setup::from_states(states);
    Strategy::ALL
        .iter()
        .map(|&strategy| {
            let thread = ThreadSpec {
                name: strategy.name().to_string(),
                mm: 0,
                ops: vec![Op::Lane {
                    strategy,
                    dev: 0,
                    start: RANGE_BASE_VPN,
                    npages: states.len() as u32,
                }],
            };
            let report = run(&setup, &[thread], cfg);
            let end = RANGE_BASE_VPN + states.len() as u32;
            LaneRun {
                strategy,
                counters: report.counters(),
                final_pages: final_pages(&report.world, 0, RANGE_BASE_VPN, end),
                report,
            }
        })
        .collect()
}

/// Do all lanes end with every page in the same place holding the same data?
pub fn final_states_agree(lanes: &[LaneRun]) -> bool {
    lanes.windows(2).all(|w| {
        w[0].final_pages.len() == w[1].final_pages.len()
            && w[0]
                .final_pages
                .iter()
                .zip(&w[1].final_pages)
                .all(|(a, b)| same_place(a, b))
    })
}

/// How a schedule exploration ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exploration {
    /// Schedules run.
    pub runs: usize,
    /// Every schedule was tried (false: `max_runs` was hit first).
    pub exhaustive: bool,
    /// The choices of the run `visit` stopped at, if it did: a replayable witness.
    pub witness: Option<Vec<Tid>>,
}

/// Depth-first search over scheduling choices (as loom and shuttle's DFS scheduler do): each run replays a
/// prefix of choices and then runs each thread until it blocks; every untried alternative at a later choice
/// point becomes a new prefix. `visit` sees each run's report and returns true to stop (a witness found).
/// At most `max_runs` runs: the limit is reported, never silently hit.
pub fn explore(
    setup: &Setup,
    threads: &[ThreadSpec],
    cfg: &RunConfig,
    max_runs: usize,
    mut visit: impl FnMut(&Report) -> bool,
) -> Exploration {
    let mut stack: Vec<Vec<Tid>> = vec![Vec::new()];
    let mut runs = 0;
    while let Some(prefix) = stack.pop() {
        if runs == max_runs {
            return Exploration {
                runs,
                exhaustive: false,
                witness: None,
            };
        }
        runs += 1;
        let run_cfg = RunConfig {
            policy: Policy::Replay {
                choices: prefix.clone(),
            },
            ..cfg.clone()
        };
        let report = run(setup, threads, &run_cfg);
        if visit(&report) {
            return Exploration {
                runs,
                exhaustive: false,
                witness: Some(report.choices),
            };
        }
        // Push alternatives deepest-last so the search goes depth first in a fixed order.
        for i in (prefix.len()..report.choices.len()).rev() {
            for &alt in report.choice_points[i].iter().rev() {
                if alt != report.choices[i] {
                    let mut p = report.choices[..i].to_vec();
                    p.push(alt);
                    stack.push(p);
                }
            }
        }
    }
    Exploration {
        runs,
        exhaustive: true,
        witness: None,
    }
}
