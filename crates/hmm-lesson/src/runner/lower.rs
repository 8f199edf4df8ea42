//! Lowering: the lesson's scenario and actions become hmm-sim's set-up, ops, thread specs and policies.
//! No running and no observing here; only translation between the two vocabularies.

use crate::model::{
    DmirrorCmd, DriverSettings, FileKind, KernelVersion, LessonLimits, Pages, Pattern, Scenario,
    Schedule, Strategy, Verb, VmaKind, VmaProt,
};
use hmm_sim::PageState;
use hmm_sim::RANGE_BASE_VPN;
use hmm_sim::{DriverOpts, RunConfig, Setup, ThreadSpec};
use hmm_sim::{Limits, Policy};

/// The id hmm-sim gives the scenario's file (created before anything else).
pub const SCENARIO_FILE: u32 = 0;

/// The virtual page number of page `page` of the scenario's range.
pub fn vpn(page: usize) -> u32 {
    RANGE_BASE_VPN + page as u32
}

/// Content tokens are `u32` in the simulator.
pub fn token(p: Pattern, page: usize) -> u32 {
    p.value(page) as u32
}

fn read_write(prot: VmaProt) -> (bool, bool) {
    match prot {
        VmaProt::ReadWrite => (true, true),
        VmaProt::Read => (true, false),
        VmaProt::None => (false, false),
    }
}

/// The world before step 0: the scenario's vmas, pages and driver settings.
pub fn scenario_setup(sc: &Scenario) -> Result<Setup, String> {
    let states = &sc.states;
    if states.contains(&PageState::OtherDevice) && sc.devices < 2 {
        return Err("`O` pages live on device 1: the scenario needs devices = 2".into());
    }
    if states.contains(&PageState::DevicePrivate) && sc.devices < 1 {
        return Err("`D` pages live on device 0: the scenario needs devices >= 1".into());
    }
    let mut setup = Setup::new(sc.devices as u8);
    // The scenario's file is created first, so it is file SCENARIO_FILE.
    if let Some(kind) = sc.file {
        let kind = match kind {
            FileKind::Tmpfs => hmm_sim::MappingKind::Shmem,
            FileKind::Disk => hmm_sim::MappingKind::File,
        };
        setup.create_file(kind, states.len() as u32);
    }
    for v in &sc.vmas {
        let (read, write) = read_write(v.prot);
        let shared = matches!(v.kind, VmaKind::AnonShared | VmaKind::FileShared);
        let prot = hmm_sim::Prot {
            read,
            write,
            shared,
        };
        let (start, npages) = (vpn(v.pages.start), v.pages.len() as u32);
        match v.kind {
            VmaKind::AnonPrivate | VmaKind::AnonShared => setup.mmap(0, start, npages, prot),
            VmaKind::DmirrorMmap => {
                if sc.devices < 1 {
                    return Err(
                        "a dmirror_mmap vma maps /dev/hmm_dmirror0: the scenario needs devices >= 1"
                            .into(),
                    );
                }
                if v.pages.iter().any(|p| states[p] != PageState::None) {
                    return Err(format!(
                        "pages {}..{} of the dmirror_mmap vma hold the driver's zeroed pages: leave them N in scenario.states",
                        v.pages.start, v.pages.end
                    ));
                }
                setup.mmap_dmirror(0, 0, start, npages, prot);
            }
            VmaKind::FileShared | VmaKind::FilePrivate => {
                let pgoff = v.pages.start as u32;
                setup.mmap_file(0, start, npages, prot, SCENARIO_FILE, pgoff)
            }
        }
    }
    for (p, st) in states.iter().enumerate() {
        if *st != PageState::None {
            setup.place(0, vpn(p), *st, token(sc.content, p));
        }
    }
    setup.driver(driver_opts(&sc.driver));
    if let Some(e) = setup.errors.first() {
        return Err(format!("the simulator refused the scenario: {e}"));
    }
    Ok(setup)
}

pub fn config(kernel: KernelVersion, limits: &LessonLimits, policy: Policy) -> RunConfig {
    RunConfig {
        kernel,
        policy,
        limits: Limits {
            max_steps: limits.steps,
            max_threads: crate::limits::MAX_THREADS + 1,
        },
        ..RunConfig::default()
    }
}

/// The process an action runs in (None: the test process).
pub fn process_of(verb: &Verb) -> Option<&str> {
    match verb {
        Verb::Dmirror { proc, .. } | Verb::CpuRead { proc, .. } | Verb::CpuWrite { proc, .. } => {
            proc.as_deref()
        }
        _ => None,
    }
}

/// How many simulator ops [`sim_ops`] makes of `verb` (without making them).
pub fn op_count(verb: &Verb) -> u64 {
    match verb {
        Verb::CpuRead { pages, .. }
        | Verb::CpuWrite { pages, .. }
        | Verb::FileRead { pages }
        | Verb::FileWrite { pages, .. } => pages.len() as u64,
        Verb::Dmirror { pages, .. } => pages.len() as u64 + 1,
        _ => 1,
    }
}

