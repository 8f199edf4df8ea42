//! The three lanes on one scenario, and what "the same final state" means across them.

use super::run::{run, Op, Report, RunConfig, ThreadSpec};
use super::setup::Setup;
use crate::drivers::lanes::Strategy;
use crate::scenario::PageState;
use crate::trace::Counters;
use crate::world::*;
use serde::{Deserialize, Serialize};

/// One page's final state, as lanes are compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalPage {
    pub location: PageLocation,
    pub pte: crate::pte::PteKind,
}

/// The driver mm's pages `[start, end)` after a run; a page under a PMD entry (a THP that stayed whole,
/// or moved whole as a 2 MiB device folio) reads that entry, as `World::entry` does.
pub fn final_pages(world: &World, mm: MmId, start: u32, end: u32) -> Vec<FinalPage> {
    (start..end)
        .map(|vpn| FinalPage {
            location: world.locate(mm, vpn),
            pte: world.mms[mm as usize].entry(vpn, world.huge_zero).kind(),
        })
        .collect()
}

/// Where a page ended up, without frame numbers: what "the same final state" means across lanes.
pub fn same_place(a: &FinalPage, b: &FinalPage) -> bool {
    let key = |p: &FinalPage| match p.location {
        PageLocation::Device { dev, content, .. } => (1 + dev as u32, content),
        other => (0, other.content()),
    };
    key(a) == key(b)
}

/// One lane of a comparison.
#[derive(Clone, Debug)]
pub struct LaneRun {
    pub strategy: Strategy,
    pub report: Report,
    pub counters: Counters,
    pub final_pages: Vec<FinalPage>,
}

/// The three lanes of one scenario, with the world they all start from (so a viewer need not build the
/// set-up again).
#[derive(Clone, Debug)]
pub struct Comparison {
    /// The world before step 0 of every lane.
    pub initial: World,
    pub lanes: Vec<LaneRun>,
}

impl Comparison {
    /// Do all lanes end with every page in the same place holding the same data?
    pub fn agree(&self) -> bool {
        final_states_agree(&self.lanes)
    }
}

/// A page whose data agrees across lanes but whose mapping is writable in some lanes and read-only in
/// others (a COW page migrated with write intent in one lane and without it in another, say).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PermissionDifference {
    /// Index of the page in the compared range.
    pub page: usize,
    /// Per lane, in `Strategy::ALL` order: is the final PTE writable?
    pub writable: Vec<bool>,
}

/// Permission differences between lanes, reported apart from data agreement ([`final_states_agree`]).
pub fn permission_differences(lanes: &[LaneRun]) -> Vec<PermissionDifference> {
    let n = lanes.iter().map(|l| l.final_pages.len()).min().unwrap_or(0);
    (0..n)
        .filter_map(|page| {
            let writable: Vec<bool> = lanes
                .iter()
                .map(|l| l.final_pages[page].pte.is_writable())
                .collect();
            let differ = writable.windows(2).any(|w| w[0] != w[1]);
            differ.then_some(PermissionDifference { page, writable })
        })
        .collect()
}

/// Run the three strategies on the same scenario, with the default driver options.
pub fn compare(states: &[PageState], cfg: &RunConfig) -> Comparison {
    compare_setup(&Setup::from_states(states), states.len() as u32, cfg)
}

/// Run the three strategies over the first `npages` pages of the range of `setup` (a scenario with its
/// driver options: write intent, B policy, …).
pub fn compare_setup(setup: &Setup, npages: u32, cfg: &RunConfig) -> Comparison {
    let lanes = Strategy::ALL
        .iter()
        .map(|&strategy| compare_lane(setup, npages, strategy, cfg))
        .collect();
    Comparison {
        initial: setup.world.clone(),
        lanes,
    }
}

/// One lane of [`compare_setup`] on its own: a viewer that computes lanes one at a time (the web app's
/// worker, which hands each lane to the page as soon as it is done) runs exactly what `compare_setup` runs.
pub fn compare_lane(setup: &Setup, npages: u32, strategy: Strategy, cfg: &RunConfig) -> LaneRun {
    let thread = ThreadSpec {
        name: strategy.name().to_string(),
        mm: 0,
        ops: vec![Op::Lane {
            strategy,
            dev: 0,
            start: RANGE_BASE_VPN,
            npages,
        }],
    };
    let report = run(setup, &[thread], cfg);
    let end = RANGE_BASE_VPN + npages;
    LaneRun {
        strategy,
        counters: report.counters,
        final_pages: final_pages(&report.world, 0, RANGE_BASE_VPN, end),
        report,
    }
}

/// Do all lanes end with every page in the same place holding the same data?
pub fn final_states_agree(lanes: &[LaneRun]) -> bool {
    lanes.windows(2).all(|w| {
        w[0].final_pages.len() == w[1].final_pages.len()
            && w[0]
                .final_pages
                .iter()
                .zip(&w[1].final_pages)
                .all(|(a, b)| same_place(a, b))
    })
}

/// Pages whose faults restart a lane's walk, and how many of them `compare` takes at most. With write intent, a write fault on a
/// COW-shared or zero page (`C`, `Z`) breaks COW under `MMU_NOTIFY_CLEAR`; a fault on another device's page
/// (`O`) migrates it back under that device's `MMU_NOTIFY_MIGRATE`. Either moves the driver's notifier
/// sequence, so `hmm_range_fault` returns `-EBUSY` once per PMD chunk of such pages and the driver walks
/// its range again from the start: restarts × range, quadratic, as in the kernel. The maxima are the largest
/// counts (powers of two) whose lanes all finish within the default step budget when the range starts with
/// them (measured: `C*65536` legacy A 18.5 M events, `O*16384` unified 13.7 M; `O` costs more because the
/// unified lane's driver restores what it collected before each retry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestartLimit {
    pub letters: &'static str,
    pub pages: usize,
    pub max: usize,
}

/// `C` and `Z` pages `compare` takes at most (see [`RestartLimit`]).
pub const MAX_COW_OR_ZERO_PAGES: usize = 65_536;
/// `O` pages `compare` takes at most (see [`RestartLimit`]).
pub const MAX_OTHER_DEVICE_PAGES: usize = 16_384;

/// The first restart limit `states` exceeds, if any.
/// `write` is the scenario's write intent: without it `C` and `Z` pages are valid for a read and never fault.
pub fn restart_limit(states: &[PageState], write: bool) -> Option<RestartLimit> {
    let count = |letters: &[PageState]| states.iter().filter(|s| letters.contains(s)).count();
    let cow_or_zero = if write {
        count(&[PageState::CowShared, PageState::Zero])
    } else {
        0
    };
    let other_device = count(&[PageState::OtherDevice]);
    if cow_or_zero > MAX_COW_OR_ZERO_PAGES {
        Some(RestartLimit {
            letters: "C and Z",
            pages: cow_or_zero,
            max: MAX_COW_OR_ZERO_PAGES,
        })
    } else if other_device > MAX_OTHER_DEVICE_PAGES {
        Some(RestartLimit {
            letters: "O",
            pages: other_device,
            max: MAX_OTHER_DEVICE_PAGES,
        })
    } else {
        None
    }
}

impl std::fmt::Display for RestartLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} pages, at most {} are compared: each 2 MiB chunk of them invalidates the driver's range, \
             so hmm_range_fault returns -EBUSY and the driver walks its range again from the start (quadratic \
             in the range, as in the kernel; docs/cli.md, \"Restarts\")",
            self.pages, self.letters, self.max
        )
    }
}
