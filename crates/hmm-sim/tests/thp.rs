//! PMD-mapped anonymous THPs: the `H` scenario letter, `do_huge_pmd_anonymous_page` under MADV_HUGEPAGE,
//! `__split_huge_pmd` / `split_folio` with the kernel's counts, SNAPSHOT's PMD bit (hmm's map order 9),
//! migration of a THP (split in collect) and partial munmap; the invariants hold at rest after each.

use hmm_sim::{
    check_at_rest, prot, run, DmirrorCmd, Kind, Madvice, Op, Outcome, PageState, Pte, RunConfig,
    Setup, ThreadSpec, RANGE_BASE_VPN,
};

const B: u32 = RANGE_BASE_VPN;
const N: u32 = 512;

fn one(setup: &Setup, ops: Vec<Op>) -> hmm_sim::Report {
    let r = run(
        setup,
        &[ThreadSpec {
            name: "t".into(),
            mm: 0,
            ops,
        }],
        &RunConfig::default(),
    );
    assert_eq!(r.result, Ok(()));
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    r
}

fn thp_setup() -> Setup {
    Setup::from_states(&vec![PageState::Huge; N as usize])
}

fn count(r: &hmm_sim::Report, kind: Kind) -> usize {
    r.events.iter().filter(|e| e.kind == kind).count()
}

#[test]
fn an_h_run_is_one_pmd_mapped_folio_with_the_kernels_counts() {
    let s = thp_setup();
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let mm = &s.world.mms[0];
    let Some(Pte::Present {
        pfn: head,
        write: true,
        ..
    }) = mm.pmd_leaf(B)
    else {
        panic!("no PMD leaf: {:?}", mm.pmd_leaf(B))
    };
    assert!(mm.pmds[(B / 512) as usize].is_none(), "a leaf and a table");
    let h = s.world.folio(head);
    assert_eq!(
        (h.order, h.refcount, h.entire_mapcount, h.mapcount),
        (9, 1, 1, 0)
    );
    for p in head + 1..head + N {
        let t = s.world.folio(p);
        assert_eq!((t.tail_of, t.refcount, t.mapcount), (Some(head), 0, 0));
    }
    assert!(
        check_at_rest(&s.world).is_empty(),
        "{:?}",
        check_at_rest(&s.world)
    );
    // The CPU reads every page's own content through the PMD, and writes without faulting.
    let mut ops: Vec<Op> = (0..N).map(|i| Op::CpuRead { vpn: B + i }).collect();
    ops.push(Op::CpuWrite {
        vpn: B + 7,
        value: 0x77,
    });
    ops.push(Op::CpuRead { vpn: B + 7 });
    let r = one(&s, ops);
    for i in 0..N {
        assert_eq!(r.outcomes[0][i as usize], Outcome::Cpu(Ok(i + 1)));
    }
    assert_eq!(r.outcomes[0][N as usize + 1], Outcome::Cpu(Ok(0x77)));
    assert_eq!(r.counters.faults, 0);
}

#[test]
fn snapshot_reports_the_pmd_bit() {
    let s = thp_setup();
    let r = one(
        &s,
        vec![Op::Dmirror {
            dev: 0,
            cmd: DmirrorCmd::Snapshot,
            start: B,
            npages: N,
            data: vec![],
        }],
    );
    let Outcome::Cmd(c) = &r.outcomes[0][0] else {
        panic!()
    };
    assert_eq!(c.ret, 0);
    assert!(
        c.snapshot.iter().all(|&b| b == prot::WRITE | prot::PMD),
        "{:?}",
        &c.snapshot[..4]
    );
    // 4 KiB pages have no PMD bit.
    let small = Setup::from_states(&[PageState::Present; 4]);
    let r = one(
        &small,
        vec![Op::Dmirror {
            dev: 0,
            cmd: DmirrorCmd::Snapshot,
            start: B,
            npages: 4,
            data: vec![],
        }],
    );
    let Outcome::Cmd(c) = &r.outcomes[0][0] else {
        panic!()
    };
    assert!(c.snapshot.iter().all(|&b| b == prot::WRITE));
}

