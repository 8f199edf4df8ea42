//! The root component: reads the URL once, owns the reducer, installs the keyboard map and the play loop, keeps
//! the URL in step with the picture, and derives each picture's render data from the session.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use gloo::render::{request_animation_frame, AnimationFrame};
use gloo::timers::callback::Timeout;
use hmm_sim::Counters;
use hmm_sim::PteKind;
use hmm_sim::Strategy;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::components::{
    DeepView, Help, Lane, Legend, Narration, Notices, ScenarioInput, SessionRef, Simplified,
    SummaryChart, Transport,
};
use crate::frame::{
    cursor_page, deep_frame, kinds, lane_frame, window_start, LaneFrame, Touched, WINDOW_PAGES,
};
use crate::scenario::parse_text;
use crate::session::{held_by, Session};
use crate::state::{Action, AppState, Theme};
use crate::url::{format_query, parse_query, View, BASE_STEPS_PER_SECOND};
use gloo::storage::Storage;

/// How long the picture must stay put before the address bar follows it.
const URL_WRITE_DELAY_MS: u32 = 150;

/// Read the page's URL. Outside a browser window (never in practice) this is the default state.
fn read_url() -> AppState {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let (url, notices) = parse_query(&search);
    let mut state = AppState::from_url(url, notices);
    state.theme = stored_theme().unwrap_or(state.theme);
    state
}

/// The theme is the reader's preference, not part of the picture a URL shares: it lives in localStorage.
const THEME_KEY: &str = "hmmviz-theme";

fn stored_theme() -> Option<Theme> {
    match gloo::storage::LocalStorage::get::<String>(THEME_KEY)
        .ok()?
        .as_str()
    {
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
    // Storage may be unavailable (private mode, embedded iframes): the theme then lasts for the page only.
    let _ = gloo::storage::LocalStorage::set(THEME_KEY, name);
}

/// Put `query` in the address bar without a navigation (replaceState: the back button is not a step counter).
fn write_url(query: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let current = location.search().unwrap_or_default();
    if current.strip_prefix('?') == Some(query) {
        return;
    }
    let path = location.pathname().unwrap_or_default();
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}?{query}")),
        );
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

/// One animation frame of the play loop: advance by the time elapsed × speed, then ask for the next frame.
fn schedule_frame(
    handle: Rc<RefCell<Option<AnimationFrame>>>,
    alive: Rc<Cell<bool>>,
    dispatcher: UseReducerDispatcher<AppState>,
    steps_per_ms: f64,
    last: Rc<Cell<Option<f64>>>,
    carry: Rc<Cell<f64>>,
) {
    let next_handle = handle.clone();
    let frame = request_animation_frame(move |now| {
        if !alive.get() {
            return;
        }
        // A hidden tab pauses frames; do not jump ahead by the whole pause when it comes back.
        let elapsed = last.get().map_or(0.0, |l| (now - l).clamp(0.0, 100.0));
        last.set(Some(now));
        let total = carry.get() + elapsed * steps_per_ms;
        let whole = total.floor();
        carry.set(total - whole);
        if whole >= 1.0 {
            dispatcher.dispatch(Action::Tick(whole as usize));
        }
        // The dispatch may have stopped playback (end of trace) and run the effect's clean-up already.
        if alive.get() {
            schedule_frame(next_handle, alive, dispatcher, steps_per_ms, last, carry);
        }
    });
    *handle.borrow_mut() = Some(frame);
}

