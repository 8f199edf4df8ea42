//! `cargo xtask bench`: one table of the figures issue 13 asks for, for 512 / 32,768 / 262,144 pages of one
//! scenario (hmm-sim's `benches/scenario`: e2e/scale.spec.mjs's mixed 1 GiB scenario, scaled).
//!
//! 1. The release site, built as `cargo xtask dist` builds it (setup first, so a missing tool is installed or
//!    named), so the browser columns are always measured on what users load.
//! 2. Native: `cargo bench -p hmm-sim --bench lanes -- PAGES`, one process per page count (so its peak RSS is
//!    that page count's). It prints the scenario text it ran, which the browser is then given.
//! 3. Wasm: the same lanes compiled to wasm32 (`examples/wasm_bench.rs`), timed in node
//!    (`benches/wasm_bench.mjs`).
//! 4. Browser: `e2e/perf.mjs` on `dist/`, headless Chromium, one fresh context per scenario.
//! 5. The app wasm's size, raw and gzip -9, as issue 11's budget measures it.
//!
//! Every tool reports on `BENCH key=value` lines; what one could not measure is printed as "not measured" with
//! the reason, and the command fails after printing the table.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use crate::process;
use crate::project;
use crate::{budget, dist, Failure};

const PAGE_COUNTS: [usize; 3] = [512, 32_768, 262_144];
const LANES: [&str; 3] = ["legacy_a", "legacy_b", "unified"];
const MIB: f64 = 1024.0 * 1024.0;

/// Why the peer cannot be measured here (checked 2026-12-04; docs/benchmarks.md says more).
const PERFETTO: &str = "Perfetto's trace processor: not measured: no package registry reachable here ships \
its binary (PyPI's `perfetto` 0.59.1 downloads `trace_processor_shell` from the Perfetto project's site on first use; \
Debian and npm have none), and nothing may download a binary; a registry package with the binary inside \
would unblock it";

/// One `BENCH ` line's `key=value` pairs.
type Fields = BTreeMap<String, String>;

/// `key=value` pairs of one `BENCH ` line (words without `=` are ignored).
fn fields(line: &str) -> Option<Fields> {
    let rest = line.trim().strip_prefix("BENCH ")?;
    Some(
        rest.split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    )
}

/// Every `BENCH ` line of a tool's output, tagged with `source` where the line does not say it.
fn bench_lines(lines: &[String], source: &str) -> Vec<Fields> {
    lines
        .iter()
        .filter_map(|line| fields(line))
        .map(|mut f| {
            f.entry("source".into()).or_insert_with(|| source.into());
            f
        })
        .collect()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project::root().join("target"))
}

/// The machine, as docs/benchmarks.md names it.
struct Machine {
    cores: usize,
    cpu: String,
    ram_gib: f64,
}

impl Machine {
    fn read() -> Machine {
        let read = |path| std::fs::read_to_string(path).unwrap_or_default();
        Machine {
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu: cpu_model(&read("/proc/cpuinfo")).unwrap_or_else(|| "unknown CPU".into()),
            ram_gib: mem_total_kib(&read("/proc/meminfo")).map_or(0.0, |k| k as f64 / MIB),
        }
    }
}

/// The first `model name` of /proc/cpuinfo.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
}

