//! What each protocol command does to the app: on the compare page a [`Command`] becomes the same
//! [`Action`]s a key or a button dispatches (one reducer, every source); on a lesson page, a move to a beat
//! ([`lesson_plan`]); either page may open the other (`load`). Or a refusal that says why. Also the
//! [`Position`] the compare page reports in its events. Pure: tested natively against real comparisons and
//! the bundled lessons.

use crate::embed::protocol::{Command, Goto, LessonPosition, Position, ProtocolError};
use crate::scenario::parse_text;
use crate::state::{Action, AppState};

fn refuse(code: &'static str, message: String) -> ProtocolError {
    ProtocolError { code, message }
}

/// What a command asks of the compare page.
pub enum Plan {
    /// Dispatch these, in order.
    Act(Vec<Action>),
    /// Open this bundled lesson at its first beat (the frame goes to the lesson page).
    OpenLesson(String),
}

/// `load {lesson}` on either page: the id must name a lesson of the index.
fn open_lesson(id: String, known: &dyn Fn(&str) -> bool) -> Result<String, ProtocolError> {
    if known(&id) {
        Ok(id)
    } else {
        Err(refuse(
            "unknown-lesson",
            format!(
                "there is no lesson with the id {:?} (the ids are those of the app's lesson list, \
                 e.g. \"livelock-6-14\")",
                id.chars().take(64).collect::<String>()
            ),
        ))
    }
}

