//! The root component: owns the state string the user is editing and asks `hmm-sim` to parse it.

use std::rc::Rc;

use hmm_sim::scenario::{parse_states, PageState, ScenarioError};
use yew::prelude::*;

use crate::components::{PageList, ScenarioInput};

/// What the app shows when it opens: one page of each common kind, so the page list is never empty.
const INITIAL_STATES: &str = "PPNSZ";

#[component]
pub fn App() -> Html {
    let states = use_state(|| INITIAL_STATES.to_owned());
    // Parse only when the string changes, not on every render; the result is shared by `Rc`.
    let parsed: Rc<Result<Rc<[PageState]>, ScenarioError>> = {
        let text = (*states).clone();
        use_memo(text, |text| parse_states(text).map(Rc::from))
    };
    let on_change = {
        let states = states.clone();
        Callback::from(move |text: String| states.set(text))
    };

    html! {
        <main class="app">
            <header>
                <h1>{ "hmmviz" }</h1>
                <p class="tagline">
                    { "Linux HMM and device-private page migration, step by step. " }
                    { "Describe a range of pages with one letter per page." }
                </p>
            </header>
            <ScenarioInput value={(*states).clone()} {on_change} />
            {
                match &*parsed {
                    Ok(pages) => html! { <PageList pages={pages.clone()} /> },
                    Err(error) => html! {
                        <p id="scenario-error" class="error" role="alert">{ error.to_string() }</p>
                    },
                }
            }
        </main>
    }
}
