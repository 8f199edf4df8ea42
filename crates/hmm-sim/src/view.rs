//! Time travel: the state of the world at any step of a trace, for viewers.
//!
//! A [`Timeline`] replays events forward from the set-up world and keeps sparse checkpoints, so seeking to
//! any step (backwards included) is one clone plus a bounded number of applications. Viewers read [`ViewState`]; they never re-implement kernel semantics: every field is
//! moved only by the events the simulator recorded.

use crate::pte::{Pfn, Pte};
use crate::trace::*;
use crate::world::{World, Zone, PTRS_PER_PTE};
use std::collections::BTreeMap;

/// Events between checkpoints on short traces (longer ones space them so there are at most
/// [`MAX_CHECKPOINTS`]).
pub const CHECKPOINT_EVERY: usize = 4096;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameView {
    pub zone: Zone,
    pub refcount: i32,
    pub mapcount: i32,
    pub locked_by: Option<Tid>,
    pub anon_exclusive: bool,
    pub lru: bool,
    pub content: u32,
}

/// What a viewer shows at one step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ViewState {
    /// Index of the next event to apply (0: the set-up world).
    pub step: usize,
    pub ptes: BTreeMap<(u8, u32), Pte>,
    /// Frames that any PTE, array or event of this trace refers to.
    pub frames: BTreeMap<Pfn, FrameView>,
    /// Held locks: lock → holders (several for `mmap_lock` read).
    pub locks: BTreeMap<LockId, Vec<Tid>>,
    /// `src[]`/`dst[]` of each `migrate_vma` instance (keyed by array id, index).
    pub src: BTreeMap<(u8, u32), u32>,
    pub dst: BTreeMap<(u8, u32), u32>,
    pub hmm_pfns: BTreeMap<(u8, u32), u64>,
    /// Device page tables: (mirror, page) → packed `DptEntry`.
    pub dev_pt: BTreeMap<(u8, u32), u32>,
    pub seqs: BTreeMap<u32, u32>,
    pub swap: BTreeMap<u32, u32>,
    /// Call stack of each thread.
    pub stacks: BTreeMap<Tid, Vec<Func>>,
    pub counters: Counters,
    /// The page the last walker visit looked at, per thread.
    pub cursor: BTreeMap<Tid, (u8, u32)>,
    /// The page-table level each walking thread is at (absent outside a walk).
    pub walker: BTreeMap<Tid, Level>,
    /// Threads sleeping, and the packed resource they wait on.
    pub blocked: BTreeMap<Tid, u32>,
    /// Open invalidations: (mm-less) packed event|owner, start, end.
    pub notifiers: Vec<(u32, u32, u32)>,
    pub last_milestone: Option<Milestone>,
}

impl ViewState {
    /// The set-up world, restricted to what viewers show.
    pub fn from_world(w: &World) -> ViewState {
        let mut v = ViewState::default();
        for mm in w.mms.iter().filter(|m| m.alive) {
            for (pmd, t) in mm.pmds.iter().enumerate() {
                let Some(t) = t else { continue };
                for (i, &pte) in t.ptes.iter().enumerate() {
                    if pte != Pte::None {
                        v.ptes
                            .insert((mm.id, pmd as u32 * PTRS_PER_PTE + i as u32), pte);
                        if let Some(pfn) = pte.pfn() {
                            v.touch_frame(w, pfn);
                        }
                    }
                }
            }
            v.seqs
                .insert(SeqId::Mm(mm.id).pack(), mm.invalidate_seq as u32);
        }
        for (i, m) in w.mirrors.iter().enumerate() {
            v.seqs.insert(
                SeqId::Sub {
                    dev: m.dev,
                    mm: m.mm,
                }
                .pack(),
                m.seq as u32,
            );
            for (&vpn, &e) in &m.pt {
                v.dev_pt
                    .insert((i as u8, vpn), crate::world::DptEntry::pack(Some(e)));
            }
        }
        for (slot, c) in w.swap.iter().enumerate() {
            if let Some(c) = c {
                v.swap.insert(slot as u32, *c);
            }
        }
        v
    }

