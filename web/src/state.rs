//! The app's one reducer. Keyboard, buttons, the scrubber, the play loop and the URL all dispatch the same
//! [`Action`]s; [`AppState::reduce`] is the only place the position in time changes. It hands each group of
//! actions (playback, moving in time, which lane and alignment, the scenario, settings) to its own function.
//!
//! The comparison (three lanes' traces) is computed once per scenario and shared by `Rc`: playing changes only
//! `step`.

use std::rc::Rc;

use hmm_sim::Strategy;
use yew::Reducible;

use crate::comparison::{LaneTrace, LoadedLanes, SharedLanes};
use crate::compute::protocol::lane_order;
use crate::jump::JumpKind;
use crate::scenario::parse_text;
use crate::url::{Align, Notice, UrlState, View, DEFAULT_SPEED_INDEX, SPEEDS};

/// Scenarios of more pages than this are computed in the worker (`crate::compute`), with progress and a
/// cancel button; smaller ones, in a few milliseconds, right away.
pub const SYNC_PAGES: usize = 2048;

/// Where each lane of a run in the worker is.
#[derive(Clone, Debug, PartialEq)]
pub enum LaneStatus {
    Waiting,
    Computing,
    /// Its trace is in; the page has replayed `done` of its `total` events, to seek in it.
    Preparing {
        done: usize,
        total: usize,
    },
    /// Done: its events, and how long the worker took, in milliseconds.
    Done {
        events: usize,
        millis: f64,
    },
}

/// A run in the worker, lane by lane, in the order the worker takes them.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    pub pages: usize,
    pub lanes: Vec<(Strategy, LaneStatus)>,
}

