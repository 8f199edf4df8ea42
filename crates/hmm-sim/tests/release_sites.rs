//! The release-site mutation test: deleting any single lock release in hmm-sim (`unlock`, `up_read`,
//! `up_write`, `folio_unlock`, `mmap_read_unlock`, `mmap_write_unlock`) must make something fail.
//!
//! The release sites are found by scanning hmm-sim's own source, so a new one is picked up automatically.
//! Each must be reached by the workload below (compare lanes on varied scenarios, every dmirror ioctl, CPU
//! faults on device pages under each kernel version, fork / mprotect / munmap, contended multi-thread runs).
//! Then, for each site, the workload runs with that one release skipped (the `mutants` feature's knob, as
//! if the line were deleted) and some run must fail: a `RunError` (a deadlock, usually), or an invariant
//! violation (a lock left held at rest, found by `World::held_locks`; a freed folio still locked; a release
//! by a non-holder).

use hmm_sim::{
    compare, compare_setup, explore, parse_states, run, skip_release_at,
    take_release_sites_reached, BPolicy, DmirrorCmd, DriverOpts, GupTestCmd, KernelVersion, Limits,
    MappingKind, Op, PageState, Policy, Prot, Report, RunConfig, Setup, ThreadSpec, RANGE_BASE_VPN,
};
use std::collections::BTreeSet;

/// Release call sites as (path from `src/`, line).
type Sites = BTreeSet<(String, u32)>;

const RELEASES: [&str; 6] = [
    "unlock(",
    "up_read(",
    "up_write(",
    "folio_unlock(",
    "mmap_read_unlock(",
    "mmap_write_unlock(",
];

/// Release sites no workload reaches, each with why, as (file, function, index of the release within the
/// function). The test checks that each is still unreached (so this list cannot go stale) and leaves it
/// out of the mutation check: a deleted release there would go unnoticed.
const UNREACHED: [(&str, &str, usize, &str); 1] = [(
    "mm/rmap.rs",
    "remove_migration_pte",
    0,
    "the PTE stopped being this folio's migration entry between the rmap walk's look and its PTL: every \
     path that changes a migration entry (zap, fork) takes mmap_lock for write, which the migrating \
     thread holds for read, so the model has no interleaving that reaches it",
)];

/// Every `k.<release>(` call in hmm-sim's source, as (path from `src/`, line). The primitives' own bodies
/// (kernel/locks.rs, kernel/memory.rs) are not sites: they are `#[track_caller]`, so a release is
/// attributed to the path that called it. Sites listed in [`UNREACHED`] are returned apart.
fn release_sites() -> (Sites, Sites) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeSet::new();
    let mut unreached = BTreeSet::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if !rel.ends_with(".rs") || rel.starts_with("kernel/") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source is readable");
            let (mut func, mut index) = (String::new(), 0);
            for (i, line) in text.lines().enumerate() {
                let code = line.trim_start();
                let mut words = code.split_whitespace();
                if !code.starts_with("//") && words.any(|w| w == "fn") {
                    let name = words.next().unwrap_or("").split(['(', '<']).next();
                    func = name.unwrap_or("").to_string();
                    index = 0;
                    continue;
                }
                if code.starts_with("//") {
                    continue;
                }
                if RELEASES.iter().any(|r| code.contains(&format!(".{r}"))) {
                    let site = (rel.clone(), i as u32 + 1);
                    let known = UNREACHED
                        .iter()
                        .any(|&(f, n, k, _)| f == rel && n == func && k == index);
                    if known {
                        unreached.insert(site);
                    } else {
                        out.insert(site);
                    }
                    index += 1;
                }
            }
        }
    }
    (out, unreached)
}

fn cfg(kernel: KernelVersion, policy: Policy) -> RunConfig {
    RunConfig {
        kernel,
        policy,
        limits: Limits {
            max_steps: 200_000,
            max_threads: 8,
        },
        ..RunConfig::default()
    }
}

fn thread(name: &str, ops: Vec<Op>) -> ThreadSpec {
    ThreadSpec {
        name: name.into(),
        mm: 0,
        ops,
    }
}

