//! Derive apart from draw: pure functions from a lane's `hmm_sim::ViewState` and trace at one step to
//! small, comparable render data (`Clone + PartialEq` structs). Components get these as props, never the state
//! or the comparison: a lane of 20,000 pages holds tens of thousands of entries, a picture shows a window.
//!
//! - [`lane`]: one compare-view lane, and the three lanes side by side ([`lane::compare_pictures`]).
//! - [`deep`]: the deep view of one lane (page-table tree, frames, arrays, locks, threads).
//! - [`swimlanes`]: the deep view's timeline: the window of call and lock spans around the current step.
//! - [`narration`]: the line under the transport.
//! - [`overview`]: a large range at a glance, zoomable to single PTEs: per-chunk PTE-kind counts kept per lane.
//! - [`page_history`]: one page followed through a lane's run (every write of its entry).
//! - [`spans`]: a trace's spans (hmm-sim's `call_spans` / `lock_holds`), indexed for window queries.
//!
//! No picture decodes a trace event: "changed" marks come from hmm-sim's `TouchedSet` of the events between the
//! previous picture and this one ([`touched_between`]), spans from hmm-sim's span functions, lines from `narrate`.

pub mod deep;
pub mod lane;
pub mod narration;
pub mod overview;
pub mod page_history;
pub mod spans;
pub mod swimlanes;

use hmm_sim::Pte;
use hmm_sim::{LockId, PackedTrace, Page, TouchedSet, ViewState};
use hmm_sim::{Zone, RANGE_BASE_VPN};

use crate::decode;

/// Pages shown at once in a lane's row; larger ranges get a minimap.
pub const WINDOW_PAGES: usize = 64;
/// Ranges of more pages than this show the overview (`overview`) instead of a minimap per lane: a minimap reads
/// every PTE of its lane at each frame.
pub const MINIMAP_MAX_PAGES: usize = 4096;
/// Minimap buckets at most.
pub const MINIMAP_BUCKETS: usize = 128;
/// Moves of at most this many events mark everything they changed (a play tick, a few steps); a longer jump
/// marks what its last event changed, as a single step would.
pub const CHANGE_WINDOW: usize = 8;
/// Rows of a list panel (frames, arrays) before "… n more".
pub const LIST_LIMIT: usize = 32;

/// A frame (folio) as a small chip or a table row.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameRow {
    pub pfn: u32,
    pub zone: Zone,
    pub refcount: i32,
    pub mapcount: i32,
    pub locked_by: Option<u8>,
    pub anon_exclusive: bool,
    pub lru: bool,
    pub content: u32,
    pub changed: bool,
}

/// The page index of the first walker cursor in mm 0 inside the range, if any.
pub fn cursor_page(state: &ViewState, npages: usize) -> Option<usize> {
    state
        .cursor
        .values()
        .filter(|(mm, _)| *mm == 0)
        .filter_map(|&(_, vpn)| vpn.checked_sub(RANGE_BASE_VPN))
        .map(|i| i as usize)
        .find(|&i| i < npages)
}

/// The first page of a `width`-page window that keeps `cursor` in view, moving in half-window jumps so the
/// picture does not crawl one page per step.
pub fn window_start(cursor: Option<usize>, npages: usize, width: usize) -> usize {
    if npages <= width {
        return 0;
    }
    let half = (width / 2).max(1);
    let at = cursor.unwrap_or(0);
    let start = (at / half).saturating_sub(1) * half;
    start.min(npages - width)
}

/// The content a PTE's page holds, wherever the data is.
pub fn content_of(state: &ViewState, pte: Pte) -> Option<u32> {
    match pte {
        Pte::Swap { slot } => state.swap.get(&slot).copied(),
        Pte::Zero => Some(0),
        other => other
            .pfn()
            .and_then(|pfn| state.frames.get(&pfn))
            .map(|f| f.content),
    }
}

pub fn frame_row(state: &ViewState, pfn: u32, touched: &TouchedSet) -> Option<FrameRow> {
    state.frames.get(&pfn).map(|f| FrameRow {
        pfn,
        zone: f.zone,
        refcount: f.refcount,
        mapcount: f.mapcount,
        locked_by: f.locked_by,
        anon_exclusive: f.anon_exclusive,
        lru: f.lru,
        content: f.content,
        changed: touched.frames.contains(&pfn),
    })
}

