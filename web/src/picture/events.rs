//! The one place that reads raw trace events field by field (`Event::kind`, `a`, `b`, `c`): what a move
//! touched, the call and lock spans of a trace, which events the transport can jump to, whether a step is a
//! call. Everything else in the app asks these functions; a typed event from hmm-sim replaces this file alone.

use std::collections::{BTreeMap, BTreeSet};

use hmm_sim::{Event, Func, Kind, LockId, Tid};

use super::spans::{Spans, ThreadSpan};
use super::CHANGE_WINDOW;
use crate::comparison::JumpKind;

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

/// An array slot packed in an event field: the array's id in the top byte, the index below.
fn slot(packed: u32) -> (u8, u32) {
    ((packed >> 24) as u8, packed & 0xff_ffff)
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
            t.add(e);
        }
        t.counters = true;
        t
    }

    fn add(&mut self, e: &Event) {
        match e.kind {
            Kind::PteWrite => {
                let (mm, vpn) = hmm_sim::unpack_page(e.a);
                if mm == 0 {
                    self.pages.insert(vpn);
                }
            }
            Kind::Ref | Kind::Map | Kind::Flag | Kind::Alloc | Kind::Free | Kind::Content => {
                self.frames.insert(e.a);
            }
            Kind::Copy => {
                self.frames.insert(e.b);
            }
            Kind::LockAcquire | Kind::LockRelease => {
                let lock = LockId::unpack(e.a);
                if let LockId::Folio(pfn) = lock {
                    self.frames.insert(pfn);
                }
                self.locks.insert(lock);
            }
            Kind::Src => {
                self.src.insert(slot(e.a));
            }
            Kind::Dst => {
                self.dst.insert(slot(e.a));
            }
            Kind::HmmPfn => {
                self.hmm.insert(slot(e.a));
            }
            Kind::Seq => {
                self.seqs.insert(e.a);
            }
            _ => {}
        }
    }
}

/// Function-call and lock-hold spans of a whole trace, sorted by start.
pub fn spans_of(events: &[Event]) -> Spans {
    let mut calls: Vec<ThreadSpan<Func>> = Vec::new();
    let mut locks: Vec<ThreadSpan<LockId>> = Vec::new();
    let mut max_depth = 0;
    let mut open_calls: BTreeMap<Tid, Vec<usize>> = BTreeMap::new();
    let mut open_locks: BTreeMap<(Tid, LockId), usize> = BTreeMap::new();
    let mut threads = BTreeSet::new();
    for (i, e) in events.iter().enumerate() {
        threads.insert(e.thread);
        match e.kind {
            Kind::Call => {
                let stack = open_calls.entry(e.thread).or_default();
                max_depth = max_depth.max(stack.len() + 1);
                calls.push(ThreadSpan {
                    thread: e.thread,
                    what: e.func,
                    row: stack.len(),
                    start: i,
                    end: events.len(),
                });
                stack.push(calls.len() - 1);
            }
            Kind::Return => {
                if let Some(k) = open_calls.entry(e.thread).or_default().pop() {
                    calls[k].end = i + 1;
                }
            }
            Kind::LockAcquire => {
                let lock = LockId::unpack(e.a);
                locks.push(ThreadSpan {
                    thread: e.thread,
                    what: lock,
                    row: 0,
                    start: i,
                    end: events.len(),
                });
                open_locks.insert((e.thread, lock), locks.len() - 1);
            }
            Kind::LockRelease => {
                if let Some(k) = open_locks.remove(&(e.thread, LockId::unpack(e.a))) {
                    locks[k].end = i + 1;
                }
            }
            _ => {}
        }
    }
    Spans::new(calls, locks, threads.into_iter().collect(), max_depth)
}

/// Does event `e` start something of this kind?
pub fn starts(kind: JumpKind, e: &Event) -> bool {
    match kind {
        JumpKind::Walk => e.kind == Kind::WalkBegin,
        JumpKind::Lock => e.kind == Kind::LockAcquire,
        JumpKind::Fault => e.kind == Kind::Fault,
        JumpKind::MigrationEntry => {
            e.kind == Kind::PteWrite && hmm_sim::Pte::unpack(e.c).kind().is_migration()
        }
        JumpKind::Milestone => e.kind == Kind::Milestone,
    }
}

/// Is `e` a function call (the narration marks calls)?
pub fn is_call(e: &Event) -> bool {
    e.kind == Kind::Call
}
