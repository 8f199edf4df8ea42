#![cfg(not(target_arch = "wasm32"))] // proptest is a native-only dev-dependency
//! Random programs on random scenarios (4 KiB pages, files, and 2 MiB THPs): whatever the ops (lanes, every dmirror ioctl, CPU loads and stores,
//! mprotect, munmap, fork) and whatever the schedule, the simulator never panics, and every run that
//! completes leaves every invariant holding and every page's content intact.

use hmm_sim::DmirrorCmd;
use hmm_sim::GupTestCmd;
use hmm_sim::KernelVersion;
use hmm_sim::PageState;
use hmm_sim::Strategy as LaneStrategy;
use hmm_sim::RANGE_BASE_VPN;
use hmm_sim::{run, DriverOpts, MappingKind, Op, Prot, RunConfig, Setup, ThreadSpec};
use hmm_sim::{Limits, Policy, RunError};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

const PAGES: u32 = 12;

/// Ops a thread may run; its dmirror ioctls use device `ioctl_dev`.
///
/// Device WRITEs only run when the program has a single thread: test_hmm filters its own device's
/// `MMU_NOTIFY_MIGRATE`, so a WRITE racing a migration of one of that device's pages (an ioctl, or a
/// `migrate_to_ram` another thread's fault started) can store through a device mapping of the page being
/// copied, and the store is lost. That is the test driver's design (the selftests never race it), shown by
/// `test_hmm_write_races_its_own_migration` below, not a kernel-model bug, so the property excludes it.
fn op(ioctl_dev: u8, writes: bool) -> impl Strategy<Value = Op> {
    let cmds: Vec<DmirrorCmd> = DmirrorCmd::ALL
        .into_iter()
        .filter(|&c| writes || c != DmirrorCmd::Write)
        .collect();
    let page = 0..PAGES;
    let span = (0..PAGES, 1..PAGES);
    let span_gup = span.clone();
    prop_oneof![
        (
            prop::sample::select(LaneStrategy::ALL.to_vec()),
            0u8..2,
            span.clone()
        )
            .prop_map(|(strategy, dev, (s, n))| {
                Op::Lane {
                    strategy,
                    dev,
                    start: RANGE_BASE_VPN + s,
                    npages: n.min(PAGES - s),
                }
            }),
        (prop::sample::select(cmds), Just(ioctl_dev), span.clone()).prop_map(
            |(cmd, dev, (s, n))| {
                let npages = n.min(PAGES - s);
                Op::Dmirror {
                    dev,
                    cmd,
                    start: RANGE_BASE_VPN + s,
                    npages,
                    data: (0..npages).map(|i| 0x5000 + i).collect(),
                }
            }
        ),
        page.clone().prop_map(|p| Op::CpuRead {
            vpn: RANGE_BASE_VPN + p
        }),
        (page.clone(), any::<u16>()).prop_map(|(p, v)| Op::CpuWrite {
            vpn: RANGE_BASE_VPN + p,
            value: v as u32
        }),
        (span.clone(), any::<bool>(), any::<bool>()).prop_map(|((s, n), read, write)| {
            Op::Mprotect {
                start: RANGE_BASE_VPN + s,
                npages: n.min(PAGES - s),
                read,
                write,
            }
        }),
        span.clone().prop_map(|(s, n)| Op::Munmap {
            start: RANGE_BASE_VPN + s,
            npages: n.min(PAGES - s)
        }),
        // mremap to anywhere from inside the range (overlapping: -EINVAL; over other pages: they are
        // unmapped first) to past its end, with or without MREMAP_DONTUNMAP.
        (span, 0..2 * PAGES, any::<bool>()).prop_map(|((s, n), t, dontunmap)| Op::Mremap {
            start: RANGE_BASE_VPN + s,
            npages: n.min(PAGES - s),
            new: RANGE_BASE_VPN + t,
            dontunmap,
        }),
        (
            prop::sample::select(GupTestCmd::ALL.to_vec()),
            span_gup,
            any::<bool>()
        )
            .prop_map(|(cmd, (s, n), longterm)| Op::GupTest {
                cmd,
                start: RANGE_BASE_VPN + s,
                npages: n.min(PAGES - s),
                longterm,
            }),
        Just(Op::Fork),
    ]
}

