//! The one place the packed fields `a`/`b`/`c` are read and written: [`Event::decode`] and
//! [`Event::from_ev`] (with [`Ev::fields`]) are inverses; a test checks every event of real traces.

use super::ev::{Invalidation, Page, RefMismatch, Slot};
use super::ids::WaitOn;
use super::ids::{
    fault, FolioFlag, Level, LockId, Milestone, RetryReason, SeqId, ThreadState, WalkKind,
};
use super::{Ev, Event, Func, Kind, Tid};
use crate::pte::Pte;
use crate::world::{DptEntry, Zone};

/// Device-coherent zones are packed above this bit (device ids stay below it).
const COHERENT_ZONE_BIT: u32 = 1 << 8;

fn zone_of(bits: u32) -> Zone {
    match bits {
        0 => Zone::System,
        n if n & COHERENT_ZONE_BIT != 0 => Zone::DeviceCoherent((n & !COHERENT_ZONE_BIT) as u8),
        n => Zone::DevicePrivate((n - 1) as u8),
    }
}

fn zone_bits(zone: Zone) -> u32 {
    match zone {
        Zone::System | Zone::Zero => 0,
        Zone::DevicePrivate(d) => 1 + d as u32,
        Zone::DeviceCoherent(d) => COHERENT_ZONE_BIT | d as u32,
    }
}

impl Event {
    /// The typed form of this event. Fields this build would never write decode as [`Ev::Malformed`].
    pub fn decode(&self) -> Ev {
        let ev = Ev::decode_fields(self.kind, self.a, self.b, self.c);
        match ev {
            Some(ev) if ev.fields() == (self.a, self.b, self.c) => ev,
            _ => Ev::Malformed {
                kind: self.kind,
                a: self.a,
                b: self.b,
                c: self.c,
            },
        }
    }

    /// The packed event for `ev`, by `thread` in `func`: the inverse of [`Event::decode`].
    pub fn from_ev(thread: Tid, func: Func, ev: Ev) -> Event {
        let (a, b, c) = ev.fields();
        Event {
            kind: ev.kind(),
            thread,
            func,
            a,
            b,
            c,
        }
    }
}

impl Ev {
    /// A `Fault` event for `page` from `handle_mm_fault`'s `fault::*` flags.
    pub fn fault(page: Page, flags: u32) -> Ev {
        Ev::Fault {
            page,
            write: flags & fault::WRITE != 0,
            remote: flags & fault::REMOTE != 0,
            ahead: flags & fault::AHEAD != 0,
        }
    }

    /// Typed reading of packed fields, unchecked ([`Event::decode`] checks the result re-encodes); None when a
    /// field holds no value of its type.
    fn decode_fields(kind: Kind, a: u32, b: u32, c: u32) -> Option<Ev> {
        match kind {
            Kind::Call
            | Kind::Return
            | Kind::WalkBegin
            | Kind::WalkEnd
            | Kind::Descend
            | Kind::PteRead
            | Kind::PteWrite
            | Kind::PmdWrite
            | Kind::Fault
            | Kind::TlbFlush => Ev::decode_walk(kind, a, b, c),
            Kind::LockAcquire | Kind::LockRelease | Kind::LockContended | Kind::Thread => {
                Ev::decode_sched(kind, a, b, c)
            }
            Kind::Ref
            | Kind::Map
            | Kind::Flag
            | Kind::Alloc
            | Kind::Free
            | Kind::Copy
            | Kind::Content
            | Kind::EntireMap
            | Kind::Swap => Ev::decode_frame(kind, a, b, c),
            _ => Ev::decode_other(kind, a, b, c),
        }
    }

