//! Browser tests of the app and its components: render into a real DOM (headless Chromium via
//! wasm-bindgen-test-runner), act the way a user would (click, type, press keys), and check what is on screen.
#![cfg(target_arch = "wasm32")]

use std::rc::Rc;

use gloo::utils::{document, window};
use hmm_sim::Counters;
use hmm_sim::PteKind;
use hmm_sim::Strategy;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web::components::{PteRow, PteRowProps, SummaryChart, SummaryChartProps};
use web::picture::lane::PageCell;
use web_sys::{
    Element, Event, EventInit, HtmlElement, HtmlInputElement, KeyboardEvent, KeyboardEventInit,
};
use yew::AppHandle;

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh root element in the test page.
fn new_root() -> Element {
    let root = document()
        .create_element("div")
        .expect("create a root element");
    document()
        .body()
        .expect("the test page has a body")
        .append_child(&root)
        .expect("attach the root");
    root
}

/// Render the app as if the page's URL had `query`, and wait until yew has drawn it.
async fn render_app(query: &str) -> (Element, AppHandle<web::App>) {
    let history = window().history().expect("history");
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("?{query}")))
        .expect("set the query");
    let root = new_root();
    let handle = yew::Renderer::<web::App>::with_root(root.clone()).render();
    yew::scheduler::flush().await;
    (root, handle)
}

fn query(root: &Element, selector: &str) -> Element {
    root.query_selector(selector)
        .expect("a valid selector")
        .unwrap_or_else(|| panic!("no element matches {selector}"))
}

fn text(root: &Element, selector: &str) -> String {
    query(root, selector).text_content().unwrap_or_default()
}

fn count(root: &Element, selector: &str) -> u32 {
    root.query_selector_all(selector)
        .expect("a valid selector")
        .length()
}

async fn click(root: &Element, selector: &str) {
    query(root, selector)
        .unchecked_into::<HtmlElement>()
        .click();
    yew::scheduler::flush().await;
}

async fn press(key: &str, shift: bool) {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_shift_key(shift);
    init.set_bubbles(true);
    let event =
        KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).expect("a key event");
    document()
        .body()
        .expect("body")
        .dispatch_event(&event)
        .expect("dispatch the key");
    yew::scheduler::flush().await;
}

async fn type_into(root: &Element, selector: &str, value: &str) {
    let input: HtmlInputElement = query(root, selector).unchecked_into();
    input.set_value(value);
    let init = EventInit::new();
    init.set_bubbles(true);
    let event = Event::new_with_event_init_dict("input", &init).expect("an input event");
    input
        .dispatch_event(&event)
        .expect("dispatch the input event");
    yew::scheduler::flush().await;
}

#[wasm_bindgen_test]
async fn opens_on_three_lanes_of_the_default_scenario_at_step_0() {
    let (root, handle) = render_app("").await;
    assert_eq!(count(&root, ".lane"), 3);
    for lane in ["legacy_a", "legacy_b", "unified"] {
        assert_eq!(count(&root, &format!("#lane-{lane} .pte")), 8, "{lane}");
    }
    assert!(text(&root, "#step-label").starts_with("step 0 / "));
    assert_eq!(
        query(&root, "#states")
            .unchecked_into::<HtmlInputElement>()
            .value(),
        "PPPPSSSS"
    );
    // Step 0: present pages are W, swapped ones S.
    let glyphs: String = (0..8)
        .map(|i| {
            text(
                &root,
                &format!("#lane-unified .pte:nth-child({}) .glyph", i + 1),
            )
        })
        .collect();
    assert_eq!(glyphs, "WWWWSSSS");
    // The end-of-run counters give the result away: folded at step 0 until asked for, shown at the end.
    assert!(!text(&root, "#summary").contains("walks"));
    click(&root, "#summary-show").await;
    assert!(text(&root, "#summary").contains("walks"));
    handle.destroy();
    let (root, handle) = render_app("").await;
    assert!(!text(&root, "#summary").contains("walks"));
    click(&root, "#btn-end").await;
    assert!(text(&root, "#summary").contains("walks"));
    assert_eq!(count(&root, "#summary-show"), 0);
    // A step number typed into "go to step" seeks there.
    type_into(&root, "#step-input", "7").await;
    assert!(
        text(&root, "#step-label").starts_with("step 7 /"),
        "{}",
        text(&root, "#step-label")
    );
    handle.destroy();
}

