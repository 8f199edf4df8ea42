//! A comparison: one scenario run through the three lanes once (`hmm_sim::compare`), each lane's trace
//! made seekable (`hmm_sim::Timeline`), and how the lanes line up with each other.
//!
//! Everything here is computed once per scenario and shared by `Rc`; the only thing playback changes is the
//! step index held by the app's reducer.
//!
//! The browser keeps every event of every lane (time travel replays them), so each lane runs under an explicit
//! trace budget, [`BROWSER_MAX_EVENTS_PER_LANE`]: a lane that reaches it stops there ([`Stopped`]), stays
//! explorable up to that step, and the app says so in words. Lanes are lined up by milestone in bounded memory
//! ([`MAX_ALIGNMENT_CELLS`]). Issue 14 (`O*32768` died with `RuntimeError: unreachable`) was the exact
//! alignment table (14 GB); hmm-sim's default step budget would have kept 2.4 GiB of wasm memory besides.

use std::cell::OnceCell;
use std::rc::Rc;

use hmm_sim::{compact_states, DriverOpts, PageState};
use hmm_sim::{thousands, Limits, RunConfig};
use hmm_sim::{Counters, Milestone};
use hmm_sim::{Setup, Strategy};
use hmm_sim::{Timeline, TimelineBuilder, ViewState};

use crate::compute::protocol::{LaneMeta, Reply, Request};
use crate::compute::trace_bytes;

use crate::picture::overview::KindMapCache;
use crate::picture::spans::Spans;
use crate::url::Align;

/// The most trace events the browser keeps per lane: 2^23 = 8,388,608.
///
/// Why this number: all three lanes are kept on the page for time travel, each as hmm-sim's packed trace plus
/// up to 17 checkpoint views of the whole world (`hmm_sim::Timeline`), and the page replays each lane once to
/// build them (a slice at a time, `crate::compute::client`). The wasm32 heap cannot exceed 4 GiB and never
/// gives memory back: with hmm-sim's default budget (50,000,000) and 16-byte events, `O*32768` took 2.4 GiB
/// of wasm memory. The browser runs any scenario hmm-sim accepts (up to `hmm_sim::MAX_PAGES`, 1 GiB), in a
/// worker; a lane longer than this (every lane of `P*262144`; the mixed 1 GiB scenario's legacy B is 49.6 M
/// events) stops here, explorable up to there, and says so. Not yet re-measured since traces are packed: the
/// budget may be raised once the page's memory at 262,144 pages is measured against it.
pub const BROWSER_MAX_EVENTS_PER_LANE: u64 = 1 << 23;

/// How far apart the page's time-travel checkpoints are, in events: 49,152, three quarters of hmm-sim's
/// `CHECKPOINT_EVERY`, so that a cold seek, which replays up to this many events in each of the three lanes
/// on the main thread, stays well inside one task of 50 ms on a loaded machine. Memory hardly depends on it: a
/// lane sweeping the range copies each chunk of view about once per pass whatever the spacing (all present,
/// 262,144 pages: 81,920 apart 262.1 MiB of wasm memory, 262,144 apart 252.8 MiB, before `hmm_sim::Holders`),
/// so what a lane holds is its trace plus a few copies of the view, not the number of checkpoints.
pub const BROWSER_CHECKPOINT_EVERY: usize = 49_152;

/// The view of the world before step 0 of every lane of `states`.
pub fn initial_view(states: &[PageState]) -> ViewState {
    ViewState::from_world(&Setup::from_states(states).world)
}

/// How the browser runs a scenario: hmm-sim's defaults, with the trace budget above.
pub fn browser_run_config(max_events_per_lane: u64) -> RunConfig {
    RunConfig {
        limits: Limits {
            max_steps: max_events_per_lane,
            ..Limits::default()
        },
        ..RunConfig::default()
    }
}

/// A lane that ran into the browser's trace budget: where it stopped, as hmm-sim said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stopped {
    /// The budget it reached (events kept).
    pub limit: u64,
    /// Which thread, in which kernel function (`T0 in hmm_range_fault`): those of the last event kept, so
    /// the notice names what the last step shows. (hmm-sim's own `at` is read later, when the scheduler
    /// stops the thread, and can name a function further on.)
    pub at: String,
}

impl Stopped {
    /// The notice, in words a reader of the page follows: which lane, which limit, where, and what to do
    /// (the command, [`Stopped::command`], follows it).
    pub fn message(&self, lane: &str) -> String {
        format!(
            "The {lane} lane stopped at step {limit}: the browser keeps at most {limit} events per lane \
             (all three lanes are kept for stepping back and forth). It stopped in thread {at}. \
             Its steps up to there can be explored; its counters and final pages are as far as it got. \
             To count the whole run, use the command line, which counts the events without keeping the trace:",
            limit = thousands(self.limit),
            at = self.at,
        )
    }

