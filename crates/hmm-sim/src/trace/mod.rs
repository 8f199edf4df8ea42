//! The trace: the contract between the simulator and everything that shows or checks it.
//!
//! Every step of a run is one [`Event`]: 16 bytes, plain data, tagged with the thread and the kernel function
//! that did it. Events carry old and new values, so a viewer can apply them forwards *and* backwards
//! ([`crate::view`]); counters are folds over events ([`Counters::observe`]), so every consumer counts alike.
//! The serde form is versioned by [`TRACE_SCHEMA_VERSION`].

use serde::{Deserialize, Serialize};

mod chrome;
mod codec;
mod counters;
mod ev;
mod func;
mod ids;
mod kind;
mod packed;
pub(crate) mod spans;

pub use chrome::{chrome_trace_events, ChromeArg, ChromeEvent, CHROME_LOCK_TRACK};
pub use counters::{CounterInfo, Counters, COUNTERS};
pub use ev::{Ev, Invalidation, Page, RefMismatch, Slot};
pub use func::Func;
pub use ids::*;
pub use kind::Kind;
pub use packed::{PackedTrace, PackedTraceIter, PackedTraceReader, BLOCK_EVENTS};

/// Bumped whenever the meaning of an event field changes.
pub const TRACE_SCHEMA_VERSION: u32 = 1;

/// A trace as it is saved or exchanged (CLI exports, the web app): versioned, self-describing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceFile {
    /// [`TRACE_SCHEMA_VERSION`] of the writer; readers refuse other versions.
    pub schema_version: u32,
    /// Thread names, indexed by `Event::thread`.
    pub threads: Vec<String>,
    pub events: Vec<Event>,
}

impl TraceFile {
    pub fn new(threads: Vec<String>, events: Vec<Event>) -> TraceFile {
        TraceFile {
            schema_version: TRACE_SCHEMA_VERSION,
            threads,
            events,
        }
    }

    /// Accept a deserialized file only if this build understands its schema.
    pub fn check_version(self) -> Result<TraceFile, String> {
        if self.schema_version == TRACE_SCHEMA_VERSION {
            Ok(self)
        } else {
            Err(format!(
                "trace schema version {} is not supported (this build reads version {TRACE_SCHEMA_VERSION})",
                self.schema_version
            ))
        }
    }
}

/// Simulated thread (CPU context) id.
pub type Tid = u8;

/// One step. 16 bytes: see `size_of` test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub kind: Kind,
    pub thread: Tid,
    pub func: Func,
    pub a: u32,
    pub b: u32,
    pub c: u32,
}

/// A virtual page of a process, packed for the trace: `mm:8 | vpn:24`.
pub fn pack_page(mm: u8, vpn: u32) -> u32 {
    (mm as u32) << 24 | (vpn & 0x00ff_ffff)
}

pub fn unpack_page(bits: u32) -> (u8, u32) {
    ((bits >> 24) as u8, bits & 0x00ff_ffff)
}

/// The words docs/lessons.md lists in its table row starting `row`, between the backquotes that follow
/// `after`: what the docs tests hold `Kind::ALL` and the counters to.
#[cfg(test)]
pub(crate) fn lessons_md_list(row: &str, after: &str) -> Vec<&'static str> {
    let doc = include_str!("../../../../docs/lessons.md");
    let line = doc
        .lines()
        .find(|l| l.starts_with(row))
        .unwrap_or_else(|| panic!("docs/lessons.md has a row starting {row:?}"));
    let list = line
        .split(after)
        .nth(1)
        .and_then(|s| s.split('`').next())
        .unwrap_or_else(|| panic!("the row lists its words after {after:?}"));
    list.split_whitespace().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Event>(), 16);
    }

    #[test]
    fn lock_ids_round_trip() {
        for l in [
            LockId::MmapLock(1),
            LockId::Ptl { mm: 2, pmd: 0x1234 },
            LockId::Folio(0xabcdef),
            LockId::Driver(3),
            LockId::AnonVma(7),
            LockId::DevmemMigrate(1),
        ] {
            assert_eq!(LockId::unpack(l.pack()), l);
        }
        for s in [SeqId::Mm(1), SeqId::Sub { dev: 2, mm: 1 }] {
            assert_eq!(SeqId::unpack(s.pack()), s);
        }
    }

    #[test]
    fn func_names_are_unique() {
        let names: std::collections::BTreeSet<_> = Func::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(names.len(), Func::ALL.len());
    }
}

/// Whether a run keeps its events or only counts them. Viewers and lessons need the events; a comparison
/// that reports counters needs only [`Counters`], and then a run's memory does not grow with its length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TraceMode {
    #[default]
    Keep,
    CountersOnly,
}
