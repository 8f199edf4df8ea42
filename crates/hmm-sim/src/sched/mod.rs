//! The deterministic scheduler: an [`Executor`] polls the simulated threads (coroutines on one [`Kernel`])
//! and, where more than one could run, asks its [`Policy`] which (policy.rs); the depth-first explorer of
//! scheduling choices is dfs.rs. Every choice is recorded, so a run replays exactly.

mod dfs;
mod policy;

pub use dfs::{explore, Exploration, Explorer};
pub use policy::Policy;

use crate::kernel::{Kernel, ThreadCtl};
use crate::trace::*;
use policy::SplitMix;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Waker};

/// One scheduling decision: which thread ran when several could.
pub type Choice = Tid;

/// Simulation limits. Every one is explicit and reported when hit.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Trace events (16 bytes each when kept) a run may record; the next one stops it with
    /// [`RunError::StepLimit`]. Enforced where events are recorded, whatever the number of live threads.
    pub max_steps: u64,
    /// Simulated threads (the trace packs thread ids in a byte; lessons need a handful).
    pub max_threads: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_steps: 50_000_000,
            max_threads: 16,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RunError {
    /// No thread can run but some have not finished: each blocked thread and what it waits on.
    Deadlock {
        blocked: Vec<(Tid, String)>,
    },
    /// The step budget ([`Limits::max_steps`]) ran out: `at` says which thread was in which function.
    StepLimit {
        steps: u64,
        at: String,
    },
    /// A replayed choice named a thread that could not run at that point.
    ImpossibleChoice {
        index: usize,
        wanted: Tid,
        runnable: Vec<Tid>,
    },
    TooManyThreads {
        max: usize,
    },
    /// The set-up asked for something outside the model's limits (reported, never a panic).
    BadSetup {
        reason: String,
    },
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Deadlock { blocked } => {
                write!(f, "deadlock: no thread can run;")?;
                for (t, w) in blocked {
                    write!(f, " T{t} waits for {w};")?;
                }
                Ok(())
            }
            RunError::StepLimit { steps, at } => {
                write!(
                    f,
                    "step limit of {} events reached ({at})",
                    thousands(*steps)
                )
            }
            RunError::ImpossibleChoice {
                index,
                wanted,
                runnable,
            } => write!(
                f,
                "schedule choice #{index} picks T{wanted}, but only {runnable:?} can run there"
            ),
            RunError::TooManyThreads { max } => write!(f, "too many threads: the limit is {max}"),
            RunError::BadSetup { reason } => write!(f, "bad set-up: {reason}"),
        }
    }
}

impl std::error::Error for RunError {}

pub(crate) type Coroutine = Pin<Box<dyn Future<Output = ()>>>;

/// Runs coroutines on [`Kernel`] under a [`Policy`], recording every choice.
pub struct Executor {
    pub kernel: Rc<Kernel>,
    coroutines: Vec<Option<Coroutine>>,
    pub names: Vec<String>,
    pub limits: Limits,
    /// The choices made where more than one thread could run; replaying them reproduces the run.
    pub choices: Vec<Choice>,
    /// The runnable threads at each of those choices: the alternatives an explorer may try.
    pub choice_points: Vec<Vec<Tid>>,
    rng: SplitMix,
}

impl Executor {
    pub fn new(kernel: Rc<Kernel>, limits: Limits) -> Executor {
        Executor {
            kernel,
            coroutines: Vec::new(),
            names: Vec::new(),
            limits,
            choices: Vec::new(),
            choice_points: Vec::new(),
            rng: SplitMix::default(),
        }
    }

    /// Add a thread running `body` (its mm is the body's business: each op names it).
    pub fn spawn(
        &mut self,
        name: &str,
        body: impl FnOnce(Rc<Kernel>) -> Coroutine,
    ) -> Result<Tid, RunError> {
        if self.coroutines.len() >= self.limits.max_threads {
            return Err(RunError::TooManyThreads {
                max: self.limits.max_threads,
            });
        }
        let tid = self.coroutines.len() as Tid;
        self.kernel.threads.borrow_mut().push(ThreadCtl::default());
        self.coroutines.push(Some(body(self.kernel.clone())));
        self.names.push(name.to_string());
        self.kernel.live.set(self.kernel.live.get() + 1);
        Ok(tid)
    }

    fn runnable(&self) -> Vec<Tid> {
        let threads = self.kernel.threads.borrow();
        (0..threads.len())
            .filter(|&t| !threads[t].done && threads[t].waiting.is_none())
            .map(|t| t as Tid)
            .collect()
    }

    /// Run until every thread finishes, or report why not. Unfinished coroutines are dropped silently.
    pub fn run(&mut self, policy: &Policy) -> Result<(), RunError> {
        let result = self.run_inner(policy);
        self.kernel.quiet.set(true);
        self.coroutines.iter_mut().for_each(|c| *c = None);
        self.kernel.quiet.set(false);
        result
    }

    fn run_inner(&mut self, policy: &Policy) -> Result<(), RunError> {
        if let Policy::Random { seed } = policy {
            self.rng = SplitMix::seeded(*seed);
        }
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut last: Option<Tid> = None;
        loop {
            let runnable = self.runnable();
            if runnable.is_empty() {
                let threads = self.kernel.threads.borrow();
                if threads.iter().all(|t| t.done) {
                    return Ok(());
                }
                let held = self.kernel.w().held_locks();
                // Who holds what a thread waits on: a thread waiting on itself is the clearest hang.
                let holders = |w: WaitOn| -> String {
                    let lock = match w {
                        WaitOn::Lock(l) => l,
                        WaitOn::FolioUnlock(pfn) => LockId::Folio(pfn),
                        WaitOn::NotifierIdle(_) => return String::new(),
                    };
                    let tids: Vec<String> = held
                        .iter()
                        .filter(|h| h.lock == lock)
                        .map(|h| format!("T{}", h.holder))
                        .collect();
                    if tids.is_empty() {
                        String::new()
                    } else {
                        format!(" (held by {})", tids.join(", "))
                    }
                };
                let blocked = threads
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| !t.done)
                    .map(|(i, t)| {
                        (
                            i as Tid,
                            t.waiting.map_or("nothing".into(), |w| {
                                format!("{}{}", w.describe(), holders(w))
                            }),
                        )
                    })
                    .collect();
                return Err(RunError::Deadlock { blocked });
            }
            let tid = if runnable.len() == 1 {
                runnable[0]
            } else {
                let t = policy.pick(self.choices.len(), &runnable, last, &mut self.rng)?;
                self.choices.push(t);
                self.choice_points.push(runnable.clone());
                t
            };
            last = Some(tid);
            self.kernel.current.set(tid);
            self.kernel.yielded.set(false);
            let co = self.coroutines[tid as usize]
                .as_mut()
                .expect("runnable threads have a coroutine");
            if co.as_mut().poll(&mut cx).is_ready() {
                self.coroutines[tid as usize] = None;
                self.kernel.threads.borrow_mut()[tid as usize].done = true;
                self.kernel.live.set(self.kernel.live.get() - 1);
                self.kernel.record(Ev::Thread {
                    tid,
                    state: ThreadState::Exited,
                    waits_on: None,
                });
            }
            if self.kernel.over_budget.get() {
                return Err(RunError::StepLimit {
                    steps: self.kernel.steps.get(),
                    at: self.kernel.stopped_at.borrow().clone(),
                });
            }
        }
    }
}

/// A count as a person reads it: `50000000` → `50,000,000` (every limit a message names is printed so).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_groups_digits() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(1000), "1,000");
        assert_eq!(super::thousands(50_000_000), "50,000,000");
    }
}