impl Progress {
    fn set(&mut self, strategy: Strategy, status: LaneStatus) {
        if let Some(lane) = self.lanes.iter_mut().find(|(s, _)| *s == strategy) {
            lane.1 = status;
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    /// Follow the system (`prefers-color-scheme`).
    System,
    Light,
    Dark,
}

#[derive(Clone, PartialEq)]
pub struct AppState {
    /// The lanes' driver settings (from the URL: write intent, legacy B's policy, the unified entry point).
    pub driver: hmm_sim::DriverOpts,
    /// What the scenario field holds (may be invalid while the user types).
    pub scenario_text: String,
    /// Why `scenario_text` cannot be run, if it cannot.
    pub scenario_error: Option<String>,
    pub comparison: Option<SharedLanes>,
    /// A large scenario being computed in the worker (its lanes join `comparison` as they are done).
    pub pending: Option<String>,
    /// How far the worker is with `pending`.
    pub progress: Option<Progress>,
    pub view: View,
    pub lane: Strategy,
    pub align: Align,
    pub step: usize,
    /// The step shown before the last move: what changed between the two is highlighted.
    pub prev_step: usize,
    pub playing: bool,
    pub speed_index: usize,
    pub jump_kind: JumpKind,
    /// Where the compare view's overview of a large range looks (`crate::picture::overview`).
    pub overview: crate::picture::overview::Zoom,
    /// The deep view timeline's zoom level (an index into `crate::picture::swimlanes::ZOOMS`).
    pub zoom: usize,
    pub help_open: bool,
    pub notices: Vec<Notice>,
    pub theme: Theme,
    /// Layout and embedding: `crate::embed`'s URL parameters (embed, lanes, controls, theme, present, origin).
    pub display: crate::embed::Display,
    /// Presenting: the screen is blanked (`B`).
    pub blank: bool,
    /// The page whose history is shown (`crate::picture::page_history`), from a click on it or `page=` in the
    /// link; "next change of page N" moves to its next write.
    pub followed_page: Option<usize>,
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
    /// The followed page's next / previous change in the reference lane.
    NextPageChange,
    PrevPageChange,
    /// Follow a page's history (or stop following).
    FollowPage(Option<usize>),
    SetJumpKind(JumpKind),
    SetSpeed(usize),
    Faster,
    Slower,
    SetView(View),
    ToggleView,
    SetZoom(usize),
    /// The overview's zoom level and centre.
    SetOverview(crate::picture::overview::Zoom),
    SetLane(Strategy),
    SetAlign(Align),
    /// The scenario field changed: parse it; run it if valid.
    EditScenario(String),
    /// The worker started a lane of this scenario.
    Computing(String, Strategy),
    /// The page is replaying a lane of this scenario: events done, in all.
    Preparing(String, Strategy, usize, usize),
    /// The worker finished a lane of this scenario.
    LaneReady(String, Rc<LaneTrace>),
    /// Every lane of this scenario is in; hmm-sim's verdict on their final states.
    ComputeDone(String, bool),
    /// The worker could not run this scenario (why, in words).
    ComputeFailed(String, String),
    /// Stop the worker: the lanes already in stay explorable.
    CancelCompute,
    ToggleHelp,
    CloseHelp,
    DismissNotice(usize),
    CycleTheme,
    /// Which lanes the compare view shows (embedding); the followed lane stays one of them.
    SetLanes(crate::embed::LaneSet),
    SetTheme(Theme),
    /// Presenting: blank the screen, or show it again.
    ToggleBlank,
    /// Back or Forward: show the picture this URL names (`crate::share`).
    Restore(UrlState),
}

impl AppState {
    /// The state a URL describes. Problems become notices; the picture always has a scenario to show.
    pub fn from_url(url: UrlState, mut notices: Vec<Notice>) -> AppState {
        let mut state = AppState {
            driver: url.driver,
            scenario_text: url.pages.clone(),
            scenario_error: None,
            comparison: None,
            pending: None,
            progress: None,
            view: url.view,
            lane: url.lane,
            align: url.align,
            step: 0,
            prev_step: 0,
            playing: false,
            speed_index: url.speed_index.min(SPEEDS.len() - 1),
            jump_kind: JumpKind::MigrationEntry,
            zoom: 1,
            overview: crate::picture::overview::Zoom {
                level: 0,
                focus: None,
            },
            help_open: false,
            notices: Vec::new(),
            theme: url.display.theme.unwrap_or(Theme::System),
            display: url.display.clone(),
            blank: false,
            followed_page: url.page,
        };
        if !state.display.lanes.contains(state.lane) {
            state.lane = state.display.lanes.shown().next().unwrap_or(state.lane);
        }
        if let Err(message) = state.load(&url.pages) {
            notices.push(Notice(format!(
                "The scenario in this link cannot be run: {message}. Showing the default scenario instead."
            )));
            state.scenario_text = crate::url::DEFAULT_PAGES.to_owned();
            // The default always parses; if it somehow did not, the error panel would say so.
            let _ = state.load(crate::url::DEFAULT_PAGES);
        }
        if let Some(comparison) = &state.comparison {
            let len = comparison.transport_len(state.align, state.lane);
            if url.step > len {
                notices.push(past_the_end(url.step, len));
            }
            state.step = url.step.min(len);
        } else if state.pending.is_some() {
            // Checked against the trace when it is ready.
            state.step = url.step;
        }
        state.prev_step = state.step;
        if let Some(page) = state.followed_page {
            let npages = state.npages();
            if page >= npages {
                notices.push(Notice(format!(
                    "Page {page} is past the end of this scenario ({npages} pages): no page is followed."
                )));
                state.followed_page = None;
            }
        }
        state.notices = notices;
        state
    }

    /// Parse `text` and run it (now, or marked pending if large). Err: why it cannot run.
    fn load(&mut self, text: &str) -> Result<(), String> {
        let states = parse_text(text).map_err(|e| e.to_string())?;
        if states.len() > SYNC_PAGES {
            self.pending = Some(text.to_owned());
            self.progress = Some(Progress {
                pages: states.len(),
                lanes: lane_order(self.lane)
                    .into_iter()
                    .map(|s| (s, LaneStatus::Waiting))
                    .collect(),
            });
            self.comparison = None;
        } else {
            self.comparison = Some(SharedLanes(Rc::new(LoadedLanes::build_driven(
                states,
                self.driver,
            ))));
            self.pending = None;
            self.progress = None;
        }
        self.scenario_error = None;
        Ok(())
    }

    /// Pages in the scenario shown (0 before one is loaded).
    pub fn npages(&self) -> usize {
        match (&self.comparison, &self.pending) {
            (Some(comparison), _) => comparison.npages(),
            (None, Some(pending)) => parse_text(pending).map_or(0, |states| states.len()),
            (None, None) => 0,
        }
    }

    pub fn transport_len(&self) -> usize {
        self.comparison
            .as_ref()
            .map_or(0, |c| c.transport_len(self.align, self.lane))
    }

    fn moved(mut self, step: usize) -> AppState {
        let len = self.transport_len();
        self.prev_step = self.step;
        self.step = step.min(len);
        self
    }

    /// The reference lane's next/previous event matching `kind`, as a transport step.
    fn jump(&self, kind: JumpKind, forward: bool) -> Option<usize> {
        self.jump_where(forward, |ev| kind.starts(ev))
    }

    /// The followed page's next/previous change in the reference lane (in either alignment: a page's
    /// history is the followed lane's).
    fn jump_page(&self, forward: bool) -> Option<usize> {
        let page = self.followed_page?;
        let comparison = self.comparison.as_ref()?;
        let history = crate::picture::page_history::page_history(
            &comparison.lanes[comparison.lane_index(self.lane)],
            page,
        );
        if forward {
            history.next_after(self.step)
        } else {
            history.prev_before(self.step)
        }
    }

    fn jump_where(&self, forward: bool, starts: impl Fn(&hmm_sim::Ev) -> bool) -> Option<usize> {
        let comparison = self.comparison.as_ref()?;
        let find = |timeline: &hmm_sim::Timeline| {
            let starts = |e: &hmm_sim::Event| starts(&e.decode());
            if forward {
                timeline.next_step_where(self.step, starts)
            } else {
                timeline.prev_step_where(self.step, starts)
            }
        };
        match self.align {
            Align::Milestone => find(&comparison.lane(self.lane).timeline),
            Align::Step => {
                // Raw steps: the nearest such event in any lane.
                let found = comparison.lanes.iter().filter_map(|l| find(&l.timeline));
                if forward {
                    found.min()
                } else {
                    found.max()
                }
            }
        }
    }
}

fn past_the_end(step: usize, len: usize) -> Notice {
    Notice(format!(
        "Step {step} is past the end of this trace ({len} steps): showing the last step."
    ))
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let s = (*self).clone();
        let next = match action {
            Action::TogglePlay | Action::Pause | Action::Tick(_) => s.playback(action),
            Action::StepBy(_)
            | Action::Seek(_)
            | Action::Home
            | Action::End
            | Action::NextMilestone
            | Action::PrevMilestone
            | Action::JumpNext
            | Action::JumpPrev
            | Action::NextPageChange
            | Action::PrevPageChange => s.travel(action),
            Action::SetLane(_) | Action::SetAlign(_) => Some(s.follow(action)),
            Action::SetLanes(lanes) => {
                let mut s = s;
                s.display.lanes = lanes;
                Some(match lanes.shown().next() {
                    Some(first) if !lanes.contains(s.lane) => s.follow(Action::SetLane(first)),
                    _ => s,
                })
            }
            Action::EditScenario(_)
            | Action::Computing(..)
            | Action::Preparing(..)
            | Action::LaneReady(..)
            | Action::ComputeDone(..)
            | Action::ComputeFailed(..)
            | Action::CancelCompute => s.scenario(action),
            Action::Restore(url) => Some(s.restore(url)),
            _ => Some(s.settings(action)),
        };
        match next {
            // Unchanged: the same `Rc`, so nothing re-renders.
            Some(next) if next != *self => Rc::new(next),
            _ => self,
        }
    }
}

/// Each returns the next state, or `None` when the action changes nothing.
impl AppState {
    /// The picture `url` names, keeping what is not part of it (theme, help) and the computed comparison when
    /// the scenario is the same. Its notices were shown when the page first read it.
    fn restore(self, url: UrlState) -> AppState {
        let same = self
            .comparison
            .as_ref()
            .is_some_and(|c| c.pages_text == url.pages && c.driver == url.driver);
        let mut next = if same {
            let mut next = self.clone();
            next.view = url.view;
            next.lane = url.lane;
            next.align = url.align;
            next.speed_index = url.speed_index.min(SPEEDS.len() - 1);
            next.display = url.display.clone();
            next.followed_page = url.page.filter(|&p| p < next.npages());
            next.playing = false;
            let step = url.step.min(next.transport_len());
            next.step = step;
            next.prev_step = step;
            next
        } else {
            AppState::from_url(url.clone(), Vec::new())
        };
        next.theme = url.display.theme.unwrap_or(self.theme);
        next.help_open = self.help_open;
        next.blank = self.blank;
        next.notices = self.notices;
        next
    }