/// The plan for `command` on the compare page; `known` says whether a lesson id exists. Err: why it cannot
/// be carried out now.
pub fn actions(
    state: &AppState,
    command: Command,
    known: &dyn Fn(&str) -> bool,
) -> Result<Plan, ProtocolError> {
    let ready = || {
        state.comparison.as_ref().ok_or_else(|| {
            refuse(
                "not-ready",
                "the scenario is still being computed; wait for the next `step-changed` event"
                    .to_owned(),
            )
        })
    };
    Ok(Plan::Act(match command {
        Command::LoadPages(text) => {
            check_scenario(&text)?;
            vec![Action::EditScenario(text)]
        }
        Command::LoadLesson(id) => return open_lesson(id, known).map(Plan::OpenLesson),
        Command::Goto(Goto::Beat(_)) => {
            return Err(refuse(
                "no-lesson",
                "no lesson is open in this frame: send `load {lesson}` first".to_owned(),
            ))
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
    }))
}

fn check_scenario(text: &str) -> Result<(), ProtocolError> {
    parse_text(text)
        .map(|_| ())
        .map_err(|e| refuse("bad-scenario", format!("the scenario cannot be run: {e}")))
}

/// What a command asks of a lesson page.
#[derive(Clone, Debug, PartialEq)]
pub enum LessonPlan {
    /// Open this bundled lesson at its first beat.
    Open(String),
    /// Show this beat (from 0) of the open lesson.
    Beat(usize),
    /// Leave the lesson for the compare page with this scenario.
    Compare(String),
}

/// The plan for `command` on a lesson page at `at` (None while a lesson is still running); `known` says
/// whether a lesson id exists. A lesson is played beat by beat, so the commands that move a trace move beats
/// here: `goto {beat}`, `step {by}` (beats, stopping at the first and last), and `goto {milestone: next|prev}`
/// (the next or previous beat: what a deck's fragment or a clicker asks for). The trace commands (`seek`,
/// `goto` a named milestone or an event kind, `play`, `pause`, `set`) are refused with `unavailable`.
pub fn lesson_plan(
    at: Option<&LessonPosition>,
    command: Command,
    known: &dyn Fn(&str) -> bool,
) -> Result<LessonPlan, ProtocolError> {
    let open = || {
        let at = at.ok_or_else(|| {
            refuse(
                "not-ready",
                "the lesson is still being run; wait for the `lesson-beat` event".to_owned(),
            )
        })?;
        match at.lesson {
            Some(_) => Ok(at),
            None => Err(refuse(
                "no-lesson",
                "no lesson is open in this frame (it shows the lesson list): send `load {lesson}` first"
                    .to_owned(),
            )),
        }
    };
    let by = |at: &LessonPosition, by: i64| {
        let last = at.beats.saturating_sub(1) as i64;
        (at.beat as i64).saturating_add(by).clamp(0, last) as usize
    };
    Ok(match command {
        Command::LoadPages(text) => {
            check_scenario(&text)?;
            LessonPlan::Compare(text)
        }
        Command::LoadLesson(id) => LessonPlan::Open(open_lesson(id, known)?),
        Command::Goto(Goto::Beat(n)) => {
            let at = open()?;
            if n as usize >= at.beats || n > usize::MAX as u64 {
                return Err(refuse(
                    "out-of-range",
                    format!(
                        "beat {n} is past the end of this lesson (beats 0 to {})",
                        at.beats.saturating_sub(1)
                    ),
                ));
            }
            LessonPlan::Beat(n as usize)
        }
        Command::Step(n) => {
            let at = open()?;
            LessonPlan::Beat(by(at, n))
        }
        Command::Goto(Goto::NextMilestone) => LessonPlan::Beat(by(open()?, 1)),
        Command::Goto(Goto::PrevMilestone) => LessonPlan::Beat(by(open()?, -1)),
        Command::Seek(_)
        | Command::Goto(Goto::Milestone(..) | Goto::Event(..))
        | Command::Play
        | Command::Pause
        | Command::Set(_) => {
            return Err(refuse(
                "unavailable",
                format!(
                    "a lesson page plays beat by beat: `{}` works on a scenario (`load {{pages}}`); in a \
                     lesson use `goto {{beat}}`, `step` or `goto {{milestone: \"next\"}}`",
                    crate::embed::protocol::command_name(&command)
                ),
            ))
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
        match actions(&s, request.command, &|id| id == "intro")? {
            Plan::Act(list) => {
                for a in list {
                    s = s.reduce(a);
                }
            }
            Plan::OpenLesson(id) => panic!("{json} opened lesson {id}"),
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
        let e = run(s.clone(), r#"{"hmmviz":1,"type":"load","lesson":"nope"}"#)
            .err()
            .unwrap();
        assert_eq!(e.code, "unknown-lesson");
        assert!(e.message.contains("\"nope\""), "{}", e.message);
        let e = run(s.clone(), r#"{"hmmviz":1,"type":"goto","beat":1}"#)
            .err()
            .unwrap();
        assert_eq!(e.code, "no-lesson");
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

    #[test]
    fn load_lesson_opens_a_known_lesson_only() {
        let s = state("?pages=PPNS");
        let request = parse_request(r#"{"hmmviz":1,"type":"load","lesson":"intro"}"#).unwrap();
        match actions(&s, request.command, &|id| id == "intro") {
            Ok(Plan::OpenLesson(id)) => assert_eq!(id, "intro"),
            Ok(Plan::Act(_)) => panic!("`load {{lesson}}` dispatched actions"),
            Err(e) => panic!("{e:?}"),
        }
    }

    fn plan(at: Option<&LessonPosition>, json: &str) -> Result<LessonPlan, ProtocolError> {
        let request = parse_request(json).map_err(|(_, e)| e)?;
        lesson_plan(at, request.command, &|id| {
            crate::lesson::bundle::find(id).is_some()
        })
    }

    #[test]
    fn lesson_pages_move_beat_by_beat() {
        let entry = crate::lesson::bundle::index()
            .into_iter()
            .find(|e| e.beats >= 3)
            .expect("a bundled lesson of three beats or more");
        let at = LessonPosition {
            lesson: Some(entry.id.clone()),
            beat: 1,
            beats: entry.beats,
            title: String::new(),
        };
        let last = entry.beats - 1;
        let go = |json: &str| plan(Some(&at), json);
        assert_eq!(
            go(r#"{"hmmviz":1,"type":"goto","beat":0}"#),
            Ok(LessonPlan::Beat(0))
        );
        assert_eq!(
            go(&format!(r#"{{"hmmviz":1,"type":"goto","beat":{last}}}"#)),
            Ok(LessonPlan::Beat(last))
        );
        assert_eq!(
            go(&format!(
                r#"{{"hmmviz":1,"type":"goto","beat":{}}}"#,
                last + 1
            ))
            .unwrap_err()
            .code,
            "out-of-range"
        );
        assert_eq!(
            go(r#"{"hmmviz":1,"type":"goto","beat":99999999999999}"#)
                .unwrap_err()
                .code,
            "out-of-range"
        );
        assert_eq!(go(r#"{"hmmviz":1,"type":"step"}"#), Ok(LessonPlan::Beat(2)));
        assert_eq!(
            go(r#"{"hmmviz":1,"type":"step","by":-9}"#),
            Ok(LessonPlan::Beat(0))
        );
        assert_eq!(
            go(r#"{"hmmviz":1,"type":"step","by":16777216}"#),
            Ok(LessonPlan::Beat(last))
        );
        assert_eq!(
            go(r#"{"hmmviz":1,"type":"goto","milestone":"next"}"#),
            Ok(LessonPlan::Beat(2))
        );
        assert_eq!(
            go(r#"{"hmmviz":1,"type":"goto","milestone":"prev"}"#),
            Ok(LessonPlan::Beat(0))
        );
        assert_eq!(
            go(&format!(
                r#"{{"hmmviz":1,"type":"load","lesson":"{}"}}"#,
                entry.id
            )),
            Ok(LessonPlan::Open(entry.id.clone()))
        );
        assert_eq!(
            go(r#"{"hmmviz":1,"type":"load","lesson":"no-such-lesson"}"#)
                .unwrap_err()
                .code,
            "unknown-lesson"
        );
        assert_eq!(
            go(r#"{"hmmviz":1,"type":"load","pages":"PPSS"}"#),
            Ok(LessonPlan::Compare("PPSS".into()))
        );
        assert_eq!(
            go(r#"{"hmmviz":1,"type":"load","pages":"PQ"}"#)
                .unwrap_err()
                .code,
            "bad-scenario"
        );
        for trace_only in [
            r#"{"hmmviz":1,"type":"seek","step":3}"#,
            r#"{"hmmviz":1,"type":"play"}"#,
            r#"{"hmmviz":1,"type":"pause"}"#,
            r#"{"hmmviz":1,"type":"set","view":"deep"}"#,
            r#"{"hmmviz":1,"type":"goto","milestone":"collected"}"#,
            r#"{"hmmviz":1,"type":"goto","event":"lock"}"#,
        ] {
            let e = go(trace_only).unwrap_err();
            assert_eq!(e.code, "unavailable", "{trace_only}");
            assert!(e.message.contains("beat by beat"), "{}", e.message);
        }
        // Still running: beats wait; the list: no lesson to move in.
        assert_eq!(
            plan(None, r#"{"hmmviz":1,"type":"step"}"#)
                .unwrap_err()
                .code,
            "not-ready"
        );
        let index = LessonPosition {
            lesson: None,
            beat: 0,
            beats: 0,
            title: String::new(),
        };
        assert_eq!(
            plan(Some(&index), r#"{"hmmviz":1,"type":"goto","beat":0}"#)
                .unwrap_err()
                .code,
            "no-lesson"
        );
    }
}
