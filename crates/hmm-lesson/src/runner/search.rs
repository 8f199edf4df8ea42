//! Schedule claims (`exists schedule …`, `all schedules …`): a bounded search over the interleavings of one
//! `run`, recording for each property the first schedule that has it and how many do.

use super::events::{classify, event_obs};
use super::session::result_obs;
use crate::eval;
use crate::model::{Property, Verb};
use crate::observe::{ResultObs, ScheduleSearch};
use hmm_sim::Policy;
use hmm_sim::{Report, RunConfig, Setup, ThreadSpec};
use std::collections::BTreeMap;

/// What one search may do: at most `schedules` runs, and at most `events` of work (each run costs its
/// events plus `setup`, plus one per event an event property reads). A run costs at most `per_run`
/// before its properties are read, so the search stops (`budget_hit`) before a run could overspend.
pub struct Budget {
    pub schedules: usize,
    pub events: u64,
    pub per_run: u64,
    pub setup: u64,
}

/// A queued action bound to a name: its thread, and the range of that thread's ops it became. Result
/// properties read each schedule's results through these.
pub struct Binding {
    pub thread: usize,
    pub name: String,
    pub verb: Verb,
    pub ops: std::ops::Range<usize>,
}

/// The results one schedule bound (an action whose ops did not all complete binds nothing).
fn results_of(report: &Report, bindings: &[Binding]) -> BTreeMap<String, ResultObs> {
    bindings
        .iter()
        .filter_map(|b| {
            let done = report.outcomes.get(b.thread)?.get(b.ops.clone())?;
            Some((b.name.clone(), result_obs(&b.verb, done)?))
        })
        .collect()
}

/// Round robin first (it interleaves at every preemption point), then hmm-sim's depth-first explorer,
/// `budget.schedules` runs in all. `config` gives the kernel and limits; its policy is replaced. Returns the
/// search and the work it did.
pub fn search(
    start: &Setup,
    specs: &[ThreadSpec],
    bindings: &[Binding],
    properties: &[Property],
    config: &RunConfig,
    budget: &Budget,
) -> (ScheduleSearch, u64) {
    let mut witnesses: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut internal: BTreeMap<String, String> = BTreeMap::new();
    let mut spent = 0u64;
    let mut budget_hit = false;
    let mut visit = |report: &Report| {
        spent += report.steps + budget.setup;
        let outcome = classify(&report.result, &report.events);
        let wants_results = properties.iter().any(|p| matches!(p, Property::Result(_)));
        let results = if wants_results {
            results_of(report, bindings)
        } else {
            BTreeMap::new()
        };
        for p in properties {
            let has = match p {
                Property::Outcome(o) => *o == outcome,
                Property::Event(e) => {
                    let mut read = 0u64;
                    let found = report.events.iter().any(|x| {
                        read += 1;
                        eval::event_matches(e, &event_obs(&x, &report.thread_names))
                    });
                    spent += read;
                    found
                }
                Property::Result(r) => match eval::result_property_holds(r, &results) {
                    Ok(has) => has,
                    Err(why) => {
                        internal.entry(p.key()).or_insert(why);
                        false
                    }
                },
            };
            if has {
                let key = p.key();
                *counts.entry(key.clone()).or_default() += 1;
                witnesses.entry(key).or_insert_with(|| witness(report));
            }
        }
        // Never stop early for a witness: `all schedules` needs the count over every run. Stop when the
        // next run might not fit the event budget.
        if budget.events.saturating_sub(spent) < budget.per_run {
            budget_hit = true;
            return true;
        }
        false
    };
    let with = |policy| RunConfig {
        policy,
        ..config.clone()
    };
    let first = visit(&hmm_sim::run(start, specs, &with(Policy::RoundRobin)));
    let (runs, exhaustive) = if first {
        (0, false)
    } else {
        let dfs = hmm_sim::explore(
            start,
            specs,
            &with(Policy::RunToBlock),
            budget.schedules.saturating_sub(1),
            &mut visit,
        );
        (dfs.runs, dfs.exhaustive)
    };
    (
        ScheduleSearch {
            witnesses,
            counts,
            tried: runs as u64 + 1,
            exhaustive,
            internal,
            budget_hit,
        },
        spent,
    )
}

/// A schedule as thread names, shortened for reports: the first choices, then how many more.
fn witness(r: &Report) -> Vec<String> {
    const SHOWN: usize = 24;
    let name = |t: &u8| r.thread_names.get(*t as usize).cloned().unwrap_or_default();
    let mut w: Vec<String> = r.choices.iter().take(SHOWN).map(name).collect();
    if r.choices.len() > SHOWN {
        w.push(format!("… ({} choices in all)", r.choices.len()));
    }
    if w.is_empty() {
        w.push("(no choice: one thread could run at a time)".into());
    }
    w
}