    fn playback(mut self, action: Action) -> Option<AppState> {
        let len = self.transport_len();
        match action {
            Action::TogglePlay => {
                if self.playing {
                    self.playing = false;
                } else if self.comparison.is_some() {
                    if self.step >= len {
                        // Playing from the end starts over.
                        self = self.moved(0);
                    }
                    self.playing = true;
                }
                Some(self)
            }
            Action::Pause => self.playing.then(|| {
                self.playing = false;
                self
            }),
            Action::Tick(n) => {
                if !self.playing {
                    return None;
                }
                let to = self.step.saturating_add(n);
                if to >= len {
                    self.playing = false;
                }
                Some(self.moved(to))
            }
            _ => Some(self),
        }
    }

    /// Moves in time: each stops playback.
    fn travel(mut self, action: Action) -> Option<AppState> {
        let len = self.transport_len();
        self.playing = false;
        let to = match action {
            Action::StepBy(delta) if delta < 0 => {
                self.step.saturating_sub(delta.unsigned_abs() as usize)
            }
            Action::StepBy(delta) => self.step.saturating_add(delta as usize),
            Action::Seek(to) => to,
            Action::Home => 0,
            Action::End => len,
            Action::NextMilestone => self.jump(JumpKind::Milestone, true).unwrap_or(len),
            Action::PrevMilestone => self.jump(JumpKind::Milestone, false).unwrap_or(0),
            Action::JumpNext => self.jump(self.jump_kind, true)?,
            Action::JumpPrev => self.jump(self.jump_kind, false)?,
            Action::NextPageChange => self.jump_page(true)?,
            Action::PrevPageChange => self.jump_page(false)?,
            _ => self.step,
        };
        Some(self.moved(to))
    }