/// `MemTotal` of /proc/meminfo, in KiB.
fn mem_total_kib(meminfo: &str) -> Option<u64> {
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The commit measured, so a kept run says what code its figures are of (`git describe`-like, `-dirty` when the
/// work tree has changes).
fn commit() -> String {
    let git = |args: &[&str]| {
        process::command("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match (
        git(&["rev-parse", "--short", "HEAD"]),
        git(&["status", "--porcelain"]),
    ) {
        (Some(head), Some(changes)) if !changes.is_empty() => format!("{head}-dirty"),
        (Some(head), _) => head,
        (None, _) => "unknown (not a git checkout)".into(),
    }
}

/// The 1, 5 and 15 minute load averages, as /proc/loadavg writes them.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

pub fn run() -> Result<(), Failure> {
    let machine = Machine::read();
    let measured = commit();
    let load_at_start = load_average();
    let mut problems: Vec<String> = Vec::new();

    dist::run()?;
    let site = project::root().join("dist");

    let mut records: Vec<Fields> = Vec::new();
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
            problems.push(format!("the native benchmark failed for {pages} pages"));
        }
        // The process's peak RSS is one line without a page count: it is this page count's.
        let mut lines = bench_lines(&out.lines, "native");
        for f in &mut lines {
            f.entry("pages".into()).or_insert_with(|| pages.to_string());
        }
        records.extend(lines);
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
    for pages in PAGE_COUNTS {
        let out = process::run_captured(
            process::command("node")
                .arg("crates/hmm-sim/benches/wasm_bench.mjs")
                .arg(pages.to_string())
                .env("WASM_BENCH", &wasm_path),
        )?;
        if !out.status.success() {
            problems.push(format!("the wasm benchmark failed for {pages} pages"));
        }
        records.extend(bench_lines(&out.lines, "wasm"));
    }

    // The browser runs the scenario texts the native bench ran, so all three measure the same work.
    let scenarios: Vec<String> = PAGE_COUNTS
        .iter()
        .filter_map(|pages| scenario_of(&records, *pages))
        .collect();
    if scenarios.len() < PAGE_COUNTS.len() {
        problems.push("the native benchmark named no scenario for some page count, so the browser cannot run it".into());
    }
    let out = process::run_captured(
        process::command("node")
            .arg("e2e/perf.mjs")
            .arg(&site)
            .args(&scenarios)
            .env("CHROMIUM", crate::setup::CHROMIUM),
    )?;
    if !out.status.success() {
        problems
            .push("e2e/perf.mjs could not measure every scenario (its errors are above)".into());
    }
    records.extend(bench_lines(&out.lines, "browser"));

    let size = budget::measure(&site).map(|[raw, gzip]| (raw.bytes, gzip.bytes));

    println!();
    println!("commit: {measured}");
    println!(
        "machine: {} cores (nproc), {}, {:.1} GiB RAM; load average (1/5/15 min) {load_at_start} at the start, {} at the end",
        machine.cores,
        machine.cpu,
        machine.ram_gib,
        load_average()
    );
    for pages in PAGE_COUNTS {
        if let Some(s) = scenario_of(&records, pages) {
            println!("scenario, {pages} pages: {s}");
        }
    }
    println!();
    print!("{}", table(&records, &size));
    println!();
    println!("{PERFETTO}");
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; ").into())
    }
}

/// The scenario text the native bench ran for `pages`.
fn scenario_of(records: &[Fields], pages: usize) -> Option<String> {
    value(records, "native", pages, "scenario").map(str::to_owned)
}

/// The record of `source` for `pages` and `lane` (`None`: the browser's one record per page count).
fn find<'a>(
    records: &'a [Fields],
    source: &str,
    pages: usize,
    lane: Option<&str>,
) -> Option<&'a Fields> {
    let pages = pages.to_string();
    records.iter().find(|f| {
        f.get("source").map(String::as_str) == Some(source)
            && f.get("pages") == Some(&pages)
            && f.get("lane").map(String::as_str) == lane
    })
}

/// The value of `key` in the first record of `source` for `pages` that has it.
fn value<'a>(records: &'a [Fields], source: &str, pages: usize, key: &str) -> Option<&'a str> {
    let pages = pages.to_string();
    records
        .iter()
        .filter(|f| f.get("source").map(String::as_str) == Some(source))
        .filter(|f| f.get("pages") == Some(&pages))
        .find_map(|f| f.get(key))
        .map(String::as_str)
}

fn number(text: Option<&str>) -> Option<f64> {
    text?.parse().ok()
}

/// `key` of a record that may be missing.
fn get<'a>(record: Option<&'a Fields>, key: &str) -> Option<&'a str> {
    record.and_then(|f| f.get(key)).map(String::as_str)
}

