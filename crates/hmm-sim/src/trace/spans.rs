//! Spans of a trace: each call from its `Call` to its `Return`, each lock hold from acquire to release, per
//! thread. Read off [`Ev`]s, so a timeline view draws them without decoding events itself.

use super::{Ev, Func, LockId, PackedTrace, Tid};
use std::collections::BTreeMap;

/// A stretch of one thread's time. `start` is the opening event's index, `end` one past the closing event's
/// (exclusive); a span still open at the trace's end ends at `events.len()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span<T> {
    pub thread: Tid,
    pub what: T,
    /// Call depth at entry (0: outermost) for calls; 0 for lock holds.
    pub depth: usize,
    pub start: usize,
    pub end: usize,
}

/// Every call of the trace, sorted by start.
pub fn call_spans(events: &PackedTrace) -> Vec<Span<Func>> {
    let mut spans: Vec<Span<Func>> = Vec::new();
    let mut open: BTreeMap<Tid, Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        match e.decode() {
            Ev::Call { .. } => {
                let stack = open.entry(e.thread).or_default();
                spans.push(Span {
                    thread: e.thread,
                    what: e.func,
                    depth: stack.len(),
                    start: i,
                    end: events.len(),
                });
                stack.push(spans.len() - 1);
            }
            Ev::Return { .. } => {
                if let Some(k) = open.entry(e.thread).or_default().pop() {
                    spans[k].end = i + 1;
                }
            }
            _ => {}
        }
    }
    spans
}

/// Every lock hold of the trace (a shared `mmap_lock` hold per reader), sorted by start.
pub fn lock_holds(events: &PackedTrace) -> Vec<Span<LockId>> {
    let mut spans: Vec<Span<LockId>> = Vec::new();
    let mut open: BTreeMap<(Tid, LockId), usize> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        match e.decode() {
            Ev::LockAcquire { lock, .. } => {
                spans.push(Span {
                    thread: e.thread,
                    what: lock,
                    depth: 0,
                    start: i,
                    end: events.len(),
                });
                open.insert((e.thread, lock), spans.len() - 1);
            }
            Ev::LockRelease { lock, .. } => {
                if let Some(k) = open.remove(&(e.thread, lock)) {
                    spans[k].end = i + 1;
                }
            }
            _ => {}
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_states;
    use crate::sim::{compare, RunConfig};

    /// Every call returns and every lock is released by the end of a completed lane; spans nest per thread.
    #[test]
    fn lanes_close_every_span() {
        let states = parse_states("PNSZCDOP").unwrap();
        for lane in compare(&states, &RunConfig::default()).lanes {
            let events = &lane.report.events;
            let calls = call_spans(events);
            let locks = lock_holds(events);
            assert!(!calls.is_empty() && !locks.is_empty());
            // A completed lane closes everything: each span ends at its closing event.
            assert!(calls.iter().all(|s| matches!(
                events.get(s.end - 1).map(|e| e.decode()),
                Some(Ev::Return { .. })
            )));
            assert!(locks
                .iter()
                .all(|s| matches!(events.get(s.end - 1).map(|e| e.decode()), Some(Ev::LockRelease { lock, .. }) if lock == s.what)));
        }
    }
}