    /// The CLI command that runs the same scenario.
    pub fn command(pages_text: &str) -> String {
        format!("hmmviz compare --pages {pages_text}")
    }
}

impl Stopped {
    /// The lane panel's line (the full notice is above the lanes).
    pub fn short(&self) -> String {
        format!(
            "Stopped at the browser's limit of {} events per lane, in thread {}. The steps up to there can \
             be explored.",
            thousands(self.limit),
            self.at
        )
    }
}

/// One lane of a comparison: its trace, seekable, and what the run said about itself.
pub struct LaneTrace {
    pub strategy: Strategy,
    pub timeline: Timeline,
    /// Counters at the end of the run (where it stopped, if it stopped).
    pub totals: Counters,
    /// Set if the lane ran into the browser's trace budget.
    pub stopped: Option<Stopped>,
    /// The run's error if it failed otherwise (a deadlock…), as hmm-sim words it.
    pub error: Option<String>,
    /// Invariant breaches hmm-sim reported.
    pub violations: Vec<String>,
    pub thread_names: Vec<String>,
    /// Steps at which milestones are reached, shared with every picture of this lane.
    pub milestones: Rc<Vec<(usize, Milestone)>>,
    /// How long the run took where it was computed, in milliseconds.
    pub compute_millis: f64,
    /// The overview's per-chunk counts, moved with the step (`crate::picture::overview`).
    pub overview: KindMapCache,
    spans: OnceCell<Spans>,
}

impl LaneTrace {
    /// A lane as the compute worker reports it: its summary, and its trace made seekable.
    pub fn from_worker(meta: LaneMeta, timeline: Timeline) -> LaneTrace {
        LaneTrace {
            strategy: meta.strategy,
            totals: meta.counters,
            stopped: meta.stopped.map(|(limit, at)| Stopped { limit, at }),
            error: meta.error,
            violations: meta.violations,
            thread_names: meta.thread_names,
            milestones: Rc::new(timeline.milestone_steps().collect()),
            compute_millis: meta.millis,
            overview: KindMapCache::default(),
            timeline,
            spans: OnceCell::new(),
        }
    }

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
    /// The lanes' driver settings (write intent, legacy B's policy, the unified entry point).
    pub driver: DriverOpts,
    /// The lanes computed so far, in `Strategy::ALL` order (all three once [`LoadedLanes::complete`]): the
    /// worker hands them over one at a time, and the first can be explored while the others compute.
    pub lanes: Vec<Rc<LaneTrace>>,
    /// hmm-sim's verdict: do all lanes end with every page in the same place, holding the same data? (False
    /// until every lane is in.)
    pub agree: bool,
    /// Every lane is in, and the verdict above is hmm-sim's.
    pub complete: bool,
    /// [`anchors`] of lane `j` against reference lane `i` at `i * lanes + j`, computed on first use: every
    /// picture of every step asks for them.
    alignments: Vec<OnceCell<Vec<(usize, usize)>>>,
}

impl LoadedLanes {
    /// Run `states` through the three lanes under the browser's budget, [`BROWSER_MAX_EVENTS_PER_LANE`], here
    /// and now (small scenarios, and tests; large ones go to the worker, `crate::compute`).
    pub fn build(states: Vec<PageState>) -> LoadedLanes {
        LoadedLanes::build_driven(states, DriverOpts::default())
    }

    /// [`LoadedLanes::build`] with the lanes' driver settings.
    pub fn build_driven(states: Vec<PageState>, driver: DriverOpts) -> LoadedLanes {
        LoadedLanes::build_with(states, BROWSER_MAX_EVENTS_PER_LANE, driver)
    }

    /// Run `states` keeping at most `max_events_per_lane` events per lane (tests use small budgets): the
    /// worker's own job ([`crate::compute::job::run`]), its replies read back on the spot.
    pub fn build_with_budget(states: Vec<PageState>, max_events_per_lane: u64) -> LoadedLanes {
        LoadedLanes::build_with(states, max_events_per_lane, DriverOpts::default())
    }

    fn build_with(
        states: Vec<PageState>,
        max_events_per_lane: u64,
        driver: DriverOpts,
    ) -> LoadedLanes {
        let request = Request {
            pages: compact_states(&states),
            first: Strategy::LegacyA,
            budget: max_events_per_lane,
            driver,
        };
        let initial = initial_view(&states);
        let mut lanes = Vec::new();
        let mut agree = false;
        crate::compute::job::run(
            &request,
            || 0.0,
            |reply, bytes| match reply {
                Reply::Lane(meta) => {
                    let events = bytes
                        .and_then(|b| trace_bytes::decode(&b).ok())
                        .unwrap_or_default();
                    let timeline =
                        TimelineBuilder::spaced(initial.clone(), events, BROWSER_CHECKPOINT_EVERY)
                            .finish();
                    lanes.push(Rc::new(LaneTrace::from_worker(meta, timeline)));
                }
                Reply::Done { agree: verdict } => agree = verdict,
                Reply::Ready | Reply::Started(_) | Reply::Failed(_) => {}
            },
        );
        LoadedLanes::assemble(states, driver, lanes, Some(agree))
    }