#[test]
fn madv_hugepage_faults_map_a_thp_or_the_huge_zero_page() {
    let mut s = Setup::from_states(&vec![PageState::None; 2 * N as usize]);
    s.madvise_hugepage(0, B, B + N);
    // A read of the first 2 MiB maps the huge zero page; a write to the second (no VM_HUGEPAGE) is 4 KiB.
    let r = one(
        &s,
        vec![
            Op::CpuRead { vpn: B + 3 },
            Op::CpuWrite {
                vpn: B + N + 1,
                value: 9,
            },
        ],
    );
    assert_eq!(r.world.mms[0].pmd_leaf(B), Some(Pte::Zero));
    assert!(r.world.mms[0].pmd_leaf(B + N).is_none());
    assert!(r.world.mms[0].pmds[((B + N) / 512) as usize].is_some());
    // A write maps a new 2 MiB folio with one PMD entry: one fault for 512 pages.
    let mut ops = vec![Op::Madvise {
        start: B + N,
        npages: N,
        advice: Madvice::HugePage,
    }];
    let mut s2 = Setup::from_states(&vec![PageState::None; 2 * N as usize]);
    s2.madvise_hugepage(0, B, B + N);
    ops.push(Op::CpuWrite {
        vpn: B + 5,
        value: 0x55,
    });
    ops.extend((0..N).map(|i| Op::CpuRead { vpn: B + i }));
    let r = one(&s2, ops);
    assert!(matches!(
        r.world.mms[0].pmd_leaf(B),
        Some(Pte::Present { write: true, .. })
    ));
    assert_eq!(r.counters.faults, 1);
    assert_eq!(r.outcomes[0][2 + 5], Outcome::Cpu(Ok(0x55)));
    assert_eq!(r.outcomes[0][2 + 6], Outcome::Cpu(Ok(0)));
    // A write to the huge zero page splits it (the fault falls back to the PTE level).
    let r = one(
        &s,
        vec![
            Op::CpuRead { vpn: B },
            Op::CpuWrite {
                vpn: B + 2,
                value: 4,
            },
            Op::CpuRead { vpn: B + 3 },
        ],
    );
    assert!(r.world.mms[0].pmd_leaf(B).is_none());
    assert_eq!(r.world.mms[0].pte(B + 3), Pte::Zero);
    assert_eq!(r.outcomes[0][1], Outcome::Cpu(Ok(4)));
    assert_eq!(count(&r, Kind::PmdWrite), 2, "huge zero mapped, then split");
}

#[test]
fn partial_munmap_splits_and_whole_munmap_zaps() {
    for (off, len) in [(0, 256), (128, 256), (256, 256), (0, 512)] {
        let s = thp_setup();
        let mut ops = vec![Op::Munmap {
            start: B + off,
            npages: len,
        }];
        ops.extend((0..N).map(|i| Op::CpuRead { vpn: B + i }));
        let r = one(&s, ops);
        let whole = len == N;
        assert!(r.world.mms[0].pmd_leaf(B).is_none());
        for i in 0..N {
            let want = if i >= off && i < off + len {
                Err(hmm_sim::CPU_FAULT_SIGNAL)
            } else {
                Ok(i + 1)
            };
            assert_eq!(
                r.outcomes[0][1 + i as usize],
                Outcome::Cpu(want),
                "page {i} after munmap {off}+{len}"
            );
        }
        // The split kept a PTE-mapped THP: its head holds one reference per remaining PTE.
        if !whole {
            let head = s.world.mms[0].pmd_leaf(B).and_then(|e| e.pfn()).unwrap();
            let h = r.world.folio(head);
            assert_eq!(
                (h.order, h.refcount, h.entire_mapcount),
                (9, (N - len) as i32, 0)
            );
            let splits = r
                .events
                .iter()
                .filter(|e| e.func == hmm_sim::Func::SplitHugePmd && e.kind == Kind::Call)
                .count();
            assert_eq!(splits, 1);
        } else {
            assert_eq!(
                r.world
                    .folio(s.world.mms[0].pmd_leaf(B).and_then(|e| e.pfn()).unwrap())
                    .refcount,
                0
            );
        }
    }
}

