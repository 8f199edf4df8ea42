//! The embedded frame's transport: one row (first step, previous/next milestone, step back/forward, play),
//! the step, a scrubber, and the link that opens the same picture in the full app.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct CompactTransportProps {
    pub step: usize,
    pub len: usize,
    pub playing: bool,
    /// Whether to draw the buttons and scrubber (`controls=compact`) or only the link (`controls=none`).
    pub controls: bool,
    /// The full app at this picture.
    pub open_href: AttrValue,
    pub on: Callback<Action>,
}

#[component]
pub fn CompactTransport(props: &CompactTransportProps) -> Html {
    let on = &props.on;
    let button = |id: &'static str, label: &'static str, text: &'static str, action: Action| {
        let onclick = on.reform(move |_: MouseEvent| action.clone());
        html! {
            <button {id} type="button" class="tbtn" aria-label={label} title={label} {onclick}>{ text }</button>
        }
    };
    let on_scrub = on.reform(|e: InputEvent| {
        let value = e.target_unchecked_into::<HtmlInputElement>().value();
        Action::Seek(value.parse().unwrap_or(0))
    });
    let play_label = if props.playing { "Pause" } else { "Play" };
    let open = html! {
        <a id="open-full" class="open-full" href={props.open_href.clone()} target="_blank" rel="noopener"
            title="Open this step in the full hmmviz app, in a new tab">{ "open in hmmviz ↗" }</a>
    };
    if !props.controls {
        return html! { <nav class="compact-transport bare" aria-label="hmmviz">{ open }</nav> };
    }
    html! {
        <nav class="compact-transport" aria-label="Transport">
            { button("btn-home", "First step", "|◀", Action::Home) }
            { button("btn-prev-milestone", "Previous milestone", "◀◀", Action::PrevMilestone) }
            { button("btn-back", "Step back", "◀", Action::StepBy(-1)) }
            <button id="btn-play" type="button" class={classes!("tbtn", "play", props.playing.then_some("playing"))}
                aria-label={play_label} title={play_label} aria-pressed={props.playing.to_string()}
                onclick={on.reform(|_: MouseEvent| Action::TogglePlay)}>
                { if props.playing { "❚❚" } else { "▶" } }
            </button>
            { button("btn-forward", "Step forward", "▶", Action::StepBy(1)) }
            { button("btn-next-milestone", "Next milestone", "▶▶", Action::NextMilestone) }
            <output id="step-label" class="step-label">{ format!("step {} / {}", props.step, props.len) }</output>
            <input id="scrubber" type="range" min="0" max={props.len.to_string()} value={props.step.to_string()}
                oninput={on_scrub} aria-label="Position in the trace"
                aria-valuetext={format!("step {} of {}", props.step, props.len)} />
            { open }
        </nav>
    }
}
