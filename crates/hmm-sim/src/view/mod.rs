//! Time travel: the state of the world at any step of a trace, for viewers.
//!
//! A [`Timeline`] replays events forward from the set-up world and keeps sparse checkpoints, so seeking to
//! any step (backwards included) is one clone plus a bounded number of applications. Viewers read [`ViewState`]; they never re-implement kernel semantics: every field is
//! moved only by the events the simulator recorded.

mod chunk_map;
mod holders;
mod narrate;
#[cfg(test)]
mod tests;
mod timeline;
mod touched;

pub use chunk_map::{ChunkMap, SharedChunk, CHUNK as CHUNK_KEYS};
pub use holders::Holders;
pub use narrate::narrate;
pub use timeline::{Timeline, TimelineBuilder, CHECKPOINT_EVERY, MAX_CHECKPOINTS};
pub use touched::{Touched, TouchedSet};

use crate::pte::{Pfn, Pte};
use crate::trace::WaitOn;
use crate::trace::*;
use crate::world::{DptEntry, World, Zone, PTRS_PER_PTE};
use std::collections::BTreeMap;

/// [`ViewState::from_world`] a slice at a time: the PTE tables (where nearly all of a large world is) a few at
/// a time in (mm, PMD) order, then everything else at once. A page that must stay responsive while it views a
/// 1 GiB set-up world (`InitialViewBuilder`) does it this way; the result is the same view.
#[derive(Default)]
pub(crate) struct WorldViewer {
    view: ViewState,
    /// The next (mm, PMD index) whose PTE table to read.
    next: (usize, usize),
}

impl WorldViewer {
    /// Read at most `max_tables` more PTE tables of `w` (an absent table counts as none read). True once every
    /// table is read.
    pub(crate) fn tables(&mut self, w: &World, max_tables: usize) -> bool {
        let mut read = 0;
        while let Some(mm) = w.mms.get(self.next.0) {
            let (m, pmd) = self.next;
            if !mm.alive || pmd >= mm.pmds.len() {
                self.next = (m + 1, 0);
                continue;
            }
            if read == max_tables {
                return false;
            }
            self.next.1 += 1;
            let Some(t) = &mm.pmds[pmd] else { continue };
            read += 1;
            for (i, &pte) in t.ptes.iter().enumerate() {
                if pte != Pte::None {
                    self.view
                        .ptes
                        .insert((mm.id, pmd as u32 * PTRS_PER_PTE + i as u32), pte);
                    if let Some(pfn) = pte.pfn() {
                        self.view.touch_frame(w, pfn);
                    }
                }
            }
        }
        true
    }

