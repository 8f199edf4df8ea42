//! Every lesson in `lessons/` passes, and breaking any of its assertions makes it fail.
//!
//! This is the test `cargo test` relies on to keep the lessons and the simulator honest: the expected values
//! in the lessons come from the kernel, so a failure here is either a lesson bug or a simulator bug.

use hmm_lesson::check::{check_text, collect, LessonReport};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn lesson_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lessons");
    let dir = dir.canonicalize().unwrap_or(dir);
    let found = collect(&[dir]);
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    assert!(found.skipped.is_empty(), "{:?}", found.skipped);
    found.files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn describe(r: &LessonReport) -> String {
    let mut s = format!("FAIL {}\n", r.path);
    for d in &r.diagnostics {
        s.push_str(&format!("{d}\n"));
    }
    for a in r.failures() {
        s.push_str(&format!(
            "  {}:{}: `{}`: {}\n",
            a.line, a.col, a.text, a.detail
        ));
    }
    s
}

#[test]
fn every_lesson_passes() {
    let files = lesson_files();
    // 10 teaching lessons and 20 selftests at the time of writing: a lesson must not silently vanish.
    assert!(files.len() >= 30, "only {} lesson files found", files.len());
    let failures: Vec<String> = files
        .iter()
        .map(|f| check_text(&f.display().to_string(), &read(f)).0)
        .filter(|r| !r.passed())
        .map(|r| describe(&r))
        .collect();
    assert!(
        failures.is_empty(),
        "{} lesson(s) fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Lines (1-based) of ```assert blocks and `verify = "…"` lines, for mutation.
fn assertion_lines(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut in_assert = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with("```") {
            in_assert = !in_assert && t == "```assert";
            continue;
        }
        let code = t.split('#').next().unwrap_or("").trim();
        if (in_assert && !code.is_empty()) || t.starts_with("verify = \"") {
            out.push(i + 1);
        }
    }
    out
}

/// Flip the polarity of the assertion on `line` (add or remove `expect_fail:`).
fn flip(line: &str) -> String {
    let indent = &line[..line.len() - line.trim_start().len()];
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix("verify = \"") {
        return match rest.strip_prefix("expect_fail: ") {
            Some(r) => format!("{indent}verify = \"{r}"),
            None => format!("{indent}verify = \"expect_fail: {rest}"),
        };
    }
    match t.strip_prefix("expect_fail:") {
        Some(r) => format!("{indent}{}", r.trim_start()),
        None => format!("{indent}expect_fail: {t}"),
    }
}

/// A different expected value for `== VALUE` assertions on integers, errnos and content patterns.
fn wrong_value(line: &str) -> Option<String> {
    let t = line.trim();
    if t.starts_with("expect_fail") || t.starts_with("verify") {
        return None;
    }
    let (lhs, value) = t.split_once(" == ")?;
    let value = value.split('#').next()?.trim();
    let other = if let Ok(n) = value.parse::<i64>() {
        (n + 1).to_string()
    } else if let Some(e) = value.strip_prefix("-E") {
        if e == "FAULT" {
            "-EINVAL".into()
        } else {
            "-EFAULT".into()
        }
    } else if let Some(base) = ["-i", "i"].into_iter().find(|b| value.starts_with(b)) {
        // i, i+N, -i, -i+N → the same pattern shifted by one.
        let offset: i64 = match &value[base.len()..] {
            "" => 0,
            rest => rest.strip_prefix('+')?.parse().ok()?,
        };
        format!("{base}+{}", offset + 1)
    } else {
        return None;
    };
    Some(format!("{lhs} == {other}"))
}

fn replace_lines(text: &str, lines: &BTreeSet<usize>, f: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for (i, line) in text.lines().enumerate() {
        if lines.contains(&(i + 1)) {
            out.push_str(&f(line));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Verdict of each assertion, by line, in an unmodified run.
fn verdicts(path: &Path, text: &str) -> Option<std::collections::BTreeMap<usize, bool>> {
    let (report, _) = check_text(&path.display().to_string(), text);
    // A lesson that does not run at all has no verdicts to compare (every_lesson_passes reports it).
    report.diagnostics.is_empty().then(|| {
        report
            .assertions
            .iter()
            .map(|a| (a.line, a.passed))
            .collect()
    })
}

/// Flipping an assertion's polarity flips its verdict, for every assertion: none is skipped or ignored, so
/// breaking any assertion of a passing lesson makes the lesson fail.
#[test]
fn breaking_any_assertion_fails_its_lesson() {
    let mut broken = 0;
    for f in lesson_files() {
        let text = read(&f);
        let lines: BTreeSet<usize> = assertion_lines(&text).into_iter().collect();
        assert!(!lines.is_empty(), "{}: no assertions", f.display());
        let Some(before) = verdicts(&f, &text) else {
            continue;
        };
        let mutated = replace_lines(&text, &lines, flip);
        let (report, _) = check_text(&f.display().to_string(), &mutated);
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            f.display(),
            report.diagnostics
        );
        assert_eq!(report.assertions.len(), before.len(), "{}", f.display());
        for a in &report.assertions {
            let was = before.get(&a.line).copied();
            assert_eq!(
                Some(!a.passed),
                was,
                "{}:{}: `{}` has the same verdict both ways: {}",
                f.display(),
                a.line,
                a.text,
                a.detail
            );
            if was == Some(true) {
                assert!(
                    !report.passed(),
                    "{}: passes with `{}` broken",
                    f.display(),
                    a.text
                );
                broken += 1;
            }
        }
    }
    assert!(broken > 300, "only {broken} assertions were broken");
}

/// Changing the expected value of `==` assertions on numbers, errnos and contents makes each of them fail:
/// the expected values are tight.
#[test]
fn wrong_expected_values_fail() {
    let mut changed_total = 0;
    for f in lesson_files() {
        let text = read(&f);
        let candidates: BTreeSet<usize> = assertion_lines(&text)
            .into_iter()
            .filter(|&l| text.lines().nth(l - 1).and_then(wrong_value).is_some())
            .collect();
        if candidates.is_empty() {
            continue;
        }
        let Some(before) = verdicts(&f, &text) else {
            continue;
        };
        let mutated = replace_lines(&text, &candidates, |l| {
            wrong_value(l).unwrap_or_else(|| l.to_string())
        });
        let (report, _) = check_text(&f.display().to_string(), &mutated);
        assert!(
            report.diagnostics.is_empty(),
            "{}: {:?}",
            f.display(),
            report.diagnostics
        );
        // Only assertions that held before tell us anything when their value changes.
        let held = |l: &usize| before.get(l).copied().unwrap_or(false);
        for a in report
            .assertions
            .iter()
            .filter(|a| candidates.contains(&a.line) && held(&a.line))
        {
            assert!(
                !a.passed,
                "{}:{}: `{}` still holds: {}",
                f.display(),
                a.line,
                a.text,
                a.detail
            );
            changed_total += 1;
        }
    }
    assert!(
        changed_total > 150,
        "only {changed_total} values were changed"
    );
}

#[test]
fn mutation_helpers() {
    assert_eq!(flip("r.ret == 0"), "expect_fail: r.ret == 0");
    assert_eq!(
        flip("expect_fail: all schedules completed"),
        "all schedules completed"
    );
    assert_eq!(
        flip("verify = \"B.walks == 3\""),
        "verify = \"expect_fail: B.walks == 3\""
    );
    assert_eq!(
        wrong_value("r.cpages == 1024").as_deref(),
        Some("r.cpages == 1025")
    );
    assert_eq!(
        wrong_value("r.ret == -EFAULT").as_deref(),
        Some("r.ret == -EINVAL")
    );
    assert_eq!(
        wrong_value("mirror[0..4] == i").as_deref(),
        Some("mirror[0..4] == i+1")
    );
    assert_eq!(
        wrong_value("c.data == i+1").as_deref(),
        Some("c.data == i+2")
    );
    assert_eq!(wrong_value("pte[0] == none"), None);
}

/// Two schedule claims on one property share a count: `all schedules completed` beside `exists schedule
/// completed` once reported "54 of 30 schedules have completed" (each run counted once per claim).
#[test]
fn a_property_claimed_twice_is_counted_once_per_schedule() {
    let path = Path::new("lessons/livelock-6.15-fix.md");
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    let (report, _) = check_text(&path.display().to_string(), &read(&path));
    let all: Vec<_> = report
        .assertions
        .iter()
        .filter(|a| a.text.contains("all schedules completed"))
        .collect();
    assert!(
        !all.is_empty(),
        "the lesson still claims `all schedules completed`"
    );
    for a in all {
        let (with, rest) = a.detail.split_once(" of ").expect("N of M detail");
        let tried: u64 = rest.split_whitespace().next().unwrap().parse().unwrap();
        let with: u64 = with.parse().unwrap();
        assert!(with <= tried, "{}", a.detail);
    }
}