/// 1234567 as "1,234,567".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The markdown table: one row per page count and lane; the figures that are per page count (memory, seeks,
/// the browser's) on the page count's first row, `″` on the others.
fn table(records: &[Fields], size: &Result<(u64, u64), String>) -> String {
    let mut out = String::new();
    out.push_str("| pages | lane | compute native | compute wasm (node) | events | events/s native / wasm | bytes/event held | peak memory | seek p50 / p95 (cold) | p95 frame playing at the fastest speed | longest main-thread task after first paint | time to interactive | app wasm raw / gzip -9 |\n");
    out.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    let size = match size {
        Ok((raw, gzip)) => format!("{} / {} B", thousands(*raw), thousands(*gzip)),
        Err(why) => format!("not measured: {why}"),
    };
    for pages in PAGE_COUNTS {
        let browser = find(records, "browser", pages, None);
        let browser_failed = browser.is_none_or(|b| b.contains_key("error"));
        let not_in_browser = if browser.is_none() {
            "not measured: no browser figures (see the log)"
        } else {
            "not measured: the browser run failed (see the log)"
        };
        let browser_value = |key: &str, show: &dyn Fn(f64) -> String| -> String {
            if browser_failed {
                return not_in_browser.into();
            }
            number(browser.and_then(|b| b.get(key)).map(String::as_str))
                .map_or_else(|| format!("not measured: no {key}"), show)
        };

        let memory = {
            let native = number(value(records, "native", pages, "peak_rss_mib"))
                .map_or("not measured".into(), |m| format!("{m:.1} MiB"));
            let wasm = number(value(records, "wasm", pages, "memory_bytes"))
                .map_or("not measured".into(), |b| format!("{:.1} MiB", b / MIB));
            let page = browser_value("wasm_memory_bytes", &|b| {
                let at_interactive = number(get(browser, "wasm_memory_at_interactive_bytes"))
                    .map_or(String::new(), |i| {
                        format!(" ({:.1} MiB when interactive)", i / MIB)
                    });
                format!("{:.1} MiB after the seeks{at_interactive}", b / MIB)
            });
            format!("native RSS {native} (3 lanes + timeline); wasm in node {wasm} (largest lane); page wasm {page}")
        };
        let seek = {
            let native = match (
                value(records, "native", pages, "seek_p50_ms"),
                value(records, "native", pages, "seek_p95_ms"),
            ) {
                (Some(p50), Some(p95)) => format!("{p50} / {p95} ms"),
                _ => "not measured".into(),
            };
            let events = |n: Option<&str>| {
                number(n).map_or(String::new(), |n| {
                    format!(" ({} events)", thousands(n as u64))
                })
            };
            let in_browser = if browser_failed {
                not_in_browser.to_owned()
            } else {
                match (get(browser, "seek_p50_ms"), get(browser, "seek_p95_ms")) {
                    (Some(p50), Some(p95)) => format!(
                        "{p50} / {p95} ms, {}{}",
                        get(browser, "seek_lane").unwrap_or("?"),
                        events(get(browser, "seek_lane_events"))
                    ),
                    _ => "not measured: no seek figures".into(),
                }
            };
            let native_events = events(value(records, "native", pages, "seek_lane_events"));
            format!("native {native}, longest lane{native_events}; browser {in_browser}")
        };
        let frame = browser_value("frame_p95_ms", &|ms| {
            let frames = browser
                .and_then(|b| b.get("frames"))
                .map_or("?", String::as_str);
            format!("{ms} ms ({frames} frames)")
        });
        let task = browser_value("longest_task_ms", &|ms| {
            let over = get(browser, "tasks_over_50ms").unwrap_or("?");
            // The long-task API reports only tasks over 50 ms: none reported is not a 0 ms task.
            if over == "0" {
                "none over 50 ms".to_owned()
            } else {
                format!("{ms:.0} ms ({over} over 50 ms)")
            }
        });
        let tti = browser_value("tti_ms", &|ms| format!("{:.2} s", ms / 1e3));

        for (i, lane) in LANES.iter().enumerate() {
            let native = find(records, "native", pages, Some(lane));
            let wasm = find(records, "wasm", pages, Some(lane));
            let secs = |f: Option<&Fields>, missing: &str| {
                get(f, "secs").map_or(format!("not measured: {missing}"), |s| format!("{s} s"))
            };
            let eps = |f: Option<&Fields>| {
                number(get(f, "events_per_s"))
                    .map_or("not measured".into(), |e| format!("{:.1} M", e / 1e6))
            };
            let events = number(get(native, "events")).or(number(get(wasm, "events")));
            // The page stops a lane at its event budget (web's BROWSER_MAX_EVENTS_PER_LANE): say where it did.
            let shown = get(browser, "lane_events")
                .and_then(|all| all.split('/').nth(i))
                .and_then(|n| n.parse::<f64>().ok());
            let events = match (events, shown) {
                (None, _) => "not measured".into(),
                (Some(n), Some(b)) if b < n => {
                    format!(
                        "{} (the page: {})",
                        thousands(n as u64),
                        thousands(b as u64)
                    )
                }
                (Some(n), _) => thousands(n as u64),
            };
            let bytes_per_event = get(native, "bytes_per_event").unwrap_or("not measured");
            let per_count = |text: &str| {
                if i == 0 {
                    text.to_owned()
                } else {
                    "″".to_owned()
                }
            };
            let _ = writeln!(
                out,
                "| {pages} | {lane} | {} | {} | {events} | {} / {} | {bytes_per_event} | {} | {} | {} | {} | {} | {} |",
                secs(native, "no native figure (see the log)"),
                secs(wasm, "no wasm figure (see the log)"),
                eps(native),
                eps(wasm),
                per_count(&memory),
                per_count(&seek),
                per_count(&frame),
                per_count(&task),
                per_count(&tti),
                per_count(&size),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn bench_lines_are_key_value_pairs_tagged_with_their_source() {
        let out = lines(
            "   Compiling hmm-sim\n\
             BENCH pages=512 lane=legacy_a secs=0.010 events=1234\n\
             wasm warm-up 0.1 s\n\
             BENCH source=wasm pages=512 memory_bytes=1048576\n",
        );
        let records = bench_lines(&out, "native");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0]["source"], "native");
        assert_eq!(records[0]["lane"], "legacy_a");
        assert_eq!(records[0]["events"], "1234");
        assert_eq!(records[1]["source"], "wasm", "a line's own source stands");
        assert_eq!(fields("BENCHMARK x=1"), None);
        assert_eq!(
            fields("BENCH source=browser error=1").unwrap()["error"],
            "1"
        );
    }

    #[test]
    fn the_machine_is_read_from_proc() {
        let cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("AMD EPYC 7B13"));
        assert_eq!(cpu_model("processor : 0\n"), None);
        assert_eq!(
            mem_total_kib("MemTotal:       24563320 kB\nMemFree: 1 kB\n"),
            Some(24_563_320)
        );
        assert_eq!(mem_total_kib("MemFree: 1 kB\n"), None);
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(48_859_282), "48,859,282");
    }

    /// The table's row that starts with `start` (e.g. `| 512 | legacy_a |`).
    fn row<'a>(table: &'a str, start: &str) -> &'a str {
        table
            .lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no row {start:?} in\n{table}"))
    }

    /// A full 512-page set of lines, as the three tools print them.
    fn records_512(browser: &str) -> Vec<Fields> {
        let mut records = bench_lines(
            &lines(
                "BENCH pages=512 scenario=P*192S*64P*128N*64P*64\n\
                 BENCH pages=512 lane=legacy_a secs=0.010 events=50000 events_per_s=5000000 bytes_held=110000 bytes_per_event=2.20\n\
                 BENCH pages=512 lane=legacy_b secs=0.020 events=90000 events_per_s=4500000 bytes_held=207000 bytes_per_event=2.30\n\
                 BENCH pages=512 lane=unified secs=0.011 events=55000 events_per_s=5000000 bytes_held=132000 bytes_per_event=2.40\n\
                 BENCH pages=512 seek_lane_events=90000 checkpoint_every=65536 checkpoints=2 timeline_bytes_held=400000 seek_p50_ms=5.9 seek_p95_ms=11.7\n\
                 BENCH peak_rss_mib=12.5\n",
            ),
            "native",
        );
        for f in &mut records {
            f.entry("pages".into()).or_insert_with(|| "512".into());
        }
        records.extend(bench_lines(
            &lines(
                "BENCH source=wasm pages=512 lane=legacy_a secs=0.020 events=50000 events_per_s=2500000\n\
                 BENCH source=wasm pages=512 memory_bytes=2097152\n",
            ),
            "wasm",
        ));
        records.extend(bench_lines(&lines(browser), "browser"));
        records
    }

    #[test]
    fn the_table_has_every_figure_and_says_what_is_not_measured() {
        let records = records_512(
            "BENCH source=browser pages=512 scenario=P*192S*64P*128N*64P*64 tti_ms=812.4 seek_p50_ms=3.1 \
             seek_p95_ms=9.8 seek_max_ms=12 seek_lane=legacy_b seek_lane_events=65536 longest_task_ms=74.2 tasks_over_50ms=2 wasm_memory_at_interactive_bytes=18874368 wasm_memory_bytes=20971520 \
             frame_p50_ms=16.7 frame_p95_ms=33.3 frames=170 lane_events=50000/65536/55000 console_errors=0",
        );
        assert_eq!(
            scenario_of(&records, 512).as_deref(),
            Some("P*192S*64P*128N*64P*64")
        );
        let text = table(&records, &Ok((1_041_687, 419_815)));
        let row_a = row(&text, "| 512 | legacy_a |");
        for cell in [
            "| 0.010 s |",
            "| 0.020 s |",
            "| 50,000 |",
            "| 5.0 M / 2.5 M |",
            "| 2.20 |",
            "native RSS 12.5 MiB (3 lanes + timeline); wasm in node 2.0 MiB (largest lane); page wasm 20.0 MiB after the seeks (18.0 MiB when interactive)",
            "native 5.9 / 11.7 ms, longest lane (90,000 events); browser 3.1 / 9.8 ms, legacy_b (65,536 events)",
            "| 33.3 ms (170 frames) |",
            "| 74 ms (2 over 50 ms) |",
            "| 0.81 s |",
            "| 1,041,687 / 419,815 B |",
        ] {
            assert!(row_a.contains(cell), "{cell:?} missing from {row_a}");
        }
        let row_b = row(&text, "| 512 | legacy_b |");
        assert!(
            row_b.contains("| not measured: no wasm figure (see the log) |"),
            "{row_b}"
        );
        assert!(row_b.ends_with("| ″ | ″ | ″ | ″ | ″ | ″ |"), "{row_b}");
        // Page counts nothing ran for are rows of "not measured", never blank or made up.
        let big = row(&text, "| 262144 | legacy_a |");
        assert!(big.contains("not measured: no native figure"), "{big}");
        assert!(big.contains("not measured: no browser figures"), "{big}");
    }

    #[test]
    fn no_long_task_is_not_a_zero_ms_task() {
        let records = records_512(
            "BENCH source=browser pages=512 tti_ms=800 seek_p50_ms=3 seek_p95_ms=9 longest_task_ms=0 \
             tasks_over_50ms=0 wasm_memory_bytes=1 frame_p95_ms=16.7 frames=170",
        );
        let text = table(&records, &Ok((1, 1)));
        let row = row(&text, "| 512 | legacy_a |");
        assert!(row.contains("| none over 50 ms |"), "{row}");
    }

    #[test]
    fn a_failed_browser_run_is_not_measured() {
        let records =
            records_512("BENCH source=browser pages=512 scenario=P*192S*64P*128N*64P*64 error=1");
        let text = table(&records, &Err("no app wasm in dist".into()));
        let row = row(&text, "| 512 | legacy_a |");
        assert!(
            row.contains("page wasm not measured: the browser run failed"),
            "{row}"
        );
        assert!(row.contains("| not measured: the browser run failed (see the log) | not measured: the browser run failed"), "{row}");
        assert!(
            row.contains("| not measured: no app wasm in dist |"),
            "{row}"
        );
        assert!(
            row.contains("native 5.9 / 11.7 ms"),
            "native figures stay: {row}"
        );
    }
}
