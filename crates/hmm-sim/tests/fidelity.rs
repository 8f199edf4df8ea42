//! Corrections from the kernel review of issue 9: each test fails on the model's earlier behaviour.

use hmm_sim::RANGE_BASE_VPN;
use hmm_sim::{run, DmirrorCmd, Func, Kind, Op, PageState, RunConfig, Setup, ThreadSpec};

fn one_thread(setup: &Setup, ops: Vec<Op>) -> hmm_sim::Report {
    let specs = vec![ThreadSpec {
        name: "t1".into(),
        mm: 0,
        ops,
    }];
    let r = run(setup, &specs, &RunConfig::default());
    assert_eq!(r.result, Ok(()), "{:?}", r.result);
    assert!(r.violations.is_empty(), "{:#?}", r.violations);
    r
}

/// `ptep_clear_flush()` flushes only a PTE the TLB can hold (`pte_accessible`), and collect's chunk flush
/// counts only present PTEs: taking device-private pages back to system memory flushes nothing in collect.
#[test]
fn collecting_device_private_ptes_flushes_no_tlb() {
    let setup = Setup::from_states(&[PageState::DevicePrivate; 4]);
    let r = one_thread(
        &setup,
        vec![Op::Dmirror {
            dev: 0,
            cmd: DmirrorCmd::MigrateToSys,
            start: RANGE_BASE_VPN,
            npages: 4,
            data: vec![],
        }],
    );
    let collected = r
        .events
        .iter()
        .filter(|e| e.kind == Kind::PteWrite && e.func == Func::MigrateVmaCollectPmd)
        .count();
    assert!(
        collected >= 4,
        "collect swapped the PTEs ({collected} writes)"
    );
    let flushes = r
        .events
        .iter()
        .filter(|e| e.kind == Kind::TlbFlush && e.func == Func::MigrateVmaCollectPmd)
        .count();
    assert_eq!(flushes, 0);
}
