//! `hmmviz check` and `hmmviz run` end to end: exit codes, the per-lesson lines, the closing count, and
//! `path:line:col` diagnostics for malformed lessons.

use std::path::{Path, PathBuf};
use std::process::Command;

fn hmmviz(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hmmviz"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh directory under the target dir (no temp-file crate needed).
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

const GOOD: &str = r#"+++
id = "tiny"
schema = 1
title = "Migrate four pages"
kernel = "2026"
kind = "lesson"

[scenario]
states = "PPPP"
devices = 1
+++

## Migrate

```hmm
m = dmirror MIGRATE_TO_DEV dev=0 pages=0..4
```

```assert
m.ret == 0
m.cpages == 4
where[0..4] == dev0
```
"#;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write lesson");
    p.display().to_string()
}

#[test]
fn a_passing_lesson_exits_zero_with_counts() {
    let dir = scratch("check-good");
    let path = write(&dir, "tiny.md", GOOD);
    let (code, out, _) = hmmviz(&["check", &path]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("PASS {path} (3 assertions, 0 predictions)")),
        "{out}"
    );
    assert_eq!(out.lines().last(), Some("1 passed, 0 failed"));
}

#[test]
fn a_broken_assertion_fails_with_its_line() {
    let dir = scratch("check-broken");
    let path = write(
        &dir,
        "tiny.md",
        &GOOD.replace("m.cpages == 4", "m.cpages == 5"),
    );
    let (code, out, _) = hmmviz(&["check", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "{path}:21:1: `m.cpages == 5` does not hold: m.cpages is 4"
        )),
        "{out}"
    );
    assert_eq!(out.lines().last(), Some("0 passed, 1 failed"));
}

