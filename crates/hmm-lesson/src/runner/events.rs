//! What the runner reads from a trace, through hmm-sim's typed events (`Event::decode() -> Ev`): the
//! milestones lessons may name, an event as assertions see it, where a lane pauses, and how a run ended.
//! Event kinds are named by `hmm_sim::Kind::name` / `Kind::from_name`; no packed field is read here.

use crate::model::{RunEnd, Strategy, Until};
use crate::observe::EventObs;
use hmm_sim::{Event, Func, Milestone, PackedTrace, RunError, RANGE_BASE_VPN};

/// Is `name` a kernel function the simulator attributes events to?
pub fn is_func(name: &str) -> bool {
    Func::ALL.iter().any(|f| f.name() == name)
}

/// Every milestone key, in `Milestone::ALL` order (for diagnostics).
pub fn milestone_keys() -> Vec<&'static str> {
    Milestone::ALL.into_iter().map(Milestone::key).collect()
}

/// The number of events of a lane run's trace it pauses after for `until`, or None when it runs to its end.
/// A milestone is looked for from event `from` on (where the lane is paused now), so resuming a long run
/// step by step reads each event once.
pub fn pause_point(
    events: &PackedTrace,
    from: usize,
    until: &Until,
    lane: Strategy,
) -> Result<Option<usize>, String> {
    let is = |e: &Event, name: &str| e.decode().milestone().is_some_and(|m| m.key() == name);
    Ok(match until {
        Until::Done => None,
        Until::Step(n) => Some(*n as usize).filter(|&n| n < events.len()),
        Until::Milestone(name) => {
            let from = from.min(events.len());
            match events.iter_from(from).position(|e| is(&e, name)) {
                // Pause just after the milestone event.
                Some(i) => Some(from + i + 1),
                None if events.range(0, from).any(|e| is(&e, name)) => {
                    return Err(format!("lane {} is already past that point", lane.name()))
                }
                None => {
                    return Err(format!(
                        "lane {} never reaches milestone {name}",
                        lane.name()
                    ))
                }
            }
        }
    })
}

/// How a run ended. A step-bound stop counts as a livelock when the last quarter of the trace is still
/// redoing work (`Ev::is_spin_retry`: re-faults or `folio_migrate_mapping` -EAGAIN): threads run but make no
/// progress. This is the only place a run is called a livelock.
pub fn classify(result: &Result<(), RunError>, events: &PackedTrace) -> RunEnd {
    match result {
        Ok(()) => RunEnd::Completed,
        Err(RunError::Deadlock { .. }) => RunEnd::Deadlock,
        Err(RunError::StepLimit { .. }) => {
            let mut tail = events.iter_from(events.len() - events.len() / 4);
            if tail.any(|e| e.decode().is_spin_retry()) {
                RunEnd::Livelock
            } else {
                RunEnd::StepLimit
            }
        }
        Err(_) => RunEnd::StepLimit,
    }
}

/// Which limit stopped a run, and where, in the lesson's words: `step limit 200,000 reached in lane
/// unified (T0 in hmm_range_fault)`. `budget` is set when the run's step bound was cut to what was left of
/// the lesson's event budget (`limits.events`): then that budget is the limit named. None when no limit
/// stopped the run.
pub fn stop_message(
    result: &Result<(), RunError>,
    steps: u64,
    budget: Option<u64>,
    world: &str,
) -> Option<String> {
    let Err(RunError::StepLimit { at, .. }) = result else {
        return None;
    };
    Some(match budget {
        Some(b) => format!(
            "event budget {} (limits.events) spent in {world} ({at})",
            crate::limits::thousands(b)
        ),
        None => format!(
            "step limit {} reached in {world} ({at})",
            crate::limits::thousands(steps)
        ),
    })
}

/// One event as assertions see it: its kind's name, the page of the scenario's range it is about (`Ev::page`),
/// its thread (named by the run's own thread names) and function.
pub fn event_obs<'a>(e: &Event, names: &'a [String]) -> EventObs<'a> {
    EventObs {
        kind: e.kind.name(),
        page: e
            .decode()
            .page()
            .and_then(|p| p.vpn.checked_sub(RANGE_BASE_VPN))
            .map(|p| p as usize),
        thread: Some(names.get(e.thread as usize).map_or("", String::as_str)),
        func: e.func.name(),
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
