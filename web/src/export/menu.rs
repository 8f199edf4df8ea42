//! The export menu (a `<details>` in the top bar) and the browser side of exporting: a file is a Blob handed
//! to an `<a download>`; a PNG is the step's SVG drawn on a canvas at twice its size.

use gloo::timers::callback::Timeout;
use hmm_sim::Strategy;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::{file_stem, perfetto_json, safe_name, step_svg, WIDTHS};
use crate::comparison::SharedLanes;
use crate::embed::LaneSet;
use crate::picture::lane::compare_pictures;
use crate::url::Align;

/// Offer `blob` as a download named `name`.
fn download_blob(blob: &web_sys::Blob, name: &str) -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let url = web_sys::Url::create_object_url_with_blob(blob)?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a")?.unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.click();
    // The download has started from the URL; free it a moment later.
    Timeout::new(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

/// Offer `text` as a download named `name`, of type `mime`.
pub fn download_text(text: &str, mime: &str, name: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    download_blob(&blob, name)
}

/// Draw `svg` on a canvas at twice its size and download it as PNG; `done` hears a problem, if any.
fn download_png(svg: &str, name: String, done: Callback<Option<String>>) -> Result<(), JsValue> {
    let image = web_sys::HtmlImageElement::new()?;
    let src = format!(
        "data:image/svg+xml;charset=utf-8,{}",
        String::from(js_sys::encode_uri_component(svg))
    );
    let loaded = image.clone();
    let onload = Closure::once_into_js(move || {
        let draw = || -> Result<(), JsValue> {
            let document = web_sys::window()
                .and_then(|w| w.document())
                .ok_or_else(|| JsValue::from_str("no document"))?;
            let canvas: web_sys::HtmlCanvasElement =
                document.create_element("canvas")?.unchecked_into();
            canvas.set_width(loaded.natural_width() * 2);
            canvas.set_height(loaded.natural_height() * 2);
            let context: web_sys::CanvasRenderingContext2d = canvas
                .get_context("2d")?
                .ok_or_else(|| JsValue::from_str("no 2d context"))?
                .unchecked_into();
            context.scale(2.0, 2.0)?;
            context.draw_image_with_html_image_element(&loaded, 0.0, 0.0)?;
            let done = done.clone();
            let saved = Closure::once_into_js(move |blob: Option<web_sys::Blob>| {
                let result = match blob {
                    Some(blob) => download_blob(&blob, &name).err().map(|e| format!("{e:?}")),
                    None => Some("the browser made no PNG of the picture".to_owned()),
                };
                done.emit(result);
            });
            canvas.to_blob(saved.unchecked_ref())
        };
        if let Err(e) = draw() {
            done.emit(Some(format!("{e:?}")));
        }
    });
    image.set_onload(Some(onload.unchecked_ref()));
    image.set_src(&src);
    Ok(())
}

#[derive(Properties, PartialEq)]
pub struct ExportMenuProps {
    pub comparison: SharedLanes,
    pub lane: Strategy,
    pub align: Align,
    pub step: usize,
    pub prev_step: usize,
    pub lanes: LaneSet,
}

#[component]
pub fn ExportMenu(props: &ExportMenuProps) -> Html {
    let width = use_state(|| WIDTHS[1]);
    let status = use_state(|| None::<String>);
    let on_width = {
        let width = width.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            width.set(value.parse().unwrap_or(WIDTHS[1]));
        })
    };
    let picture = {
        let comparison = props.comparison.clone();
        let (lane, align, step, prev, lanes) = (
            props.lane,
            props.align,
            props.step,
            props.prev_step,
            props.lanes,
        );
        move |w: u32| {
            let reference = comparison.lane_index(lane);
            let steps = comparison.lane_steps(align, lane, step);
            let prevs = comparison.lane_steps(align, lane, prev);
            let pictures: Vec<_> = compare_pictures(&comparison, reference, &steps, &prevs)
                .into_iter()
                .filter(|p| lanes.contains(p.strategy))
                .collect();
            step_svg(&pictures, &comparison.pages_text, step, w)
        }
    };
    let stem = file_stem(&props.comparison.pages_text, props.step);
    let say = |status: &UseStateHandle<Option<String>>, r: Result<(), JsValue>, ok: &str| {
        status.set(Some(match r {
            Ok(()) => ok.to_owned(),
            Err(e) => format!("The browser refused the download: {e:?}"),
        }));
    };
    let on_svg = {
        let (status, width, picture, stem) =
            (status.clone(), width.clone(), picture.clone(), stem.clone());
        Callback::from(move |_: MouseEvent| {
            let r = download_text(&picture(*width), "image/svg+xml", &format!("{stem}.svg"));
            say(&status, r, "Saved this step as SVG.");
        })
    };
    let on_png = {
        let (status, width, stem) = (status.clone(), width.clone(), stem.clone());
        Callback::from(move |_: MouseEvent| {
            let st = status.clone();
            let done = Callback::from(move |problem: Option<String>| {
                st.set(Some(problem.map_or_else(
                    || "Saved this step as PNG.".to_owned(),
                    |p| format!("No PNG: {p}"),
                )))
            });
            if let Err(e) = download_png(&picture(*width), format!("{stem}.png"), done) {
                status.set(Some(format!("No PNG: {e:?}")));
            }
        })
    };
    let on_trace = {
        let (status, comparison) = (status.clone(), props.comparison.clone());
        let name = format!("hmmviz-{}.perfetto.json", safe_name(&comparison.pages_text));
        Callback::from(move |_: MouseEvent| match perfetto_json(&comparison) {
            Ok(json) => say(
                &status,
                download_text(&json, "application/json", &name),
                "Saved the run as a trace: open it at ui.perfetto.dev or in chrome://tracing.",
            ),
            Err(message) => status.set(Some(message)),
        })
    };
    html! {
        <details id="export-menu" class="export">
            <summary>{ "export" }</summary>
            <div class="export-panel">
                <label class="field">{ "picture width " }
                    <select id="export-width" onchange={on_width} aria-label="Width of the exported picture">
                        { for WIDTHS.iter().map(|&w| html! {
                            <option value={w.to_string()} selected={w == *width}>{ format!("{w} px") }</option>
                        }) }
                    </select>
                </label>
                <button id="export-svg" type="button" onclick={on_svg}>{ "this step as SVG" }</button>
                <button id="export-png" type="button" onclick={on_png}>{ "this step as PNG" }</button>
                <button id="export-trace" type="button" onclick={on_trace}
                    title="Every lane's calls, lock holds, PTE writes and faults, for Perfetto or chrome://tracing">
                    { "the run as a Perfetto trace" }
                </button>
                if let Some(s) = &*status {
                    <p id="export-status" role="status">{ s }</p>
                }
            </div>
        </details>
    }
}
