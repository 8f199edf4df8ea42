//! `hmmviz export --perfetto --pages <STATES>`: the three lanes' traces in the Chrome trace-event format
//! (JSON), which Perfetto (ui.perfetto.dev) and chrome://tracing open.
//!
//! One process per lane, one thread per simulated thread. Kernel functions are complete ("X") slices nested
//! by call depth; lock holds are async slices ("b"/"e") named after the lock, one per hold; PTE writes, faults,
//! retries, errors and milestones are instant ("i") events with their values as arguments. Time is the
//! step: one trace event of the simulator is one microsecond, so Perfetto's timeline is the step axis.

use crate::{out, outln};
use hmm_sim::{
    call_spans, compare, describe_errno, lock_holds, parse_states, Ev, LaneRun, RunConfig, Strategy,
};
use serde_json::{json, Value};
use std::ffi::OsString;
use std::process::ExitCode;

/// Events per lane the export writes at most: a Chrome trace of every event is about 150 bytes per event,
/// and the viewers slow down well before a few million slices.
pub const MAX_EXPORT_STEPS: usize = 2_000_000;

/// Thread ids of the lock-hold tracks: simulated thread `t` takes its locks on track `LOCK_TRACK + t`.
const LOCK_TRACK: u32 = 1000;

#[derive(clap::Args)]
pub struct Args {
    /// Write the Chrome / Perfetto trace-event JSON (the only format today)
    #[arg(long, required = true)]
    perfetto: bool,
    /// The scenario's state string, as for `compare`
    #[arg(long, value_name = "STATES")]
    pages: OsString,
    /// Only this lane (A, B or U); all three without it
    #[arg(long, value_name = "LANE", value_parser = ["A", "B", "U"])]
    lane: Option<String>,
}

pub fn main(args: Args) -> ExitCode {
    let _ = args.perfetto;
    let Some(pages) = args.pages.to_str() else {
        return usage_error(&format!("--pages: {:?} is not UTF-8", args.pages));
    };
    let states = match parse_states(pages) {
        Ok(s) => s,
        Err(e) => return usage_error(&format!("--pages: {e}")),
    };
    let wanted = |s: Strategy| match args.lane.as_deref() {
        Some("A") => s == Strategy::LegacyA,
        Some("B") => s == Strategy::LegacyB,
        Some("U") => s == Strategy::Unified,
        _ => true,
    };
    let lanes: Vec<LaneRun> = compare(&states, &RunConfig::default())
        .lanes
        .into_iter()
        .filter(|l| wanted(l.strategy))
        .collect();
    if let Some(big) = lanes
        .iter()
        .find(|l| l.report.events.len() > MAX_EXPORT_STEPS)
    {
        eprintln!(
            "hmmviz export: lane {} has {} steps; an export holds at most {MAX_EXPORT_STEPS} per lane \
             (viewers slow down well before that): export fewer pages, or one lane with --lane",
            big.strategy.name(),
            big.report.events.len()
        );
        return ExitCode::FAILURE;
    }
    // Written one event per line so that a large trace never needs one large string.
    outln!("{{\"traceEvents\": [");
    let mut first = true;
    for (i, lane) in lanes.iter().enumerate() {
        for event in lane_events(lane, i as u32 + 1) {
            out!("{}{event}\n", if first { "" } else { "," });
            first = false;
        }
    }
    outln!("]}}");
    ExitCode::SUCCESS
}

/// Every trace event of one lane, as process `pid`.
pub fn lane_events(lane: &LaneRun, pid: u32) -> Vec<Value> {
    let events = &lane.report.events;
    let mut out = vec![meta(pid, 0, "process_name", lane.strategy.name())];
    for (tid, name) in lane.report.thread_names.iter().enumerate() {
        let tid = tid as u32;
        out.push(meta(pid, tid, "thread_name", &format!("T{tid} {name}")));
        out.push(meta(
            pid,
            LOCK_TRACK + tid,
            "thread_name",
            &format!("T{tid} locks"),
        ));
    }
    for span in call_spans(events) {
        out.push(json!({
            "ph": "X", "pid": pid, "tid": span.thread, "ts": span.start, "dur": span.end - span.start,
            "name": span.what.name(), "cat": "kernel",
            "args": { "file": span.what.file(), "depth": span.depth },
        }));
    }
    // Lock holds overlap without nesting (hand-over-hand PTLs, a folio lock held across a PTL), so each is
    // an async slice of its own ("b"/"e" with an id) rather than a slice on a thread's stack.
    for (id, hold) in lock_holds(events).iter().enumerate() {
        let common = json!({
            "pid": pid, "tid": LOCK_TRACK + hold.thread as u32, "name": hold.what.describe(),
            "cat": "lock", "id": format!("{pid}.{id}"),
        });
        for (ph, ts) in [("b", hold.start), ("e", hold.end)] {
            let mut e = common.clone();
            e["ph"] = json!(ph);
            e["ts"] = json!(ts);
            out.push(e);
        }
    }
    for (step, e) in events.iter().enumerate() {
        if let Some((name, args)) = instant(&e.decode()) {
            out.push(json!({
                "ph": "i", "s": "t", "pid": pid, "tid": e.thread, "ts": step,
                "name": name, "cat": "event", "args": args,
            }));
        }
    }
    out
}

/// The events worth a mark on the timeline: what changed a PTE, a fault, a retry, an error, a milestone.
fn instant(ev: &Ev) -> Option<(String, Value)> {
    Some(match *ev {
        Ev::PteWrite { page, old, new } => (
            format!("pte {} → {}", old.kind().name(), new.kind().name()),
            json!({ "mm": page.mm, "vpn": page.vpn }),
        ),
        Ev::Fault {
            page, write, ahead, ..
        } => (
            if ahead { "fault (ahead)" } else { "fault" }.to_string(),
            json!({ "mm": page.mm, "vpn": page.vpn, "write": write }),
        ),
        Ev::Retry { reason } => ("retry".to_string(), json!({ "why": reason.describe() })),
        Ev::Error { errno, .. } => (describe_errno(errno), json!({})),
        Ev::Milestone { milestone } => (milestone.name().to_string(), json!({})),
        _ => return None,
    })
}

fn meta(pid: u32, tid: u32, what: &str, name: &str) -> Value {
    json!({ "ph": "M", "pid": pid, "tid": tid, "name": what, "args": { "name": name } })
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!(
        "hmmviz export: {msg}\nusage: hmmviz export --perfetto --pages <STATES> [--lane A|B|U]"
    );
    ExitCode::from(2)
}
