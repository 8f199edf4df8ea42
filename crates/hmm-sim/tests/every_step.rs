//! Invariants checked after every step of a run (not only at rest), by replaying the trace:
//! page contents are never lost (each page of the range reads back its content through whatever its PTE
//! is at that step: a present page, a migration entry's locked source, a device page, a swap slot), and no
//! frame ever has fewer references than mappings.
#![cfg(not(target_arch = "wasm32"))] // proptest is a native-only dev-dependency

use hmm_sim::LockId;
use hmm_sim::PageState;
use hmm_sim::Pte;
use hmm_sim::ViewState;
use hmm_sim::RANGE_BASE_VPN;
use hmm_sim::{compare, RunConfig, Setup};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

/// The content a reader finds through the PTE. A PTE cleared while its PTL is held is the middle of a
/// `ptep_get_and_clear` → `set_pte_at` pair: anyone who needs the page takes the PTL and sees the end of it.
fn content_at(v: &ViewState, vpn: u32) -> Option<Option<u32>> {
    let pte = v.ptes.get(&(0, vpn)).copied().unwrap_or(Pte::None);
    if pte == Pte::None
        && v.locks.contains_key(&LockId::Ptl {
            mm: 0,
            pmd: vpn / hmm_sim::PTRS_PER_PTE,
        })
    {
        return None;
    }
    Some(match pte {
        Pte::None | Pte::Zero => Some(0),
        Pte::Swap { slot } => v.swap.get(&slot).copied(),
        pte => pte
            .pfn()
            .and_then(|pfn| v.frames.get(&pfn))
            .map(|f| f.content),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, rng_seed: RngSeed::Fixed(0x686d_6d76), ..ProptestConfig::default() })]
    #[test]
    fn contents_and_refcounts_hold_at_every_step(states in prop::collection::vec(prop::sample::select(PageState::PER_PAGE.to_vec()), 1..96)) {
        let setup = Setup::from_states(&states);
        let want: Vec<u32> = states
            .iter()
            .enumerate()
            .map(|(i, s)| if matches!(s, PageState::Zero | PageState::None) { 0 } else { i as u32 + 1 })
            .collect();
        for lane in compare(&states, &RunConfig::default()).lanes {
            prop_assert!(lane.report.result.is_ok());
            let mut v = ViewState::from_world(&setup.world);
            for (step, e) in lane.report.events.iter().enumerate() {
                v.apply(&e);
                for (i, &w) in want.iter().enumerate() {
                    let Some(got) = content_at(&v, RANGE_BASE_VPN + i as u32) else { continue };
                    prop_assert_eq!(got, Some(w), "{} step {} page {} after {:?}", lane.strategy.name(), step, i, e);
                }
                for (pfn, f) in &v.frames {
                    prop_assert!(f.refcount >= f.mapcount && f.mapcount >= 0,
                        "{} step {}: pfn {:#x} ref {} map {}", lane.strategy.name(), step, pfn, f.refcount, f.mapcount);
                }
            }
        }
    }
}
