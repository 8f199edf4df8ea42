//! How the scheduler picks among several runnable threads: round robin, run-to-block, a seeded
//! pseudo-random pick, or the replay of recorded choices.

use super::RunError;
use crate::trace::Tid;

/// How the scheduler picks among several runnable threads.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Policy {
    /// Switch to the next runnable thread (by id) at every preemption point.
    RoundRobin,
    /// Keep running the current thread while it can; otherwise the lowest runnable id.
    RunToBlock,
    /// A seeded pseudo-random pick (splitmix64); the seed makes it repeatable.
    Random { seed: u64 },
    /// Replay recorded choices; past their end, fall back to `RunToBlock`.
    Replay { choices: Vec<Tid> },
}

/// splitmix64: the seeded generator behind [`Policy::Random`].
#[derive(Clone, Debug, Default)]
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn seeded(seed: u64) -> SplitMix {
        SplitMix(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl Policy {
    /// Choice number `index` among `runnable` (never empty), `last` having run before it.
    pub(crate) fn pick(
        &self,
        index: usize,
        runnable: &[Tid],
        last: Option<Tid>,
        rng: &mut SplitMix,
    ) -> Result<Tid, RunError> {
        let stay = last.filter(|t| runnable.contains(t));
        let pick = match self {
            Policy::RunToBlock => stay.unwrap_or(runnable[0]),
            Policy::RoundRobin => round_robin(runnable, last),
            // `Executor::run` seeded the generator from the policy.
            Policy::Random { .. } => runnable[(rng.next() % runnable.len() as u64) as usize],
            Policy::Replay { choices } => match choices.get(index) {
                Some(&wanted) if runnable.contains(&wanted) => wanted,
                Some(&wanted) => {
                    return Err(RunError::ImpossibleChoice {
                        index,
                        wanted,
                        runnable: runnable.to_vec(),
                    })
                }
                None => stay.unwrap_or(runnable[0]),
            },
        };
        Ok(pick)
    }
}

/// The next runnable thread after `last` by id, wrapping around.
fn round_robin(runnable: &[Tid], last: Option<Tid>) -> Tid {
    match last {
        Some(l) => runnable
            .iter()
            .copied()
            .find(|&t| t > l)
            .unwrap_or(runnable[0]),
        None => runnable[0],
    }
}
