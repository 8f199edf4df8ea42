//! `hmmviz export --perfetto`: the output is a valid Chrome trace-event file (the JSON object format), with
//! the structure Perfetto's importer needs: complete slices nest on each track, instants have a scope,
//! metadata names every process and thread.

use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

fn export(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hmmviz"))
        .arg("export")
        .args(args)
        .output()
        .expect("hmmviz runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn field<'a>(e: &'a Value, name: &str) -> &'a Value {
    e.get(name).unwrap_or_else(|| panic!("{e} has no {name}"))
}

/// Checks what the trace-event format requires of each phase and returns the events.
fn valid_trace(text: &str) -> Vec<Value> {
    let trace: Value = serde_json::from_str(text).expect("one JSON object");
    let events = field(&trace, "traceEvents")
        .as_array()
        .expect("an array")
        .clone();
    let mut slices: BTreeMap<(u64, u64), Vec<(u64, u64)>> = BTreeMap::new();
    let mut async_open: BTreeMap<String, u64> = BTreeMap::new();
    for e in &events {
        let ph = field(e, "ph").as_str().unwrap();
        assert!(field(e, "pid").is_u64() && field(e, "tid").is_u64(), "{e}");
        assert!(field(e, "name").is_string(), "{e}");
        match ph {
            "X" => {
                let (ts, dur) = (
                    field(e, "ts").as_u64().unwrap(),
                    field(e, "dur").as_u64().unwrap(),
                );
                let track = (
                    field(e, "pid").as_u64().unwrap(),
                    field(e, "tid").as_u64().unwrap(),
                );
                slices.entry(track).or_default().push((ts, ts + dur));
            }
            "i" => {
                assert!(field(e, "ts").is_u64(), "{e}");
                assert_eq!(field(e, "s"), "t", "a thread-scoped instant: {e}");
            }
            "b" => {
                let id = field(e, "id").as_str().unwrap().to_string();
                assert!(
                    async_open
                        .insert(id, field(e, "ts").as_u64().unwrap())
                        .is_none(),
                    "{e}"
                );
            }
            "e" => {
                let id = field(e, "id").as_str().unwrap();
                let began = async_open
                    .remove(id)
                    .unwrap_or_else(|| panic!("an end without a begin: {e}"));
                assert!(field(e, "ts").as_u64().unwrap() >= began, "{e}");
            }
            "M" => {
                let what = field(e, "name").as_str().unwrap();
                assert!(what == "process_name" || what == "thread_name", "{e}");
                assert!(field(field(e, "args"), "name").is_string(), "{e}");
            }
            other => panic!("phase {other} is not one hmmviz writes: {e}"),
        }
    }
    assert!(
        async_open.is_empty(),
        "async slices never ended: {async_open:?}"
    );
    // On one track, two slices either nest or do not overlap (Perfetto drops slices that cross).
    for (track, mut spans) in slices {
        spans.sort_by_key(|&(start, end)| (start, std::cmp::Reverse(end)));
        let mut open: Vec<u64> = Vec::new();
        for (start, end) in spans {
            while open.last().is_some_and(|&e| e <= start) {
                open.pop();
            }
            if let Some(&outer) = open.last() {
                assert!(
                    end <= outer,
                    "track {track:?}: [{start}, {end}) crosses a slice ending at {outer}"
                );
            }
            open.push(end);
        }
    }
    events
}

#[test]
fn every_lane_exports_a_valid_trace() {
    let (code, out, err) = export(&["--perfetto", "--pages", "PNSZCDOP"]);
    assert_eq!(code, 0, "{err}");
    let events = valid_trace(&out);
    let processes: Vec<&str> = events
        .iter()
        .filter(|e| e["name"] == "process_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(processes, ["legacy_a", "legacy_b", "unified"]);
    for needle in [
        "hmm_range_fault",
        "migrate_vma_collect_pmd",
        "pte none → migration_write",
        "fault",
    ] {
        assert!(
            events
                .iter()
                .any(|e| e["name"].as_str().unwrap().contains(needle)),
            "no event named like {needle}"
        );
    }
    assert!(
        events.iter().any(|e| e["cat"] == "lock"),
        "lock holds are exported"
    );
}

#[test]
fn one_lane_and_bad_input() {
    let (code, out, _) = export(&["--perfetto", "--pages", "PPSS", "--lane", "U"]);
    assert_eq!(code, 0);
    let events = valid_trace(&out);
    assert!(events.iter().all(|e| e["pid"] == 1));
    assert!(events.iter().any(|e| e["args"]["name"] == "unified"));
    let (code, _, err) = export(&["--perfetto", "--pages", "PQ"]);
    assert_eq!(code, 2);
    assert!(err.contains("--pages"), "{err}");
}

#[test]
fn a_lane_over_the_export_limit_is_refused_by_name() {
    let (code, out, err) = export(&["--perfetto", "--pages", "N*60000", "--lane", "A"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("lane legacy_a has") && err.contains("at most 2000000"),
        "{err}"
    );
}
