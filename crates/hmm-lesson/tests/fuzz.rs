//! Fuzzing: no input makes the parser, the validator or the runner panic, or take unbounded time or
//! output; and the validator and the evaluator agree.
//!
//! Structured fuzzing with proptest on the stable toolchain (cargo fuzz / libFuzzer needs nightly and a
//! separate harness; these run in every `cargo test`, with a fixed seed, so a failure reproduces). The
//! generators: arbitrary bytes; line- and byte-level mutations of every real lesson; front matter built
//! from its own grammar (known keys with values of every type, unknown keys, long values); action and
//! assertion lines from their grammars, well-formed or nearly so; and small lessons with random actions
//! *and claims* run end to end. Caps: each case's diagnostics are checked against
//! `MAX_DIAGNOSTICS` and a per-diagnostic size, each case's time against [`CASE_TIME`], and each test runs
//! in a child process under `ulimit -v 2000000` and `timeout 300` (`support::under_limits`). Each test
//! prints how many inputs it tried. (URL parameters are fuzzed in web/src/url.rs.)

use hmm_lesson::check::check_text;
use hmm_lesson::limits;
use hmm_lesson::parse;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::Path;
use std::time::{Duration, Instant};

mod support;
use support::under_limits;

fn lessons() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lessons");
    hmm_lesson::collect(&[dir])
        .files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect()
}

fn runner(cases: u32) -> TestRunner {
    // Fixed seed: a failure reproduces; the default failure persistence file is not written.
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    )
}

/// The time one parse (or one small run) may take: generous for a debug build on a loaded machine; the
/// amplifications issue 14 found took seconds to hours.
const CASE_TIME: Duration = Duration::from_secs(10);

/// Every diagnostic carries a position inside the file and a message; their number and size are bounded;
/// the parse is quick.
fn check_diagnostics(text: &str) {
    let start = Instant::now();
    let result = parse("fuzz.md", text);
    assert!(
        start.elapsed() < CASE_TIME,
        "{:?} for {text:?}",
        start.elapsed()
    );
    if let Err(diags) = result {
        assert!(!diags.is_empty());
        assert!(
            diags.len() <= limits::MAX_DIAGNOSTICS + 1,
            "{}",
            diags.len()
        );
        for d in &diags {
            // Path, numbers, message, snippet window (each cut adds one `…`), caret line.
            let bound = 64 + limits::MAX_MESSAGE_CHARS + 2 * (limits::MAX_SNIPPET_CHARS + 2) + 40;
            assert!(d.to_string().chars().count() <= bound, "{d}");
        }
        let lines = text.split('\n').count().max(1);
        for d in diags {
            assert!(
                d.line >= 1 && d.line <= lines,
                "line {} of {lines}: {d}",
                d.line
            );
            assert!(d.col >= 1, "{d}");
            assert!(!d.message.is_empty());
        }
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    under_limits("arbitrary_bytes_never_panic", 300, || {
        let cases = 3000;
        let strategy = prop::collection::vec(any::<u8>(), 0..2048);
        runner(cases)
        .run(&strategy, |bytes| {
            let text = String::from_utf8_lossy(&bytes);
            check_diagnostics(&text);
            // Also behind a valid front matter, so the body parsers see the bytes.
            let framed = format!("+++\nid = \"f\"\nschema = 1\ntitle = \"t\"\nkernel = \"6.15\"\nkind = \"lesson\"\n[scenario]\nstates = \"PPNN\"\n+++\n## B\n```hmm\n{text}\n```\n```assert\n{text}\n```\n```predict\n{text}\n```\n");
            check_diagnostics(&framed);
            Ok(())
        })
        .unwrap();
        eprintln!(
            "fuzz: {} arbitrary byte strings, each alone and framed",
            cases
        );
    });
}

#[derive(Clone, Debug)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    InsertText(usize, String),
    DeleteBytes(usize, usize),
    ReplaceByte(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let snippet = prop_oneof![
        Just("`".to_string()),
        Just("```".to_string()),
        Just("+++".to_string()),
        Just("## ".to_string()),
        Just("=".to_string()),
        Just("..".to_string()),
        Just("[".to_string()),
        Just("\"".to_string()),
        Just("expect_fail: ".to_string()),
        Just("t1: ".to_string()),
        Just("r = ".to_string()),
        Just("99999999999999999999".to_string()),
        Just("-".to_string()),
        Just("\u{00e9}".to_string()),
        "[ -~]{0,12}",
    ];
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), snippet).prop_map(|(a, s)| Mutation::InsertText(a, s)),
        (any::<usize>(), 1usize..40).prop_map(|(a, n)| Mutation::DeleteBytes(a, n)),
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::ReplaceByte(a, b)),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let n = lines.len().max(1);
    match m {
        Mutation::DeleteLine(i) => {
            if !lines.is_empty() {
                lines.remove(i % n);
            }
        }
        Mutation::DuplicateLine(i) => {
            if let Some(l) = lines.get(i % n).cloned() {
                lines.insert(i % n, l);
            }
        }
        Mutation::SwapLines(a, b) => {
            if !lines.is_empty() {
                lines.swap(a % n, b % n);
            }
        }
        Mutation::InsertText(at, s) => {
            let mut bytes = text.as_bytes().to_vec();
            let at = at % (bytes.len() + 1);
            bytes.splice(at..at, s.bytes());
            return String::from_utf8_lossy(&bytes).into_owned();
        }
        Mutation::DeleteBytes(at, len) => {
            let mut bytes = text.as_bytes().to_vec();
            let at = at % (bytes.len() + 1);
            let end = (at + len).min(bytes.len());
            bytes.drain(at..end);
            return String::from_utf8_lossy(&bytes).into_owned();
        }
        Mutation::ReplaceByte(at, b) => {
            let mut bytes = text.as_bytes().to_vec();
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] = *b;
            }
            return String::from_utf8_lossy(&bytes).into_owned();
        }
    }
    lines.join("\n")
}

