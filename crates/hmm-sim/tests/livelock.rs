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

#[test]
fn v6_14_livelocks_at_the_refcount_check() {
    let r = scenario(KernelVersion::V6_14, 3);
    assert!(
        matches!(r.result, Err(RunError::StepLimit { .. })),
        "{:?}",
        r.result
    );
    let fails = eagain_failures(&r);
    assert!(fails.len() >= 20, "only {} refcount failures", fails.len());
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
}

#[test]
fn v6_15_completes() {
    for kernel in [KernelVersion::V6_15, KernelVersion::V6_18] {
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
    // 6.15: the loser of trylock_page returns and re-faults at once. A scheduler that only switches when
    // a thread blocks (no preemption) lets it spin forever while the winner waits to run: the starvation
    // b570f37a2ce4 fixed. 6.18 (the loser sleeps on the folio lock) has no such schedule.
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
    let cfg18 = RunConfig {
        kernel: KernelVersion::V6_18,
        policy: Policy::RunToBlock,
        limits,
        ..RunConfig::default()
    };
    let none = explore(&setup, &specs, &cfg18, 300, |r| {
        r.result.is_err() || !r.violations.is_empty()
    });
    assert!(
        none.witness.is_none(),
        "6.18 failed after {} runs",
        none.runs
    );
    assert!(none.runs > 1, "the search tried more than one schedule");
}
