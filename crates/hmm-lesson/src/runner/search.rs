//! Schedule claims (`exists schedule …`, `all schedules …`): a bounded search over the interleavings of one
//! `run`, recording for each property the first schedule that has it and how many do.

use super::events::{classify, events_of};
use crate::eval;
use crate::model::Property;
use crate::observe::ScheduleSearch;
use hmm_sim::Policy;
use hmm_sim::{Report, RunConfig, Setup, ThreadSpec};
use std::collections::BTreeMap;

/// Round robin first (it interleaves at every preemption point), then hmm-sim's depth-first explorer,
/// `budget` runs in all. `config` gives the kernel and limits; its policy is replaced.
pub fn search(
    start: &Setup,
    specs: &[ThreadSpec],
    properties: &[Property],
    config: &RunConfig,
    budget: usize,
) -> ScheduleSearch {
    let mut witnesses: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut visit = |report: &Report| {
        let outcome = classify(report);
        let events = events_of(&report.events, &report.thread_names);
        for p in properties {
            let has = match p {
                Property::Outcome(o) => *o == outcome,
                Property::Event(e) => events.iter().any(|x| eval::event_matches(e, x)),
            };
            if has {
                let key = p.key();
                *counts.entry(key.clone()).or_default() += 1;
                witnesses.entry(key).or_insert_with(|| witness(report));
            }
        }
        // Never stop early: `all schedules` needs the count over every run.
        false
    };
    let with = |policy| RunConfig {
        policy,
        ..config.clone()
    };
    visit(&hmm_sim::run(start, specs, &with(Policy::RoundRobin)));
    let dfs = hmm_sim::explore(
        start,
        specs,
        &with(Policy::RunToBlock),
        budget.saturating_sub(1),
        visit,
    );
    ScheduleSearch {
        witnesses,
        counts,
        tried: dfs.runs as u64 + 1,
        exhaustive: dfs.exhaustive,
    }
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
