//! The page's root: the glossary (`?glossary`), the race lab (`?race=…`) or the lesson pages (`?lessons`, `?lesson=ID`) when the address
//! asks for them, the compare app otherwise. Decided once per page load: the two link to each other with plain links.
//! The lesson pages and the race lab read the lesson files, which are data beside the app: they render once
//! `lesson::bundle::load` has fetched them.

use yew::prelude::*;

use crate::glossary::GlossaryPage;
use crate::lesson::{bundle, wants_lessons, LessonApp};
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
        (_, true, _) => html! { <WithLessons><RaceLab /></WithLessons> },
        (_, _, true) => html! { <WithLessons><LessonApp /></WithLessons> },
        _ => html! { <App /> },
    }
}

#[derive(Properties, PartialEq)]
struct WithLessonsProps {
    children: Html,
}

/// Its children once the lesson files are loaded; "Loading…" until then, and what went wrong if they cannot be.
#[component]
fn WithLessons(props: &WithLessonsProps) -> Html {
    // None while loading, then the outcome.
    let loaded = use_state(|| None::<Result<(), String>>);
    {
        let loaded = loaded.clone();
        use_effect_with((), move |_| {
            bundle::load(move |outcome| loaded.set(Some(outcome)));
        });
    }
    match &*loaded {
        None => html! { <p id="computing" class="placeholder">{ "Loading the lessons…" }</p> },
        Some(Ok(())) => props.children.clone(),
        Some(Err(why)) => html! {
            <p id="lessons-failed" class="notice error" role="alert">{ why.clone() }</p>
        },
    }
}
