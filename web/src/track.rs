//! One lane's trace, ready for time travel: the events, sparse checkpoints of `hmm_sim::view::ViewState`, and a
//! cursor cache so that playing forward applies one event per step instead of re-seeking.
//!
//! Why not `hmm_sim::view::Timeline` directly: it checkpoints every 4096 events whatever the trace length, and
//! a 20,000-page lane (about a million events) then holds ~250 full snapshots: 1.5 GB natively, more than a
//! wasm32 tab can map. `Track` does the same thing with the same public pieces (`ViewState::from_world`,
//! `ViewState::apply`), but bounds the number of checkpoints ([`MAX_CHECKPOINTS`]), which bounds memory while
//! a seek stays one clone plus at most `every` applications. Small traces get exactly `Timeline`'s spacing.
//!
//! This module only replays what the simulator recorded; it decides nothing about kernel semantics.

use std::cell::{Ref, RefCell};

use hmm_sim::trace::{Event, Kind, LockId, Milestone, Tid};
use hmm_sim::view::{ViewState, CHECKPOINT_EVERY};

/// Upper bound on snapshots kept per lane (plus the initial one): memory is `MAX_CHECKPOINTS` × one state.
pub const MAX_CHECKPOINTS: usize = 16;

pub struct Track {
    events: Vec<Event>,
    /// `checkpoints[k]` is the state after `k * every` events.
    checkpoints: Vec<ViewState>,
    every: usize,
    /// Milestone events: (index of the event, which milestone). Reaching the milestone means step = index + 1.
    pub milestones: Vec<(usize, Milestone)>,
    /// The last state handed out: stepping forward from it is one `apply` per event.
    cache: RefCell<ViewState>,
}

impl Track {
    pub fn new(initial: ViewState, events: Vec<Event>) -> Track {
        let every = CHECKPOINT_EVERY.max(events.len().div_ceil(MAX_CHECKPOINTS));
        let mut checkpoints = vec![initial.clone()];
        let mut milestones = Vec::new();
        let mut state = initial.clone();
        for (i, e) in events.iter().enumerate() {
            state.apply(e);
            if e.kind == Kind::Milestone {
                if let Some(m) = Milestone::from_u32(e.a) {
                    milestones.push((i, m));
                }
            }
            if (i + 1) % every == 0 {
                checkpoints.push(state.clone());
            }
        }
        Track {
            events,
            checkpoints,
            every,
            milestones,
            cache: RefCell::new(initial),
        }
    }

    /// Number of events; steps run from 0 (the set-up world) to `len()` (after the last event).
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Events between checkpoints (the most one seek replays).
    pub fn checkpoint_every(&self) -> usize {
        self.every
    }

    /// The event that produced step `step` (the one applied last), if any.
    pub fn event_before(&self, step: usize) -> Option<&Event> {
        step.checked_sub(1).and_then(|i| self.events.get(i))
    }

    /// The state after the first `step` events (clamped to the trace). Forward from the cached state costs one
    /// `apply` per event; anything else restarts from the nearest checkpoint at or before `step`.
    pub fn state(&self, step: usize) -> Ref<'_, ViewState> {
        let step = step.min(self.events.len());
        {
            let mut cache = self.cache.borrow_mut();
            let from_checkpoint = (step / self.every) * self.every;
            let reuse = cache.step <= step && cache.step >= from_checkpoint;
            if !reuse {
                *cache = self.checkpoints[step / self.every].clone();
            }
            let start = cache.step;
            for e in &self.events[start..step] {
                cache.apply(e);
            }
        }
        self.cache.borrow()
    }

    /// First step ≥ `from` + 1 reached by an event matching `pred` (i.e. the step right after that event).
    pub fn next_step_where(&self, from: usize, pred: impl Fn(&Event) -> bool) -> Option<usize> {
        self.events
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, e)| pred(e))
            .map(|(i, _)| i + 1)
    }

    /// Last step < `before` reached by an event matching `pred`.
    pub fn prev_step_where(&self, before: usize, pred: impl Fn(&Event) -> bool) -> Option<usize> {
        let end = before.saturating_sub(1).min(self.events.len());
        self.events[..end].iter().rposition(pred).map(|i| i + 1)
    }

    /// The steps at which milestones are reached.
    pub fn milestone_steps(&self) -> impl Iterator<Item = (usize, Milestone)> + '_ {
        self.milestones.iter().map(|&(i, m)| (i + 1, m))
    }
}

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
    pub calls: Vec<Span<hmm_sim::trace::Func>>,
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
    pub fn calls_in(
        &self,
        from: usize,
        to: usize,
    ) -> impl Iterator<Item = &Span<hmm_sim::trace::Func>> {
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

    #[test]
    fn seeking_matches_replaying_from_the_start() {
        let session = Session::build(parse_text("PCZNSDOPPNS").expect("valid"));
        for lane in &session.lanes {
            let track = &lane.track;
            let len = track.len();
            // Forward, backward and random order all give the state a fresh replay gives.
            for step in [len, 0, len / 2, len / 3, len / 2 + 1, len / 2, 1, len] {
                let mut fresh = track.checkpoints[0].clone();
                for e in &track.events()[..step] {
                    fresh.apply(e);
                }
                assert_eq!(
                    *track.state(step),
                    fresh,
                    "{} at {step}",
                    lane.strategy.name()
                );
            }
        }
    }
}
