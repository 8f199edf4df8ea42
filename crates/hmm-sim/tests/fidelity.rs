//! Corrections from the kernel review of issue 9: each test fails on the model's earlier behaviour.

use hmm_sim::RANGE_BASE_VPN;
use hmm_sim::{run, DmirrorCmd, Func, Kind, Op, PageState, RunConfig, Setup, ThreadSpec};

fn one_thread(setup: &Setup, ops: Vec<Op>) -> hmm_sim::Report {
    let specs = vec![ThreadSpec {
        name: "t1".into(),
        mm: 0,
        ops,
    }];
    let r = run(setup, &specs, &RunConfig::default());
    assert_eq!(r.result, Ok(()), "{:?}", r.result);
    assert!(r.violations.is_empty(), "{:#?}", r.violations);
    r
}

/// `ptep_clear_flush()` flushes only a PTE the TLB can hold (`pte_accessible`), and collect's chunk flush
/// counts only present PTEs: taking device-private pages back to system memory flushes nothing in collect.
#[test]
fn collecting_device_private_ptes_flushes_no_tlb() {
    let setup = Setup::from_states(&[PageState::DevicePrivate; 4]);
    let r = one_thread(
        &setup,
        vec![Op::Dmirror {
            dev: 0,
            cmd: DmirrorCmd::MigrateToSys,
            start: RANGE_BASE_VPN,
            npages: 4,
            data: vec![],
        }],
    );
    let collected = r
        .events
        .iter()
        .filter(|e| e.kind == Kind::PteWrite && e.func == Func::MigrateVmaCollectPmd)
        .count();
    assert!(
        collected >= 4,
        "collect swapped the PTEs ({collected} writes)"
    );
    let flushes = r
        .events
        .iter()
        .filter(|e| e.kind == Kind::TlbFlush && e.func == Func::MigrateVmaCollectPmd)
        .count();
    assert_eq!(flushes, 0);
}

fn lanes_with(states: &str, driver: hmm_sim::DriverOpts) -> Vec<hmm_sim::LaneRun> {
    let states = hmm_sim::parse_states(states).unwrap();
    let mut setup = Setup::from_states(&states);
    setup.driver(driver);
    let lanes = hmm_sim::compare_setup(&setup, states.len() as u32, &RunConfig::default()).lanes;
    for l in &lanes {
        assert_eq!(l.report.result, Ok(()), "{:?}", l.strategy);
        assert!(l.report.violations.is_empty(), "{:#?}", l.report.violations);
    }
    lanes
}

/// Write intent is one setting: with it, the unified walk breaks COW like legacy A (it used to ignore it and
/// leave the page read-only while the comparison said "agree").
#[test]
fn write_intent_reaches_the_unified_walk_and_permissions_are_compared() {
    use hmm_sim::{DriverOpts, PteKind};
    let lanes = lanes_with(
        "CCCC",
        DriverOpts {
            write: true,
            ..DriverOpts::default()
        },
    );
    let (a, b, u) = (&lanes[0], &lanes[1], &lanes[2]);
    assert!(u
        .final_pages
        .iter()
        .all(|p| p.pte == PteKind::DevicePrivateWrite));
    assert!(a
        .final_pages
        .iter()
        .all(|p| p.pte == PteKind::DevicePrivateWrite));
    assert!(
        u.counters.walks > u.counters.cover_letter_walks,
        "COW break retries"
    );
    // B's migrate round collects the COW pages as they are: read-only, and reported as a difference.
    assert!(b
        .final_pages
        .iter()
        .all(|p| p.pte == PteKind::DevicePrivateRead));
    assert!(hmm_sim::final_states_agree(&lanes));
    let diffs = hmm_sim::permission_differences(&lanes);
    assert_eq!(diffs.len(), 4);
    assert_eq!(diffs[0].writable, vec![true, false, true]);
    // Without write intent no lane breaks COW and every lane agrees on permissions too.
    let lanes = lanes_with("CCCC", DriverOpts::default());
    assert!(hmm_sim::permission_differences(&lanes).is_empty());
    assert_eq!(lanes[0].counters.walks, 2);
}

