//! What a compare-view lane shows at one step, and the three lanes side by side sharing one window of pages.

use std::rc::Rc;

use hmm_sim::PteKind;
use hmm_sim::Strategy;
use hmm_sim::RANGE_BASE_VPN;
use hmm_sim::{narrate, TouchedSet, ViewState};
use hmm_sim::{Counters, Func, Milestone};

use super::{
    content_of, cursor_page, frame_row, held_summary, page_changed, pmd_leaf_at, pte_at,
    touched_between, window_start, FrameRow, MINIMAP_BUCKETS, MINIMAP_MAX_PAGES, STEP_ZERO,
    WINDOW_PAGES,
};
use crate::comparison::{LaneTrace, LoadedLanes};
use crate::decode;

/// One PTE in a lane's row.
#[derive(Clone, Debug, PartialEq)]
pub struct PageCell {
    /// Index of the page in the scenario's range.
    pub page: usize,
    pub kind: PteKind,
    pub pfn: Option<u32>,
    /// The content token the page holds (page i starts with i + 1; 0 reads as zeroes), wherever it lives.
    pub content: Option<u32>,
    pub on_device: bool,
    pub cursor: bool,
    pub changed: bool,
    /// The lanes disagree about this page's PTE kind at the aligned moment.
    pub differs: bool,
}

/// A 2 MiB chunk of the window mapped by one PMD leaf instead of a table of 512 PTEs: the row can show it
/// as one cell (the entry the kernel really has) or expanded to what each subpage reads through it.
#[derive(Clone, Debug, PartialEq)]
pub struct PmdChunk {
    /// The chunk's first page (PMD-aligned), and the window's pages it covers.
    pub base: usize,
    pub first: usize,
    pub last: usize,
    /// The leaf: a huge present entry, the huge zero page, a PMD migration or device-private entry.
    pub leaf: hmm_sim::Pte,
}

impl PmdChunk {
    /// Is window page `page` one of the chunk's?
    pub fn covers(&self, page: usize) -> bool {
        (self.first..=self.last).contains(&page)
    }

    /// The last of the 512 pages the leaf maps (past the window's edge, possibly).
    pub fn last_mapped(&self) -> usize {
        self.base + hmm_sim::PTRS_PER_PTE as usize - 1
    }
}

/// One bucket of the minimap: the most common PTE kind among its pages.
#[derive(Clone, Debug, PartialEq)]
pub struct MiniCell {
    pub kind: PteKind,
    pub first: usize,
    pub last: usize,
}

/// What a compare lane shows at one step.
#[derive(Clone, Debug, PartialEq)]
pub struct LanePicture {
    pub strategy: Strategy,
    /// What the lane's driver does, with the entry point the run used ([`lane_subtitle`]).
    pub subtitle: &'static str,
    pub step: usize,
    pub len: usize,
    pub npages: usize,
    pub window_start: usize,
    pub cells: Vec<PageCell>,
    /// The window's chunks mapped by a PMD leaf, in page order.
    pub pmd_chunks: Vec<PmdChunk>,
    pub minimap: Option<Vec<MiniCell>>,
    pub cursor: Option<usize>,
    pub device_frames: Vec<FrameRow>,
    pub device_total: usize,
    pub counters: Counters,
    /// Counter names whose value differs between lanes at this moment.
    pub counters_differ: Vec<&'static str>,
    pub func: Option<Func>,
    pub narration: String,
    pub held: Vec<String>,
    pub milestone: Option<Milestone>,
    pub milestones: Rc<Vec<(usize, Milestone)>>,
    pub error: Option<String>,
    /// Set if the lane stopped at the browser's trace budget: one line saying where.
    pub stopped: Option<String>,
    pub violations: usize,
    /// Faults made ahead of need so far, and in the whole run (the note is shown for the whole run so the
    /// layout does not move when the first one happens).
    pub faults_ahead: u64,
    pub faults_ahead_total: u64,
}