#[test]
fn mutated_lessons_never_panic() {
    under_limits("mutated_lessons_never_panic", 300, || {
        let corpus = lessons();
        assert!(!corpus.is_empty());
        let cases = 3000;
        let strategy = (0..corpus.len(), prop::collection::vec(mutation(), 1..6));
        runner(cases)
            .run(&strategy, |(which, muts)| {
                let mut text = corpus[which].clone();
                for m in &muts {
                    text = apply(&text, m);
                }
                check_diagnostics(&text);
                Ok(())
            })
            .unwrap();
        eprintln!("fuzz: {cases} mutated lessons parsed and validated");
    });
}

/// Small lessons with random but well-formed actions and assertions, run on the simulator: the runner and
/// the evaluator must not panic whatever the sequence of operations.
#[test]
fn random_small_lessons_run_without_panic() {
    under_limits("random_small_lessons_run_without_panic", 300, || {
        let action = prop_oneof![
            (0usize..4, 1usize..3, 0usize..2).prop_map(|(s, n, d)| format!(
                "dmirror {} dev={d} pages={s}..{}",
                [
                    "READ",
                    "WRITE",
                    "MIGRATE_TO_DEV",
                    "MIGRATE_TO_SYS",
                    "SNAPSHOT",
                    "EXCLUSIVE",
                    "CHECK_EXCLUSIVE"
                ][(s + n + d) % 7],
                (s + n).min(4)
            )),
            (0usize..4).prop_map(|p| format!("cpu read pages={p}")),
            (0usize..4, 0u64..5).prop_map(|(p, v)| format!("cpu write pages={p} value={v}")),
            (0usize..4, 0usize..3)
                .prop_map(|(p, r)| format!("mprotect pages={p} prot={}", ["rw", "r", "none"][r])),
            (0usize..4).prop_map(|p| format!("munmap pages={p}")),
            (0usize..3).prop_map(|l| format!("lane {}", ["legacy_a", "legacy_b", "unified"][l])),
        ];
        let states = "[PCZNSDO]{4}";
        let kernel = prop_oneof![
            Just("6.14"),
            Just("6.15"),
            Just("2026"),
            Just("popple"),
            Just("file-rfc")
        ];
        let strategy = (states, kernel, prop::collection::vec(action, 1..6));
        let cases = 300;
        runner(cases)
        .run(&strategy, |(states, kernel, actions)| {
            let text = format!(
                "+++\nid = \"r\"\nschema = 1\ntitle = \"t\"\nkernel = \"{kernel}\"\nkind = \"lesson\"\n[limits]\nsteps = 20000\nschedules = 4\n[scenario]\nstates = \"{states}\"\ndevices = 2\n+++\n## B\n```hmm\n{}\n```\n```assert\nalways invariants\nlocks_held == 0\n```\n",
                actions.join("\n")
            );
            let (report, _) = check_text("random.md", &text);
            // Whether it passes is the simulator's business; it must produce a report.
            assert!(report.passed() || !report.diagnostics.is_empty() || report.failures().count() > 0);
            Ok(())
        })
        .unwrap();
        eprintln!("fuzz: {cases} random small lessons run on the simulator");
    });
}

