//! `hmmviz run LESSON [--json [--events]]`: run one lesson and print a summary of its trace: each beat's
//! assertions, per-lane (and main-world) counters, final page states and the dmirror results. `--json`
//! prints the same as one JSON document; its worlds' events (one object per trace event, so millions for a
//! large scenario) only with `--events`. `--html FILE` also writes the report as one standalone HTML page
//! (`hmm_lesson::report_html`, the page the web player downloads). Exit status as for `check`: 0 iff the
//! lesson passed.

use crate::outln;
use hmm_lesson::check::{check_file, LessonReport};
use hmm_lesson::observe::{Observation, ResultObs, WorldObs};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Serialize)]
struct Summary<'a> {
    report: &'a LessonReport,
    passed: bool,
    state: Option<&'a Observation>,
}

#[derive(clap::Args)]
pub struct Args {
    /// The lesson file
    #[arg(value_name = "LESSON")]
    lesson: PathBuf,
    /// Print the report and the final observation as one JSON document
    #[arg(long)]
    json: bool,
    /// With --json: include every world's trace events (`state.main.events`, `state.lanes.*.events`);
    /// they are left out otherwise, as they can run to millions
    #[arg(long, requires = "json")]
    events: bool,
    /// Also write the report to FILE as one standalone HTML page (every claim with its line and verdict,
    /// the lesson's kernel version; no script, nothing fetched)
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

pub fn main(args: Args) -> ExitCode {
    let json = args.json;
    let (report, ran) = check_file(&args.lesson);
    let state = ran.as_ref().map(|(_, run)| &run.last);
    if let Some(path) = &args.html {
        let page = hmm_lesson::report_html::report_html(
            &report,
            concat!("hmmviz ", env!("CARGO_PKG_VERSION")),
        );
        if let Err(e) = std::fs::write(path, page) {
            eprintln!("hmmviz run: --html {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if json {
        let with_events = state.filter(|_| args.events).map(Observation::with_events);
        let summary = Summary {
            report: &report,
            passed: report.passed(),
            state: with_events.as_ref().or(state),
        };
        match serde_json::to_string_pretty(&summary) {
            Ok(text) => outln!("{text}"),
            Err(e) => {
                eprintln!("hmmviz run: cannot encode JSON: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print_text(&report, state);
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn print_text(r: &LessonReport, state: Option<&Observation>) {
    outln!(
        "{} — {}",
        r.path,
        r.title.as_deref().unwrap_or("(not parsed)")
    );
    if let Some(label) = r.kernel_label.as_deref().filter(|_| r.rfc_marked()) {
        outln!("kernel {label}");
    }
    for d in &r.diagnostics {
        outln!("{d}");
    }
    if let Some(obs) = state {
        print_world("main", &obs.main);
        for (name, w) in &obs.lanes {
            print_world(name, w);
        }
        for (name, res) in obs.results.iter() {
            match res {
                ResultObs::Dmirror {
                    ret,
                    cpages,
                    faults,
                    snapshot,
                    ..
                } => {
                    let snap = snapshot.as_ref().map_or(String::new(), |s| {
                        let names: Vec<String> = s
                            .values()
                            .map(|b| hmm_lesson::values::snapshot_name(*b))
                            .collect();
                        format!(" snapshot=[{}]", names.join(", "))
                    });
                    outln!("result {name}: ret={ret} cpages={cpages} faults={faults}{snap}");
                }
                ResultObs::CpuRead { data } => {
                    outln!("result {name}: cpu read of {} page(s)", data.len())
                }
                ResultObs::Syscall { ret } => outln!("result {name}: ret={ret}"),
                ResultObs::Run {
                    outcome,
                    ret,
                    stopped,
                } => {
                    let why = stopped
                        .as_ref()
                        .map_or(String::new(), |w| format!(" ({w})"));
                    match ret {
                        Some(r) => outln!("result {name}: lane {} ret={r}{why}", outcome.name()),
                        None => outln!("result {name}: run {}{why}", outcome.name()),
                    }
                }
            }
        }
    }
    outln!("assertions:");
    for a in &r.assertions {
        let mark = if a.passed { "ok  " } else { "FAIL" };
        let xfail = if a.expect_fail { " (expect_fail)" } else { "" };
        outln!(
            "  {mark} {}:{} {}{xfail} — {}",
            a.line,
            a.col,
            a.text,
            a.detail
        );
    }
    if r.not_run > 0 {
        outln!("  {} assertion(s) not run", r.not_run);
    }
    outln!("where the model simplifies:");
    for s in hmm_sim::SIMPLIFICATIONS {
        outln!("  simplified: {s}");
    }
    outln!("{}", if r.passed() { "PASS" } else { "FAIL" });
}

fn print_world(name: &str, w: &WorldObs) {
    if w.pages.is_empty() && w.counters.is_empty() {
        return;
    }
    let counters: Vec<String> = w.counters.iter().map(|(k, v)| format!("{k}={v}")).collect();
    outln!("{name}: {}", counters.join(" "));
    let kinds: Vec<&str> = w.pages.iter().map(|p| p.pte.as_str()).collect();
    outln!("  final PTEs: {}", kinds.join(" "));
    if !w.violations.is_empty() {
        outln!("  invariant violations: {}", w.violations.join("; "));
    }
}
