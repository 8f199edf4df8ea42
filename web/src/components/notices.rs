//! Messages about input the app could not use as given (URL parameters, a scenario in a link): shown, each
//! dismissable, never a blank page.

use yew::prelude::*;

use crate::state::Action;
use crate::url::Notice;

#[derive(Properties, PartialEq)]
pub struct NoticesProps {
    pub notices: Vec<Notice>,
    pub on: Callback<Action>,
}

#[component]
pub fn Notices(props: &NoticesProps) -> Html {
    if props.notices.is_empty() {
        return html! {};
    }
    html! {
        <div id="notices" class="notices" role="status">
            { for props.notices.iter().enumerate().map(|(i, n)| html! {
                <p key={format!("{i}-{}", n.0)} class="notice">
                    <span>{ &n.0 }</span>
                    <button type="button" class="link" aria-label="Dismiss this message"
                        onclick={props.on.reform(move |_: MouseEvent| Action::DismissNotice(i))}>{ "×" }</button>
                </p>
            }) }
        </div>
    }
}
