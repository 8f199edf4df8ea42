//! [`Timeline`]: any step of a trace, backwards too, in bounded memory.

use std::collections::VecDeque;

use super::ViewState;
use crate::trace::{Event, Milestone, PackedTrace, Page, BLOCK_EVENTS};

/// Events between checkpoints: a seek replays at most this many (about 25 ms at 262,144 pages on the
/// project's machine, docs/benchmarks.md). A multiple of [`BLOCK_EVENTS`], so a seek's replay starts at the
/// beginning of a packed block and decodes nothing it then throws away.
pub const CHECKPOINT_EVERY: usize = 16 * BLOCK_EVENTS;

/// Upper bound on checkpoints per timeline (plus the initial one). Checkpoints share every chunk of the
/// view that did not change between them ([`super::ChunkMap`]), so one costs its chunk index (a pointer
/// per 512 pages, frames or slots) plus the chunks its events touched; traces longer than
/// `MAX_CHECKPOINTS * CHECKPOINT_EVERY` events (67 M) space them further apart instead of holding more.
pub const MAX_CHECKPOINTS: usize = 1024;

/// A trace ready for time travel: the events, checkpoints of [`ViewState`], and a cursor cache so that
/// playing forward applies one event per step instead of re-seeking.
///
/// Checkpoints are [`CHECKPOINT_EVERY`] events apart (further apart only past [`MAX_CHECKPOINTS`]) and are
/// copy-on-write clones of one another. A seek is one checkpoint clone (chunk pointers only) plus at most
/// `checkpoint_every()` applications, backwards or forwards.
pub struct Timeline {
    events: PackedTrace,
    /// `checkpoints[k]` is the state after `k * every` events.
    pub(super) checkpoints: Vec<ViewState>,
    every: usize,
    /// Milestone events: (index of the event, which milestone). Reaching it means step = index + 1.
    pub milestones: Vec<(usize, Milestone)>,
    /// The last state handed out: stepping forward from it is one `apply` per event.
    cache: std::cell::RefCell<ViewState>,
    /// The pages the cursor's replays wrote since it last jumped ([`Timeline::pages_written`]).
    written: std::cell::RefCell<Written>,
}

/// Most page writes [`Written`] remembers: a frame of the fastest playback writes a few thousand.
pub const MAX_WRITTEN: usize = 1 << 16;

/// The cursor's travel log: every PTE or PMD write of the events it replayed in `[from, to)`, with its event's
/// index, oldest first (the oldest dropped past [`MAX_WRITTEN`], moving `from` up).
#[derive(Default)]
struct Written {
    from: usize,
    to: usize,
    pages: VecDeque<(usize, Page)>,
}

/// Checkpoint spacing for a trace of `len` events: `every` (rounded up to whole packed blocks), or wider when
/// that would make more than [`MAX_CHECKPOINTS`].
pub(super) fn spacing(len: usize, every: usize) -> usize {
    let needed = len.div_ceil(MAX_CHECKPOINTS);
    every.max(needed).max(1).div_ceil(BLOCK_EVENTS) * BLOCK_EVENTS
}

/// A [`Timeline`] built a slice at a time: a viewer that must not block for the whole replay of a long trace
/// (the web page, whose every task should stay short) calls [`TimelineBuilder::advance`] from several short
/// tasks. [`Timeline::new`] is this builder run to the end in one go, so both give the same timeline.
pub struct TimelineBuilder {
    events: PackedTrace,
    checkpoints: Vec<ViewState>,
    every: usize,
    milestones: Vec<(usize, Milestone)>,
    state: ViewState,
    initial: ViewState,
    /// Events replayed so far.
    done: usize,
}

impl TimelineBuilder {
    /// Checkpoints every [`CHECKPOINT_EVERY`] events.
    pub fn new(initial: ViewState, events: PackedTrace) -> TimelineBuilder {
        TimelineBuilder::spaced(initial, events, CHECKPOINT_EVERY)
    }

    /// Checkpoints about every `every` events (whole packed blocks, at most [`MAX_CHECKPOINTS`]): a viewer
    /// trades memory (each checkpoint holds the chunks of view its interval wrote) against the longest replay
    /// a seek makes.
    pub fn spaced(initial: ViewState, events: PackedTrace, every: usize) -> TimelineBuilder {
        let every = spacing(events.len(), every);
        TimelineBuilder {
            events,
            checkpoints: vec![initial.clone()],
            every,
            milestones: Vec::new(),
            state: initial.clone(),
            initial,
            done: 0,
        }
    }

    /// Replay at most `max_events` more events. True once every event is replayed.
    pub fn advance(&mut self, max_events: usize) -> bool {
        let end = self.done.saturating_add(max_events).min(self.events.len());
        for (i, e) in (self.done..end).zip(self.events.range(self.done, end)) {
            if let Some(m) = self.state.apply(&e).milestone {
                self.milestones.push((i, m));
            }
            if (i + 1) % self.every == 0 {
                self.checkpoints.push(self.state.clone());
            }
        }
        self.done = end;
        self.done == self.events.len()
    }

    /// Events replayed so far, and in all.
    pub fn progress(&self) -> (usize, usize) {
        (self.done, self.events.len())
    }

    /// The timeline (replaying whatever is left first).
    pub fn finish(mut self) -> Timeline {
        self.advance(usize::MAX);
        Timeline {
            events: self.events,
            checkpoints: self.checkpoints,
            every: self.every,
            milestones: self.milestones,
            cache: std::cell::RefCell::new(self.initial),
            written: Default::default(),
        }
    }
}

