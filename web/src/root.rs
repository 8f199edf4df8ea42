//! The page's root: the glossary (`?glossary`), the race lab (`?race=…`) or the lesson pages (`?lessons`, `?lesson=ID`) when the address
//! asks for them, the compare app otherwise. Decided once per page load: the two link to each other with plain links.

use yew::prelude::*;

use crate::glossary::GlossaryPage;
use crate::lesson::{wants_lessons, LessonApp};
use crate::race::{wants_race, RaceLab};
use crate::App;

#[component]
pub fn Root() -> Html {
    let page = use_memo((), |_| {
        let search = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        let glossary = search
            .trim_start_matches('?')
            .split('&')
            .any(|p| p == "glossary");
        (glossary, wants_race(&search), wants_lessons(&search))
    });
    match *page {
        (true, _, _) => html! { <GlossaryPage /> },
        (_, true, _) => html! { <RaceLab /> },
        (_, _, true) => html! { <LessonApp /> },
        _ => html! { <App /> },
    }
}
