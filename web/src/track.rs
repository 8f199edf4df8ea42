//! Spans for the deep view's swimlane timeline (calls and lock holds per thread), read from a lane's trace.
//! Time travel itself is `hmm_sim::Timeline` (re-exported here as `Track`).
//!
//! This module only reads what the simulator recorded; it decides nothing about kernel semantics.

pub use hmm_sim::Timeline as Track;

use hmm_sim::{Event, Kind, LockId, Tid};

/// A span of time on one thread: a function call or a lock hold. `end` is exclusive; an unfinished span ends
/// at the trace's end.
#[derive(Clone, Debug, PartialEq)]
pub struct Span<T> {
    pub thread: Tid,
    pub what: T,
    /// Call depth (function spans) or a row index per lock (lock spans).
    pub row: usize,
    pub start: usize,
    pub end: usize,
}

/// Function-call and lock-hold spans of a whole trace, sorted by start: the swimlane timeline draws them.
#[derive(Default)]
pub struct Spans {
    pub calls: Vec<Span<hmm_sim::Func>>,
    pub locks: Vec<Span<LockId>>,
    /// Indices of spans longer than [`LONG_SPAN`] (scanned in full by window queries; there are few).
    long_calls: Vec<usize>,
    long_locks: Vec<usize>,
    pub threads: Vec<Tid>,
    /// Deepest call nesting seen.
    pub max_depth: usize,
}

impl Spans {
    pub fn of(events: &[Event]) -> Spans {
        use std::collections::BTreeMap;
        let mut spans = Spans::default();
        let mut open_calls: BTreeMap<Tid, Vec<usize>> = BTreeMap::new();
        let mut open_locks: BTreeMap<(Tid, LockId), usize> = BTreeMap::new();
        let mut threads = std::collections::BTreeSet::new();
        for (i, e) in events.iter().enumerate() {
            threads.insert(e.thread);
            match e.kind {
                Kind::Call => {
                    let stack = open_calls.entry(e.thread).or_default();
                    spans.max_depth = spans.max_depth.max(stack.len() + 1);
                    spans.calls.push(Span {
                        thread: e.thread,
                        what: e.func,
                        row: stack.len(),
                        start: i,
                        end: events.len(),
                    });
                    stack.push(spans.calls.len() - 1);
                }
                Kind::Return => {
                    if let Some(k) = open_calls.entry(e.thread).or_default().pop() {
                        spans.calls[k].end = i + 1;
                    }
                }
                Kind::LockAcquire => {
                    let lock = LockId::unpack(e.a);
                    spans.locks.push(Span {
                        thread: e.thread,
                        what: lock,
                        row: 0,
                        start: i,
                        end: events.len(),
                    });
                    open_locks.insert((e.thread, lock), spans.locks.len() - 1);
                }
                Kind::LockRelease => {
                    if let Some(k) = open_locks.remove(&(e.thread, LockId::unpack(e.a))) {
                        spans.locks[k].end = i + 1;
                    }
                }
                _ => {}
            }
        }
        spans.threads = threads.into_iter().collect();
        spans.long_calls = long(&spans.calls);
        spans.long_locks = long(&spans.locks);
        spans
    }

    /// Spans overlapping `[from, to)`.
    pub fn calls_in(&self, from: usize, to: usize) -> impl Iterator<Item = &Span<hmm_sim::Func>> {
        overlapping(&self.calls, &self.long_calls, from, to)
    }

    pub fn locks_in(&self, from: usize, to: usize) -> impl Iterator<Item = &Span<LockId>> {
        overlapping(&self.locks, &self.long_locks, from, to)
    }
}

/// Spans longer than this are kept in a side list, so that a window query looks only at spans starting at
/// most this far before the window (plus the few long ones): its cost follows the window, not the trace.
const LONG_SPAN: usize = 4096;

fn long<T>(spans: &[Span<T>]) -> Vec<usize> {
    (0..spans.len())
        .filter(|&i| spans[i].end - spans[i].start > LONG_SPAN)
        .collect()
}

fn overlapping<'a, T>(
    spans: &'a [Span<T>],
    long: &'a [usize],
    from: usize,
    to: usize,
) -> impl Iterator<Item = &'a Span<T>> {
    // Sorted by start: short spans overlapping the window start at most LONG_SPAN before it.
    let lo = spans.partition_point(|s| s.start < from.saturating_sub(LONG_SPAN));
    let hi = spans.partition_point(|s| s.start < to);
    let short = spans[lo..hi.max(lo)]
        .iter()
        .filter(move |s| s.end > from && s.end - s.start <= LONG_SPAN);
    let long = long
        .iter()
        .map(move |&i| &spans[i])
        .filter(move |s| s.start < to && s.end > from);
    long.chain(short)
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse_text;
    use crate::session::Session;

    #[test]
    fn window_queries_find_exactly_the_overlapping_spans() {
        let session = Session::build(parse_text("P*300S*40N*20").expect("valid"));
        for lane in &session.lanes {
            let spans = lane.spans();
            let len = lane.track.len();
            for (from, to) in [
                (0, 10),
                (100, 400),
                (len / 2, len / 2 + 80),
                (len - 50, len),
                (0, len),
            ] {
                let mut got: Vec<(usize, usize)> =
                    spans.calls_in(from, to).map(|s| (s.start, s.end)).collect();
                let mut want: Vec<(usize, usize)> = spans
                    .calls
                    .iter()
                    .filter(|s| s.start < to && s.end > from)
                    .map(|s| (s.start, s.end))
                    .collect();
                got.sort_unstable();
                want.sort_unstable();
                assert_eq!(got, want, "{} calls in {from}..{to}", lane.strategy.name());
                let got = spans.locks_in(from, to).count();
                let want = spans
                    .locks
                    .iter()
                    .filter(|s| s.start < to && s.end > from)
                    .count();
                assert_eq!(got, want, "{} locks in {from}..{to}", lane.strategy.name());
            }
        }
    }
}
