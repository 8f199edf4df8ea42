//! What the deep view of one lane shows at one step: the page-table tree and decoded PTEs around the walk
//! cursor, system and device frames, `src[]`/`dst[]` and `hmm_pfns[]`, locks, notifier sequences, threads.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use hmm_sim::Pte;
use hmm_sim::Strategy;
use hmm_sim::WaitOn;
use hmm_sim::{narrate, TouchedSet, ViewState};
use hmm_sim::{Counters, Event, Func, Level, LockId, Milestone, SeqId, Slot};
use hmm_sim::{Zone, RANGE_BASE_VPN};

use super::{
    content_of, cursor_page, frame_row, page_changed, pte_at, touched_between, window_start,
    FrameRow, LIST_LIMIT, STEP_ZERO,
};
use crate::comparison::LaneTrace;
use crate::decode;

/// One decoded PTE of the deep view's table.
#[derive(Clone, Debug, PartialEq)]
pub struct PteRow {
    pub page: usize,
    pub vpn: u32,
    pub pte: Pte,
    pub content: Option<u32>,
    pub folio: Option<FrameRow>,
    pub cursor: bool,
    pub changed: bool,
}

/// One PMD entry (one PTE table) covering part of the range.
#[derive(Clone, Debug, PartialEq)]
pub struct PmdNode {
    pub pmd: u32,
    pub first_page: usize,
    pub pages: usize,
    pub ptl_holder: Option<u8>,
    pub cursor: bool,
}

