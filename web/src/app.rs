//! The root component only wires: it reads the URL once, owns the reducer, installs the keyboard map and the
//! play loop, keeps the URL in step with the state, and hands each component the picture `crate::picture`
//! derives for it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use gloo::render::{request_animation_frame, AnimationFrame};
use gloo::timers::callback::Timeout;
use hmm_sim::Strategy;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::comparison::{LoadedLanes, BROWSER_MAX_EVENTS_PER_LANE};
use crate::components::{
    ComputeProgress, DeepView, Help, LanePanel, Legend, Narration, Notices, Overview,
    PageHistoryPanel, ScenarioInput, Simplified, SummaryChart, Transport,
};
use crate::compute::client::{self, Update};
use crate::compute::protocol::Request;
use crate::picture::deep::deep_picture;
use crate::picture::lane::compare_pictures;
use crate::picture::narration::narration_picture;
use crate::picture::overview::overview_picture;
use crate::picture::page_history::page_history;
use crate::picture::swimlanes::swimlanes_picture;
use crate::picture::MINIMAP_MAX_PAGES;
use crate::scenario::parse_text;
use crate::state::{Action, AppState, Theme};
use crate::url::{format_query, parse_query, View, BASE_STEPS_PER_SECOND};

/// How long the picture must stay put before the address bar follows it.
const URL_WRITE_DELAY_MS: u32 = 150;

/// Read the page's URL. Outside a browser window (never in practice) this is the default state.
fn read_url() -> AppState {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let (url, notices) = parse_query(&search);
    let mut state = AppState::from_url(url, notices);
    // A theme the URL names (`theme=`, e.g. a docs page matching its own) wins over the stored preference.
    if state.display.theme.is_none() {
        state.theme = stored_theme().unwrap_or(state.theme);
    }
    state
}

/// The theme is the reader's preference, not part of the picture a URL shares: it lives in localStorage.
const THEME_KEY: &str = "hmmviz-theme";

/// The page's localStorage, if it may use it: a frame of another site is often denied it (Chromium throws
/// a SecurityError on access; gloo's storage would panic on that), and then the theme lasts for the page only.
fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn stored_theme() -> Option<Theme> {
    match local_storage()?.get_item(THEME_KEY).ok()??.as_str() {
        "light" => Some(Theme::Light),
        "dark" => Some(Theme::Dark),
        "system" => Some(Theme::System),
        _ => None,
    }
}

fn store_theme(theme: Theme) {
    let name = match theme {
        Theme::System => "system",
        Theme::Light => "light",
        Theme::Dark => "dark",
    };
    // Storage may be unavailable or full (private mode, embedded iframes): the theme then lasts for the page.
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(THEME_KEY, name);
    }
}

/// The key map. Keys that a focused control handles itself (typing in a field, arrows on the scrubber or a
/// select, Space/Enter on a button) are left to it.
fn key_action(e: &web_sys::KeyboardEvent) -> Option<Action> {
    if e.ctrl_key() || e.meta_key() || e.alt_key() {
        return None;
    }
    let key = e.key();
    let target = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
    let tag = target
        .as_ref()
        .map(|t| t.tag_name().to_ascii_uppercase())
        .unwrap_or_default();
    let input_type = target
        .as_ref()
        .and_then(|t| t.get_attribute("type"))
        .unwrap_or_default();
    let typing = tag == "TEXTAREA" || (tag == "INPUT" && input_type != "range");
    if key == "Escape" {
        return Some(Action::CloseHelp);
    }
    if typing {
        return None;
    }
    // Arrows belong to a focused select or scrubber (the range input steps by itself); Shift+arrows do not,
    // since neither uses them.
    let own_arrows = (tag == "SELECT" || tag == "INPUT") && !e.shift_key();
    let own_activation = matches!(tag.as_str(), "BUTTON" | "SELECT" | "A" | "SUMMARY");
    let shift = e.shift_key();
    Some(match key.as_str() {
        " " | "Spacebar" if !own_activation => Action::TogglePlay,
        "ArrowRight" if !own_arrows => {
            if shift {
                Action::NextMilestone
            } else {
                Action::StepBy(1)
            }
        }
        "ArrowLeft" if !own_arrows => {
            if shift {
                Action::PrevMilestone
            } else {
                Action::StepBy(-1)
            }
        }
        "Home" if tag != "SELECT" && tag != "INPUT" => Action::Home,
        "End" if tag != "SELECT" && tag != "INPUT" => Action::End,
        "?" => Action::ToggleHelp,
        "]" => Action::JumpNext,
        "[" => Action::JumpPrev,
        "+" | "=" => Action::Faster,
        "-" | "_" => Action::Slower,
        "v" | "V" => Action::ToggleView,
        "t" | "T" => Action::CycleTheme,
        "1" => Action::SetLane(Strategy::LegacyA),
        "2" => Action::SetLane(Strategy::LegacyB),
        "3" => Action::SetLane(Strategy::Unified),
        _ => return None,
    })
}