#[test]
fn malformed_lessons_get_path_line_col_diagnostics() {
    let dir = scratch("check-malformed");
    let cases = [
        (
            "syntax.md",
            GOOD.replace("kind = \"lesson\"", "kind = \"lesson"),
            ":6:",
        ),
        (
            "unknown_key.md",
            GOOD.replace("devices = 1", "devices = 1\ncolour = \"red\""),
            ":11:1: front matter: unknown field `colour`",
        ),
        (
            "bad_letter.md",
            GOOD.replace("PPPP", "PPXP"),
            ":9:13: scenario.states: bad page letter 'X'",
        ),
        (
            "bad_assertion.md",
            GOOD.replace("m.ret == 0", "m.rte == 0"),
            ":20:3: unknown result field `rte`",
        ),
        (
            "bad_action.md",
            GOOD.replace("MIGRATE_TO_DEV", "MIGRATE_TO_DEVICE"),
            ":16:13: unknown dmirror command",
        ),
    ];
    let mut paths = Vec::new();
    for (name, text, _) in &cases {
        paths.push(write(&dir, name, text));
    }
    let (code, out, err) = hmmviz(&["check", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    for ((_, _, want), path) in cases.iter().zip(&paths) {
        assert!(out.contains(&format!("FAIL {path}")), "{out}");
        assert!(
            out.contains(&format!("{path}{want}")),
            "missing `{path}{want}` in\n{out}"
        );
    }
    assert_eq!(out.lines().last(), Some("0 passed, 5 failed"));
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(hmmviz(&["check"]).0, 2);
    assert_eq!(hmmviz(&["check", "/no/such/dir"]).0, 2);
    assert_eq!(hmmviz(&["check", "--frobnicate"]).0, 2);
    assert_eq!(hmmviz(&["run"]).0, 2);
    let dir = scratch("check-empty");
    assert_eq!(
        hmmviz(&["check", dir.to_str().unwrap()]).0,
        2,
        "a directory with no lessons is an error"
    );
}

#[test]
fn run_summarises_and_emits_json() {
    let dir = scratch("run");
    let path = write(&dir, "tiny.md", GOOD);
    let (code, out, _) = hmmviz(&["run", &path]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("result m: ret=0 cpages=4 faults=0"), "{out}");
    assert!(
        out.contains("final PTEs: device_private_write device_private_write"),
        "{out}"
    );
    let (code, json, _) = hmmviz(&["run", &path, "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).expect("one JSON document");
    assert_eq!(v["passed"], true);
    assert_eq!(v["report"]["assertions"].as_array().map(Vec::len), Some(3));
    assert_eq!(v["state"]["results"]["m"]["Dmirror"]["cpages"], 4);
}

/// `--junit FILE`: a test case per lesson, a `<failure>` carrying the failing assertion's or diagnostic's
/// lines (escaped), an `<error>` per path that could not be read.
#[test]
fn junit_report_for_ci() {
    let dir = scratch("check-junit");
    let good = write(&dir, "a-good.md", GOOD);
    let bad = write(
        &dir,
        "b-bad.md",
        &GOOD.replace("m.cpages == 4", "m.cpages == 5"),
    );
    let malformed = write(
        &dir,
        "c-malformed.md",
        &GOOD.replace("m.cpages == 4", "m.cpages == 5 && 1 < 2"),
    );
    let report = dir.join("report.xml");
    let missing = dir.join("missing.md");
    let (code, out, _) = hmmviz(&[
        "check",
        dir.to_str().unwrap(),
        missing.to_str().unwrap(),
        "--junit",
        report.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    let xml = std::fs::read_to_string(&report).expect("the report is written");
    assert!(
        xml.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"hmmviz check\" tests=\"4\" \
             failures=\"2\" errors=\"1\">"
        ),
        "{xml}"
    );
    assert!(
        xml.contains(&format!(
            "<testcase classname=\"lessons\" name=\"{good}\" file=\"{good}\"/>"
        )),
        "{xml}"
    );
    for failing in [&bad, &malformed] {
        assert!(
            xml.contains(&format!(
                "<testcase classname=\"lessons\" name=\"{failing}\" file=\"{failing}\">\n    <failure message=\"{failing}:"
            )),
            "{xml}"
        );
    }
    assert!(xml.contains("`m.cpages == 5` does not hold"), "{xml}");
    assert!(
        xml.contains("m.cpages == 5 &amp;&amp; 1 &lt; 2"),
        "escaped: {xml}"
    );
    assert_eq!(xml.matches("<failure message=").count(), 2, "{xml}");
    assert_eq!(xml.matches("</failure>").count(), 2, "{xml}");
    assert_eq!(xml.matches("<error message=").count(), 1, "{xml}");
    assert!(xml.contains("missing.md"), "{xml}");
    assert!(xml.ends_with("</testsuite>\n</testsuites>\n"), "{xml}");

    // Everything passing: no failure, exit 0; an unwritable report path is a usage error.
    let (code, _, _) = hmmviz(&["check", &good, "--junit", report.to_str().unwrap()]);
    assert_eq!(code, 0);
    let xml = std::fs::read_to_string(&report).unwrap();
    assert!(
        xml.contains("tests=\"1\" failures=\"0\" errors=\"0\""),
        "{xml}"
    );
    let nowhere = dir.join("no/such/dir/r.xml");
    let (code, _, err) = hmmviz(&["check", &good, "--junit", nowhere.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--junit"), "{err}");
}

/// `run --html FILE`: one standalone page naming every claim with its line and verdict, and the kernel; the
/// JSON report carries the kernel too.
#[test]
fn run_writes_a_standalone_html_report() {
    let dir = scratch("run-html");
    let bad = GOOD.replace("m.cpages == 4", "m.cpages == 3");
    let path = write(&dir, "tiny.md", &bad);
    let out = dir.join("report.html");
    let (code, _, err) = hmmviz(&["run", &path, "--html", out.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    let page = std::fs::read_to_string(&out).expect("the page was written");
    assert!(page.starts_with("<!doctype html>") && page.trim_end().ends_with("</html>"));
    assert!(page.contains("<td id=\"kernel\">2026</td>"), "{page}");
    let (_, json, _) = hmmviz(&["run", &path, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("one JSON document");
    assert_eq!(v["report"]["kernel"], "2026");
    let claims = v["report"]["assertions"].as_array().expect("claims");
    assert_eq!(claims.len(), 3);
    for c in claims {
        let row = format!(
            "<tr class=\"claim {}\" data-line=\"{}\" data-col=\"{}\" data-passed=\"{}\"><td>{}:{}</td>",
            if c["passed"] == true { "pass" } else { "fail" },
            c["line"],
            c["col"],
            c["passed"],
            c["line"],
            c["col"]
        );
        assert!(page.contains(&row), "{row}");
        assert!(page.contains(&format!("<code>{}</code>", c["text"].as_str().unwrap())));
    }
    assert_eq!(page.matches("<tr class=\"claim fail\"").count(), 1);
    for fetch in ["<script", "src=", "href=", "<link", "@import", "url("] {
        assert!(!page.contains(fetch), "the page fetches nothing: {fetch}");
    }
    // An unwritable FILE is a usage error, said.
    let (code, _, err) = hmmviz(&["run", &path, "--html", "/no/such/dir/r.html"]);
    assert_eq!(code, 2);
    assert!(err.contains("--html /no/such/dir/r.html"), "{err}");
}

/// A lesson on a kernel no release has carries the "RFC, not merged" mark in `check`, in `run` and in
/// the HTML report; a released kernel's does not.
#[test]
fn an_rfc_kernel_is_marked_in_check_run_and_the_report() {
    let dir = scratch("rfc-mark");
    let rfc = write(
        &dir,
        "rfc.md",
        &GOOD.replace("kernel = \"2026\"", "kernel = \"file-rfc\""),
    );
    let released = write(&dir, "released.md", GOOD);
    let (code, out, err) = hmmviz(&["check", &rfc, &released]);
    assert_eq!(code, 0, "{err}");
    let line = |name: &str| out.lines().find(|l| l.contains(name)).unwrap().to_owned();
    assert!(
        line("rfc.md").ends_with("on kernel file-rfc (RFC, not merged)"),
        "{out}"
    );
    assert!(!line("released.md").contains("RFC"), "{out}");
    let (_, text, _) = hmmviz(&["run", &rfc]);
    assert!(text.contains("kernel file-rfc (RFC, not merged)"), "{text}");
    let html = dir.join("rfc.html");
    hmmviz(&["run", &rfc, "--html", html.to_str().unwrap()]);
    let page = std::fs::read_to_string(&html).expect("the page was written");
    assert!(
        page.contains("<td id=\"kernel\">file-rfc (RFC, not merged)</td>"),
        "{page}"
    );
}