fn ioctl(cmd: DmirrorCmd, start: u32, npages: u32) -> Op {
    Op::Dmirror {
        dev: 0,
        cmd,
        start,
        npages,
        data: vec![7; npages as usize],
    }
}

const B: u32 = RANGE_BASE_VPN;

fn lane(strategy: hmm_sim::Strategy) -> Op {
    Op::Lane {
        strategy,
        dev: 0,
        start: B,
        npages: 1,
    }
}

/// The workload: every run it makes, in a fixed order. Stops early once `stop` says so.
fn workload(mut stop: impl FnMut(&Report) -> bool) {
    let rr = |k| cfg(k, Policy::RoundRobin);
    // The three lanes on varied scenarios (COW, swap, zero, other device, own device pages).
    for states in [
        "PNSZ", "PNSZDOC", "C*3P", "D*2O*2", "S*3N", "P*520", "H*512",
    ] {
        let states = parse_states(states).unwrap();
        for lane in compare(&states, &RunConfig::default()).lanes {
            if stop(&lane.report) {
                return;
            }
        }
    }
    // THPs: faults under MADV_HUGEPAGE (huge zero page, then a write that splits it; a new THP), munmap of a
    // whole THP (zap_huge_pmd) and of part of one (a split). Migration of THPs splits them in collect (the
    // lanes on H above).
    {
        let mut setup = Setup::from_states(&parse_states("N*1024").unwrap());
        setup.madvise_hugepage(0, B, B + 1024);
        let ops = vec![
            Op::CpuRead { vpn: B },
            Op::CpuWrite {
                vpn: B + 1,
                value: 5,
            },
            Op::CpuWrite {
                vpn: B + 512,
                value: 6,
            },
            Op::Munmap {
                start: B + 512,
                npages: 512,
            },
        ];
        if stop(&run(&setup, &[thread("thp", ops)], &RunConfig::default())) {
            return;
        }
        let setup = Setup::from_states(&parse_states("H*512").unwrap());
        let ops = vec![
            Op::Madvise {
                start: B,
                npages: 512,
                advice: hmm_sim::Madvice::HugePage,
            },
            Op::Madvise {
                start: B,
                npages: 512,
                advice: hmm_sim::Madvice::Free,
            },
            // mprotect of the whole 2 MiB: change_huge_pmd write-protects the PMD under its lock.
            Op::Mprotect {
                start: B,
                npages: 512,
                read: true,
                write: false,
            },
            Op::Munmap {
                start: B + 100,
                npages: 10,
            },
        ];
        if stop(&run(&setup, &[thread("thp", ops)], &RunConfig::default())) {
            return;
        }
    }
    // 6.19's device THPs (kernel 2026): a THP moved whole and faulted back whole; the FAIL_ALLOC fallbacks
    // both ways; a partial munmap of a device-private PMD, then a fault (collect splits the PTE-mapped device
    // folio); an empty 2 MiB and the huge zero page moved as compound holes; MIGRATE_TO_SYS over system
    // THPs (not selected); the lanes on 2026 (no SELECT_COMPOUND: the split fallback).
    {
        let dmirror = |cmd, start, npages| Op::Dmirror {
            dev: 0,
            cmd,
            start,
            npages,
            data: vec![],
        };
        let thp = Setup::from_states(&parse_states("H*1024").unwrap());
        let programs = [
            vec![
                dmirror(DmirrorCmd::MigrateToDev, B, 512),
                Op::CpuRead { vpn: B + 7 },
                dmirror(DmirrorCmd::MigrateToSys, B + 512, 512),
            ],
            vec![
                dmirror(DmirrorCmd::Flags, B, 1),
                dmirror(DmirrorCmd::MigrateToDev, B, 512),
                dmirror(DmirrorCmd::MigrateToDev, B + 512, 512),
                dmirror(DmirrorCmd::Flags, B, 1),
                dmirror(DmirrorCmd::MigrateToSys, B + 512, 512),
            ],
            vec![
                Op::Munmap {
                    start: B,
                    npages: 128,
                },
                dmirror(DmirrorCmd::MigrateToDev, B + 128, 384),
            ],
            vec![
                dmirror(DmirrorCmd::MigrateToDev, B, 1024),
                Op::Munmap {
                    start: B,
                    npages: 256,
                },
                Op::CpuRead { vpn: B + 300 },
                dmirror(DmirrorCmd::Flags, B, 1),
                Op::CpuRead { vpn: B + 600 },
            ],
        ];
        for ops in programs {
            if stop(&run(
                &thp,
                &[thread("thp", ops)],
                &cfg(KernelVersion::Fix2026, Policy::RoundRobin),
            )) {
                return;
            }
        }
        let mut empty = Setup::from_states(&parse_states("N*1024").unwrap());
        empty.madvise_hugepage(0, B, B + 1024);
        let ops = vec![
            Op::CpuRead { vpn: B + 512 },
            dmirror(DmirrorCmd::MigrateToDev, B, 1024),
            Op::CpuRead { vpn: B + 3 },
        ];
        if stop(&run(
            &empty,
            &[thread("thp", ops)],
            &cfg(KernelVersion::Fix2026, Policy::RoundRobin),
        )) {
            return;
        }
        let cfg2026 = RunConfig {
            kernel: KernelVersion::Fix2026,
            ..RunConfig::default()
        };
        for lane in compare(&parse_states("H*512").unwrap(), &cfg2026).lanes {
            if stop(&lane.report) {
                return;
            }
        }
        // drm_pagemap's all-or-nothing lanes ask for no MIGRATE_VMA_SELECT_COMPOUND: collect's fallback
        // split of a PMD-mapped THP on a device-THP kernel.
        let mut split = Setup::from_states(&parse_states("H*512").unwrap());
        split.driver(DriverOpts {
            b_policy: BPolicy::AllOrNothing,
            ..DriverOpts::default()
        });
        for lane in compare_setup(&split, 512, &cfg2026).lanes {
            if stop(&lane.report) {
                return;
            }
        }
    }
    // Lanes with the driver options: own device pages selected, the mutex held across setup, and the
    // read-only fault (legacy A).
    // (Holding the mutex across setup is only deadlock-free where no other invalidation comes: P and N.)
    for (states, opts) in [
        (
            "PDOC",
            DriverOpts {
                select_device_private: true,
                write: false,
                ..DriverOpts::default()
            },
        ),
        (
            "PDOC",
            DriverOpts {
                migrate_to_ram_lock: true,
                ..DriverOpts::default()
            },
        ),
        (
            "PNPN",
            DriverOpts {
                hold_lock_across_setup: true,
                ..DriverOpts::default()
            },
        ),
    ] {
        let mut setup = Setup::from_states(&parse_states(states).unwrap());
        setup.driver(opts);
        for strategy in hmm_sim::Strategy::ALL {
            let lane = Op::Lane {
                strategy,
                dev: 0,
                start: B,
                npages: 4,
            };
            if stop(&run(
                &setup,
                &[thread("lane", vec![lane])],
                &RunConfig::default(),
            )) {
                return;
            }
        }
    }
    // Every dmirror ioctl, in the order the selftests use them.
    let setup = Setup::from_states(&parse_states("PPNZSDOC").unwrap());
    let ops = vec![
        ioctl(DmirrorCmd::Read, B, 8),
        ioctl(DmirrorCmd::Write, B, 8),
        ioctl(DmirrorCmd::Snapshot, B, 8),
        ioctl(DmirrorCmd::MigrateToDev, B, 8),
        ioctl(DmirrorCmd::MigrateToSys, B, 8),
        ioctl(DmirrorCmd::MigrateOnFaultToDev, B, 8),
        ioctl(DmirrorCmd::Release, B, 8),
        ioctl(DmirrorCmd::Exclusive, B, 4),
        ioctl(DmirrorCmd::CheckExclusive, B, 4),
        Op::CpuWrite { vpn: B, value: 9 },
        ioctl(DmirrorCmd::CheckExclusive, B, 4),
        ioctl(DmirrorCmd::MigrateToDev, B + 100, 4), // not mapped: -EINVAL
    ];
    if stop(&run(
        &setup,
        &[thread("selftest", ops)],
        &RunConfig::default(),
    )) {
        return;
    }
    // The ioctls' error paths: unmapped ranges, a page to fault in for EXCLUSIVE, a shmem page, a failing
    // device allocation, a pinned page.
    let mut setup = Setup::from_states(&parse_states("NPDP").unwrap());
    setup.mmap(
        0,
        B + 8,
        2,
        Prot {
            shared: true,
            ..Prot::RW
        },
    );
    setup.place(0, B + 8, PageState::Present, 11);
    let pinned = setup.world.mms[0].pte(B + 3).pfn().unwrap();
    setup.world.frames[pinned as usize].pinned = true;
    let ops = vec![
        ioctl(DmirrorCmd::MigrateToSys, B + 200, 2),
        ioctl(DmirrorCmd::Exclusive, B, 2),
        ioctl(DmirrorCmd::Exclusive, B + 200, 2),
        ioctl(DmirrorCmd::Exclusive, B + 8, 1),
        ioctl(DmirrorCmd::MigrateToDev, B + 3, 1),
        ioctl(DmirrorCmd::MigrateToSys, B + 2, 2),
    ];
    if stop(&run(
        &setup,
        &[thread("errors", ops)],
        &RunConfig::default(),
    )) {
        return;
    }
    let mut setup = Setup::from_states(&parse_states("PPD").unwrap());
    setup.world.devices[0].fail_alloc = true;
    let ops = vec![
        ioctl(DmirrorCmd::MigrateToDev, B, 2),
        Op::CpuRead { vpn: B + 2 },
    ];
    if stop(&run(
        &setup,
        &[thread("fail_alloc", ops)],
        &RunConfig::default(),
    )) {
        return;
    }
    // CPU faults on device pages and on mprotect'ed, forked and unmapped memory, per kernel version, alone
    // and with two CPUs contending for one device page (6.15's trylock loser, 6.18's sleeper).
    for kernel in KernelVersion::ALL {
        let setup = Setup::from_states(&parse_states("DDPPC").unwrap());
        let ops = vec![
            Op::CpuRead { vpn: B },
            Op::CpuWrite {
                vpn: B + 1,
                value: 5,
            },
            Op::Fork,
            Op::CpuWrite {
                vpn: B + 2,
                value: 6,
            },
            Op::CpuWrite {
                vpn: B + 4,
                value: 6,
            },
            Op::Mprotect {
                start: B + 2,
                npages: 2,
                read: true,
                write: false,
            },
            Op::CpuWrite {
                vpn: B + 3,
                value: 6,
            }, // SIGSEGV
            Op::Munmap {
                start: B + 2,
                npages: 3,
            },
            Op::CpuRead { vpn: B + 4 }, // SIGSEGV
            Op::Mprotect {
                start: B,
                npages: 2,
                read: true,
                write: false,
            },
            Op::Mprotect {
                start: B,
                npages: 2,
                read: true,
                write: true,
            },
            Op::CpuWrite { vpn: B, value: 8 }, // do_wp_page reuses the exclusive page
            // mremap into another PTE table: move_ptes nests the second PTL.
            Op::Mremap {
                start: B,
                npages: 2,
                new: B + 0x400,
                dontunmap: true,
            },
            Op::CpuRead { vpn: B + 0x400 },
            // GUP on the emptied old range: gup_fast falls back to the slow path, which faults.
            Op::GupTest {
                cmd: GupTestCmd::PinFastBenchmark,
                start: B,
                npages: 1,
                longterm: true,
            },
            Op::GupTest {
                cmd: GupTestCmd::GupBasicTest,
                start: B + 1,
                npages: 1,
                longterm: false,
            },
        ];
        if stop(&run(&setup, &[thread("cpu", ops)], &rr(kernel))) {
            return;
        }
        let setup = Setup::from_states(&[PageState::DevicePrivate]);
        let readers: Vec<ThreadSpec> = (0..2)
            .map(|t| thread(&format!("cpu{t}"), vec![Op::CpuRead { vpn: B }]))
            .collect();
        let report = run(&setup, &readers, &rr(kernel));
        // ≤6.14 livelocks here by design (tests/livelock.rs); only the completing versions count.
        if report.result.is_ok() && stop(&report) {
            return;
        }
    }
    // wp_page_reuse: the fork child unmaps its half of a COW page, then the parent writes it.
    let setup = Setup::from_states(&parse_states("C").unwrap());
    let threads = [
        ThreadSpec {
            name: "child".into(),
            mm: 1,
            ops: vec![Op::Munmap {
                start: B,
                npages: 1,
            }],
        },
        thread("parent", vec![Op::CpuWrite { vpn: B, value: 4 }]),
    ];
    if stop(&run(&setup, &threads, &RunConfig::default())) {
        return;
    }
    // migrate_vma_setup refusing a special (VM_IO|VM_PFNMAP-like) VMA, in both ioctl directions.
    let mut setup = Setup::from_states(&parse_states("PP").unwrap());
    setup.world.mms[0].vmas[0].special = true;
    let ops = vec![
        ioctl(DmirrorCmd::MigrateToDev, B, 2),
        ioctl(DmirrorCmd::MigrateToSys, B, 2),
    ];
    if stop(&run(
        &setup,
        &[thread("special", ops)],
        &RunConfig::default(),
    )) {
        return;
    }
    // Races that only some interleavings show (a PTE changed between a lockless read and its PTL):
    // every schedule of two threads, depth first.
    let races: [(&str, KernelVersion, Op, Op); 8] = [
        (
            "P",
            KernelVersion::V6_15,
            ioctl(DmirrorCmd::Exclusive, B, 1),
            ioctl(DmirrorCmd::MigrateToDev, B, 1),
        ),
        (
            "D",
            KernelVersion::V6_14,
            Op::CpuRead { vpn: B },
            ioctl(DmirrorCmd::MigrateToSys, B, 1),
        ),
        (
            "N",
            KernelVersion::V6_15,
            lane(hmm_sim::Strategy::Unified),
            Op::CpuWrite { vpn: B, value: 1 },
        ),
        (
            "N",
            KernelVersion::V6_15,
            lane(hmm_sim::Strategy::LegacyB),
            Op::CpuWrite { vpn: B, value: 1 },
        ),
        (
            "N",
            KernelVersion::V6_15,
            Op::CpuWrite { vpn: B, value: 1 },
            Op::CpuWrite { vpn: B, value: 2 },
        ),
        (
            "D",
            KernelVersion::Fix2026,
            Op::CpuRead { vpn: B },
            Op::CpuRead { vpn: B },
        ),
        (
            "P",
            KernelVersion::V6_15,
            ioctl(DmirrorCmd::Exclusive, B, 1),
            Op::CpuWrite { vpn: B, value: 1 },
        ),
        (
            "C",
            KernelVersion::V6_15,
            lane(hmm_sim::Strategy::LegacyA),
            Op::Fork,
        ),
    ];
    // 6.19's device THPs (kernel 2026): two CPU faults on one device-private PMD (the loser finds the folio
    // locked, or the PMD gone), MIGRATE_TO_SYS meeting a device THP a fault has locked, and a CPU write
    // mapping a PTE table where a compound hole was collected.
    let thp_races: [(&str, Vec<Op>, Vec<Op>); 3] = [
        (
            "H*512",
            vec![
                ioctl(DmirrorCmd::MigrateToDev, B, 512),
                Op::CpuRead { vpn: B + 1 },
            ],
            vec![Op::CpuRead { vpn: B + 2 }],
        ),
        (
            "H*512",
            vec![
                ioctl(DmirrorCmd::MigrateToDev, B, 512),
                ioctl(DmirrorCmd::MigrateToSys, B, 512),
            ],
            vec![Op::CpuRead { vpn: B + 2 }],
        ),
        (
            "N*512",
            vec![ioctl(DmirrorCmd::MigrateToDev, B, 512)],
            vec![Op::CpuWrite {
                vpn: B + 5,
                value: 1,
            }],
        ),
    ];
    for (states, a, b) in thp_races {
        let setup = Setup::from_states(&parse_states(states).unwrap());
        let threads = [thread("a", a), thread("b", b)];
        let mut stopped = false;
        let mut cfg = cfg(KernelVersion::Fix2026, Policy::RunToBlock);
        cfg.limits.max_steps = 200_000;
        explore(&setup, &threads, &cfg, 60, |r| {
            let spun = matches!(r.result, Err(hmm_sim::RunError::StepLimit { .. }));
            stopped = !spun && stop(r);
            stopped
        });
        if stopped {
            return;
        }
    }
    for (states, kernel, a, b) in races {
        let setup = Setup::from_states(&parse_states(states).unwrap());
        let threads = [thread("a", vec![a]), thread("b", vec![b])];
        let mut stopped = false;
        let mut cfg = cfg(kernel, Policy::RunToBlock);
        cfg.limits.max_steps = 20_000;
        // Past the replayed prefix the explorer runs each thread until it blocks, so a thread that
        // retries without sleeping (hmm's -EBUSY rewalk, a re-fault) can spin forever there: those
        // schedules hit the step limit by construction and say nothing about locks. The others count.
        explore(&setup, &threads, &cfg, 400, |r| {
            let spun = matches!(r.result, Err(hmm_sim::RunError::StepLimit { .. }));
            stopped = !spun && stop(r);
            stopped
        });
        if stopped {
            return;
        }
    }
    // Files: read/write(2), faults on shared and private mappings of a regular file and of shmem, fsync
    // (folio_mkclean's walk) and truncate; then two threads racing to fault the same file page.
    for kind in [MappingKind::File, MappingKind::Shmem] {
        let mut setup = Setup::new(1);
        let file = setup.create_file(kind, 4);
        setup.mmap_file(
            0,
            B,
            4,
            Prot {
                shared: true,
                ..Prot::RW
            },
            file,
            0,
        );
        setup.mmap_file(0, B + 8, 4, Prot::RW, file, 0);
        let ops = vec![
            Op::FileWrite {
                file,
                index: 0,
                value: 5,
            },
            Op::FileRead { file, index: 0 },
            Op::FileRead { file, index: 1 },
            Op::CpuRead { vpn: B + 2 },
            Op::CpuWrite {
                vpn: B + 2,
                value: 6,
            },
            Op::CpuWrite {
                vpn: B + 3,
                value: 7,
            },
            Op::CpuWrite {
                vpn: B + 9,
                value: 8,
            },
            Op::Fsync { file },
            Op::CpuWrite {
                vpn: B + 2,
                value: 9,
            },
            Op::Truncate { file, pages: 1 },
        ];
        if stop(&run(&setup, &[thread("file", ops)], &RunConfig::default())) {
            return;
        }
        let both = |v| {
            vec![
                Op::CpuWrite {
                    vpn: B + 1,
                    value: v,
                },
                Op::Fsync { file },
            ]
        };
        let threads = [thread("a", both(1)), thread("b", both(2))];
        let mut stopped = false;
        explore(
            &setup,
            &threads,
            &cfg(KernelVersion::Fix2026, Policy::RunToBlock),
            200,
            |r| {
                stopped = stop(r);
                stopped
            },
        );
        if stopped {
            return;
        }
    }
    // Contention: a lane, a CPU writer and a snapshot racing over the same pages, under several schedules.
    for seed in 0..24 {
        let mut setup = Setup::from_states(&parse_states("PPDSC").unwrap());
        setup.mmap(0, B + 64, 4, Prot::RW);
        let threads = [
            thread(
                "lane",
                vec![Op::Lane {
                    strategy: hmm_sim::Strategy::ALL[seed as usize % 3],
                    dev: 0,
                    start: B,
                    npages: 5,
                }],
            ),
            thread(
                "cpu",
                vec![
                    Op::CpuWrite {
                        vpn: B + 1,
                        value: 3,
                    },
                    Op::Fork,
                ],
            ),
            thread(
                "dev",
                vec![
                    ioctl(DmirrorCmd::Snapshot, B, 5),
                    ioctl(DmirrorCmd::Read, B, 5),
                ],
            ),
        ];
        let report = run(
            &setup,
            &threads,
            &cfg(KernelVersion::Fix2026, Policy::Random { seed }),
        );
        if stop(&report) {
            return;
        }
    }
}

