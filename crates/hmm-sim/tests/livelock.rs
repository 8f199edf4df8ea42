//! Seed 003: several threads faulting one device-private page. ≤6.14 `do_swap_page` takes a reference
//! without the page lock, so each migrate_to_ram fails the refcount check at commit time while the
//! others hold references; 6.15's trylock makes losers take no reference and the migration completes.

mod common;

use common::device_page_readers;
use hmm_sim::{run, RunConfig};
use hmm_sim::{KernelVersion, Limits, Policy, RunError};
use hmm_sim::{Kind, RetryReason};

fn scenario(kernel: KernelVersion, threads: usize) -> hmm_sim::Report {
    let (setup, specs) = device_page_readers(threads);
    let cfg = RunConfig {
        kernel,
        policy: Policy::RoundRobin,
        limits: Limits {
            max_steps: 200_000,
            max_threads: 8,
        },
        ..RunConfig::default()
    };
    run(&setup, &specs, &cfg)
}

fn eagain_failures(r: &hmm_sim::Report) -> Vec<(u32, u32)> {
    // Each -EAGAIN from folio_migrate_mapping is followed by an Error event: (refcount found, expected).
    r.events
        .iter()
        .filter(|e| e.kind == Kind::Error && e.a == 11)
        .map(|e| (e.b, e.c))
        .collect()
}

/// The migrations that failed the refcount check, and the refcount each found above what it expected.
fn refcount_failures_6_14(r: &hmm_sim::Report) -> Vec<(u32, u32)> {
    let fails = eagain_failures(r);
    for (found, expected) in &fails {
        assert!(
            found > expected,
            "refcount {found} should exceed the expected {expected}"
        );
    }
    let retries = r
        .events
        .iter()
        .filter(|e| e.kind == Kind::Retry && e.a == RetryReason::MigrateEagain as u32)
        .count();
    assert_eq!(retries, fails.len());
    fails
}

/// Up to 6.14 collect trylocks the fault page like any other (the fault-page exception came with
/// 1afaeb8293c9), so while a migration is in flight the page is `PG_locked` and a thread that faults on its
/// migration entry sleeps in `migration_entry_wait` (it holds no reference then). Under round robin the
/// sleepers let a migration through after a few `-EAGAIN`s; the explorer test below finds the schedule that
/// never completes.
#[test]
fn v6_14_collect_locks_the_fault_page_and_a_faulting_thread_sleeps_on_it() {
    use hmm_sim::{Ev, Func, LockId, WaitOn};
    let r = scenario(KernelVersion::V6_14, 3);
    assert_eq!(r.result, Ok(()), "{:?}", r.result);
    assert!(r.violations.is_empty(), "{:#?}", r.violations);
    assert!(
        !refcount_failures_6_14(&r).is_empty(),
        "the references taken by do_swap_page make at least one migration fail"
    );
    let device_page = r.events.iter().find_map(|e| match e.decode() {
        Ev::Ref { pfn, .. } => Some(pfn),
        _ => None,
    });
    let page = device_page.expect("the device page's refcount changes");
    let locked_by_collect = r.events.iter().any(|e| {
        e.func == Func::MigrateVmaCollectPmd
            && matches!(e.decode(), Ev::LockAcquire { lock: LockId::Folio(p), .. } if p == page)
    });
    assert!(locked_by_collect, "collect trylocks the fault page on 6.14");
    let slept = r.events.iter().any(|e| {
        e.func == Func::MigrationEntryWait
            && matches!(e.decode(), Ev::Thread { waits_on: Some(WaitOn::FolioUnlock(p)), .. } if p == page)
    });
    assert!(slept, "a faulting thread sleeps on the locked page");
    // 6.15+: do_swap_page holds the lock, collect never takes it.
    let r15 = scenario(KernelVersion::V6_15, 3);
    assert!(!r15.events.iter().any(|e| {
        e.func == Func::MigrateVmaCollectPmd
            && matches!(
                e.decode(),
                Ev::LockAcquire {
                    lock: LockId::Folio(_),
                    ..
                }
            )
    }));
}

#[test]
fn v6_15_completes() {
    for kernel in [
        KernelVersion::V6_15,
        KernelVersion::Fix2026,
        KernelVersion::PoppleProposal,
    ] {
        let r = scenario(kernel, 3);
        assert_eq!(r.result, Ok(()), "{kernel:?}");
        assert!(r.violations.is_empty(), "{:#?}", r.violations);
        assert!(eagain_failures(&r).is_empty());
        for t in &r.outcomes {
            assert_eq!(t.len(), 1);
            assert_eq!(t[0].ret(), 0);
        }
    }
}

#[test]
fn single_fault_6_14_completes() {
    let r = scenario(KernelVersion::V6_14, 1);
    assert_eq!(r.result, Ok(()));
    assert!(r.violations.is_empty(), "{:#?}", r.violations);
}