    /// The lanes computed so far; `agree` is hmm-sim's verdict once every lane is in (`None` before).
    pub fn assemble(
        states: Vec<PageState>,
        driver: DriverOpts,
        mut lanes: Vec<Rc<LaneTrace>>,
        agree: Option<bool>,
    ) -> LoadedLanes {
        lanes.sort_by_key(|l| Strategy::ALL.iter().position(|&s| s == l.strategy));
        let alignments = (0..lanes.len() * lanes.len())
            .map(|_| OnceCell::new())
            .collect();
        LoadedLanes {
            alignments,
            pages_text: compact_states(&states),
            driver,
            states,
            lanes,
            agree: agree.unwrap_or(false),
            complete: agree.is_some(),
        }
    }

    /// This comparison with one more lane in (the worker's next), sharing the lanes already in.
    pub fn with_lane(&self, lane: Rc<LaneTrace>) -> LoadedLanes {
        let mut lanes = self.lanes.clone();
        lanes.retain(|l| l.strategy != lane.strategy);
        lanes.push(lane);
        LoadedLanes::assemble(self.states.clone(), self.driver, lanes, None)
    }

    /// This comparison with hmm-sim's verdict, every lane being in.
    pub fn finished(&self, agree: bool) -> LoadedLanes {
        LoadedLanes::assemble(
            self.states.clone(),
            self.driver,
            self.lanes.clone(),
            Some(agree),
        )
    }

    /// Is this lane in yet?
    pub fn has_lane(&self, strategy: Strategy) -> bool {
        self.lanes.iter().any(|l| l.strategy == strategy)
    }

