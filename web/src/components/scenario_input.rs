//! The scenario: a state string (one letter per page, `X*n` repeats a letter) validated by hmm-sim as it is
//! typed, and preset buttons for the seed threads' cases.

use hmm_sim::PageState;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::scenario::PRESETS;

/// A two-word label per letter for the help line; the full description (hmm-sim's) is the tooltip.
fn short(state: PageState) -> &'static str {
    match state {
        PageState::Present => "present",
        PageState::CowShared => "COW-shared",
        PageState::Zero => "zero page",
        PageState::None => "pte_none",
        PageState::Swapped => "swapped",
        PageState::DevicePrivate => "on our device",
        PageState::OtherDevice => "on another device",
        PageState::DeviceCoherent => "device-coherent",
        PageState::Huge => "2 MiB THP (runs of 512)",
    }
}

#[derive(Properties, PartialEq)]
pub struct ScenarioInputProps {
    pub value: AttrValue,
    pub error: Option<AttrValue>,
    pub on_change: Callback<String>,
}

#[component]
pub fn ScenarioInput(props: &ScenarioInputProps) -> Html {
    let oninput = props
        .on_change
        .reform(|event: InputEvent| event.target_unchecked_into::<HtmlInputElement>().value());
    html! {
        <section class="scenario-input" aria-label="Scenario">
            <div class="scenario-row">
                <label for="states">{ "Pages" }</label>
                <input id="states" type="text" spellcheck="false" autocomplete="off"
                    aria-describedby="states-help"
                    aria-invalid={props.error.is_some().to_string()}
                    value={props.value.clone()} {oninput} />
                <div class="presets" role="group" aria-label="Presets">
                    { for PRESETS.iter().map(|p| {
                        let pages = p.pages;
                        let onclick = props.on_change.reform(move |_: MouseEvent| pages.to_owned());
                        html! {
                            <button id={format!("preset-{}", p.id)} type="button" title={format!("{} — {}", p.pages, p.why)} {onclick}>
                                { p.label }
                            </button>
                        }
                    }) }
                </div>
            </div>
            <p id="states-help" class="states-help">
                { "One letter per page, X*n repeats: " }
                { for PageState::ALL.iter().map(|s| html! {
                    <span class="letter-help" title={s.describe()}><b>{ s.letter() }</b>{ " " }{ short(*s) }</span>
                }) }
            </p>
            if let Some(error) = &props.error {
                <p id="scenario-error" class="error" role="alert">{ error.clone() }</p>
            }
        </section>
    }
}
