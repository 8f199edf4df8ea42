//! `cargo xtask bench`: one table of the figures issue 13 asks for, for 512 / 32,768 / 262,144 pages.
//!
//! Native: `cargo bench -p hmm-sim --bench lanes -- PAGES`, one process per page count (so its peak RSS is
//! that page count's), read from its `BENCH key=value` lines. Wasm: the same lanes compiled to
//! wasm32 (`examples/wasm_bench.rs`), timed in node (`benches/wasm_bench.mjs`). Browser: `e2e/perf.mjs`
//! on `dist/` when a release site is there (`cargo xtask dist`); its figures are for the page counts it uses
//! (512 pages playing; a 20,000-page trace seeking), not per row. What nothing measures yet is printed as
//! "not measured yet" with the reason.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::process;
use crate::project;
use crate::Failure;

const PAGE_COUNTS: [usize; 3] = [512, 32_768, 262_144];
const LANES: [&str; 3] = ["legacy_a", "legacy_b", "unified"];

/// `key=value` pairs of one `BENCH ` line.
fn fields(line: &str) -> Option<BTreeMap<String, String>> {
    let rest = line.trim().strip_prefix("BENCH ")?;
    Some(
        rest.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    )
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project::root().join("target"))
}

/// The number after `"key":` in a JSON text (first occurrence), as written.
fn json_number(text: &str, key: &str) -> Option<String> {
    let at = text.find(&format!("\"{key}\":"))? + key.len() + 3;
    let value: String = text[at..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
        .collect();
    (!value.is_empty()).then_some(value)
}

pub fn run() -> Result<(), Failure> {
    let mut native: BTreeMap<usize, Vec<BTreeMap<String, String>>> = BTreeMap::new();
    for pages in PAGE_COUNTS {
        let out = process::run_captured(process::cargo().args([
            "bench",
            "-p",
            "hmm-sim",
            "--bench",
            "lanes",
            "--",
            &pages.to_string(),
        ]))?;
        if !out.status.success() {
            return Err(format!("the native benchmark failed for {pages} pages").into());
        }
        native.insert(pages, out.lines.iter().filter_map(|l| fields(l)).collect());
    }

    process::run(process::cargo().args([
        "build",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "hmm-sim",
        "--example",
        "wasm_bench",
    ]))?;
    let wasm_path = target_dir().join("wasm32-unknown-unknown/release/examples/wasm_bench.wasm");
    let mut wasm: BTreeMap<(usize, String), String> = BTreeMap::new();
    for pages in PAGE_COUNTS {
        let out = process::run_captured(
            process::command("node")
                .arg("crates/hmm-sim/benches/wasm_bench.mjs")
                .arg(pages.to_string())
                .env("WASM_BENCH", &wasm_path),
        )?;
        for line in &out.lines {
            // "wasm lane legacy_a  0.123 s  ..."
            let mut words = line.split_whitespace();
            if words.next() == Some("wasm") && words.next() == Some("lane") {
                if let (Some(lane), Some(secs)) = (words.next(), words.next()) {
                    wasm.insert((pages, lane.to_owned()), secs.to_owned());
                }
            }
        }
    }

    let dist = project::root().join("dist");
    let browser = if dist.join("index.html").is_file() {
        let out = process::run_captured(process::command("node").args(["e2e/perf.mjs", "dist"]))?;
        Some(out.lines.join("\n"))
    } else {
        None
    };

    println!();
    println!("| pages | lane | native s | wasm s (node) | events | M events/s (native) | bytes/event held | peak RSS (native, 3 lanes + timeline) | seek p50 / p95 (longest lane, cold) | timeline held (longest lane) |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (pages, rows) in &native {
        let rss = rows
            .iter()
            .find_map(|r| r.get("peak_rss_mib").cloned())
            .unwrap_or_default();
        let timeline = rows.iter().find(|r| r.contains_key("seek_p50_ms"));
        let seek = timeline
            .map(|r| {
                format!(
                    "{} / {} ms ({} events, checkpoints {} apart)",
                    r["seek_p50_ms"],
                    r["seek_p95_ms"],
                    r.get("seek_lane_events").map_or("?", String::as_str),
                    r.get("checkpoint_every").map_or("?", String::as_str)
                )
            })
            .unwrap_or_default();
        let held = timeline
            .and_then(|r| r.get("timeline_bytes_held"))
            .and_then(|b| b.parse::<f64>().ok())
            .map(|b| format!("{:.1} MB", b / 1e6))
            .unwrap_or_default();
        for lane in LANES {
            let Some(r) = rows
                .iter()
                .find(|r| r.get("lane").map(String::as_str) == Some(lane))
            else {
                continue;
            };
            let get = |k: &str| r.get(k).cloned().unwrap_or_default();
            let eps = get("events_per_s").parse::<f64>().unwrap_or(0.0) / 1e6;
            println!(
                "| {pages} | {lane} | {} | {} | {} | {eps:.1} | {} | {rss} MiB | {seek} | {held} |",
                get("secs"),
                wasm.get(&(*pages, lane.to_owned()))
                    .map_or("not measured", String::as_str),
                get("events"),
                get("bytes_per_event"),
            );
        }
    }
    println!();
    match &browser {
        Some(report) => {
            let n = |k: &str| json_number(report, k).unwrap_or_else(|| "?".into());
            println!("browser (e2e/perf.mjs on dist/, headless Chromium):");
            println!(
                "  wasm size: {} bytes raw, {} bytes gzip",
                n("raw_bytes"),
                n("gzip_bytes")
            );
            println!("  time to interactive: {} ms (median)", n("median_ms"));
            println!(
                "  p95 frame while playing (512 pages, 3 lanes, 8x): {} ms",
                n("median_round_p95_ms")
            );
            println!(
                "  seek in the compare view (20,000 pages, >= 1M events): p50 {} ms, p95 {} ms",
                n("p50_ms"),
                n("p95_ms")
            );
        }
        None => println!(
            "browser figures: not measured (no dist/: run `cargo xtask dist` first, then `cargo xtask bench`)"
        ),
    }
    println!("longest main-thread task, wasm memory and frame time at 262,144 pages: measured by e2e/scale.spec.mjs (a test of `cargo xtask test`; its `scale:` lines; docs/benchmarks.md keeps its last figures)");
    Ok(())
}
