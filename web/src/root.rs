//! The page's roots. Which page a load shows is decided once, from the address (`page`): the glossary
//! (`?glossary`) and the compare app are this module's `Root`, in the app's own wasm module; the race lab
//! (`?race=…`) and the lesson pages (`?lessons`, `?lesson=ID`) are `PagesRoot`, in a second wasm module
//! (`src/bin/pages.rs`, `pages_module`) that only those pages download: the lesson engine and its TOML parser
//! are about a fifth of the code, and the compare view never runs them (issue 11's bundle budget). The pages
//! link to each other with plain links, so each load starts the module it needs.
//!
//! The lesson pages and the race lab read the lesson files, which are data beside the app: they render once
//! `lesson::bundle::load` has fetched them.

use yew::prelude::*;

use crate::glossary::GlossaryPage;
use crate::lesson::{bundle, wants_lessons, LessonApp};
use crate::race::{wants_race, RaceLab};
use crate::App;

/// The pages a load can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Compare,
    Glossary,
    Race,
    Lessons,
}

impl Page {
    /// The page a query string asks for (the glossary first, then a race, then the lesson pages).
    pub fn of(search: &str) -> Page {
        let glossary = search
            .trim_start_matches('?')
            .split('&')
            .any(|p| p == "glossary");
        if glossary {
            Page::Glossary
        } else if wants_race(search) {
            Page::Race
        } else if wants_lessons(search) {
            Page::Lessons
        } else {
            Page::Compare
        }
    }

    /// The page this load shows.
    pub fn current() -> Page {
        let search = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        Page::of(&search)
    }

    /// Is it drawn by the pages module (`PagesRoot`) rather than the app's own (`Root`)?
    pub fn in_pages_module(self) -> bool {
        matches!(self, Page::Race | Page::Lessons)
    }
}

/// The app module's root: the glossary or the compare app.
#[component]
pub fn Root() -> Html {
    match Page::current() {
        Page::Glossary => html! { <GlossaryPage /> },
        _ => html! { <App /> },
    }
}

/// The pages module's root: the race lab or the lesson pages.
#[component]
pub fn PagesRoot() -> Html {
    match Page::current() {
        Page::Race => html! { <WithLessons><RaceLab /></WithLessons> },
        _ => html! { <WithLessons><LessonApp /></WithLessons> },
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

#[cfg(test)]
mod tests {
    use super::Page;

    #[test]
    fn each_address_picks_one_page() {
        assert_eq!(Page::of(""), Page::Compare);
        assert_eq!(Page::of("?pages=PPNS&step=3"), Page::Compare);
        assert_eq!(Page::of("?glossary"), Page::Glossary);
        assert_eq!(Page::of("?glossary&race=seed-004"), Page::Glossary);
        assert_eq!(Page::of("?race=seed-004"), Page::Race);
        assert_eq!(Page::of("?lessons"), Page::Lessons);
        assert_eq!(Page::of("?lesson=intro&beat=2"), Page::Lessons);
        assert!(Page::Race.in_pages_module() && Page::Lessons.in_pages_module());
        assert!(!Page::Compare.in_pages_module() && !Page::Glossary.in_pages_module());
    }
}
