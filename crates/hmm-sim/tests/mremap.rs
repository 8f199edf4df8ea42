//! mm/mremap.c: every entry kind moves unchanged and reads back its content at the new address; the old
//! address is gone (or an empty vma with MREMAP_DONTUNMAP); rmap finds a moved folio at its new address
//! (the fault on a moved device-private entry migrates it back there); the invariants hold at every step
//! and at rest, alone and racing a migration.
#![cfg(not(target_arch = "wasm32"))] // proptest is a native-only dev-dependency

use hmm_sim::{
    check_at_rest, explore, run, DmirrorCmd, Op, Outcome, PageState, Pte, PteKind, RunConfig,
    Setup, ThreadSpec, ViewState, CPU_FAULT_SIGNAL, EFAULT, EINVAL, RANGE_BASE_VPN,
};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

const B: u32 = RANGE_BASE_VPN;

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

fn reads(r: &hmm_sim::Report) -> Vec<Result<u32, i32>> {
    r.outcomes
        .iter()
        .flatten()
        .filter_map(|o| match o {
            Outcome::Cpu(c) => Some(*c),
            _ => None,
        })
        .collect()
}

/// Page i of a `from_states` range holds i + 1 unless it reads as zero.
fn content(s: PageState, i: u32) -> u32 {
    if matches!(s, PageState::Zero | PageState::None) {
        0
    } else {
        i + 1
    }
}

#[test]
fn every_entry_kind_moves_and_reads_back_at_the_new_address() {
    let states = PageState::PER_PAGE.to_vec();
    let n = states.len() as u32;
    for dontunmap in [false, true] {
        let setup = Setup::from_states(&states);
        let new = B + 0x400; // another PTE table: move_ptes nests the second PTL
        let before = setup.world.mms[0].clone();
        let mut ops = vec![Op::Mremap {
            start: B,
            npages: n,
            new,
            dontunmap,
        }];
        ops.extend((0..n).map(|i| Op::CpuRead { vpn: new + i }));
        ops.extend((0..n).map(|i| Op::CpuRead { vpn: B + i }));
        let r = one(&setup, ops);
        assert_eq!(r.result, Ok(()));
        assert!(r.violations.is_empty(), "{:?}", r.violations);
        assert_eq!(r.outcomes[0][0], Outcome::Ret(0));
        let got = reads(&r);
        for (i, s) in states.iter().enumerate() {
            assert_eq!(got[i], Ok(content(*s, i as u32)), "new page {i} ({s:?})");
            // The old range: an empty anonymous vma (reads zero) or no vma (the access faults).
            let old = got[n as usize + i];
            if dontunmap {
                assert_eq!(old, Ok(0), "old page {i}");
            } else {
                assert_eq!(old, Err(CPU_FAULT_SIGNAL), "old page {i}");
            }
        }
        // Before the reads, the entries moved unchanged (checked on a run of the mremap alone).
        let moved = one(
            &setup,
            vec![Op::Mremap {
                start: B,
                npages: n,
                new,
                dontunmap,
            }],
        );
        for i in 0..n {
            assert_eq!(
                moved.world.mms[0].pte(new + i),
                before.pte(B + i),
                "page {i}"
            );
            assert_eq!(moved.world.mms[0].pte(B + i), Pte::None);
        }
        assert!(check_at_rest(&moved.world).is_empty());
    }
}

#[test]
fn a_moved_device_page_faults_back_at_its_new_address() {
    // migrate_remap_fault's "mremap after migrate" order: the device-private entries move, the CPU
    // fault at the new address runs migrate_to_ram there, and remove_migration_ptes finds the new PTE
    // through the new vma's vm_pgoff.
    let setup = Setup::from_states(&[PageState::Present; 8]);
    let new = B + 0x200 + 3;
    let mut ops = vec![
        Op::Dmirror {
            dev: 0,
            cmd: DmirrorCmd::MigrateToDev,
            start: B,
            npages: 8,
            data: vec![],
        },
        Op::Mremap {
            start: B,
            npages: 8,
            new,
            dontunmap: false,
        },
    ];
    ops.extend((0..8).map(|i| Op::CpuRead { vpn: new + i }));
    let r = one(&setup, ops);
    assert_eq!(r.result, Ok(()));
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    assert_eq!(reads(&r), (1..=8).map(Ok).collect::<Vec<_>>());
    for i in 0..8 {
        assert_eq!(r.world.mms[0].pte(new + i).kind(), PteKind::PresentWrite);
    }
    // Migrating again from the new address works too (collect finds the pages there).
    let again = one(
        &Setup {
            world: r.world.clone(),
            devices: setup.devices,
            errors: vec![],
        },
        vec![Op::Dmirror {
            dev: 0,
            cmd: DmirrorCmd::MigrateToDev,
            start: new,
            npages: 8,
            data: vec![],
        }],
    );
    match &again.outcomes[0][0] {
        Outcome::Cmd(c) => assert_eq!((c.ret, c.cpages), (0, 8)),
        o => panic!("{o:?}"),
    }
}

