//! `cargo bench -p hmm-sim --bench lanes [-- PAGES...]`: the three lanes over the benchmarks' mixed scenario
//! (`scenario::mixed`: present, swapped and untouched pages in blocks) of each page count given (default
//! 262,144 = 1 GiB).
//!
//! Per lane: wall time, events, events per second, trace bytes held (packed) per event. Per page count: a
//! `Timeline` over the longest lane (its bytes held) and 100 cold seeks (p50 / p95 / max), and the decode speed of the packed trace.
//! At the end: the process's peak RSS, which covers all three lanes' reports (traces and final worlds) and the
//! timeline, held together. Lines starting `BENCH ` are `key=value` pairs for `cargo xtask bench`.
//! (A benchmark, not a test: it reads the clock; the simulator itself never does.)

use hmm_sim::{parse_states, run, Op, RunConfig, Setup, Strategy, ThreadSpec, Timeline, ViewState};
use hmm_sim::{MAX_PAGES, RANGE_BASE_VPN};
use std::time::Instant;

mod scenario;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let counts: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let counts = if counts.is_empty() {
        vec![MAX_PAGES]
    } else {
        counts
    };
    for pages in counts {
        let text = scenario::mixed(pages);
        println!("BENCH pages={pages} scenario={text}");
        let states = parse_states(&text).expect("valid pattern");
        let setup = Setup::from_states(&states);
        let mut reports = Vec::new();
        for strategy in Strategy::ALL {
            let thread = ThreadSpec {
                name: "lane".into(),
                mm: 0,
                ops: vec![Op::Lane {
                    strategy,
                    dev: 0,
                    start: RANGE_BASE_VPN,
                    npages: pages as u32,
                }],
            };
            let started = Instant::now();
            let r = run(&setup, &[thread], &RunConfig::default());
            let secs = started.elapsed().as_secs_f64();
            assert!(r.result.is_ok(), "{:?}", r.result);
            let n = r.events.len();
            let held = r.events.bytes_held();
            println!(
                "BENCH pages={pages} lane={} secs={secs:.3} events={n} events_per_s={:.0} bytes_held={held} bytes_per_event={:.2}",
                strategy.name(),
                n as f64 / secs,
                held as f64 / n.max(1) as f64
            );
            reports.push(r);
        }
        let Some(longest) = reports.iter().max_by_key(|r| r.events.len()) else {
            continue;
        };
        let events = &longest.events;
        let started = Instant::now();
        // A full pass that reads every event (the count is printed so the pass cannot be optimized away).
        let calls = events
            .iter()
            .filter(|e| e.kind == hmm_sim::Kind::Call)
            .count();
        let decode = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let tl = Timeline::new(ViewState::from_world(&setup.world), events.clone());
        let build = started.elapsed().as_secs_f64();
        let len = tl.len();
        // Steps k/101 of the lane, visited in the order of a fixed permutation (37 is coprime with 100), so
        // each seek starts from a checkpoint, not from the cursor cache.
        let mut times: Vec<f64> = (0..100)
            .map(|i| {
                let step = len / 101 * ((i * 37) % 100 + 1);
                let t = Instant::now();
                let s = tl.state(step);
                assert_eq!(s.step, step);
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!(
            "BENCH pages={pages} seek_lane_events={len} checkpoint_every={} checkpoints={} timeline_bytes_held={} timeline_build_s={build:.2} seek_p50_ms={:.1} seek_p95_ms={:.1} seek_max_ms={:.1} decode_events_per_s={:.0} calls={calls}",
            tl.checkpoint_every(),
            tl.checkpoints(),
            tl.bytes_held(),
            times[times.len() / 2],
            times[times.len() * 95 / 100],
            times[times.len() - 1],
            len as f64 / decode,
        );
    }
    if let Some(kib) = peak_rss_kib() {
        println!("BENCH peak_rss_mib={:.1}", kib as f64 / 1024.0);
    }
}