/// The simulator ops one action stands for (CPU accesses are one op per page). `mirror` is the test's
/// user-space buffer, which `WRITE` sends.
pub fn sim_ops(verb: &Verb, mirror: &[u64]) -> Result<Vec<hmm_sim::Op>, String> {
    Ok(match verb {
        Verb::Dmirror {
            cmd, dev, pages, ..
        } => {
            let data = if *cmd == DmirrorCmd::Write {
                pages.iter().map(|p| mirror[p] as u32).collect()
            } else {
                Vec::new()
            };
            vec![hmm_sim::Op::Dmirror {
                dev: *dev as u8,
                cmd: *cmd,
                start: vpn(pages.start),
                npages: pages.len() as u32,
                data,
            }]
        }
        Verb::CpuRead { pages, .. } => pages
            .iter()
            .map(|p| hmm_sim::Op::CpuRead { vpn: vpn(p) })
            .collect(),
        Verb::CpuWrite { pages, value, .. } => pages
            .iter()
            .map(|p| hmm_sim::Op::CpuWrite {
                vpn: vpn(p),
                value: token(*value, p),
            })
            .collect(),
        Verb::Mprotect { pages, prot } => {
            let (read, write) = read_write(*prot);
            vec![hmm_sim::Op::Mprotect {
                start: vpn(pages.start),
                npages: pages.len() as u32,
                read,
                write,
            }]
        }
        Verb::Madvise { pages, advice } => vec![hmm_sim::Op::Madvise {
            start: vpn(pages.start),
            npages: pages.len() as u32,
            advice: *advice,
        }],
        Verb::Munmap { pages } => vec![hmm_sim::Op::Munmap {
            start: vpn(pages.start),
            npages: pages.len() as u32,
        }],
        Verb::Mremap {
            pages,
            to,
            dontunmap,
        } => vec![hmm_sim::Op::Mremap {
            start: vpn(pages.start),
            npages: pages.len() as u32,
            new: vpn(*to),
            dontunmap: *dontunmap,
        }],
        Verb::GupTest {
            cmd,
            pages,
            longterm,
        } => vec![hmm_sim::Op::GupTest {
            cmd: *cmd,
            start: vpn(pages.start),
            npages: pages.len() as u32,
            longterm: *longterm,
        }],
        Verb::Fork => vec![hmm_sim::Op::Fork],
        Verb::FileRead { pages } => pages
            .iter()
            .map(|p| hmm_sim::Op::FileRead {
                file: SCENARIO_FILE,
                index: p as u32,
            })
            .collect(),
        Verb::FileWrite { pages, value } => pages
            .iter()
            .map(|p| hmm_sim::Op::FileWrite {
                file: SCENARIO_FILE,
                index: p as u32,
                value: token(*value, p),
            })
            .collect(),
        Verb::Fsync => vec![hmm_sim::Op::Fsync {
            file: SCENARIO_FILE,
        }],
        Verb::Truncate { pages } => vec![hmm_sim::Op::Truncate {
            file: SCENARIO_FILE,
            pages: *pages as u32,
        }],
        Verb::Lane { .. } | Verb::Mirror { .. } | Verb::Run { .. } => {
            return Err("this action cannot be queued on a thread".into())
        }
    })
}

/// The lesson's driver settings as hmm-sim's driver options (`Setup::driver` applies them to every mirror
/// and device).
pub fn driver_opts(d: &DriverSettings) -> DriverOpts {
    DriverOpts {
        write: d.write,
        b_policy: d.b_policy,
        rfc_v1_driver: d.rfc_v1,
        unified_entry: d.unified_entry,
        select_device_private: d.select.device_private,
        hold_lock_across_setup: d.lock_across_setup,
        filter_own_migrate: d.owner_filter,
        migrate_to_ram_lock: d.fault_lock,
        file_copy_back: d.file_copy_back,
    }
}

/// Refuse driver settings hmm-sim's strategies do not model, rather than silently ignoring them.
pub fn check_driver(d: &DriverSettings) -> Result<(), String> {
    if !d.select.system {
        return Err("hmm-sim's lane strategies always select MIGRATE_VMA_SELECT_SYSTEM".into());
    }
    if let Some(why) = driver_opts(d).conflict() {
        return Err(why);
    }
    Ok(())
}

/// The one thread of a lane run: the strategy over `pages`, as the driver's owner device.
pub fn lane_thread(lane: Strategy, driver: &DriverSettings, pages: Pages) -> ThreadSpec {
    ThreadSpec {
        name: lane.name().into(),
        mm: 0,
        ops: vec![hmm_sim::Op::Lane {
            strategy: lane,
            dev: driver.owner as u8,
            start: vpn(pages.start),
            npages: pages.len() as u32,
        }],
    }
}

/// The scheduler of a `run`. `threads` are the queued threads' names in spawn order (thread ids follow it).
pub fn policy(schedule: &Schedule, threads: &[&str]) -> Result<Policy, String> {
    Ok(match schedule {
        Schedule::RoundRobin => Policy::RoundRobin,
        Schedule::Random { seed } => Policy::Random { seed: *seed },
        Schedule::Replay { choices } => {
            let mut tids = Vec::new();
            for c in choices {
                let t = threads
                    .iter()
                    .position(|q| q == c)
                    .ok_or(format!("no thread {c} in this run"))?;
                tids.push(t as u8);
            }
            Policy::Replay { choices: tids }
        }
    })
}
