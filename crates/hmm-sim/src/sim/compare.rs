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

/// The driver mm's pages `[start, end)` after a run.
pub fn final_pages(world: &World, mm: MmId, start: u32, end: u32) -> Vec<FinalPage> {
    (start..end)
        .map(|vpn| FinalPage {
            location: world.locate(mm, vpn),
            pte: world.mms[mm as usize].pte(vpn).kind(),
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

/// Run the three strategies on the same scenario.
pub fn compare(states: &[PageState], cfg: &RunConfig) -> Comparison {
    let setup = Setup::from_states(states);
    let lanes = Strategy::ALL
        .iter()
        .map(|&strategy| {
            let thread = ThreadSpec {
                name: strategy.name().to_string(),
                mm: 0,
                ops: vec![Op::Lane {
                    strategy,
                    dev: 0,
                    start: RANGE_BASE_VPN,
                    npages: states.len() as u32,
                }],
            };
            let report = run(&setup, &[thread], cfg);
            let end = RANGE_BASE_VPN + states.len() as u32;
            LaneRun {
                strategy,
                counters: report.counters.clone(),
                final_pages: final_pages(&report.world, 0, RANGE_BASE_VPN, end),
                report,
            }
        })
        .collect();
    Comparison {
        initial: setup.world,
        lanes,
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

/// Pages whose faults restart a lane's walk, and how many of them `compare` takes at most. A write fault on a
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
pub fn restart_limit(states: &[PageState]) -> Option<RestartLimit> {
    let count = |letters: &[PageState]| states.iter().filter(|s| letters.contains(s)).count();
    let cow_or_zero = count(&[PageState::CowShared, PageState::Zero]);
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
