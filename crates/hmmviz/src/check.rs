//! `hmmviz check PATH...`: every lesson found is parsed, validated and run. One line per lesson, the
//! diagnostics and failed assertions of the failing ones, then `N passed, N failed`. Exit status 0 iff
//! every lesson passed; 1 if any failed; 2 for usage errors or when no lesson was found.
//!
//! `--junit FILE` also writes the results as JUnit XML, the report format CI systems read (GitLab, Jenkins,
//! GitHub actions that annotate tests): a test case per lesson, a `<failure>` with the same lines as stdout
//! for a failing one, an `<error>` per path that could not be read.

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
    /// Also write the results to FILE as JUnit XML (a test case per lesson), for CI systems
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
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
    let mut cases = Vec::new();
    for file in &files {
        let (report, _) = check_file(file);
        let lines = report_lines(&report);
        for line in &lines {
            outln!("{line}");
        }
        if report.passed() {
            passed += 1;
        } else {
            failed += 1;
        }
        cases.push(Case {
            name: report.path.clone(),
            failure: (!report.passed()).then(|| lines[1..].join("\n")),
        });
    }
    outln!("{passed} passed, {failed} failed");
    if let Some(path) = &args.junit {
        let xml = junit_xml(
            &cases,
            &errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        );
        if let Err(e) = std::fs::write(path, xml) {
            eprintln!("hmmviz check: --junit {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if failed == 0 && errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The lines `check` prints for one lesson: the verdict, then its diagnostics and failed assertions.
fn report_lines(r: &LessonReport) -> Vec<String> {
    let verdict = if r.passed() { "PASS" } else { "FAIL" };
    let mut lines = vec![format!(
        "{verdict} {} ({} assertions, {} predictions{}){}",
        r.path,
        r.assertions.len(),
        r.predictions,
        if r.not_run > 0 {
            format!(", {} not run", r.not_run)
        } else {
            String::new()
        },
        match &r.kernel_label {
            Some(label) if r.rfc_marked() => format!(" on kernel {label}"),
            _ => String::new(),
        }
    )];
    for d in &r.diagnostics {
        for line in d.to_string().lines() {
            lines.push(format!("    {line}"));
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
        lines.push(format!(
            "    {}:{}:{}: `{}` {why}: {}",
            r.path, a.line, a.col, a.text, a.detail
        ));
    }
    lines
}

/// One lesson's result for the JUnit report.
struct Case {
    name: String,
    /// The failing lesson's diagnostics and failed assertions, as printed.
    failure: Option<String>,
}

/// The JUnit XML report: one `<testsuite>`, a `<testcase>` per lesson, and one per path that could not be
/// read (an `<error>`).
fn junit_xml(cases: &[Case], errors: &[String]) -> String {
    let failures = cases.iter().filter(|c| c.failure.is_some()).count();
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"hmmviz check\" tests=\"{}\" \
         failures=\"{failures}\" errors=\"{}\">\n<testsuite name=\"lessons\" tests=\"{}\" failures=\"{failures}\" \
         errors=\"{}\">\n",
        cases.len() + errors.len(),
        errors.len(),
        cases.len() + errors.len(),
        errors.len(),
    );
    for c in cases {
        let name = escape(&c.name);
        match &c.failure {
            None => xml.push_str(&format!(
                "  <testcase classname=\"lessons\" name=\"{name}\" file=\"{name}\"/>\n"
            )),
            Some(details) => {
                let first = details
                    .lines()
                    .next()
                    .unwrap_or("the lesson does not pass")
                    .trim();
                xml.push_str(&format!(
                    "  <testcase classname=\"lessons\" name=\"{name}\" file=\"{name}\">\n    \
                     <failure message=\"{}\">{}</failure>\n  </testcase>\n",
                    escape(first),
                    escape(details)
                ));
            }
        }
    }
    for e in errors {
        xml.push_str(&format!(
            "  <testcase classname=\"lessons\" name=\"{0}\">\n    <error message=\"{0}\"/>\n  </testcase>\n",
            escape(e)
        ));
    }
    xml.push_str("</testsuite>\n</testsuites>\n");
    xml
}

/// XML text and attribute escaping; characters XML 1.0 cannot hold at all (most control characters) become
/// U+FFFD.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}