    /// Calls, walks, PTEs, faults, TLB flushes.
    fn decode_walk(kind: Kind, a: u32, b: u32, c: u32) -> Option<Ev> {
        let page = Page::unpack(a);
        Some(match kind {
            Kind::Call => Ev::Call { arg: a },
            Kind::Return => Ev::Return { ret: a as i32 },
            Kind::WalkBegin => Ev::WalkBegin {
                walk: WalkKind::from_u32(c)?,
                start: a,
                end: b,
            },
            Kind::WalkEnd => Ev::WalkEnd {
                walk: WalkKind::from_u32(c)?,
                start: a,
                end: b,
            },
            Kind::Descend => Ev::Descend {
                page,
                level: Level::from_u32(b),
            },
            Kind::PteRead => Ev::PteRead {
                page,
                pte: Pte::unpack(b),
                visit: c == 1,
            },
            Kind::PteWrite => Ev::PteWrite {
                page,
                old: Pte::unpack(b),
                new: Pte::unpack(c),
            },
            Kind::PmdWrite => Ev::PmdWrite {
                page,
                old: Pte::unpack(b),
                new: Pte::unpack(c),
            },
            Kind::Fault => Ev::fault(page, b),
            Kind::TlbFlush => Ev::TlbFlush { start: a, end: b },
            _ => return None,
        })
    }

    /// Locks and scheduling.
    fn decode_sched(kind: Kind, a: u32, b: u32, c: u32) -> Option<Ev> {
        let (lock, shared) = (LockId::unpack(a), b == 1);
        Some(match kind {
            Kind::LockAcquire => Ev::LockAcquire { lock, shared },
            Kind::LockRelease => Ev::LockRelease { lock, shared },
            Kind::LockContended => Ev::LockContended {
                lock,
                shared,
                holder: c.checked_sub(1).map(|t| t as Tid),
            },
            Kind::Thread => {
                let state = ThreadState::from_u32(b)?;
                let waits_on = (state == ThreadState::Blocked).then(|| WaitOn::unpack(c));
                Ev::Thread {
                    tid: a as Tid,
                    state,
                    waits_on,
                }
            }
            _ => return None,
        })
    }

    /// Frames and swap slots.
    fn decode_frame(kind: Kind, a: u32, b: u32, c: u32) -> Option<Ev> {
        let pfn = a;
        Some(match kind {
            Kind::Ref => Ev::Ref {
                pfn,
                new: b as i32,
                old: c as i32,
            },
            Kind::Map => Ev::Map {
                pfn,
                new: b as i32,
                old: c as i32,
            },
            Kind::EntireMap => Ev::EntireMap {
                pfn,
                new: b as i32,
                old: c as i32,
            },
            Kind::Flag => Ev::Flag {
                pfn,
                flag: FolioFlag::from_u32(b)?,
                value: c == 1,
            },
            Kind::Alloc => Ev::Alloc {
                pfn,
                zone: zone_of(b),
            },
            Kind::Free => Ev::Free {
                pfn,
                zone: zone_of(b),
            },
            Kind::Copy => Ev::Copy {
                src: a,
                dst: b,
                content: c,
            },
            Kind::Content => Ev::Content {
                pfn,
                old: b,
                new: c,
            },
            Kind::Swap => Ev::Swap {
                slot: a,
                old: b.checked_sub(1),
                new: c.checked_sub(1),
            },
            _ => return None,
        })
    }

    /// Notifiers, per-call arrays, device page tables, retries, errors, milestones.
    fn decode_other(kind: Kind, a: u32, b: u32, c: u32) -> Option<Ev> {
        let slot = Slot::unpack(a);
        Some(match kind {
            Kind::NotifierStart => Ev::NotifierStart {
                range: Invalidation::unpack((a, b, c)),
            },
            Kind::NotifierEnd => Ev::NotifierEnd {
                range: Invalidation::unpack((a, b, c)),
            },
            Kind::Seq => Ev::Seq {
                seq: SeqId::unpack(a),
                old: b,
                new: c,
            },
            Kind::Src => Ev::Src {
                slot,
                old: b,
                new: c,
            },
            Kind::Dst => Ev::Dst {
                slot,
                old: b,
                new: c,
            },
            Kind::HmmPfn => Ev::HmmPfn {
                slot,
                value: (c as u64) << 32 | b as u64,
            },
            Kind::DevPt => Ev::DevPt {
                slot,
                old: DptEntry::unpack(b),
                new: DptEntry::unpack(c),
            },
            Kind::Retry => Ev::Retry {
                reason: RetryReason::from_u32(a)?,
            },
            Kind::Error => Ev::Error {
                errno: (a as i32).wrapping_neg(),
                refs: (b, c).ne(&(0, 0)).then_some(RefMismatch {
                    found: b as i32,
                    expected: c as i32,
                }),
            },
            Kind::Milestone => Ev::Milestone {
                milestone: Milestone::from_u32(a)?,
            },
            _ => return None,
        })
    }

