//! The depth-first explorer of scheduling choices (as loom's and shuttle's DFS schedulers).

use super::Policy;
use crate::sim::{run, Report, RunConfig, Setup, ThreadSpec};
use crate::trace::Tid;
use serde::{Deserialize, Serialize};

/// How a schedule exploration ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exploration {
    /// Schedules run.
    pub runs: usize,
    /// Every schedule was tried (false: `max_runs` was hit first).
    pub exhaustive: bool,
    /// The choices of the run `visit` stopped at, if it did: a replayable witness.
    pub witness: Option<Vec<Tid>>,
}

/// Depth-first search over scheduling choices (as loom and shuttle's DFS scheduler do): each run replays a
/// prefix of choices and then runs each thread until it blocks; every untried alternative at a later choice
/// point becomes a new prefix. `visit` sees each run's report and returns true to stop (a witness found).
/// At most `max_runs` runs: the limit is reported, never silently hit.
pub fn explore(
    setup: &Setup,
    threads: &[ThreadSpec],
    cfg: &RunConfig,
    max_runs: usize,
    mut visit: impl FnMut(&Report) -> bool,
) -> Exploration {
    let mut stack: Vec<Vec<Tid>> = vec![Vec::new()];
    let mut runs = 0;
    while let Some(prefix) = stack.pop() {
        if runs == max_runs {
            return Exploration {
                runs,
                exhaustive: false,
                witness: None,
            };
        }
        runs += 1;
        let run_cfg = RunConfig {
            policy: Policy::Replay {
                choices: prefix.clone(),
            },
            ..cfg.clone()
        };
        let report = run(setup, threads, &run_cfg);
        if visit(&report) {
            return Exploration {
                runs,
                exhaustive: false,
                witness: Some(report.choices),
            };
        }
        // Push alternatives deepest-last so the search goes depth first in a fixed order.
        for i in (prefix.len()..report.choices.len()).rev() {
            for &alt in report.choice_points[i].iter().rev() {
                if alt != report.choices[i] {
                    let mut p = report.choices[..i].to_vec();
                    p.push(alt);
                    stack.push(p);
                }
            }
        }
    }
    Exploration {
        runs,
        exhaustive: true,
        witness: None,
    }
}