#[test]
fn migrating_a_thp_splits_it_in_collect_and_keeps_every_page() {
    let s = thp_setup();
    let mut ops = vec![Op::Dmirror {
        dev: 0,
        cmd: DmirrorCmd::MigrateToDev,
        start: B,
        npages: N,
        data: vec![],
    }];
    ops.extend((0..N).map(|i| Op::CpuRead { vpn: B + i }));
    let r = one(&s, ops);
    let Outcome::Cmd(c) = &r.outcomes[0][0] else {
        panic!()
    };
    assert_eq!((c.ret, c.cpages), (0, N as u64));
    assert_eq!(c.data, (1..=N).collect::<Vec<_>>());
    // The split: one __split_huge_pmd (its MMU_NOTIFY_CLEAR inside collect's MIGRATE) and one split_folio.
    let calls = |f: hmm_sim::Func| {
        r.events
            .iter()
            .filter(|e| e.func == f && e.kind == Kind::Call)
            .count()
    };
    assert_eq!(calls(hmm_sim::Func::SplitFolio), 1);
    assert!(calls(hmm_sim::Func::SplitHugePmd) >= 1);
    for i in 0..N {
        assert_eq!(
            r.outcomes[0][1 + i as usize],
            Outcome::Cpu(Ok(i + 1)),
            "page {i}"
        );
    }
}

#[test]
fn the_parser_requires_whole_thps() {
    assert!(hmm_sim::parse_states("H*512").is_ok());
    assert!(hmm_sim::parse_states("N*3H*512").is_err());
    let mut s = Setup::new(1);
    s.mmap(0, B, 4, hmm_sim::Prot::RW);
    s.place(0, B, PageState::Huge, 1);
    assert!(
        !s.errors.is_empty(),
        "a THP needs its whole 2 MiB in the vma"
    );
}

fn on(kernel: hmm_sim::KernelVersion, setup: &Setup, ops: Vec<Op>) -> hmm_sim::Report {
    let r = run(
        setup,
        &[ThreadSpec {
            name: "t".into(),
            mm: 0,
            ops,
        }],
        &RunConfig {
            kernel,
            ..RunConfig::default()
        },
    );
    assert_eq!(r.result, Ok(()));
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    r
}

fn migrate_to_dev() -> Op {
    Op::Dmirror {
        dev: 0,
        cmd: DmirrorCmd::MigrateToDev,
        start: B,
        npages: N,
        data: vec![],
    }
}

/// 6.19's device-THP path (kernel 2026): the THP moves whole into one 2 MiB device folio behind a
/// device-private PMD entry, with the kernel's compound counts (the device head holds the PMD mapping's
/// reference and entire mapcount, the tails nothing), and the per-page costs of 6.15's split-first path
/// are gone: one PTL acquisition per `pmd_lock` instead of one per page, one TLB flush for the 2 MiB.
#[test]
fn kernel_2026_moves_a_thp_whole_into_a_device_thp() {
    use hmm_sim::KernelVersion;
    let s = thp_setup();
    let whole = on(KernelVersion::Fix2026, &s, vec![migrate_to_dev()]);
    let Some(Pte::DevicePrivate {
        pfn: head,
        write: true,
    }) = whole.world.mms[0].pmd_leaf(B)
    else {
        panic!(
            "no device-private PMD: {:?}",
            whole.world.mms[0].pmd_leaf(B)
        )
    };
    assert!(whole.world.mms[0].pmds[(B / 512) as usize].is_none());
    let h = whole.world.folio(head);
    assert!(h.is_device_private());
    assert_eq!(
        (h.order, h.refcount, h.entire_mapcount, h.mapcount),
        (9, 1, 1, 0)
    );
    for p in head + 1..head + N {
        let t = whole.world.folio(p);
        assert_eq!((t.tail_of, t.refcount, t.mapcount), (Some(head), 0, 0));
    }
    assert!(check_at_rest(&whole.world).is_empty());

    let split = on(KernelVersion::V6_15, &s, vec![migrate_to_dev()]);
    assert!(split.world.mms[0].pmd_leaf(B).is_none());
    let (w, p) = (whole.counters, split.counters);
    assert_eq!(
        (w.walks, w.invalidations, w.ptl_acquisitions, w.tlb_flushes),
        (1, 1, 2, 1)
    );
    assert_eq!(
        (p.walks, p.invalidations, p.ptl_acquisitions, p.tlb_flushes),
        (8, 9, 522, 521)
    );
}

