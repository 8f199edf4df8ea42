//! The key map (`?`). Every key has a button or control that does the same by mouse.

use yew::prelude::*;

use crate::state::Action;

pub const KEYS: [(&str, &str); 12] = [
    ("Space", "play / pause"),
    ("← / →", "one step back / forward"),
    ("Shift + ← / →", "previous / next milestone"),
    ("Home / End", "first / last step"),
    ("[ / ]", "previous / next event of the chosen kind"),
    ("− / +", "slower / faster"),
    ("v", "switch between compare and deep view"),
    ("1 / 2 / 3", "legacy A / legacy B / unified"),
    ("t", "theme: system, dark, light"),
    ("?", "show or hide this key map"),
    ("Esc", "close this key map"),
    ("Tab", "move between controls (focus is always visible)"),
];

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub on: Callback<Action>,
}

#[component]
pub fn Help(props: &HelpProps) -> Html {
    let close = use_node_ref();
    {
        let close = close.clone();
        use_effect_with((), move |_| {
            if let Some(button) = close.cast::<web_sys::HtmlElement>() {
                let _ = button.focus();
            }
        });
    }
    // aria-modal: Tab must not leave the dialog. Its only focusable control is Close, so Tab stays there.
    let trap_tab = {
        let close = close.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Tab" {
                e.prevent_default();
                if let Some(button) = close.cast::<web_sys::HtmlElement>() {
                    let _ = button.focus();
                }
            }
        })
    };
    html! {
        <div class="help-backdrop" onclick={props.on.reform(|_: MouseEvent| Action::CloseHelp)}>
            <div id="help" class="help" role="dialog" aria-modal="true" aria-labelledby="help-title"
                onkeydown={trap_tab}
                onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <h2 id="help-title">{ "Keyboard" }</h2>
                <table>
                    <tbody>
                        { for KEYS.iter().map(|(k, what)| html! {
                            <tr><th scope="row"><kbd>{ *k }</kbd></th><td>{ *what }</td></tr>
                        }) }
                    </tbody>
                </table>
                <p>{ "Every control also works with the mouse. The URL always holds the scenario, view, lane and step: copy it to share this exact picture." }</p>
                <button ref={close} id="help-close" type="button" onclick={props.on.reform(|_: MouseEvent| Action::CloseHelp)}>{ "Close" }</button>
            </div>
        </div>
    }
}
