//! The validated lesson: plain data with public fields, produced by [`crate::parse`] and consumed by the
//! runner, the checker and the CLI.
//!
//! Nothing here refers to TOML or Markdown: a `Lesson` is what the file *means*. Where the simulator already
//! has the word (kernel versions, page states, lane strategies, dmirror commands), the lesson uses hmm-sim's
//! own type, so one thing has one name. Every element that can fail at run time keeps its byte [`Span`] so a
//! failing assertion is reported at its own line.
//!
//! | module | holds |
//! |---|---|
//! | this file | the lesson, its header, scenario and beats, and the shared page ranges and patterns |
//! | `action` | what an action line means: [`Action`], [`Verb`], lanes, schedules |
//! | `claim` | what an assertion or prediction means: [`Assertion`], [`Check`], probes and values |

mod action;
mod claim;

pub use action::*;
pub use claim::*;

use hmm_sim::PageState;
pub use hmm_sim::{BPolicy, UnifiedEntry};
use serde::Serialize;
use std::ops::Range;

/// Byte range into the lesson file.
pub type Span = Range<usize>;

/// Kernel versions whose behaviour differs in what lessons show: the simulator's own type (`"6.14"`,
/// `"6.15"`, `"2026"`, `"popple"`; kernel-model.md §2.6, §4).
pub use hmm_sim::KernelVersion;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum LessonKind {
    /// A teaching lesson: prose, predictions and assertions.
    Lesson,
    /// A kernel selftest replayed as a scenario: its assertions are the kernel's outcomes.
    Selftest,
}

/// Half-open range of page indices within the scenario's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Pages {
    pub start: usize,
    pub end: usize,
}

impl Pages {
    pub fn len(self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
    pub fn iter(self) -> Range<usize> {
        self.start..self.end
    }
}

/// A page-content pattern: each simulated page carries one u64 token, and the selftests' `ptr[i] = i`
/// becomes "page p holds p". `-i` is the wrapping negation (the tests' `-i` as an unsigned token).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Pattern {
    /// `i + offset` (offset may be 0 or negative, wrapping).
    Index { offset: i64 },
    /// `-i + offset`.
    NegIndex { offset: i64 },
    /// The same value on every page.
    Const(u64),
}