/// A fault on the device-private PMD brings the 2 MiB back as one system THP (`do_huge_pmd_device_private`
/// → test_hmm's `migrate_to_ram` with `SELECT_COMPOUND`); the device folio is freed whole.
#[test]
fn a_cpu_fault_on_a_device_thp_brings_back_a_thp() {
    use hmm_sim::KernelVersion;
    let s = thp_setup();
    let r = on(
        KernelVersion::Fix2026,
        &s,
        vec![migrate_to_dev(), Op::CpuRead { vpn: B + 7 }],
    );
    let Some(Pte::Present { pfn: head, .. }) = r.world.mms[0].pmd_leaf(B) else {
        panic!("no THP after the fault: {:?}", r.world.mms[0].pmd_leaf(B))
    };
    let h = r.world.folio(head);
    assert_eq!((h.order, h.refcount, h.entire_mapcount), (9, 1, 1));
    assert_eq!(r.world.devices[0].free_folios.len(), 1);
    assert!(check_at_rest(&r.world).is_empty());
}

/// The compare lanes on a device-THP kernel ask for compound migration as test_hmm does: legacy A and B
/// move a THP as one PMD migration entry (no PTE visited, one TLB flush, one invalidation) and end with a
/// device-private PMD entry; drm_pagemap's all-or-nothing B, the unified walk and every lane on 6.15
/// split it first (512 PTE visits). Without `MIGRATE_VMA_SELECT_COMPOUND` in the lanes legacy A and B
/// visited 512 PTEs on 2026 too.
#[test]
fn compare_lanes_on_2026_take_the_pmd_path_and_6_15_splits() {
    use hmm_sim::{compare, compare_setup, BPolicy, DriverOpts, KernelVersion, PteKind, Strategy};
    let states = hmm_sim::parse_states("H*512").unwrap();
    let on = |kernel| RunConfig {
        kernel,
        ..RunConfig::default()
    };
    let thp = compare(&states, &on(KernelVersion::Fix2026));
    for lane in &thp.lanes {
        assert!(
            lane.report.violations.is_empty(),
            "{:?}",
            lane.report.violations
        );
        let c = &lane.counters;
        match lane.strategy {
            Strategy::LegacyA | Strategy::LegacyB => {
                assert_eq!((c.pte_visits, c.tlb_flushes, c.invalidations), (0, 1, 1));
                assert!(lane
                    .final_pages
                    .iter()
                    .all(|p| p.pte == PteKind::DevicePrivateWrite));
            }
            Strategy::Unified => assert_eq!(c.pte_visits, 1024),
        }
    }
    for lane in compare(&states, &on(KernelVersion::V6_15)).lanes {
        assert!(lane.counters.pte_visits >= 512, "{:?}", lane.strategy);
    }
    let mut drm = Setup::from_states(&states);
    drm.driver(DriverOpts {
        b_policy: BPolicy::AllOrNothing,
        ..DriverOpts::default()
    });
    let drm = compare_setup(&drm, 512, &on(KernelVersion::Fix2026));
    assert_eq!(drm.lanes[1].strategy, Strategy::LegacyB);
    assert_eq!(drm.lanes[1].counters.pte_visits, 512);
}