fn lesson_with(front_extra: &str, scenario_extra: &str, body: &str) -> String {
    format!(
        "+++\nid = \"f\"\nschema = 1\ntitle = \"t\"\nkernel = \"2026\"\nkind = \"lesson\"\n{front_extra}\n[scenario]\nstates = \"PPSN\"\ndevices = 2\nthreads = [\"t1\"]\n{scenario_extra}\n+++\n## B\n{body}"
    )
}

/// A TOML value of any shape, some of them long.
fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\"6.18\"".to_string()),
        Just("\"PPPP\"".to_string()),
        Just("'''PP\nSN'''".to_string()),
        Just("\"\\u0050X\"".to_string()),
        Just("[\"student\", \"kernel\"]".to_string()),
        Just("[\"x\", 1, true]".to_string()),
        Just("{ pages = \"0..2\" }".to_string()),
        Just("\"dmirror_mmap\"".to_string()),
        Just("true".to_string()),
        Just("-1".to_string()),
        Just("99999999999999999999".to_string()),
        Just("1e400".to_string()),
        Just("\"P*262145\"".to_string()),
        Just("\"O*4\"".to_string()),
        (1usize..3000).prop_map(|n| format!("[{}]", vec!["\"x\""; n].join(","))),
        (1usize..5000).prop_map(|n| format!("\"{}\"", "P".repeat(n))),
        any::<i64>().prop_map(|n| n.to_string()),
        "\"[ -~]{0,20}\"",
    ]
}

/// Front matter from its grammar: every key (and some unknown ones) with values of every type.
#[test]
fn front_matter_grammar_never_panics() {
    under_limits("front_matter_grammar_never_panics", 300, || {
        let top = prop_oneof![
            Just("audience"),
            Just("source"),
            Just("scaled"),
            Just("colour"),
            Just("[limits]\nsteps"),
            Just("[limits]\nschedules"),
        ];
        let scen = prop_oneof![
            Just("pages"),
            Just("content"),
            Just("vma"),
            Just("[[scenario.vma]]\npages"),
            Just("[[scenario.vma]]\nprot"),
            Just("[[scenario.vma]]\nkind"),
            Just("[scenario.driver]\nselect"),
            Just("[scenario.driver]\nowner"),
            Just("[scenario.driver]\nwrite"),
            Just("[scenario.driver]\ncolour"),
            Just("states"),
            Just("devices"),
            Just("threads"),
        ];
        let strategy = (
            prop::collection::vec((top, toml_value()), 0..3),
            prop::collection::vec((scen, toml_value()), 0..4),
        );
        let cases = 1500;
        runner(cases)
            .run(&strategy, |(top, scen)| {
                let t: Vec<String> = top.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                let s: Vec<String> = scen.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                // `[limits]` tables must come after the top-level keys; put them last.
                let (tables, keys): (Vec<_>, Vec<_>) =
                    t.into_iter().partition(|l| l.starts_with('['));
                let front = format!("{}\n{}", keys.join("\n"), tables.join("\n"));
                let text = lesson_with(&front, &s.join("\n"), "```assert\nlocks_held == 0\n```\n");
                check_diagnostics(&text);
                Ok(())
            })
            .unwrap();
        eprintln!("fuzz: {cases} front matters from the grammar");
    });
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("0..4".to_string()),
        Just("3..1".to_string()),
        Just("0..99999999999".to_string()),
        Just("i".to_string()),
        Just("-i+2".to_string()),
        Just("none".to_string()),
        Just("sys".to_string()),
        Just("dev1".to_string()),
        Just("device_private_write".to_string()),
        Just("-EFAULT".to_string()),
        Just("[ERROR, ZERO|READ]".to_string()),
        Just("completed".to_string()),
        Just("t1".to_string()),
        Just("main".to_string()),
        Just("é".to_string()),
        "[a-z_]{1,8}",
        any::<i64>().prop_map(|n| n.to_string()),
    ]
}