/// One index of a `struct migrate_vma`'s arrays.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrayRow {
    pub index: u32,
    pub src: Option<u32>,
    pub dst: Option<u32>,
    pub src_changed: bool,
    pub dst_changed: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MigrateArrays {
    pub id: u8,
    pub rows: Vec<ArrayRow>,
    pub more: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HmmArray {
    pub id: u8,
    pub rows: Vec<(u32, u64, bool)>,
    pub more: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LockRow {
    pub lock: LockId,
    pub holders: Vec<u8>,
    pub changed: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ThreadRow {
    pub tid: u8,
    pub name: String,
    pub stack: Vec<Func>,
    pub waiting: Option<String>,
}

/// What the deep view shows at one step.
#[derive(Clone, Debug, PartialEq)]
pub struct DeepPicture {
    pub strategy: Strategy,
    pub step: usize,
    pub len: usize,
    pub npages: usize,
    pub event: Option<Event>,
    pub narration: String,
    pub walker_level: Option<Level>,
    pub cursor: Option<usize>,
    pub pmds: Vec<PmdNode>,
    pub ptes: Vec<PteRow>,
    pub window_start: usize,
    pub system_frames: Vec<FrameRow>,
    pub system_total: usize,
    pub device_frames: Vec<FrameRow>,
    pub device_total: usize,
    pub arrays: Vec<MigrateArrays>,
    pub hmm_arrays: Vec<HmmArray>,
    pub locks: Vec<LockRow>,
    /// Folio locks held in all (only some are in `locks`).
    pub folio_locks: usize,
    pub seqs: Vec<(SeqId, u32, bool)>,
    pub notifiers: Vec<String>,
    pub threads: Vec<ThreadRow>,
    pub counters: Counters,
    pub milestone: Option<Milestone>,
}

/// Folio locks listed by name in the deep view (the rest are counted).
pub const FOLIO_LOCKS_LISTED: usize = 8;

/// Rows of the deep view's PTE table around the cursor.
pub const DEEP_WINDOW: usize = 32;

/// The deep view's picture of `lane` at `step`, marking what changed since `prev`.
pub fn deep_picture(lane: &LaneTrace, step: usize, prev: usize, npages: usize) -> DeepPicture {
    let state = lane.timeline.state(step);
    let touched = touched_between(lane.timeline.events(), prev, step);
    picture_at(lane, &state, step, npages, &touched)
}

fn picture_at(
    lane: &LaneTrace,
    state: &ViewState,
    step: usize,
    npages: usize,
    touched: &TouchedSet,
) -> DeepPicture {
    let event = lane.timeline.event_before(step);
    let thread = event.map_or(0, |e| e.thread);
    let cursor = cursor_page(state, npages);
    let start = window_start(cursor, npages, DEEP_WINDOW);
    let end = (start + DEEP_WINDOW).min(npages);
    let frames = listed_frames(state, start..end, touched);
    let (locks, folio_locks) = lock_rows(state, touched);
    DeepPicture {
        strategy: lane.strategy,
        step,
        len: lane.timeline.len(),
        npages,
        event,
        narration: event.map_or_else(|| STEP_ZERO.to_owned(), |e| narrate(&e)),
        walker_level: state.walker.get(&thread).copied(),
        cursor,
        pmds: pmd_nodes(state, npages, cursor),
        ptes: pte_rows(state, start..end, cursor, touched),
        window_start: start,
        system_total: frames.system_total,
        system_frames: frames.system,
        device_total: frames.device_total,
        device_frames: frames.device,
        arrays: migrate_arrays(state, touched, cursor),
        hmm_arrays: hmm_arrays(state, touched, cursor),
        locks,
        folio_locks,
        seqs: state
            .seqs
            .iter()
            .map(|(&packed, &v)| {
                let id = SeqId::unpack(packed);
                (id, v, touched.seqs.contains(&id))
            })
            .collect(),
        notifiers: state
            .open_invalidations()
            .map(decode::invalidation)
            .collect(),
        threads: thread_rows(lane, state, thread),
        counters: state.counters,
        milestone: state.last_milestone,
    }
}

/// The decoded PTEs of the window's pages.
fn pte_rows(
    state: &ViewState,
    pages: Range<usize>,
    cursor: Option<usize>,
    touched: &TouchedSet,
) -> Vec<PteRow> {
    pages
        .map(|page| {
            let pte = pte_at(state, page);
            PteRow {
                page,
                vpn: decode::page_vpn(page),
                pte,
                content: content_of(state, pte),
                folio: pte.pfn().and_then(|pfn| frame_row(state, pfn, touched)),
                cursor: cursor == Some(page),
                changed: page_changed(touched, page),
            }
        })
        .collect()
}

/// The PTE tables covering the range.
fn pmd_nodes(state: &ViewState, npages: usize, cursor: Option<usize>) -> Vec<PmdNode> {
    let first_pmd = decode::page_vpn(0) / 512;
    let last_pmd = decode::page_vpn(npages.saturating_sub(1)) / 512;
    (first_pmd..=last_pmd)
        .take(LIST_LIMIT)
        .map(|pmd| {
            let first = (pmd * 512).saturating_sub(RANGE_BASE_VPN) as usize;
            let last = ((pmd + 1) * 512 - RANGE_BASE_VPN) as usize;
            let ptl_holder = state
                .locks
                .get(&LockId::Ptl { mm: 0, pmd })
                .and_then(|h| h.first().copied());
            PmdNode {
                pmd,
                first_page: first,
                pages: last.min(npages) - first,
                ptl_holder,
                cursor: cursor.is_some_and(|c| (first..last).contains(&c)),
            }
        })
        .collect()
}

/// Frames the deep view lists, per zone, and how many there are in all.
struct ListedFrames {
    system: Vec<FrameRow>,
    system_total: usize,
    device: Vec<FrameRow>,
    device_total: usize,
}

/// Frames to list: those the window's PTEs map, those just changed, then locked ones, up to the limit.
/// Never a pass that builds a row per frame: a 20,000-page lane has ~40,000 frames.
fn listed_frames(state: &ViewState, window: Range<usize>, touched: &TouchedSet) -> ListedFrames {
    let (mut system_total, mut device_total) = (0, 0);
    for f in state.frames.values() {
        match f.zone {
            Zone::DevicePrivate(_) | Zone::DeviceCoherent(_) => device_total += 1,
            Zone::System => system_total += 1,
            Zone::Zero => {}
        }
    }
    let mut wanted: BTreeSet<u32> = window
        .filter_map(|page| pte_at(state, page).pfn())
        .collect();
    wanted.extend(touched.frames.iter().copied());
    for (&pfn, f) in &state.frames {
        if wanted.len() >= 2 * LIST_LIMIT {
            break;
        }
        if f.locked_by.is_some() {
            wanted.insert(pfn);
        }
    }
    let (mut system, mut device): (Vec<FrameRow>, Vec<FrameRow>) = wanted
        .into_iter()
        .filter_map(|pfn| frame_row(state, pfn, touched))
        .filter(|r| r.zone != Zone::Zero)
        .partition(|r| r.zone == Zone::System);
    system.truncate(LIST_LIMIT);
    device.truncate(LIST_LIMIT);
    ListedFrames {
        system,
        system_total,
        device,
        device_total,
    }
}

/// Held locks, and how many folio locks are held in all. Folio locks can number thousands (one per collected
/// page): only the first few and the changed ones get a row.
fn lock_rows(state: &ViewState, touched: &TouchedSet) -> (Vec<LockRow>, usize) {
    let folio_locks = state
        .locks
        .keys()
        .filter(|l| matches!(l, LockId::Folio(_)))
        .count();
    let mut folios_kept = 0;
    let rows = state
        .locks
        .iter()
        .filter(|(lock, _)| {
            if !matches!(lock, LockId::Folio(_)) || touched.locks.contains(lock) {
                return true;
            }
            folios_kept += 1;
            folios_kept <= FOLIO_LOCKS_LISTED
        })
        .map(|(&lock, holders)| LockRow {
            lock,
            holders: holders.to_vec(),
            changed: touched.locks.contains(&lock),
        })
        .collect();
    (rows, folio_locks)
}

/// Every thread with a stack or a wait, and the one that made the last event.
fn thread_rows(lane: &LaneTrace, state: &ViewState, thread: u8) -> Vec<ThreadRow> {
    let waiting: BTreeMap<u8, WaitOn> = state.waiting().collect();
    let mut tids: BTreeSet<u8> = state.stacks.keys().copied().collect();
    tids.extend(waiting.keys().copied());
    tids.insert(thread);
    tids.into_iter()
        .map(|tid| ThreadRow {
            tid,
            name: lane.thread_name(tid),
            stack: state.stacks.get(&tid).cloned().unwrap_or_default(),
            waiting: waiting.get(&tid).map(|w| w.describe()),
        })
        .collect()
}

/// Array indices to show: around the cursor page (arrays index the range from its start).
fn array_window(cursor: Option<usize>, len: usize) -> (u32, u32) {
    let start = window_start(cursor, len, DEEP_WINDOW);
    (start as u32, (start + DEEP_WINDOW).min(len) as u32)
}

fn migrate_arrays(
    state: &ViewState,
    touched: &TouchedSet,
    cursor: Option<usize>,
) -> Vec<MigrateArrays> {
    let ids: BTreeSet<u8> = state
        .src
        .keys()
        .chain(state.dst.keys())
        .map(|&(id, _)| id)
        .collect();
    ids.into_iter()
        .map(|id| {
            let len = state
                .src
                .range((id, 0)..=(id, u32::MAX))
                .chain(state.dst.range((id, 0)..=(id, u32::MAX)))
                .map(|(&(_, i), _)| i as usize + 1)
                .max()
                .unwrap_or(0);
            let (lo, hi) = array_window(cursor, len);
            let rows = (lo..hi)
                .map(|i| ArrayRow {
                    index: i,
                    src: state.src.get(&(id, i)).copied(),
                    dst: state.dst.get(&(id, i)).copied(),
                    src_changed: touched.src.contains(&Slot {
                        array: id,
                        index: i,
                    }),
                    dst_changed: touched.dst.contains(&Slot {
                        array: id,
                        index: i,
                    }),
                })
                .collect();
            MigrateArrays {
                id,
                rows,
                more: len - (hi - lo) as usize,
            }
        })
        .collect()
}

fn hmm_arrays(state: &ViewState, touched: &TouchedSet, cursor: Option<usize>) -> Vec<HmmArray> {
    let ids: BTreeSet<u8> = state.hmm_pfns.keys().map(|&(id, _)| id).collect();
    ids.into_iter()
        .map(|id| {
            let len = state
                .hmm_pfns
                .range((id, 0)..=(id, u32::MAX))
                .map(|(&(_, i), _)| i as usize + 1)
                .max()
                .unwrap_or(0);
            let (lo, hi) = array_window(cursor, len);
            let rows = (lo..hi)
                .filter_map(|i| {
                    state.hmm_pfns.get(&(id, i)).map(|&v| {
                        (
                            i,
                            v,
                            touched.hmm_pfns.contains(&Slot {
                                array: id,
                                index: i,
                            }),
                        )
                    })
                })
                .collect();
            HmmArray {
                id,
                rows,
                more: len - (hi - lo) as usize,
            }
        })
        .collect()
}
