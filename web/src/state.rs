//! The app's one reducer. Keyboard, buttons, the scrubber, the play loop and the URL all dispatch the same
//! [`Action`]s; [`AppState::reduce`] is the only place the position in time changes.
//!
//! The session (three lanes' traces) is computed once per scenario and shared by `Rc`: playing changes only
//! `step`.

use std::rc::Rc;

use hmm_sim::Strategy;
use yew::Reducible;

use crate::scenario::{parse_text, MAX_UI_PAGES};
use crate::session::{JumpKind, Session};
use crate::url::{Align, Notice, UrlState, View, DEFAULT_SPEED_INDEX, SPEEDS};

/// Scenarios of more pages than this are computed after a first paint that says so, not during a keypress.
pub const SYNC_PAGES: usize = 2048;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    /// Follow the system (`prefers-color-scheme`).
    System,
    Light,
    Dark,
}

#[derive(Clone)]
pub struct AppState {
    /// What the scenario field holds (may be invalid while the user types).
    pub scenario_text: String,
    /// Why `scenario_text` cannot be run, if it cannot.
    pub scenario_error: Option<String>,
    pub session: Option<Rc<Session>>,
    /// A large scenario waiting to be computed (the page first says "computing").
    pub pending: Option<String>,
    pub view: View,
    pub lane: Strategy,
    pub align: Align,
    pub step: usize,
    /// The step shown before the last move: what changed between the two is highlighted.
    pub prev_step: usize,
    pub playing: bool,
    pub speed_index: usize,
    pub jump_kind: JumpKind,
    pub help_open: bool,
    pub notices: Vec<Notice>,
    pub theme: Theme,
    /// Increments on every user-visible change the URL should follow.
    pub revision: u64,
}

impl PartialEq for AppState {
    fn eq(&self, other: &Self) -> bool {
        self.scenario_text == other.scenario_text
            && self.scenario_error == other.scenario_error
            && match (&self.session, &other.session) {
                (Some(a), Some(b)) => Rc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            }
            && self.pending == other.pending
            && self.view == other.view
            && self.lane == other.lane
            && self.align == other.align
            && self.step == other.step
            && self.prev_step == other.prev_step
            && self.playing == other.playing
            && self.speed_index == other.speed_index
            && self.jump_kind == other.jump_kind
            && self.help_open == other.help_open
            && self.notices == other.notices
            && self.theme == other.theme
    }
}

#[derive(Clone)]
pub enum Action {
    TogglePlay,
    Pause,
    /// Advance by `n` steps (the play loop's tick); stops at the end.
    Tick(usize),
    StepBy(i64),
    Seek(usize),
    Home,
    End,
    NextMilestone,
    PrevMilestone,
    JumpNext,
    JumpPrev,
    SetJumpKind(JumpKind),
    SetSpeed(usize),
    Faster,
    Slower,
    SetView(View),
    ToggleView,
    SetLane(Strategy),
    SetAlign(Align),
    /// The scenario field changed: parse it; run it if valid.
    EditScenario(String),
    /// A large scenario finished computing.
    SessionReady(String, Rc<Session>),
    ToggleHelp,
    CloseHelp,
    DismissNotice(usize),
    CycleTheme,
}

impl AppState {
    /// The state a URL describes. Problems become notices; the picture always has a scenario to show.
    pub fn from_url(url: UrlState, mut notices: Vec<Notice>) -> AppState {
        let mut state = AppState {
            scenario_text: url.pages.clone(),
            scenario_error: None,
            session: None,
            pending: None,
            view: url.view,
            lane: url.lane,
            align: url.align,
            step: 0,
            prev_step: 0,
            playing: false,
            speed_index: url.speed_index.min(SPEEDS.len() - 1),
            jump_kind: JumpKind::MigrationEntry,
            help_open: false,
            notices: Vec::new(),
            theme: Theme::System,
            revision: 0,
        };
        if let Err(message) = state.load(&url.pages) {
            notices.push(Notice(format!(
                "The scenario in this link cannot be run: {message}. Showing the default scenario instead."
            )));
            state.scenario_text = crate::url::DEFAULT_PAGES.to_owned();
            // The default always parses; if it somehow did not, the error panel would say so.
            let _ = state.load(crate::url::DEFAULT_PAGES);
        }
        if let Some(session) = &state.session {
            let len = session.transport_len(state.align, state.lane);
            if url.step > len {
                notices.push(Notice(format!(
                    "Step {} is past the end of this trace ({len} steps): showing the last step.",
                    url.step
                )));
            }
            state.step = url.step.min(len);
        } else if state.pending.is_some() {
            // Checked against the trace when it is ready.
            state.step = url.step;
        }
        state.prev_step = state.step;
        state.notices = notices;
        state
    }

