//! Presenting from a stage (`present=1`): clicker keys, blanking, fullscreen, the projector layout (the
//! embedded page's fill-the-screen layout with large type and the narration on top), and a speaker window
//! (`speaker=1`, opened with `S`) kept in step with the audience window over a `BroadcastChannel`.
//!
//! Clickers send PageDown / PageUp (some send → / ← or Space), and `B` or `.` to blank the screen. A click is
//! one move a room can follow: the next milestone. ↓ / ↑ move one step.

use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::components::{LanePanel, Narration};
use crate::picture::lane::compare_pictures;
use crate::picture::narration::narration_picture;
use crate::state::{Action, AppState};
use crate::url::{format_query, parse_query, UrlState};

/// The channel the audience and speaker windows of one browser share.
pub const CHANNEL: &str = "hmmviz-present";

/// The presenter's keys, for the key map and the speaker window.
pub const KEYS: [(&str, &str); 6] = [
    ("PageDown / → / Space", "next milestone"),
    ("PageUp / ←", "previous milestone"),
    ("↓ / ↑", "one step forward / back"),
    ("B or .", "blank the screen (again: show it)"),
    ("F", "fullscreen on / off"),
    ("S", "open the speaker window"),
];

/// What a presenter's key does.
#[derive(Clone)]
pub enum PresentKey {
    Act(Action),
    Fullscreen,
    OpenSpeaker,
}

/// The presenter's meaning of a key, if it has one. Typing in a field is left alone.
pub fn present_key(e: &web_sys::KeyboardEvent) -> Option<PresentKey> {
    if e.ctrl_key() || e.meta_key() || e.alt_key() {
        return None;
    }
    // Typing in a field keeps its keys; a focused button, scrubber or select does not: after a click on the
    // speed or the scrubber, the clicker must still move the talk, not the control.
    let typing = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|t| {
            let tag = t.tag_name().to_ascii_uppercase();
            tag == "TEXTAREA"
                || (tag == "INPUT" && t.get_attribute("type").as_deref() != Some("range"))
        });
    if typing {
        return None;
    }
    Some(match e.key().as_str() {
        "PageDown" | "ArrowRight" | " " | "Spacebar" => PresentKey::Act(Action::NextMilestone),
        "PageUp" | "ArrowLeft" => PresentKey::Act(Action::PrevMilestone),
        "ArrowDown" => PresentKey::Act(Action::StepBy(1)),
        "ArrowUp" => PresentKey::Act(Action::StepBy(-1)),
        "b" | "B" | "." => PresentKey::Act(Action::ToggleBlank),
        "f" | "F" => PresentKey::Fullscreen,
        "s" | "S" => PresentKey::OpenSpeaker,
        _ => return None,
    })
}

fn toggle_fullscreen() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.fullscreen_element().is_some() {
        document.exit_fullscreen();
    } else if let Some(root) = document.document_element() {
        // Refused outside a user gesture or in a frame without allowfullscreen: nothing to do then.
        let _ = root.request_fullscreen();
    }
}

/// The picture alone (no layout parameters): what the two windows share.
fn picture_query(url: &UrlState) -> String {
    let mut url = url.clone();
    url.display = Default::default();
    format_query(&url)
}

fn open_speaker(state: &AppState) {
    let mut url = state.url_state();
    url.display.present = false;
    url.display.speaker = true;
    let query = format_query(&url);
    if let Some(window) = web_sys::window() {
        let path = window.location().pathname().unwrap_or_default();
        let _ = window.open_with_url_and_target_and_features(
            &format!("{path}?{query}"),
            "hmmviz-speaker",
            "width=960,height=640",
        );
    }
}

/// The presenter's keys, in the audience and the speaker window. (The app's own key map stands aside for
/// the keys handled here: `crate::app` asks [`present_key`].)
#[hook]
pub fn use_present_keys(state: &AppState, dispatcher: UseReducerDispatcher<AppState>) {
    let latest = use_mut_ref(|| state.clone());
    *latest.borrow_mut() = state.clone();
    let on = state.display.present || state.display.speaker;
    use_effect_with(on, move |&on| {
        let listener = web_sys::window().filter(|_| on).map(|window| {
            let options = EventListenerOptions::enable_prevent_default();
            EventListener::new_with_options(&window, "keydown", options, move |event| {
                let Some(e) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                    return;
                };
                if let Some(key) = present_key(e) {
                    e.prevent_default();
                    match key {
                        PresentKey::Act(action) => dispatcher.dispatch(action),
                        PresentKey::Fullscreen => toggle_fullscreen(),
                        PresentKey::OpenSpeaker => {
                            let state = latest.borrow();
                            if !state.display.speaker {
                                open_speaker(&state);
                            }
                        }
                    }
                }
            })
        });
        move || drop(listener)
    });
}