proptest! {
    // A fixed seed keeps CI repeatable; PROPTEST_CASES and a different seed explore further.
    #![proptest_config(ProptestConfig { cases: 256, rng_seed: RngSeed::Fixed(0x686d_6d76), ..ProptestConfig::default() })]
    #[test]
    fn random_programs_keep_invariants(
        states in prop::collection::vec(prop::sample::select(PageState::PER_PAGE.to_vec()), PAGES as usize),
        single in prop::collection::vec(op(0, true), 1..6),
        a in prop::collection::vec(op(0, false), 1..6),
        b in prop::collection::vec(op(1, false), 0..4),
        two_threads in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let setup = Setup::from_states(&states);
        let threads = if two_threads {
            vec![ThreadSpec { name: "a".into(), mm: 0, ops: a }, ThreadSpec { name: "b".into(), mm: 0, ops: b }]
        } else {
            vec![ThreadSpec { name: "single".into(), mm: 0, ops: single }]
        };
        let cfg = RunConfig { policy: Policy::Random { seed }, limits: Limits { max_steps: 400_000, max_threads: 4 }, ..RunConfig::default() };
        let r = run(&setup, &threads, &cfg);
        match &r.result {
            Ok(()) => prop_assert!(r.violations.is_empty(), "{:?}", &r.violations[..r.violations.len().min(4)]),
            // A deadlock or a step-bound hit is a finding worth a look, not a panic: report it.
            Err(RunError::Deadlock { blocked }) => prop_assert!(false, "deadlock: {blocked:?}"),
            Err(e) => prop_assert!(false, "{e}"),
        }
    }
}

/// File operations: `read(2)`, `write(2)`, `fsync` and `truncate` of one file (tmpfs or a regular file on
/// disk), mixed with the ops above over a `MAP_SHARED` mapping of its first half and a `MAP_PRIVATE`
/// mapping of the same pages: page-cache folios keep their index, mapping and dirty data
/// (`check_page_cache`, part of the at-rest check), whatever the schedule.
fn file_op() -> impl Strategy<Value = Op> {
    let index = 0..PAGES / 2 + 2; // a little past the end of the file too
    prop_oneof![
        (index.clone(), any::<u16>()).prop_map(|(index, v)| Op::FileWrite {
            file: 0,
            index,
            value: 0x9000 + v as u32
        }),
        index.prop_map(|index| Op::FileRead { file: 0, index }),
        Just(Op::Fsync { file: 0 }),
        (0..PAGES / 2 + 1).prop_map(|pages| Op::Truncate { file: 0, pages }),
    ]
}

