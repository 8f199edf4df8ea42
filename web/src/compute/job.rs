//! The worker's job, as plain Rust so it runs (and is tested) natively too: one [`Request`] in, its
//! [`Reply`]s out, each lane's trace as bytes beside its reply. `super::worker` only carries them.

use hmm_sim::{compare_lane, final_states_agree, Setup};

use super::protocol::{lane_order, LaneMeta, Reply, Request};
use super::trace_bytes;
use crate::comparison::browser_run_config;
use crate::scenario::parse_text;

/// Run `request`, lane by lane, calling `post` with each reply (and a lane's trace bytes) as soon as it is
/// known. `now` reads a clock in milliseconds (the worker's `performance.now()`; tests pass a constant).
pub fn run(request: &Request, now: impl Fn() -> f64, mut post: impl FnMut(Reply, Option<Vec<u8>>)) {
    let states = match parse_text(&request.pages) {
        Ok(states) => states,
        Err(e) => return post(Reply::Failed(e.to_string()), None),
    };
    if let Some(why) = request.driver.conflict() {
        return post(Reply::Failed(why), None);
    }
    let mut setup = Setup::from_states(&states);
    setup.driver(request.driver);
    let cfg = browser_run_config(request.budget);
    let mut runs = Vec::with_capacity(3);
    for strategy in lane_order(request.first) {
        post(Reply::Started(strategy), None);
        let start = now();
        let mut run = compare_lane(&setup, states.len() as u32, strategy, &cfg);
        let millis = now() - start;
        // The trace leaves with its reply; what stays is what hmm-sim's agreement verdict needs.
        let events = std::mem::take(&mut run.report.events);
        let stopped = match &run.report.result {
            Err(hmm_sim::RunError::StepLimit { steps, at }) => {
                // Name where the last kept event is: what the lane's last step shows.
                let last = events.len().checked_sub(1).and_then(|i| events.get(i));
                let at = last.map_or_else(
                    || at.clone(),
                    |e| format!("T{} in {}", e.thread, e.func.name()),
                );
                Some((*steps, at))
            }
            _ => None,
        };
        let error = match &run.report.result {
            Ok(()) | Err(hmm_sim::RunError::StepLimit { .. }) => None,
            Err(other) => Some(other.to_string()),
        };
        let meta = LaneMeta {
            strategy,
            counters: run.counters,
            stopped,
            error,
            violations: run.report.violations.clone(),
            thread_names: run.report.thread_names.clone(),
            millis,
        };
        let bytes = trace_bytes::encode(&events);
        drop(events);
        post(Reply::Lane(meta), Some(bytes));
        runs.push(run);
    }
    runs.sort_by_key(|r| r.strategy as u8);
    post(
        Reply::Done {
            agree: final_states_agree(&runs),
        },
        None,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmm_sim::Strategy;

    #[test]
    fn the_worker_runs_what_compare_runs() {
        let request = Request {
            pages: "PPPPSSSSNC".into(),
            first: Strategy::LegacyB,
            budget: crate::comparison::BROWSER_MAX_EVENTS_PER_LANE,
            driver: hmm_sim::DriverOpts::default(),
        };
        let mut replies = Vec::new();
        run(&request, || 0.0, |r, bytes| replies.push((r, bytes)));
        let states = parse_text(&request.pages).expect("valid");
        let expected = hmm_sim::compare(&states, &browser_run_config(request.budget));
        assert_eq!(
            replies.len(),
            7,
            "started and lane for each lane, then done"
        );
        let order = [Strategy::LegacyB, Strategy::LegacyA, Strategy::Unified];
        for (i, strategy) in order.into_iter().enumerate() {
            assert_eq!(replies[2 * i].0, Reply::Started(strategy));
            let (Reply::Lane(meta), Some(bytes)) = &replies[2 * i + 1] else {
                panic!("lane reply expected: {:?}", replies[2 * i + 1].0);
            };
            let lane = &expected.lanes[strategy as usize];
            assert_eq!(meta.strategy, strategy);
            assert_eq!(meta.counters, lane.counters);
            assert_eq!(meta.stopped, None);
            assert_eq!(
                trace_bytes::decode(bytes).expect("bytes"),
                lane.report.events
            );
        }
        assert_eq!(
            replies[6].0,
            Reply::Done {
                agree: expected.agree()
            }
        );
    }

    #[test]
    fn a_bad_scenario_fails_with_hmm_sims_reason() {
        let request = Request {
            pages: "PP?".into(),
            first: Strategy::Unified,
            budget: 100,
            driver: hmm_sim::DriverOpts::default(),
        };
        let mut replies = Vec::new();
        run(&request, || 0.0, |r, _| replies.push(r));
        assert_eq!(
            replies,
            vec![Reply::Failed(
                parse_text("PP?").expect_err("bad letter").to_string()
            )]
        );
    }

    #[test]
    fn a_lane_at_the_budget_says_where_it_stopped() {
        let request = Request {
            pages: "PPPPSSSS".into(),
            first: Strategy::Unified,
            budget: 50,
            driver: hmm_sim::DriverOpts::default(),
        };
        let mut replies = Vec::new();
        run(&request, || 0.0, |r, b| replies.push((r, b)));
        let (Reply::Lane(meta), Some(bytes)) = &replies[1] else {
            panic!("lane reply expected");
        };
        let events = trace_bytes::decode(bytes).expect("bytes");
        assert_eq!(events.len(), 50);
        let last = events.get(49).expect("kept");
        assert_eq!(
            meta.stopped,
            Some((50, format!("T{} in {}", last.thread, last.func.name())))
        );
    }
}