    /// The notice for each lane that ran into the browser's budget, in lane order, with the CLI command that
    /// counts the whole run.
    pub fn stop_notices(&self) -> Vec<(Strategy, String, String)> {
        self.lanes
            .iter()
            .filter_map(|l| {
                let stopped = l.stopped.as_ref()?;
                let lane = crate::components::lane_name(l.strategy);
                let command = Stopped::command(&self.pages_text);
                Some((l.strategy, stopped.message(lane), command))
            })
            .collect()
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
                let r = self.lane_index(reference);
                if r == index {
                    return step.min(lane.timeline.len());
                }
                let reference = &self.lanes[r].timeline;
                let anchors = self.alignments[r * self.lanes.len() + index]
                    .get_or_init(|| anchors(reference, &lane.timeline));
                map_by_anchors(anchors, step)
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

/// The largest milestone-alignment table computed exactly (reference milestones × lane milestones): 2^22
/// cells of `u16`, 8 MiB. Most scenarios have a handful of milestones per lane, but a lane that migrates
/// page by page reaches one per page (`O*32768`: 131,142 in legacy A), and the exact table for two such lanes
/// was 14 GB, more than wasm32 can address: the allocator aborted (`RuntimeError: unreachable`, issue 14).
/// Past this size lanes are aligned greedily ([`greedy_matches`]).
pub const MAX_ALIGNMENT_CELLS: usize = 1 << 22;

/// Matching milestone steps (reference step, lane step), from (0, 0) to (reference end, lane end): the longest
/// common subsequence of the two lanes' milestone sequences, so that "collected" lines up with "collected" even
/// when one lane reaches it twice (legacy B) or never (a lane that faults nothing). When the table would be
/// larger than [`MAX_ALIGNMENT_CELLS`], a greedy common subsequence instead (still monotone, in time
/// O(n log n) and memory O(n)).
pub fn anchors(reference: &Timeline, lane: &Timeline) -> Vec<(usize, usize)> {
    let r: Vec<(usize, Milestone)> = reference.milestone_steps().collect();
    let l: Vec<(usize, Milestone)> = lane.milestone_steps().collect();
    let matches = if (r.len() + 1).saturating_mul(l.len() + 1) <= MAX_ALIGNMENT_CELLS {
        lcs_matches(&r, &l)
    } else {
        greedy_matches(&r, &l)
    };
    let mut out = vec![(0, 0)];
    out.extend(matches.into_iter().map(|(i, j)| (r[i].0, l[j].0)));
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

/// Index pairs of a longest common subsequence of the milestone kinds (the classic table; callers keep it
/// within [`MAX_ALIGNMENT_CELLS`], so no length exceeds `u16`).
fn lcs_matches(r: &[(usize, Milestone)], l: &[(usize, Milestone)]) -> Vec<(usize, usize)> {
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
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < r.len() && j < l.len() {
        if r[i].1 == l[j].1 {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if table[i + 1][j] >= table[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Index pairs of a common subsequence found greedily: each reference milestone matches the lane's next
/// milestone of the same kind after the previous match (a binary search in that kind's positions).
pub fn greedy_matches(r: &[(usize, Milestone)], l: &[(usize, Milestone)]) -> Vec<(usize, usize)> {
    let mut by_kind: Vec<(Milestone, Vec<usize>)> = Vec::new();
    for (j, &(_, m)) in l.iter().enumerate() {
        match by_kind.iter_mut().find(|(k, _)| *k == m) {
            Some((_, positions)) => positions.push(j),
            None => by_kind.push((m, vec![j])),
        }
    }
    let mut out = Vec::new();
    let mut next = 0;
    for (i, &(_, m)) in r.iter().enumerate() {
        let Some((_, positions)) = by_kind.iter().find(|(k, _)| *k == m) else {
            continue;
        };
        let k = positions.partition_point(|&j| j < next);
        if let Some(&j) = positions.get(k) {
            out.push((i, j));
            next = j + 1;
        }
    }
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
    fn a_lane_that_reaches_the_budget_stops_there_and_says_so() {
        let states = crate::scenario::parse_text("PPPPSSSS").expect("valid");
        let full = LoadedLanes::build(states.clone());
        assert!(full
            .lanes
            .iter()
            .all(|l| l.stopped.is_none() && l.error.is_none()));
        assert!(full.stop_notices().is_empty());
        let shortest = full
            .lanes
            .iter()
            .map(|l| l.timeline.len())
            .min()
            .expect("three lanes");
        let budget = shortest as u64 / 2;
        let cut = LoadedLanes::build_with_budget(states, budget);
        for lane in &cut.lanes {
            // Explorable up to where it stopped: exactly the budget's events are kept.
            assert_eq!(lane.timeline.len() as u64, budget, "{:?}", lane.strategy);
            let stopped = lane.stopped.as_ref().expect("every lane stops");
            assert_eq!(stopped.limit, budget);
            assert!(stopped.at.starts_with("T0 in "), "{}", stopped.at);
            assert_eq!(lane.error, None, "a budget stop is not an error");
        }
        let notices = cut.stop_notices();
        assert_eq!(notices.len(), 3);
        let (strategy, unified, command) = &notices[2];
        assert_eq!(*strategy, Strategy::Unified);
        assert_eq!(command, "hmmviz compare --pages PPPPSSSS");
        // Where it stopped is what its last step shows.
        let last = cut.lanes[2]
            .timeline
            .event_before(budget as usize)
            .expect("events kept");
        let at = format!(
            "It stopped in thread T{} in {}.",
            last.thread,
            last.func.name()
        );
        assert!(unified.contains(&at), "{unified}");
        let limit = thousands(budget);
        assert!(
            unified.starts_with(&format!("The Unified lane stopped at step {limit}: ")),
            "{unified}"
        );
        assert!(
            unified.contains(&format!("at most {limit} events per lane")),
            "{unified}"
        );
    }

    #[test]
    fn the_browser_budget_is_passed_to_hmm_sim() {
        let cfg = browser_run_config(BROWSER_MAX_EVENTS_PER_LANE);
        assert_eq!(cfg.limits.max_steps, 8_388_608);
        assert!(BROWSER_MAX_EVENTS_PER_LANE.is_power_of_two());
        assert!(BROWSER_MAX_EVENTS_PER_LANE < Limits::default().max_steps);
        assert_eq!(cfg.trace, hmm_sim::TraceMode::Keep);
    }

    #[test]
    fn long_milestone_lists_align_greedily_in_order() {
        use Milestone::{Collected, Finalized, PagesMigrated, Unmapped};
        let cycle = [Collected, Unmapped, PagesMigrated, Finalized];
        // O*32768's sizes: the exact table would be 131,142 × 53,350 cells.
        let r: Vec<(usize, Milestone)> = (0..131_142).map(|i| (i * 60, cycle[i % 4])).collect();
        let l: Vec<(usize, Milestone)> =
            (0..53_350).map(|i| (i * 150, cycle[(i + 1) % 4])).collect();
        assert!((r.len() + 1) * (l.len() + 1) > MAX_ALIGNMENT_CELLS);
        let m = greedy_matches(&r, &l);
        assert!(m.len() > 53_000, "{}", m.len());
        for pair in m.windows(2) {
            assert!(pair[0].0 < pair[1].0 && pair[0].1 < pair[1].1);
        }
        assert!(m.iter().all(|&(i, j)| r[i].1 == l[j].1));
        // A kind the lane never reaches is skipped, not searched for again and again.
        let l = vec![(5, Finalized)];
        assert_eq!(greedy_matches(&r[..8], &l), vec![(3, 0)]);
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
