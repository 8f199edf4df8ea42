//! The zoomable overview of a large range: per-chunk counts of each PTE kind, kept per lane and moved with
//! the step (so a frame of playback touches only the pages its events wrote), shown as [`OVERVIEW_CELLS`]
//! cells per lane from the whole range down to single PTEs.
//!
//! Why counts kept per lane rather than read from the view at each frame: at 262,144 pages, reading every
//! PTE of three lanes' `ViewState`s is hundreds of thousands of map lookups per frame, far over a frame's
//! budget; a play tick writes a few thousand at most.

use std::cell::RefCell;
use std::rc::Rc;

use hmm_sim::{PteKind, Timeline, TouchedSet, ViewState, RANGE_BASE_VPN};

use super::pte_at;
use crate::comparison::LoadedLanes;
use crate::decode;

/// Pages per aggregated chunk: one PTE table (a PMD entry's 2 MiB), the unit the walks take a PTL for.
pub const CHUNK_PAGES: usize = 512;
/// Cells per lane in the overview, at every zoom level.
pub const OVERVIEW_CELLS: usize = 256;
/// Each zoom level shows this many times fewer pages per cell than the one above.
pub const ZOOM_FACTOR: usize = 8;
/// A move of at most this many events updates the counts from the pages the events wrote; a longer jump
/// recounts from the view (one pass over the range's PTEs).
pub const INCREMENTAL_EVENTS: usize = 1 << 16;

const KINDS: usize = PteKind::ALL.len();

fn kind_index(kind: PteKind) -> u8 {
    PteKind::ALL.iter().position(|&k| k == kind).unwrap_or(0) as u8
}

/// One lane's PTE kinds at one step: per page, and counted per chunk.
#[derive(Clone, Debug, PartialEq)]
pub struct KindMap {
    step: usize,
    kinds: Vec<u8>,
    chunks: Vec<[u32; KINDS]>,
}

impl KindMap {
    /// Count every page of `state` (pages without an entry are `pte_none`).
    pub fn of(state: &ViewState, npages: usize) -> KindMap {
        let none = kind_index(PteKind::None);
        let mut kinds = vec![none; npages];
        let first = (0u8, RANGE_BASE_VPN);
        let last = (0u8, decode::page_vpn(npages));
        for (&(_, vpn), pte) in state.ptes.range(first..last) {
            kinds[(vpn - RANGE_BASE_VPN) as usize] = kind_index(pte.kind());
        }
        // A PMD leaf (a THP) maps its 512 pages with no PTE table under it.
        for (&(_, base), leaf) in state.pmds.range(first..last) {
            let base = (base - RANGE_BASE_VPN) as usize;
            let end = (base + hmm_sim::PTRS_PER_PTE as usize).min(npages);
            kinds[base..end].fill(kind_index(leaf.kind()));
        }
        let mut chunks = vec![[0u32; KINDS]; npages.div_ceil(CHUNK_PAGES)];
        for (page, &k) in kinds.iter().enumerate() {
            chunks[page / CHUNK_PAGES][k as usize] += 1;
        }
        KindMap {
            step: state.step,
            kinds,
            chunks,
        }
    }

    /// Move to `step` of `timeline`: from the pages the events in between wrote, or recounted for a long jump.
    pub fn moved(&mut self, timeline: &Timeline, step: usize) {
        let step = step.min(timeline.len());
        let npages = self.kinds.len();
        if step.abs_diff(self.step) > INCREMENTAL_EVENTS {
            *self = KindMap::of(&timeline.state(step), npages);
            return;
        }
        let (lo, hi) = (self.step.min(step), self.step.max(step));
        let touched = TouchedSet::of(timeline.events().range(lo, hi));
        let state = timeline.state(step);
        for page in &touched.pages {
            let Some(index) = page.vpn.checked_sub(RANGE_BASE_VPN) else {
                continue;
            };
            let index = index as usize;
            if page.mm != 0 || index >= npages {
                continue;
            }
            // A PMD write names its chunk's first page and changes what all 512 pages read; a PTE write at
            // that page re-reads them too (cheaply: a PMD-aligned page is one in 512).
            let pages = if index % hmm_sim::PTRS_PER_PTE as usize == 0 {
                index..(index + hmm_sim::PTRS_PER_PTE as usize).min(npages)
            } else {
                index..index + 1
            };
            for index in pages {
                let new = kind_index(pte_at(&state, index).kind());
                let old = std::mem::replace(&mut self.kinds[index], new);
                let chunk = &mut self.chunks[index / CHUNK_PAGES];
                chunk[old as usize] -= 1;
                chunk[new as usize] += 1;
            }
        }
        self.step = step;
    }