/// The PTE kinds of the window's pages (for comparing lanes).
pub fn kinds(state: &ViewState, start: usize, width: usize, npages: usize) -> Vec<PteKind> {
    (start..(start + width).min(npages))
        .map(|p| pte_at(state, p).kind())
        .collect()
}

pub fn minimap(state: &ViewState, npages: usize) -> Vec<MiniCell> {
    let buckets = npages.clamp(1, MINIMAP_BUCKETS);
    let mut counts = vec![[0u32; PteKind::ALL.len()]; buckets];
    let first = (0u8, RANGE_BASE_VPN);
    let last = (0u8, decode::page_vpn(npages));
    let mut present = vec![0u32; buckets];
    for (&(_, vpn), pte) in state.ptes.range(first..last) {
        let page = (vpn - RANGE_BASE_VPN) as usize;
        let b = page * buckets / npages;
        let k = PteKind::ALL
            .iter()
            .position(|&k| k == pte.kind())
            .unwrap_or(0);
        counts[b][k] += 1;
        present[b] += 1;
    }
    // A PMD leaf maps its 512 pages with no PTE table under it ("one PMD entry or 512 PTEs, never both").
    for (&(_, base), leaf) in state.pmds.range(first..last) {
        let k = PteKind::ALL
            .iter()
            .position(|&k| k == leaf.kind())
            .unwrap_or(0);
        let base = (base - RANGE_BASE_VPN) as usize;
        for page in base..(base + hmm_sim::PTRS_PER_PTE as usize).min(npages) {
            let b = page * buckets / npages;
            counts[b][k] += 1;
            present[b] += 1;
        }
    }
    (0..buckets)
        .map(|b| {
            let first = b * npages / buckets;
            let last = ((b + 1) * npages / buckets).max(first + 1) - 1;
            let size = (last - first + 1) as u32;
            // Pages without an entry are pte_none.
            counts[b][0] += size.saturating_sub(present[b]);
            let best = (0..PteKind::ALL.len())
                .max_by_key(|&k| counts[b][k])
                .unwrap_or(0);
            MiniCell {
                kind: PteKind::ALL[best],
                first,
                last,
            }
        })
        .collect()
}

/// What the three lanes share at one moment: the window of pages, and where they disagree.
struct SharedWindow {
    npages: usize,
    start: usize,
    /// Per window page: do the lanes disagree about its PTE kind?
    differs: Vec<bool>,
    counters_differ: Vec<&'static str>,
    /// The lanes' driver settings (the unified lane's entry point names its subtitle).
    driver: hmm_sim::DriverOpts,
}

/// A lane's subtitle: its driver sequence; for the unified lane, the entry point its run went through
/// (`DriverOpts::unified_entry`: `hmm_range_fault` with `HMM_PFN_REQ_MIGRATE`, or `migrate_vma_setup` with
/// `MIGRATE_VMA_FAULT`).
pub fn lane_subtitle(strategy: Strategy, driver: hmm_sim::DriverOpts) -> &'static str {
    match (strategy, driver.unified_entry) {
        (Strategy::Unified, hmm_sim::UnifiedEntry::HmmRangeFault) => {
            "one walk: hmm_range_fault with HMM_PFN_REQ_MIGRATE"
        }
        (Strategy::Unified, hmm_sim::UnifiedEntry::MigrateVmaFault) => {
            "one walk: migrate_vma_setup with MIGRATE_VMA_FAULT"
        }
        _ => strategy
            .title()
            .split_once(": ")
            .map_or(strategy.title(), |(_, t)| t),
    }
}

