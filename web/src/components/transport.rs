//! The shared transport: play/pause, step ±1, milestone jumps, jump to the next event of a kind, the scrubber
//! with milestone marks, speed, and which lane the transport follows. Every control is a real button, select
//! or range input, so it works by mouse and keyboard and shows focus.

use std::rc::Rc;

use hmm_sim::Milestone;
use hmm_sim::Strategy;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::lane_name;
use crate::jump::JumpKind;
use crate::state::Action;
use crate::url::{speed_label, Align, View, SPEEDS};

#[derive(Properties, PartialEq)]
pub struct TransportProps {
    pub step: usize,
    pub len: usize,
    pub playing: bool,
    pub speed_index: usize,
    pub jump_kind: JumpKind,
    pub align: Align,
    pub view: View,
    pub lane: Strategy,
    pub milestones: Rc<Vec<(usize, Milestone)>>,
    pub on: Callback<Action>,
}

#[component]
pub fn Transport(props: &TransportProps) -> Html {
    html! {
        <section class="transport" aria-label="Transport">
            { controls_row(props) }
            <div class="transport-row scrub-row">
                { scrubber(props) }
                { lane_pick(props) }
            </div>
        </section>
    }
}

/// Play, step and milestone buttons, the step label, speed, and jump-to-event.
fn controls_row(props: &TransportProps) -> Html {
    let on = &props.on;
    let button = |id: &'static str, label: &'static str, text: &'static str, action: Action| {
        let onclick = on.reform(move |_: MouseEvent| action.clone());
        html! {
            <button {id} type="button" class="tbtn" aria-label={label} title={label} {onclick}>
                { text }
            </button>
        }
    };
    let play_label = if props.playing {
        "Pause (Space)"
    } else {
        "Play (Space)"
    };
    let on_speed = on.reform(|e: Event| {
        let value = e.target_unchecked_into::<HtmlSelectElement>().value();
        Action::SetSpeed(value.parse().unwrap_or(2))
    });
    let on_kind = on.reform(|e: Event| {
        let value = e.target_unchecked_into::<HtmlSelectElement>().value();
        Action::SetJumpKind(JumpKind::parse(&value).unwrap_or(JumpKind::MigrationEntry))
    });
    html! {
        <div class="transport-row">
            { button("btn-home", "First step (Home)", "|◀", Action::Home) }
            { button("btn-prev-milestone", "Previous milestone (Shift+←)", "◀◀", Action::PrevMilestone) }
            { button("btn-back", "Step back (←)", "◀", Action::StepBy(-1)) }
            <button id="btn-play" type="button" class={classes!("tbtn", "play", props.playing.then_some("playing"))}
                aria-label={play_label} title={play_label} aria-pressed={props.playing.to_string()}
                onclick={on.reform(|_: MouseEvent| Action::TogglePlay)}>
                { if props.playing { "❚❚ Pause" } else { "▶ Play" } }
            </button>
            { button("btn-forward", "Step forward (→)", "▶", Action::StepBy(1)) }
            { button("btn-next-milestone", "Next milestone (Shift+→)", "▶▶", Action::NextMilestone) }
            { button("btn-end", "Last step (End)", "▶|", Action::End) }
            <output id="step-label" class="step-label" aria-live="off">
                { format!("step {} / {}", props.step, props.len) }
            </output>
            { step_field(props) }
            <label class="field">
                { "speed " }
                <select id="speed" onchange={on_speed} aria-label="Playback speed">
                    { for SPEEDS.iter().enumerate().map(|(i, _)| html! {
                        <option value={i.to_string()} selected={i == props.speed_index}>{ speed_label(i) }</option>
                    }) }
                </select>
            </label>
            <span class="jump">
                <label class="field">
                    { "jump to " }
                    <select id="jump-kind" onchange={on_kind} aria-label="Kind of event to jump to">
                        { for JumpKind::ALL.iter().map(|k| html! {
                            <option value={k.name()} selected={*k == props.jump_kind}>{ k.label() }</option>
                        }) }
                    </select>
                </label>
                { button("btn-jump-prev", "Previous event of this kind ([)", "◀ prev", Action::JumpPrev) }
                { button("btn-jump-next", "Next event of this kind (])", "next ▶", Action::JumpNext) }
            </span>
        </div>
    }
}

