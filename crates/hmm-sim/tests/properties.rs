//! Property tests: random scenarios and schedules keep every invariant, lose no content, and replay exactly.
#![cfg(not(target_arch = "wasm32"))] // proptest is a native-only dev-dependency

use hmm_sim::DmirrorCmd;
use hmm_sim::PageState;
use hmm_sim::RANGE_BASE_VPN;
use hmm_sim::{compare, final_states_agree, run, Op, RunConfig, Setup, ThreadSpec};
use hmm_sim::{Limits, Policy};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

fn states() -> impl Strategy<Value = Vec<PageState>> {
    prop::collection::vec(prop::sample::select(PageState::PER_PAGE.to_vec()), 1..2048)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, rng_seed: RngSeed::Fixed(0x686d_6d76), ..ProptestConfig::default() })]

    #[test]
    fn lanes_keep_invariants_and_agree(states in states()) {
        let lanes = compare(&states, &RunConfig::default()).lanes;
        for l in &lanes {
            prop_assert!(l.report.result.is_ok(), "{}: {:?}", l.strategy.name(), l.report.result);
            prop_assert!(l.report.violations.is_empty(), "{}: {:?}", l.strategy.name(), &l.report.violations[..l.report.violations.len().min(5)]);
        }
        prop_assert!(final_states_agree(&lanes));
    }

    /// Several threads (a lane, CPU accesses, dmirror ops) under a seeded random schedule: the run keeps
    /// the invariants, and replaying its recorded choices reproduces the trace event for event.
    #[test]
    fn random_schedules_replay_exactly(states in prop::collection::vec(prop::sample::select(PageState::PER_PAGE.to_vec()), 1..24), seed in any::<u64>(), touch in 0usize..24) {
        let n = states.len() as u32;
        let setup = Setup::from_states(&states);
        let vpn = RANGE_BASE_VPN + (touch as u32 % n);
        let threads = vec![
            ThreadSpec { name: "driver".into(), mm: 0, ops: vec![Op::Lane { strategy: hmm_sim::Strategy::Unified, dev: 0, start: RANGE_BASE_VPN, npages: n }] },
            ThreadSpec { name: "cpu".into(), mm: 0, ops: vec![Op::CpuWrite { vpn, value: 0xabc }, Op::CpuRead { vpn: RANGE_BASE_VPN }] },
            ThreadSpec { name: "mirror1".into(), mm: 0, ops: vec![Op::Dmirror { dev: 1, cmd: DmirrorCmd::Snapshot, start: RANGE_BASE_VPN, npages: n, data: vec![] }] },
        ];
        let limits = Limits { max_steps: 2_000_000, max_threads: 8 };
        let cfg = RunConfig { policy: Policy::Random { seed }, limits: limits.clone(), ..RunConfig::default() };
        let first = run(&setup, &threads, &cfg);
        prop_assert!(first.result.is_ok(), "{:?}", first.result);
        prop_assert!(first.violations.is_empty(), "{:?}", first.violations);
        let replay_cfg = RunConfig { policy: Policy::Replay { choices: first.choices.clone() }, limits, ..RunConfig::default() };
        let second = run(&setup, &threads, &replay_cfg);
        prop_assert_eq!(&first.events, &second.events);
        prop_assert_eq!(&first.outcomes, &second.outcomes);
    }
}

#[test]
fn impossible_choice_is_an_error() {
    let setup = Setup::from_states(&[PageState::Present]);
    let threads = vec![
        ThreadSpec {
            name: "a".into(),
            mm: 0,
            ops: vec![Op::CpuRead {
                vpn: RANGE_BASE_VPN,
            }],
        },
        ThreadSpec {
            name: "b".into(),
            mm: 0,
            ops: vec![Op::CpuRead {
                vpn: RANGE_BASE_VPN,
            }],
        },
    ];
    let cfg = RunConfig {
        policy: Policy::Replay { choices: vec![7] },
        ..RunConfig::default()
    };
    let r = run(&setup, &threads, &cfg);
    assert!(
        matches!(
            r.result,
            Err(hmm_sim::RunError::ImpossibleChoice {
                index: 0,
                wanted: 7,
                ..
            })
        ),
        "{:?}",
        r.result
    );
}

#[test]
fn out_of_range_requests_are_errors_not_panics() {
    use hmm_sim::RunError;
    use hmm_sim::{Outcome, Prot};
    let setup = Setup::from_states(&[PageState::Present]);
    let ops = vec![
        Op::Lane {
            strategy: hmm_sim::Strategy::LegacyA,
            dev: 0,
            start: RANGE_BASE_VPN,
            npages: u32::MAX,
        },
        Op::Lane {
            strategy: hmm_sim::Strategy::Unified,
            dev: 9,
            start: RANGE_BASE_VPN,
            npages: 1,
        },
        Op::Dmirror {
            dev: 0,
            cmd: DmirrorCmd::Read,
            start: u32::MAX - 1,
            npages: 4,
            data: vec![],
        },
        Op::CpuRead { vpn: u32::MAX },
        Op::CpuWrite {
            vpn: 1 << 30,
            value: 1,
        },
        Op::Munmap {
            start: 0,
            npages: u32::MAX,
        },
        Op::Mremap {
            start: RANGE_BASE_VPN,
            npages: 1,
            new: u32::MAX,
            dontunmap: false,
        },
        Op::GupTest {
            cmd: hmm_sim::GupTestCmd::GupBasicTest,
            start: u32::MAX,
            npages: 2,
            longterm: false,
        },
        Op::Mprotect {
            start: u32::MAX,
            npages: 1,
            read: true,
            write: true,
        },
        // Inside the address space but outside any VMA: the kernel's own errors.
        Op::CpuRead { vpn: 5 },
        Op::Dmirror {
            dev: 0,
            cmd: DmirrorCmd::MigrateToDev,
            start: 5,
            npages: 1,
            data: vec![],
        },
    ];
    let r = run(
        &setup,
        &[ThreadSpec {
            name: "t".into(),
            mm: 0,
            ops,
        }],
        &RunConfig::default(),
    );
    assert_eq!(r.result, Ok(()));
    let rets: Vec<i32> = r.outcomes[0].iter().map(Outcome::ret).collect();
    assert_eq!(
        rets,
        vec![-22, -22, -22, -22, -22, -22, -22, -22, -22, -14, -22]
    );
    let mut bad = Setup::new(2);
    bad.mmap(0, u32::MAX - 2, 10, Prot::RW);
    let r = run(&bad, &[], &RunConfig::default());
    assert!(
        matches!(r.result, Err(RunError::BadSetup { .. })),
        "{:?}",
        r.result
    );
}
