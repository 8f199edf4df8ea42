//! The depth-first explorer of scheduling choices (as loom's and shuttle's DFS schedulers).

use super::{Limits, Policy};

/// Threads the explorer can tell apart (its runnable sets are 32-bit masks); more is `TooManyThreads`.
pub const MAX_EXPLORED_THREADS: usize = 32;
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

/// A run-length-encoded sequence: schedules repeat (a thread runs until it blocks, a spinning thread is picked
/// again and again), so a run's choices and runnable sets take memory in its context switches, not its length.
struct Runs<T: Copy + PartialEq> {
    /// (value, index of its first element); sorted by index.
    runs: Vec<(T, usize)>,
    len: usize,
}

impl<T: Copy + PartialEq> Runs<T> {
    fn of(items: impl Iterator<Item = T>) -> Runs<T> {
        let mut r = Runs {
            runs: Vec::new(),
            len: 0,
        };
        for item in items {
            if r.runs.last().map(|&(v, _)| v) != Some(item) {
                r.runs.push((item, r.len));
            }
            r.len += 1;
        }
        r
    }
    fn get(&self, index: usize) -> T {
        let run = self.runs.partition_point(|&(_, start)| start <= index) - 1;
        self.runs[run].0
    }
}

/// One explored run whose alternatives are still being tried: the recursion frame of
/// `explore(prefix) = run prefix, then for each later choice point i and each other runnable thread t,
/// explore(choices[..i] + t)`. It keeps its run's choices and runnable sets only from `base`, the depth
/// where it left its parent's run (before `base` they are the parent's), so the stack holds each choice
/// once, run-length encoded.
struct Frame {
    base: usize,
    choices: Runs<Tid>,
    /// Runnable threads at each choice point, as a bit mask of thread ids.
    runnable: Runs<u32>,
    /// The choice point whose alternatives are being tried, and the threads tried there so far.
    at: usize,
    tried: u32,
}

impl Frame {
    fn new(report: &Report, base: usize, first: usize) -> Frame {
        let mask = |ts: &Vec<Tid>| ts.iter().fold(0u32, |m, &t| m | 1 << t);
        Frame {
            base,
            choices: Runs::of(report.choices[base..].iter().copied()),
            runnable: Runs::of(report.choice_points[base..].iter().map(mask)),
            at: first,
            tried: 0,
        }
    }
    fn end(&self) -> usize {
        self.base + self.choices.len
    }
    /// The next thread to try instead of this run's choice, at this or a later choice point.
    fn next_alternative(&mut self) -> Option<(usize, Tid)> {
        while self.at < self.end() {
            let taken = self.choices.get(self.at - self.base);
            let untried = self.runnable.get(self.at - self.base) & !self.tried & !(1 << taken);
            if untried != 0 {
                let t = untried.trailing_zeros();
                self.tried |= 1 << t;
                return Some((self.at, t as Tid));
            }
            self.at += 1;
            self.tried = 0;
        }
        None
    }
}

/// The choices `frames` (outermost first) had made before depth `depth` of the innermost one.
fn prefix(frames: &[Frame], depth: usize) -> Vec<Tid> {
    let mut out = Vec::with_capacity(depth + 1);
    for (k, f) in frames.iter().enumerate() {
        let end = frames.get(k + 1).map_or(depth, |child| child.base);
        out.extend((f.base..end).map(|i| f.choices.get(i - f.base)));
    }
    out
}

/// Depth-first search over scheduling choices (as loom's and shuttle's DFS schedulers): each run replays a
/// prefix of choices and then runs each thread until it blocks; every other runnable thread at a later choice
/// point is then tried, earliest choice point first, each with its whole subtree before the next. The stack
/// holds one [`Frame`] per nested run, each storing its own run's choices (run-length encoded) from where it
/// left its parent: memory is linear in the depth of the search, not in the number of pending alternatives.
/// `visit` sees each run's report and returns true to stop (a witness found). At most `max_runs` runs: the
/// limit is reported (`exhaustive: false`), never silently hit.
pub fn explore(
    setup: &Setup,
    threads: &[ThreadSpec],
    cfg: &RunConfig,
    max_runs: usize,
    mut visit: impl FnMut(&Report) -> bool,
) -> Exploration {
    let mut explorer = Explorer::new(max_runs);
    loop {
        // One slice of max_runs + 1 ends it (the last step reports the limit); the loop only guards usize::MAX.
        let slice = max_runs.saturating_add(1);
        if let Some(done) = explorer.resume(setup, threads, cfg, slice, &mut visit) {
            return done;
        }
    }
}

/// [`explore`] a slice at a time: the same search, in the same order, paused after any number of runs and
/// resumed, so a caller that must stay responsive (the browser's race lab) can show progress between slices
/// and stop between them. `explore(…, max_runs, visit)` is `Explorer::new(max_runs)` resumed until it ends.
pub struct Explorer {
    frames: Vec<Frame>,
    /// The next run's replayed prefix; `None` once every schedule was tried.
    next: Option<Vec<Tid>>,
    runs: usize,
    max_runs: usize,
}

impl Explorer {
    pub fn new(max_runs: usize) -> Explorer {
        Explorer {
            frames: Vec::new(),
            next: Some(Vec::new()),
            runs: 0,
            max_runs,
        }
    }

    /// Schedules run so far.
    pub fn runs(&self) -> usize {
        self.runs
    }

    /// Run at most `slice` more schedules of the search. `Some` when it ended (a witness, every schedule
    /// tried, or `max_runs` reached), `None` when the slice ran out first. Pass the same `setup`, `threads`
    /// and `cfg` every time: the pending alternatives are choice prefixes of that run.
    pub fn resume(
        &mut self,
        setup: &Setup,
        threads: &[ThreadSpec],
        cfg: &RunConfig,
        slice: usize,
        mut visit: impl FnMut(&Report) -> bool,
    ) -> Option<Exploration> {
        for _ in 0..slice {
            let Some(choices) = self.next.take() else {
                return Some(Exploration {
                    runs: self.runs,
                    exhaustive: true,
                    witness: None,
                });
            };
            if self.runs == self.max_runs {
                self.next = Some(choices);
                return Some(Exploration {
                    runs: self.runs,
                    exhaustive: false,
                    witness: None,
                });
            }
            self.runs += 1;
            let replayed = choices.len();
            let run_cfg = RunConfig {
                policy: Policy::Replay { choices },
                // A frame keeps runnable sets as 32-bit masks of thread ids.
                limits: Limits {
                    max_threads: cfg.limits.max_threads.min(MAX_EXPLORED_THREADS),
                    ..cfg.limits.clone()
                },
                ..cfg.clone()
            };
            let report = run(setup, threads, &run_cfg);
            if visit(&report) {
                return Some(Exploration {
                    runs: self.runs,
                    exhaustive: false,
                    witness: Some(report.choices),
                });
            }
            // The new run is a child of the innermost frame: it left its parent at the last replayed choice.
            let base = replayed.saturating_sub(1);
            self.frames.push(Frame::new(&report, base, replayed));
            while let Some(frame) = self.frames.last_mut() {
                if let Some((depth, alt)) = frame.next_alternative() {
                    let mut p = prefix(&self.frames, depth);
                    p.push(alt);
                    self.next = Some(p);
                    break;
                }
                self.frames.pop();
            }
        }
        // The slice ran out; say so only if the search has not also just ended.
        match self.next {
            None => Some(Exploration {
                runs: self.runs,
                exhaustive: true,
                witness: None,
            }),
            Some(_) => None,
        }
    }
}
