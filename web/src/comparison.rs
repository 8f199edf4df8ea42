//! A comparison: one scenario run through the three lanes once (`hmm_sim::compare`), each lane's trace
//! made seekable (`hmm_sim::Timeline`), and how the lanes line up with each other.
//!
//! Everything here is computed once per scenario and shared by `Rc`; the only thing playback changes is the
//! step index held by the app's reducer.

use std::cell::OnceCell;
use std::rc::Rc;

use hmm_sim::Strategy;
use hmm_sim::{compact_states, PageState};
use hmm_sim::{compare, RunConfig};
use hmm_sim::{Counters, Milestone};
use hmm_sim::{Timeline, ViewState};

use crate::picture::spans::Spans;
use crate::url::Align;

/// One lane of a comparison: its trace, seekable, and what the run said about itself.
pub struct LaneTrace {
    pub strategy: Strategy,
    pub timeline: Timeline,
    /// Counters at the end of the run.
    pub totals: Counters,
    /// The run's error, if it did not complete (a deadlock, a step limit…), as hmm-sim words it.
    pub error: Option<String>,
    /// Invariant breaches hmm-sim reported.
    pub violations: Vec<String>,
    pub thread_names: Vec<String>,
    /// Steps at which milestones are reached, shared with every picture of this lane.
    pub milestones: Rc<Vec<(usize, Milestone)>>,
    spans: OnceCell<Spans>,
}

impl LaneTrace {
    /// Call and lock spans for the swimlane timeline, computed on first use (only the deep view needs them).
    pub fn spans(&self) -> &Spans {
        self.spans.get_or_init(|| Spans::of(self.timeline.events()))
    }

    pub fn thread_name(&self, tid: u8) -> String {
        self.thread_names
            .get(tid as usize)
            .map_or_else(|| format!("T{tid}"), |n| format!("T{tid} {n}"))
    }
}

pub struct LoadedLanes {
    /// The scenario as the URL carries it (`hmm_sim::compact_states`).
    pub pages_text: String,
    pub states: Vec<PageState>,
    pub lanes: Vec<LaneTrace>,
    /// hmm-sim's verdict: do all lanes end with every page in the same place, holding the same data?
    pub agree: bool,
}

impl LoadedLanes {
    pub fn build(states: Vec<PageState>) -> LoadedLanes {
        let comparison = compare(&states, &RunConfig::default());
        let agree = comparison.agree();
        let initial = ViewState::from_world(&comparison.initial);
        let lanes = comparison
            .lanes
            .into_iter()
            .map(|run| {
                let timeline = Timeline::new(initial.clone(), run.report.events);
                LaneTrace {
                    strategy: run.strategy,
                    totals: run.counters,
                    error: run.report.result.as_ref().err().map(|e| e.to_string()),
                    violations: run.report.violations.clone(),
                    thread_names: run.report.thread_names.clone(),
                    milestones: Rc::new(timeline.milestone_steps().collect()),
                    timeline,
                    spans: OnceCell::new(),
                }
            })
            .collect();
        LoadedLanes {
            pages_text: compact_states(&states),
            states,
            lanes,
            agree,
        }
    }

    pub fn npages(&self) -> usize {
        self.states.len()
    }

    pub fn lane_index(&self, strategy: Strategy) -> usize {
        self.lanes
            .iter()
            .position(|l| l.strategy == strategy)
            .unwrap_or(0)
    }

    pub fn lane(&self, strategy: Strategy) -> &LaneTrace {
        &self.lanes[self.lane_index(strategy)]
    }

    /// Length of the shared transport: the reference lane's trace when aligning by milestone (the other lanes
    /// are mapped onto it), the longest trace when aligning by raw step.
    pub fn transport_len(&self, align: Align, reference: Strategy) -> usize {
        match align {
            Align::Milestone => self.lane(reference).timeline.len(),
            Align::Step => self
                .lanes
                .iter()
                .map(|l| l.timeline.len())
                .max()
                .unwrap_or(0),
        }
    }

    /// Where lane `index` is when the transport is at `step`.
    pub fn lane_step(&self, index: usize, align: Align, reference: Strategy, step: usize) -> usize {
        let lane = &self.lanes[index];
        match align {
            Align::Step => step.min(lane.timeline.len()),
            Align::Milestone => {
                let reference = self.lane(reference);
                if std::ptr::eq(reference, lane) {
                    return step.min(lane.timeline.len());
                }
                map_by_anchors(&anchors(&reference.timeline, &lane.timeline), step)
            }
        }
    }

    /// Where every lane is when the transport is at `step`.
    pub fn lane_steps(&self, align: Align, reference: Strategy, step: usize) -> Vec<usize> {
        (0..self.lanes.len())
            .map(|i| self.lane_step(i, align, reference, step))
            .collect()
    }

    /// Each lane's counters at the end of its run.
    pub fn totals(&self) -> Vec<(Strategy, Counters)> {
        self.lanes.iter().map(|l| (l.strategy, l.totals)).collect()
    }