#[component]
pub fn App() -> Html {
    let state = use_reducer(read_url);
    let dispatcher = state.dispatcher();
    use_effect_with(state.theme, |&theme| store_theme(theme));
    let on: Callback<Action> = {
        let dispatcher = dispatcher.clone();
        use_callback((), move |action: Action, _| dispatcher.dispatch(action))
    };

    // Keyboard: one listener on the window for the app's lifetime.
    {
        let dispatcher = dispatcher.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                // Not passive: handled keys call preventDefault (Space must not scroll the page).
                let options = EventListenerOptions::enable_prevent_default();
                EventListener::new_with_options(&window, "keydown", options, move |event| {
                    let Some(e) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                        return;
                    };
                    if let Some(action) = key_action(e) {
                        e.prevent_default();
                        dispatcher.dispatch(action);
                    }
                })
            });
            move || drop(listener)
        });
    }

    // The play loop: runs while playing; restarted when the speed changes.
    {
        let dispatcher = dispatcher.clone();
        use_effect_with(
            (state.playing, state.speed_index),
            move |&(playing, speed_index)| {
                let handle = Rc::new(RefCell::new(None));
                let alive = Rc::new(Cell::new(playing));
                if playing {
                    let speed = crate::url::SPEEDS.get(speed_index).copied().unwrap_or(1.0);
                    schedule_frame(
                        handle.clone(),
                        alive.clone(),
                        dispatcher,
                        speed * BASE_STEPS_PER_SECOND / 1000.0,
                        Rc::new(Cell::new(None)),
                        Rc::new(Cell::new(0.0)),
                    );
                }
                move || {
                    alive.set(false);
                    handle.borrow_mut().take();
                }
            },
        );
    }

    // A large scenario: paint "computing" first, then compute.
    {
        let dispatcher = dispatcher.clone();
        use_effect_with(state.pending.clone(), move |pending| {
            let timeout = pending.clone().map(|text| {
                Timeout::new(30, move || {
                    if let Ok(states) = parse_text(&text) {
                        dispatcher
                            .dispatch(Action::SessionReady(text, Rc::new(Session::build(states))));
                    }
                })
            });
            move || drop(timeout)
        });
    }

    // The URL follows the picture, except while playing (one replaceState per frame would be throttled), and a
    // moment after the last change (dragging the scrubber or holding → moves the picture, not the address bar).
    {
        let query = format_query(&state.url_state());
        let settled = !state.playing && state.pending.is_none();
        use_effect_with((query, settled), move |(query, settled)| {
            let query = query.clone();
            let timeout =
                settled.then(|| Timeout::new(URL_WRITE_DELAY_MS, move || write_url(&query)));
            move || drop(timeout)
        });
    }

    let theme_class = match state.theme {
        Theme::System => None,
        Theme::Light => Some("theme-light"),
        Theme::Dark => Some("theme-dark"),
    };
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
        <div id="app" class={classes!("app", theme_class, state.playing.then_some("playing"))}
            data-view={state.view.name()} data-lane={state.lane.name()}>
            <header class="topbar">
                <div class="brand">
                    <h1>{ "hmmviz" }</h1>
                    <p class="tagline">{ "Moving a range to device memory in Linux HMM: three driver paths, step by step" }</p>
                </div>
                <nav class="views" aria-label="Views">
                    { view_button(View::Compare, "view-compare", "Compare lanes") }
                    { view_button(View::Deep, "view-deep", "Look inside a lane") }
                </nav>
                <div class="tools">
                    <button id="theme-button" type="button" onclick={on.reform(|_: MouseEvent| Action::CycleTheme)}
                        title="Switch theme (t)">{ theme_label }</button>
                    <button id="help-button" type="button" onclick={on.reform(|_: MouseEvent| Action::ToggleHelp)}
                        aria-haspopup="dialog" title="Keyboard (?)">{ "? keys" }</button>
                </div>
            </header>
            <Notices notices={state.notices.clone()} on={on.clone()} />
            <ScenarioInput value={state.scenario_text.clone()}
                error={state.scenario_error.clone().map(AttrValue::from)}
                pending={state.pending.is_some()}
                on_change={on.reform(Action::EditScenario)} />
            {
                match &state.session {
                    Some(session) => body(&state, session, &on),
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

/// Transport, narration and the chosen view, for a computed session.
fn body(state: &AppState, session: &Rc<Session>, on: &Callback<Action>) -> Html {
    let reference = session.lane_index(state.lane);
    let npages = session.npages();
    let count = session.lanes.len();
    let steps: Vec<usize> = (0..count)
        .map(|i| session.lane_step(i, state.align, state.lane, state.step))
        .collect();
    let prevs: Vec<usize> = (0..count)
        .map(|i| session.lane_step(i, state.align, state.lane, state.prev_step))
        .collect();
    let len = session.transport_len(state.align, state.lane);
    let milestones = Rc::new(session.transport_milestones(state.align, state.lane));

    // Narration of the reference lane's current step.
    let lane = &session.lanes[reference];
    let narration = {
        let lane_state = lane.track.state(steps[reference]);
        let event = lane.track.event_before(steps[reference]);
        html! {
            <Narration strategy={lane.strategy} step={steps[reference]} len={lane.track.len()}
                func={event.map(|e| e.func)}
                is_call={event.is_some_and(|e| e.kind == hmm_sim::Kind::Call)}
                line={event.map_or_else(
                    || "Step 0: the scenario's pages, before the driver starts. Press Space (or ▶ Play) to run the three lanes.".to_owned(),
                    hmm_sim::narrate,
                )}
                held={held_by(&lane_state, event.map_or(0, |e| e.thread))}
                milestone={lane_state.last_milestone}
                playing={state.playing} />
        }
    };

    let view = match state.view {
        View::Compare => {
            let frames = compare_frames(session, reference, &steps, &prevs, npages);
            let totals: Vec<(Strategy, Counters)> = session
                .lanes
                .iter()
                .map(|l| (l.strategy, l.totals))
                .collect();
            html! {
                <>
                    <div id="lanes" class="lanes">
                        { for frames.into_iter().enumerate().map(|(i, frame)| html! {
                            <Lane key={session.lanes[i].strategy.name()} {frame} reference={i == reference} on={on.clone()} />
                        }) }
                    </div>
                    <SummaryChart {totals} agree={session.agree} />
                </>
            }
        }
        View::Deep => {
            let lane_state = lane.track.state(steps[reference]);
            let touched = Touched::between(lane.track.events(), prevs[reference], steps[reference]);
            let frame = Rc::new(deep_frame(
                lane,
                &lane_state,
                steps[reference],
                npages,
                &touched,
            ));
            drop(lane_state);
            html! {
                <DeepView {frame} session={SessionRef(session.clone())} lane={reference} on={on.clone()} />
            }
        }
    };

    html! {
        <>
            <Transport step={state.step} {len} playing={state.playing} speed_index={state.speed_index}
                jump_kind={state.jump_kind} align={state.align} view={state.view} lane={state.lane}
                {milestones} on={on.clone()} />
            { narration }
            <main id="main" class={classes!("view", format!("view-{}", state.view.name()))}>{ view }</main>
        </>
    }
}

/// The three lanes' pictures at their aligned steps, sharing one window of pages (around the reference lane's
/// walk cursor) so that the rows stack page over page and differences line up.
fn compare_frames(
    session: &Session,
    reference: usize,
    steps: &[usize],
    prevs: &[usize],
    npages: usize,
) -> Vec<Rc<LaneFrame>> {
    let start = {
        let ref_state = session.lanes[reference].track.state(steps[reference]);
        window_start(cursor_page(&ref_state, npages), npages, WINDOW_PAGES)
    };
    let mut window_kinds: Vec<Vec<PteKind>> = Vec::new();
    let mut counters: Vec<Counters> = Vec::new();
    for (i, lane) in session.lanes.iter().enumerate() {
        let s = lane.track.state(steps[i]);
        window_kinds.push(kinds(&s, start, WINDOW_PAGES, npages));
        counters.push(s.counters);
    }
    let width = window_kinds.first().map_or(0, Vec::len);
    let differs: Vec<bool> = (0..width)
        .map(|p| {
            !window_kinds
                .iter()
                .all(|k| k.get(p) == window_kinds[0].get(p))
        })
        .collect();
    let counters_differ: Vec<&'static str> = counters
        .first()
        .map(|c| c.fields().map(|(n, _)| n).to_vec())
        .unwrap_or_default()
        .into_iter()
        .filter(|n| {
            let first = counters[0].get(n);
            counters.iter().any(|c| c.get(n) != first)
        })
        .collect();
    session
        .lanes
        .iter()
        .enumerate()
        .map(|(i, lane)| {
            let s = lane.track.state(steps[i]);
            let touched = Touched::between(lane.track.events(), prevs[i], steps[i]);
            Rc::new(lane_frame(
                lane,
                &s,
                steps[i],
                npages,
                start,
                &touched,
                &differs,
                counters_differ.clone(),
                lane.milestones.clone(),
            ))
        })
        .collect()
}