    /// How many pages of `[first, end)` hold each kind (whole chunks from their counts).
    pub fn counts(&self, first: usize, end: usize) -> [u32; KINDS] {
        let end = end.min(self.kinds.len());
        let mut out = [0u32; KINDS];
        let mut page = first;
        while page < end {
            if page % CHUNK_PAGES == 0 && page + CHUNK_PAGES <= end {
                for (o, c) in out.iter_mut().zip(&self.chunks[page / CHUNK_PAGES]) {
                    *o += c;
                }
                page += CHUNK_PAGES;
            } else {
                out[self.kinds[page] as usize] += 1;
                page += 1;
            }
        }
        out
    }
}

/// A lane's kind map, kept between pictures (the derive layer's one cache, like `Timeline`'s cursor).
#[derive(Default)]
pub struct KindMapCache(RefCell<Option<KindMap>>);

impl KindMapCache {
    /// The counts of `[first, end)` at `step`, per cell of `span` pages.
    fn cells(
        &self,
        timeline: &Timeline,
        npages: usize,
        step: usize,
        first: usize,
        span: usize,
    ) -> Vec<Cell> {
        let mut slot = self.0.borrow_mut();
        let map = slot.get_or_insert_with(|| KindMap::of(&timeline.state(step), npages));
        map.moved(timeline, step);
        (0..OVERVIEW_CELLS)
            .map(|i| first + i * span)
            .take_while(|&start| start < npages)
            .map(|start| Cell::of(start, &map.counts(start, start + span)))
            .collect()
    }
}

/// One cell: the pages it covers and what they hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub first: usize,
    /// The kind most of its pages hold.
    pub kind: PteKind,
    /// Pages of that kind, and pages in all.
    pub of_kind: u32,
    pub pages: u32,
}

impl Cell {
    fn of(first: usize, counts: &[u32; KINDS]) -> Cell {
        let best = (0..KINDS).max_by_key(|&k| counts[k]).unwrap_or(0);
        Cell {
            first,
            kind: PteKind::ALL[best],
            of_kind: counts[best],
            pages: counts.iter().sum(),
        }
    }

    /// Does every page of the cell hold the same kind?
    pub fn uniform(&self) -> bool {
        self.of_kind == self.pages
    }
}

/// Where the overview looks: a zoom level and the page it is centred on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Zoom {
    pub level: usize,
    /// The page the zoomed window is centred on; `None` follows the followed lane's walk cursor.
    pub focus: Option<usize>,
}

/// Pages per cell at each level: the whole range at level 0, then [`ZOOM_FACTOR`] times finer, down to one.
pub fn spans(npages: usize) -> Vec<usize> {
    let mut out = vec![npages.div_ceil(OVERVIEW_CELLS).max(1)];
    while let Some(&last) = out.last() {
        if last == 1 {
            break;
        }
        out.push((last / ZOOM_FACTOR).max(1));
    }
    out
}

/// The three lanes' overview at their steps.
#[derive(Clone, Debug, PartialEq)]
pub struct OverviewPicture {
    pub npages: usize,
    pub level: usize,
    pub levels: usize,
    /// Pages per cell.
    pub span: usize,
    /// First page of the first cell.
    pub first: usize,
    /// Pages the overview covers.
    pub covered: usize,
    pub following: bool,
    /// The followed lane's walk cursor, if it is in the range.
    pub cursor: Option<usize>,
    /// Per lane (in the comparison's order): its name and cells.
    pub lanes: Vec<(hmm_sim::Strategy, Rc<Vec<Cell>>)>,
}

