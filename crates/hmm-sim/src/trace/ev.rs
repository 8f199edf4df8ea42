//! [`Ev`]: the typed form of an [`super::Event`]. The packed fields `a`/`b`/`c` are read and written only in
//! `codec.rs`: [`super::Event::decode`] and [`super::Event::from_ev`] are inverses (a test checks every event of real
//! traces), and every consumer (the view, narration, counters, the web app, lessons) matches on `Ev`.

use super::ids::WaitOn;
use super::ids::{
    FolioFlag, Level, LockId, Milestone, NotifyEvent, RetryReason, SeqId, ThreadState, WalkKind,
};
use super::{Kind, Tid};
use crate::pte::{Pfn, Pte};
use crate::world::{DptEntry, MmId, Zone};
use serde::{Deserialize, Serialize};

/// A virtual page of a process (packed in the trace as `mm:8 | vpn:24`, see [`super::pack_page`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Page {
    pub mm: MmId,
    pub vpn: u32,
}

impl Page {
    pub fn pack(self) -> u32 {
        super::pack_page(self.mm, self.vpn)
    }
    pub fn unpack(bits: u32) -> Page {
        let (mm, vpn) = super::unpack_page(bits);
        Page { mm, vpn }
    }
    /// `(mm, vpn)`: the key [`crate::view::ViewState::ptes`] uses.
    pub fn key(self) -> (MmId, u32) {
        (self.mm, self.vpn)
    }
}

/// An element of a per-call array: `src[]`/`dst[]` of a `struct migrate_vma` or an `hmm_pfns[]` (`array` is
/// the instance id), or a device page-table entry (`array` is the mirror, `index` the vpn). Packed
/// `array:8 | index:24`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Slot {
    pub array: u8,
    pub index: u32,
}

impl Slot {
    pub fn pack(self) -> u32 {
        (self.array as u32) << 24 | (self.index & 0xff_ffff)
    }
    pub fn unpack(bits: u32) -> Slot {
        Slot {
            array: (bits >> 24) as u8,
            index: bits & 0xff_ffff,
        }
    }
    /// `(array, index)`: the key the view's array maps use.
    pub fn key(self) -> (u8, u32) {
        (self.array, self.index)
    }
}

/// One `mmu_notifier_range` as an invalidation event carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invalidation {
    pub event: NotifyEvent,
    /// `NO_OWNER` (0) or `1 + device id` (`pgmap_owner`).
    pub owner: u8,
    pub start: u32,
    pub end: u32,
}

impl Invalidation {
    /// The packed `(a, b, c)` of the event, as [`crate::view::ViewState::notifiers`] keeps open ones.
    pub fn pack(self) -> (u32, u32, u32) {
        (
            self.event as u32 | (self.owner as u32) << 8,
            self.start,
            self.end,
        )
    }
    pub fn unpack((a, b, c): (u32, u32, u32)) -> Invalidation {
        Invalidation {
            event: NotifyEvent::from_u8(a as u8),
            owner: (a >> 8) as u8,
            start: b,
            end: c,
        }
    }
    /// The device whose migration this is (the owner cookie), if any.
    pub fn owner_device(self) -> Option<u8> {
        self.owner.checked_sub(1)
    }
}

/// `folio_migrate_mapping`'s refcount check, when it fails with -EAGAIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefMismatch {
    pub found: i32,
    pub expected: i32,
}