    fn touch_frame(&mut self, w: &World, pfn: Pfn) {
        if let Some(f) = w.frames.get(pfn as usize) {
            self.frames.entry(pfn).or_insert(FrameView {
                zone: f.zone,
                refcount: f.refcount,
                mapcount: f.mapcount,
                locked_by: f.locked,
                anon_exclusive: f.anon_exclusive,
                lru: f.lru,
                content: f.content,
            });
        }
    }

    fn frame(&mut self, pfn: Pfn) -> &mut FrameView {
        self.frames.entry(pfn).or_insert(FrameView {
            zone: Zone::System,
            refcount: 0,
            mapcount: 0,
            locked_by: None,
            anon_exclusive: false,
            lru: false,
            content: 0,
        })
    }

    /// Apply one event.
    pub fn apply(&mut self, e: &Event) {
        self.counters.observe(e);
        self.step += 1;
        match e.kind {
            Kind::Call => self.stacks.entry(e.thread).or_default().push(e.func),
            Kind::Return => {
                self.stacks.entry(e.thread).or_default().pop();
            }
            Kind::PteRead if e.c == 1 => {
                self.cursor.insert(e.thread, unpack_page(e.a));
                self.walker.insert(e.thread, Level::Pte);
            }
            Kind::Descend => {
                self.walker.insert(e.thread, Level::from_u32(e.b));
            }
            Kind::WalkBegin | Kind::WalkEnd => {
                self.walker.remove(&e.thread);
            }
            Kind::PteWrite => {
                let key = unpack_page(e.a);
                let new = Pte::unpack(e.c);
                if new == Pte::None {
                    self.ptes.remove(&key);
                } else {
                    self.ptes.insert(key, new);
                }
            }
            Kind::LockAcquire => self
                .locks
                .entry(LockId::unpack(e.a))
                .or_default()
                .push(e.thread),
            Kind::LockRelease => {
                let l = LockId::unpack(e.a);
                if let Some(h) = self.locks.get_mut(&l) {
                    if let Some(i) = h.iter().position(|&t| t == e.thread) {
                        h.remove(i);
                    } else {
                        h.pop();
                    }
                    if h.is_empty() {
                        self.locks.remove(&l);
                    }
                }
                if let LockId::Folio(pfn) = l {
                    self.frame(pfn).locked_by = None;
                }
            }
            Kind::Ref => self.frame(e.a).refcount = e.b as i32,
            Kind::Map => self.frame(e.a).mapcount = e.b as i32,
            Kind::Flag => {
                let f = self.frame(e.a);
                if e.b == FolioFlag::AnonExclusive as u32 {
                    f.anon_exclusive = e.c != 0;
                } else {
                    f.lru = e.c != 0;
                }
            }
            Kind::Alloc => {
                let zone = if e.b == 0 {
                    Zone::System
                } else {
                    Zone::DevicePrivate((e.b - 1) as u8)
                };
                let f = self.frame(e.a);
                *f = FrameView {
                    zone,
                    refcount: 0,
                    mapcount: 0,
                    locked_by: None,
                    anon_exclusive: false,
                    lru: false,
                    content: f.content,
                };
            }
            Kind::Free => {
                self.frames.remove(&e.a);
            }
            Kind::Copy => self.frame(e.b).content = e.c,
            Kind::Content => self.frame(e.a).content = e.c,
            Kind::Src => {
                self.src.insert(((e.a >> 24) as u8, e.a & 0xff_ffff), e.c);
            }
            Kind::Dst => {
                self.dst.insert(((e.a >> 24) as u8, e.a & 0xff_ffff), e.c);
            }
            Kind::HmmPfn => {
                self.hmm_pfns.insert(
                    ((e.a >> 24) as u8, e.a & 0xff_ffff),
                    (e.c as u64) << 32 | e.b as u64,
                );
            }
            Kind::DevPt => {
                let key = ((e.a >> 24) as u8, e.a & 0xff_ffff);
                if e.c == 0 {
                    self.dev_pt.remove(&key);
                } else {
                    self.dev_pt.insert(key, e.c);
                }
            }
            Kind::Seq => {
                self.seqs.insert(e.a, e.c);
            }
            Kind::Swap => {
                if e.c == 0 {
                    self.swap.remove(&e.a);
                } else {
                    self.swap.insert(e.a, e.c - 1);
                }
            }
            Kind::NotifierStart => self.notifiers.push((e.a, e.b, e.c)),
            Kind::NotifierEnd => {
                if let Some(i) = self.notifiers.iter().rposition(|n| *n == (e.a, e.b, e.c)) {
                    self.notifiers.remove(i);
                }
            }
            Kind::Thread => {
                if e.b == ThreadState::Blocked as u32 {
                    self.blocked.insert(e.a as Tid, e.c);
                } else {
                    self.blocked.remove(&(e.a as Tid));
                }
            }
            Kind::Milestone => self.last_milestone = Milestone::from_u32(e.a),
            _ => {}
        }
        // Keep PG_locked in the frame view in step with the lock table.
        if e.kind == Kind::LockAcquire {
            if let LockId::Folio(pfn) = LockId::unpack(e.a) {
                self.frame(pfn).locked_by = Some(e.thread);
            }
        }
    }
}