fn file_program_op() -> impl Strategy<Value = Op> {
    prop_oneof![op(0, false), file_op()]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, rng_seed: RngSeed::Fixed(0x6669_6c65), ..ProptestConfig::default() })]
    #[test]
    fn random_file_programs_keep_invariants(
        disk in any::<bool>(),
        a in prop::collection::vec(file_program_op(), 1..8),
        b in prop::collection::vec(file_program_op(), 0..5),
        seed in any::<u64>(),
        kernel in prop::sample::select(vec![KernelVersion::V6_15, KernelVersion::FileRfc]),
        file_copy_back in any::<bool>(),
    ) {
        let mut setup = Setup::new(2);
        // On the file-backed RFC the migrations move page-cache folios to the device, and every read,
        // write, fsync and truncate may meet one there.
        setup.driver(DriverOpts { file_copy_back, ..DriverOpts::default() });
        let kind = if disk { MappingKind::File } else { MappingKind::Shmem };
        let file = setup.create_file(kind, PAGES / 2);
        let half = PAGES / 2;
        setup.mmap_file(0, RANGE_BASE_VPN, half, Prot { shared: true, ..Prot::RW }, file, 0);
        setup.mmap_file(0, RANGE_BASE_VPN + half, half, Prot::RW, file, 0);
        let threads = vec![ThreadSpec { name: "a".into(), mm: 0, ops: a }, ThreadSpec { name: "b".into(), mm: 0, ops: b }];
        let cfg = RunConfig { kernel, policy: Policy::Random { seed }, limits: Limits { max_steps: 400_000, max_threads: 4 }, ..RunConfig::default() };
        let r = run(&setup, &threads, &cfg);
        match &r.result {
            Ok(()) => prop_assert!(r.violations.is_empty(), "{:?}", &r.violations[..r.violations.len().min(4)]),
            Err(RunError::Deadlock { blocked }) => prop_assert!(false, "deadlock: {blocked:?}"),
            Err(e) => prop_assert!(false, "{e}"),
        }
    }
}

/// The race the property above excludes, pinned down: thread a's fault on device 1's page starts device 1's
/// `migrate_to_ram`; thread b's device-1 WRITE snapshots the page before it is collected (an owner's
/// device-private page is reported without a fault), passes `read_retry` because device 1's own MIGRATE
/// invalidation is filtered, maps the old device page and writes into it after it was copied: the write is
/// lost. The content invariant catches it.
#[test]
fn test_hmm_write_races_its_own_migration() {
    let mut setup = Setup::from_states(&hmm_sim::parse_states("PPPPDPPOPNON").unwrap());
    // The schedule below was found with legacy A faulting with write intent.
    setup.driver(hmm_sim::DriverOpts {
        write: true,
        ..hmm_sim::DriverOpts::default()
    });
    let a = ThreadSpec {
        name: "a".into(),
        mm: 0,
        ops: vec![Op::Lane {
            strategy: LaneStrategy::LegacyA,
            dev: 0,
            start: RANGE_BASE_VPN + 8,
            npages: 3,
        }],
    };
    let b = ThreadSpec {
        name: "b".into(),
        mm: 0,
        ops: vec![
            Op::CpuRead {
                vpn: RANGE_BASE_VPN + 7,
            },
            Op::Dmirror {
                dev: 1,
                cmd: DmirrorCmd::Write,
                start: RANGE_BASE_VPN + 5,
                npages: 7,
                data: (0..7).map(|i| 0x5000 + i).collect(),
            },
        ],
    };
    // Seeded random schedules, tried in order until one loses the write (the first seeds that do depend on
    // the exact event sequence, so the test searches instead of pinning one seed).
    let found = (0..2000u64).find_map(|seed| {
        let cfg = RunConfig {
            policy: Policy::Random { seed },
            limits: Limits {
                max_steps: 400_000,
                max_threads: 4,
            },
            ..RunConfig::default()
        };
        let r = run(&setup, &[a.clone(), b.clone()], &cfg);
        assert_eq!(r.result, Ok(()), "seed {seed}");
        (!r.violations.is_empty()).then_some((seed, r.violations))
    });
    let (seed, violations) = found.expect("some schedule of 2000 loses the device write");
    assert_eq!(
        violations,
        vec!["mm0 page 0x1000a: holds 0xb, expected 0x5005 (device)".to_string()],
        "seed {seed}"
    );
}

/// THP operations over a 2 MiB range that starts as one PMD-mapped THP (`H*512`) or empty under
/// `MADV_HUGEPAGE` (so faults map THPs or the huge zero page): CPU loads and stores, migrations (which split
/// the THP in collect on 6.15 and move it whole on 2026, 6.19's device-THP path), `HMM_DMIRROR_FLAGS`
/// (an odd page count arms `FAIL_ALLOC`, forcing the 4 KiB fallback), snapshots, partial and whole munmaps,
/// mprotect, fork and madvise, in two threads. Compound counts and "one PMD entry or 512 PTEs" (device THPs
/// too) are part of the at-rest check.
const THP_PAGES: u32 = 512;