/// Keep the audience and speaker windows on the same picture: each posts its picture when it changes, and
/// takes the other's when it differs from its own (taking it posts the same picture back, which the first
/// then ignores).
#[hook]
pub fn use_present_sync(state: &AppState, dispatcher: UseReducerDispatcher<AppState>) {
    let on = state.display.present || state.display.speaker;
    let query = picture_query(&state.url_state());
    let latest = use_mut_ref(String::new);
    *latest.borrow_mut() = query.clone();
    let channel = use_memo(on, |&on| {
        on.then(|| web_sys::BroadcastChannel::new(CHANNEL).ok())
            .flatten()
    });
    {
        let channel = channel.clone();
        let display = state.display.clone();
        use_effect_with(on, move |_| {
            let listener = (*channel).as_ref().map(|channel| {
                let latest = latest.clone();
                EventListener::new(channel, "message", move |event| {
                    let Some(e) = event.dyn_ref::<web_sys::MessageEvent>() else {
                        return;
                    };
                    let Some(query) = e.data().as_string() else {
                        return;
                    };
                    // A lesson page's beat (`use_lesson_present`) is no picture of this page.
                    if crate::lesson::route::parse(&query).is_some() {
                        return;
                    }
                    if query != *latest.borrow() {
                        let mut url = parse_query(&query).0;
                        url.display = display.clone();
                        dispatcher.dispatch(Action::Restore(url));
                    }
                })
            });
            move || drop(listener)
        });
    }
    use_effect_with(query, move |query| {
        if let Some(channel) = &*channel {
            let _ = channel.post_message(&query.as_str().into());
        }
    });
}

/// The audience window's page: the narration, large, over the chosen lanes.
pub fn present_top(state: &AppState) -> Html {
    let Some(comparison) = &state.comparison else {
        return html! {};
    };
    let reference = comparison.lane_index(state.lane);
    let step = comparison.lane_step(reference, state.align, state.lane, state.step);
    let narration = narration_picture(&comparison.lanes[reference], step);
    html! { <Narration picture={narration} playing={state.playing} /> }
}

/// The screen a blanked presentation shows.
pub fn blank() -> Html {
    html! { <div id="blank" class="blank" aria-label="The screen is blanked: press B to show it"></div> }
}

/// The speaker window: where the talk is, what the next step and milestone are, and the followed lane.
pub fn speaker_body(state: &AppState, on: &Callback<Action>) -> Html {
    let Some(comparison) = &state.comparison else {
        return html! { <p class="placeholder">{ "Computing…" }</p> };
    };
    let reference = comparison.lane_index(state.lane);
    let steps = comparison.lane_steps(state.align, state.lane, state.step);
    let prevs = comparison.lane_steps(state.align, state.lane, state.prev_step);
    let lane = &comparison.lanes[reference];
    let now = narration_picture(lane, steps[reference]);
    let len = state.transport_len();
    let next = (state.step < len).then(|| {
        let s = comparison.lane_step(reference, state.align, state.lane, state.step + 1);
        narration_picture(lane, s)
    });
    let next_milestone = comparison
        .transport_milestones(state.align, state.lane)
        .into_iter()
        .find(|&(at, _)| at > state.step);
    let picture = compare_pictures(comparison, reference, &steps, &prevs)
        .into_iter()
        .nth(reference);
    html! {
        <>
            <header class="speaker-head">
                <h1>{ "Speaker notes" }</h1>
                <span id="speaker-step" class="step-label">{ format!("step {} / {}", state.step, len) }</span>
                <span class="muted">{ format!("{} lane, scenario {}", crate::components::lane_name(state.lane), comparison.pages_text) }</span>
            </header>
            <section class="speaker-now" aria-label="Now">
                <h2>{ "Now" }</h2>
                <p class="speaker-func">{ now.func.map(|f| f.name()).unwrap_or("(before the first step)") }</p>
                <p id="speaker-line" class="speaker-line">{ &now.line }</p>
                if let Some(f) = now.func {
                    <p class="muted">{ f.what() }</p>
                }
            </section>
            <section class="speaker-next" aria-label="Next">
                <h2>{ "Next" }</h2>
                if let Some(n) = next {
                    <p id="speaker-next-line">{ "next step: " }{ n.line }</p>
                } else {
                    <p>{ "The end of the trace." }</p>
                }
                if let Some((at, m)) = next_milestone {
                    <p id="speaker-next-milestone">{ format!("next milestone (PageDown): {} at step {at}", m.name()) }</p>
                }
            </section>
            if let Some(picture) = picture {
                <LanePanel {picture} reference={true} on={on.clone()} />
            }
            <table class="speaker-keys">
                <tbody>
                    { for KEYS.iter().map(|(k, what)| html! { <tr><th scope="row"><kbd>{ *k }</kbd></th><td>{ *what }</td></tr> }) }
                </tbody>
            </table>
            <p class="muted">{ "This window and the audience window follow each other: a key pressed in either moves both." }</p>
        </>
    }
}

