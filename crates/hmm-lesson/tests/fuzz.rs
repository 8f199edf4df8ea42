//! Fuzzing: no input makes the parser, the validator or the runner panic.
//!
//! Three generators, each a normal `cargo test` with a bounded, fixed case count: arbitrary bytes,
//! line-level and byte-level mutations of every real lesson, and small well-formed lessons with random
//! actions run end to end. Each test prints how many inputs it tried.

use hmm_lesson::check::check_text;
use hmm_lesson::parse;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::Path;

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

/// Every diagnostic carries a position inside the file and a message.
fn check_diagnostics(text: &str) {
    if let Err(diags) = parse("fuzz.md", text) {
        assert!(!diags.is_empty());
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
}

/// Small lessons with random but well-formed actions and assertions, run on the simulator: the runner and
/// the evaluator must not panic whatever the sequence of operations.
#[test]
fn random_small_lessons_run_without_panic() {
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
    let kernel = prop_oneof![Just("6.14"), Just("6.15"), Just("6.18")];
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
}
