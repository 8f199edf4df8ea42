//! The step budget holds in every world, however many threads are alive (issue 14's first reproducers), and
//! a counters-only run counts exactly what a kept trace does.

use hmm_sim::{
    compare, parse_states, run, DmirrorCmd, Limits, Op, Prot, RunConfig, RunError, Setup,
    ThreadSpec, TraceMode, RANGE_BASE_VPN,
};

fn budget(max_steps: u64) -> RunConfig {
    RunConfig {
        limits: Limits {
            max_steps,
            ..Limits::default()
        },
        ..RunConfig::default()
    }
}

fn stopped_at(result: &Result<(), RunError>) -> Option<u64> {
    match result {
        Err(RunError::StepLimit { steps, .. }) => Some(*steps),
        _ => None,
    }
}

/// `steps = 1` on `P*262144` used to run 13,112,905 events in legacy A: a lone thread never reached the
/// scheduler's check. Now every lane stops at exactly the budget and keeps no more events than it allows.
#[test]
fn a_lone_thread_stops_at_the_budget() {
    let states = parse_states("P*262144").unwrap();
    for max in [1, 1000] {
        for lane in compare(&states, &budget(max)).lanes {
            assert_eq!(
                stopped_at(&lane.report.result),
                Some(max),
                "{:?}",
                lane.strategy
            );
            assert_eq!(lane.report.events.len() as u64, max);
            assert_eq!(lane.report.steps, max);
        }
    }
}

/// The 1-page lesson that grew 1 GB every 1.7 s with `steps = 1000`: a shared anonymous page read, migrated
/// to the device, read again. It used to spin on the shmem page's migration entry, which no rmap walk could
/// find (issue 9 item 7) and which the step limit had to stop; since `rmap_walk_file` restores it, the
/// program completes, well inside the same 1,000-event budget.
#[test]
fn the_shared_page_program_is_bounded() {
    let mut setup = Setup::new(1);
    setup.mmap(
        0,
        RANGE_BASE_VPN,
        1,
        Prot {
            shared: true,
            ..Prot::RW
        },
    );
    let ops = vec![
        Op::CpuRead {
            vpn: RANGE_BASE_VPN,
        },
        Op::Dmirror {
            dev: 0,
            cmd: DmirrorCmd::MigrateToDev,
            start: RANGE_BASE_VPN,
            npages: 1,
            data: Vec::new(),
        },
        Op::CpuRead {
            vpn: RANGE_BASE_VPN,
        },
    ];
    let thread = ThreadSpec {
        name: "test".into(),
        mm: 0,
        ops,
    };
    let report = run(&setup, &[thread], &budget(1000));
    assert_eq!(report.result, Ok(()));
    assert!(report.violations.is_empty(), "{:?}", report.violations);
    assert!(report.events.len() < 1000, "{}", report.events.len());
}

/// Counting without keeping: no events held, the same counters and step count as a kept trace.
#[test]
fn counters_only_counts_what_a_kept_trace_does() {
    let states = parse_states("PNSZCDOP*600").unwrap();
    let kept = compare(&states, &RunConfig::default());
    let counted = compare(
        &states,
        &RunConfig {
            trace: TraceMode::CountersOnly,
            ..RunConfig::default()
        },
    );
    for (k, c) in kept.lanes.iter().zip(&counted.lanes) {
        assert!(c.report.events.is_empty());
        assert_eq!(c.report.steps, k.report.events.len() as u64);
        assert_eq!(c.counters, k.counters);
        assert_eq!(c.final_pages, k.final_pages);
    }
}