/// One step, typed: one variant per [`Kind`] (plus [`Ev::Malformed`] for packed fields this build would
/// never write, e.g. from a hand-edited trace file).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ev {
    /// A function was entered. `arg`: its first argument as the trace records it: a packed page for most
    /// functions (see [`Ev::page`]), a pfn or a bare vpn for some, 0 when there is none.
    Call {
        arg: u32,
    },
    /// A function returned `ret` (a negative errno or a count; see [`crate::errno::describe`]).
    Return {
        ret: i32,
    },
    /// A walk started over `[start, end)`. `start` is a packed page for `hmm_range_fault` and
    /// `walk_page_range`, a bare vpn for `migrate_vma_setup`; `end` is a vpn.
    WalkBegin {
        walk: WalkKind,
        start: u32,
        end: u32,
    },
    /// A walk ended; fields as for [`Ev::WalkBegin`].
    WalkEnd {
        walk: WalkKind,
        start: u32,
        end: u32,
    },
    /// The walker descended to `level` on its way to `page`.
    Descend {
        page: Page,
        level: Level,
    },
    /// A PTE was read; `visit`: by a walker callback (counted as a PTE visit).
    PteRead {
        page: Page,
        pte: Pte,
        visit: bool,
    },
    /// A PTE was written.
    PteWrite {
        page: Page,
        old: Pte,
        new: Pte,
    },
    LockAcquire {
        lock: LockId,
        shared: bool,
    },
    LockRelease {
        lock: LockId,
        shared: bool,
    },
    /// A lock was wanted but held: by `holder`, or (None) by readers.
    LockContended {
        lock: LockId,
        shared: bool,
        holder: Option<Tid>,
    },
    /// A folio's refcount changed.
    Ref {
        pfn: Pfn,
        old: i32,
        new: i32,
    },
    /// A folio's mapcount changed.
    Map {
        pfn: Pfn,
        old: i32,
        new: i32,
    },
    /// A folio flag changed.
    Flag {
        pfn: Pfn,
        flag: FolioFlag,
        value: bool,
    },
    /// A page fault entered `handle_mm_fault`: `write` access, `remote` (on behalf of a device), `ahead`
    /// (faulted by `hmm_vma_fault`'s fault-ahead, not needed by this page).
    Fault {
        page: Page,
        write: bool,
        remote: bool,
        ahead: bool,
    },
    NotifierStart {
        range: Invalidation,
    },
    NotifierEnd {
        range: Invalidation,
    },
    /// A notifier sequence changed.
    Seq {
        seq: SeqId,
        old: u32,
        new: u32,
    },
    /// A frame was allocated in `zone` (system or a device's private memory).
    Alloc {
        pfn: Pfn,
        zone: Zone,
    },
    Free {
        pfn: Pfn,
        zone: Zone,
    },
    /// Page contents were copied.
    Copy {
        src: Pfn,
        dst: Pfn,
        content: u32,
    },
    /// A frame's content token changed.
    Content {
        pfn: Pfn,
        old: u32,
        new: u32,
    },
    /// `src[i]` of a `struct migrate_vma` changed (`MIGRATE_PFN_*` values).
    Src {
        slot: Slot,
        old: u32,
        new: u32,
    },
    /// `dst[i]` changed.
    Dst {
        slot: Slot,
        old: u32,
        new: u32,
    },
    /// `hmm_pfns[i]` was set to `value` (`HMM_PFN_*` flags and order high, pfn low).
    HmmPfn {
        slot: Slot,
        value: u64,
    },
    /// A device page-table entry of mirror `slot.array` for vpn `slot.index` changed.
    DevPt {
        slot: Slot,
        old: Option<DptEntry>,
        new: Option<DptEntry>,
    },
    /// A swap slot changed: the content token it holds (None: free).
    Swap {
        slot: u32,
        old: Option<u32>,
        new: Option<u32>,
    },
    /// TLB flush of `[start, end)`.
    TlbFlush {
        start: u32,
        end: u32,
    },
    /// Work is being redone.
    Retry {
        reason: RetryReason,
    },
    /// A function failed with `errno` (negative, see [`crate::errno`]); `refs` for `folio_migrate_mapping`'s
    /// -EAGAIN.
    Error {
        errno: i32,
        refs: Option<RefMismatch>,
    },
    Milestone {
        milestone: Milestone,
    },
    /// Thread `tid` changed scheduling state; a blocked thread says what it waits on.
    Thread {
        tid: Tid,
        state: ThreadState,
        waits_on: Option<WaitOn>,
    },
    /// A PMD entry was written: `page` is the first page of its 2 MiB; entries use the PTE vocabulary
    /// (`Present` of the head page is a THP leaf, `Zero` the huge zero page).
    PmdWrite {
        page: Page,
        old: Pte,
        new: Pte,
    },
    /// A large folio's entire mapcount (PMD mappings) changed.
    EntireMap {
        pfn: Pfn,
        old: i32,
        new: i32,
    },
    /// Packed fields no emitter of this build writes: kept verbatim so the round trip stays exact.
    Malformed {
        kind: Kind,
        a: u32,
        b: u32,
        c: u32,
    },
}

