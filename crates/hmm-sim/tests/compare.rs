use hmm_sim::scenario::parse_states;
use hmm_sim::sim::{compare, final_states_agree, RunConfig};

fn walks(states: &str) -> Vec<(String, u64)> {
    let lanes = compare(&parse_states(states).unwrap(), &RunConfig::default());
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
    use hmm_sim::trace::{TraceFile, TRACE_SCHEMA_VERSION};
    let lanes = compare(&parse_states("PSNZ").unwrap(), &RunConfig::default());
    let r = &lanes[2].report;
    let file = TraceFile::new(r.thread_names.clone(), r.events.clone());
    let json = serde_json::to_string(&file).unwrap();
    let back: TraceFile = serde_json::from_str(&json).unwrap();
    assert_eq!(back.clone().check_version().unwrap(), file);
    let newer = TraceFile {
        schema_version: TRACE_SCHEMA_VERSION + 1,
        ..back
    };
    assert!(newer.check_version().unwrap_err().contains("not supported"));
}
