//! The typed values events carry: walk kinds, levels, folio flags, retry reasons, milestones, thread states,
//! fault flags, locks, notifier sequences and notifier events, each with its packed trace form.

use crate::pte::Pfn;
use crate::world::MmId;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u32)]
pub enum WalkKind {
    /// One per `hmm_range_fault` call and one per `migrate_vma_setup`, as the RFC cover letter counts walks.
    Logical = 0,
    /// One per `walk_page_range` invocation (restarts included).
    PageRange = 1,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u32)]
pub enum Level {
    Pgd = 0,
    P4d = 1,
    Pud = 2,
    Pmd = 3,
    Pte = 4,
}

impl WalkKind {
    pub fn from_u32(v: u32) -> Option<WalkKind> {
        [WalkKind::Logical, WalkKind::PageRange]
            .get(v as usize)
            .copied()
    }
}

impl Level {
    pub fn from_u32(v: u32) -> Level {
        [Level::Pgd, Level::P4d, Level::Pud, Level::Pmd, Level::Pte][(v as usize).min(4)]
    }
    pub fn name(self) -> &'static str {
        ["PGD", "P4D", "PUD", "PMD", "PTE"][self as usize]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u32)]
pub enum FolioFlag {
    AnonExclusive = 0,
    Lru = 1,
    /// `PG_dirty` of a page-cache folio.
    Dirty = 2,
    /// `PG_writeback`.
    Writeback = 3,
}

impl FolioFlag {
    pub fn from_u32(v: u32) -> Option<FolioFlag> {
        [
            FolioFlag::AnonExclusive,
            FolioFlag::Lru,
            FolioFlag::Dirty,
            FolioFlag::Writeback,
        ]
        .get(v as usize)
        .copied()
    }
    /// The flag as the kernel spells it (`PageAnonExclusive`, `PG_lru`), shortened.
    pub fn name(self) -> &'static str {
        match self {
            FolioFlag::AnonExclusive => "AnonExclusive",
            FolioFlag::Lru => "LRU",
            FolioFlag::Dirty => "dirty",
            FolioFlag::Writeback => "writeback",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u32)]
pub enum RetryReason {
    /// `hmm_range_fault` re-walks from `last` after `hmm_vma_fault` or a migration-entry wait returned -EBUSY.
    HmmRewalk = 0,
    /// The driver restarts `read_begin`/`hmm_range_fault` after -EBUSY (sequence changed).
    DriverEbusy = 1,
    /// The driver restarts because `mmu_interval_read_retry` said the snapshot is stale.
    DriverReadRetry = 2,
    /// The CPU access is retried after a fault returned without mapping the page.
    Refault = 3,
    /// `folio_migrate_mapping` found unexpected references: -EAGAIN, the page is not migrated.
    MigrateEagain = 4,
}

impl RetryReason {
    pub fn from_u32(v: u32) -> Option<RetryReason> {
        [
            RetryReason::HmmRewalk,
            RetryReason::DriverEbusy,
            RetryReason::DriverReadRetry,
            RetryReason::Refault,
            RetryReason::MigrateEagain,
        ]
        .get(v as usize)
        .copied()
    }
    pub fn describe(self) -> &'static str {
        match self {
            RetryReason::HmmRewalk => {
                "hmm_range_fault re-walks from the faulted address (-EBUSY inside the walk)"
            }
            RetryReason::DriverEbusy => {
                "the driver retries: hmm_range_fault returned -EBUSY (notifier sequence moved)"
            }
            RetryReason::DriverReadRetry => {
                "the driver retries: mmu_interval_read_retry found the snapshot stale"
            }
            RetryReason::Refault => {
                "the CPU access faults again: the fault returned without mapping the page"
            }
            RetryReason::MigrateEagain => {
                "folio_migrate_mapping: unexpected references, -EAGAIN, page not migrated"
            }
        }
    }
}

/// Named points of a lane's story; lanes are aligned on these in the compare view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[repr(u32)]
pub enum Milestone {
    FaultedIn = 0,
    Collected = 1,
    Unmapped = 2,
    Copied = 3,
    PagesMigrated = 4,
    Finalized = 5,
    AllOnDevice = 6,
}

