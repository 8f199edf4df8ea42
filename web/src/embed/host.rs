//! The browser side of the protocol: the `message` listener (who may send, what it becomes), replies, and the
//! events the frame posts to its host page. Active whenever the app runs inside a frame, embed mode or not.
//!
//! Origin check: a command is taken only from the frame's parent window (`event.source === window.parent`),
//! and, when the URL names an `origin`, only from that origin; anything else is dropped unanswered (an answer
//! would tell a stranger the frame is there). Events go to the parent only, to the named origin if there is
//! one.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::events::EventListener;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

use super::commands::{actions, lesson_plan, milestones_passed, position, LessonPlan, Plan};
use super::protocol::{
    command_name, event_lesson_beat, event_lesson_ready, event_milestone, event_ready,
    event_step_changed, parse_request, reply_error, reply_ok, LessonPosition, ProtocolError,
    Request,
};
use super::{Display, Origin};
use crate::lesson::bundle;
use crate::lesson::route::{self, Route};
use crate::state::AppState;
use crate::url::{format_query, UrlState};

/// The most `milestone` events one move posts (the last ones): a seek across a page-by-page migration
/// passes one per page.
pub const MAX_MILESTONE_EVENTS: usize = 16;

/// The parent window, if this page runs in a frame.
fn parent() -> Option<web_sys::Window> {
    let window = web_sys::window()?;
    let parent = window.parent().ok()??;
    (!js_sys::Object::is(&parent, &window)).then_some(parent)
}

/// Is the app inside a frame (an iframe of a docs page or a deck)?
pub fn in_frame() -> bool {
    parent().is_some()
}

/// Post one of the protocol's JSON messages to `target` as a plain object.
fn post(target: &web_sys::Window, text: &str, target_origin: &str) {
    if let Ok(value) = js_sys::JSON::parse(text) {
        // A closed or navigated-away host is not an error of ours.
        let _ = target.post_message(&value, target_origin);
    }
}

fn post_to_parent(origin: &Origin, text: &str) {
    if let Some(parent) = parent() {
        post(&parent, text, origin.target());
    }
}

/// The JSON text of a message's data: a JSON string is taken as written; any other value is serialised.
/// `None` when it has no JSON form (undefined, a BigInt, a cycle…).
fn data_text(data: &JsValue) -> Option<String> {
    if let Some(s) = data.as_string() {
        return Some(s);
    }
    let text: JsValue = js_sys::JSON::stringify(data).ok()?.into();
    text.as_string()
}

/// Commands from the host page: parsed, checked, turned into actions, answered.
#[hook]
pub fn use_host_commands(state: &AppState, dispatcher: UseReducerDispatcher<AppState>) {
    // The listener lives as long as the app; it reads the state of the latest render.
    let latest = use_mut_ref(|| state.clone());
    *latest.borrow_mut() = state.clone();
    let origin = state.display.origin.clone();
    use_effect_with(origin, move |origin| {
        let origin = origin.clone();
        let listener = web_sys::window().filter(|_| in_frame()).map(|window| {
            EventListener::new(&window, "message", move |event| {
                if let Some(e) = event.dyn_ref::<web_sys::MessageEvent>() {
                    on_message(e, &origin, &latest, &dispatcher);
                }
            })
        });
        move || drop(listener)
    });
}

/// Where to answer one sender: the parent, at the sender's origin.
struct Replier {
    parent: web_sys::Window,
    to: String,
}

impl Replier {
    fn send(&self, text: &str) {
        post(&self.parent, text, &self.to);
    }
}

/// A message from the host page, checked: None when it is dropped (not from the parent window, or from an
/// origin the URL does not allow) or was malformed (then already answered with the error).
fn receive(e: &web_sys::MessageEvent, origin: &Origin) -> Option<(Request, Replier)> {
    let parent = parent()?;
    let from_parent = e
        .source()
        .is_some_and(|source| js_sys::Object::is(&source, &parent));
    let sender = e.origin();
    if !from_parent || !origin.allows(&sender) {
        return None;
    }
    // Reply to the sender's origin; an opaque origin ("null", a sandboxed host) can only be answered with "*".
    let to = if sender == "null" {
        "*".to_owned()
    } else {
        sender
    };
    let replier = Replier { parent, to };
    let Some(text) = data_text(&e.data()) else {
        let error = ProtocolError {
            code: "not-json",
            message: "the message has no JSON form (undefined, a function, a BigInt, a cycle…)"
                .into(),
        };
        replier.send(&reply_error(&Value::Null, &error));
        return None;
    };
    match parse_request(&text) {
        Ok(request) => Some((request, replier)),
        Err((id, error)) => {
            replier.send(&reply_error(&id, &error));
            None
        }
    }
}

/// Is `id` a lesson this app can open? (The ids listed when the app was built: the compare page has neither
/// the lesson texts nor the lesson engine.)
fn known_lesson(id: &str) -> bool {
    bundle::is_known(id)
}

/// Go to another page of the app in this frame (compare page ⇄ lesson page): the new page announces itself
/// with `ready`.
fn navigate(query: &str) {
    if let Some(window) = web_sys::window() {
        let path = window.location().pathname().unwrap_or_default();
        let _ = window.location().set_href(&format!("{path}?{query}"));
    }
}