/// "Go to step": the transport seeks as a number is typed; past the end goes to the end (the reducer clamps a
/// seek). What is not a number (an emptied field) moves nothing.
fn step_field(props: &TransportProps) -> Html {
    let on = props.on.clone();
    let oninput = Callback::from(move |e: InputEvent| {
        let input = e.target_unchecked_into::<HtmlInputElement>();
        if let Ok(step) = input.value().trim().parse::<usize>() {
            on.emit(Action::Seek(step));
        }
    });
    html! {
        <label class="field step-field">
            { "go to step " }
            <input id="step-input" type="number" min="0" max={props.len.to_string()} inputmode="numeric"
                placeholder={props.step.to_string()} aria-label="Go to step number" {oninput} />
        </label>
    }
}

/// The range input and the milestone marks over it.
fn scrubber(props: &TransportProps) -> Html {
    let on = &props.on;
    let on_scrub = on.reform(|e: InputEvent| {
        let value = e.target_unchecked_into::<HtmlInputElement>().value();
        Action::Seek(value.parse().unwrap_or(0))
    });
    let len = props.len.max(1);
    let percent = |step: usize| step as f64 * 100.0 / len as f64;
    html! {
        <div class="scrubber">
            <input id="scrubber" type="range" min="0" max={props.len.to_string()}
                value={props.step.to_string()} oninput={on_scrub}
                aria-label="Position in the trace"
                aria-valuetext={format!("step {} of {}", props.step, props.len)} />
            <div class="marks" aria-label="Milestones">
                { for super::thin_marks(&props.milestones, props.len).into_iter().enumerate().map(|(i, (at, m))| {
                    let label = format!("{} (step {at})", m.name());
                    html! {
                        <button key={i} type="button" class={classes!("mark", (at <= props.step).then_some("passed"))}
                            style={format!("left: {:.3}%", percent(at))}
                            title={label.clone()} aria-label={format!("Go to milestone: {label}")}
                            onclick={on.reform(move |_: MouseEvent| Action::Seek(at))}>
                            <span class="mark-tick" aria-hidden="true"></span>
                        </button>
                    }
                }) }
            </div>
        </div>
    }
}

/// Which lane the transport follows (or the deep view shows), and how lanes align.
fn lane_pick(props: &TransportProps) -> Html {
    let on = &props.on;
    let on_align = on.reform(|e: Event| {
        let value = e.target_unchecked_into::<HtmlSelectElement>().value();
        Action::SetAlign(if value == "step" {
            Align::Step
        } else {
            Align::Milestone
        })
    });
    html! {
        <div class="lanes-pick" role="group" aria-label={ if props.view == View::Compare { "Lane the transport follows" } else { "Lane to look into" } }>
            <span class="pick-label">{ if props.view == View::Compare { "follow" } else { "lane" } }</span>
            { for Strategy::ALL.iter().map(|&s| {
                let selected = s == props.lane;
                html! {
                    <button type="button" id={format!("lane-pick-{}", s.name())}
                        class={classes!("lane-pick", format!("lane-{}", s.name()), selected.then_some("selected"))}
                        aria-pressed={selected.to_string()} title={s.title()}
                        onclick={on.reform(move |_: MouseEvent| Action::SetLane(s))}>
                        { lane_name(s) }
                    </button>
                }
            }) }
            if props.view == View::Compare {
                <label class="field">
                    { "align by " }
                    <select id="align" onchange={on_align} aria-label="How the lanes line up">
                        <option value="milestone" selected={props.align == Align::Milestone}>{ "milestone" }</option>
                        <option value="step" selected={props.align == Align::Step}>{ "raw step" }</option>
                    </select>
                </label>
            }
        </div>
    }
}
