use hmm_sim::parse_states;
use hmm_sim::{compare, final_states_agree, RunConfig};

fn walks(states: &str) -> Vec<(String, u64)> {
    let lanes = compare(&parse_states(states).unwrap(), &RunConfig::default()).lanes;
    for l in &lanes {
        assert!(
            l.report.result.is_ok(),
            "{states} {}: {:?}",
            l.strategy.name(),
            l.report.result
        );
        assert!(
            l.report.violations.is_empty(),
            "{states} {}: {:#?}",
            l.strategy.name(),
            l.report.violations
        );
    }
    assert!(
        final_states_agree(&lanes),
        "{states}: {:#?}",
        lanes.iter().map(|l| &l.final_pages).collect::<Vec<_>>()
    );
    lanes
        .iter()
        .map(|l| (l.strategy.name().to_string(), l.counters.walks))
        .collect()
}

#[test]
fn all_present_walks() {
    let w = walks("PPPPPPPP");
    assert_eq!(w.iter().map(|x| x.1).collect::<Vec<_>>(), vec![2, 1, 1]);
}

#[test]
fn swapped_walks() {
    let w = walks("PPSSPPPP");
    assert_eq!(w.iter().map(|x| x.1).collect::<Vec<_>>(), vec![2, 3, 1]);
}

#[test]
fn every_letter() {
    for s in [
        "N", "Z", "C", "S", "D", "O", "PCZNSDO", "NNNN", "ZZZZ", "OOPP", "DDDD",
    ] {
        let w = walks(s);
        eprintln!("{s}: {w:?}");
    }
}

#[test]
fn trace_file_round_trips_through_json() {
    use hmm_sim::{TraceFile, TRACE_SCHEMA_VERSION};
    let lanes = compare(&parse_states("PSNZ").unwrap(), &RunConfig::default()).lanes;
    let r = &lanes[2].report;
    let file = TraceFile::new(r.thread_names.clone(), r.events.iter().collect());
    let json = serde_json::to_string(&file).unwrap();
    let back: TraceFile = serde_json::from_str(&json).unwrap();
    assert_eq!(back.clone().check_version().unwrap(), file);
    let newer = TraceFile {
        schema_version: TRACE_SCHEMA_VERSION + 1,
        ..back
    };
    assert!(newer.check_version().unwrap_err().contains("not supported"));
}

/// kernel-model.md §5a: a driver holding its mutex across migrate_vma_setup deadlocks in its own notifier
/// callback unless the callback skips its own MMU_NOTIFY_MIGRATE events.
#[test]
fn driver_lock_across_setup_needs_the_owner_filter() {
    use hmm_sim::RunError;
    use hmm_sim::Strategy;
    use hmm_sim::{run, Op, Setup, ThreadSpec};
    let states = parse_states("PPNP").unwrap();
    let thread = ThreadSpec {
        name: "gpu-fault-worker".into(),
        mm: 0,
        ops: vec![Op::Lane {
            strategy: Strategy::LegacyB,
            dev: 0,
            start: hmm_sim::RANGE_BASE_VPN,
            npages: 4,
        }],
    };
    let mut setup = Setup::from_states(&states);
    setup.world.devices[0].driver.hold_lock_across_setup = true;
    let filtered = run(&setup, std::slice::from_ref(&thread), &RunConfig::default());
    assert_eq!(filtered.result, Ok(()));
    assert!(filtered.violations.is_empty(), "{:?}", filtered.violations);
    setup.world.mirrors[0].filter_own_migrate = false;
    let unfiltered = run(&setup, &[thread], &RunConfig::default());
    match unfiltered.result {
        Err(RunError::Deadlock { blocked }) => {
            assert!(blocked[0].1.contains("mutex"), "{blocked:?}")
        }
        other => panic!("expected a self-deadlock, got {other:?}"),
    }
}
