//! What the runner reads from a trace, through hmm-sim's typed events (`Event::decode() -> Ev`): the
//! milestones lessons may name, an event as assertions see it, where a lane pauses, and how a run ended.
//! Event kinds are named by `hmm_sim::Kind::name` / `Kind::from_name`; no packed field is read here.

use crate::model::{RunEnd, Strategy, Until};
use crate::observe::EventObs;
use hmm_sim::{Event, Func, Milestone, Report, RunError, RANGE_BASE_VPN};

/// Is `name` a kernel function the simulator attributes events to?
pub fn is_func(name: &str) -> bool {
    Func::ALL.iter().any(|f| f.name() == name)
}

/// Every milestone key, in `Milestone::ALL` order (for diagnostics).
pub fn milestone_keys() -> Vec<&'static str> {
    Milestone::ALL.into_iter().map(Milestone::key).collect()
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
            let index = report
                .events
                .iter()
                .position(|e| e.decode().milestone().is_some_and(|m| m.key() == name));
            let index = index
                .ok_or_else(|| format!("lane {} never reaches milestone {name}", lane.name()))?;
            // Pause just after the milestone event.
            Some(index + 1)
        }
    })
}

/// How a run ended. A step-bound stop counts as a livelock when the last quarter of the trace is still
/// redoing work (`Ev::is_spin_retry`: re-faults or `folio_migrate_mapping` -EAGAIN): threads run but make no
/// progress.
pub fn classify(r: &Report) -> RunEnd {
    match &r.result {
        Ok(()) => RunEnd::Completed,
        Err(RunError::Deadlock { .. }) => RunEnd::Deadlock,
        Err(RunError::StepLimit { .. }) => {
            let tail = &r.events[r.events.len() - r.events.len() / 4..];
            if tail.iter().any(|e| e.decode().is_spin_retry()) {
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

/// One event as assertions see it: its kind's name, the page of the scenario's range it is about (`Ev::page`),
/// its thread and function.
pub fn event_obs(e: &Event, thread: &str) -> EventObs {
    let ev = e.decode();
    EventObs {
        kind: ev.kind().name().to_string(),
        page: ev
            .page()
            .and_then(|p| p.vpn.checked_sub(RANGE_BASE_VPN))
            .map(|p| p as usize),
        thread: Some(thread.to_string()),
        func: e.func.name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milestone_keys_round_trip() {
        for m in Milestone::ALL {
            assert_eq!(Milestone::from_key(m.key()), Some(m));
        }
        assert_eq!(milestone_keys().len(), Milestone::ALL.len());
        assert_eq!(Milestone::from_key("faulted in"), None);
        assert!(is_func("do_swap_page"));
        assert!(!is_func("do_swap_pages"));
    }
}