/// What maps page `page` of the range: its PTE, or the PMD leaf over it (a THP, the huge zero page, a PMD
/// migration or device-private entry) narrowed to that page.
pub fn pte_at(state: &ViewState, page: usize) -> Pte {
    state.entry(0, decode::page_vpn(page))
}

/// The PMD leaf mapping page `page`'s 2 MiB chunk, if one does: (its first page, the leaf).
pub fn pmd_leaf_at(state: &ViewState, page: usize) -> Option<(usize, Pte)> {
    let (base, leaf) = state.pmd_leaf(0, decode::page_vpn(page))?;
    // The range starts PMD-aligned (RANGE_BASE_VPN), so a chunk's base is a page of the range.
    Some(((base - hmm_sim::RANGE_BASE_VPN) as usize, leaf))
}

/// What moving from step `from` to step `to` changed (`hmm_sim::TouchedSet`): the events in between (either
/// direction), or for a jump longer than [`CHANGE_WINDOW`] what the last event before `to` changed, as a single
/// step would.
pub fn touched_between(events: &PackedTrace, from: usize, to: usize) -> TouchedSet {
    let (lo, hi) = (from.min(to), from.max(to).min(events.len()));
    if hi.saturating_sub(lo) > CHANGE_WINDOW {
        let hi = to.min(events.len());
        return TouchedSet::of(events.range(to.saturating_sub(1).min(hi), hi));
    }
    TouchedSet::of(events.range(lo, hi.max(lo)))
}

/// Did the move write the PTE of page `index` of the scenario's range (in the main mm)?
pub fn page_changed(touched: &TouchedSet, index: usize) -> bool {
    touched.pages.contains(&Page {
        mm: 0,
        vpn: decode::page_vpn(index),
    })
}

/// The line shown before the first event.
pub const STEP_ZERO: &str = "Step 0: the scenario's pages, before the driver starts.";

/// The locks a thread holds, in lock order, for the narration ("which lock was held"). Read from the view's
/// per-thread folio-lock index (`ViewState::held_by`), not a scan of the lock table, which at 262,144 pages
/// holds thousands of folio locks at a time and was read at every frame.
pub fn held_by(state: &ViewState, thread: u8) -> Vec<LockId> {
    let (others, folios, _) = state.held_by(thread);
    let (before, after): (Vec<LockId>, Vec<LockId>) =
        others.into_iter().partition(|&l| l < LockId::Folio(0));
    before
        .into_iter()
        .chain(folios.map(LockId::Folio))
        .chain(after)
        .collect()
}

/// The locks thread `thread` holds, as the narration and the lanes list them (`decode::summarize_held`):
/// reads a few of its folio locks however many it holds.
pub fn held_summary(state: &ViewState, thread: u8) -> Vec<String> {
    let (others, folios, count) = state.held_by(thread);
    crate::decode::summarize_held(&others, folios, count, state.last_folio_locked_by(thread))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index-read locks are the lock table's, in its order, for every thread at every step.
    #[test]
    fn held_by_reads_what_the_lock_table_holds() {
        let states = crate::scenario::parse_text("P*600S*424H*512").expect("valid");
        let comparison = crate::comparison::LoadedLanes::build(states);
        let mut seen_folios = false;
        for lane in &comparison.lanes {
            let t = &lane.timeline;
            for step in (0..=t.len()).step_by(97) {
                let state = t.state(step);
                for thread in 0..4u8 {
                    let scan: Vec<LockId> = state
                        .locks
                        .iter()
                        .filter(|(_, holders)| holders.contains(&thread))
                        .map(|(lock, _)| *lock)
                        .collect();
                    seen_folios |= scan.iter().any(|l| matches!(l, LockId::Folio(_)))
                        && scan.iter().any(|l| !matches!(l, LockId::Folio(_)));
                    assert_eq!(
                        held_by(&state, thread),
                        scan,
                        "{:?} step {step} T{thread}",
                        lane.strategy
                    );
                }
            }
        }
        assert!(seen_folios, "some step holds folio locks beside others");
    }
}
