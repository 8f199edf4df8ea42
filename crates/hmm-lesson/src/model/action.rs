//! What an action line means: the verb it runs, on which thread, bound to which name.

use super::{DriverOverride, Pages, Pattern, Span, VmaProt};
use serde::Serialize;

/// The three driver sequences a `lane` runs (legacy A, legacy B, unified): the simulator's own type, so a
/// lane has one name everywhere (`Strategy::name()`: `legacy_a`, `legacy_b`, `unified`).
pub use hmm_sim::Strategy;

/// A lane as lessons write it: the long names, or the short A/B/U of the seeds' table.
pub fn lane_from_name(name: &str) -> Option<Strategy> {
    match name {
        "A" => Some(Strategy::LegacyA),
        "B" => Some(Strategy::LegacyB),
        "U" => Some(Strategy::Unified),
        long => Strategy::parse(long),
    }
}

/// Where a lane run stops.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Until {
    Done,
    Step(u64),
    Milestone(String),
}

/// dmirror ioctls (lib/test_hmm_uapi.h), plus the RFC's `MIGRATE_ON_FAULT_TO_DEV`: the simulator's own type.
pub use hmm_sim::DmirrorCmd;

/// mm/gup_test.c's ioctls: the simulator's own type.
pub use hmm_sim::GupTestCmd;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Verb {
    /// Run one lane strategy over `pages` in that lane's own world: a fresh copy of the scenario, or with
    /// `resume` the lane's stopped run continued. The lane's counters are those of its latest run.
    Lane {
        lane: Strategy,
        pages: Pages,
        until: Until,
        resume: bool,
        driver: DriverOverride,
    },
    /// A dmirror ioctl on device `dev`, issued by process `proc` (None: the test process).
    Dmirror {
        cmd: DmirrorCmd,
        dev: usize,
        pages: Pages,
        proc: Option<String>,
    },
    CpuRead {
        pages: Pages,
        proc: Option<String>,
    },
    CpuWrite {
        pages: Pages,
        value: Pattern,
        proc: Option<String>,
    },
    /// Set the test's user-space mirror buffer (what `WRITE` sends and `READ` overwrites). Not a kernel op.
    Mirror {
        pages: Pages,
        value: Pattern,
    },
    Mprotect {
        pages: Pages,
        prot: VmaProt,
    },
    Munmap {
        pages: Pages,
    },
    /// `madvise(pages, advice)`: `MADV_HUGEPAGE` (faults in an aligned 2 MiB of the range map a THP) or
    /// `MADV_FREE`.
    Madvise {
        pages: Pages,
        advice: hmm_sim::Madvice,
    },
    /// `mremap(pages, len, len, MREMAP_MAYMOVE | MREMAP_FIXED [| MREMAP_DONTUNMAP], to)`: the result's
    /// `ret` is 0 or the errno.
    Mremap {
        pages: Pages,
        to: usize,
        dontunmap: bool,
    },
    /// An ioctl on mm/gup_test.c's `/sys/kernel/debug/gup_test`, one page per call, `FOLL_WRITE` (plus
    /// `FOLL_LONGTERM` with `longterm`): the result's `ret` is the ioctl's.
    GupTest {
        cmd: GupTestCmd,
        pages: Pages,
        longterm: bool,
    },
    /// fork(); the child is named by the binding (`child = fork`).
    Fork,
    /// `pread` of the scenario's file, one page each (`NAME = file read pages=R` binds `data`).
    FileRead {
        pages: Pages,
    },
    /// `pwrite` of the scenario's file, one page each.
    FileWrite {
        pages: Pages,
        value: Pattern,
    },
    /// `fsync` of the scenario's file.
    Fsync,
    /// `ftruncate` of the scenario's file to `pages` pages.
    Truncate {
        pages: usize,
    },
    /// Run every queued `tN:` op under a scheduler.
    Run {
        schedule: Schedule,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Schedule {
    RoundRobin,
    Random {
        seed: u64,
    },
    /// A recorded list of thread names, one per scheduling choice.
    Replay {
        choices: Vec<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Action {
    pub span: Span,
    /// `tN:` prefix: queue on that thread instead of running now on the main thread.
    pub thread: Option<String>,
    /// `name = …`: the result (or the forked process) is referred to by this name.
    pub bind: Option<String>,
    pub op: Verb,
}
