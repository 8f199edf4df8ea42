//! The narration of the reference lane's current step: where it is, the function that acted, the event in one
//! line (`hmm_sim::narrate`) and the locks the acting thread holds.

use hmm_sim::narrate;
use hmm_sim::Strategy;
use hmm_sim::{Ev, Func, Milestone};

use super::held_summary;
use crate::comparison::LaneTrace;

/// What the narration box shows.
#[derive(Clone, Debug, PartialEq)]
pub struct NarrationPicture {
    pub strategy: Strategy,
    pub step: usize,
    pub len: usize,
    pub func: Option<Func>,
    pub line: String,
    /// The acting thread's locks, in lock order, its folio locks summed up past a few
    /// (`decode::summarize_held`: a driver may hold one per page of a 1 GiB range).
    pub held: Vec<String>,
    /// The step's event is a function call (its narration already includes `Func::what()`).
    pub is_call: bool,
    pub milestone: Option<Milestone>,
}

/// The narration of `lane` at `step`.
pub fn narration_picture(lane: &LaneTrace, step: usize) -> NarrationPicture {
    let state = lane.timeline.state(step);
    let event = lane.timeline.event_before(step);
    NarrationPicture {
        strategy: lane.strategy,
        step,
        len: lane.timeline.len(),
        func: event.map(|e| e.func),
        is_call: event.is_some_and(|e| matches!(e.decode(), Ev::Call { .. })),
        line: event.map_or_else(
            || "Step 0: the scenario's pages, before the driver starts. Press Space (or ▶ Play) to run the three lanes.".to_owned(),
            |e| narrate(&e),
        ),
        held: held_summary(&state, event.map_or(0, |e| e.thread)),
        milestone: state.last_milestone,
    }
}
