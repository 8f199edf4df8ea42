//! Issue 14's command-line reproducers, each run on the built binary under `ulimit -v 2000000` (2 GB of
//! address space) and `timeout 60`: symlink loops, `/dev/zero` and FIFOs in a lesson directory, huge
//! diagnostics, non-UTF-8 arguments, a closed stdout. Before the fixes these hung, ran out of memory,
//! printed hundreds of megabytes or panicked (exit 101). Also the clap front end: help, version,
//! completions, man page.
//!
//! `HMMVIZ_UNDER_TEST=/path/to/hmmviz` runs these tests against another build (how they were checked to
//! fail on the code before the fixes).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn binary() -> OsString {
    std::env::var_os("HMMVIZ_UNDER_TEST").unwrap_or_else(|| env!("CARGO_BIN_EXE_hmmviz").into())
}

/// The binary under `ulimit -v 2000000` and `timeout 60`.
fn bounded(args: &[&OsStr]) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(r#"ulimit -v 2000000; exec timeout 60 "$0" "$@""#)
        .arg(binary())
        .args(args);
    c
}

struct Run {
    code: i32,
    out: String,
    err: String,
    out_bytes: usize,
}

fn run(args: &[&OsStr]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = bounded(args).output().expect("sh runs");
    Run {
        code: status.code().unwrap_or(-1),
        out_bytes: stdout.len(),
        out: String::from_utf8_lossy(&stdout[..stdout.len().min(100_000)]).into_owned(),
        err: String::from_utf8_lossy(&stderr[..stderr.len().min(100_000)]).into_owned(),
    }
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// A fresh directory under the system temp dir, named after the test and this process.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hmmviz-bounded-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

const GOOD: &str = "+++\nid = \"tiny\"\nschema = 1\ntitle = \"t\"\nkernel = \"2026\"\nkind = \"lesson\"\n[scenario]\nstates = \"PPPP\"\n+++\n## Migrate\n```hmm\nm = dmirror MIGRATE_TO_DEV dev=0 pages=0..4\n```\n```assert\nm.cpages == 4\n```\n";

fn assert_no_panic(r: &Run) {
    assert_ne!(r.code, 101, "panicked: {}", r.err);
    assert_ne!(r.code, 124, "timed out");
    assert!(!r.err.contains("panicked"), "{}", r.err);
    assert!(!r.err.contains("memory allocation"), "{}", r.err);
}

/// Item 5: two `ln -s .` entries made about 2^40 paths and ran the one lesson beside them 10,000 times.
#[test]
fn symlinked_directories_are_not_followed() {
    let dir = scratch("loops");
    std::fs::write(dir.join("tiny.md"), GOOD).unwrap();
    std::os::unix::fs::symlink(".", dir.join("a")).unwrap();
    std::os::unix::fs::symlink(".", dir.join("b")).unwrap();
    let r = run(&[os("check"), dir.as_os_str()]);
    assert_no_panic(&r);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert_eq!(r.out.matches("PASS").count(), 1, "{}", r.out);
    assert_eq!(r.out.lines().last(), Some("1 passed, 0 failed"));
    assert!(
        r.err.contains("a: symlinked directory, not followed"),
        "{}",
        r.err
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Item 5: `ln -s /dev/zero d/z.md` read until memory ran out.
#[test]
fn a_device_behind_a_lesson_name_is_not_read() {
    let dir = scratch("devzero");
    std::fs::write(dir.join("tiny.md"), GOOD).unwrap();
    let z = dir.join("z.md");
    std::os::unix::fs::symlink("/dev/zero", &z).unwrap();
    let r = run(&[os("check"), dir.as_os_str()]);
    assert_no_panic(&r);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(r.err.contains("z.md: not a regular file"), "{}", r.err);
    // Named explicitly: refused, not read.
    let r = run(&[os("check"), z.as_os_str()]);
    assert_no_panic(&r);
    assert_eq!(r.code, 2, "{}{}", r.out, r.err);
    assert!(r.err.contains("not a regular file"), "{}", r.err);
    let r = run(&[os("run"), z.as_os_str()]);
    assert_no_panic(&r);
    assert_eq!(r.code, 1, "{}{}", r.out, r.err);
    assert!(r.out.contains("not a regular file"), "{}", r.out);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Item 5: a FIFO named `p.md` blocked forever.
#[test]
fn a_fifo_is_never_opened() {
    let dir = scratch("fifo");
    std::fs::write(dir.join("tiny.md"), GOOD).unwrap();
    let p = dir.join("p.md");
    let made = Command::new("mkfifo")
        .arg(&p)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let r = run(&[os("check"), dir.as_os_str()]);
    assert_no_panic(&r);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(r.err.contains("p.md: not a regular file"), "{}", r.err);
    let r = run(&[os("check"), p.as_os_str()]);
    assert_no_panic(&r);
    assert_eq!(r.code, 2, "{}{}", r.out, r.err);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file that is too big is refused after reading at most the limit plus one byte.
#[test]
fn an_oversized_file_is_refused() {
    let dir = scratch("big");
    let big = dir.join("big.md");
    std::fs::write(&big, "x".repeat((1 << 20) + 1)).unwrap();
    let r = run(&[os("check"), big.as_os_str()]);
    assert_no_panic(&r);
    assert_eq!(r.code, 1, "{}{}", r.out, r.err);
    assert!(
        r.out.contains("larger than 1048576 bytes (MAX_FILE_BYTES)"),
        "{}",
        r.out
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn long_line_lesson(words: usize) -> String {
    format!(
        "+++\nid = \"l\"\nschema = 1\ntitle = \"t\"\nkernel = \"2026\"\nkind = \"lesson\"\naudience = [{}]\n[scenario]\nstates = \"PPPP\"\n+++\n",
        vec!["\"x\""; words].join(", ")
    )
}

/// Item 4: a 43 KB file printed 601 MB; a 0.8 MB line aborted out of memory.
#[test]
fn diagnostics_are_capped_and_trimmed() {
    let dir = scratch("diags");
    for (name, words) in [("k43.md", 10_000), ("k800.md", 160_000)] {
        let path = dir.join(name);
        std::fs::write(&path, long_line_lesson(words)).unwrap();
        let r = run(&[os("check"), path.as_os_str()]);
        assert_no_panic(&r);
        assert_eq!(r.code, 1, "{}", r.err);
        assert!(r.out_bytes < 64 * 1024, "{name}: {} bytes", r.out_bytes);
        assert!(
            r.out
                .contains(&format!("{} more problem(s) not shown", words - 50)),
            "{}",
            r.out
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Item 6: non-UTF-8 arguments panicked (exit 101).
#[test]
fn non_utf8_arguments_are_clear_errors() {
    let bad_path = OsStr::from_bytes(b"bad\xff.md");
    let r = run(&[os("check"), bad_path]);
    assert_no_panic(&r);
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(r.err.contains("no such file or directory"), "{}", r.err);
    let r = run(&[os("run"), bad_path]);
    assert_no_panic(&r);
    assert_eq!(r.code, 1, "{}", r.err);
    let r = run(&[os("compare"), os("--pages"), OsStr::from_bytes(b"P\xff")]);
    assert_no_panic(&r);
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(
        r.err.contains("--pages") && r.err.contains("not UTF-8"),
        "{}",
        r.err
    );
    let r = run(&[OsStr::from_bytes(b"\xffcheck")]);
    assert_no_panic(&r);
    assert_eq!(r.code, 2, "{}", r.err);
}

/// Item 6: `hmmviz run X --json | head -c 10` panicked with "failed printing to stdout: Broken pipe".
/// The reader here closes the pipe before hmmviz writes; hmmviz must end quietly with 141.
#[test]
fn a_closed_stdout_ends_quietly() {
    let dir = scratch("pipe");
    let lesson = dir.join("tiny.md");
    std::fs::write(&lesson, GOOD).unwrap();
    // 141 once a write fails. (0 would mean every write succeeded: possible only if some other process
    // still held the pipe's read end; seen once under parallel tests, so tolerated per case, not overall.)
    let mut quiet_stops = 0;
    for args in [
        vec![os("run"), lesson.as_os_str(), os("--json")],
        vec![os("check"), lesson.as_os_str()],
        vec![os("compare"), os("--pages"), os("PPSS")],
        vec![os("completions"), os("bash")],
    ] {
        let mut child = bounded(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawns");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("waits");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.is_empty(), "{args:?}: {err}");
        match out.status.code() {
            Some(141) => quiet_stops += 1,
            Some(0) => {}
            other => panic!("{args:?}: exit {other:?}: {err}"),
        }
    }
    assert!(quiet_stops > 0, "no case saw the closed pipe");
    // The literal reproducer: `| head -c 10` (the exit status travels on stderr, since sh has no pipefail).
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(r#"{ ulimit -v 2000000; timeout 60 "$0" run "$1" --json; echo "status $?" >&2; } | head -c 10"#)
        .arg(binary())
        .arg(&lesson);
    let out = c.output().expect("sh runs");
    assert_eq!(out.stdout.len(), 10);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("status 101"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 12 item 7: `--help`, `<command> --help`, `--version`, completions and a man page.
#[test]
fn the_cli_fits_its_ecosystem() {
    let r = run(&[os("--help")]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("Usage: hmmviz <COMMAND>"), "{}", r.out);
    for cmd in ["compare", "check", "run", "completions", "man"] {
        assert!(
            r.out.contains(&format!("  {cmd} ")),
            "{cmd} missing from\n{}",
            r.out
        );
        let sub = run(&[os(cmd), os("--help")]);
        assert_eq!(sub.code, 0, "{cmd}: {}", sub.err);
        assert!(
            sub.out.contains(&format!("Usage: hmmviz {cmd}")),
            "{}",
            sub.out
        );
    }
    let r = run(&[os("--version")]);
    assert_eq!(
        (r.code, r.out.trim()),
        (0, concat!("hmmviz ", env!("CARGO_PKG_VERSION")))
    );
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let r = run(&[os("completions"), os(shell)]);
        assert_eq!(r.code, 0, "{shell}: {}", r.err);
        assert!(
            r.out.contains("hmmviz") && r.out.contains("compare"),
            "{shell}"
        );
    }
    let r = run(&[os("man"), os("check")]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out.contains("hmmviz\\-check"),
        "{}",
        &r.out[..300.min(r.out.len())]
    );
    let r = run(&[os("man")]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out.starts_with(".ie") || r.out.contains(".TH hmmviz"),
        "{}",
        &r.out[..200.min(r.out.len())]
    );
    let r = run(&[]);
    assert_eq!(r.code, 2, "no command is a usage error");
    assert!(r.err.contains("Usage: hmmviz <COMMAND>"), "{}", r.err);
    let r = run(&[os("frobnicate")]);
    assert_eq!(r.code, 2);
    assert!(
        r.err.contains("unrecognized subcommand 'frobnicate'"),
        "{}",
        r.err
    );
}

/// docs/cli.md quotes `hmmviz --help`; the quote must be what the binary prints.
#[test]
fn docs_quote_the_help_exactly() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/cli.md"))
        .expect("docs/cli.md");
    let quoted = docs
        .split("$ hmmviz --help\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a ```text block starting with `$ hmmviz --help`");
    let r = run(&[os("--help")]);
    assert_eq!(r.code, 0);
    assert_eq!(quoted, r.out, "docs/cli.md's --help block is stale");
}

/// Item 3: `hmmviz run --json` wrote 104 MB for a `P*4096` lesson: every trace event of every world. The
/// events are now opt-in (`--events`); without them the JSON is the report and the final state.
#[test]
fn run_json_prints_events_only_when_asked() {
    let dir = scratch("run-json");
    let lesson = dir.join("big.md");
    std::fs::write(
        &lesson,
        "+++\nid = \"big\"\nschema = 1\ntitle = \"t\"\nkernel = \"2026\"\nkind = \"lesson\"\n[scenario]\nstates = \"P*4096\"\ndevices = 1\n+++\n## Lanes\n```hmm\nm = dmirror MIGRATE_TO_DEV dev=0 pages=0..4096\nlane legacy_a\nlane legacy_b\nlane unified\n```\n```assert\nm.cpages == 4096\n```\n",
    )
    .unwrap();
    let r = run(&[os("run"), lesson.as_os_str(), os("--json")]);
    assert_no_panic(&r);
    assert_eq!(r.code, 0, "{}{}", &r.out[..2000.min(r.out.len())], r.err);
    assert!(
        r.out_bytes < 8_000_000,
        "{} bytes without --events",
        r.out_bytes
    );
    assert!(!r.out.contains("\"events\""));
    let without = r.out_bytes;
    // With --events: every event of the four worlds (about 780,000 here, over 100 MB), one object each.
    let r = run(&[os("run"), lesson.as_os_str(), os("--json"), os("--events")]);
    assert_no_panic(&r);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out_bytes > 20 * without,
        "{} bytes with --events",
        r.out_bytes
    );
    // --events needs --json.
    let r = run(&[os("run"), lesson.as_os_str(), os("--events")]);
    assert_eq!(r.code, 2, "{}", r.err);
    let r = run(&[os("run"), os("--help")]);
    assert!(r.out.contains("--events"), "{}", r.out);
}

/// docs/cli.md quotes `hmmviz run --help`; the quote must be what the binary prints.
#[test]
fn docs_quote_run_help_exactly() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/cli.md"))
        .expect("docs/cli.md");
    let quoted = docs
        .split("$ hmmviz run --help\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a ```text block starting with `$ hmmviz run --help`");
    let r = run(&[os("run"), os("--help")]);
    assert_eq!(r.code, 0);
    assert_eq!(quoted, r.out, "docs/cli.md's run --help block is stale");
}

/// Item 7: `compare` on `C*262144` ran 225,727,310 events against a 50 M limit and took 4.6 GB; `O*262144`
/// 9.8 GB. Single letters that restart the walk per chunk are now refused up front, with the reason; a range
/// that stays under those counts but puts them far from its start stops at the named step limit, says why,
/// and keeps its memory flat (compare keeps counters, not traces).
#[test]
fn compare_on_restarting_ranges_stops_at_named_limits() {
    for (letter, limit) in [
        ("C", "at most 65536"),
        ("Z", "at most 65536"),
        ("O", "at most 16384"),
    ] {
        let r = run(&[
            os("compare"),
            os("--pages"),
            os(&format!("{letter}*262144")),
            os("--write"),
        ]);
        assert_eq!(r.code, 2, "{letter}: {}", r.err);
        assert!(
            r.err.contains(limit) && r.err.contains("-EBUSY"),
            "{letter}: {}",
            r.err
        );
    }
    let r = run(&[
        os("compare"),
        os("--pages"),
        os("P*196608C*65536"),
        os("--write"),
    ]);
    assert_no_panic(&r);
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(
        r.err
            .contains("legacy_a: step limit of 50,000,000 events reached (T0 in ")
            && r.err.contains("restarts from the start of its range"),
        "{}",
        r.err
    );
    assert!(!r.err.contains("livelock"), "{}", r.err);
    let steps = r
        .out
        .lines()
        .find(|l| l.starts_with("steps"))
        .expect("the counters table");
    assert_eq!(
        steps.split_whitespace().nth(1),
        Some("50000000"),
        "legacy A used exactly the budget: {steps}"
    );
}
