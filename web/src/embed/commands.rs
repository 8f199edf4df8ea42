//! What each protocol command does to the app: a [`Command`] becomes the same [`Action`]s a key or a button
//! dispatches (one reducer, every source), or a refusal that says why. Also the [`Position`] the frame
//! reports in its events. Pure: tested natively against real comparisons.

use crate::embed::protocol::{Command, Goto, Position, ProtocolError};
use crate::scenario::parse_text;
use crate::state::{Action, AppState};

/// Lessons are not in this build's browser app yet: `load {lesson}` and `goto {beat}` say so.
const NO_LESSONS: &str =
    "lessons are not available in this build of hmmviz: load a scenario with `pages`";

/// The actions `command` stands for, in order; Err: why it cannot be carried out now.
pub fn actions(state: &AppState, command: Command) -> Result<Vec<Action>, ProtocolError> {
    let refuse = |code: &'static str, message: String| ProtocolError { code, message };
    let ready = || {
        state.comparison.as_ref().ok_or_else(|| {
            refuse(
                "not-ready",
                "the scenario is still being computed; wait for the next `step-changed` event"
                    .to_owned(),
            )
        })
    };
    Ok(match command {
        Command::LoadPages(text) => {
            parse_text(&text)
                .map_err(|e| refuse("bad-scenario", format!("the scenario cannot be run: {e}")))?;
            vec![Action::EditScenario(text)]
        }
        Command::LoadLesson(_) | Command::Goto(Goto::Beat(_)) => {
            return Err(refuse("unavailable", NO_LESSONS.to_owned()))
        }
        Command::Step(by) => {
            ready()?;
            vec![Action::StepBy(by)]
        }
        Command::Seek(step) => {
            ready()?;
            let len = state.transport_len();
            if step > len {
                return Err(refuse(
                    "out-of-range",
                    format!("step {step} is past the end of this trace ({len} steps)"),
                ));
            }
            vec![Action::Seek(step)]
        }
        Command::Goto(Goto::NextMilestone) => vec![Action::NextMilestone],
        Command::Goto(Goto::PrevMilestone) => vec![Action::PrevMilestone],
        Command::Goto(Goto::Milestone(m, nth)) => {
            let comparison = ready()?;
            let all = comparison.transport_milestones(state.align, state.lane);
            let reached: Vec<usize> = all
                .iter()
                .filter(|&&(_, x)| x == m)
                .map(|&(at, _)| at)
                .collect();
            match reached.get(nth - 1) {
                Some(&at) => vec![Action::Seek(at)],
                None => {
                    return Err(refuse(
                        "not-reached",
                        format!(
                            "the {} lane reaches `{}` {} time(s) in this scenario, not {nth}",
                            state.lane.name(),
                            m.key(),
                            reached.len()
                        ),
                    ))
                }
            }
        }
        Command::Goto(Goto::Event(kind, forward)) => {
            ready()?;
            vec![
                Action::SetJumpKind(kind),
                if forward {
                    Action::JumpNext
                } else {
                    Action::JumpPrev
                },
            ]
        }
        Command::Play => {
            ready()?;
            if state.playing {
                vec![]
            } else {
                vec![Action::TogglePlay]
            }
        }
        Command::Pause => vec![Action::Pause],
        Command::Set(s) => {
            let mut out = Vec::new();
            if let Some(lanes) = s.lanes {
                out.push(Action::SetLanes(lanes));
            }
            if let Some(lane) = s.lane {
                out.push(Action::SetLane(lane));
            }
            if let Some(view) = s.view {
                out.push(Action::SetView(view));
            }
            if let Some(align) = s.align {
                out.push(Action::SetAlign(align));
            }
            if let Some(i) = s.speed_index {
                out.push(Action::SetSpeed(i));
            }
            if let Some(t) = s.theme {
                out.push(Action::SetTheme(t));
            }
            out
        }
    })
}

/// Where the picture is, for `ready` and `step-changed`; `None` while the scenario computes.
pub fn position(state: &AppState) -> Option<Position> {
    let comparison = state.comparison.as_ref()?;
    let reference = comparison.lane_index(state.lane);
    let lane_step = comparison.lane_step(reference, state.align, state.lane, state.step);
    let trace = &comparison.lanes[reference];
    let milestone = trace
        .milestones
        .iter()
        .take_while(|&&(at, _)| at <= lane_step)
        .last()
        .map(|&(_, m)| m);
    let func = (lane_step > 0)
        .then(|| trace.timeline.event_before(lane_step))
        .flatten()
        .map(|e| e.func.name());
    Some(Position {
        pages: comparison.pages_text.clone(),
        view: state.view,
        lane: state.lane,
        lanes: state.display.lanes,
        step: state.step,
        len: state.transport_len(),
        playing: state.playing,
        milestone,
        func,
    })
}