#[wasm_bindgen_test]
async fn buttons_and_keys_move_in_time_both_ways() {
    let (root, handle) = render_app("v=1&pages=PPNS&lane=legacy_a").await;
    click(&root, "#btn-forward").await;
    assert!(text(&root, "#step-label").starts_with("step 1 / "));
    // The first event of legacy A is the driver function being called.
    assert!(
        text(&root, "#narration-line").contains("driver: legacy A"),
        "{}",
        text(&root, "#narration-line")
    );
    press("ArrowRight", false).await;
    press("ArrowRight", false).await;
    assert!(text(&root, "#step-label").starts_with("step 3 / "));
    press("ArrowLeft", false).await;
    assert!(text(&root, "#step-label").starts_with("step 2 / "));
    press("End", false).await;
    let end = text(&root, "#step-label");
    let (at, len) = end
        .trim_start_matches("step ")
        .split_once(" / ")
        .expect("step a / b");
    assert_eq!(at, len, "End goes to the last step");
    press("Home", false).await;
    assert!(text(&root, "#step-label").starts_with("step 0 / "));
    // Shift+→ goes to the first milestone.
    press("ArrowRight", true).await;
    assert!(
        text(&root, "#narration-line").starts_with("milestone:"),
        "{}",
        text(&root, "#narration-line")
    );
    handle.destroy();
}

#[wasm_bindgen_test]
async fn jumping_to_a_migration_entry_names_the_function_and_the_lock_held() {
    let (root, handle) = render_app("v=1&pages=PPNS&lane=legacy_a").await;
    click(&root, "#btn-jump-next").await; // the default kind is "migration entry installed"
    assert_eq!(text(&root, "#narration-func"), "migrate_vma_collect_pmd");
    assert!(text(&root, "#narration-line").contains("migration_write"));
    assert!(
        text(&root, "#narration-locks").contains("PTL of PTE table 0x80"),
        "{}",
        text(&root, "#narration-locks")
    );
    // The page just written is marked as changed in the reference lane.
    assert_eq!(count(&root, "#lane-legacy_a .pte.changed"), 1);
    // Back one step and forward again: the same picture.
    press("ArrowLeft", false).await;
    press("ArrowRight", false).await;
    assert_eq!(text(&root, "#narration-func"), "migrate_vma_collect_pmd");
    handle.destroy();
}

#[wasm_bindgen_test]
async fn the_deep_view_decodes_the_lane() {
    let (root, handle) = render_app("v=1&pages=PPNS&view=deep&lane=legacy_a").await;
    assert_eq!(count(&root, ".lane"), 0);
    assert!(text(&root, "#page-table").contains("PMD [0x80]"));
    assert_eq!(count(&root, ".pte-table tbody tr"), 4);
    click(&root, "#btn-jump-next").await;
    assert!(text(&root, "#locks").contains("PTL of PTE table 0x80 (mm0)"));
    assert!(text(&root, "#threads").contains("migrate_vma_collect_pmd"));
    // Further on, src[] gets MIGRATE_PFN_* bits.
    click(&root, "#btn-jump-next").await;
    click(&root, "#btn-jump-next").await;
    press("ArrowRight", true).await;
    assert!(
        text(&root, "#arrays").contains("MIGRATE"),
        "{}",
        text(&root, "#arrays")
    );
    assert!(count(&root, "#timeline .tl-call") > 0);
    click(&root, "#view-compare").await;
    assert_eq!(count(&root, ".lane"), 3);
    handle.destroy();
}

#[wasm_bindgen_test]
async fn a_bad_letter_keeps_the_lanes_and_says_where() {
    let (root, handle) = render_app("v=1&pages=PPNS").await;
    type_into(&root, "#states", "PPxP").await;
    assert!(
        text(&root, "#scenario-error").contains("bad page letter 'x' at position 2"),
        "{}",
        text(&root, "#scenario-error")
    );
    assert_eq!(
        count(&root, "#lane-unified .pte"),
        4,
        "the last good scenario stays on screen"
    );
    type_into(&root, "#states", "P*3S").await;
    assert_eq!(count(&root, "#scenario-error"), 0);
    assert_eq!(count(&root, "#lane-unified .pte"), 4);
    handle.destroy();
}

#[wasm_bindgen_test]
async fn bad_url_parameters_give_notices_and_defaults() {
    let (root, handle) = render_app("v=9&pages=PP!&view=sideways&lane=nope&step=banana").await;
    let notices = text(&root, "#notices");
    for expected in [
        "version",
        "cannot be run",
        "Unknown view",
        "Unknown lane",
        "not a step number",
    ] {
        assert!(
            notices.contains(expected),
            "{expected:?} missing from {notices:?}"
        );
    }
    assert_eq!(count(&root, ".lane"), 3, "the default scenario is shown");
    handle.destroy();
}

