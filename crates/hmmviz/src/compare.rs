//! `hmmviz compare --pages <STATES> [--json] [--kernel V] [--write|--no-write] [--b-policy P]`: run legacy A, legacy B and the
//! unified path on one scenario and report their counters and whether their final states agree.

use crate::{out, outln};
use hmm_sim::parse_states;
use hmm_sim::KernelVersion;
use hmm_sim::{
    compare_lane, final_states_agree, permission_differences, restart_limit, BPolicy, DriverOpts,
    LaneRun, PermissionDifference, RunConfig, RunError, Setup, Strategy, TraceMode, UnifiedEntry,
    World,
};
use serde_json::{json, Map, Value};
use std::ffi::OsString;
use std::process::ExitCode;

#[derive(clap::Args)]
#[command(
    after_help = "STATES: one letter per page: P present, C COW-shared, Z zero page, N pte_none, S swapped,
D device-private (this device), O device-private (another device); a letter may repeat as P*512.
At most 262144 pages."
)]
pub struct Args {
    /// The scenario's state string, one letter per page (required)
    #[arg(long, value_name = "STATES")]
    pages: Option<OsString>,
    /// Print one JSON object instead of a table
    #[arg(long)]
    json: bool,
    /// Kernel version where behaviour differs
    #[arg(long, value_name = "V", value_parser = ["6.14", "6.15", "2026", "popple", "file-rfc"])]
    kernel: Option<String>,
    /// Write intent for all three lanes: HMM_PFN_REQ_WRITE on every lane's hmm_range_fault, so COW is
    /// broken before migrating (default: off, as the RFC's test driver)
    #[arg(long, overrides_with = "no_write")]
    write: bool,
    /// No write intent (the default)
    #[arg(long)]
    no_write: bool,
    /// Legacy B after a partial collection: partial (the RFC cover letter's B) or all_or_nothing
    /// (drm_pagemap: -EBUSY, restore all, fault all, migrate all again)
    #[arg(long, value_name = "POLICY", value_parser = ["partial", "all_or_nothing"], default_value = "partial")]
    b_policy: String,
    /// The unified lane's driver as RFC v1's test driver wrote it: -EBUSY is retried by walking again over
    /// its own migration entries (it can hang), without the model's restore
    #[arg(long)]
    rfc_v1: bool,
    /// The unified lane's entry point: hmm_range_fault (the fault path, under the driver's notifier) or
    /// migrate_vma_fault (migrate_vma_setup with MIGRATE_VMA_FAULT: no notifier, no write request)
    #[arg(long, value_name = "ENTRY", value_parser = ["hmm_range_fault", "migrate_vma_fault"], default_value = "hmm_range_fault")]
    unified_entry: String,
}

