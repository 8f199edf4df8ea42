//! lib/test_hmm.c `dmirror_fops_mmap`: the driver's zeroed pages in a private VM_MIXEDMAP vma. They read 0,
//! snapshot as READ, are copied on write (not anonymous: never reused), cannot be migrated (VM_SPECIAL),
//! and any program over them keeps the invariants at every step and at rest.
#![cfg(not(target_arch = "wasm32"))]

use hmm_sim::{
    check_at_rest, prot, run, DmirrorCmd, Op, Outcome, Policy, Prot, PteKind, RunConfig, Setup,
    ThreadSpec, ViewState, EINVAL, RANGE_BASE_VPN,
};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

const B: u32 = RANGE_BASE_VPN;
const N: u32 = 4;

fn world() -> Setup {
    let mut s = Setup::new(1);
    s.mmap_dmirror(0, 0, B, N, Prot::RW);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    s
}

fn dmirror(cmd: DmirrorCmd, start: u32, npages: u32) -> Op {
    Op::Dmirror {
        dev: 0,
        cmd,
        start,
        npages,
        data: (0..npages).map(|i| 0x700 + i).collect(),
    }
}

fn one(setup: &Setup, ops: Vec<Op>) -> hmm_sim::Report {
    run(
        setup,
        &[ThreadSpec {
            name: "t".into(),
            mm: 0,
            ops,
        }],
        &RunConfig::default(),
    )
}

#[test]
fn the_drivers_pages_are_mapped_read_only_and_snapshot_as_read() {
    let s = world();
    assert!(check_at_rest(&s.world).is_empty());
    for i in 0..N {
        assert_eq!(s.world.mms[0].pte(B + i).kind(), PteKind::PresentRead);
    }
    let r = one(
        &s,
        vec![dmirror(DmirrorCmd::Snapshot, B, N), Op::CpuRead { vpn: B }],
    );
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    match &r.outcomes[0][0] {
        Outcome::Cmd(c) => {
            assert_eq!((c.ret, c.cpages), (0, N as u64));
            assert!(
                c.snapshot.iter().all(|&b| b == prot::READ),
                "{:?}",
                c.snapshot
            );
        }
        o => panic!("{o:?}"),
    }
    assert_eq!(r.outcomes[0][1], Outcome::Cpu(Ok(0)));
}

#[test]
fn a_write_copies_the_drivers_page_and_migration_refuses_the_vma() {
    let s = world();
    let old = s.world.mms[0].pte(B).pfn().unwrap();
    let r = one(
        &s,
        vec![
            Op::CpuWrite { vpn: B, value: 9 },
            dmirror(DmirrorCmd::MigrateToDev, B, N),
        ],
    );
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    let pte = r.world.mms[0].pte(B);
    assert_eq!(pte.kind(), PteKind::PresentWrite);
    assert_ne!(pte.pfn(), Some(old), "wp_page_copy, never wp_page_reuse");
    assert_eq!(
        r.world.folio(old).refcount,
        0,
        "the driver's page was freed"
    );
    match &r.outcomes[0][1] {
        Outcome::Cmd(c) => assert_eq!(c.ret, EINVAL, "VM_SPECIAL includes VM_MIXEDMAP"),
        o => panic!("{o:?}"),
    }
    assert!(check_at_rest(&r.world).is_empty());
}

fn op() -> impl Strategy<Value = Op> {
    let page = 0..N;
    let span = (0..N, 1..=N).prop_map(|(s, n)| (s, n.min(N - s)));
    prop_oneof![
        page.clone().prop_map(|p| Op::CpuRead { vpn: B + p }),
        (page, any::<u8>()).prop_map(|(p, v)| Op::CpuWrite {
            vpn: B + p,
            value: v as u32
        }),
        (prop::sample::select(DmirrorCmd::ALL.to_vec()), span.clone())
            .prop_map(|(c, (s, n))| dmirror(c, B + s, n)),
        (span.clone(), any::<bool>()).prop_map(|((s, n), write)| Op::Mprotect {
            start: B + s,
            npages: n,
            read: true,
            write
        }),
        span.prop_map(|(s, n)| Op::Munmap {
            start: B + s,
            npages: n
        }),
        Just(Op::Fork),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, rng_seed: RngSeed::Fixed(0x6d69_7864), ..ProptestConfig::default() })]
    #[test]
    fn random_programs_over_the_drivers_pages_keep_invariants(
        a in prop::collection::vec(op(), 1..8),
        b in prop::collection::vec(op(), 0..4),
        seed in any::<u64>(),
    ) {
        let s = world();
        let threads = [
            ThreadSpec { name: "a".into(), mm: 0, ops: a },
            ThreadSpec { name: "b".into(), mm: 0, ops: b },
        ];
        let cfg = RunConfig { policy: Policy::Random { seed }, ..RunConfig::default() };
        let r = run(&s, &threads, &cfg);
        prop_assert!(r.result.is_ok(), "{:?}", r.result);
        prop_assert!(r.violations.is_empty(), "{:?}", r.violations);
        // Every step: no frame has fewer references than mappings.
        let mut v = ViewState::from_world(&s.world);
        for e in &r.events {
            v.apply(&e);
            for (pfn, f) in &v.frames {
                prop_assert!(f.refcount >= f.mapcount && f.mapcount >= 0, "pfn {:#x} ref {} map {}", pfn, f.refcount, f.mapcount);
            }
        }
    }
}
