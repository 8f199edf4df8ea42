//! `cargo bench -p hmm-sim`: the three lanes over 1 GiB (262,144 pages) of a mixed scenario.
//! Reports wall time, events per second, trace bytes per event and the process's peak RSS.
//! (A benchmark, not a test: it reads the clock; the simulator itself never does.)

use hmm_sim::{compare, RunConfig};
use hmm_sim::{parse_states, MAX_PAGES};
use std::time::Instant;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    // Mostly present pages with swapped and untouched ones sprinkled in. (Zero pages are left out on
    // purpose: legacy A's write fault on each one COW-breaks under MMU_NOTIFY_CLEAR, which restarts the
    // whole 1 GiB hmm_range_fault once per PMD chunk, which is why drivers fault in smaller pieces.)
    let pattern = "PPPPPPPPPPPPPPSPPPPPPPPPPPPPPPNP";
    let text: String = pattern.chars().cycle().take(MAX_PAGES).collect();
    let states = parse_states(&text).expect("valid pattern");
    for all_present in [true, false] {
        let states = if all_present {
            vec![states[0]; MAX_PAGES]
        } else {
            states.clone()
        };
        let started = Instant::now();
        let lanes = compare(&states, &RunConfig::default()).lanes;
        let total = started.elapsed();
        println!(
            "scenario: {} ({} pages); all three lanes in {:.3} s",
            if all_present { "all P" } else { "mixed P/S/N" },
            MAX_PAGES,
            total.as_secs_f64()
        );
        for l in &lanes {
            assert!(l.report.result.is_ok(), "{:?}", l.report.result);
            println!(
                "  {:<9} events {:>10}  walks {}  faults {:>6}  trace {:>6.1} MiB ({:.2} B/event)",
                l.strategy.name(),
                l.report.events.len(),
                l.counters.walks,
                l.counters.faults,
                l.report.events.bytes_held() as f64 / (1 << 20) as f64,
                l.report.events.bytes_held() as f64 / l.report.events.len().max(1) as f64
            );
        }
    }
    // Time each lane alone for per-lane figures.
    let states = parse_states(&"P".repeat(MAX_PAGES)).unwrap();
    for strategy in hmm_sim::Strategy::ALL {
        let setup = hmm_sim::Setup::from_states(&states);
        let thread = hmm_sim::ThreadSpec {
            name: "lane".into(),
            mm: 0,
            ops: vec![hmm_sim::Op::Lane {
                strategy,
                dev: 0,
                start: hmm_sim::RANGE_BASE_VPN,
                npages: MAX_PAGES as u32,
            }],
        };
        let started = Instant::now();
        let r = hmm_sim::run(&setup, &[thread], &RunConfig::default());
        let secs = started.elapsed().as_secs_f64();
        println!(
            "lane {:<9} {:.3} s  {:>10} events  {:.1} M events/s",
            strategy.name(),
            secs,
            r.events.len(),
            r.events.len() as f64 / secs / 1e6
        );
    }
    if let Some(kib) = peak_rss_kib() {
        println!("peak RSS {:.1} MiB", kib as f64 / 1024.0);
    }
}