#[test]
fn explorer_finds_a_livelocking_schedule_and_replays_it() {
    use hmm_sim::explore;
    let (setup, specs) = device_page_readers(2);
    let limits = Limits {
        max_steps: 20_000,
        max_threads: 8,
    };
    let cfg = RunConfig {
        kernel: KernelVersion::V6_14,
        policy: Policy::RunToBlock,
        limits: limits.clone(),
        ..RunConfig::default()
    };
    let found = explore(&setup, &specs, &cfg, 500, |r| {
        matches!(r.result, Err(RunError::StepLimit { .. }))
    });
    let witness = found.witness.expect("some interleaving livelocks on 6.14");
    let replay = run(
        &setup,
        &specs,
        &RunConfig {
            policy: Policy::Replay { choices: witness },
            ..cfg
        },
    );
    assert!(matches!(replay.result, Err(RunError::StepLimit { .. })));
    assert!(
        !refcount_failures_6_14(&replay).is_empty(),
        "the livelock is the refcount check failing again and again"
    );
    // 6.15: the loser of trylock_page returns and re-faults at once. A scheduler that only switches when
    // a thread blocks (no preemption) lets it spin forever while the winner waits to run: the starvation
    // b570f37a2ce4 fixed.
    let cfg15 = RunConfig {
        kernel: KernelVersion::V6_15,
        policy: Policy::RunToBlock,
        limits: limits.clone(),
        ..RunConfig::default()
    };
    let spin = explore(&setup, &specs, &cfg15, 500, |r| {
        matches!(r.result, Err(RunError::StepLimit { .. }))
    });
    assert!(
        spin.witness.is_some(),
        "6.15 spinning not found in {} runs",
        spin.runs
    );
    // The 2026 fix (the loser sleeps on the folio lock) and Popple's proposal (later faults wait on the
    // migration entry do_swap_page installed) have no such schedule.
    for kernel in [KernelVersion::Fix2026, KernelVersion::PoppleProposal] {
        let cfg = RunConfig {
            kernel,
            policy: Policy::RunToBlock,
            limits: limits.clone(),
            ..RunConfig::default()
        };
        let none = explore(&setup, &specs, &cfg, 300, |r| {
            r.result.is_err() || !r.violations.is_empty()
        });
        assert!(
            none.witness.is_none(),
            "{kernel:?} failed after {} runs",
            none.runs
        );
        assert!(none.runs > 1, "the search tried more than one schedule");
    }
}

/// Popple's proposal: the faulting thread swaps the PTE for a migration entry before `migrate_to_ram`, so
/// the other faulting threads wait on that entry and the driver's collect takes it as collected.
#[test]
fn popple_proposal_installs_the_migration_entry_in_do_swap_page() {
    use hmm_sim::{Ev, Func, Pte};
    let r = scenario(KernelVersion::PoppleProposal, 3);
    assert_eq!(r.result, Ok(()), "{:?}", r.result);
    assert!(r.violations.is_empty(), "{:#?}", r.violations);
    assert!(eagain_failures(&r).is_empty());
    let first_entry = r.events.iter().find_map(|e| match e.decode() {
        Ev::PteWrite {
            new: Pte::Migration { .. },
            ..
        } => Some(e.func),
        _ => None,
    });
    assert_eq!(first_entry, Some(Func::DoSwapPage));
    let waited = r
        .events
        .iter()
        .filter(|e| e.func == Func::MigrationEntryWait && e.kind == Kind::Call)
        .count();
    assert!(waited >= 1, "later faults wait on the entry");
}

/// The explorer run a few schedules at a time (the race lab's slices) makes the same search as `explore`:
/// the same witness after the same number of runs, and the same exhaustive count where there is none.
#[test]
fn the_explorer_in_slices_is_explore() {
    use hmm_sim::{explore, Explorer};
    let (setup, specs) = device_page_readers(2);
    for (kernel, max_runs) in [(KernelVersion::V6_14, 500), (KernelVersion::Fix2026, 300)] {
        let cfg = RunConfig {
            kernel,
            policy: Policy::RunToBlock,
            limits: Limits {
                max_steps: 20_000,
                max_threads: 8,
            },
            ..RunConfig::default()
        };
        let bad = |r: &hmm_sim::Report| r.result.is_err();
        let whole = explore(&setup, &specs, &cfg, max_runs, bad);
        for slice in [1, 3, 7] {
            let mut explorer = Explorer::new(max_runs);
            let mut slices = 0;
            let sliced = loop {
                slices += 1;
                if let Some(done) = explorer.resume(&setup, &specs, &cfg, slice, bad) {
                    break done;
                }
                assert_eq!(
                    explorer.runs(),
                    slices * slice,
                    "a slice runs `slice` schedules"
                );
            };
            assert_eq!(sliced, whole, "{kernel:?}, slices of {slice}");
        }
        assert!(whole.runs > 3, "{kernel:?}: {whole:?}");
    }
    // A limit below the search's size is reported the same way, sliced or not.
    let cfg = RunConfig {
        kernel: KernelVersion::Fix2026,
        policy: Policy::RunToBlock,
        ..RunConfig::default()
    };
    let whole = explore(&setup, &specs, &cfg, 4, |_| false);
    let mut explorer = Explorer::new(4);
    let sliced = loop {
        if let Some(done) = explorer.resume(&setup, &specs, &cfg, 3, |_| false) {
            break done;
        }
    };
    assert_eq!(sliced, whole);
    assert!(!whole.exhaustive && whole.runs == 4, "{whole:?}");
}