#[wasm_bindgen_test]
async fn the_512_page_preset_shows_a_window_and_a_minimap() {
    let (root, handle) = render_app("v=1&pages=PP").await;
    click(&root, "#preset-chunk").await;
    assert_eq!(count(&root, "#lane-unified .pte"), 64);
    assert_eq!(count(&root, "#lane-unified .minimap"), 1);
    press("End", false).await;
    assert_eq!(
        count(&root, "#lane-unified .pte.k-device_private_write"),
        64
    );
    handle.destroy();
}

#[wasm_bindgen_test]
async fn question_mark_opens_the_key_map_and_escape_closes_it() {
    let (root, handle) = render_app("v=1&pages=PP").await;
    press("?", true).await;
    assert!(text(&root, "#help").contains("play / pause"));
    press("Escape", false).await;
    assert_eq!(count(&root, "#help"), 0);
    click(&root, "#help-button").await;
    assert_eq!(count(&root, "#help"), 1);
    click(&root, "#help-close").await;
    assert_eq!(count(&root, "#help"), 0);
    handle.destroy();
}

#[wasm_bindgen_test]
async fn pte_row_draws_a_glyph_and_marks_per_cell() {
    let cells = vec![
        PageCell {
            page: 0,
            kind: PteKind::PresentWrite,
            pfn: Some(1),
            content: Some(1),
            on_device: false,
            cursor: true,
            changed: false,
            differs: false,
        },
        PageCell {
            page: 1,
            kind: PteKind::MigrationWrite,
            pfn: Some(2),
            content: Some(2),
            on_device: false,
            cursor: false,
            changed: true,
            differs: true,
        },
        PageCell {
            page: 2,
            kind: PteKind::None,
            pfn: None,
            content: None,
            on_device: false,
            cursor: false,
            changed: false,
            differs: false,
        },
    ];
    let root = new_root();
    let handle = yew::Renderer::<PteRow>::with_root_and_props(
        root.clone(),
        PteRowProps {
            cells: Rc::new(cells),
            label: "test row".into(),
            on_page: None,
            followed: None,
            pmd_chunks: Rc::default(),
            expanded: false,
        },
    )
    .render();
    yew::scheduler::flush().await;
    assert_eq!(text(&root, ".pte-row"), "W#1M#2·");
    assert_eq!(count(&root, ".pte.cursor.k-present_rw"), 1);
    assert_eq!(count(&root, ".pte.changed.differs.k-migration_write"), 1);
    assert!(query(&root, ".pte.k-none")
        .get_attribute("title")
        .unwrap_or_default()
        .contains("page 2 at 0x10002000: none"));
    handle.destroy();
}

/// Lane totals that differ only in walks: legacy A 2, legacy B 3, unified 1.
fn walk_totals() -> Vec<(Strategy, Counters)> {
    let counters = |walks| {
        let mut c = Counters::default();
        c.walks = walks;
        c
    };
    vec![
        (Strategy::LegacyA, counters(2)),
        (Strategy::LegacyB, counters(3)),
        (Strategy::Unified, counters(1)),
    ]
}

#[wasm_bindgen_test]
async fn summary_chart_marks_the_fewest_walks() {
    let root = new_root();
    let handle = yew::Renderer::<SummaryChart>::with_root_and_props(
        root.clone(),
        SummaryChartProps {
            totals: walk_totals(),
            agree: true,
            stopped: Vec::new(),
            ended: true,
        },
    )
    .render();
    yew::scheduler::flush().await;
    let walks = text(&root, ".chart-row:nth-child(2)");
    assert!(walks.starts_with("walks"), "{walks}");
    assert_eq!(count(&root, ".bar.fewest"), 1);
    assert_eq!(count(&root, ".bar.lane-unified.fewest"), 1);
    handle.destroy();
}

#[wasm_bindgen_test]
async fn summary_chart_does_not_call_a_stopped_lane_fewest() {
    let root = new_root();
    let handle = yew::Renderer::<SummaryChart>::with_root_and_props(
        root.clone(),
        SummaryChartProps {
            totals: walk_totals(),
            agree: false,
            stopped: vec![Strategy::Unified],
            ended: true,
        },
    )
    .render();
    yew::scheduler::flush().await;
    let verdict = text(&root, ".agree");
    assert!(
        verdict.starts_with("Unified stopped at the browser's trace limit"),
        "{verdict}"
    );
    // The fewest of the lanes that finished; the stopped lane's count is said to be partial.
    assert_eq!(count(&root, ".bar.fewest"), 1);
    assert_eq!(count(&root, ".bar.lane-legacy_a.fewest"), 1);
    let walks = text(&root, ".chart-row:nth-child(2)");
    assert!(walks.contains("1 when it stopped"), "{walks}");
    handle.destroy();
}