/// The overview of every lane in `comparison` at `steps`, centred as `zoom` says (`cursor`: the followed
/// lane's walk cursor).
pub fn overview_picture(
    comparison: &LoadedLanes,
    steps: &[usize],
    zoom: Zoom,
    cursor: Option<usize>,
) -> OverviewPicture {
    let npages = comparison.npages();
    let spans = spans(npages);
    let level = zoom.level.min(spans.len() - 1);
    let span = spans[level];
    let covered = (span * OVERVIEW_CELLS).min(npages);
    let centre = zoom
        .focus
        .or(cursor)
        .unwrap_or(0)
        .min(npages.saturating_sub(1));
    let first = if covered >= npages {
        0
    } else {
        (centre.saturating_sub(covered / 2) / span * span).min((npages - covered) / span * span)
    };
    let lanes = comparison
        .lanes
        .iter()
        .zip(steps)
        .map(|(lane, &step)| {
            let cells = lane
                .overview
                .cells(&lane.timeline, npages, step, first, span);
            (lane.strategy, Rc::new(cells))
        })
        .collect();
    OverviewPicture {
        npages,
        level,
        levels: spans.len(),
        span,
        first,
        covered,
        following: zoom.focus.is_none(),
        cursor,
        lanes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comparison::LoadedLanes;

    #[test]
    fn levels_go_from_the_whole_range_to_single_ptes() {
        assert_eq!(spans(262_144), vec![1024, 128, 16, 2, 1]);
        assert_eq!(spans(100), vec![1]);
        assert_eq!(spans(3000), vec![12, 1]);
    }

    /// The counts moved step by step (forwards, backwards, in jumps) equal the counts read from the view.
    #[test]
    fn moved_counts_equal_recounted_ones() {
        // The second scenario starts with a THP: its pages are read through one PMD leaf until it is split.
        for text in ["P*700S*300N*200C*30Z*30", "H*512P*100S*60"] {
            moved_counts_equal_recounted_ones_in(text);
        }
    }

    fn moved_counts_equal_recounted_ones_in(text: &str) {
        let states = crate::scenario::parse_text(text).expect("valid");
        let npages = states.len();
        let comparison = LoadedLanes::build(states);
        for lane in &comparison.lanes {
            let t = &lane.timeline;
            let mut map = KindMap::of(&t.state(0), npages);
            let len = t.len();
            let mut moves = vec![1, 2, 50, len / 3, len / 3 - 7, 3, len, len - 1, 0, len / 2];
            moves.extend((0..40).map(|i| i * len / 40));
            for step in moves {
                map.moved(t, step);
                let fresh = KindMap::of(&t.state(step), npages);
                assert_eq!(map.kinds, fresh.kinds, "{:?} step {step}", lane.strategy);
                assert_eq!(map.chunks, fresh.chunks, "{:?} step {step}", lane.strategy);
            }
            let all = map.counts(0, npages);
            assert_eq!(all.iter().sum::<u32>() as usize, npages);
            let split: u32 = map.counts(0, 333).iter().sum::<u32>()
                + map.counts(333, npages).iter().sum::<u32>();
            assert_eq!(split as usize, npages);
        }
    }

    #[test]
    fn the_overview_zooms_around_its_focus() {
        let states = crate::scenario::parse_text("P*3000S*1000").expect("valid");
        let comparison = LoadedLanes::build(states);
        let steps = vec![0; comparison.lanes.len()];
        let top = overview_picture(
            &comparison,
            &steps,
            Zoom {
                level: 0,
                focus: None,
            },
            None,
        );
        assert_eq!((top.span, top.first, top.covered), (16, 0, 4000));
        assert_eq!(top.lanes[0].1.len(), 250);
        let cell = &top.lanes[0].1[200];
        assert_eq!(
            (cell.first, cell.kind, cell.pages),
            (3200, PteKind::Swap, 16)
        );
        let near = overview_picture(
            &comparison,
            &steps,
            Zoom {
                level: 9,
                focus: Some(3000),
            },
            None,
        );
        assert_eq!((near.level, near.span, near.covered), (2, 1, 256));
        assert_eq!(near.first, 3000 - 128);
        let cells = &near.lanes[0].1;
        assert_eq!(cells.len(), 256);
        assert!(cells.iter().all(|c| c.pages == 1 && c.uniform()));
        assert_eq!(cells[127].kind, PteKind::PresentWrite);
        assert_eq!(cells[128].kind, PteKind::Swap);
    }
}
