//! Sharing a picture: the address bar as a history of pictures (Back undoes a change of scenario or view, and
//! `popstate` brings back the picture the URL names), and the "copy link to this step" / "copy embed code"
//! buttons.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

use crate::state::{Action, AppState};
use crate::url::{format_query, parse_query, UrlState};

/// What makes a new history entry: a different scenario or view. Steps, lanes and speed only replace the
/// current entry (the Back button is not a step counter).
fn entry_key(url: &UrlState) -> (String, &'static str) {
    (url.pages.clone(), url.view.name())
}

/// The address bar's query now (with its `?`), to hand back to [`write_url`] later.
pub fn current_search() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// Put `query` in the address bar without a navigation: a new history entry when the scenario or the view
/// changed since the entry shown, else in place of it. `seen` is the address the change was made against
/// ([`current_search`] when the write was scheduled): if Back or Forward has moved the address since, the
/// write is stale and dropped (writing it would push the old picture over the entry the user went to, and
/// cut off Forward); the `popstate` it raised brings the state to that entry instead.
pub fn write_url(query: &str, seen: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let current = location.search().unwrap_or_default();
    if current != seen || current.strip_prefix('?') == Some(query) {
        return;
    }
    let push = entry_key(&parse_query(&current).0) != entry_key(&parse_query(query).0);
    let url = format!("{}?{query}", location.pathname().unwrap_or_default());
    if let Ok(history) = window.history() {
        let _ = if push {
            history.push_state_with_url(&JsValue::NULL, "", Some(&url))
        } else {
            history.replace_state_with_url(&JsValue::NULL, "", Some(&url))
        };
    }
}

/// Back and Forward: show the picture the URL now names.
#[hook]
pub fn use_popstate(dispatcher: UseReducerDispatcher<AppState>) {
    use_effect_with((), move |_| {
        let listener = web_sys::window().map(|window| {
            gloo::events::EventListener::new(&window, "popstate", move |_| {
                let search = web_sys::window()
                    .and_then(|w| w.location().search().ok())
                    .unwrap_or_default();
                dispatcher.dispatch(Action::Restore(parse_query(&search).0));
            })
        });
        move || drop(listener)
    });
}

/// This page's address with `query`, absolute (it is pasted elsewhere).
pub fn absolute_url(query: &str) -> String {
    let location = web_sys::window().map(|w| w.location());
    let base = location
        .map(|l| {
            format!(
                "{}{}",
                l.origin().unwrap_or_default(),
                l.pathname().unwrap_or_default()
            )
        })
        .unwrap_or_default();
    format!("{base}?{query}")
}

/// The link to the picture shown.
pub fn link_query(state: &AppState) -> String {
    format_query(&state.url_state())
}

/// The same picture as an embedded frame.
pub fn embed_query(state: &AppState) -> String {
    let mut url = state.url_state();
    url.display.embed = true;
    format_query(&url)
}

/// The `<iframe>` a page author pastes (docs/embedding.md explains the parameters).
pub fn embed_code(src: &str) -> String {
    format!(
        "<iframe src=\"{}\" title=\"hmmviz\" style=\"width: 100%; aspect-ratio: 16 / 9; border: 0\" \
         loading=\"lazy\"></iframe>",
        src.replace('&', "&amp;").replace('"', "&quot;")
    )
}

/// Put `text` on the clipboard; `done(true)` once it is there, `done(false)` if the browser refused (no
/// clipboard outside a secure context, or permission denied).
fn copy(text: &str, done: Callback<bool>) {
    let clipboard = web_sys::window()
        .map(|w| w.navigator())
        .and_then(|n| js_sys::Reflect::get(&n, &JsValue::from_str("clipboard")).ok())
        .filter(|c| !c.is_undefined() && !c.is_null())
        .map(|c| c.unchecked_into::<web_sys::Clipboard>());
    let Some(clipboard) = clipboard else {
        done.emit(false);
        return;
    };
    let ok = done.clone();
    let resolve = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| ok.emit(true));
    let reject = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| done.emit(false));
    let _ = clipboard.write_text(text).then2(&resolve, &reject);
    // The promise calls them later: they must outlive this function. Two small closures per click stay
    // allocated, a price for not tracking promises.
    resolve.forget();
    reject.forget();
}

#[derive(Properties, PartialEq)]
pub struct ShareProps {
    /// The query of the picture shown (without `?`).
    pub link_query: AttrValue,
    /// The same picture embedded.
    pub embed_query: AttrValue,
}

/// What was copied last, shown with the text itself so it can be copied by hand too.
#[derive(Clone, PartialEq)]
struct Copied {
    what: &'static str,
    text: String,
    ok: Option<bool>,
}

/// The two copy buttons, and a box with what they copied.
#[component]
pub fn Share(props: &ShareProps) -> Html {
    let copied = use_state(|| None::<Copied>);
    let button = |id: &'static str, what: &'static str, text: String, title: &'static str| {
        let copied = copied.clone();
        let onclick = Callback::from(move |_: MouseEvent| {
            copied.set(Some(Copied {
                what,
                text: text.clone(),
                ok: None,
            }));
            let copied = copied.clone();
            let text2 = text.clone();
            copy(
                &text,
                Callback::from(move |ok| {
                    copied.set(Some(Copied {
                        what,
                        text: text2.clone(),
                        ok: Some(ok),
                    }))
                }),
            );
        });
        html! { <button {id} type="button" {title} {onclick}>{ what }</button> }
    };
    let link = absolute_url(&props.link_query);
    let code = embed_code(&absolute_url(&props.embed_query));
    html! {
        <div class="share">
            { button("copy-link", "copy link", link, "Copy a link to this step: the scenario, view, lane and step") }
            { button("copy-embed", "copy embed code", code, "Copy an <iframe> that shows this step in another page") }
            if let Some(c) = &*copied {
                <div id="share-box" class="share-box" role="status">
                    <p>
                        { match c.ok {
                            Some(true) => format!("Copied the {} to the clipboard:", if c.what == "copy link" { "link" } else { "embed code" }),
                            Some(false) => "The browser did not let the page use the clipboard: copy it from here.".to_owned(),
                            None => "Copying…".to_owned(),
                        } }
                        <button type="button" class="link" aria-label="Close"
                            onclick={ let copied = copied.clone(); Callback::from(move |_: MouseEvent| copied.set(None)) }>{ "×" }</button>
                    </p>
                    <input id="share-text" type="text" readonly=true value={c.text.clone()} aria-label="What was copied"
                        onfocus={Callback::from(|e: FocusEvent| {
                            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() { input.select(); }
                        })} />
                </div>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embed_code_escapes_the_address() {
        assert_eq!(
            embed_code("https://x.org/h/?v=1&pages=PP&embed=1"),
            "<iframe src=\"https://x.org/h/?v=1&amp;pages=PP&amp;embed=1\" title=\"hmmviz\" \
             style=\"width: 100%; aspect-ratio: 16 / 9; border: 0\" loading=\"lazy\"></iframe>"
        );
    }

    #[test]
    fn a_new_entry_for_a_new_scenario_or_view_only() {
        let key = |q: &str| entry_key(&parse_query(q).0);
        assert_eq!(key("pages=PP&step=3"), key("pages=PP&step=9&lane=legacy_a"));
        assert_ne!(key("pages=PP"), key("pages=PS"));
        assert_ne!(key("pages=PP"), key("pages=PP&view=deep"));
    }
}