impl Timeline {
    pub fn new(initial: ViewState, events: PackedTrace) -> Timeline {
        TimelineBuilder::new(initial, events).finish()
    }

    /// Number of events; steps run from 0 (the set-up world) to `len()` (after the last event).
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The events, packed: read them with `get`, `range`, `iter_from` or `for e in timeline.events()`.
    pub fn events(&self) -> &PackedTrace {
        &self.events
    }

    /// Events between checkpoints (the most one seek replays).
    pub fn checkpoint_every(&self) -> usize {
        self.every
    }

    /// Number of checkpoints held (the set-up world's included).
    pub fn checkpoints(&self) -> usize {
        self.checkpoints.len()
    }

    /// Bytes the timeline holds: the packed events, the milestones and the checkpoints, each chunk of view
    /// state counted once however many checkpoints share it (the cursor cache is left out: it is one view,
    /// and shares its chunks with a checkpoint until it is played away from it).
    pub fn bytes_held(&self) -> usize {
        let mut chunks = std::collections::BTreeMap::new();
        let mut index = 0;
        for c in &self.checkpoints {
            index += std::mem::size_of::<ViewState>() + c.small_bytes();
            c.shared_allocations(&mut |ptr, bytes| {
                chunks.insert(ptr, bytes);
            });
            index += c.index_bytes();
        }
        self.events.bytes_held()
            + self.milestones.capacity() * std::mem::size_of::<(usize, Milestone)>()
            + index
            + chunks.values().sum::<usize>()
    }

    /// The event that produced step `step` (the one applied last), if any.
    pub fn event_before(&self, step: usize) -> Option<Event> {
        step.checked_sub(1).and_then(|i| self.events.get(i))
    }

    /// The state after the first `step` events (clamped to the trace). Forward from the cached state by at most
    /// the checkpoint spacing costs one `apply` per event; anything else restarts from the nearest checkpoint
    /// at or before `step`. Either way a call replays at most `checkpoint_every()` events.
    pub fn state(&self, step: usize) -> std::cell::Ref<'_, ViewState> {
        let step = step.min(self.events.len());
        {
            let mut cache = self.cache.borrow_mut();
            let mut written = self.written.borrow_mut();
            // Forward from the cursor unless the nearest checkpoint is closer: at most `every` events either way,
            // and playing forward across a checkpoint keeps the travel log.
            let from_checkpoint = (step / self.every) * self.every;
            let forward = cache.step <= step
                && (cache.step >= from_checkpoint || step - cache.step <= self.every);
            if !forward {
                *cache = self.checkpoints[step / self.every].clone();
            }
            let start = cache.step;
            if written.to != start {
                *written = Written {
                    from: start,
                    to: start,
                    pages: VecDeque::new(),
                };
            }
            for (i, e) in (start..step).zip(self.events.range(start, step)) {
                if let Some(page) = cache.apply(&e).page {
                    if written.pages.len() == MAX_WRITTEN {
                        let (oldest, _) = written.pages.pop_front().expect("full");
                        written.from = oldest + 1;
                    }
                    written.pages.push_back((i, page));
                }
            }
            written.to = step;
        }
        self.cache.borrow()
    }

    /// The pages (PTEs and PMD leaves) the events `[from, to)` wrote, in event order, if the cursor replayed
    /// them all since it last jumped; `None` otherwise (decode them: `TouchedSet::of`). A viewer that follows
    /// the cursor forward (the web's overview counts, a frame of playback behind it) learns what the move
    /// wrote without decoding the events a second time.
    pub fn pages_written(&self, from: usize, to: usize) -> Option<Vec<Page>> {
        let written = self.written.borrow();
        (written.from <= from && from <= to && to <= written.to).then(|| {
            let first = written.pages.partition_point(|&(i, _)| i < from);
            let end = written.pages.partition_point(|&(i, _)| i < to);
            written
                .pages
                .range(first..end)
                .map(|&(_, page)| page)
                .collect()
        })
    }

    /// An owned copy of [`Timeline::state`].
    pub fn state_at(&self, step: usize) -> ViewState {
        self.state(step).clone()
    }

    /// First step ≥ `from` + 1 reached by an event matching `pred` (the step right after that event).
    pub fn next_step_where(&self, from: usize, pred: impl Fn(&Event) -> bool) -> Option<usize> {
        (from..)
            .zip(self.events.iter_from(from))
            .find(|(_, e)| pred(e))
            .map(|(i, _)| i + 1)
    }

    /// Last step < `before` reached by an event matching `pred`.
    pub fn prev_step_where(&self, before: usize, pred: impl Fn(&Event) -> bool) -> Option<usize> {
        let end = before.saturating_sub(1).min(self.events.len());
        // Backwards a block at a time: the packing reads forwards only within a block.
        let mut buf = Vec::with_capacity(BLOCK_EVENTS);
        for block in (0..end.div_ceil(BLOCK_EVENTS)).rev() {
            self.events.block_events(block, &mut buf);
            let first = block * BLOCK_EVENTS;
            buf.truncate(end - first);
            if let Some(i) = buf.iter().rposition(&pred) {
                return Some(first + i + 1);
            }
        }
        None
    }

    /// The steps at which milestones are reached.
    pub fn milestone_steps(&self) -> impl Iterator<Item = (usize, Milestone)> + '_ {
        self.milestones.iter().map(|&(i, m)| (i + 1, m))
    }
}