#[test]
fn the_kernels_errors() {
    let setup = Setup::from_states(&[PageState::Present; 8]);
    let r = one(
        &setup,
        vec![
            // Overlapping ranges.
            Op::Mremap {
                start: B,
                npages: 4,
                new: B + 2,
                dontunmap: false,
            },
            // No vma at the old address.
            Op::Mremap {
                start: B + 100,
                npages: 1,
                new: B + 200,
                dontunmap: false,
            },
            // Past the end of the vma.
            Op::Mremap {
                start: B + 4,
                npages: 8,
                new: B + 200,
                dontunmap: false,
            },
            Op::Mremap {
                start: B,
                npages: 0,
                new: B + 200,
                dontunmap: false,
            },
        ],
    );
    let rets: Vec<i32> = r.outcomes[0].iter().map(Outcome::ret).collect();
    assert_eq!(rets, vec![EINVAL, EFAULT, EFAULT, EINVAL]);
    let mut shared = Setup::new(1);
    shared.mmap(
        0,
        B,
        4,
        hmm_sim::Prot {
            read: true,
            write: true,
            shared: true,
        },
    );
    let r = one(
        &shared,
        vec![Op::Mremap {
            start: B,
            npages: 4,
            new: B + 64,
            dontunmap: true,
        }],
    );
    assert_eq!(
        r.outcomes[0][0],
        Outcome::Ret(EINVAL),
        "DONTUNMAP needs private anon"
    );
}

#[test]
fn mremap_racing_a_migration_keeps_every_invariant_in_every_schedule() {
    let setup = Setup::from_states(&[PageState::Present; 3]);
    let threads = [
        ThreadSpec {
            name: "migrate".into(),
            mm: 0,
            ops: vec![Op::Dmirror {
                dev: 0,
                cmd: DmirrorCmd::MigrateToDev,
                start: B,
                npages: 3,
                data: vec![],
            }],
        },
        ThreadSpec {
            name: "mremap".into(),
            mm: 0,
            ops: vec![
                Op::Mremap {
                    start: B,
                    npages: 3,
                    new: B + 16,
                    dontunmap: true,
                },
                Op::CpuRead { vpn: B + 16 },
                Op::CpuRead { vpn: B + 17 },
                Op::CpuRead { vpn: B + 18 },
            ],
        },
    ];
    let mut runs = 0;
    let ex = explore(&setup, &threads, &RunConfig::default(), 5000, |r| {
        runs += 1;
        assert_eq!(r.result, Ok(()));
        assert!(r.violations.is_empty(), "{:?}", r.violations);
        assert_eq!(reads(r), vec![Ok(1), Ok(2), Ok(3)], "{:?}", r.choices);
        false
    });
    assert!(ex.exhaustive, "{runs} schedules");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, rng_seed: RngSeed::Fixed(0x6d72_656d), ..ProptestConfig::default() })]
    /// At every step of a move, each page's content is at exactly one of its two addresses (or in the
    /// middle of a move under the PTLs), and no frame has fewer references than mappings.
    #[test]
    fn contents_and_refcounts_hold_at_every_step(
        states in prop::collection::vec(prop::sample::select(PageState::PER_PAGE.to_vec()), 1..40),
        to in 0u32..1200,
        dontunmap in any::<bool>(),
    ) {
        let n = states.len() as u32;
        let new = B + n + to;
        let setup = Setup::from_states(&states);
        let r = one(&setup, vec![Op::Mremap { start: B, npages: n, new, dontunmap }]);
        prop_assert_eq!(r.result.clone(), Ok(()));
        prop_assert!(r.violations.is_empty(), "{:?}", r.violations);
        let mut v = ViewState::from_world(&setup.world);
        let at = |v: &ViewState, vpn: u32| -> Option<u32> {
            match v.ptes.get(&(0, vpn)).copied().unwrap_or(Pte::None) {
                Pte::None => None,
                Pte::Zero => Some(0),
                Pte::Swap { slot } => v.swap.get(&slot).copied(),
                pte => pte.pfn().and_then(|p| v.frames.get(&p)).map(|f| f.content),
            }
        };
        for e in &r.events {
            v.apply(&e);
            for (i, s) in states.iter().enumerate() {
                let i = i as u32;
                let (o, w) = (at(&v, B + i), at(&v, new + i));
                let want = content(*s, i);
                match s {
                    PageState::None => prop_assert!(o.is_none() && w.is_none()),
                    // Between ptep_get_and_clear and set_pte_at (under both PTLs) the entry is in flight.
                    _ => prop_assert!(
                        (o == Some(want) && w.is_none()) || (o.is_none() && w == Some(want)) || (o.is_none() && w.is_none()),
                        "page {} ({:?}) after {:?}: old {:?} new {:?}", i, s, e, o, w
                    ),
                }
            }
            for (pfn, f) in &v.frames {
                prop_assert!(f.refcount >= f.mapcount && f.mapcount >= 0, "pfn {:#x} ref {} map {}", pfn, f.refcount, f.mapcount);
            }
        }
        for (i, s) in states.iter().enumerate() {
            if *s != PageState::None {
                prop_assert_eq!(at(&v, new + i as u32), Some(content(*s, i as u32)));
            }
        }
        prop_assert!(check_at_rest(&r.world).is_empty());
    }
}
