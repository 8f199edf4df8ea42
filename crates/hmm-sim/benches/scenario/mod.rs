//! The one scenario every benchmark of `cargo xtask bench` runs (the lanes bench natively, its wasm build in
//! node, the browser through `e2e/perf.mjs`): e2e/scale.spec.mjs's mixed 1 GiB scenario
//! `P*98304S*32768P*65536N*32768P*32768`, scaled to the page count: 3/8 present, 1/8 swapped out, 1/4
//! present, 1/8 never touched, 1/8 present. Block runs, so the same text is short enough for a URL.
//! (No zero pages: legacy A's write fault on each one COW-breaks under MMU_NOTIFY_CLEAR, which restarts the
//! whole hmm_range_fault once per PMD chunk, and would time that instead of migration.)
//! A module of `benches/lanes.rs` and, by `#[path]`, of `examples/wasm_bench.rs`, so both run the same text; in a
//! folder of its own so cargo does not take it for a bench target.

/// The scenario's state text for `pages` pages (a run that rounds to nothing is left out).
pub fn mixed(pages: usize) -> String {
    let eighth = pages / 8;
    let runs = [
        ('P', 3 * eighth),
        ('S', eighth),
        ('P', 2 * eighth),
        ('N', eighth),
        // The last run takes what the eighths left over, so the text has exactly `pages` pages.
        ('P', pages - 7 * eighth),
    ];
    runs.iter()
        .filter(|(_, n)| *n > 0)
        .map(|(letter, n)| format!("{letter}*{n}"))
        .collect()
}