impl Milestone {
    pub const ALL: [Milestone; 7] = [
        Milestone::FaultedIn,
        Milestone::Collected,
        Milestone::Unmapped,
        Milestone::Copied,
        Milestone::PagesMigrated,
        Milestone::Finalized,
        Milestone::AllOnDevice,
    ];
    pub fn from_u32(v: u32) -> Option<Milestone> {
        Milestone::ALL.get(v as usize).copied()
    }
    pub fn name(self) -> &'static str {
        match self {
            Milestone::FaultedIn => "faulted in",
            Milestone::Collected => "collected (migration entries installed)",
            Milestone::Unmapped => "unmapped",
            Milestone::Copied => "copied to device",
            Milestone::PagesMigrated => "migrate_vma_pages done",
            Milestone::Finalized => "finalized",
            Milestone::AllOnDevice => "all pages on device",
        }
    }
    /// The snake_case key lessons write (`until=milestone:all_on_device`); [`Milestone::name`] is the
    /// phrase for people.
    pub fn key(self) -> &'static str {
        match self {
            Milestone::FaultedIn => "faulted_in",
            Milestone::Collected => "collected",
            Milestone::Unmapped => "unmapped",
            Milestone::Copied => "copied",
            Milestone::PagesMigrated => "pages_migrated",
            Milestone::Finalized => "finalized",
            Milestone::AllOnDevice => "all_on_device",
        }
    }
    /// The milestone whose [`Milestone::key`] is `key`.
    pub fn from_key(key: &str) -> Option<Milestone> {
        Milestone::ALL.into_iter().find(|m| m.key() == key)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u32)]
pub enum ThreadState {
    Runnable = 0,
    Blocked = 1,
    Exited = 2,
}

impl ThreadState {
    pub fn from_u32(v: u32) -> Option<ThreadState> {
        [
            ThreadState::Runnable,
            ThreadState::Blocked,
            ThreadState::Exited,
        ]
        .get(v as usize)
        .copied()
    }
}

/// Page-fault flags carried by [`Kind::Fault`](super::Kind::Fault).
pub mod fault {
    pub const WRITE: u32 = 1;
    /// `FAULT_FLAG_REMOTE`: the fault is on behalf of a device (hmm), not this CPU's access.
    pub const REMOTE: u32 = 2;
    /// Fault-ahead: `hmm_vma_fault` faults every page to the end of the PMD chunk; this page did not need it.
    pub const AHEAD: u32 = 4;
}

/// A lock, packed into a u32 for the trace: `class:4 | index:28`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LockId {
    /// `mm->mmap_lock` (rwsem) of mm `n`.
    MmapLock(u8),
    /// Split PTE lock of PTE table `pmd` (index of the PMD entry) in mm `mm`.
    Ptl { mm: u8, pmd: u32 },
    /// `PG_locked` of the folio at `pfn`.
    Folio(u32),
    /// The driver's mutex (`dmirror->mutex`) of device `n`.
    Driver(u8),
    /// `anon_vma` read lock taken by rmap walks; `n` is the anon_vma id.
    AnonVma(u32),
    /// A driver lock serialising `migrate_to_ram` on device `n` (Xe had one; dmirror does not).
    DevmemMigrate(u8),
    /// `mapping->i_mmap_rwsem` of address space `n`: file rmap walks take it for read.
    IMmap(u32),
}

impl LockId {
    pub fn pack(self) -> u32 {
        match self {
            LockId::MmapLock(mm) => mm as u32,
            LockId::Ptl { mm, pmd } => 1 << 28 | (mm as u32) << 20 | (pmd & 0xf_ffff),
            LockId::Folio(pfn) => 2 << 28 | (pfn & 0x0fff_ffff),
            LockId::Driver(dev) => 3 << 28 | dev as u32,
            LockId::AnonVma(id) => 4 << 28 | (id & 0x0fff_ffff),
            LockId::DevmemMigrate(dev) => 5 << 28 | dev as u32,
            LockId::IMmap(id) => 6 << 28 | (id & 0x0fff_ffff),
        }
    }
    pub fn unpack(bits: u32) -> LockId {
        let index = bits & 0x0fff_ffff;
        match bits >> 28 {
            1 => LockId::Ptl {
                mm: (index >> 20) as u8,
                pmd: index & 0xf_ffff,
            },
            2 => LockId::Folio(index),
            3 => LockId::Driver(index as u8),
            4 => LockId::AnonVma(index),
            5 => LockId::DevmemMigrate(index as u8),
            6 => LockId::IMmap(index),
            _ => LockId::MmapLock(index as u8),
        }
    }
    pub fn describe(self) -> String {
        match self {
            LockId::MmapLock(mm) => format!("mmap_lock (mm{mm})"),
            LockId::Ptl { mm, pmd } => format!("PTL of PTE table {pmd:#x} (mm{mm})"),
            LockId::Folio(pfn) => format!("PG_locked of folio pfn {pfn:#x}"),
            LockId::Driver(dev) => format!("dmirror{dev}->mutex"),
            LockId::AnonVma(id) => format!("anon_vma {id} (read)"),
            LockId::DevmemMigrate(dev) => format!("device {dev} migrate_to_ram lock"),
            LockId::IMmap(id) => format!("i_mmap_rwsem of file {id}"),
        }
    }
}

