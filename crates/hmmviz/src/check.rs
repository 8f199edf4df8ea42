//! `hmmviz check PATH...`: every lesson found is parsed, validated and run. One line per lesson, the
//! diagnostics and failed assertions of the failing ones, then `N passed, N failed`. Exit status 0 iff
//! every lesson passed; 1 if any failed; 2 for usage errors or when no lesson was found.

use crate::outln;
use hmm_lesson::check::{check_file, collect, LessonReport};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Lesson files, or directories searched for `*.md` (README.md skipped; symlinked directories inside
    /// are not followed, and only regular files are read)
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

pub fn main(args: Args) -> ExitCode {
    let found = collect(&args.paths);
    let (files, errors) = (found.files, found.errors);
    for e in &errors {
        eprintln!("hmmviz check: {e}");
    }
    for s in &found.skipped {
        eprintln!("hmmviz check: skipped {s}");
    }
    if files.is_empty() {
        eprintln!("hmmviz check: no lesson files found");
        return ExitCode::from(2);
    }
    let (mut passed, mut failed) = (0usize, 0usize);
    for file in &files {
        let (report, _) = check_file(file);
        print_report(&report);
        if report.passed() {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    outln!("{passed} passed, {failed} failed");
    if failed == 0 && errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn print_report(r: &LessonReport) {
    let verdict = if r.passed() { "PASS" } else { "FAIL" };
    outln!(
        "{verdict} {} ({} assertions, {} predictions{})",
        r.path,
        r.assertions.len(),
        r.predictions,
        if r.not_run > 0 {
            format!(", {} not run", r.not_run)
        } else {
            String::new()
        }
    );
    for d in &r.diagnostics {
        for line in d.to_string().lines() {
            outln!("    {line}");
        }
    }
    for a in r.failures() {
        let why = if a.internal_error {
            "could not be evaluated"
        } else if a.expect_fail {
            "expected to fail, but holds"
        } else {
            "does not hold"
        };
        outln!(
            "    {}:{}:{}: `{}` {why}: {}",
            r.path,
            a.line,
            a.col,
            a.text,
            a.detail
        );
    }
}
