//! Building [`WorldObs`]: what assertions see of one world, read only from hmm-sim's [`ViewState`] (the
//! viewer's state at a step, moved only by trace events) so the main world, finished lanes and paused lanes
//! are all observed the same way.

use super::lower::vpn;
use crate::model::Location;
use crate::observe::{EventLog, PageObs, WorldObs};
use hmm_sim::Counters;
use hmm_sim::ViewState;
use hmm_sim::Zone;
use hmm_sim::{Pte, ZERO_PFN};
use std::collections::BTreeMap;

/// One world at one step, and what the lesson knows beside the view.
pub struct WorldAt<'a> {
    pub view: &'a ViewState,
    /// Thread names of the run the view's thread ids refer to (lock holders are thread ids).
    pub names: &'a [String],
    /// Per page of the range: is it inside a vma of the test process? (`ViewState` has no vmas.)
    pub mapped: &'a [bool],
    pub events: EventLog,
    pub violations: Vec<String>,
}

pub fn world_obs(w: WorldAt<'_>) -> WorldObs {
    WorldObs {
        pages: (0..w.mapped.len())
            .map(|p| page_obs(w.view, p, w.names, w.mapped[p]))
            .collect(),
        counters: counters(&w.view.counters),
        locks_held: held_locks(w.view),
        events: w.events,
        violations: w.violations,
    }
}

/// Locks held at the view's step, every class and every holder (each reader of an rwsem counts): the view's
/// lock table moves with every `lock_acquire`/`lock_release` event, so it agrees with
/// `World::held_locks()` of the world the trace ends in (a test in `session` checks every lesson).
pub fn held_locks(view: &ViewState) -> u64 {
    view.locks.values().map(|h| h.len() as u64).sum()
}

/// Page `p` of the test process (mm 0).
fn page_obs(view: &ViewState, p: usize, names: &[String], mapped: bool) -> PageObs {
    // A PMD-mapped page (a THP, the huge zero page, a device-private PMD) is seen through its PMD leaf.
    let pte = view.entry(0, vpn(p));
    let frame = pte
        .pfn()
        .filter(|&pfn| pfn != ZERO_PFN)
        .and_then(|pfn| view.frames.get(&pfn));
    let h = vpn(p) - vpn(p) % hmm_sim::PTRS_PER_PTE;
    let pmd_head_zone = view
        .pmds
        .get(&(0, h))
        .and_then(|leaf| leaf.pfn())
        .and_then(|head| view.frames.get(&head))
        .map(|f| f.zone);
    let (location, content) = match pte {
        Pte::None => (Location::Nowhere, 0),
        Pte::Zero => (Location::Sys, 0),
        Pte::Swap { slot } => (Location::Swap, view.swap.get(&slot).copied().unwrap_or(0)),
        // A page of a PMD-mapped folio lives where the folio's head does (the trace names a large folio's
        // zone once, at its head).
        _ if pmd_head_zone.is_some() => match pmd_head_zone {
            Some(Zone::DevicePrivate(d) | Zone::DeviceCoherent(d)) => {
                (Location::Dev(d as usize), frame.map_or(0, |f| f.content))
            }
            _ => (Location::Sys, frame.map_or(0, |f| f.content)),
        },
        _ => match frame {
            Some(f) => match f.zone {
                Zone::DevicePrivate(d) | Zone::DeviceCoherent(d) => {
                    (Location::Dev(d as usize), f.content)
                }
                _ => (Location::Sys, f.content),
            },
            None => (Location::Sys, 0),
        },
    };
    PageObs {
        pte: pte.kind().name().to_string(),
        location: Some(location),
        refcount: frame.map(|f| f.refcount as i64),
        mapcount: frame.map(|f| f.mapcount as i64),
        locked: frame.is_some_and(|f| f.locked_by.is_some()),
        holder: frame
            .and_then(|f| f.locked_by)
            .map(|t| names.get(t as usize).cloned().unwrap_or(format!("T{t}"))),
        content: mapped.then_some(content as u64),
    }
}

/// Every counter hmm-sim folds (`Counters::fields`, the rows of `hmm_sim::COUNTERS`).
fn counters(c: &Counters) -> BTreeMap<String, u64> {
    c.fields()
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect()
}