impl Ev {
    /// The event's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Ev::Call { .. } => Kind::Call,
            Ev::Return { .. } => Kind::Return,
            Ev::WalkBegin { .. } => Kind::WalkBegin,
            Ev::WalkEnd { .. } => Kind::WalkEnd,
            Ev::Descend { .. } => Kind::Descend,
            Ev::PteRead { .. } => Kind::PteRead,
            Ev::PteWrite { .. } => Kind::PteWrite,
            Ev::LockAcquire { .. } => Kind::LockAcquire,
            Ev::LockRelease { .. } => Kind::LockRelease,
            Ev::LockContended { .. } => Kind::LockContended,
            Ev::Ref { .. } => Kind::Ref,
            Ev::Map { .. } => Kind::Map,
            Ev::Flag { .. } => Kind::Flag,
            Ev::Fault { .. } => Kind::Fault,
            Ev::NotifierStart { .. } => Kind::NotifierStart,
            Ev::NotifierEnd { .. } => Kind::NotifierEnd,
            Ev::Seq { .. } => Kind::Seq,
            Ev::Alloc { .. } => Kind::Alloc,
            Ev::Free { .. } => Kind::Free,
            Ev::Copy { .. } => Kind::Copy,
            Ev::Content { .. } => Kind::Content,
            Ev::Src { .. } => Kind::Src,
            Ev::Dst { .. } => Kind::Dst,
            Ev::HmmPfn { .. } => Kind::HmmPfn,
            Ev::DevPt { .. } => Kind::DevPt,
            Ev::Swap { .. } => Kind::Swap,
            Ev::TlbFlush { .. } => Kind::TlbFlush,
            Ev::Retry { .. } => Kind::Retry,
            Ev::Error { .. } => Kind::Error,
            Ev::Milestone { .. } => Kind::Milestone,
            Ev::Thread { .. } => Kind::Thread,
            Ev::PmdWrite { .. } => Kind::PmdWrite,
            Ev::EntireMap { .. } => Kind::EntireMap,
            Ev::Malformed { kind, .. } => *kind,
        }
    }
}

/// Classification helpers, so consumers ask questions of an event instead of decoding fields.
impl Ev {
    /// The user page this event is about: a PTE read or write, a fault, a walker descent, and a call's first
    /// argument read as a packed page (the page a lesson's `page=` filter matches).
    pub fn page(&self) -> Option<Page> {
        match *self {
            Ev::Call { arg } => Some(Page::unpack(arg)),
            Ev::PteRead { page, .. }
            | Ev::PteWrite { page, .. }
            | Ev::PmdWrite { page, .. }
            | Ev::Fault { page, .. }
            | Ev::Descend { page, .. } => Some(page),
            _ => None,
        }
    }

    /// A function was entered (`Call`): where a new frame of the thread's stack begins.
    pub fn is_call(&self) -> bool {
        matches!(self, Ev::Call { .. })
    }

    pub fn milestone(&self) -> Option<Milestone> {
        match *self {
            Ev::Milestone { milestone } => Some(milestone),
            _ => None,
        }
    }

    pub fn is_milestone(&self) -> bool {
        self.milestone().is_some()
    }

    /// A PTE write that leaves a migration entry (the step "migration entry installed").
    pub fn installs_migration_entry(&self) -> bool {
        matches!(self, Ev::PteWrite { new, .. } | Ev::PmdWrite { new, .. } if new.kind().is_migration())
    }

    /// The start of a walk (logical or `walk_page_range`).
    pub fn is_walk_begin(&self) -> bool {
        matches!(self, Ev::WalkBegin { .. })
    }

    /// The lock an acquire, release or contention is about.
    pub fn lock(&self) -> Option<LockId> {
        match *self {
            Ev::LockAcquire { lock, .. }
            | Ev::LockRelease { lock, .. }
            | Ev::LockContended { lock, .. } => Some(lock),
            _ => None,
        }
    }

    pub fn retry_reason(&self) -> Option<RetryReason> {
        match *self {
            Ev::Retry { reason } => Some(reason),
            _ => None,
        }
    }

    /// A retry that means a thread is spinning without progress (a CPU re-fault, a migration -EAGAIN): what
    /// tells a livelock from a long run.
    pub fn is_spin_retry(&self) -> bool {
        matches!(
            self.retry_reason(),
            Some(RetryReason::Refault | RetryReason::MigrateEagain)
        )
    }
}