impl Pattern {
    pub fn value(self, page: usize) -> u64 {
        let page = page as u64;
        match self {
            Pattern::Index { offset } => page.wrapping_add(offset as u64),
            Pattern::NegIndex { offset } => page.wrapping_neg().wrapping_add(offset as u64),
            Pattern::Const(v) => v,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum VmaKind {
    /// `MAP_PRIVATE | MAP_ANONYMOUS`.
    AnonPrivate,
    /// `MAP_SHARED | MAP_ANONYMOUS` (shmem-backed: not anonymous for migrate_vma).
    AnonShared,
    /// `mmap(MAP_PRIVATE)` of the test's `/dev/hmm_dmirror0` fd: `dmirror_fops_mmap` inserts a zeroed
    /// page at every page (`vm_insert_page`, `VM_MIXEDMAP`).
    DmirrorMmap,
    /// `MAP_SHARED` of the scenario's file (`[scenario] file`), page *p* mapping file page *p*.
    FileShared,
    /// `MAP_PRIVATE` of the scenario's file: reads see the page cache, writes copy into anonymous pages.
    FilePrivate,
}

/// What the scenario's one file is (`hmm_create_file`: an `O_TMPFILE` in /tmp, one page per scenario page).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum FileKind {
    /// tmpfs (shmem): the page cache is the only copy of the data.
    Tmpfs,
    /// A regular file on a disk: `fsync` writes dirty pages back.
    Disk,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum VmaProt {
    ReadWrite,
    Read,
    None,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Vma {
    pub pages: Pages,
    pub kind: VmaKind,
    pub prot: VmaProt,
}

/// `MIGRATE_VMA_SELECT_*` flags a lane's driver passes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Select {
    pub system: bool,
    pub device_private: bool,
}

/// How the simulated driver behaves when it runs a lane (kernel-model.md §1.4–1.6, §5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DriverSettings {
    pub select: Select,
    /// Index of the device whose `pgmap_owner` the driver passes.
    pub owner: usize,
    /// `HMM_PFN_REQ_WRITE` on every lane's `hmm_range_fault` walks (one write intent for all three lanes).
    pub write: bool,
    /// Legacy B's answer to a partial collection.
    pub b_policy: BPolicy,
    /// The unified lane's driver as RFC v1's test driver has it (`-EBUSY` re-walks without restoring).
    pub rfc_v1: bool,
    /// The unified lane's entry point: the fault path or `migrate_vma_setup(MIGRATE_VMA_FAULT)`.
    pub unified_entry: UnifiedEntry,
    /// The notifier callback skips `MMU_NOTIFY_MIGRATE` events whose owner is the driver itself.
    pub owner_filter: bool,
    /// The driver holds its own lock across `migrate_vma_setup` (the deadlock of kernel-model.md §5a).
    pub lock_across_setup: bool,
    /// `migrate_to_ram` serialises on a driver lock, as Xe's did (needed for the livelock of §4).
    pub fault_lock: bool,
    /// On `kernel = "file-rfc"`: the driver has the file-backed RFC's copy-back callback (patch 4). Off:
    /// read-only migration of clean file pages, reloaded from disk when looked up (patches 2-3).
    pub file_copy_back: bool,
}

/// Per-run changes to the scenario's [`DriverSettings`] (`lane legacy_b owner_filter=false`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DriverOverride {
    pub select: Option<Select>,
    pub owner: Option<usize>,
    pub write: Option<bool>,
    pub b_policy: Option<BPolicy>,
    pub rfc_v1: Option<bool>,
    pub unified_entry: Option<UnifiedEntry>,
    pub owner_filter: Option<bool>,
    pub lock_across_setup: Option<bool>,
    pub fault_lock: Option<bool>,
}

impl DriverSettings {
    pub fn with(&self, o: &DriverOverride) -> DriverSettings {
        DriverSettings {
            select: o.select.unwrap_or(self.select),
            owner: o.owner.unwrap_or(self.owner),
            write: o.write.unwrap_or(self.write),
            b_policy: o.b_policy.unwrap_or(self.b_policy),
            rfc_v1: o.rfc_v1.unwrap_or(self.rfc_v1),
            unified_entry: o.unified_entry.unwrap_or(self.unified_entry),
            owner_filter: o.owner_filter.unwrap_or(self.owner_filter),
            lock_across_setup: o.lock_across_setup.unwrap_or(self.lock_across_setup),
            fault_lock: o.fault_lock.unwrap_or(self.fault_lock),
            file_copy_back: self.file_copy_back,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LessonLimits {
    /// Scheduler steps per run before it stops with `step_limit`.
    pub steps: u64,
    /// Schedules tried by `exists schedule` / `all schedules`.
    pub schedules: u64,
    /// The lesson's total work, in events ([`crate::limits::DEFAULT_EVENTS`]): every run's events plus
    /// its set-up, and what every claim reads.
    pub events: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Scenario {
    /// The initial state of each page, as hmm-sim parsed the state string (`P*512` is 512 entries).
    pub states: Vec<PageState>,
    /// Initial content of every page that has content (P, C, S, D, O).
    pub content: Pattern,
    /// dmirror devices opened by the test process (device 0, 1, …; all device-private, distinct owners).
    pub devices: usize,
    pub vmas: Vec<Vma>,
    pub driver: DriverSettings,
    /// Names of the extra threads that `tN:` lines may use.
    pub threads: Vec<String>,
    /// The scenario's file, if it declares one (`file = "tmpfs"` or `"disk"`).
    pub file: Option<FileKind>,
}

impl Scenario {
    pub fn pages(&self) -> usize {
        self.states.len()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lesson {
    pub path: String,
    pub id: String,
    pub schema: u32,
    pub title: String,
    pub kernel: KernelVersion,
    pub kind: LessonKind,
    pub source: Option<String>,
    pub scaled: Option<String>,
    /// Who the lesson is written for (`student`, `kernel`, `speaker`): the browser's lesson index shows it.
    pub audience: Vec<String>,
    pub limits: LessonLimits,
    pub scenario: Scenario,
    pub beats: Vec<Beat>,
}

impl Lesson {
    pub fn assertion_count(&self) -> usize {
        self.beats.iter().map(|b| b.assertions.len()).sum()
    }
    pub fn prediction_count(&self) -> usize {
        self.beats.iter().map(|b| b.predictions.len()).sum()
    }
}

/// One `##` section: prose, then actions, predictions and assertions in file order. Actions run first,
/// then the assertions are checked against the state they leave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Beat {
    pub title: String,
    pub span: Span,
    pub prose: String,
    pub actions: Vec<Action>,
    pub predictions: Vec<Prediction>,
    pub assertions: Vec<Assertion>,
}