/// A trace ready for time travel: the events, sparse checkpoints of [`ViewState`], and a cursor cache so that
/// playing forward applies one event per step instead of re-seeking.
///
/// Checkpoints are [`CHECKPOINT_EVERY`] events apart, or further apart on long traces so that there are never
/// more than [`MAX_CHECKPOINTS`] (a million-event lane would otherwise hold hundreds of full states, more than a
/// wasm32 tab can map). A seek is one clone plus at most `checkpoint_every()` applications, backwards or forwards.
pub struct Timeline {
    events: Vec<Event>,
    /// `checkpoints[k]` is the state after `k * every` events.
    checkpoints: Vec<ViewState>,
    every: usize,
    /// Milestone events: (index of the event, which milestone). Reaching it means step = index + 1.
    pub milestones: Vec<(usize, Milestone)>,
    /// The last state handed out: stepping forward from it is one `apply` per event.
    cache: std::cell::RefCell<ViewState>,
}

/// Upper bound on snapshots kept per timeline (plus the initial one): memory is about that many states.
pub const MAX_CHECKPOINTS: usize = 16;

impl Timeline {
    pub fn new(initial: ViewState, events: Vec<Event>) -> Timeline {
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
        Timeline {
            events,
            checkpoints,
            every,
            milestones,
            cache: std::cell::RefCell::new(initial),
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
    pub fn state(&self, step: usize) -> std::cell::Ref<'_, ViewState> {
        let step = step.min(self.events.len());
        {
            let mut cache = self.cache.borrow_mut();
            let from_checkpoint = (step / self.every) * self.every;
            if !(cache.step <= step && cache.step >= from_checkpoint) {
                *cache = self.checkpoints[step / self.every].clone();
            }
            let start = cache.step;
            for e in &self.events[start..step] {
                cache.apply(e);
            }
        }
        self.cache.borrow()
    }

    /// An owned copy of [`Timeline::state`].
    pub fn state_at(&self, step: usize) -> ViewState {
        self.state(step).clone()
    }

    /// First step ≥ `from` + 1 reached by an event matching `pred` (the step right after that event).
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

/// One line saying what event `e` did, naming the kernel function: the narration of a step.
pub fn narrate(e: &Event) -> String {
    let f = e.func.name();
    let page = |bits: u32| {
        let (mm, vpn) = unpack_page(bits);
        format!("page {:#x} (mm{mm})", vpn as u64 * 4096)
    };
    match e.kind {
        Kind::Call => format!("{f}() is called — {}", e.func.what()),
        Kind::Return => format!("{f}() returns {}", e.a as i32),
        Kind::WalkBegin if e.c == WalkKind::Logical as u32 => {
            format!("{f}: a logical page-table walk begins")
        }
        Kind::WalkBegin => format!("{f}: walk_page_range starts"),
        Kind::WalkEnd => format!("{f}: the walk ends"),
        Kind::Descend => format!(
            "{f}: the walker descends to the {} level",
            Level::from_u32(e.b).name()
        ),
        Kind::PteRead => format!(
            "{f} reads the PTE of {}: {}",
            page(e.a),
            Pte::unpack(e.b).kind().name()
        ),
        Kind::PteWrite => format!(
            "{f} writes the PTE of {}: {} → {}",
            page(e.a),
            Pte::unpack(e.b).kind().name(),
            Pte::unpack(e.c).kind().name()
        ),
        Kind::LockAcquire => format!("{f} takes {}", LockId::unpack(e.a).describe()),
        Kind::LockRelease => format!("{f} releases {}", LockId::unpack(e.a).describe()),
        Kind::LockContended => format!(
            "{f} finds {} held: it must wait",
            LockId::unpack(e.a).describe()
        ),
        Kind::Ref => format!(
            "{f}: refcount of pfn {:#x} {} → {}",
            e.a, e.c as i32, e.b as i32
        ),
        Kind::Map => format!(
            "{f}: mapcount of pfn {:#x} {} → {}",
            e.a, e.c as i32, e.b as i32
        ),
        Kind::Flag => format!(
            "{f}: {} of pfn {:#x} = {}",
            if e.b == FolioFlag::AnonExclusive as u32 {
                "AnonExclusive"
            } else {
                "LRU"
            },
            e.a,
            e.c != 0
        ),
        Kind::Fault => format!(
            "{f}: page fault on {}{}{}",
            page(e.a),
            if e.b & fault::WRITE != 0 {
                " (write)"
            } else {
                " (read)"
            },
            if e.b & fault::AHEAD != 0 {
                ", fault-ahead: hmm_vma_fault faults to the end of the PMD chunk"
            } else {
                ""
            }
        ),
        Kind::NotifierStart => format!(
            "{f}: invalidation {} starts (owner {})",
            NotifyEvent::from_u8(e.a as u8).name(),
            if e.a >> 8 == 0 {
                "none".to_string()
            } else {
                format!("device {}", (e.a >> 8) - 1)
            }
        ),
        Kind::NotifierEnd => format!(
            "{f}: invalidation {} ends",
            NotifyEvent::from_u8(e.a as u8).name()
        ),
        Kind::Seq => format!("{f}: notifier sequence {} → {}", e.b, e.c),
        Kind::Alloc => format!(
            "{f} allocates pfn {:#x}{}",
            e.a,
            if e.b == 0 {
                String::new()
            } else {
                format!(" on device {}", e.b - 1)
            }
        ),
        Kind::Free => format!("{f}: pfn {:#x} is freed", e.a),
        Kind::Copy => format!("{f} copies pfn {:#x} → pfn {:#x}", e.a, e.b),
        Kind::Content => format!("{f}: pfn {:#x} now holds {:#x}", e.a, e.c),
        Kind::Src => format!("{f}: src[{}] = {:#x}", e.a & 0xff_ffff, e.c),
        Kind::Dst => format!("{f}: dst[{}] = {:#x}", e.a & 0xff_ffff, e.c),
        Kind::HmmPfn => format!(
            "{f}: hmm_pfns[{}] = {:#x}",
            e.a & 0xff_ffff,
            (e.c as u64) << 32 | e.b as u64
        ),
        Kind::DevPt => format!(
            "{f}: device page table entry {}",
            if e.c == 0 { "removed" } else { "set" }
        ),
        Kind::Swap => format!(
            "{f}: swap slot {} {}",
            e.a,
            if e.c == 0 { "freed" } else { "written" }
        ),
        Kind::TlbFlush => format!("{f}: TLB flush of {} page(s)", e.b.saturating_sub(e.a)),
        Kind::Retry => format!(
            "{f}: retry: {}",
            RetryReason::from_u32(e.a).map_or("", |r| r.describe())
        ),
        Kind::Error if e.a == 11 => format!("{f}: -EAGAIN: refcount {} but {} expected", e.b, e.c),
        Kind::Error => format!("{f} fails with -{}", e.a),
        Kind::Milestone => format!(
            "milestone: {}",
            Milestone::from_u32(e.a).map_or("?", |m| m.name())
        ),
        Kind::Thread => format!(
            "T{} {}",
            e.a,
            match e.b {
                0 => "runs again",
                1 => "sleeps",
                _ => "exits",
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_states;
    use crate::sim::{compare, RunConfig, Setup};

    /// Replaying the trace from the set-up world lands exactly on the simulator's final PTEs and frames.
    #[test]
    fn replay_matches_the_final_world() {
        let states = parse_states("PCZNSDOPPNS").unwrap();
        let setup = Setup::from_states(&states);
        for lane in compare(&states, &RunConfig::default()).lanes {
            let tl = Timeline::new(
                ViewState::from_world(&setup.world),
                lane.report.events.clone(),
            );
            let end = tl.state_at(tl.len());
            let truth = ViewState::from_world(&lane.report.world);
            assert_eq!(end.ptes, truth.ptes, "{}", lane.strategy.name());
            for (pfn, f) in &truth.frames {
                let v = &end.frames[pfn];
                assert_eq!(
                    (v.refcount, v.mapcount, v.content),
                    (f.refcount, f.mapcount, f.content),
                    "pfn {pfn:#x}"
                );
            }
            assert!(end.locks.is_empty());
            assert_eq!(end.counters, lane.counters);
            // Seeking backwards equals replaying forwards from scratch.
            let mid = tl.len() / 2;
            let mut fwd = ViewState::from_world(&setup.world);
            for e in &tl.events()[..mid] {
                fwd.apply(e);
            }
            assert_eq!(tl.state_at(mid), fwd);
            // And forwards again from there, through the cursor cache.
            let mut fwd2 = fwd;
            for e in &tl.events()[mid..] {
                fwd2.apply(e);
            }
            assert_eq!(*tl.state(tl.len()), fwd2);
            // Any order of seeks (through the cache and the checkpoints) gives what a fresh replay gives.
            let len = tl.len();
            for step in [len, 0, len / 2, len / 3, len / 2 + 1, len / 2, 1, len] {
                let mut fresh = ViewState::from_world(&setup.world);
                for e in &tl.events()[..step] {
                    fresh.apply(e);
                }
                assert_eq!(*tl.state(step), fresh, "{} at {step}", lane.strategy.name());
            }
        }
    }

    /// Long traces space their checkpoints so there are never more than MAX_CHECKPOINTS, and still seek exactly.
    #[test]
    fn long_traces_keep_few_checkpoints() {
        let states = parse_states("P*3000").unwrap();
        let setup = Setup::from_states(&states);
        let lane = compare(&states, &RunConfig::default()).lanes.remove(2);
        let tl = Timeline::new(
            ViewState::from_world(&setup.world),
            lane.report.events.clone(),
        );
        assert!(
            tl.len() > MAX_CHECKPOINTS * CHECKPOINT_EVERY,
            "{} events",
            tl.len()
        );
        assert!(tl.checkpoints.len() <= MAX_CHECKPOINTS + 1);
        for step in [tl.len() - 1, 7, tl.len() / 3] {
            let mut fresh = ViewState::from_world(&setup.world);
            for e in &tl.events()[..step] {
                fresh.apply(e);
            }
            assert_eq!(*tl.state(step), fresh);
        }
    }
}
