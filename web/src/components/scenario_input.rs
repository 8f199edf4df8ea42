//! The state-string editor: a text field plus preset buttons for the cases the seed threads discuss.

use web_sys::HtmlInputElement;
use yew::prelude::*;

/// (button label, state string): each preset is a scenario the compare view will later animate.
const PRESETS: [(&str, &str); 3] = [
    ("All present", "PPPPPPPP"),
    ("Needs faulting", "PNNSZPNS"),
    ("Already on device", "DDODPPDD"),
];

#[derive(Properties, PartialEq)]
pub struct ScenarioInputProps {
    pub value: AttrValue,
    pub on_change: Callback<String>,
}

#[component]
pub fn ScenarioInput(props: &ScenarioInputProps) -> Html {
    let oninput = props
        .on_change
        .reform(|event: InputEvent| event.target_unchecked_into::<HtmlInputElement>().value());

    html! {
        <section class="scenario-input">
            <label for="states">{ "Page states" }</label>
            <input
                id="states"
                type="text"
                spellcheck="false"
                autocomplete="off"
                value={props.value.clone()}
                {oninput}
            />
            <div class="presets">
                { for PRESETS.iter().enumerate().map(|(index, &(label, states))| {
                    let onclick = props.on_change.reform(move |_| states.to_owned());
                    html! {
                        <button id={format!("preset-{index}")} type="button" title={states} {onclick}>
                            { label }
                        </button>
                    }
                }) }
            </div>
        </section>
    }
}
