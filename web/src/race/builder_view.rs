//! The race builder's form (`builder::Build`): page states, devices, driver options and the threads' action
//! lines; "build and run" hands the build to the lab, which puts it in the link. Errors are the lesson
//! parser's, shown with the lesson text they point into.

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::builder::{Build, DRIVER_OPTIONS};

#[derive(Properties, PartialEq)]
pub struct BuilderProps {
    /// The build the form starts from (the link's, or the default).
    pub initial: Build,
    /// Open the form (a built race is shown, or its build failed).
    pub open: bool,
    /// Why the last build could not run, in the parser's words.
    pub error: Option<String>,
    /// The lesson text the last build is (what the error's line numbers count).
    pub lesson: String,
    pub on_build: Callback<Build>,
}

fn target_value(e: &InputEvent) -> Option<String> {
    let target = e.target()?;
    if let Ok(input) = target.clone().dyn_into::<web_sys::HtmlInputElement>() {
        return Some(input.value());
    }
    target
        .dyn_into::<web_sys::HtmlTextAreaElement>()
        .ok()
        .map(|t| t.value())
}

/// The builder.
#[component]
pub fn RaceBuilder(props: &BuilderProps) -> Html {
    let form = {
        let initial = props.initial.clone();
        use_state(move || initial)
    };
    let edit = |f: fn(&mut Build, String)| {
        let form = form.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(v) = target_value(&e) {
                let mut next = (*form).clone();
                f(&mut next, v);
                form.set(next);
            }
        })
    };
    // The devices field: a number the browser checks too; anything else is kept as 0, which the parser refuses
    // with its own words.
    let on_devices = edit(|b, v| b.devices = v.trim().parse().unwrap_or(0));
    let option = |(i, &(name, _, what)): (usize, &(&'static str, bool, &'static str))| {
        let checked = form.driver.get(i).copied().unwrap_or(false);
        let form = form.clone();
        let onchange = Callback::from(move |e: Event| {
            if let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                let mut next = (*form).clone();
                if let Some(slot) = next.driver.get_mut(i) {
                    *slot = input.checked();
                }
                form.set(next);
            }
        });
        html! {
            <label class="build-option" title={what}>
                <input type="checkbox" id={format!("build-driver-{name}")}
                    {checked} {onchange} />
                { " " }<code>{ name }</code>{ format!(": {what}") }
            </label>
        }
    };
    let onclick = {
        let form = form.clone();
        let on_build = props.on_build.clone();
        Callback::from(move |_: MouseEvent| on_build.emit((*form).clone()))
    };
    html! {
        <details id="race-builder" class="race-builder" open={props.open}>
            <summary>{ "Build a race" }</summary>
            <p class="race-explain">
                { "The scenario and each thread's actions, in the lessons' language (docs: " }
                <a href="lessons.md" target="_blank" rel="noopener">{ "the lesson author's guide" }</a>
                { "). A line " }<code>{ "NAME: action" }</code>{ " queues the action on thread NAME; a line without a thread runs first, before the threads start. The kernel is the lab's buttons'." }
            </p>
            <div class="build-fields">
                <label>{ "Page states " }
                    <input id="build-states" type="text" spellcheck="false" size="12"
                        value={form.states.clone()} oninput={edit(|b, v| b.states = v)} />
                </label>
                <label>{ "Devices " }
                    <input id="build-devices" type="number" min="1" max="4"
                        value={form.devices.to_string()} oninput={on_devices} />
                </label>
            </div>
            <fieldset class="build-driver">
                <legend>{ "Driver options" }</legend>
                { for DRIVER_OPTIONS.iter().enumerate().map(option) }
            </fieldset>
            <label class="build-threads-label" for="build-threads">{ "Threads and their actions" }</label>
            <textarea id="build-threads" rows="5" spellcheck="false" value={form.threads.clone()}
                oninput={edit(|b, v| b.threads = v)} />
            <p><button type="button" id="build-run" {onclick}>{ "build and run" }</button></p>
            if let Some(error) = &props.error {
                <pre id="build-error" class="notice error" role="alert">{ error.clone() }</pre>
                <details class="build-lesson" open=true>
                    <summary>{ "The lesson text the line numbers count" }</summary>
                    <pre id="build-lesson">{
                        props.lesson.lines().enumerate()
                            .map(|(i, l)| format!("{:>3} | {l}\n", i + 1)).collect::<String>()
                    }</pre>
                </details>
            } else {
                <details class="build-lesson">
                    <summary>{ "This race as a lesson file" }</summary>
                    <pre id="build-lesson">{ props.lesson.clone() }</pre>
                </details>
            }
        </details>
    }
}