/// A driver reads the hmm_pfns its fault returns: pages already on its own device need no second round.
#[test]
fn legacy_b_skips_the_second_migration_when_the_missed_pages_are_its_own() {
    let lanes = lanes_with("DDDD", hmm_sim::DriverOpts::default());
    assert_eq!(lanes[1].counters.walks, 2);
}

/// drm_pagemap's all-or-nothing: a partial collection is -EBUSY and every collected page goes back before
/// the fault-in; the second round then takes the whole range.
#[test]
fn legacy_b_all_or_nothing_restores_a_partial_collection() {
    use hmm_sim::{BPolicy, DriverOpts, Ev, EBUSY};
    let driver = DriverOpts {
        b_policy: BPolicy::AllOrNothing,
        ..DriverOpts::default()
    };
    let lanes = lanes_with("PPSS", driver);
    let b = &lanes[1];
    assert_eq!(b.counters.walks, 3);
    let ebusy = b.report.events.iter().any(|e| {
        e.func == Func::LegacyB && matches!(e.decode(), Ev::Error { errno, .. } if errno == EBUSY)
    });
    assert!(ebusy, "the partial round is -EBUSY");
    let finalize_restores = b
        .report
        .events
        .iter()
        .filter(|e| e.kind == Kind::Call && e.func == Func::MigrateVmaFinalize)
        .count();
    assert_eq!(
        finalize_restores, 2,
        "one restoring finalize, one after the full round"
    );
    assert!(hmm_sim::final_states_agree(&lanes));
    let partial = lanes_with("PPSS", DriverOpts::default());
    assert_eq!(partial[1].counters.walks, 3);
    assert!(b.counters.steps > partial[1].counters.steps);
}

/// RFC v1's test driver retries `-EBUSY` by walking again over the migration entries it installed itself: on
/// `PPPPOOOO` the other device's MIGRATE invalidation makes the walk return `-EBUSY`, and the second walk waits
/// on page 0's folio, which its own thread locked. The model's default driver restores first and completes.
#[test]
fn rfc_v1_driver_hangs_on_its_own_migration_entry() {
    use hmm_sim::{DriverOpts, RunError, Strategy};
    let states = hmm_sim::parse_states("PPPPOOOO").unwrap();
    let mut setup = Setup::from_states(&states);
    setup.driver(DriverOpts {
        rfc_v1_driver: true,
        ..DriverOpts::default()
    });
    let lanes = hmm_sim::compare_setup(&setup, 8, &RunConfig::default()).lanes;
    let u = lanes
        .iter()
        .find(|l| l.strategy == Strategy::Unified)
        .unwrap();
    match &u.report.result {
        Err(RunError::Deadlock { blocked }) => {
            assert_eq!(blocked.len(), 1);
            assert!(
                blocked[0].1.contains("to be unlocked (held by T0)"),
                "{blocked:?}"
            );
        }
        other => panic!("expected the self-deadlock, got {other:?}"),
    }
    let fixed = lanes_with("PPPPOOOO", DriverOpts::default());
    assert_eq!(fixed[2].counters.walks, 2);
}

fn ioctl(cmd: DmirrorCmd, npages: u32) -> Op {
    Op::Dmirror {
        dev: 0,
        cmd,
        start: RANGE_BASE_VPN,
        npages,
        data: vec![],
    }
}

/// test_hmm's `dmirror_migrate_alloc_and_copy` maps a page with no source (a hole) writable when the VMA is
/// writable; the model used to map it read-only.
#[test]
fn a_hole_migrated_to_a_writable_vma_is_mapped_writable_on_the_device() {
    use hmm_sim::{DptTag, Ev};
    let setup = Setup::from_states(&[PageState::None]);
    let r = one_thread(&setup, vec![ioctl(DmirrorCmd::MigrateToDev, 1)]);
    let mapped = r.events.iter().find_map(|e| match e.decode() {
        Ev::DevPt {
            new: Some(entry), ..
        } => Some(entry.tag),
        _ => None,
    });
    assert_eq!(mapped, Some(DptTag::Write));
}