/// The lesson page's address for lesson `id`, keeping the frame's layout parameters.
pub fn lesson_query(id: &str, display: &Display) -> String {
    format!(
        "{}{}",
        route::format(
            "",
            &Route::Lesson {
                id: id.to_owned(),
                beat: 0
            }
        ),
        display.format_suffix()
    )
}

fn on_message(
    e: &web_sys::MessageEvent,
    origin: &Origin,
    latest: &Rc<RefCell<AppState>>,
    dispatcher: &UseReducerDispatcher<AppState>,
) {
    let Some((request, replier)) = receive(e, origin) else {
        return;
    };
    answer(request, replier, latest, dispatcher);
}

/// Carry out one command on the compare page and reply.
fn answer(
    request: Request,
    replier: Replier,
    latest: &Rc<RefCell<AppState>>,
    dispatcher: &UseReducerDispatcher<AppState>,
) {
    let name = command_name(&request.command);
    let planned = actions(&latest.borrow(), request.command, &known_lesson);
    match planned {
        Ok(Plan::Act(list)) => {
            for action in list {
                dispatcher.dispatch(action);
            }
            replier.send(&reply_ok(&request.id, name));
        }
        Ok(Plan::OpenLesson(id)) => {
            replier.send(&reply_ok(&request.id, name));
            navigate(&lesson_query(&id, &latest.borrow().display));
        }
        Err(error) => replier.send(&reply_error(&request.id, &error)),
    }
}

/// Commands from the host page to a lesson page at `at` (None while the lesson runs): `on_plan` carries out
/// a move to a beat or another lesson; a scenario leaves for the compare page.
#[hook]
pub fn use_lesson_host_commands(
    at: Option<LessonPosition>,
    display: Display,
    on_plan: Callback<LessonPlan>,
) {
    let latest = use_mut_ref(|| at.clone());
    *latest.borrow_mut() = at;
    use_effect_with(display, move |display| {
        let display = display.clone();
        let listener = web_sys::window().filter(|_| in_frame()).map(|window| {
            EventListener::new(&window, "message", move |event| {
                let Some(e) = event.dyn_ref::<web_sys::MessageEvent>() else {
                    return;
                };
                let Some((request, replier)) = receive(e, &display.origin) else {
                    return;
                };
                let name = command_name(&request.command);
                let planned = lesson_plan(latest.borrow().as_ref(), request.command, &known_lesson);
                match planned {
                    Ok(LessonPlan::Compare(pages)) => {
                        replier.send(&reply_ok(&request.id, name));
                        navigate(&format_query(&UrlState {
                            pages,
                            display: display.clone(),
                            ..UrlState::default()
                        }));
                    }
                    Ok(plan) => {
                        replier.send(&reply_ok(&request.id, name));
                        on_plan.emit(plan);
                    }
                    Err(error) => replier.send(&reply_error(&request.id, &error)),
                }
            })
        });
        move || drop(listener)
    });
}

/// Events from a lesson page: `ready` once it shows something (the list, or a lesson that has run), then
/// `lesson-beat` whenever the beat or the lesson changes.
#[hook]
pub fn use_lesson_host_events(at: Option<LessonPosition>, origin: Origin, notices: Vec<String>) {
    let ready_sent = use_mut_ref(|| false);
    use_effect_with(at, move |at| {
        if let Some(p) = at {
            if in_frame() {
                if !*ready_sent.borrow() {
                    *ready_sent.borrow_mut() = true;
                    post_to_parent(&origin, &event_lesson_ready(p, &notices));
                } else {
                    post_to_parent(&origin, &event_lesson_beat(p));
                }
            }
        }
    });
}

/// Events to the host page: `ready` once the first scenario has run, `step-changed` whenever the position
/// changes, `milestone` for each milestone the followed lane passes moving forward.
#[hook]
pub fn use_host_events(state: &AppState) {
    let ready_sent = use_mut_ref(|| false);
    let last_step = use_mut_ref(|| None::<(String, usize)>);
    let pos = position(state);
    let origin = state.display.origin.clone();
    let notices: Vec<String> = state.notices.iter().map(|n| n.0.clone()).collect();
    let passed = match (&pos, &*last_step.borrow()) {
        (Some(p), Some((pages, from))) if *pages == p.pages => {
            milestones_passed(state, *from, p.step, MAX_MILESTONE_EVENTS)
        }
        _ => Vec::new(),
    };
    let lane = state.lane;
    use_effect_with(pos, move |pos| {
        if let Some(p) = pos {
            if !in_frame() {
                return;
            }
            if !*ready_sent.borrow() {
                *ready_sent.borrow_mut() = true;
                post_to_parent(&origin, &event_ready(p, &notices));
            } else {
                for (at, m) in passed {
                    post_to_parent(&origin, &event_milestone(m, at, lane));
                }
                post_to_parent(&origin, &event_step_changed(p));
            }
            *last_step.borrow_mut() = Some((p.pages.clone(), p.step));
        }
    });
}

/// In a frame, Escape hands the keyboard back to the host page (a deck's arrow keys work again).
pub fn release_focus() {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Some(active) = window
        .document()
        .and_then(|d| d.active_element())
        .and_then(|a| a.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = active.blur();
    }
    if let Some(parent) = parent() {
        let _ = parent.focus();
    }
}
