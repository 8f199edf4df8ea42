//! Every decoding of raw trace events, in one place: which kinds and milestones lessons may name, an event
//! as assertions see it, where a lane pauses, and how a run ended.
//!
//! hmm-sim's trace is a packed `Event` (kind, thread, function, three u32 fields). When hmm-sim offers a
//! typed event, this is the one file that switches to it.

use crate::model::{RunEnd, Strategy, Until};
use crate::observe::EventObs;
use hmm_sim::Report;
use hmm_sim::RANGE_BASE_VPN;
use hmm_sim::{unpack_page, Event, Func, Kind, Milestone, RetryReason};

/// Event kinds assertions may name: snake_case of `hmm_sim::Kind`.
pub const EVENT_KINDS: [&str; 31] = [
    "call",
    "return",
    "walk_begin",
    "walk_end",
    "descend",
    "pte_read",
    "pte_write",
    "lock_acquire",
    "lock_release",
    "lock_contended",
    "ref",
    "map",
    "flag",
    "fault",
    "notifier_start",
    "notifier_end",
    "seq",
    "alloc",
    "free",
    "copy",
    "content",
    "src",
    "dst",
    "hmm_pfn",
    "dev_pt",
    "swap",
    "tlb_flush",
    "retry",
    "error",
    "milestone",
    "thread",
];

/// Milestone names for `until=milestone:…`: snake_case of `hmm_sim::Milestone`.
pub const MILESTONES: [&str; 7] = [
    "faulted_in",
    "collected",
    "unmapped",
    "copied",
    "pages_migrated",
    "finalized",
    "all_on_device",
];

/// Is `name` a kernel function the simulator attributes events to?
pub fn is_func(name: &str) -> bool {
    Func::ALL.iter().any(|f| f.name() == name)
}

fn milestone_name(m: Milestone) -> &'static str {
    match m {
        Milestone::FaultedIn => "faulted_in",
        Milestone::Collected => "collected",
        Milestone::Unmapped => "unmapped",
        Milestone::Copied => "copied",
        Milestone::PagesMigrated => "pages_migrated",
        Milestone::Finalized => "finalized",
        Milestone::AllOnDevice => "all_on_device",
    }
}

/// The number of events of `report` a lane run pauses after for `until`, or None when it runs to its end.
pub fn pause_point(
    report: &Report,
    until: &Until,
    lane: Strategy,
) -> Result<Option<usize>, String> {
    Ok(match until {
        Until::Done => None,
        Until::Step(n) => Some(*n as usize).filter(|&n| n < report.events.len()),
        Until::Milestone(name) => {
            let index = report.events.iter().position(|e| {
                e.kind == Kind::Milestone
                    && Milestone::from_u32(e.a).is_some_and(|m| milestone_name(m) == name)
            });
            let index = index
                .ok_or_else(|| format!("lane {} never reaches milestone {name}", lane.name()))?;
            // Pause just after the milestone event.
            Some(index + 1)
        }
    })
}

/// How a run ended. A step-bound stop counts as a livelock when the last quarter of the trace is still
/// redoing work (re-faults or `folio_migrate_mapping` -EAGAIN): threads run but make no progress.
pub fn classify(r: &Report) -> RunEnd {
    use hmm_sim::RunError;
    match &r.result {
        Ok(()) => RunEnd::Completed,
        Err(RunError::Deadlock { .. }) => RunEnd::Deadlock,
        Err(RunError::StepLimit { .. }) => {
            let tail = &r.events[r.events.len() - r.events.len() / 4..];
            let spinning = tail.iter().any(|e| {
                e.kind == Kind::Retry
                    && matches!(
                        RetryReason::from_u32(e.a),
                        Some(RetryReason::Refault | RetryReason::MigrateEagain)
                    )
            });
            if spinning {
                RunEnd::Livelock
            } else {
                RunEnd::StepLimit
            }
        }
        Err(_) => RunEnd::StepLimit,
    }
}

/// The events of a run as assertions see them, threads named by the run's own thread names.
pub fn events_of(events: &[Event], names: &[String]) -> Vec<EventObs> {
    events
        .iter()
        .map(|e| event_obs(e, names.get(e.thread as usize).map_or("", String::as_str)))
        .collect()
}

pub fn event_obs(e: &Event, thread: &str) -> EventObs {
    let page = match e.kind {
        Kind::Call | Kind::PteRead | Kind::PteWrite | Kind::Fault | Kind::Descend => {
            let (_, v) = unpack_page(e.a);
            v.checked_sub(RANGE_BASE_VPN).map(|p| p as usize)
        }
        _ => None,
    };
    EventObs {
        kind: snake(&format!("{:?}", e.kind)),
        page,
        thread: Some(thread.to_string()),
        func: e.func.name().to_string(),
    }
}

/// `PteWrite` → `pte_write`.
fn snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_kind_names_match_the_simulator() {
        for k in [
            Kind::Call,
            Kind::PteWrite,
            Kind::NotifierStart,
            Kind::HmmPfn,
            Kind::TlbFlush,
            Kind::Thread,
        ] {
            let name = snake(&format!("{k:?}"));
            assert!(EVENT_KINDS.contains(&name.as_str()), "{name}");
        }
        for m in Milestone::ALL {
            assert!(MILESTONES.contains(&milestone_name(m)));
        }
        assert_eq!(MILESTONES.len(), Milestone::ALL.len());
        assert!(is_func("do_swap_page"));
        assert!(!is_func("do_swap_pages"));
    }
}