/// The most steps one frame of playback moves: the fastest speed (1,048,576 steps/s) is about 17,500 a
/// frame at 60 Hz. A slow frame must not make the next one move further (each frame's work grows with the
/// steps it moves: the overview recounts a lane past `INCREMENTAL_EVENTS`, and that frame is slower
/// still), so playback slows down instead of falling behind.
const MAX_STEPS_PER_FRAME: usize = crate::picture::overview::INCREMENTAL_EVENTS / 2;

/// The fewest steps a frame's budget goes down to (still 15,000 steps/s at 60 Hz: the browser's longest
/// lane in under ten minutes on a machine that draws nothing faster).
const MIN_STEPS_PER_FRAME: usize = 256;

/// How long a frame's own work (the reducer, every lane's replay, the pictures, the DOM diff) may take: a
/// refresh at 60 Hz is 16.7 ms, and the browser still has to lay out and paint what changed (about 7 ms a
/// frame at 262,144 pages in a CPU profile of the release build): at 9 ms, frames on a loaded machine missed
/// their refresh often enough to make the p95 two refreshes.
const FRAME_WORK_MS: f64 = 7.5;

/// How many steps a frame may move: each step is replayed in every lane, so at the fast speeds the steps, not
/// the drawing, fill the frame. After each frame the budget is scaled by how far its work was from
/// [`FRAME_WORK_MS`] (at most halved or grown by a quarter), so playback runs as fast as the speed asks or
/// as the machine draws at 60 frames a second, whichever is slower: a video player dropping to what it can
/// decode, rather than stuttering.
#[derive(Clone, Copy, Debug, PartialEq)]
struct FrameBudget(usize);

impl FrameBudget {
    const START: FrameBudget = FrameBudget(MAX_STEPS_PER_FRAME / 8);

    /// The budget after a frame that moved its whole budget in `work_ms`.
    fn after(self, work_ms: f64) -> FrameBudget {
        let scale = (FRAME_WORK_MS / work_ms.max(0.1)).clamp(0.5, 1.25);
        FrameBudget(
            ((self.0 as f64 * scale) as usize).clamp(MIN_STEPS_PER_FRAME, MAX_STEPS_PER_FRAME),
        )
    }
}

/// What the play loop carries from one frame to the next.
#[derive(Default)]
struct PlayClock {
    /// The last frame's timestamp.
    last: Option<f64>,
    /// Fractions of a step owed from earlier frames.
    carry: f64,
    budget: Option<FrameBudget>,
    /// How long the last frame's work took, if it moved its whole budget (measured once it is done).
    work_ms: Option<f64>,
}