/// Action lines from their grammar, nearly well-formed: verbs, words and `key=value`s mixed at random.
#[test]
fn action_grammar_never_panics() {
    under_limits("action_grammar_never_panics", 300, || {
        let head = prop_oneof![
            Just("dmirror READ"),
            Just("dmirror MIGRATE_TO_DEV"),
            Just("dmirror SNAPSHOT"),
            Just("dmirror RAED"),
            Just("cpu read"),
            Just("cpu write"),
            Just("mirror"),
            Just("mprotect"),
            Just("munmap"),
            Just("mremap"),
            Just("t1: x = mremap"),
            Just("gup_test PIN_FAST_BENCHMARK"),
            Just("g = gup_test GUP_BASIC_TEST"),
            Just("fork"),
            Just("lane legacy_b"),
            Just("lane unified resume"),
            Just("run"),
            Just("t1: cpu read"),
            Just("r = dmirror READ"),
        ];
        let key = prop_oneof![
            Just("pages"),
            Just("dev"),
            Just("value"),
            Just("prot"),
            Just("proc"),
            Just("until"),
            Just("schedule"),
            Just("seed"),
            Just("choices"),
            Just("select"),
            Just("owner"),
            Just("to"),
            Just("dontunmap"),
            Just("longterm"),
            Just("colour"),
        ];
        let line = (head, prop::collection::vec((key, word()), 0..5));
        let strategy = prop::collection::vec(line, 1..8);
        let cases = 1500;
        runner(cases)
            .run(&strategy, |lines| {
                let body: Vec<String> = lines
                    .iter()
                    .map(|(h, kvs)| {
                        let args: Vec<String> =
                            kvs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                        format!("{h} {}", args.join(" "))
                    })
                    .collect();
                let text = lesson_with("", "", &format!("```hmm\n{}\n```\n", body.join("\n")));
                check_diagnostics(&text);
                Ok(())
            })
            .unwrap();
        eprintln!("fuzz: {cases} action blocks from the grammar");
    });
}

/// A claim from the assertion grammar (probe, comparison, value), possibly `expect_fail:`.
fn claim() -> impl Strategy<Value = String> {
    let probe = prop_oneof![
        Just("r.ret"),
        Just("r.cpages"),
        Just("r.faults"),
        Just("r.data"),
        Just("r.data[0..2]"),
        Just("r.snapshot"),
        Just("r.outcome"),
        Just("c.data"),
        Just("c.data[1]"),
        Just("c.ret"),
        Just("l.ret"),
        Just("l.outcome"),
        Just("mirror[0..4]"),
        Just("pte[0]"),
        Just("where[0..2]"),
        Just("mem[3]"),
        Just("refcount[0]"),
        Just("mapcount[1..3]"),
        Just("locked[0]"),
        Just("holder[0]"),
        Just("locks_held"),
        Just("counters.walks"),
        Just("B.walks"),
        Just("U.pte[2]"),
        Just("legacy_b.where[0]"),
    ];
    let cmp = prop_oneof![Just("=="), Just("!="), Just("<"), Just(">=")];
    let whole = prop_oneof![
        Just("always invariants".to_string()),
        Just("lanes_agree".to_string()),
        Just("eventually fault(page=0)".to_string()),
        Just("never lock_contended(thread=main)".to_string()),
        Just("walk_begin before fault".to_string()),
        Just("exists schedule deadlock".to_string()),
    ];
    let compare = (probe, cmp, word()).prop_map(|(p, c, v)| format!("{p} {c} {v}"));
    (any::<bool>(), prop_oneof![3 => compare, 1 => whole]).prop_map(|(xfail, c)| {
        if xfail {
            format!("expect_fail: {c}")
        } else {
            c
        }
    })
}