/// A notifier sequence counter, packed for [`Kind::Seq`](super::Kind::Seq).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SeqId {
    /// `subscriptions->invalidate_seq` of mm `n`.
    Mm(u8),
    /// `interval_sub->invalidate_seq` of device `n`'s subscription on mm `mm`.
    Sub { dev: u8, mm: u8 },
}

impl SeqId {
    pub fn pack(self) -> u32 {
        match self {
            SeqId::Mm(mm) => mm as u32,
            SeqId::Sub { dev, mm } => 1 << 16 | (dev as u32) << 8 | mm as u32,
        }
    }
    pub fn unpack(bits: u32) -> SeqId {
        if bits >> 16 == 1 {
            SeqId::Sub {
                dev: (bits >> 8) as u8,
                mm: bits as u8,
            }
        } else {
            SeqId::Mm(bits as u8)
        }
    }
}

/// Notifier events (`enum mmu_notifier_event`), the ones this model issues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum NotifyEvent {
    Unmap = 0,
    Clear = 1,
    ProtectionVma = 2,
    Migrate = 3,
    Exclusive = 4,
    /// `folio_mkclean` write-protecting one page before writeback.
    ProtectionPage = 5,
}

impl NotifyEvent {
    pub fn from_u8(v: u8) -> NotifyEvent {
        match v {
            0 => NotifyEvent::Unmap,
            1 => NotifyEvent::Clear,
            2 => NotifyEvent::ProtectionVma,
            3 => NotifyEvent::Migrate,
            5 => NotifyEvent::ProtectionPage,
            _ => NotifyEvent::Exclusive,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            NotifyEvent::Unmap => "MMU_NOTIFY_UNMAP",
            NotifyEvent::Clear => "MMU_NOTIFY_CLEAR",
            NotifyEvent::ProtectionVma => "MMU_NOTIFY_PROTECTION_VMA",
            NotifyEvent::Migrate => "MMU_NOTIFY_MIGRATE",
            NotifyEvent::Exclusive => "MMU_NOTIFY_EXCLUSIVE",
            NotifyEvent::ProtectionPage => "MMU_NOTIFY_PROTECTION_PAGE",
        }
    }
}

/// Owner cookie of a notifier range: `NO_OWNER` or `1 + device id`.
pub const NO_OWNER: u8 = 0;

/// Why a thread is not runnable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WaitOn {
    Lock(LockId),
    /// Sleeping until the folio's `PG_locked` clears (`folio_wait_bit`, `migration_entry_wait`).
    FolioUnlock(Pfn),
    /// `mmu_interval_read_begin` sleeping until mm's invalidation ends.
    NotifierIdle(MmId),
}

impl WaitOn {
    /// Packed for [`Kind::Thread`] events: a [`LockId`]'s packing (classes 0–5), or class 0xe (a folio's
    /// unlock, pfn in the low bits) or 0xf (an mm's invalidations ending, mm in the low byte).
    pub fn pack(self) -> u32 {
        match self {
            WaitOn::Lock(l) => l.pack(),
            WaitOn::FolioUnlock(pfn) => 0xe000_0000 | (pfn & 0x0fff_ffff),
            WaitOn::NotifierIdle(mm) => 0xf000_0000 | mm as u32,
        }
    }

    pub fn unpack(bits: u32) -> WaitOn {
        match bits >> 28 {
            0xe => WaitOn::FolioUnlock(bits & 0x0fff_ffff),
            0xf => WaitOn::NotifierIdle(bits as u8),
            _ => WaitOn::Lock(LockId::unpack(bits)),
        }
    }

    pub fn describe(self) -> String {
        match self {
            WaitOn::Lock(l) => l.describe(),
            WaitOn::FolioUnlock(pfn) => format!("folio pfn {pfn:#x} to be unlocked"),
            WaitOn::NotifierIdle(mm) => format!("invalidations on mm{mm} to end"),
        }
    }
}
