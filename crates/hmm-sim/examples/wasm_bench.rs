//! The lanes benchmark as a bare WebAssembly module, so the simulator can be timed in wasm the way it runs
//! in the browser. Built and driven by `crates/hmm-sim/benches/wasm_bench.mjs` (node times the calls):
//!
//! ```sh
//! cargo build --release --target wasm32-unknown-unknown -p hmm-sim --example wasm_bench
//! node crates/hmm-sim/benches/wasm_bench.mjs
//! ```

use hmm_sim::PageState;
use hmm_sim::Strategy;
use hmm_sim::RANGE_BASE_VPN;
use hmm_sim::{run, Op, RunConfig, Setup, ThreadSpec};

/// Run lane `strategy` (0 legacy A, 1 legacy B, 2 unified) over `pages` present pages; returns the number of
/// trace events, or 0 if the run failed.
#[no_mangle]
pub extern "C" fn bench_lane(strategy: u32, pages: u32) -> u64 {
    let Some(&strategy) = Strategy::ALL.get(strategy as usize) else {
        return 0;
    };
    let setup = Setup::from_states(&vec![PageState::Present; pages as usize]);
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
