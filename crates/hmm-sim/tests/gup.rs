//! mm/gup.c through mm/gup_test.c: GUP with FOLL_WRITE faults a device-private page back to system memory
//! before it gets or pins it, every gup_test ioctl puts its pages back, and a pin held while a migration
//! collects the page makes the migration leave it (folio_maybe_dma_pinned).
#![cfg(not(target_arch = "wasm32"))]

use hmm_sim::{
    check_at_rest, explore, run, DmirrorCmd, GupTestCmd, Op, Outcome, PageState, PteKind,
    RunConfig, Setup, ThreadSpec, RANGE_BASE_VPN,
};

const B: u32 = RANGE_BASE_VPN;

fn thread(name: &str, ops: Vec<Op>) -> ThreadSpec {
    ThreadSpec {
        name: name.into(),
        mm: 0,
        ops,
    }
}

fn migrate(start: u32, npages: u32) -> Op {
    Op::Dmirror {
        dev: 0,
        cmd: DmirrorCmd::MigrateToDev,
        start,
        npages,
        data: vec![],
    }
}

#[test]
fn every_gup_test_ioctl_faults_a_device_page_back_and_puts_it_back() {
    for cmd in GupTestCmd::ALL {
        for longterm in [false, true] {
            let setup = Setup::from_states(&[PageState::DevicePrivate; 2]);
            let r = run(
                &setup,
                &[thread(
                    "t",
                    vec![Op::GupTest {
                        cmd,
                        start: B,
                        npages: 2,
                        longterm,
                    }],
                )],
                &RunConfig::default(),
            );
            assert_eq!(r.result, Ok(()), "{cmd:?}");
            assert!(r.violations.is_empty(), "{cmd:?}: {:?}", r.violations);
            assert_eq!(r.outcomes[0][0], Outcome::Ret(0));
            for i in 0..2 {
                let pte = r.world.mms[0].pte(B + i);
                assert_eq!(pte.kind(), PteKind::PresentWrite, "{cmd:?} page {i}");
                let f = r.world.folio(pte.pfn().unwrap());
                assert_eq!((f.refcount, f.mapcount), (1, 1), "{cmd:?}: put back");
                assert_eq!(f.content, i + 1);
            }
            assert!(check_at_rest(&r.world).is_empty());
        }
    }
}

#[test]
fn gup_on_a_read_only_vma_gets_nothing_and_the_ioctl_still_returns_0() {
    let mut setup = Setup::from_states(&[PageState::Present; 2]);
    setup.world.mms[0].vmas[0].write = false;
    let r = run(
        &setup,
        &[thread(
            "t",
            vec![Op::GupTest {
                cmd: GupTestCmd::PinLongtermBenchmark,
                start: B,
                npages: 2,
                longterm: false,
            }],
        )],
        &RunConfig::default(),
    );
    assert_eq!(r.outcomes[0][0], Outcome::Ret(0));
    assert!(r.violations.is_empty(), "{:?}", r.violations);
    assert!(check_at_rest(&r.world).is_empty());
}

/// A pin taken while the migration collects the page: folio_try_share_anon_rmap_pte (or the refcount
/// check) refuses it, so in some schedule the page stays in system memory and MIGRATE_TO_DEV reports
/// -ENOENT for it; in every schedule the data survives and nothing is left pinned.
#[test]
fn a_page_pinned_during_migration_is_left_behind() {
    let setup = Setup::from_states(&[PageState::Present; 1]);
    let threads = [
        thread(
            "pin",
            vec![Op::GupTest {
                cmd: GupTestCmd::PinLongtermBenchmark,
                start: B,
                npages: 1,
                longterm: false,
            }],
        ),
        thread("migrate", vec![migrate(B, 1)]),
    ];
    let (mut left, mut moved) = (0, 0);
    let ex = explore(&setup, &threads, &RunConfig::default(), 20_000, |r| {
        assert_eq!(r.result, Ok(()));
        assert!(r.violations.is_empty(), "{:?}", r.violations);
        let Outcome::Cmd(c) = &r.outcomes[1][0] else {
            panic!("{:?}", r.outcomes)
        };
        match c.ret {
            0 => moved += 1,
            -2 => left += 1, // -ENOENT: dmirror_do_read found the page missing
            e => panic!("MIGRATE_TO_DEV returned {e}"),
        }
        let pte = r.world.mms[0].pte(B);
        let content = match pte.kind() {
            PteKind::PresentWrite | PteKind::DevicePrivateWrite => {
                r.world.folio(pte.pfn().unwrap()).content
            }
            k => panic!("{k:?}"),
        };
        assert_eq!(content, 1);
        false
    });
    assert!(ex.exhaustive);
    assert!(left > 0 && moved > 0, "left {left}, moved {moved}");
}
