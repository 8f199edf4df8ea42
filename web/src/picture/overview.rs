//! The zoomable overview of a large range: per-chunk counts of each PTE kind, kept per lane and moved with
//! the step (so a frame of playback touches only the pages its events wrote), shown as [`OVERVIEW_CELLS`]
//! cells per lane from the whole range down to single PTEs.
//!
//! Why counts kept per lane rather than read from the view at each frame: at 262,144 pages, reading every
//! PTE of three lanes' `ViewState`s is hundreds of thousands of map lookups per frame, far over a frame's
//! budget; a play tick writes a few thousand at most.

use std::cell::RefCell;
use std::rc::Rc;

use hmm_sim::{Pte, PteKind, SharedChunk, Timeline, TouchedSet, ViewState, RANGE_BASE_VPN};

use super::pte_at;
use crate::comparison::LoadedLanes;
use crate::decode;

/// Pages per aggregated chunk: one PTE table (a PMD entry's 2 MiB), the unit the walks take a PTL for, and
/// the view's own chunk of PTEs (`hmm_sim::ChunkMap`, 512 keys), so a recount skips every chunk the view
/// has not written since the last count.
pub const CHUNK_PAGES: usize = 512;
const _: () = assert!(
    CHUNK_PAGES == hmm_sim::CHUNK_KEYS as usize
        && (RANGE_BASE_VPN as usize).is_multiple_of(CHUNK_PAGES)
);
/// Cells per lane in the overview, at every zoom level.
pub const OVERVIEW_CELLS: usize = 256;
/// Each zoom level shows this many times fewer pages per cell than the one above.
pub const ZOOM_FACTOR: usize = 8;
/// A move of at most this many events updates the counts from the pages the events wrote; a longer jump
/// recounts from the view (the chunks of PTEs the view wrote since the last count).
pub const INCREMENTAL_EVENTS: usize = 1 << 16;

const KINDS: usize = PteKind::ALL.len();

fn kind_index(kind: PteKind) -> u8 {
    PteKind::ALL.iter().position(|&k| k == kind).unwrap_or(0) as u8
}

/// One lane's PTE kinds at one step: per page, and counted per chunk.
#[derive(Clone, Debug)]
pub struct KindMap {
    step: usize,
    kinds: Vec<u8>,
    chunks: Vec<[u32; KINDS]>,
    /// Per chunk, the view's chunk of PTEs it was last counted from (`None`: counted as no entries, or
    /// moved since by single pages): a recount skips those still the same.
    counted: Vec<Option<SharedChunk<(u8, u32), Pte>>>,
    /// Per chunk, the PMD leaf mapping it when counted, if any.
    leaves: Vec<Option<Pte>>,
}

impl KindMap {
    /// Count every page of `state` (pages without an entry are `pte_none`).
    pub fn of(state: &ViewState, npages: usize) -> KindMap {
        let none = kind_index(PteKind::None);
        let nchunks = npages.div_ceil(CHUNK_PAGES);
        let mut map = KindMap {
            step: state.step,
            kinds: vec![none; npages],
            chunks: vec![[0; KINDS]; nchunks],
            counted: vec![None; nchunks],
            leaves: vec![None; nchunks],
        };
        for c in 0..nchunks {
            map.count_chunk(state, c);
        }
        map
    }