    /// Which lane the transport follows and how lanes align. The picture stays where it is: the new axis's
    /// step is where the lanes were.
    fn follow(mut self, action: Action) -> AppState {
        let (lane, align) = match action {
            Action::SetLane(lane) => (lane, self.align),
            Action::SetAlign(align) => (self.lane, align),
            _ => return self,
        };
        if let Some(comparison) = self.comparison.clone() {
            let at = comparison.lane_step(
                comparison.lane_index(lane),
                self.align,
                self.lane,
                self.step,
            );
            self.step = at.min(comparison.transport_len(align, lane));
            self.prev_step = self.step;
        }
        self.lane = lane;
        self.align = align;
        self
    }

    fn scenario(mut self, action: Action) -> Option<AppState> {
        match action {
            Action::EditScenario(text) => {
                self.playing = false;
                self.scenario_text = text.clone();
                match self.load(&text) {
                    Ok(()) => {
                        self.step = 0;
                        self.prev_step = 0;
                        let npages = self.npages();
                        self.followed_page = self.followed_page.filter(|&p| p < npages);
                    }
                    Err(message) => self.scenario_error = Some(message),
                }
                Some(self)
            }
            Action::Computing(text, strategy) => {
                let progress = self.progress.as_mut()?;
                if self.pending.as_deref() != Some(text.as_str()) {
                    return None;
                }
                progress.set(strategy, LaneStatus::Computing);
                Some(self)
            }
            Action::Preparing(text, strategy, done, total) => {
                if self.pending.as_deref() != Some(text.as_str()) {
                    return None;
                }
                self.progress
                    .as_mut()?
                    .set(strategy, LaneStatus::Preparing { done, total });
                Some(self)
            }
            Action::LaneReady(text, lane) => {
                if self.pending.as_deref() != Some(text.as_str()) {
                    // The user moved on while it computed.
                    return None;
                }
                if let Some(progress) = self.progress.as_mut() {
                    let status = LaneStatus::Done {
                        events: lane.timeline.len(),
                        millis: lane.compute_millis,
                    };
                    progress.set(lane.strategy, status);
                }
                let followed = lane.strategy == self.lane;
                let comparison = match &self.comparison {
                    Some(partial) => partial.with_lane(lane),
                    None => LoadedLanes::assemble(
                        parse_text(&text).ok()?,
                        self.driver,
                        vec![lane],
                        None,
                    ),
                };
                self.comparison = Some(SharedLanes(Rc::new(comparison)));
                if followed {
                    // The step the link asked for is checked against the lane it counts in.
                    let len = self.transport_len();
                    if self.step > len {
                        self.notices.push(past_the_end(self.step, len));
                        self.step = len;
                    }
                    self.prev_step = self.step;
                }
                Some(self)
            }
            Action::ComputeDone(text, agree) => {
                if self.pending.as_deref() != Some(text.as_str()) {
                    return None;
                }
                let comparison = self.comparison.as_ref()?.finished(agree);
                self.comparison = Some(SharedLanes(Rc::new(comparison)));
                self.pending = None;
                self.progress = None;
                Some(self)
            }
            Action::ComputeFailed(text, message) => {
                if self.pending.as_deref() != Some(text.as_str()) {
                    return None;
                }
                self.pending = None;
                self.progress = None;
                self.scenario_error = Some(message);
                Some(self)
            }
            Action::CancelCompute => {
                let text = self.pending.take()?;
                let progress = self.progress.take();
                let missing: Vec<&str> = progress
                    .iter()
                    .flat_map(|p| &p.lanes)
                    .filter(|(_, status)| !matches!(status, LaneStatus::Done { .. }))
                    .map(|(s, _)| crate::components::lane_name(*s))
                    .collect();
                self.notices.push(Notice(format!(
                    "Stopped computing {text}: {} not computed{}.",
                    missing.join(", "),
                    if self.comparison.is_some() {
                        "; the lanes already computed can be explored"
                    } else {
                        ""
                    }
                )));
                Some(self)
            }
            _ => Some(self),
        }
    }

