//! `hmmviz export --perfetto --pages <STATES>`: the three lanes' traces in the Chrome trace-event format
//! (JSON), which Perfetto (ui.perfetto.dev) and chrome://tracing open. The events themselves are hmm-sim's
//! (`hmm_sim::chrome_trace_events`, which the web app's export uses too); this writes them out.

use crate::{out, outln};
use hmm_sim::{chrome_trace_events, compare, parse_states, LaneRun, RunConfig, Strategy};
use std::ffi::OsString;
use std::process::ExitCode;

/// Events per lane the export writes at most: a Chrome trace of every event is about 150 bytes per event,
/// and the viewers slow down well before a few million slices.
pub const MAX_EXPORT_STEPS: usize = 2_000_000;

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
        let events = chrome_trace_events(
            lane.strategy.name(),
            &lane.report.thread_names,
            &lane.report.events,
            i as u32 + 1,
        );
        for event in events {
            let event = serde_json::to_string(&event).expect("plain data serialises");
            out!("{}{event}\n", if first { "" } else { "," });
            first = false;
        }
    }
    outln!("]}}");
    ExitCode::SUCCESS
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!(
        "hmmviz export: {msg}\nusage: hmmviz export --perfetto --pages <STATES> [--lane A|B|U]"
    );
    ExitCode::from(2)
}