/// One animation frame of the play loop: advance by the time elapsed × speed (within the frame budget), then
/// ask for the next frame.
fn schedule_frame(
    handle: Rc<RefCell<Option<AnimationFrame>>>,
    alive: Rc<Cell<bool>>,
    dispatcher: UseReducerDispatcher<AppState>,
    steps_per_ms: f64,
    clock: Rc<RefCell<PlayClock>>,
) {
    let next_handle = handle.clone();
    let frame = request_animation_frame(move |now| {
        if !alive.get() {
            return;
        }
        let (steps, full) = {
            let mut c = clock.borrow_mut();
            // A hidden tab pauses frames; do not jump ahead by the whole pause when it comes back.
            let elapsed = c.last.map_or(0.0, |l| (now - l).clamp(0.0, 100.0));
            c.last = Some(now);
            let mut budget = c.budget.unwrap_or(FrameBudget::START);
            if let Some(work) = c.work_ms.take() {
                budget = budget.after(work);
            }
            c.budget = Some(budget);
            let total = c.carry + elapsed * steps_per_ms;
            let whole = total.floor();
            c.carry = total - whole;
            let steps = (whole as usize).min(budget.0);
            (steps, steps == budget.0)
        };
        if steps >= 1 {
            let started = client::now();
            dispatcher.dispatch(Action::Tick(steps));
            // Yew renders in a microtask the dispatch queued; this one runs after it, when the frame's work
            // is done. Only a frame that used its whole budget says what the budget costs.
            if full {
                let clock = clock.clone();
                let done = Closure::once_into_js(move || {
                    clock.borrow_mut().work_ms = Some(client::now() - started);
                });
                if let Some(window) = web_sys::window() {
                    window.queue_microtask(done.unchecked_ref());
                }
            }
        }
        // The dispatch may have stopped playback (end of trace) and run the effect's clean-up already.
        if alive.get() {
            schedule_frame(next_handle, alive, dispatcher, steps_per_ms, clock);
        }
    });
    *handle.borrow_mut() = Some(frame);
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(read_url);
    let dispatcher = state.dispatcher();
    let url_theme = state.display.theme.is_some();
    use_effect_with((state.theme, url_theme), |&(theme, url_theme)| {
        if !url_theme {
            store_theme(theme);
        }
    });
    let on: Callback<Action> = {
        let dispatcher = dispatcher.clone();
        use_callback((), move |action: Action, _| dispatcher.dispatch(action))
    };
    use_key_map(
        dispatcher.clone(),
        state.display.present || state.display.speaker,
    );
    use_play_loop(state.playing, state.speed_index, dispatcher.clone());
    use_pending_comparison(state.pending.clone(), state.lane, state.driver, dispatcher);
    use_url_follows(&state);
    crate::embed::host::use_host_commands(&state, state.dispatcher());
    crate::embed::host::use_host_events(&state);
    crate::share::use_popstate(state.dispatcher());
    crate::present::use_present_keys(&state, state.dispatcher());
    crate::present::use_present_sync(&state, state.dispatcher());

    let theme_class = match state.theme {
        Theme::System => None,
        Theme::Light => Some("theme-light"),
        Theme::Dark => Some("theme-dark"),
    };
    if state.display.speaker {
        return html! {
            <div id="app" class={classes!("app", "speaker", theme_class)} data-view={state.view.name()}
                data-lane={state.lane.name()}>
                { crate::present::speaker_body(&state, &on) }
            </div>
        };
    }
    if state.display.embed || state.display.present {
        // Presenting uses the embedded page's fill-the-screen layout, with the narration on top.
        return html! {
            <div id="app" class={classes!("app", "embed", format!("controls-{}", state.display.controls().name()),
                state.display.present.then_some("present"), theme_class, state.playing.then_some("playing"))}
                data-view={state.view.name()} data-lane={state.lane.name()}>
                // The full transport has its own narration.
                if state.display.present && state.display.controls() != crate::embed::Controls::Full {
                    { crate::present::present_top(&state) }
                }
                { crate::embed::view::embed_body(&state, &on) }
                if state.blank { { crate::present::blank() } }
            </div>
        };
    }
    html! {
        <div id="app" class={classes!("app", theme_class, state.playing.then_some("playing"))}
            data-view={state.view.name()} data-lane={state.lane.name()}>
            { topbar(&state, &on) }
            <Notices notices={state.notices.clone()} on={on.clone()} />
            <ScenarioInput value={state.scenario_text.clone()}
                error={state.scenario_error.clone().map(AttrValue::from)}
                on_change={on.reform(Action::EditScenario)} />
            <p id="driver-settings" class="driver-settings">{ driver_line(state.driver) }</p>
            if let Some(progress) = &state.progress {
                <ComputeProgress progress={progress.clone()} on_cancel={on.reform(|_: ()| Action::CancelCompute)} />
            }
            {
                match &state.comparison {
                    Some(comparison) => body(&state, comparison, &on),
                    None => html! {
                        <p class="placeholder">{ "The lanes appear here once the scenario has run." }</p>
                    },
                }
            }
            <footer class="footer">
                <Legend />
                <Simplified />
            </footer>
            if state.help_open {
                <Help on={on.clone()} />
            }
        </div>
    }
}