/// One compare lane's picture at `step`.
fn lane_picture(
    lane: &LaneTrace,
    state: &ViewState,
    step: usize,
    touched: &TouchedSet,
    shared: &SharedWindow,
) -> LanePicture {
    let (npages, window_start_page) = (shared.npages, shared.start);
    let cursor = cursor_page(state, npages);
    let end = (window_start_page + WINDOW_PAGES).min(npages);
    let cells = (window_start_page..end)
        .map(|page| {
            let pte = pte_at(state, page);
            let on_device = pte
                .pfn()
                .and_then(|p| state.frames.get(&p))
                .is_some_and(|f| f.zone.device().is_some()); // private or coherent
            PageCell {
                page,
                kind: pte.kind(),
                pfn: pte.pfn(),
                content: content_of(state, pte),
                on_device,
                cursor: cursor == Some(page),
                changed: page_changed(touched, page),
                differs: shared
                    .differs
                    .get(page - window_start_page)
                    .copied()
                    .unwrap_or(false),
            }
        })
        .collect();
    let pmd_chunks = pmd_chunks(state, window_start_page, end);
    // Device 0's pages in use, from the view's own index: scanning every frame was O(frames) per lane per
    // picture (a quarter of a second a frame at 262,144 pages).
    let (device, device_total) = state.device_pages(0);
    let device_frames = device
        .take(WINDOW_PAGES)
        .filter_map(|pfn| frame_row(state, pfn, touched))
        .collect();
    let event = lane.timeline.event_before(step);
    let thread = event.map_or(0, |e| e.thread);
    LanePicture {
        strategy: lane.strategy,
        subtitle: lane_subtitle(lane.strategy, shared.driver),
        step,
        len: lane.timeline.len(),
        npages,
        window_start: window_start_page,
        cells,
        pmd_chunks,
        minimap: (npages > WINDOW_PAGES && npages <= MINIMAP_MAX_PAGES)
            .then(|| minimap(state, npages)),
        cursor,
        device_total,
        device_frames,
        counters: state.counters,
        counters_differ: shared.counters_differ.clone(),
        func: event.map(|e| e.func),
        narration: event.map_or_else(|| STEP_ZERO.to_owned(), |e| narrate(&e)),
        held: held_summary(state, thread),
        milestone: state.last_milestone,
        milestones: lane.milestones.clone(),
        error: lane.error.clone(),
        stopped: lane.stopped.as_ref().map(|s| s.short()),
        violations: lane.violations.len(),
        faults_ahead: state.counters.faults_ahead,
        faults_ahead_total: lane.totals.faults_ahead,
    }
}

/// The three lanes' pictures at their aligned steps (`steps`, and `prevs` for the changed marks), sharing one
/// window of pages (around the reference lane's walk cursor) so that the rows stack page over page and
/// differences line up.
pub fn compare_pictures(
    comparison: &LoadedLanes,
    reference: usize,
    steps: &[usize],
    prevs: &[usize],
) -> Vec<Rc<LanePicture>> {
    let npages = comparison.npages();
    let start = {
        let ref_state = comparison.lanes[reference].timeline.state(steps[reference]);
        window_start(cursor_page(&ref_state, npages), npages, WINDOW_PAGES)
    };
    let mut window_kinds: Vec<Vec<PteKind>> = Vec::new();
    let mut counters: Vec<Counters> = Vec::new();
    for (i, lane) in comparison.lanes.iter().enumerate() {
        let s = lane.timeline.state(steps[i]);
        window_kinds.push(kinds(&s, start, WINDOW_PAGES, npages));
        counters.push(s.counters);
    }
    let shared = SharedWindow {
        npages,
        start,
        differs: pages_differ(&window_kinds),
        counters_differ: counters_differ(&counters),
        driver: comparison.driver,
    };
    comparison
        .lanes
        .iter()
        .enumerate()
        .map(|(i, lane)| {
            let s = lane.timeline.state(steps[i]);
            let touched = touched_between(lane.timeline.events(), prevs[i], steps[i]);
            Rc::new(lane_picture(lane, &s, steps[i], &touched, &shared))
        })
        .collect()
}

