//! What one picture shows: small, comparable render data derived from a lane's `ViewState` at one step.
//!
//! Components get these (`PartialEq` props), never the full `ViewState`: a lane of 20,000 pages holds tens of
//! thousands of entries, but a picture shows a window of them. Everything here is read off the state and the
//! trace; "changed" marks come from the fields of the events between the previous picture and this one.

use std::collections::BTreeSet;
use std::rc::Rc;

use hmm_sim::Strategy;
use hmm_sim::WaitOn;
use hmm_sim::{narrate, ViewState};
use hmm_sim::{Counters, Event, Func, Kind, Level, LockId, Milestone};
use hmm_sim::{Pte, PteKind};
use hmm_sim::{Zone, RANGE_BASE_VPN};

use crate::decode;
use crate::session::{held_by, Lane};

/// Pages shown at once in a lane's row; larger ranges get a minimap.
pub const WINDOW_PAGES: usize = 64;
/// Minimap buckets at most.
pub const MINIMAP_BUCKETS: usize = 128;
/// Moves of at most this many events mark everything they changed (a play tick, a few steps); a longer jump
/// marks what its last event changed, as a single step would.
pub const CHANGE_WINDOW: usize = 8;
/// Rows of a list panel (frames, arrays) before "… n more".
pub const LIST_LIMIT: usize = 32;

/// Things touched by the events between two pictures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Touched {
    pub pages: BTreeSet<u32>,
    pub frames: BTreeSet<u32>,
    pub locks: BTreeSet<LockId>,
    pub src: BTreeSet<(u8, u32)>,
    pub dst: BTreeSet<(u8, u32)>,
    pub hmm: BTreeSet<(u8, u32)>,
    pub seqs: BTreeSet<u32>,
    pub counters: bool,
}

impl Touched {
    /// What moving from step `from` to step `to` changed: the events in between (either direction), or for a
    /// long jump the last event before `to`.
    pub fn between(events: &[Event], from: usize, to: usize) -> Touched {
        let (lo, hi) = (from.min(to), from.max(to).min(events.len()));
        if hi.saturating_sub(lo) > CHANGE_WINDOW {
            return match to.checked_sub(1) {
                Some(last) => Touched::between(events, last, to),
                None => Touched::default(),
            };
        }
        let mut t = Touched::default();
        if lo >= hi {
            return t;
        }
        for e in &events[lo..hi] {
            match e.kind {
                Kind::PteWrite => {
                    let (mm, vpn) = hmm_sim::unpack_page(e.a);
                    if mm == 0 {
                        t.pages.insert(vpn);
                    }
                }
                Kind::Ref | Kind::Map | Kind::Flag | Kind::Alloc | Kind::Free | Kind::Content => {
                    t.frames.insert(e.a);
                }
                Kind::Copy => {
                    t.frames.insert(e.b);
                }
                Kind::LockAcquire | Kind::LockRelease => {
                    let lock = LockId::unpack(e.a);
                    if let LockId::Folio(pfn) = lock {
                        t.frames.insert(pfn);
                    }
                    t.locks.insert(lock);
                }
                Kind::Src => {
                    t.src.insert(((e.a >> 24) as u8, e.a & 0xff_ffff));
                }
                Kind::Dst => {
                    t.dst.insert(((e.a >> 24) as u8, e.a & 0xff_ffff));
                }
                Kind::HmmPfn => {
                    t.hmm.insert(((e.a >> 24) as u8, e.a & 0xff_ffff));
                }
                Kind::Seq => {
                    t.seqs.insert(e.a);
                }
                _ => {}
            }
        }
        t.counters = true;
        t
    }
}

/// One PTE in a lane's row.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
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

/// One bucket of the minimap: the most common PTE kind among its pages.
#[derive(Clone, Debug, PartialEq)]
pub struct MiniCell {
    pub kind: PteKind,
    pub first: usize,
    pub last: usize,
}

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

