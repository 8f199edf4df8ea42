//! `hmmviz run LESSON [--json]`: run one lesson and print a summary of its trace: each beat's assertions,
//! per-lane (and main-world) counters, final page states and the dmirror results. `--json` prints the same
//! as one JSON document. Exit status as for `check`: 0 iff the lesson passed.

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

pub fn main(args: &[String]) -> ExitCode {
    let mut json = false;
    let mut lesson = None;
    for a in args {
        match a.as_str() {
            "--json" => json = true,
            flag if flag.starts_with('-') => return usage(&format!("unknown option `{flag}`")),
            path if lesson.is_none() => lesson = Some(PathBuf::from(path)),
            extra => {
                return usage(&format!(
                    "only one lesson per run (extra argument `{extra}`)"
                ))
            }
        }
    }
    let Some(path) = lesson else {
        return usage("missing LESSON");
    };
    let (report, ran) = check_file(&path);
    let state = ran.as_ref().map(|(_, run)| &run.last);
    if json {
        let summary = Summary {
            report: &report,
            passed: report.passed(),
            state,
        };
        match serde_json::to_string_pretty(&summary) {
            Ok(text) => println!("{text}"),
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

fn usage(problem: &str) -> ExitCode {
    eprintln!("hmmviz run: {problem}\nusage: hmmviz run LESSON [--json]");
    ExitCode::from(2)
}

fn print_text(r: &LessonReport, state: Option<&Observation>) {
    println!(
        "{} — {}",
        r.path,
        r.title.as_deref().unwrap_or("(not parsed)")
    );
    for d in &r.diagnostics {
        println!("{d}");
    }
    if let Some(obs) = state {
        print_world("main", &obs.main);
        for (name, w) in &obs.lanes {
            print_world(name, w);
        }
        for (name, res) in &obs.results {
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
                    println!("result {name}: ret={ret} cpages={cpages} faults={faults}{snap}");
                }
                ResultObs::CpuRead { data } => {
                    println!("result {name}: cpu read of {} page(s)", data.len())
                }
                ResultObs::Run { outcome, ret } => match ret {
                    Some(r) => println!("result {name}: lane {} ret={r}", outcome.name()),
                    None => println!("result {name}: run {}", outcome.name()),
                },
            }
        }
    }
    println!("assertions:");
    for a in &r.assertions {
        let mark = if a.passed { "ok  " } else { "FAIL" };
        let xfail = if a.expect_fail { " (expect_fail)" } else { "" };
        println!(
            "  {mark} {}:{} {}{xfail} — {}",
            a.line, a.col, a.text, a.detail
        );
    }
    if r.not_run > 0 {
        println!("  {} assertion(s) not run", r.not_run);
    }
    println!("where the model simplifies:");
    for s in hmm_sim::SIMPLIFICATIONS {
        println!("  simplified: {s}");
    }
    println!("{}", if r.passed() { "PASS" } else { "FAIL" });
}

fn print_world(name: &str, w: &WorldObs) {
    if w.pages.is_empty() && w.counters.is_empty() {
        return;
    }
    let counters: Vec<String> = w.counters.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("{name}: {}", counters.join(" "));
    let kinds: Vec<&str> = w.pages.iter().map(|p| p.pte.as_str()).collect();
    println!("  final PTEs: {}", kinds.join(" "));
    if !w.violations.is_empty() {
        println!("  invariant violations: {}", w.violations.join("; "));
    }
}