/// What a presenter's key does on a lesson page, where a click is one beat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LessonKey {
    /// Move by this many beats.
    Beat(i64),
    Blank,
    Fullscreen,
    OpenSpeaker,
}

/// The lesson meaning of a presenter's key ([`present_key`]'s map: a milestone or a step is a beat here).
pub fn lesson_key(key: PresentKey) -> Option<LessonKey> {
    Some(match key {
        PresentKey::Act(Action::NextMilestone) => LessonKey::Beat(1),
        PresentKey::Act(Action::PrevMilestone) => LessonKey::Beat(-1),
        PresentKey::Act(Action::StepBy(n)) => LessonKey::Beat(n.signum()),
        PresentKey::Act(Action::ToggleBlank) => LessonKey::Blank,
        PresentKey::Act(_) => return None,
        PresentKey::Fullscreen => LessonKey::Fullscreen,
        PresentKey::OpenSpeaker => LessonKey::OpenSpeaker,
    })
}

/// A lesson page presented (`present=1`) or its speaker window (`speaker=1`): the clicker keys move beat by
/// beat (`go` hears the lesson and the beat asked for; `blank` the blank key), and the two windows follow
/// each other over the same channel as the compare page's, each posting `lesson=ID&beat=N` when its beat
/// changes and taking the other's when it differs from its own.
#[hook]
pub fn use_lesson_present(
    display: &crate::embed::Display,
    at: Option<(String, usize)>,
    go: Callback<(String, usize)>,
    blank: Callback<()>,
) {
    use crate::lesson::route::{self, Route};
    let on = display.present || display.speaker;
    let speaker = display.speaker;
    let latest = use_mut_ref(|| (at.clone(), go.clone(), blank.clone()));
    *latest.borrow_mut() = (at.clone(), go, blank);
    let query = at.as_ref().map(|(id, beat)| {
        route::format(
            "",
            &Route::Lesson {
                id: id.clone(),
                beat: *beat,
            },
        )
    });
    {
        let latest = latest.clone();
        let display = display.clone();
        use_effect_with(on, move |&on| {
            let listener = web_sys::window().filter(|_| on).map(|window| {
                let options = EventListenerOptions::enable_prevent_default();
                EventListener::new_with_options(&window, "keydown", options, move |event| {
                    let Some(e) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                        return;
                    };
                    let Some(key) = present_key(e).and_then(lesson_key) else {
                        return;
                    };
                    e.prevent_default();
                    let (at, go, blank) = latest.borrow().clone();
                    match (key, at) {
                        (LessonKey::Beat(by), Some((id, beat))) => {
                            go.emit((id, beat.saturating_add_signed(by as isize)))
                        }
                        (LessonKey::Blank, _) => blank.emit(()),
                        (LessonKey::Fullscreen, _) => toggle_fullscreen(),
                        (LessonKey::OpenSpeaker, Some((id, beat))) if !speaker => {
                            let mut d = display.clone();
                            d.present = false;
                            d.speaker = true;
                            let query = format!(
                                "{}{}",
                                route::format("", &Route::Lesson { id, beat }),
                                d.format_suffix()
                            );
                            if let Some(window) = web_sys::window() {
                                let path = window.location().pathname().unwrap_or_default();
                                let _ = window.open_with_url_and_target_and_features(
                                    &format!("{path}?{query}"),
                                    "hmmviz-speaker",
                                    "width=960,height=640",
                                );
                            }
                        }
                        _ => {}
                    }
                })
            });
            move || drop(listener)
        });
    }
    let channel = use_memo(on, |&on| {
        on.then(|| web_sys::BroadcastChannel::new(CHANNEL).ok())
            .flatten()
    });
    {
        let channel = channel.clone();
        use_effect_with(on, move |_| {
            let listener = (*channel).as_ref().map(|channel| {
                EventListener::new(channel, "message", move |event| {
                    let Some(text) = event
                        .dyn_ref::<web_sys::MessageEvent>()
                        .and_then(|e| e.data().as_string())
                    else {
                        return;
                    };
                    let Some((Route::Lesson { id, beat }, _)) = route::parse(&text) else {
                        return;
                    };
                    let (at, go, _) = latest.borrow().clone();
                    if at.as_ref() != Some(&(id.clone(), beat)) {
                        go.emit((id, beat));
                    }
                })
            });
            move || drop(listener)
        });
    }
    use_effect_with(query, move |query| {
        if let (Some(channel), Some(query)) = (&*channel, query) {
            let _ = channel.post_message(&query.as_str().into());
        }
    });
}