    /// The view: the PTE tables not read yet, then the PMD leaves, sequences, mirrors and swap.
    pub(crate) fn finish(mut self, w: &World) -> ViewState {
        self.tables(w, usize::MAX);
        let v = &mut self.view;
        for mm in w.mms.iter().filter(|m| m.alive) {
            for (&pmd, h) in mm.huge.iter().filter(|(_, h)| h.entry != Pte::None) {
                v.pmds.insert((mm.id, pmd * PTRS_PER_PTE), h.entry);
                if let Some(pfn) = h.entry.pfn() {
                    v.touch_frame(w, pfn);
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
        self.view
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameView {
    pub zone: Zone,
    pub refcount: i32,
    pub mapcount: i32,
    /// A THP head's entire (PMD) mapcount.
    pub entire_mapcount: i32,
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
    pub ptes: ChunkMap<(u8, u32), Pte>,
    /// PMD leaves: (mm, first page of the 2 MiB) → entry (PTE vocabulary: `Present` of the THP head).
    pub pmds: ChunkMap<(u8, u32), Pte>,
    /// Frames that any PTE, array or event of this trace refers to.
    pub frames: ChunkMap<Pfn, FrameView>,
    /// Device-private frames in use (refcount > 0), by (device, pfn): kept in step with `frames` so a
    /// viewer lists and counts a device's pages without scanning every frame ([`ViewState::device_pages`]).
    device_in_use: ChunkMap<(u8, Pfn), ()>,
    /// How many entries of `device_in_use` each device has.
    device_counts: BTreeMap<u8, usize>,
    /// Folio locks by (holder, pfn), in step with `locks`: a thread's held locks without scanning the lock
    /// table, where a driver may hold one folio lock per page of a 1 GiB range ([`ViewState::held_by`]).
    folio_locks: ChunkMap<(Tid, Pfn), ()>,
    /// How many entries of `folio_locks` each thread has.
    folio_lock_counts: BTreeMap<Tid, usize>,
    /// Held locks: lock → holders (several for `mmap_lock` read).
    pub locks: ChunkMap<LockId, Holders>,
    /// `src[]`/`dst[]` of each `migrate_vma` instance (keyed by array id, index).
    pub src: ChunkMap<(u8, u32), u32>,
    pub dst: ChunkMap<(u8, u32), u32>,
    pub hmm_pfns: ChunkMap<(u8, u32), u64>,
    /// Device page tables: (mirror, page) → packed `DptEntry`.
    pub dev_pt: ChunkMap<(u8, u32), u32>,
    pub seqs: BTreeMap<u32, u32>,
    pub swap: ChunkMap<u32, u32>,
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
    /// What maps page `vpn` of `mm` at this step: its PTE, or the PMD leaf covering it narrowed to the page
    /// (`Present` of subpage `head + i`; the huge zero page as the zero page), as `Mm::entry` reads a world.
    pub fn entry(&self, mm: u8, vpn: u32) -> Pte {
        match self.pmd_leaf(mm, vpn) {
            Some((h, leaf)) => leaf.subpage(vpn - h),
            None => self.ptes.get(&(mm, vpn)).copied().unwrap_or(Pte::None),
        }
    }

    /// The PMD leaf mapping the 2 MiB that holds page `vpn` of `mm`, if one does: (its first page, the leaf).
    pub fn pmd_leaf(&self, mm: u8, vpn: u32) -> Option<(u32, Pte)> {
        let h = vpn - vpn % PTRS_PER_PTE;
        self.pmds.get(&(mm, h)).map(|&leaf| (h, leaf))
    }

    /// The set-up world, restricted to what viewers show.
    pub fn from_world(w: &World) -> ViewState {
        let mut viewer = WorldViewer::default();
        viewer.tables(w, usize::MAX);
        viewer.finish(w)
    }

    fn touch_frame(&mut self, w: &World, pfn: Pfn) {
        if let Some(f) = w.frames.get(pfn as usize) {
            let before = self.device_key(pfn);
            self.frames.get_or_insert_with(pfn, || FrameView {
                zone: f.zone,
                refcount: f.refcount,
                mapcount: f.mapcount,
                entire_mapcount: f.entire_mapcount,
                locked_by: f.locked,
                anon_exclusive: f.anon_exclusive,
                lru: f.lru,
                content: f.content,
            });
            self.sync_device_index(pfn, before);
        }
    }

    /// The device whose in-use device-private page `pfn` is, if it is one.
    fn device_key(&self, pfn: Pfn) -> Option<u8> {
        match self.frames.get(&pfn) {
            Some(FrameView {
                zone: Zone::DevicePrivate(dev),
                refcount,
                ..
            }) if *refcount > 0 => Some(*dev),
            _ => None,
        }
    }

    /// Bring the device index up to date for `pfn`, which was in it under `before`.
    fn sync_device_index(&mut self, pfn: Pfn, before: Option<u8>) {
        let after = self.device_key(pfn);
        if before == after {
            return;
        }
        if let Some(dev) = before {
            self.device_in_use.remove(&(dev, pfn));
            *self.device_counts.entry(dev).or_default() -= 1;
        }
        if let Some(dev) = after {
            self.device_in_use.insert((dev, pfn), ());
            *self.device_counts.entry(dev).or_default() += 1;
        }
    }

    /// Device `dev`'s private pages in use (refcount > 0), in pfn order, and how many there are: without
    /// scanning every frame.
    pub fn device_pages(&self, dev: u8) -> (impl Iterator<Item = Pfn> + '_, usize) {
        let pfns = self
            .device_in_use
            .range((dev, 0)..=(dev, Pfn::MAX))
            .map(|(&(_, pfn), _)| pfn);
        (pfns, self.device_counts.get(&dev).copied().unwrap_or(0))
    }

    fn frame(&mut self, pfn: Pfn) -> &mut FrameView {
        self.frames.get_or_insert_with(pfn, || FrameView {
            zone: Zone::System,
            refcount: 0,
            mapcount: 0,
            entire_mapcount: 0,
            locked_by: None,
            anon_exclusive: false,
            lru: false,
            content: 0,
        })
    }

    /// Apply one event; returns what it changed (for highlighting), with no allocation.
    pub fn apply(&mut self, e: &Event) -> Touched {
        let ev = e.decode();
        self.counters.observe_ev(&ev);
        self.step += 1;
        self.apply_ev(e.thread, e.func, &ev);
        Touched::of(e.thread, &ev)
    }

    fn apply_ev(&mut self, thread: Tid, func: Func, ev: &Ev) {
        match *ev {
            Ev::Call { .. } => self.stacks.entry(thread).or_default().push(func),
            Ev::Return { .. } => {
                self.stacks.entry(thread).or_default().pop();
            }
            Ev::PteRead {
                page, visit: true, ..
            } => {
                self.cursor.insert(thread, page.key());
                self.walker.insert(thread, Level::Pte);
            }
            Ev::Descend { level, .. } => {
                self.walker.insert(thread, level);
            }
            Ev::WalkBegin { .. } | Ev::WalkEnd { .. } => {
                self.walker.remove(&thread);
            }
            Ev::PteWrite { page, new, .. } => {
                if new == Pte::None {
                    self.ptes.remove(&page.key());
                } else {
                    self.ptes.insert(page.key(), new);
                }
            }
            Ev::PmdWrite { page, new, .. } => {
                if new == Pte::None {
                    self.pmds.remove(&page.key());
                } else {
                    self.pmds.insert(page.key(), new);
                }
            }
            Ev::LockAcquire { lock, .. } => {
                self.locks
                    .get_or_insert_with(lock, Holders::new)
                    .push(thread);
                // Keep PG_locked in the frame view in step with the lock table.
                if let LockId::Folio(pfn) = lock {
                    self.frame(pfn).locked_by = Some(thread);
                    if self.folio_locks.insert((thread, pfn), ()).is_none() {
                        *self.folio_lock_counts.entry(thread).or_default() += 1;
                    }
                }
            }
            Ev::LockRelease { lock, .. } => self.release(thread, lock),
            Ev::Ref { .. }
            | Ev::Map { .. }
            | Ev::EntireMap { .. }
            | Ev::Flag { .. }
            | Ev::Alloc { .. }
            | Ev::Free { .. }
            | Ev::Copy { .. }
            | Ev::Content { .. } => self.apply_frame(ev),
            Ev::Src { slot, new, .. } => {
                self.src.insert(slot.key(), new);
            }
            Ev::Dst { slot, new, .. } => {
                self.dst.insert(slot.key(), new);
            }
            Ev::HmmPfn { slot, value } => {
                self.hmm_pfns.insert(slot.key(), value);
            }
            Ev::DevPt { slot, new, .. } => match new {
                None => {
                    self.dev_pt.remove(&slot.key());
                }
                Some(_) => {
                    self.dev_pt.insert(slot.key(), DptEntry::pack(new));
                }
            },
            Ev::Seq { seq, new, .. } => {
                self.seqs.insert(seq.pack(), new);
            }
            Ev::Swap { slot, new, .. } => match new {
                None => {
                    self.swap.remove(&slot);
                }
                Some(token) => {
                    self.swap.insert(slot, token);
                }
            },
            Ev::NotifierStart { range } => self.notifiers.push(range.pack()),
            Ev::NotifierEnd { range } => {
                if let Some(i) = self.notifiers.iter().rposition(|n| *n == range.pack()) {
                    self.notifiers.remove(i);
                }
            }
            Ev::Thread { tid, waits_on, .. } => match waits_on {
                Some(w) => {
                    self.blocked.insert(tid, w.pack());
                }
                None => {
                    self.blocked.remove(&tid);
                }
            },
            Ev::Milestone { milestone } => self.last_milestone = Some(milestone),
            _ => {}
        }
    }

    /// Events about one frame's view (and the device index, which follows refcounts and zones).
    fn apply_frame(&mut self, ev: &Ev) {
        let pfn = match *ev {
            Ev::Ref { pfn, .. } | Ev::Alloc { pfn, .. } | Ev::Free { pfn, .. } => Some(pfn),
            _ => None,
        };
        let before = pfn.and_then(|p| self.device_key(p));
        self.apply_frame_fields(ev);
        if let Some(pfn) = pfn {
            self.sync_device_index(pfn, before);
        }
    }

    fn apply_frame_fields(&mut self, ev: &Ev) {
        match *ev {
            Ev::Ref { pfn, new, .. } => self.frame(pfn).refcount = new,
            Ev::Map { pfn, new, .. } => self.frame(pfn).mapcount = new,
            Ev::EntireMap { pfn, new, .. } => self.frame(pfn).entire_mapcount = new,
            Ev::Flag { pfn, flag, value } => {
                let f = self.frame(pfn);
                match flag {
                    FolioFlag::AnonExclusive => f.anon_exclusive = value,
                    FolioFlag::Lru => f.lru = value,
                    // Page-cache state is not part of the frame view (yet).
                    FolioFlag::Dirty | FolioFlag::Writeback => {}
                }
            }
            Ev::Alloc { pfn, zone } => {
                let f = self.frame(pfn);
                *f = FrameView {
                    zone,
                    refcount: 0,
                    mapcount: 0,
                    entire_mapcount: 0,
                    locked_by: None,
                    anon_exclusive: false,
                    lru: false,
                    content: f.content,
                };
            }
            Ev::Free { pfn, .. } => {
                self.frames.remove(&pfn);
            }
            Ev::Copy { dst, content, .. } => self.frame(dst).content = content,
            Ev::Content { pfn, new, .. } => self.frame(pfn).content = new,
            _ => {}
        }
    }

    fn release(&mut self, thread: Tid, lock: LockId) {
        let mut released_by = None;
        if let Some(held) = self.locks.get(&lock) {
            let mut h = held.clone();
            // The releasing thread's hold, or (a lock released on another's behalf) the last one taken.
            released_by = match h.iter().position(|&t| t == thread) {
                Some(i) => Some(h.remove(i)),
                None => h.pop(),
            };
            if h.is_empty() {
                self.locks.remove(&lock);
            } else {
                self.locks.insert(lock, h);
            }
        }
        if let LockId::Folio(pfn) = lock {
            self.frame(pfn).locked_by = None;
            let still_held = self
                .locks
                .get(&lock)
                .is_some_and(|h| released_by.is_some_and(|t| h.contains(&t)));
            if let Some(holder) = released_by.filter(|_| !still_held) {
                if self.folio_locks.remove(&(holder, pfn)).is_some() {
                    *self.folio_lock_counts.entry(holder).or_default() -= 1;
                }
            }
        }
    }

    /// The highest pfn among `thread`'s folio locks (with [`ViewState::held_by`]'s first one, the span a
    /// summary shows), found without walking the others.
    pub fn last_folio_locked_by(&self, thread: Tid) -> Option<Pfn> {
        self.folio_locks
            .last_in((thread, 0), (thread, Pfn::MAX))
            .map(|(&(_, pfn), _)| pfn)
    }

    /// What `thread` holds: every lock but folio locks (in lock order), then its folio locks' pfns in order
    /// and how many there are, from the view's per-thread index rather than a scan of the lock table.
    pub fn held_by(&self, thread: Tid) -> (Vec<LockId>, impl Iterator<Item = Pfn> + '_, usize) {
        use std::ops::Bound;
        let before = self.locks.range(..LockId::Folio(0));
        let after = self
            .locks
            .range((Bound::Excluded(LockId::Folio(Pfn::MAX)), Bound::Unbounded));
        let others = before
            .chain(after)
            .filter(|(_, holders)| holders.contains(&thread))
            .map(|(&lock, _)| lock)
            .collect();
        let folios = self
            .folio_locks
            .range((thread, 0)..=(thread, Pfn::MAX))
            .map(|(&(_, pfn), _)| pfn);
        let count = self.folio_lock_counts.get(&thread).copied().unwrap_or(0);
        (others, folios, count)
    }

    /// Every shareable allocation of the large maps (chunks, group indexes), as (address, bytes): checkpoints
    /// that share one report the same address ([`Timeline::bytes_held`] counts each once).
    fn shared_allocations(&self, each: &mut dyn FnMut(usize, usize)) {
        let maps = [
            self.ptes.shared_allocations().collect::<Vec<_>>(),
            self.pmds.shared_allocations().collect(),
            self.frames.shared_allocations().collect(),
            self.src.shared_allocations().collect(),
            self.dst.shared_allocations().collect(),
            self.hmm_pfns.shared_allocations().collect(),
            self.dev_pt.shared_allocations().collect(),
            self.swap.shared_allocations().collect(),
            self.locks.shared_allocations().collect(),
            self.device_in_use.shared_allocations().collect(),
            self.folio_locks.shared_allocations().collect(),
        ];
        for (ptr, bytes) in maps.into_iter().flatten() {
            each(ptr, bytes);
        }
    }

    /// Bytes of the large maps' group indexes: what every copy of this view holds of its own.
    fn index_bytes(&self) -> usize {
        self.ptes.index_bytes()
            + self.pmds.index_bytes()
            + self.frames.index_bytes()
            + self.src.index_bytes()
            + self.dst.index_bytes()
            + self.hmm_pfns.index_bytes()
            + self.dev_pt.index_bytes()
            + self.swap.index_bytes()
            + self.locks.index_bytes()
            + self.device_in_use.index_bytes()
            + self.folio_locks.index_bytes()
    }

    /// Bytes of the small tables (stacks, sequences, threads; an estimate: entries times their size,
    /// doubled for B-tree nodes), also held by every copy.
    fn small_bytes(&self) -> usize {
        let stacks: usize = self.stacks.values().map(|s| s.capacity()).sum();
        2 * (self.stacks.len() * std::mem::size_of::<Vec<Func>>()
            + (self.seqs.len()
                + self.blocked.len()
                + self.device_counts.len()
                + self.folio_lock_counts.len())
                * 8
            + (self.cursor.len() + self.walker.len()) * 8)
            + stacks * std::mem::size_of::<Func>()
            + self.notifiers.capacity() * 12
    }

    /// The open invalidations, typed.
    pub fn open_invalidations(&self) -> impl Iterator<Item = Invalidation> + '_ {
        self.notifiers.iter().map(|&n| Invalidation::unpack(n))
    }

    /// What each blocked thread waits on, typed.
    pub fn waiting(&self) -> impl Iterator<Item = (Tid, WaitOn)> + '_ {
        self.blocked.iter().map(|(&t, &w)| (t, WaitOn::unpack(w)))
    }

    /// Every notifier sequence with its value, typed (in `seqs` order: each mm's, then subscriptions').
    pub fn sequences(&self) -> impl Iterator<Item = (SeqId, u32)> + '_ {
        self.seqs.iter().map(|(&id, &v)| (SeqId::unpack(id), v))
    }

    /// The value of sequence `id`, if this trace has it.
    pub fn seq(&self, id: SeqId) -> Option<u32> {
        self.seqs.get(&id.pack()).copied()
    }
}