    /// Milestones of the transport's axis (the reference lane's in milestone mode; every lane's in step mode).
    pub fn transport_milestones(
        &self,
        align: Align,
        reference: Strategy,
    ) -> Vec<(usize, Milestone)> {
        match align {
            Align::Milestone => self.lane(reference).timeline.milestone_steps().collect(),
            Align::Step => {
                let mut all: Vec<(usize, Milestone)> = self
                    .lanes
                    .iter()
                    .flat_map(|l| l.timeline.milestone_steps())
                    .collect();
                all.sort();
                all.dedup();
                all
            }
        }
    }
}

/// Matching milestone steps (reference step, lane step), from (0, 0) to (reference end, lane end): the longest
/// common subsequence of the two lanes' milestone sequences, so that "collected" lines up with "collected" even
/// when one lane reaches it twice (legacy B) or never (a lane that faults nothing).
pub fn anchors(reference: &Timeline, lane: &Timeline) -> Vec<(usize, usize)> {
    let r: Vec<(usize, Milestone)> = reference.milestone_steps().collect();
    let l: Vec<(usize, Milestone)> = lane.milestone_steps().collect();
    // Classic LCS table; milestone lists are short (a handful per lane).
    let mut table = vec![vec![0u16; l.len() + 1]; r.len() + 1];
    for i in (0..r.len()).rev() {
        for j in (0..l.len()).rev() {
            table[i][j] = if r[i].1 == l[j].1 {
                table[i + 1][j + 1] + 1
            } else {
                table[i + 1][j].max(table[i][j + 1])
            };
        }
    }
    let mut out = vec![(0, 0)];
    let (mut i, mut j) = (0, 0);
    while i < r.len() && j < l.len() {
        if r[i].1 == l[j].1 {
            out.push((r[i].0, l[j].0));
            i += 1;
            j += 1;
        } else if table[i + 1][j] >= table[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out.push((reference.len(), lane.len()));
    // Keep the mapping monotone in both coordinates.
    out.dedup_by(|later, kept| {
        if later.0 <= kept.0 {
            kept.1 = kept.1.max(later.1);
            return true;
        }
        later.1 < kept.1
    });
    out
}

/// Piecewise-linear map of a reference step through the anchor pairs.
pub fn map_by_anchors(anchors: &[(usize, usize)], step: usize) -> usize {
    let k = anchors.partition_point(|&(r, _)| r <= step);
    if k == 0 {
        return 0;
    }
    let (r0, l0) = anchors[k - 1];
    match anchors.get(k) {
        None => l0,
        Some(&(r1, l1)) => {
            let span = (r1 - r0).max(1) as u128;
            let offset = (step - r0) as u128;
            l0 + ((l1 - l0) as u128 * offset / span) as usize
        }
    }
}

/// A comparison shared by `Rc` and equal only to itself: comparing traces is the cost sharing avoids.
#[derive(Clone)]
pub struct SharedLanes(pub Rc<LoadedLanes>);

impl PartialEq for SharedLanes {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for SharedLanes {
    type Target = LoadedLanes;
    fn deref(&self) -> &LoadedLanes {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_map_monotonically_and_hit_the_ends() {
        let a = vec![(0, 0), (10, 30), (20, 35), (100, 50)];
        assert_eq!(map_by_anchors(&a, 0), 0);
        assert_eq!(map_by_anchors(&a, 10), 30);
        assert_eq!(map_by_anchors(&a, 15), 32);
        assert_eq!(map_by_anchors(&a, 100), 50);
        assert_eq!(map_by_anchors(&a, 1000), 50);
        let mut last = 0;
        for s in 0..=100 {
            let m = map_by_anchors(&a, s);
            assert!(m >= last);
            last = m;
        }
    }

    #[test]
    fn lanes_line_up_on_shared_milestones() {
        let states = crate::scenario::parse_text("PPPPSSSS").expect("valid");
        let comparison = LoadedLanes::build(states);
        assert_eq!(comparison.lanes.len(), 3);
        let reference = Strategy::Unified;
        let end = comparison.transport_len(Align::Milestone, reference);
        for (i, lane) in comparison.lanes.iter().enumerate() {
            assert_eq!(
                comparison.lane_step(i, Align::Milestone, reference, end),
                lane.timeline.len()
            );
            assert_eq!(comparison.lane_step(i, Align::Milestone, reference, 0), 0);
        }
        // Reaching "all pages on device" in the reference lane means every lane has reached it.
        let (at, _) = comparison
            .lane(reference)
            .timeline
            .milestone_steps()
            .find(|(_, m)| *m == Milestone::AllOnDevice)
            .expect("the unified lane reaches all-on-device");
        for (i, lane) in comparison.lanes.iter().enumerate() {
            let (own, _) = lane
                .timeline
                .milestone_steps()
                .find(|(_, m)| *m == Milestone::AllOnDevice)
                .expect("every lane reaches all-on-device");
            assert_eq!(
                comparison.lane_step(i, Align::Milestone, reference, at),
                own
            );
        }
    }
}