/// `dmirror_devmem_fault_alloc_and_copy` erases the device page-table entry with `xa_erase` and no
/// `dmirror->mutex` (the xarray has its own lock): no driver-lock edge the explorer could order against.
#[test]
fn migrate_to_ram_erases_the_device_entry_without_the_driver_mutex() {
    use hmm_sim::{Ev, LockId};
    let setup = Setup::from_states(&[PageState::DevicePrivate]);
    let r = one_thread(
        &setup,
        vec![Op::CpuRead {
            vpn: RANGE_BASE_VPN,
        }],
    );
    assert!(r
        .events
        .iter()
        .any(|e| e.func == Func::DmirrorDevmemFaultAllocAndCopy));
    let mutex_in_copy = r.events.iter().any(|e| {
        e.func == Func::DmirrorDevmemFaultAllocAndCopy
            && matches!(
                e.decode(),
                Ev::LockAcquire {
                    lock: LockId::Driver(_),
                    ..
                }
            )
    });
    assert!(!mutex_in_copy);
}

/// A CPU fault on a device-exclusive entry invalidates with `MMU_NOTIFY_EXCLUSIVE` up to 6.14 and with
/// `MMU_NOTIFY_CLEAR` since 6.15 (the 2025 device-exclusive rework); the owner is NULL in both.
#[test]
fn removing_a_device_exclusive_entry_notifies_by_version() {
    use hmm_sim::{Ev, KernelVersion, NotifyEvent};
    let setup = Setup::from_states(&[PageState::Present]);
    for (kernel, want) in [
        (KernelVersion::V6_14, NotifyEvent::Exclusive),
        (KernelVersion::V6_15, NotifyEvent::Clear),
    ] {
        let specs = vec![ThreadSpec {
            name: "t1".into(),
            mm: 0,
            ops: vec![
                ioctl(DmirrorCmd::Exclusive, 1),
                Op::CpuWrite {
                    vpn: RANGE_BASE_VPN,
                    value: 7,
                },
            ],
        }];
        let cfg = RunConfig {
            kernel,
            ..RunConfig::default()
        };
        let r = run(&setup, &specs, &cfg);
        assert_eq!(r.result, Ok(()));
        let removal = r
            .events
            .iter()
            .position(|e| e.kind == Kind::Call && e.func == Func::RemoveDeviceExclusiveEntry);
        let range = removal.and_then(|at| {
            r.events.iter_from(at).find_map(|e| match e.decode() {
                Ev::NotifierStart { range } => Some(range),
                _ => None,
            })
        });
        let range = range.expect("the CPU write restores the exclusive entry");
        assert_eq!((range.event, range.owner), (want, 0), "{kernel:?}");
    }
}

/// dmirror_do_update erases through `xa_for_each_range`, whose last index is inclusive: invalidating page 1
/// (mprotect) drops pages 1 *and* 2 from the device page table, so a later READ of pages 2..4 must fault
/// (faults = 1), where an exclusive end would have found page 2 still mapped (faults = 0).
#[test]
fn a_partial_invalidation_erases_one_page_past_its_end() {
    use hmm_sim::Outcome;
    let setup = Setup::from_states(&[PageState::Present; 4]);
    let read = |start: u32, npages: u32| Op::Dmirror {
        dev: 0,
        cmd: DmirrorCmd::Read,
        start: RANGE_BASE_VPN + start,
        npages,
        data: vec![],
    };
    let r = one_thread(
        &setup,
        vec![
            read(0, 4),
            Op::Mprotect {
                start: RANGE_BASE_VPN + 1,
                npages: 1,
                read: true,
                write: false,
            },
            read(2, 2),
        ],
    );
    let faults: Vec<u64> = r.outcomes[0]
        .iter()
        .filter_map(|o| match o {
            Outcome::Cmd(c) => Some(c.faults),
            _ => None,
        })
        .collect();
    assert_eq!(faults, vec![1, 1]);
}