    /// Parse `text` and run it (now, or marked pending if large). Err: why it cannot run.
    fn load(&mut self, text: &str) -> Result<(), String> {
        let states = parse_text(text).map_err(|e| e.to_string())?;
        debug_assert!(states.len() <= MAX_UI_PAGES);
        if states.len() > SYNC_PAGES {
            self.pending = Some(text.to_owned());
            self.session = None;
        } else {
            self.session = Some(Rc::new(Session::build(states)));
            self.pending = None;
        }
        self.scenario_error = None;
        Ok(())
    }

    pub fn transport_len(&self) -> usize {
        self.session
            .as_ref()
            .map_or(0, |s| s.transport_len(self.align, self.lane))
    }

    fn moved(mut self, step: usize) -> AppState {
        let len = self.transport_len();
        self.prev_step = self.step;
        self.step = step.min(len);
        self.revision += 1;
        self
    }

    /// The reference lane's next/previous event matching `kind`, as a transport step.
    fn jump(&self, kind: JumpKind, forward: bool) -> Option<usize> {
        let session = self.session.as_ref()?;
        let lane = session.lane(self.lane);
        match self.align {
            Align::Milestone => {
                let track = &lane.track;
                if forward {
                    track.next_step_where(self.step, |e| kind.matches(e))
                } else {
                    track.prev_step_where(self.step, |e| kind.matches(e))
                }
            }
            Align::Step => {
                // Raw steps: the nearest such event in any lane.
                let found = session.lanes.iter().filter_map(|l| {
                    if forward {
                        l.track.next_step_where(self.step, |e| kind.matches(e))
                    } else {
                        l.track.prev_step_where(self.step, |e| kind.matches(e))
                    }
                });
                if forward {
                    found.min()
                } else {
                    found.max()
                }
            }
        }
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        let len = s.transport_len();
        let next = match action {
            Action::TogglePlay => {
                if s.playing {
                    s.playing = false;
                } else if s.session.is_some() {
                    if s.step >= len {
                        // Playing from the end starts over.
                        s = s.moved(0);
                    }
                    s.playing = true;
                }
                s.revision += 1;
                s
            }
            Action::Pause => {
                if !s.playing {
                    return self;
                }
                s.playing = false;
                s.revision += 1;
                s
            }
            Action::Tick(n) => {
                if !s.playing {
                    return self;
                }
                let to = s.step.saturating_add(n);
                if to >= len {
                    s.playing = false;
                }
                s.moved(to)
            }
            Action::StepBy(delta) => {
                s.playing = false;
                let to = if delta < 0 {
                    s.step.saturating_sub(delta.unsigned_abs() as usize)
                } else {
                    s.step.saturating_add(delta as usize)
                };
                s.moved(to)
            }
            Action::Seek(to) => {
                s.playing = false;
                s.moved(to)
            }
            Action::Home => {
                s.playing = false;
                s.moved(0)
            }
            Action::End => {
                s.playing = false;
                s.moved(len)
            }
            Action::NextMilestone | Action::PrevMilestone => {
                s.playing = false;
                let forward = matches!(action, Action::NextMilestone);
                let to =
                    s.jump(JumpKind::Milestone, forward)
                        .unwrap_or(if forward { len } else { 0 });
                s.moved(to)
            }
            Action::JumpNext | Action::JumpPrev => {
                s.playing = false;
                let forward = matches!(action, Action::JumpNext);
                match s.jump(s.jump_kind, forward) {
                    Some(to) => s.moved(to),
                    None => return self,
                }
            }
            Action::SetJumpKind(kind) => {
                s.jump_kind = kind;
                s
            }
            Action::SetSpeed(i) => {
                s.speed_index = i.min(SPEEDS.len() - 1);
                s.revision += 1;
                s
            }
            Action::Faster => {
                s.speed_index = (s.speed_index + 1).min(SPEEDS.len() - 1);
                s.revision += 1;
                s
            }
            Action::Slower => {
                s.speed_index = s.speed_index.saturating_sub(1);
                s.revision += 1;
                s
            }
            Action::SetView(view) => {
                s.view = view;
                s.revision += 1;
                s
            }
            Action::ToggleView => {
                s.view = match s.view {
                    View::Compare => View::Deep,
                    View::Deep => View::Compare,
                };
                s.revision += 1;
                s
            }
            Action::SetLane(lane) => {
                // Keep the picture where it is: the new reference lane's step is where the lanes were.
                if let Some(session) = s.session.clone() {
                    let at = session.lane_step(session.lane_index(lane), s.align, s.lane, s.step);
                    s.lane = lane;
                    s.step = at;
                    s.prev_step = at;
                } else {
                    s.lane = lane;
                }
                s.revision += 1;
                s
            }
            Action::SetAlign(align) => {
                if let Some(session) = s.session.clone() {
                    let at = session.lane_step(session.lane_index(s.lane), s.align, s.lane, s.step);
                    s.align = align;
                    s.step = at.min(session.transport_len(align, s.lane));
                    s.prev_step = s.step;
                } else {
                    s.align = align;
                }
                s.revision += 1;
                s
            }
            Action::EditScenario(text) => {
                s.playing = false;
                s.scenario_text = text.clone();
                match s.load(&text) {
                    Ok(()) => {
                        s.step = 0;
                        s.prev_step = 0;
                        s.revision += 1;
                    }
                    Err(message) => s.scenario_error = Some(message),
                }
                s
            }
            Action::SessionReady(text, session) => {
                if s.pending.as_deref() != Some(text.as_str()) {
                    // The user moved on while it computed.
                    return self;
                }
                s.pending = None;
                let len = session.transport_len(s.align, s.lane);
                s.session = Some(session);
                if s.step > len {
                    s.notices.push(Notice(format!(
                        "Step {} is past the end of this trace ({len} steps): showing the last step.",
                        s.step
                    )));
                    s.step = len;
                }
                s.prev_step = s.step;
                s.revision += 1;
                s
            }
            Action::ToggleHelp => {
                s.help_open = !s.help_open;
                s
            }
            Action::CloseHelp => {
                if !s.help_open {
                    return self;
                }
                s.help_open = false;
                s
            }
            Action::DismissNotice(i) => {
                if i < s.notices.len() {
                    s.notices.remove(i);
                }
                s
            }
            Action::CycleTheme => {
                s.theme = match s.theme {
                    Theme::System => Theme::Dark,
                    Theme::Dark => Theme::Light,
                    Theme::Light => Theme::System,
                };
                s
            }
        };
        Rc::new(next)
    }
}

