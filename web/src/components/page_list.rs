//! One row per page: its state letter and hmm-sim's description of that state.

use std::rc::Rc;

use hmm_sim::scenario::PageState;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PageListProps {
    pub pages: Rc<[PageState]>,
}

#[component]
pub fn PageList(props: &PageListProps) -> Html {
    html! {
        <section class="pages">
            <h2>{ format!("{} pages", props.pages.len()) }</h2>
            <ol id="pages">
                // Keyed by index: a page's position is its identity in the range.
                { for props.pages.iter().enumerate().map(|(index, page)| html! {
                    <li key={index} class={classes!("page", format!("page-{}", page.letter()))}>
                        <span class="letter">{ page.letter() }</span>
                        <span class="describe">{ page.describe() }</span>
                    </li>
                }) }
            </ol>
        </section>
    }
}