/// Milestones the followed lane reached in a forward move from `from` to `to` (transport steps), at most
/// `max` of them (the last ones): a `seek` across a page-by-page migration passes thousands.
pub fn milestones_passed(
    state: &AppState,
    from: usize,
    to: usize,
    max: usize,
) -> Vec<(usize, hmm_sim::Milestone)> {
    let Some(comparison) = state.comparison.as_ref() else {
        return Vec::new();
    };
    if to <= from {
        return Vec::new();
    }
    let passed: Vec<_> = comparison
        .transport_milestones(state.align, state.lane)
        .into_iter()
        .filter(|&(at, _)| at > from && at <= to)
        .collect();
    passed[passed.len().saturating_sub(max)..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::protocol::parse_request;
    use crate::url::parse_query;
    use std::rc::Rc;
    use yew::Reducible;

    fn state(query: &str) -> Rc<AppState> {
        let (url, notices) = parse_query(query);
        Rc::new(AppState::from_url(url, notices))
    }

    fn run(s: Rc<AppState>, json: &str) -> Result<Rc<AppState>, ProtocolError> {
        let request = parse_request(json).map_err(|(_, e)| e)?;
        let mut s = s;
        for a in actions(&s, request.command)? {
            s = s.reduce(a);
        }
        Ok(s)
    }

    #[test]
    fn commands_move_the_picture_like_keys_do() {
        let s = state("?pages=PPNS&lane=legacy_a");
        let s = run(s, r#"{"hmmviz":1,"type":"step","by":3}"#).unwrap();
        assert_eq!(s.step, 3);
        let s = run(s, r#"{"hmmviz":1,"type":"step","by":-1}"#).unwrap();
        assert_eq!(s.step, 2);
        let s = run(s, r#"{"hmmviz":1,"type":"seek","step":10}"#).unwrap();
        assert_eq!(s.step, 10);
        let by_key = s.clone().reduce(Action::NextMilestone).step;
        let s = run(s, r#"{"hmmviz":1,"type":"goto","milestone":"next"}"#).unwrap();
        assert_eq!(s.step, by_key);
        let p = position(&s).unwrap();
        assert_eq!((p.step, p.lane), (by_key, hmm_sim::Strategy::LegacyA));
        assert!(p.milestone.is_some());
    }

    #[test]
    fn goto_a_named_milestone_lands_on_it() {
        let s = state("?pages=PPPPSSSS&lane=legacy_a");
        let reached = s
            .comparison
            .as_ref()
            .unwrap()
            .lane(s.lane)
            .milestones
            .clone();
        assert!(reached.len() >= 3);
        for &(at, m) in reached.iter() {
            let s = run(
                s.clone(),
                &format!(r#"{{"hmmviz":1,"type":"goto","milestone":"{}"}}"#, m.key()),
            )
            .unwrap();
            let first = reached.iter().find(|&&(_, x)| x == m).unwrap().0;
            assert_eq!(s.step, first);
            assert!(first <= at);
            assert_eq!(position(&s).unwrap().milestone, Some(m));
        }
        let m = reached[0].1.key();
        let e = run(
            s,
            &format!(r#"{{"hmmviz":1,"type":"goto","milestone":"{m}","occurrence":99999}}"#),
        )
        .err()
        .unwrap();
        assert_eq!(e.code, "not-reached");
    }

    #[test]
    fn refusals_say_why() {
        let s = state("?pages=PPNS");
        let len = s.transport_len();
        let e = run(
            s.clone(),
            &format!(r#"{{"hmmviz":1,"type":"seek","step":{}}}"#, len + 1),
        )
        .err()
        .unwrap();
        assert_eq!(e.code, "out-of-range");
        let e = run(s.clone(), r#"{"hmmviz":1,"type":"load","pages":"PQ"}"#)
            .err()
            .unwrap();
        assert_eq!(e.code, "bad-scenario");
        let e = run(s.clone(), r#"{"hmmviz":1,"type":"load","lesson":"intro"}"#)
            .err()
            .unwrap();
        assert_eq!(e.code, "unavailable");
        assert!(e.message.contains("not available in this build"));
        let s = run(s, r#"{"hmmviz":1,"type":"load","pages":"SSSS"}"#).unwrap();
        assert_eq!(position(&s).unwrap().pages, "SSSS");
    }

    #[test]
    fn set_changes_lane_view_and_lanes() {
        let s = state("?pages=PPNS&embed=1");
        let s = run(s, r#"{"hmmviz":1,"type":"set","lanes":"U","view":"deep"}"#).unwrap();
        assert_eq!(s.display.lanes.letters(), "U");
        assert_eq!(s.lane, hmm_sim::Strategy::Unified);
        assert_eq!(s.view, crate::url::View::Deep);
        let s = run(s, r#"{"hmmviz":1,"type":"set","lanes":"A,B"}"#).unwrap();
        // The followed lane is always one that is shown.
        assert_eq!(s.lane, hmm_sim::Strategy::LegacyA);
    }

    #[test]
    fn milestones_passed_are_capped_to_the_last_ones() {
        let s = state("?pages=PPPPSSSS");
        let len = s.transport_len();
        let all = milestones_passed(&s, 0, len, usize::MAX);
        assert!(all.len() >= 3);
        assert_eq!(
            milestones_passed(&s, 0, len, 2),
            all[all.len() - 2..].to_vec()
        );
        assert!(milestones_passed(&s, len, 0, 9).is_empty());
    }
}