impl AppState {
    /// What the URL should say now.
    pub fn url_state(&self) -> UrlState {
        UrlState {
            pages: self
                .session
                .as_ref()
                .map(|s| s.pages_text.clone())
                .or_else(|| self.pending.clone())
                .unwrap_or_else(|| self.scenario_text.clone()),
            view: self.view,
            lane: self.lane,
            step: self.step,
            align: self.align,
            speed_index: self.speed_index,
        }
    }

    pub fn speed(&self) -> f64 {
        SPEEDS
            .get(self.speed_index)
            .copied()
            .unwrap_or(SPEEDS[DEFAULT_SPEED_INDEX])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::url::parse_query;

    fn state(query: &str) -> Rc<AppState> {
        let (url, notices) = parse_query(query);
        Rc::new(AppState::from_url(url, notices))
    }

    #[test]
    fn playing_stops_at_the_end_and_starts_over_from_there() {
        let s = state("?pages=PPNS");
        let len = s.transport_len();
        let s = s.reduce(Action::TogglePlay);
        assert!(s.playing);
        let s = s.reduce(Action::Tick(len + 10));
        assert_eq!((s.step, s.playing), (len, false));
        let s = s.reduce(Action::TogglePlay);
        assert_eq!((s.step, s.playing), (0, true));
        let s = s.reduce(Action::StepBy(-1));
        assert_eq!((s.step, s.playing), (0, false));
    }

    #[test]
    fn changing_the_followed_lane_keeps_the_picture_where_it_was() {
        let s = state("?pages=PPPPSSSS&lane=unified");
        let s = s
            .reduce(Action::NextMilestone)
            .reduce(Action::NextMilestone);
        let session = s.session.clone().expect("small scenarios run at once");
        let b = session.lane_index(Strategy::LegacyB);
        let where_b_was = session.lane_step(b, s.align, s.lane, s.step);
        let s = s.reduce(Action::SetLane(Strategy::LegacyB));
        assert_eq!(s.step, where_b_was);
        assert_eq!(s.lane, Strategy::LegacyB);
    }

    #[test]
    fn a_bad_scenario_keeps_the_last_good_one_and_says_why() {
        let s = state("?pages=PPNS");
        let before = s.session.clone().expect("runs");
        let s = s.reduce(Action::EditScenario("PP?".into()));
        assert!(s
            .scenario_error
            .as_deref()
            .unwrap_or("")
            .contains("position 2"));
        assert!(Rc::ptr_eq(s.session.as_ref().expect("kept"), &before));
        assert_eq!(s.url_state().pages, "PPNS");
    }

    #[test]
    fn large_scenarios_are_computed_later_and_the_step_is_checked_then() {
        let s = state("?pages=P*3000&step=99999999");
        assert!(s.session.is_none());
        assert_eq!(s.pending.as_deref(), Some("P*3000"));
        let session = Rc::new(Session::build(parse_text("P*3000").expect("valid")));
        let s = s.reduce(Action::SessionReady("P*3000".into(), session));
        assert_eq!(s.step, s.transport_len());
        assert!(s.notices.iter().any(|n| n.0.contains("past the end")));
    }
}