/// Keyboard: one listener on the window for the app's lifetime.
#[hook]
fn use_key_map(dispatcher: UseReducerDispatcher<AppState>, presenting: bool) {
    use_effect_with(presenting, move |&presenting| {
        let listener = web_sys::window().map(|window| {
            // Not passive: handled keys call preventDefault (Space must not scroll the page).
            let options = EventListenerOptions::enable_prevent_default();
            EventListener::new_with_options(&window, "keydown", options, move |event| {
                let Some(e) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                    return;
                };
                // Presenting, the presenter's keys (`crate::present`) come first.
                if presenting && crate::present::present_key(e).is_some() {
                    return;
                }
                // In a frame, Escape also gives the keyboard back to the host page (its deck keys).
                if e.key() == "Escape" && crate::embed::host::in_frame() {
                    crate::embed::host::release_focus();
                }
                if let Some(action) = key_action(e) {
                    e.prevent_default();
                    dispatcher.dispatch(action);
                }
            })
        });
        move || drop(listener)
    });
}

/// The play loop: runs while playing; restarted when the speed changes.
#[hook]
fn use_play_loop(playing: bool, speed_index: usize, dispatcher: UseReducerDispatcher<AppState>) {
    use_effect_with((playing, speed_index), move |&(playing, speed_index)| {
        let handle = Rc::new(RefCell::new(None));
        let alive = Rc::new(Cell::new(playing));
        if playing {
            let speed = crate::url::SPEEDS.get(speed_index).copied().unwrap_or(1.0);
            schedule_frame(
                handle.clone(),
                alive.clone(),
                dispatcher,
                speed * BASE_STEPS_PER_SECOND / 1000.0,
                Rc::default(),
            );
        }
        move || {
            alive.set(false);
            handle.borrow_mut().take();
        }
    });
}

/// A large scenario: computed in the worker (`crate::compute`), each lane handed to the reducer as it is
/// done. Changing the scenario or cancelling drops the job, which terminates the worker.
#[hook]
fn use_pending_comparison(
    pending: Option<String>,
    first: Strategy,
    driver: hmm_sim::DriverOpts,
    dispatcher: UseReducerDispatcher<AppState>,
) {
    use_effect_with((pending, driver), move |(pending, driver)| {
        let driver = *driver;
        let pending = pending.clone();
        // Started in a task of its own: the render that asked for it (at page load, the app's first) and the
        // start of the job (parsing up to 262,144 pages, starting the worker) would make one long task.
        let job = Rc::new(RefCell::new(None));
        let starting = job.clone();
        let start = Timeout::new(0, move || {
            *starting.borrow_mut() = pending.and_then(|text| {
                let states = parse_text(&text).ok()?;
                let request = Request {
                    pages: text.clone(),
                    first,
                    budget: BROWSER_MAX_EVENTS_PER_LANE,
                    driver,
                };
                let on_update = dispatcher.clone();
                let started = client::start(&request, &states, move |update| {
                    let text = text.clone();
                    on_update.dispatch(match update {
                        Update::Started(strategy) => Action::Computing(text, strategy),
                        Update::Preparing {
                            strategy,
                            done,
                            total,
                        } => Action::Preparing(text, strategy, done, total),
                        Update::Lane(lane) => Action::LaneReady(text, lane),
                        Update::Done { agree } => Action::ComputeDone(text, agree),
                        Update::Failed(message) => Action::ComputeFailed(text, message),
                    });
                });
                match started {
                    Ok(job) => Some(job),
                    Err(message) => {
                        dispatcher.dispatch(Action::ComputeFailed(request.pages, message));
                        None
                    }
                }
            })
        });
        move || {
            drop(start);
            job.borrow_mut().take();
        }
    });
}