pub fn main(args: Args) -> ExitCode {
    let as_json = args.json;
    // Counters and final states are all this command reports, so the lanes keep no trace: memory stays
    // flat however long a lane runs.
    let mut cfg = RunConfig {
        trace: TraceMode::CountersOnly,
        ..RunConfig::default()
    };
    if let Some(v) = &args.kernel {
        match KernelVersion::parse(v) {
            Ok(v) => cfg.kernel = v,
            Err(e) => return usage_error(&format!("--kernel: {e}")),
        }
    }
    let Some(pages) = args.pages else {
        return usage_error("--pages is required");
    };
    let Some(pages) = pages.to_str() else {
        return usage_error(&format!(
            "--pages: {:?} is not UTF-8; a state string is letters P C Z N S D O M H, each optionally *N (H in whole 512-page THPs)",
            pages
        ));
    };
    let states = match parse_states(pages) {
        Ok(s) => s,
        Err(e) => return usage_error(&format!("--pages: {e}")),
    };
    let b_policy = match BPolicy::parse(&args.b_policy) {
        Ok(p) => p,
        Err(e) => return usage_error(&format!("--b-policy: {e}")),
    };
    let unified_entry = match UnifiedEntry::parse(&args.unified_entry) {
        Ok(e) => e,
        Err(e) => return usage_error(&format!("--unified-entry: {e}")),
    };
    let driver = DriverOpts {
        write: args.write && !args.no_write,
        b_policy,
        rfc_v1_driver: args.rfc_v1,
        unified_entry,
        ..DriverOpts::default()
    };
    if let Some(why) = driver.conflict() {
        return usage_error(&why);
    }
    if let Some(limit) = restart_limit(&states, driver.write) {
        return usage_error(&format!("--pages: {limit}"));
    }
    let mut setup = Setup::from_states(&states);
    setup.driver(driver);
    // One lane at a time, each final world dropped as soon as its summary (counters, final pages, result,
    // violations) is taken: nothing below reads a world, and at 262,144 pages each is tens of MiB (holding
    // them, and `compare_setup`'s copy of the initial world, took `--pages 'P*262144'` over 300 MB).
    let lanes: Vec<LaneRun> = Strategy::ALL
        .iter()
        .map(|&strategy| {
            let mut lane = compare_lane(&setup, states.len() as u32, strategy, &cfg);
            lane.report.world = World::new();
            lane
        })
        .collect();
    let agree = final_states_agree(&lanes);
    let permissions = permission_differences(&lanes);
    let failed: Vec<String> = lanes
        .iter()
        .filter_map(|l| match &l.report.result {
            Err(e) => Some(format!("{}: {e}{}", l.strategy.name(), why_stopped(l))),
            Ok(()) => None,
        })
        .collect();
    if as_json {
        let mut obj = Map::new();
        for l in &lanes {
            obj.insert(l.strategy.name().to_string(), lane_json(l));
        }
        outln!(
            "{}",
            json!({
                "write": driver.write,
                "b_policy": driver.b_policy.name(),
                "unified_entry": driver.unified_entry.name(),
                "kernel": cfg.kernel.name(),
                "rfc_mark": cfg.kernel.rfc_mark(),
                "lanes": obj,
                "final_states_agree": agree,
                "permission_differences": permissions,
            })
        );
    } else {
        outln!("kernel: {}", cfg.kernel.label());
        outln!(
            "write intent: {}; legacy B policy: {} ({}); unified entry: {}",
            if driver.write {
                "HMM_PFN_REQ_WRITE on every lane"
            } else {
                "none (no HMM_PFN_REQ_WRITE)"
            },
            driver.b_policy.name(),
            driver.b_policy.describe(),
            driver.unified_entry.describe()
        );
        print_table(&lanes, agree);
        print_permissions(&lanes, &permissions);
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
    out!("{:<18}", "counter");
    for l in lanes {
        out!("{:>12}", l.strategy.name());
    }
    outln!("");
    for (i, (name, _)) in lanes[0].counters.fields().iter().enumerate() {
        out!("{name:<18}");
        for l in lanes {
            out!("{:>12}", l.counters.fields()[i].1);
        }
        outln!("");
    }
    outln!("final states agree: {agree}");
    for l in lanes {
        for v in &l.report.violations {
            outln!("{}: invariant violated: {v}", l.strategy.name());
        }
    }
}

/// Pages whose data agree but whose final mapping is writable in some lanes only.
fn print_permissions(lanes: &[LaneRun], diffs: &[PermissionDifference]) {
    if diffs.is_empty() {
        outln!("final permissions agree: true");
        return;
    }
    outln!("final permissions differ on {} page(s):", diffs.len());
    for d in diffs.iter().take(8) {
        let per_lane: Vec<String> = lanes
            .iter()
            .zip(&d.writable)
            .map(|(l, w)| {
                format!(
                    "{} {}",
                    l.strategy.name(),
                    if *w { "writable" } else { "read-only" }
                )
            })
            .collect();
        outln!("  page {}: {}", d.page, per_lane.join(", "));
    }
    if diffs.len() > 8 {
        outln!("  … and {} more (--json lists them all)", diffs.len() - 8);
    }
}

/// For a lane stopped by the step budget after `-EBUSY` restarts, why it needed so many steps.
fn why_stopped(l: &LaneRun) -> String {
    let restarted =
        matches!(l.report.result, Err(RunError::StepLimit { .. })) && l.counters.retries > 0;
    if !restarted {
        return String::new();
    }
    format!(
        " after {} walks and {} retries. A write fault on a C or Z page breaks COW under MMU_NOTIFY_CLEAR, and \
         a fault on an O page migrates it back under the other device's MMU_NOTIFY_MIGRATE: either way the \
         driver's range is invalidated, hmm_range_fault returns -EBUSY and the driver restarts from the start \
         of its range, so the work grows with restarts x range, as in the kernel (docs/cli.md, \"Restarts\"). \
         Compare fewer such pages, or put them at the start of the range.",
        l.counters.walks, l.counters.retries
    )
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("hmmviz compare: {msg}\nusage: hmmviz compare --pages <STATES> [--json] [--kernel <V>] (see hmmviz compare --help)");
    ExitCode::from(2)
}
