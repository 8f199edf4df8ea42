//! Browser tests of the app: render it into a real DOM (headless Chromium via wasm-bindgen-test-runner), act on
//! it the way a user would, and check what hmm-sim's results look like on screen.
#![cfg(target_arch = "wasm32")]

use gloo::utils::document;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, Event, EventInit, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Render a fresh `App` into its own element and wait until yew has finished drawing it.
async fn render_app() -> Element {
    let root = document()
        .create_element("div")
        .expect("create a root element");
    document()
        .body()
        .expect("the test page has a body")
        .append_child(&root)
        .expect("attach the root");
    yew::Renderer::<web::App>::with_root(root.clone()).render();
    yew::scheduler::flush().await;
    root
}

fn query(root: &Element, selector: &str) -> Element {
    root.query_selector(selector)
        .expect("a valid selector")
        .unwrap_or_else(|| panic!("no element matches {selector}"))
}

/// The letter of each rendered page, in order.
fn page_letters(root: &Element) -> String {
    let letters = root
        .query_selector_all("#pages .letter")
        .expect("a valid selector");
    (0..letters.length())
        .filter_map(|index| letters.item(index))
        .filter_map(|node| node.text_content())
        .collect()
}

#[wasm_bindgen_test]
async fn preset_button_shows_each_page_described_by_hmm_sim() {
    let root = render_app().await;
    assert_eq!(page_letters(&root), "PPNSZ", "the initial scenario");

    query(&root, "#preset-2")
        .unchecked_into::<HtmlElement>()
        .click();
    yew::scheduler::flush().await;

    assert_eq!(page_letters(&root), "DDODPPDD");
    let first = query(&root, "#pages li").text_content().unwrap_or_default();
    assert!(
        first.contains("device-private, owned by this device"),
        "got {first:?}"
    );
    assert_eq!(
        query(&root, ".pages h2").text_content().as_deref(),
        Some("8 pages")
    );
}

#[wasm_bindgen_test]
async fn a_bad_letter_shows_hmm_sims_error_instead_of_pages() {
    let root = render_app().await;
    let input: HtmlInputElement = query(&root, "#states").unchecked_into();
    input.set_value("PPxP");
    // yew listens at the root for bubbling events, as a browser's own `input` event does.
    let init = EventInit::new();
    init.set_bubbles(true);
    let event = Event::new_with_event_init_dict("input", &init).expect("create an input event");
    input
        .dispatch_event(&event)
        .expect("dispatch the input event");
    yew::scheduler::flush().await;

    let error = query(&root, "#scenario-error")
        .text_content()
        .unwrap_or_default();
    assert!(
        error.contains("bad page letter 'x' at position 2"),
        "got {error:?}"
    );
    assert!(root
        .query_selector("#pages")
        .expect("a valid selector")
        .is_none());
}