/// The URL follows the state, except while playing (one replaceState per frame would be throttled), and a
/// moment after the last change (dragging the scrubber or holding → moves the picture, not the address bar).
#[hook]
fn use_url_follows(state: &AppState) {
    let query = format_query(&state.url_state());
    let settled = !state.playing && state.pending.is_none();
    use_effect_with((query, settled), move |(query, settled)| {
        let query = query.clone();
        let seen = crate::share::current_search();
        let timeout = settled.then(|| {
            Timeout::new(URL_WRITE_DELAY_MS, move || {
                crate::share::write_url(&query, &seen)
            })
        });
        move || drop(timeout)
    });
}

/// The title, the view tabs, the theme and help buttons.
fn topbar(state: &AppState, on: &Callback<Action>) -> Html {
    let theme_label = match state.theme {
        Theme::System => "theme: system",
        Theme::Light => "theme: light",
        Theme::Dark => "theme: dark",
    };
    let view_button = |view: View, id: &'static str, label: &'static str| {
        let selected = state.view == view;
        html! {
            <button {id} type="button" class={classes!("view-tab", selected.then_some("selected"))}
                aria-pressed={selected.to_string()} onclick={on.reform(move |_: MouseEvent| Action::SetView(view))}>
                { label }
            </button>
        }
    };

    html! {
        <header class="topbar">
            <div class="brand">
                <h1>{ "hmmviz" }</h1>
                <p class="tagline">{ "Moving a range to device memory in Linux HMM: three driver paths, step by step" }</p>
            </div>
            <nav class="views" aria-label="Views">
                { view_button(View::Compare, "view-compare", "Compare lanes") }
                { view_button(View::Deep, "view-deep", "Look inside a lane") }
                // The lesson pages are another page load (crate::lesson), so a plain link.
                <a class="view-tab" id="to-lessons" href="?lessons">{ "Lessons" }</a>
            </nav>
            <div class="tools">
                <crate::share::Share link_query={crate::share::link_query(state)}
                    embed_query={crate::share::embed_query(state)} />
                if let Some(comparison) = &state.comparison {
                    <crate::export::menu::ExportMenu comparison={comparison.clone()} lane={state.lane}
                        align={state.align} step={state.step} prev_step={state.prev_step}
                        lanes={state.display.lanes} />
                }
                <button id="theme-button" type="button" onclick={on.reform(|_: MouseEvent| Action::CycleTheme)}
                    title="Switch theme (t)">{ theme_label }</button>
                <button id="help-button" type="button" onclick={on.reform(|_: MouseEvent| Action::ToggleHelp)}
                    aria-haspopup="dialog" title="Keyboard (?)">{ "? keys" }</button>
            </div>
        </header>
    }
}