/// Claims from the grammar after actions binding every kind of result, parsed, validated and run: every
/// claim the validator accepts is evaluated (never an internal error, issue 14 item 9), whatever it
/// says, and each run stays within its time.
#[test]
fn accepted_claims_are_always_evaluated() {
    under_limits("accepted_claims_are_always_evaluated", 300, || {
        let cases = 400;
        let accepted = std::cell::Cell::new(0usize);
        runner(cases)
        .run(&claim(), |claim| {
            let body = format!(
                "```hmm\nr = dmirror READ dev=0 pages=0..4\nc = cpu read pages=0..2\nl = lane legacy_b\nlane legacy_a\nlane unified\n```\n```assert\n{claim}\n```\n"
            );
            let text = lesson_with("[limits]\nsteps = 20000", "", &body);
            let start = Instant::now();
            let (report, _) = check_text("claims.md", &text);
            assert!(start.elapsed() < CASE_TIME, "{:?}", start.elapsed());
            for a in &report.assertions {
                assert!(!a.internal_error, "`{}`: {}\n{text}", a.text, a.detail);
            }
            if report.diagnostics.is_empty() {
                accepted.set(accepted.get() + 1);
            }
            Ok(())
        })
        .unwrap();
        let accepted = accepted.get();
        eprintln!("fuzz: {cases} claims run, {accepted} accepted by the validator, all evaluated");
        assert!(
            accepted > cases as usize / 10,
            "the grammar rarely yields valid claims: {accepted}"
        );
    });
}

/// The same property exhaustively over a small grammar: every probe × comparison × value (and the whole-
/// world claims), each with and without `expect_fail:`. Each claim is validated alone; the accepted ones
/// are run together in one lesson, and none may come back as an internal error.
#[test]
fn every_accepted_claim_of_the_small_grammar_is_evaluated() {
    under_limits(
        "every_accepted_claim_of_the_small_grammar_is_evaluated",
        300,
        || {
            let probes = [
                "r.ret",
                "r.cpages",
                "r.faults",
                "r.data",
                "r.data[0..2]",
                "r.snapshot",
                "r.outcome",
                "c.data",
                "c.data[1]",
                "c.ret",
                "l.ret",
                "l.outcome",
                "mirror[0..4]",
                "pte[0]",
                "where[0..2]",
                "mem[3]",
                "refcount[0]",
                "mapcount[1..3]",
                "locked[0]",
                "holder[0]",
                "locks_held",
                "counters.walks",
                "B.walks",
                "U.pte[2]",
                "legacy_b.where[0]",
            ];
            let values = [
                "0",
                "-1",
                "4",
                "i",
                "-i+2",
                "none",
                "sys",
                "dev0",
                "device_private_write",
                "-EFAULT",
                "[ERROR, ZERO|READ]",
                "WRITE",
                "completed",
                "main",
                "true",
                "t1",
            ];
            let mut claims = vec![
                "always invariants".to_string(),
                "lanes_agree".to_string(),
                "eventually fault(page=0)".to_string(),
                "never lock_contended(thread=main)".to_string(),
                "walk_begin before fault".to_string(),
            ];
            for p in probes {
                for c in ["==", "!=", "<", ">="] {
                    for v in values {
                        claims.push(format!("{p} {c} {v}"));
                    }
                }
            }
            let actions = "```hmm\nr = dmirror READ dev=0 pages=0..4\nc = cpu read pages=0..2\nl = lane legacy_b\nlane legacy_a\nlane unified\n```\n";
            let accepted: Vec<String> = claims
                .iter()
                .flat_map(|c| [c.clone(), format!("expect_fail: {c}")])
                .filter(|c| {
                    let body = format!("{actions}```assert\n{c}\n```\n");
                    parse("one.md", &lesson_with("", "", &body)).is_ok()
                })
                .collect();
            assert!(
                accepted.len() > 200,
                "only {} claims accepted",
                accepted.len()
            );
            let body = format!("{actions}```assert\n{}\n```\n", accepted.join("\n"));
            let (report, _) = check_text("all.md", &lesson_with("", "", &body));
            assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
            assert_eq!(report.assertions.len(), accepted.len());
            let internal: Vec<String> = report
                .assertions
                .iter()
                .filter(|a| a.internal_error)
                .map(|a| format!("`{}`: {}", a.text, a.detail))
                .collect();
            assert!(internal.is_empty(), "{internal:#?}");
            eprintln!(
                "fuzz: {} claims of the small grammar, {} accepted, all evaluated",
                2 * claims.len(),
                accepted.len()
            );
        },
    );
}