    /// Count chunk `c` again from `state`'s PTEs.
    fn count_chunk(&mut self, state: &ViewState, c: usize) {
        let first = c * CHUNK_PAGES;
        let end = (first + CHUNK_PAGES).min(self.kinds.len());
        let none = kind_index(PteKind::None);
        let chunk = state.ptes.chunk_at(&(0, decode::page_vpn(first)));
        self.kinds[first..end].fill(none);
        let mut counts = [0u32; KINDS];
        counts[none as usize] = (end - first) as u32;
        for &((_, vpn), pte) in chunk.as_ref().map_or(&[][..], |c| c.entries()) {
            let page = (vpn - RANGE_BASE_VPN) as usize;
            if page < end {
                let k = kind_index(pte.kind());
                self.kinds[page] = k;
                counts[none as usize] -= 1;
                counts[k as usize] += 1;
            }
        }
        // A PMD leaf (a THP) maps the chunk's 512 pages with no PTE table under it ("one PMD entry or 512
        // PTEs, never both").
        let leaf = state
            .pmd_leaf(0, decode::page_vpn(first))
            .map(|(_, leaf)| leaf);
        if let Some(leaf) = leaf {
            let k = kind_index(leaf.kind());
            self.kinds[first..end].fill(k);
            counts = [0; KINDS];
            counts[k as usize] = (end - first) as u32;
        }
        self.chunks[c] = counts;
        self.counted[c] = chunk;
        self.leaves[c] = leaf;
    }

    /// Count again, from `state`, only the chunks whose PTEs the view has written since they were counted.
    fn recount(&mut self, state: &ViewState) {
        for c in 0..self.chunks.len() {
            let now = state.ptes.chunk_at(&(0, decode::page_vpn(c * CHUNK_PAGES)));
            let leaf = state
                .pmds
                .get(&(0, decode::page_vpn(c * CHUNK_PAGES)))
                .copied();
            let same = match (&self.counted[c], &now) {
                (Some(then), Some(now)) => then.same(now),
                _ => false,
            } && leaf == self.leaves[c];
            if !same {
                self.count_chunk(state, c);
            }
        }
        self.step = state.step;
    }

    /// Move to `step` of `timeline`: from the pages the events in between wrote, or recounted for a long jump.
    pub fn moved(&mut self, timeline: &Timeline, step: usize) {
        let step = step.min(timeline.len());
        let npages = self.kinds.len();
        if step.abs_diff(self.step) > INCREMENTAL_EVENTS {
            self.recount(&timeline.state(step));
            return;
        }
        let (lo, hi) = (self.step.min(step), self.step.max(step));
        let state = timeline.state(step);
        // Playing forward, the cursor's replay just wrote these pages: no second decode of the events.
        let pages = timeline.pages_written(lo, hi).unwrap_or_else(|| {
            TouchedSet::of(timeline.events().range(lo, hi))
                .pages
                .into_iter()
                .collect()
        });
        for page in &pages {
            let Some(index) = page.vpn.checked_sub(RANGE_BASE_VPN) else {
                continue;
            };
            let index = index as usize;
            if page.mm != 0 || index >= npages {
                continue;
            }
            // A PMD write names its chunk's first page and changes what all 512 pages read; a PTE write at
            // that page re-reads them too (cheaply: a PMD-aligned page is one in 512).
            let pages = if index.is_multiple_of(hmm_sim::PTRS_PER_PTE as usize) {
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
                // No longer what that chunk of the view held when counted.
                self.counted[index / CHUNK_PAGES] = None;
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
            if page.is_multiple_of(CHUNK_PAGES) && page + CHUNK_PAGES <= end {
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

    /// A recount (a long jump) redoes only the chunks the view wrote, and gives what a count from scratch
    /// gives, after incremental moves too.
    #[test]
    fn recounts_equal_fresh_counts() {
        let states = crate::scenario::parse_text("P*1500S*600N*300").expect("valid");
        let npages = states.len();
        let comparison = LoadedLanes::build(states);
        for lane in &comparison.lanes {
            let t = &lane.timeline;
            let len = t.len();
            let mut map = KindMap::of(&t.state(0), npages);
            for (i, step) in [len / 2, len / 5, len, 3, len / 3, 0, len - 1]
                .into_iter()
                .enumerate()
            {
                if i % 2 == 1 {
                    map.moved(t, step);
                } else {
                    map.recount(&t.state(step));
                }
                let fresh = KindMap::of(&t.state(step), npages);
                assert_eq!(map.kinds, fresh.kinds, "{:?} step {step}", lane.strategy);
                assert_eq!(map.chunks, fresh.chunks, "{:?} step {step}", lane.strategy);
            }
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