/// What a compare lane shows at one step.
#[derive(Clone, Debug, PartialEq)]
pub struct LaneFrame {
    pub strategy: Strategy,
    pub step: usize,
    pub len: usize,
    pub npages: usize,
    pub window_start: usize,
    pub cells: Vec<Cell>,
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
    pub violations: usize,
    /// Faults made ahead of need so far, and in the whole run (the note is shown for the whole run so the
    /// layout does not move when the first one happens).
    pub faults_ahead: u64,
    pub faults_ahead_total: u64,
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

pub fn frame_row(state: &ViewState, pfn: u32, touched: &Touched) -> Option<FrameRow> {
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

pub fn pte_at(state: &ViewState, page: usize) -> Pte {
    state
        .ptes
        .get(&(0, decode::page_vpn(page)))
        .copied()
        .unwrap_or(Pte::None)
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

/// Build a compare lane's picture. `differs` says, per window page, whether the lanes disagree there.
#[allow(clippy::too_many_arguments)]
pub fn lane_frame(
    lane: &Lane,
    state: &ViewState,
    step: usize,
    npages: usize,
    window_start_page: usize,
    touched: &Touched,
    differs: &[bool],
    counters_differ: Vec<&'static str>,
    milestones: Rc<Vec<(usize, Milestone)>>,
) -> LaneFrame {
    let cursor = cursor_page(state, npages);
    let end = (window_start_page + WINDOW_PAGES).min(npages);
    let cells = (window_start_page..end)
        .map(|page| {
            let pte = pte_at(state, page);
            let on_device = pte
                .pfn()
                .and_then(|p| state.frames.get(&p))
                .is_some_and(|f| matches!(f.zone, Zone::DevicePrivate(_)));
            Cell {
                page,
                kind: pte.kind(),
                pfn: pte.pfn(),
                content: content_of(state, pte),
                on_device,
                cursor: cursor == Some(page),
                changed: touched.pages.contains(&decode::page_vpn(page)),
                differs: differs
                    .get(page - window_start_page)
                    .copied()
                    .unwrap_or(false),
            }
        })
        .collect();
    let device: Vec<&u32> = state
        .frames
        .iter()
        .filter(|(_, f)| matches!(f.zone, Zone::DevicePrivate(0)) && f.refcount > 0)
        .map(|(pfn, _)| pfn)
        .collect();
    let device_frames = device
        .iter()
        .take(WINDOW_PAGES)
        .filter_map(|&&pfn| frame_row(state, pfn, touched))
        .collect();
    let event = lane.track.event_before(step);
    let thread = event.map_or(0, |e| e.thread);
    LaneFrame {
        strategy: lane.strategy,
        step,
        len: lane.track.len(),
        npages,
        window_start: window_start_page,
        cells,
        minimap: (npages > WINDOW_PAGES).then(|| minimap(state, npages)),
        cursor,
        device_total: device.len(),
        device_frames,
        counters: state.counters,
        counters_differ,
        func: event.map(|e| e.func),
        narration: event.map_or_else(
            || "Step 0: the scenario's pages, before the driver starts.".to_owned(),
            narrate,
        ),
        held: decode::summarize_locks(&held_by(state, thread)),
        milestone: state.last_milestone,
        milestones,
        error: lane.error.clone(),
        violations: lane.violations.len(),
        faults_ahead: state.counters.faults_ahead,
        faults_ahead_total: lane.totals.faults_ahead,
    }
}

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
pub struct DeepFrame {
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
    pub seqs: Vec<(u32, u32, bool)>,
    pub notifiers: Vec<String>,
    pub threads: Vec<ThreadRow>,
    pub counters: Counters,
    pub milestone: Option<Milestone>,
}

/// Folio locks listed by name in the deep view (the rest are counted).
pub const FOLIO_LOCKS_LISTED: usize = 8;

/// Rows of the deep view's PTE table around the cursor.
pub const DEEP_WINDOW: usize = 32;

pub fn deep_frame(
    lane: &Lane,
    state: &ViewState,
    step: usize,
    npages: usize,
    touched: &Touched,
) -> DeepFrame {
    let event = lane.track.event_before(step).copied();
    let thread = event.map_or(0, |e| e.thread);
    let cursor = cursor_page(state, npages);
    let start = window_start(cursor, npages, DEEP_WINDOW);
    let end = (start + DEEP_WINDOW).min(npages);
    let ptes = (start..end)
        .map(|page| {
            let pte = pte_at(state, page);
            PteRow {
                page,
                vpn: decode::page_vpn(page),
                pte,
                content: content_of(state, pte),
                folio: pte.pfn().and_then(|pfn| frame_row(state, pfn, touched)),
                cursor: cursor == Some(page),
                changed: touched.pages.contains(&decode::page_vpn(page)),
            }
        })
        .collect();
    // PTE tables covering the range.
    let first_pmd = decode::page_vpn(0) / 512;
    let last_pmd = decode::page_vpn(npages.saturating_sub(1)) / 512;
    let pmds = (first_pmd..=last_pmd)
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
        .collect();
    // Frames to list: those the window's PTEs map, those just changed, then locked ones, up to the limit.
    // Never a pass that builds a row per frame: a 20,000-page lane has ~40,000 frames.
    let (mut system_total, mut device_total) = (0, 0);
    for f in state.frames.values() {
        match f.zone {
            Zone::DevicePrivate(_) => device_total += 1,
            Zone::System => system_total += 1,
            Zone::Zero => {}
        }
    }
    let mut wanted: BTreeSet<u32> = BTreeSet::new();
    for page in start..end {
        if let Some(pfn) = pte_at(state, page).pfn() {
            wanted.insert(pfn);
        }
    }
    wanted.extend(touched.frames.iter().copied());
    for (&pfn, f) in &state.frames {
        if wanted.len() >= 2 * LIST_LIMIT {
            break;
        }
        if f.locked_by.is_some() {
            wanted.insert(pfn);
        }
    }
    let rows: Vec<FrameRow> = wanted
        .into_iter()
        .filter_map(|pfn| frame_row(state, pfn, touched))
        .collect();
    let (system_rows, device_rows): (Vec<FrameRow>, Vec<FrameRow>) = rows
        .into_iter()
        .filter(|r| r.zone != Zone::Zero)
        .partition(|r| r.zone == Zone::System);
    let pick = |mut rows: Vec<FrameRow>| {
        rows.truncate(LIST_LIMIT);
        rows
    };
    let arrays = migrate_arrays(state, touched, cursor);
    let hmm_arrays = hmm_arrays(state, touched, cursor);
    // Folio locks can number thousands (one per collected page): keep the first few and the changed ones.
    let folio_locks = state
        .locks
        .keys()
        .filter(|l| matches!(l, LockId::Folio(_)))
        .count();
    let mut folios_kept = 0;
    let locks = state
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
            holders: holders.clone(),
            changed: touched.locks.contains(&lock),
        })
        .collect();
    let seqs = state
        .seqs
        .iter()
        .map(|(&id, &v)| (id, v, touched.seqs.contains(&id)))
        .collect();
    let notifiers = state
        .notifiers
        .iter()
        .map(|&(a, b, c)| decode::invalidation(a, b, c))
        .collect();
    let mut tids: BTreeSet<u8> = state.stacks.keys().copied().collect();
    tids.extend(state.blocked.keys().copied());
    tids.insert(thread);
    let threads = tids
        .into_iter()
        .map(|tid| ThreadRow {
            tid,
            name: lane.thread_name(tid),
            stack: state.stacks.get(&tid).cloned().unwrap_or_default(),
            waiting: state
                .blocked
                .get(&tid)
                .map(|&w| WaitOn::unpack(w).describe()),
        })
        .collect();
    DeepFrame {
        strategy: lane.strategy,
        step,
        len: lane.track.len(),
        npages,
        event,
        narration: event.map_or_else(
            || "Step 0: the scenario's pages, before the driver starts.".to_owned(),
            |e| narrate(&e),
        ),
        walker_level: state.walker.get(&thread).copied(),
        cursor,
        pmds,
        ptes,
        window_start: start,
        system_total,
        system_frames: pick(system_rows),
        device_total,
        device_frames: pick(device_rows),
        arrays,
        hmm_arrays,
        locks,
        folio_locks,
        seqs,
        notifiers,
        threads,
        counters: state.counters,
        milestone: state.last_milestone,
    }
}

/// Array indices to show: around the cursor page (arrays index the range from its start).
fn array_window(cursor: Option<usize>, len: usize) -> (u32, u32) {
    let start = window_start(cursor, len, DEEP_WINDOW);
    (start as u32, (start + DEEP_WINDOW).min(len) as u32)
}

fn migrate_arrays(
    state: &ViewState,
    touched: &Touched,
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
                    src_changed: touched.src.contains(&(id, i)),
                    dst_changed: touched.dst.contains(&(id, i)),
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

fn hmm_arrays(state: &ViewState, touched: &Touched, cursor: Option<usize>) -> Vec<HmmArray> {
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
                    state
                        .hmm_pfns
                        .get(&(id, i))
                        .map(|&v| (i, v, touched.hmm.contains(&(id, i))))
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
