//! Call and lock-hold spans of a lane's whole trace (`hmm_sim::call_spans`, `hmm_sim::lock_holds`), indexed so
//! that the swimlane picture asks for one window of them at a cost that follows the window, not the trace. Time
//! travel itself is `hmm_sim::Timeline`.

use std::collections::BTreeSet;

use hmm_sim::{call_spans, lock_holds, Func, LockId, PackedTrace, Span, Tid};

/// Function-call and lock-hold spans of a whole trace, sorted by start: the swimlane timeline draws them.
#[derive(Default)]
pub struct Spans {
    pub calls: Vec<Span<Func>>,
    pub locks: Vec<Span<LockId>>,
    /// Indices of spans longer than [`LONG_SPAN`] (scanned in full by window queries; there are few).
    long_calls: Vec<usize>,
    long_locks: Vec<usize>,
    /// Every thread that has an event in the trace.
    pub threads: Vec<Tid>,
    /// Deepest call nesting seen (1: calls but no nested call).
    pub max_depth: usize,
}

impl Spans {
    /// The spans of `events`, as hmm-sim reads them off the trace.
    pub fn of(events: &PackedTrace) -> Spans {
        let calls = call_spans(events);
        let locks = lock_holds(events);
        let threads: BTreeSet<Tid> = events.iter().map(|e| e.thread).collect();
        Spans {
            max_depth: calls.iter().map(|s| s.depth + 1).max().unwrap_or(0),
            threads: threads.into_iter().collect(),
            long_calls: long(&calls),
            long_locks: long(&locks),
            calls,
            locks,
        }
    }

    /// Spans overlapping `[from, to)`.
    pub fn calls_in(&self, from: usize, to: usize) -> impl Iterator<Item = &Span<Func>> {
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
    use crate::comparison::LoadedLanes;
    use crate::scenario::parse_text;

    #[test]
    fn window_queries_find_exactly_the_overlapping_spans() {
        let comparison = LoadedLanes::build(parse_text("P*300S*40N*20").expect("valid"));
        for lane in &comparison.lanes {
            let spans = lane.spans();
            let len = lane.timeline.len();
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