/// Transport, narration and the chosen view, for a computed comparison: each picture derived by
/// `crate::picture`, handed to its component.
fn body(state: &AppState, comparison: &LoadedLanes, on: &Callback<Action>) -> Html {
    let reference = comparison.lane_index(state.lane);
    let steps = comparison.lane_steps(state.align, state.lane, state.step);
    let prevs = comparison.lane_steps(state.align, state.lane, state.prev_step);
    let len = comparison.transport_len(state.align, state.lane);
    let milestones = Rc::new(comparison.transport_milestones(state.align, state.lane));
    let lane = &comparison.lanes[reference];
    let narration = narration_picture(lane, steps[reference]);

    let view = match state.view {
        View::Compare => {
            let pictures = compare_pictures(comparison, reference, &steps, &prevs);
            let overview = (comparison.npages() > MINIMAP_MAX_PAGES).then(|| {
                let cursor = pictures.get(reference).and_then(|p| p.cursor);
                Rc::new(overview_picture(comparison, &steps, state.overview, cursor))
            });
            html! {
                <>
                    if let Some(picture) = overview {
                        <Overview {picture} on={on.clone()} />
                    }
                    <div id="lanes" class="lanes">
                        { for pictures.into_iter().enumerate().map(|(i, picture)| html! {
                            <LanePanel key={comparison.lanes[i].strategy.name()} {picture} reference={i == reference}
                                followed={state.followed_page} on={on.clone()} />
                        }) }
                        // Lanes the worker has not handed over yet.
                        { for Strategy::ALL.into_iter().filter(|&s| !comparison.has_lane(s)).map(|s| html! {
                            <section key={s.name()} id={format!("lane-{}-pending", s.name())} class="lane-pending"
                                aria-label={format!("{} lane, computing", crate::components::lane_name(s))}>
                                <p class="placeholder">{ format!("{}: computing…", crate::components::lane_name(s)) }</p>
                            </section>
                        }) }
                    </div>
                    if comparison.complete {
                        <SummaryChart totals={comparison.totals()} agree={comparison.agree} ended={state.step >= len}
                            stopped={comparison.lanes.iter().filter(|l| l.stopped.is_some()).map(|l| l.strategy).collect::<Vec<_>>()} />
                    }
                </>
            }
        }
        View::Deep => {
            let picture = Rc::new(deep_picture(
                lane,
                steps[reference],
                prevs[reference],
                comparison.npages(),
            ));
            let swimlanes = swimlanes_picture(lane, steps[reference], state.zoom);
            html! { <DeepView {picture} {swimlanes} on={on.clone()} /> }
        }
    };

    // A lane that ran into the browser's trace budget is said once, above everything that shows it.
    let stops = comparison.stop_notices();
    html! {
        <>
            if !stops.is_empty() {
                <div id="limit-notices" class="notices" role="status">
                    { for stops.into_iter().map(|(strategy, message, command)| html! {
                        <p key={strategy.name()} id={format!("limit-{}", strategy.name())} class="notice limit">
                            <span>{ message }{ " " }<code>{ command }</code></span>
                        </p>
                    }) }
                </div>
            }
            <Transport step={state.step} {len} playing={state.playing} speed_index={state.speed_index}
                jump_kind={state.jump_kind} align={state.align} view={state.view} lane={state.lane}
                {milestones} on={on.clone()} />
            <Narration picture={narration} playing={state.playing} />
            if let Some(page) = state.followed_page.filter(|&p| p < comparison.npages()) {
                <PageHistoryPanel history={page_history(&comparison.lanes[reference], page)}
                    step={steps[reference]} on={on.clone()} />
            }
            <main id="main" class={classes!("view", format!("view-{}", state.view.name()))}>{ view }</main>
        </>
    }
}

/// The lanes' driver settings in words (they come from the link: `write`, `b_policy`, `unified_entry`).
fn driver_line(d: hmm_sim::DriverOpts) -> String {
    format!(
        "Driver: {}; legacy B {}: {}; unified lane through {} ({}). Set in the link with write=1, \
         b_policy=all_or_nothing, unified_entry=migrate_vma_fault.",
        if d.write {
            "write intent (HMM_PFN_REQ_WRITE on every lane)"
        } else {
            "no write intent (no HMM_PFN_REQ_WRITE, as the RFC's test driver)"
        },
        d.b_policy.name(),
        d.b_policy.describe(),
        d.unified_entry.describe(),
        hmm_sim::RFC_MARK,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frame budget follows what a frame's work costs: it shrinks while the work overruns
    /// `FRAME_WORK_MS`, grows back while there is room, converges where the work fits, and stays within its
    /// bounds.
    #[test]
    fn the_frame_budget_follows_the_work() {
        let mut b = FrameBudget(10_000);
        assert_eq!(b.after(18.0), FrameBudget(5_000));
        assert_eq!(b.after(100.0), FrameBudget(5_000), "at most halved");
        assert_eq!(b.after(1.0), FrameBudget(12_500), "at most a quarter more");
        // Work of 4 ms fixed plus 1 µs a step: the budget settles where the work is FRAME_WORK_MS.
        for _ in 0..50 {
            b = b.after(4.0 + b.0 as f64 / 1000.0);
        }
        let settled = 4.0 + b.0 as f64 / 1000.0;
        assert!(
            (settled - FRAME_WORK_MS).abs() < 0.1,
            "settled at {settled} ms"
        );
        for _ in 0..100 {
            b = b.after(1_000.0);
        }
        assert_eq!(b, FrameBudget(MIN_STEPS_PER_FRAME));
        for _ in 0..100 {
            b = b.after(0.5);
        }
        assert_eq!(b, FrameBudget(MAX_STEPS_PER_FRAME));
    }
}
