//! docs/lessons.md, *Limits*, states the most time and memory one lesson can take at the maximum limits.
//! This runs the heaviest lesson found, at every maximum (`pages = 262144`, `steps = MAX_STEPS`,
//! `events = MAX_EVENTS`), through the built `hmmviz check` under `ulimit -v 2000000` and a timeout: 60 s for
//! a release build (the documented bound), 600 s for a debug build (about ten times slower). It must end
//! with the event budget named: the whole budget was spent, so the maxima were exercised.

use std::process::Command;
use std::time::Instant;

fn binary() -> std::ffi::OsString {
    std::env::var_os("HMMVIZ_UNDER_TEST").unwrap_or_else(|| env!("CARGO_BIN_EXE_hmmviz").into())
}

/// Three lanes on the largest scenario, each stopping at `MAX_STEPS`; then the main world reads, migrates
/// and CPU-reads every page, results bound to distinct names, until the event budget stops it.
fn heaviest() -> String {
    let l = |n: u64| n.to_string();
    let mut s = format!(
        "+++\nid = \"worst\"\nschema = 1\ntitle = \"worst case\"\nkernel = \"2026\"\nkind = \"lesson\"\n[limits]\nsteps = {}\nevents = {}\nschedules = {}\n[scenario]\nstates = \"P*{}\"\ndevices = 1\n+++\n## Lanes\n```hmm\na = lane legacy_a\nb = lane legacy_b\nu = lane unified\n",
        l(hmm_lesson::limits::MAX_STEPS),
        l(hmm_lesson::limits::MAX_EVENTS),
        l(hmm_lesson::limits::MAX_SCHEDULES),
        hmm_lesson::limits::MAX_PAGES,
    );
    for i in 0..8 {
        s.push_str(&format!("r{i} = dmirror READ dev=0 pages=0..262144\n"));
    }
    for i in 0..20 {
        s.push_str(&format!(
            "m{i} = dmirror MIGRATE_TO_DEV dev=0 pages=0..262144\nc{i} = cpu read pages=0..262144\n"
        ));
    }
    s.push_str("```\n```assert\nlocks_held == 0\nnever U.retry\n```\n");
    s
}

#[test]
fn the_heaviest_lesson_at_the_maxima_fits_the_documented_bound() {
    let dir = std::env::temp_dir().join(format!("hmmviz-worst-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("worst.md");
    std::fs::write(&file, heaviest()).unwrap();
    let seconds = if cfg!(debug_assertions) { 600 } else { 60 };
    let start = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            r#"ulimit -v 2000000; exec timeout {seconds} "$0" "$@""#
        ))
        .arg(binary())
        .arg("check")
        .arg(&file)
        .output()
        .expect("sh runs");
    let took = start.elapsed();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    eprintln!(
        "worst case: {took:?} ({})",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    assert_ne!(out.status.code(), Some(124), "timed out after {seconds} s");
    assert!(!text.contains("memory allocation"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    assert_eq!(out.status.code(), Some(1), "{text}");
    let budget = format!(
        "event budget {} (limits.events) spent",
        hmm_lesson::limits::thousands(hmm_lesson::limits::MAX_EVENTS)
    );
    assert!(
        text.contains(&budget),
        "the budget was not reached, so the maxima were not exercised:\n{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