/// The chunks of pages `start..end` that a PMD leaf maps.
fn pmd_chunks(state: &ViewState, start: usize, end: usize) -> Vec<PmdChunk> {
    let mut chunks: Vec<PmdChunk> = Vec::new();
    let mut page = start;
    while page < end {
        let chunk_end = (page - page % hmm_sim::PTRS_PER_PTE as usize
            + hmm_sim::PTRS_PER_PTE as usize)
            .min(end);
        if let Some((base, leaf)) = pmd_leaf_at(state, page) {
            chunks.push(PmdChunk {
                base,
                first: page,
                last: chunk_end - 1,
                leaf,
            });
        }
        page = chunk_end;
    }
    chunks
}

/// Per window page: do the lanes disagree about its PTE kind?
fn pages_differ(window_kinds: &[Vec<PteKind>]) -> Vec<bool> {
    let width = window_kinds.first().map_or(0, Vec::len);
    (0..width)
        .map(|p| {
            !window_kinds
                .iter()
                .all(|k| k.get(p) == window_kinds[0].get(p))
        })
        .collect()
}

/// Names of the counters whose value differs between lanes.
fn counters_differ(counters: &[Counters]) -> Vec<&'static str> {
    counters
        .first()
        .map(|c| c.fields().map(|(n, _)| n).to_vec())
        .unwrap_or_default()
        .into_iter()
        .filter(|n| {
            let first = counters[0].get(n);
            counters.iter().any(|c| c.get(n) != first)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The unified lane's title names the entry point the run used; the legacy lanes keep their sequence.
    #[test]
    fn the_unified_subtitle_follows_the_entry_point() {
        let mut driver = hmm_sim::DriverOpts::default();
        assert!(lane_subtitle(Strategy::Unified, driver).contains("hmm_range_fault"));
        driver.unified_entry = hmm_sim::UnifiedEntry::MigrateVmaFault;
        assert!(lane_subtitle(Strategy::Unified, driver).contains("MIGRATE_VMA_FAULT"));
        assert_eq!(
            lane_subtitle(Strategy::LegacyA, driver),
            "hmm_range_fault, then migrate_vma_*"
        );
        let states = crate::scenario::parse_text("PPPPOOOO").expect("valid");
        let comparison = LoadedLanes::build_driven(states, driver);
        let pictures = compare_pictures(&comparison, 2, &[0, 0, 0], &[0, 0, 0]);
        assert!(pictures[2].subtitle.contains("migrate_vma_setup"));
    }

    /// A THP's pages are mapped by one PMD leaf with no PTE under it: the row reads each page through the
    /// leaf (not as pte_none), says which chunk the leaf maps, and the minimap counts its 512 pages.
    #[test]
    fn pages_under_a_pmd_leaf_read_through_it() {
        let states = crate::scenario::parse_text("H*512P").expect("valid");
        let comparison = LoadedLanes::build_driven(states, hmm_sim::DriverOpts::default());
        let npages = comparison.npages();
        assert_eq!(npages, 513);
        let at_start = compare_pictures(&comparison, 0, &[0, 0, 0], &[0, 0, 0]);
        let lane = &at_start[0];
        assert!(
            lane.cells.iter().all(|c| c.kind != PteKind::None),
            "{:?}",
            lane.cells[0]
        );
        assert_eq!(lane.pmd_chunks.len(), 1);
        let chunk = &lane.pmd_chunks[0];
        assert_eq!(
            (chunk.base, chunk.first, chunk.last),
            (0, lane.window_start, lane.window_start + WINDOW_PAGES - 1)
        );
        let mini = minimap(&comparison.lanes[0].timeline.state(0), npages);
        assert!(mini.iter().all(|m| m.kind != PteKind::None), "{mini:?}");
        // 6.15 splits the THP before migrating it: at the end no PMD leaf is left, and every page is on the device.
        let ends: Vec<usize> = comparison.lanes.iter().map(|l| l.timeline.len()).collect();
        let at_end = compare_pictures(&comparison, 0, &ends, &ends);
        assert!(at_end[0].pmd_chunks.is_empty());
        assert!(
            at_end[0].cells.iter().all(|c| c.on_device),
            "{:?}",
            at_end[0].cells[0]
        );
    }
}