fn failed(r: &Report) -> bool {
    r.result.is_err() || !r.violations.is_empty()
}

#[test]
fn deleting_any_single_release_makes_something_fail() {
    let (sites, known_unreached) = release_sites();
    assert!(
        sites.len() > 40,
        "the scan found only {} release sites",
        sites.len()
    );
    assert_eq!(
        known_unreached.len(),
        UNREACHED.len(),
        "an UNREACHED entry names no release site"
    );

    // Baseline: the unmutated workload is clean, and reaches every release site.
    skip_release_at(None);
    take_release_sites_reached();
    let mut dirty = Vec::new();
    workload(|r| {
        if failed(r) {
            dirty.push(format!("{:?} {:?}", r.result, r.violations));
        }
        false
    });
    assert!(dirty.is_empty(), "the unmutated workload fails: {dirty:#?}");
    let reached: BTreeSet<(String, u32)> = take_release_sites_reached()
        .into_iter()
        .map(|(file, line)| {
            let file = file.replace('\\', "/");
            let rel = file
                .rsplit_once("src/")
                .map_or(file.clone(), |(_, r)| r.to_string());
            (rel, line)
        })
        .collect();
    let unreached: Vec<_> = sites.difference(&reached).collect();
    assert!(
        unreached.is_empty(),
        "release sites the workload never reaches: {unreached:#?}"
    );
    let now_reached: Vec<_> = known_unreached.intersection(&reached).collect();
    assert!(
        now_reached.is_empty(),
        "UNREACHED sites the workload now reaches: {now_reached:#?}"
    );
    let unknown: Vec<_> = reached
        .difference(&sites)
        .filter(|s| !known_unreached.contains(s))
        .collect();
    assert!(
        unknown.is_empty(),
        "releases reached at sites the scan missed: {unknown:#?}"
    );

    // Each site deleted in turn: some run must fail.
    let mut survivors = Vec::new();
    for (file, line) in &sites {
        skip_release_at(Some((format!("src/{file}"), *line)));
        let mut caught = false;
        workload(|r| {
            caught = failed(r);
            caught
        });
        skip_release_at(None);
        if !caught {
            survivors.push(format!("src/{file}:{line}"));
        }
    }
    eprintln!(
        "release sites: {}, caught: {}",
        sites.len(),
        sites.len() - survivors.len()
    );
    assert!(
        survivors.is_empty(),
        "deleting these releases fails nothing: {survivors:#?}"
    );
}

/// The example: the anon_vma read lock of `try_to_migrate` left held is caught as a lock held at
/// rest.
#[test]
fn a_leaked_anon_vma_lock_in_try_to_migrate_is_caught() {
    let text = include_str!("../src/mm/rmap.rs");
    let start = text
        .find("pub async fn try_to_migrate(")
        .expect("try_to_migrate");
    let offset = text[start..].find("k.up_read(lock)").expect("its up_read") + start;
    let line = text[..offset].lines().count() as u32;
    skip_release_at(Some(("src/mm/rmap.rs".into(), line)));
    let lanes = compare(&parse_states("PPC").unwrap(), &RunConfig::default()).lanes;
    skip_release_at(None);
    let violations: Vec<&String> = lanes.iter().flat_map(|l| &l.report.violations).collect();
    assert!(
        violations
            .iter()
            .any(|v| v.contains("anon_vma") && v.contains("still held")),
        "{violations:?}"
    );
}
