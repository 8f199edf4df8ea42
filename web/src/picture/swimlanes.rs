//! The deep view's swimlane timeline: the window of steps around the current one, and per thread the call
//! spans (by depth) and lock-hold spans inside it. Geometry (pixels, clipping labels) is the component's job.

use hmm_sim::{Func, LockId, Milestone, Span, Tid};

use crate::comparison::LaneTrace;

/// Steps either side of the current one, per zoom level.
pub const ZOOMS: [usize; 4] = [40, 150, 600, 2500];
/// Call depths drawn at most.
pub const MAX_DEPTH_SHOWN: usize = 7;
/// Rows for locks other than folio locks, per thread.
pub const MAX_LOCK_ROWS: usize = 8;

/// One thread's swimlane inside the window.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadSwimlane {
    pub tid: Tid,
    pub name: String,
    /// Calls at a depth below [`SwimlanesPicture::depth`].
    pub calls: Vec<Span<Func>>,
    /// Folio locks (a collect holds one per page: thousands) drawn as one row: the union of their holds,
    /// clipped to the window, and how many holds made it.
    pub folio_holds: Vec<(usize, usize)>,
    pub folio_count: usize,
    /// Other locks, each with its row (1-based: row 0 is the folio row).
    pub locks: Vec<(usize, Span<LockId>)>,
    /// Rows of other locks.
    pub lock_rows: usize,
}

/// What the swimlane timeline shows.
#[derive(Clone, Debug, PartialEq)]
pub struct SwimlanesPicture {
    pub from: usize,
    pub to: usize,
    pub step: usize,
    pub zoom: usize,
    /// Call rows per thread.
    pub depth: usize,
    pub threads: Vec<ThreadSwimlane>,
    pub marks: Vec<(usize, Milestone)>,
}

/// The window of `lane`'s spans around `step` at zoom level `zoom` (an index into [`ZOOMS`]).
pub fn swimlanes_picture(lane: &LaneTrace, step: usize, zoom: usize) -> SwimlanesPicture {
    let zoom = zoom.min(ZOOMS.len() - 1);
    let half = ZOOMS[zoom];
    let len = lane.timeline.len();
    let from = step.saturating_sub(half);
    let to = (from + 2 * half).min(len.max(1));
    let from = to.saturating_sub(2 * half).min(from);
    let spans = lane.spans();
    let depth = spans.max_depth.min(MAX_DEPTH_SHOWN);
    let threads = spans
        .threads
        .iter()
        .map(|&tid| {
            let calls = spans
                .calls_in(from, to)
                .filter(|s| s.thread == tid && s.depth < depth)
                .copied()
                .collect();
            let locks: Vec<&Span<LockId>> = spans
                .locks_in(from, to)
                .filter(|s| s.thread == tid)
                .collect();
            thread_swimlane(lane, tid, calls, &locks, from, to)
        })
        .collect();
    let marks = lane
        .milestones
        .iter()
        .copied()
        .filter(|&(at, _)| at >= from && at <= to)
        .collect();
    SwimlanesPicture {
        from,
        to,
        step,
        zoom,
        depth,
        threads,
        marks,
    }
}

fn thread_swimlane(
    lane: &LaneTrace,
    tid: Tid,
    calls: Vec<Span<Func>>,
    locks: &[&Span<LockId>],
    from: usize,
    to: usize,
) -> ThreadSwimlane {
    let mut folio_holds: Vec<(usize, usize)> = Vec::new();
    let mut lock_rows: Vec<LockId> = Vec::new();
    let mut rows = Vec::new();
    for &s in locks {
        if matches!(s.what, LockId::Folio(_)) {
            folio_holds.push((s.start.max(from), s.end.min(to)));
            continue;
        }
        let row = match lock_rows.iter().position(|&l| l == s.what) {
            Some(r) => r,
            None if lock_rows.len() < MAX_LOCK_ROWS => {
                lock_rows.push(s.what);
                lock_rows.len() - 1
            }
            None => continue,
        };
        rows.push((row + 1, *s));
    }
    let folio_count = folio_holds.len();
    ThreadSwimlane {
        tid,
        name: lane.thread_name(tid),
        calls,
        folio_holds: merge(folio_holds),
        folio_count,
        locks: rows,
        lock_rows: lock_rows.len(),
    }
}

/// The union of intervals, as sorted disjoint intervals.
fn merge(mut holds: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    holds.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (a, b) in holds {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}
