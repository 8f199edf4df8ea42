//! The lanes benchmark as a bare WebAssembly module, so the simulator can be timed in wasm the way it runs
//! in the browser. Built and driven by `crates/hmm-sim/benches/wasm_bench.mjs` (node times the calls):
//!
//! ```sh
//! cargo build --release --target wasm32-unknown-unknown -p hmm-sim --example wasm_bench
//! node crates/hmm-sim/benches/wasm_bench.mjs 262144
//! ```

use hmm_sim::Strategy;
use hmm_sim::RANGE_BASE_VPN;
use hmm_sim::{parse_states, run, Op, RunConfig, Setup, ThreadSpec};

// The native lanes bench's scenario, so native and wasm time the same work.
#[path = "../benches/scenario/mod.rs"]
mod scenario;

/// Run lane `strategy` (0 legacy A, 1 legacy B, 2 unified) over the benchmarks' mixed scenario of `pages`
/// pages (`scenario::mixed`); returns the number of trace events, or 0 if the run failed.
#[no_mangle]
pub extern "C" fn bench_lane(strategy: u32, pages: u32) -> u64 {
    let Some(&strategy) = Strategy::ALL.get(strategy as usize) else {
        return 0;
    };
    let Ok(states) = parse_states(&scenario::mixed(pages as usize)) else {
        return 0;
    };
    let setup = Setup::from_states(&states);
    let thread = ThreadSpec {
        name: "lane".into(),
        mm: 0,
        ops: vec![Op::Lane {
            strategy,
            dev: 0,
            start: RANGE_BASE_VPN,
            npages: pages,
        }],
    };
    let report = run(&setup, &[thread], &RunConfig::default());
    if report.result.is_ok() {
        report.events.len() as u64
    } else {
        0
    }
}

fn main() {
    // Natively this is a quick smoke run; the wasm build is driven through `bench_lane`.
    println!("events: {}", bench_lane(2, 512));
}