    /// Speed, view, zoom, help, notices, theme: nothing here moves in time.
    fn settings(mut self, action: Action) -> AppState {
        match action {
            Action::SetJumpKind(kind) => self.jump_kind = kind,
            Action::FollowPage(page) => {
                self.followed_page = page.filter(|&p| p < self.npages());
            }
            Action::SetSpeed(i) => self.speed_index = i.min(SPEEDS.len() - 1),
            Action::Faster => self.speed_index = (self.speed_index + 1).min(SPEEDS.len() - 1),
            Action::Slower => self.speed_index = self.speed_index.saturating_sub(1),
            Action::SetView(view) => self.view = view,
            Action::ToggleView => {
                self.view = match self.view {
                    View::Compare => View::Deep,
                    View::Deep => View::Compare,
                }
            }
            Action::SetZoom(zoom) => self.zoom = zoom,
            Action::SetOverview(zoom) => self.overview = zoom,
            Action::ToggleHelp => self.help_open = !self.help_open,
            Action::CloseHelp => self.help_open = false,
            Action::DismissNotice(i) if i < self.notices.len() => {
                self.notices.remove(i);
            }
            Action::SetTheme(theme) => self.theme = theme,
            Action::ToggleBlank => self.blank = !self.blank,
            Action::CycleTheme => {
                self.theme = match self.theme {
                    Theme::System => Theme::Dark,
                    Theme::Dark => Theme::Light,
                    Theme::Light => Theme::System,
                }
            }
            _ => {}
        }
        self
    }
}

impl AppState {
    /// What the URL should say now.
    pub fn url_state(&self) -> UrlState {
        UrlState {
            pages: self
                .comparison
                .as_ref()
                .map(|c| c.pages_text.clone())
                .or_else(|| self.pending.clone())
                .unwrap_or_else(|| self.scenario_text.clone()),
            view: self.view,
            lane: self.lane,
            step: self.step,
            align: self.align,
            speed_index: self.speed_index,
            display: self.display.clone(),
            driver: self.driver,
            page: self.followed_page,
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

    /// The link's driver settings reach the lanes, the link written back, and Back/Forward (issue 9).
    #[test]
    fn the_links_driver_settings_run_the_lanes() {
        let walks = |s: &AppState| {
            let c = s.comparison.as_ref().expect("computed");
            c.lanes.iter().map(|l| l.totals.walks).collect::<Vec<_>>()
        };
        // COW pages: with write intent A breaks COW before migrating; the unified walk retries after it.
        let plain = state("?pages=CCCC");
        let write = state("?pages=CCCC&write=1");
        assert!(write.driver.write && !plain.driver.write);
        assert_ne!(walks(&plain), walks(&write));
        assert!(write.url_state().driver.write);
        let back = write.clone().reduce(Action::Restore(plain.url_state()));
        assert_eq!(walks(&back), walks(&plain));
        // The migrate path walks once where the fault path is sent back by another device's invalidation.
        let entry = state("?pages=PPPPOOOO&unified_entry=migrate_vma_fault");
        assert_eq!(walks(&entry)[2], 1);
        assert_eq!(walks(&state("?pages=PPPPOOOO"))[2], 2);
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

    /// A followed page: from the link, by a click; "next change" walks its writes in the followed lane and
    /// stops after the last; a page past the range is said and not followed.
    #[test]
    fn a_followed_page_jumps_from_change_to_change() {
        let s = state("?pages=PPNS&lane=unified&page=0");
        assert_eq!(s.followed_page, Some(0));
        assert!(s.url_state().page == Some(0));
        let history = crate::picture::page_history::derive(
            s.comparison.as_ref().unwrap().lane(Strategy::Unified),
            0,
        );
        assert!(history.changes.len() >= 2, "{history:?}");
        let mut s = s;
        for change in &history.changes {
            s = s.reduce(Action::NextPageChange);
            assert_eq!(s.step, change.step);
        }
        let last = s.clone();
        assert!(Rc::ptr_eq(&last, &s.clone().reduce(Action::NextPageChange)));
        s = s.reduce(Action::PrevPageChange);
        assert_eq!(s.step, history.changes[history.changes.len() - 2].step);
        s = s.reduce(Action::FollowPage(Some(3)));
        assert_eq!(s.followed_page, Some(3));
        s = s.reduce(Action::FollowPage(Some(4)));
        assert_eq!(s.followed_page, None, "page 4 is past PPNS");
        let s = state("?pages=PPNS&page=9");
        assert_eq!(s.followed_page, None);
        assert!(
            s.notices[0].0.contains("Page 9 is past the end"),
            "{:?}",
            s.notices
        );
    }

    #[test]
    fn changing_the_followed_lane_keeps_the_picture_where_it_was() {
        let s = state("?pages=PPPPSSSS&lane=unified");
        let s = s
            .reduce(Action::NextMilestone)
            .reduce(Action::NextMilestone);
        let comparison = s.comparison.clone().expect("small scenarios run at once");
        let b = comparison.lane_index(Strategy::LegacyB);
        let where_b_was = comparison.lane_step(b, s.align, s.lane, s.step);
        let s = s.reduce(Action::SetLane(Strategy::LegacyB));
        assert_eq!(s.step, where_b_was);
        assert_eq!(s.lane, Strategy::LegacyB);
    }

    #[test]
    fn a_bad_scenario_keeps_the_last_good_one_and_says_why() {
        let s = state("?pages=PPNS");
        let before = s.comparison.clone().expect("runs");
        let s = s.reduce(Action::EditScenario("PP?".into()));
        assert!(s
            .scenario_error
            .as_deref()
            .unwrap_or("")
            .contains("position 2"));
        assert!(Rc::ptr_eq(
            &s.comparison.as_ref().expect("kept").0,
            &before.0
        ));
        assert_eq!(s.url_state().pages, "PPNS");
    }

    #[test]
    fn an_action_that_changes_nothing_keeps_the_same_state() {
        let s = state("?pages=PPNS");
        assert!(Rc::ptr_eq(&s, &s.clone().reduce(Action::Pause)));
        assert!(Rc::ptr_eq(&s, &s.clone().reduce(Action::CloseHelp)));
        assert!(Rc::ptr_eq(&s, &s.clone().reduce(Action::Home)));
        let zoomed = s.clone().reduce(Action::SetZoom(0));
        assert_eq!(zoomed.zoom, 0);
        assert!(!Rc::ptr_eq(&s, &zoomed));
    }

    /// What the worker hands over, lane by lane, as `crate::compute::client` does.
    fn lanes_of(text: &str) -> Vec<Rc<LaneTrace>> {
        LoadedLanes::build(parse_text(text).expect("valid"))
            .lanes
            .clone()
    }

    #[test]
    fn large_scenarios_are_computed_lane_by_lane_and_the_step_is_checked_then() {
        let s = state("?pages=P*3000&step=99999999&lane=legacy_b");
        assert!(s.comparison.is_none());
        assert_eq!(s.pending.as_deref(), Some("P*3000"));
        let progress = s.progress.clone().expect("progress");
        assert_eq!(progress.pages, 3000);
        assert_eq!(progress.lanes[0], (Strategy::LegacyB, LaneStatus::Waiting));
        let lanes = lanes_of("P*3000");
        let s = s.reduce(Action::Computing("P*3000".into(), Strategy::LegacyB));
        assert_eq!(
            s.progress.as_ref().expect("progress").lanes[0].1,
            LaneStatus::Computing
        );
        // The followed lane first: explorable at once, the step checked against it.
        let s = s.reduce(Action::LaneReady("P*3000".into(), lanes[1].clone()));
        let partial = s.comparison.clone().expect("one lane in");
        assert!(!partial.complete);
        assert_eq!(partial.lanes.len(), 1);
        assert_eq!(s.step, lanes[1].timeline.len());
        assert!(s.notices.iter().any(|n| n.0.contains("past the end")));
        let s = s.reduce(Action::StepBy(-1));
        assert_eq!(s.step, lanes[1].timeline.len() - 1);
        let s = s
            .reduce(Action::LaneReady("P*3000".into(), lanes[0].clone()))
            .reduce(Action::LaneReady("P*3000".into(), lanes[2].clone()));
        assert_eq!(s.pending.as_deref(), Some("P*3000"));
        let s = s.reduce(Action::ComputeDone("P*3000".into(), true));
        let done = s.comparison.clone().expect("all in");
        assert!(done.complete && done.agree);
        let order: Vec<Strategy> = done.lanes.iter().map(|l| l.strategy).collect();
        assert_eq!(order, Strategy::ALL.to_vec());
        assert_eq!((s.pending.clone(), s.progress.clone()), (None, None));
        assert_eq!(s.step, lanes[1].timeline.len() - 1, "the picture stays put");
    }

    #[test]
    fn a_stale_lane_is_ignored_and_cancel_keeps_what_is_in() {
        let s = state("?pages=P*3000&lane=legacy_a");
        let lanes = lanes_of("P*3000");
        let s = s.reduce(Action::EditScenario("P*2500N".into()));
        let before = s.clone();
        let s = s.reduce(Action::LaneReady("P*3000".into(), lanes[0].clone()));
        assert!(
            Rc::ptr_eq(&before, &s),
            "a lane of the old scenario changes nothing"
        );
        let s = state("?pages=P*3000&lane=legacy_a")
            .reduce(Action::LaneReady("P*3000".into(), lanes[0].clone()))
            .reduce(Action::CancelCompute);
        assert_eq!(s.pending, None);
        assert_eq!(s.comparison.as_ref().map(|c| c.lanes.len()), Some(1));
        let notice = &s.notices.last().expect("said").0;
        assert!(
            notice.contains("Legacy B, Unified not computed"),
            "{notice}"
        );
        assert!(notice.contains("can be explored"), "{notice}");
        let s =
            state("?pages=P*3000").reduce(Action::ComputeFailed("P*3000".into(), "boom".into()));
        assert_eq!(s.scenario_error.as_deref(), Some("boom"));
        assert_eq!(s.pending, None);
    }
}
