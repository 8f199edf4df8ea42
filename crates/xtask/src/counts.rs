//! Counting tests from what each runner prints, so `cargo xtask test` can add every suite into one line.
//!
//! - libtest (cargo test, including doc-tests) and wasm-bindgen-test-runner both end each test binary with
//!   `test result: ok. 3 passed; 0 failed; 0 ignored; ...`; a run has one such line per binary.
//! - Playwright runs with our reporter `e2e/count-reporter.mjs`, which prints one line
//!   `hmmviz-e2e-counts: passed=3 failed=0 skipped=0` when the run ends.

use std::fmt;
use std::ops::AddAssign;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
}

impl Counts {
    pub fn total(self) -> u64 {
        self.passed + self.failed
    }
}

impl AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)
    }
}

/// The marker our Playwright reporter puts before its counts.
pub const E2E_MARKER: &str = "hmmviz-e2e-counts:";

/// Sum of every libtest `test result:` line.
pub fn libtest(lines: &[String]) -> Counts {
    let mut counts = Counts::default();
    for line in lines {
        let line = strip_ansi(line);
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            continue;
        };
        // "ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s"
        let Some((_verdict, fields)) = rest.split_once(". ") else {
            continue;
        };
        for field in fields.split(';') {
            match field.split_whitespace().collect::<Vec<_>>().as_slice() {
                [n, "passed"] => counts.passed += n.parse::<u64>().unwrap_or(0),
                [n, "failed"] => counts.failed += n.parse::<u64>().unwrap_or(0),
                _ => {}
            }
        }
    }
    counts
}

/// The counts from the last `hmmviz-e2e-counts:` line, or `None` if the reporter never printed one
/// (Playwright could not load its config or the tests, so nothing was counted).
pub fn playwright(lines: &[String]) -> Option<Counts> {
    let line = lines
        .iter()
        .rev()
        .map(|line| strip_ansi(line))
        .find(|line| line.contains(E2E_MARKER))?;
    let (_, fields) = line.split_once(E2E_MARKER)?;
    let mut counts = Counts::default();
    for field in fields.split_whitespace() {
        match field.split_once('=') {
            Some(("passed", n)) => counts.passed = n.parse().ok()?,
            Some(("failed", n)) => counts.failed = n.parse().ok()?,
            _ => {}
        }
    }
    Some(counts)
}

/// Drop terminal colour codes (`ESC [ ... letter`), in case a runner colours its output.
fn strip_ansi(line: &str) -> String {
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // Skip the '[', the parameters, and the final letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn libtest_sums_every_binary_including_doc_tests_and_failures() {
        let output = lines(
            "running 3 tests\n\
             test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\
             test a ... FAILED\n\
             test result: FAILED. 1 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\
             \u{1b}[32m   Doc-tests hmm_sim\u{1b}[0m\n\
             test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\
             test result: \u{1b}[32mok\u{1b}[0m. 4 passed; 0 failed; 0 ignored; 0 filtered out; finished in 1.2s",
        );
        assert_eq!(
            libtest(&output),
            Counts {
                passed: 8,
                failed: 2
            }
        );
    }

    #[test]
    fn libtest_ignores_lines_that_only_look_similar() {
        let output =
            lines("test result_parser ... ok\nsome test result: 5 passed\nno tests to run!");
        assert_eq!(libtest(&output), Counts::default());
    }

    #[test]
    fn playwright_reads_the_last_counts_line() {
        let output = lines(
            "  ✓  1 app.spec.mjs:3:1 › loads\nhmmviz-e2e-counts: passed=3 failed=1 skipped=2",
        );
        assert_eq!(
            playwright(&output),
            Some(Counts {
                passed: 3,
                failed: 1
            })
        );
        assert_eq!(playwright(&lines("Error: cannot find module")), None);
        assert_eq!(
            playwright(&lines("hmmviz-e2e-counts: passed=x failed=0")),
            None
        );
    }

    #[test]
    fn counts_print_as_the_closing_line() {
        assert_eq!(
            Counts {
                passed: 12,
                failed: 0
            }
            .to_string(),
            "12 passed, 0 failed"
        );
    }
}
