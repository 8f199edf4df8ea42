//! `hmmviz check PATH...`: every lesson found is parsed, validated and run. One line per lesson, the
//! diagnostics and failed assertions of the failing ones, then `N passed, N failed`. Exit status 0 iff
//! every lesson passed; 1 if any failed; 2 for usage errors or when no lesson was found.

use hmm_lesson::check::{check_file, collect, LessonReport};
use std::path::PathBuf;
use std::process::ExitCode;

pub fn main(args: &[String]) -> ExitCode {
    if args.is_empty() || args.iter().any(|a| a == "-h" || a == "--help") {
        eprintln!("usage: hmmviz check PATH...   (lesson files or directories of them)");
        return ExitCode::from(2);
    }
    if let Some(flag) = args.iter().find(|a| a.starts_with('-')) {
        eprintln!("hmmviz check: unknown option `{flag}`");
        return ExitCode::from(2);
    }
    let paths: Vec<PathBuf> = args.iter().map(PathBuf::from).collect();
    let (files, errors) = collect(&paths);
    for e in &errors {
        eprintln!("hmmviz check: {e}");
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
    println!("{passed} passed, {failed} failed");
    if failed == 0 && errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn print_report(r: &LessonReport) {
    let verdict = if r.passed() { "PASS" } else { "FAIL" };
    println!(
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
            println!("    {line}");
        }
    }
    for a in r.failures() {
        let why = if a.expect_fail {
            "expected to fail, but holds"
        } else {
            "does not hold"
        };
        println!(
            "    {}:{}:{}: `{}` {why}: {}",
            r.path, a.line, a.col, a.text, a.detail
        );
    }
}
