//! The page's root: the lesson pages when the address asks for them (`?lessons`, `?lesson=ID`), the compare
//! app otherwise. Decided once per page load: the two link to each other with plain links.

use yew::prelude::*;

use crate::lesson::{wants_lessons, LessonApp};
use crate::App;

#[component]
pub fn Root() -> Html {
    let lessons = use_memo((), |_| {
        let search = web_sys::window()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        wants_lessons(&search)
    });
    if *lessons {
        html! { <LessonApp /> }
    } else {
        html! { <App /> }
    }
}