    /// The packed `(a, b, c)` fields of this event: the trace's 16-byte form.
    pub fn fields(&self) -> (u32, u32, u32) {
        match *self {
            Ev::Call { arg } => (arg, 0, 0),
            Ev::Return { ret } => (ret as u32, 0, 0),
            Ev::WalkBegin { walk, start, end } | Ev::WalkEnd { walk, start, end } => {
                (start, end, walk as u32)
            }
            Ev::Descend { page, level } => (page.pack(), level as u32, 0),
            Ev::PteRead { page, pte, visit } => (page.pack(), pte.pack(), visit as u32),
            Ev::PteWrite { page, old, new } | Ev::PmdWrite { page, old, new } => {
                (page.pack(), old.pack(), new.pack())
            }
            Ev::LockAcquire { lock, shared } | Ev::LockRelease { lock, shared } => {
                (lock.pack(), shared as u32, 0)
            }
            Ev::LockContended {
                lock,
                shared,
                holder,
            } => (
                lock.pack(),
                shared as u32,
                holder.map_or(0, |t| t as u32 + 1),
            ),
            Ev::Ref { pfn, old, new }
            | Ev::Map { pfn, old, new }
            | Ev::EntireMap { pfn, old, new } => (pfn, new as u32, old as u32),
            Ev::Flag { pfn, flag, value } => (pfn, flag as u32, value as u32),
            Ev::Fault {
                page,
                write,
                remote,
                ahead,
            } => {
                let flags = (write as u32 * fault::WRITE)
                    | (remote as u32 * fault::REMOTE)
                    | (ahead as u32 * fault::AHEAD);
                (page.pack(), flags, 0)
            }
            Ev::NotifierStart { range } | Ev::NotifierEnd { range } => range.pack(),
            Ev::Seq { seq, old, new } => (seq.pack(), old, new),
            Ev::Alloc { pfn, zone } | Ev::Free { pfn, zone } => (pfn, zone_bits(zone), 0),
            Ev::Copy { src, dst, content } => (src, dst, content),
            Ev::Content { pfn, old, new } => (pfn, old, new),
            Ev::Src { slot, old, new } | Ev::Dst { slot, old, new } => (slot.pack(), old, new),
            Ev::HmmPfn { slot, value } => (slot.pack(), value as u32, (value >> 32) as u32),
            Ev::DevPt { slot, old, new } => (slot.pack(), DptEntry::pack(old), DptEntry::pack(new)),
            Ev::Swap { slot, old, new } => {
                (slot, old.map_or(0, |t| t + 1), new.map_or(0, |t| t + 1))
            }
            Ev::TlbFlush { start, end } => (start, end, 0),
            Ev::Retry { reason } => (reason as u32, 0, 0),
            Ev::Error { errno, refs } => {
                let (b, c) = refs.map_or((0, 0), |r| (r.found as u32, r.expected as u32));
                (errno.unsigned_abs(), b, c)
            }
            Ev::Milestone { milestone } => (milestone as u32, 0, 0),
            Ev::Thread {
                tid,
                state,
                waits_on,
            } => (tid as u32, state as u32, waits_on.map_or(0, WaitOn::pack)),
            Ev::Malformed { a, b, c, .. } => (a, b, c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pte::MigrationKind;
    use crate::trace::NotifyEvent;

    fn round_trip(ev: Ev) {
        let e = Event::from_ev(2, Func::HmmVmaFault, ev);
        assert_eq!(e.decode(), ev, "{e:?}");
        assert_eq!(Event::from_ev(e.thread, e.func, e.decode()), e);
    }

    #[test]
    fn samples_round_trip() {
        let page = Page { mm: 1, vpn: 0x1234 };
        let slot = Slot {
            array: 3,
            index: 511,
        };
        for ev in [
            Ev::Call { arg: page.pack() },
            Ev::Return {
                ret: crate::errno::EBUSY,
            },
            Ev::WalkBegin {
                walk: WalkKind::Logical,
                start: 5,
                end: 9,
            },
            Ev::Descend {
                page,
                level: Level::Pmd,
            },
            Ev::PteRead {
                page,
                pte: Pte::Zero,
                visit: true,
            },
            Ev::PteWrite {
                page,
                old: Pte::Present {
                    pfn: 9,
                    write: true,
                    dirty: true,
                },
                new: Pte::Migration {
                    pfn: 9,
                    kind: MigrationKind::Write,
                },
            },
            Ev::LockContended {
                lock: LockId::MmapLock(0),
                shared: false,
                holder: None,
            },
            Ev::LockContended {
                lock: LockId::Folio(7),
                shared: true,
                holder: Some(3),
            },
            Ev::Ref {
                pfn: 7,
                old: 2,
                new: 1,
            },
            Ev::Map {
                pfn: 7,
                old: 0,
                new: -1,
            },
            Ev::EntireMap {
                pfn: 512,
                old: 1,
                new: 0,
            },
            Ev::PmdWrite {
                page: Page {
                    mm: 0,
                    vpn: 0x10000,
                },
                old: Pte::Present {
                    pfn: 512,
                    write: true,
                    dirty: true,
                },
                new: Pte::Migration {
                    pfn: 512,
                    kind: MigrationKind::Write,
                },
            },
            Ev::Flag {
                pfn: 7,
                flag: FolioFlag::Lru,
                value: true,
            },
            Ev::Fault {
                page,
                write: true,
                remote: true,
                ahead: false,
            },
            Ev::NotifierStart {
                range: Invalidation {
                    event: NotifyEvent::Migrate,
                    owner: 2,
                    start: 0,
                    end: 64,
                },
            },
            Ev::Seq {
                seq: SeqId::Sub { dev: 1, mm: 0 },
                old: 4,
                new: 5,
            },
            Ev::Alloc {
                pfn: 70,
                zone: Zone::DevicePrivate(1),
            },
            Ev::Free {
                pfn: 70,
                zone: Zone::System,
            },
            Ev::Src {
                slot,
                old: 0,
                new: 0x13,
            },
            Ev::HmmPfn {
                slot,
                value: 0x8000_0000_0000_0042,
            },
            Ev::DevPt {
                slot,
                old: None,
                new: Some(DptEntry {
                    pfn: 3,
                    tag: crate::world::DptTag::Atomic,
                }),
            },
            Ev::Swap {
                slot: 0,
                old: Some(0),
                new: None,
            },
            Ev::Retry {
                reason: RetryReason::MigrateEagain,
            },
            Ev::Error {
                errno: crate::errno::EAGAIN,
                refs: Some(RefMismatch {
                    found: 3,
                    expected: 2,
                }),
            },
            Ev::Error {
                errno: crate::errno::EFAULT,
                refs: None,
            },
            Ev::Milestone {
                milestone: Milestone::AllOnDevice,
            },
            Ev::Thread {
                tid: 1,
                state: ThreadState::Blocked,
                waits_on: Some(WaitOn::Lock(LockId::MmapLock(0))),
            },
            Ev::Thread {
                tid: 1,
                state: ThreadState::Exited,
                waits_on: None,
            },
        ] {
            round_trip(ev);
        }
    }

    /// Fields no emitter writes decode as Malformed, and still re-encode to themselves.
    #[test]
    fn malformed_fields_survive() {
        for (kind, a, b, c) in [
            (Kind::Milestone, 99, 0, 0),
            (Kind::Retry, 17, 0, 0),
            (Kind::PteWrite, 0, 0x7000_0000, 0),
            (Kind::Thread, 1, 0, 5),
            (Kind::Flag, 1, 9, 1),
            (Kind::Call, 1, 2, 3),
        ] {
            let e = Event {
                kind,
                thread: 0,
                func: Func::UserThread,
                a,
                b,
                c,
            };
            assert!(matches!(e.decode(), Ev::Malformed { .. }), "{e:?}");
            assert_eq!(Event::from_ev(0, Func::UserThread, e.decode()), e);
        }
    }
}