fn thp_op(ioctl_dev: u8) -> impl Strategy<Value = Op> {
    let page = 0..THP_PAGES;
    let span = (0..THP_PAGES, 1..=THP_PAGES);
    prop_oneof![
        page.clone().prop_map(|p| Op::CpuRead {
            vpn: RANGE_BASE_VPN + p
        }),
        (page, any::<u16>()).prop_map(|(p, v)| Op::CpuWrite {
            vpn: RANGE_BASE_VPN + p,
            value: v as u32
        }),
        (
            prop::sample::select(vec![
                DmirrorCmd::MigrateToDev,
                DmirrorCmd::MigrateToSys,
                DmirrorCmd::Snapshot,
                DmirrorCmd::Read,
                DmirrorCmd::Flags
            ]),
            span.clone()
        )
            .prop_map(move |(cmd, (s, n))| Op::Dmirror {
                dev: ioctl_dev,
                cmd,
                start: RANGE_BASE_VPN + s,
                npages: n.min(THP_PAGES - s),
                data: vec![],
            }),
        (
            prop::sample::select(LaneStrategy::ALL.to_vec()),
            span.clone()
        )
            .prop_map(|(strategy, (s, n))| {
                Op::Lane {
                    strategy,
                    dev: 0,
                    start: RANGE_BASE_VPN + s,
                    npages: n.min(THP_PAGES - s),
                }
            }),
        span.clone().prop_map(|(s, n)| Op::Munmap {
            start: RANGE_BASE_VPN + s,
            npages: n.min(THP_PAGES - s)
        }),
        (span.clone(), any::<bool>()).prop_map(|((s, n), write)| Op::Mprotect {
            start: RANGE_BASE_VPN + s,
            npages: n.min(THP_PAGES - s),
            read: true,
            write,
        }),
        (span, any::<bool>()).prop_map(|((s, n), huge)| Op::Madvise {
            start: RANGE_BASE_VPN + s,
            npages: n.min(THP_PAGES - s),
            advice: if huge {
                hmm_sim::Madvice::HugePage
            } else {
                hmm_sim::Madvice::Free
            },
        }),
        Just(Op::Fork),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, rng_seed: RngSeed::Fixed(0x7468_7000), ..ProptestConfig::default() })]
    #[test]
    fn random_thp_programs_keep_invariants(
        start_huge in any::<bool>(),
        kernel in prop::sample::select(vec![KernelVersion::V6_15, KernelVersion::Fix2026]),
        a in prop::collection::vec(thp_op(0), 1..6),
        b in prop::collection::vec(thp_op(1), 0..4),
        seed in any::<u64>(),
    ) {
        let state = if start_huge { PageState::Huge } else { PageState::None };
        let mut setup = Setup::from_states(&vec![state; THP_PAGES as usize]);
        setup.madvise_hugepage(0, RANGE_BASE_VPN, RANGE_BASE_VPN + THP_PAGES);
        prop_assert!(setup.errors.is_empty(), "{:?}", setup.errors);
        let threads = vec![ThreadSpec { name: "a".into(), mm: 0, ops: a }, ThreadSpec { name: "b".into(), mm: 0, ops: b }];
        let cfg = RunConfig { kernel, policy: Policy::Random { seed }, limits: Limits { max_steps: 2_000_000, max_threads: 4 }, ..RunConfig::default() };
        let r = run(&setup, &threads, &cfg);
        match &r.result {
            Ok(()) => prop_assert!(r.violations.is_empty(), "{:?}", &r.violations[..r.violations.len().min(4)]),
            Err(RunError::Deadlock { blocked }) => prop_assert!(false, "deadlock: {blocked:?}"),
            Err(e) => prop_assert!(false, "{e}"),
        }
    }
}