/// Schedule properties over a run's own results (`all schedules r.cpages == 4 when r.ret == 0`): every
/// probe × comparison × value of a small grammar, bare, guarded and existential. The accepted ones are run
/// together after one `run` and none may come back as an internal error.
#[test]
fn every_accepted_schedule_result_claim_is_evaluated() {
    under_limits(
        "every_accepted_schedule_result_claim_is_evaluated",
        300,
        || {
            let probes = [
                "r.ret",
                "r.cpages",
                "r.faults",
                "r.data",
                "r.data[0..2]",
                "r.snapshot",
                "r.outcome",
                "c.data",
                "c.data[1]",
                "c.ret",
                "x.outcome",
                "pte[0]",
            ];
            let values = ["0", "4", "i", "none", "-EFAULT", "WRITE", "completed"];
            let mut claims = Vec::new();
            for p in probes {
                for c in ["==", "!=", ">="] {
                    for v in values {
                        claims.push(format!("all schedules {p} {c} {v}"));
                        claims.push(format!("all schedules {p} {c} {v} when r.ret == 0"));
                        claims.push(format!("exists schedule {p} {c} {v}"));
                    }
                }
            }
            let actions = "```hmm\nt1: r = dmirror READ dev=0 pages=0..4\nt1: c = cpu read pages=0..2\nt2: munmap pages=2..4\nx = run\n```\n";
            let accepted: Vec<String> = claims
                .iter()
                .flat_map(|c| [c.clone(), format!("expect_fail: {c}")])
                .filter(|c| {
                    let body = format!("{actions}```assert\n{c}\n```\n");
                    parse("one.md", &two_threads(lesson_with("", "", &body))).is_ok()
                })
                .collect();
            assert!(
                accepted.len() > 50,
                "only {} claims accepted",
                accepted.len()
            );
            let body = format!("{actions}```assert\n{}\n```\n", accepted.join("\n"));
            let text = two_threads(lesson_with("[limits]\nschedules = 50", "", &body));
            let (report, _) = check_text("all.md", &text);
            assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
            assert_eq!(report.assertions.len(), accepted.len());
            let internal: Vec<String> = report
                .assertions
                .iter()
                .filter(|a| a.internal_error)
                .map(|a| format!("`{}`: {}", a.text, a.detail))
                .collect();
            assert!(internal.is_empty(), "{internal:#?}");
            eprintln!(
                "fuzz: {} schedule result claims, {} accepted, all evaluated",
                2 * claims.len(),
                accepted.len()
            );
        },
    );
}

fn two_threads(lesson: String) -> String {
    lesson.replace("threads = [\"t1\"]", "threads = [\"t1\", \"t2\"]")
}
