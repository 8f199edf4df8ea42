//! `hmmviz compare --pages <STATES> [--json] [--kernel 6.14|6.15|6.18]`: run legacy A, legacy B and the
//! unified path on one scenario and report their counters and whether their final states agree.

use hmm_sim::parse_states;
use hmm_sim::KernelVersion;
use hmm_sim::{compare, final_states_agree, LaneRun, RunConfig};
use serde_json::{json, Map, Value};
use std::process::ExitCode;

const USAGE: &str = "usage: hmmviz compare --pages <STATES> [--json] [--kernel 6.14|6.15|6.18]
  STATES: one letter per page: P present, C COW-shared, Z zero page, N pte_none, S swapped,
          D device-private (this device), O device-private (another device); a letter may repeat as
          P*512. At most 262144 pages.";

pub fn main(args: &[String]) -> ExitCode {
    let mut pages = None;
    let mut as_json = false;
    let mut cfg = RunConfig::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--pages" => pages = it.next().cloned(),
            "--json" => as_json = true,
            "--kernel" => match it.next().and_then(|v| KernelVersion::parse(v)) {
                Some(v) => cfg.kernel = v,
                None => return usage_error("--kernel wants one of 6.14, 6.15, 6.18"),
            },
            other => return usage_error(&format!("unknown argument `{other}`")),
        }
    }
    let Some(pages) = pages else {
        return usage_error("--pages is required");
    };
    let states = match parse_states(&pages) {
        Ok(s) => s,
        Err(e) => return usage_error(&format!("--pages: {e}")),
    };
    let lanes = compare(&states, &cfg).lanes;
    let agree = final_states_agree(&lanes);
    let failed: Vec<String> = lanes
        .iter()
        .filter_map(|l| match &l.report.result {
            Err(e) => Some(format!("{}: {e}", l.strategy.name())),
            Ok(()) => None,
        })
        .collect();
    if as_json {
        let mut obj = Map::new();
        for l in &lanes {
            obj.insert(l.strategy.name().to_string(), lane_json(l));
        }
        println!("{}", json!({ "lanes": obj, "final_states_agree": agree }));
    } else {
        print_table(&lanes, agree);
    }
    for f in &failed {
        eprintln!("hmmviz compare: {f}");
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn lane_json(l: &LaneRun) -> Value {
    let mut o = Map::new();
    for (name, v) in l.counters.fields() {
        o.insert(name.to_string(), json!(v));
    }
    o.insert("ok".into(), json!(l.report.result.is_ok()));
    o.insert("invariant_violations".into(), json!(l.report.violations));
    o.insert(
        "final_pages".into(),
        json!(l
            .final_pages
            .iter()
            .map(|p| format!("{}:{}", p.location.name(), p.pte.name()))
            .collect::<Vec<_>>()),
    );
    Value::Object(o)
}

fn print_table(lanes: &[LaneRun], agree: bool) {
    print!("{:<18}", "counter");
    for l in lanes {
        print!("{:>12}", l.strategy.name());
    }
    println!();
    for (i, (name, _)) in lanes[0].counters.fields().iter().enumerate() {
        print!("{name:<18}");
        for l in lanes {
            print!("{:>12}", l.counters.fields()[i].1);
        }
        println!();
    }
    println!("final states agree: {agree}");
    for l in lanes {
        for v in &l.report.violations {
            println!("{}: invariant violated: {v}", l.strategy.name());
        }
    }
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("hmmviz compare: {msg}\n{USAGE}");
    ExitCode::from(2)
}
