//! Export what the app shows: the step as an SVG or PNG picture (for slides and papers), and the run as a
//! Chrome / Perfetto trace (hmm-sim's `chrome_trace_events`, the same events `hmmviz export --perfetto`
//! writes).
//!
//! - this module: the file contents, pure (tested natively);
//! - [`menu`]: the export menu and the browser side (downloads, SVG → canvas → PNG).

pub mod menu;

use std::rc::Rc;

use hmm_sim::{chrome_trace_events, COUNTERS};

use crate::comparison::LoadedLanes;
use crate::components::{content_label, lane_letter, lane_name};
use crate::picture::lane::LanePicture;

/// The most trace events per lane an export holds (as `hmmviz export`'s limit): a trace-event file is about
/// 150 bytes per event, and the viewers slow down well before a few million slices.
pub const MAX_EXPORT_EVENTS: usize = 2_000_000;

/// Picture widths offered, in CSS pixels (the PNG is drawn at twice that, for sharp slides).
pub const WIDTHS: [u32; 3] = [800, 1280, 1920];

/// The run's lanes as one Chrome trace-event JSON file (object form), a process per lane. Err: a lane is
/// longer than [`MAX_EXPORT_EVENTS`] (the message names it and the CLI's way around).
pub fn perfetto_json(comparison: &LoadedLanes) -> Result<String, String> {
    perfetto_json_within(comparison, MAX_EXPORT_EVENTS)
}

fn perfetto_json_within(comparison: &LoadedLanes, max_events: usize) -> Result<String, String> {
    if let Some(big) = comparison
        .lanes
        .iter()
        .find(|l| l.timeline.events().len() > max_events)
    {
        return Err(format!(
            "The {} lane has {} events; an exported trace holds at most {} per lane. Export one lane with \
             the command line: hmmviz export --perfetto --pages {} --lane {}",
            lane_name(big.strategy),
            hmm_sim::thousands(big.timeline.events().len() as u64),
            hmm_sim::thousands(max_events as u64),
            comparison.pages_text,
            lane_letter(big.strategy),
        ));
    }
    let mut out = String::from("{\"traceEvents\": [\n");
    let mut first = true;
    for (i, lane) in comparison.lanes.iter().enumerate() {
        for event in chrome_trace_events(
            lane.strategy.name(),
            &lane.thread_names,
            lane.timeline.events(),
            i as u32 + 1,
        ) {
            if !first {
                out.push_str(",\n");
            }
            first = false;
            // Plain data (strings, numbers, string-keyed maps): serialising it cannot fail.
            out.push_str(&serde_json::to_string(&event).unwrap_or_default());
        }
    }
    out.push_str("\n]}\n");
    Ok(out)
}

/// Fill colours of the PTE kinds, as the light theme draws them (`static/style.css`, `--k-*`).
fn kind_colours(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "present_rw" => ("#0072b2", "#ffffff"),
        "present_ro" => ("#56b4e9", "#10232f"),
        "zero" => ("#ffffff", "#222222"),
        "swap" => ("#f0e442", "#2b2700"),
        "migration_write" => ("#d55e00", "#ffffff"),
        "migration_read" | "migration_read_exclusive" => ("#e69f00", "#2a1a00"),
        "device_private_write" => ("#009e73", "#ffffff"),
        "device_private_read" => ("#8fd3bf", "#0c2b22"),
        "device_exclusive" => ("#cc79a7", "#ffffff"),
        _ => ("#f4f5f8", "#8a93a6"),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The lanes at this step as a standalone SVG `width` pixels wide: a title line, then per lane its name,
/// step and function, its page cells (colour, glyph, content, the walk cursor), and its counters.
pub fn step_svg(pictures: &[Rc<LanePicture>], pages: &str, step: usize, width: u32) -> String {
    let w = width as f64;
    let margin = 12.0;
    let cells = pictures
        .iter()
        .map(|p| p.cells.len())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let cell = ((w - 2.0 * margin) / cells).clamp(6.0, 56.0);
    let gap = (cell * 0.08).max(1.0);
    let font = (w / 64.0).clamp(11.0, 26.0);
    let lane_h = font * 1.6 + cell + font * 1.8 + font * 0.8;
    let height = margin + font * 1.8 + lane_h * pictures.len() as f64 + margin;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {w} {height:.0}\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n\
         <text x=\"{margin}\" y=\"{:.1}\" font-size=\"{:.1}\" font-weight=\"700\" fill=\"#1f4e79\">hmmviz: \
         pages {} at step {step}</text>\n",
        margin + font * 1.1,
        font * 1.15,
        escape(pages),
    );
    let mut y = margin + font * 1.8;
    for p in pictures {
        let func = p.func.map(|f| f.name()).unwrap_or("");
        svg.push_str(&format!(
            "<g class=\"lane\" data-lane=\"{}\">\n<text x=\"{margin}\" y=\"{:.1}\" font-size=\"{font:.1}\" \
             fill=\"#1b2230\"><tspan font-weight=\"700\">{} </tspan>step {} / {}  <tspan \
             font-family=\"DejaVu Sans Mono, monospace\" fill=\"#1f4e79\">{}</tspan></text>\n",
            p.strategy.name(),
            y + font * 1.1,
            lane_name(p.strategy),
            p.step,
            p.len,
            escape(func),
        ));
        let top = y + font * 1.6;
        for (i, c) in p.cells.iter().enumerate() {
            let x = margin + i as f64 * cell;
            let (fill, ink) = kind_colours(c.kind.name());
            let stroke = if c.cursor { "#111111" } else { "#8a93a6" };
            let sw = if c.cursor { 3.0 } else { 0.8 };
            svg.push_str(&format!(
                "<rect class=\"pte k-{}\" x=\"{:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{cell:.1}\" rx=\"3\" \
                 fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{sw}\"/>\n",
                c.kind.name(),
                x + gap / 2.0,
                cell - gap,
            ));
            if cell >= 14.0 {
                svg.push_str(&format!(
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{:.1}\" font-weight=\"800\" text-anchor=\"middle\" \
                     fill=\"{ink}\" font-family=\"DejaVu Sans Mono, monospace\">{}</text>\n",
                    x + cell / 2.0,
                    top + cell * 0.5,
                    cell * 0.38,
                    escape(&c.kind.glyph().to_string()),
                ));
                svg.push_str(&format!(
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{:.1}\" text-anchor=\"middle\" fill=\"{ink}\">{}</text>\n",
                    x + cell / 2.0,
                    top + cell * 0.82,
                    cell * 0.24,
                    escape(&content_label(c.content)),
                ));
            }
        }
        let counters: Vec<String> = COUNTERS
            .iter()
            .map(|c| format!("{} {}", c.label, p.counters.get(c.name).unwrap_or(0)))
            .collect();
        svg.push_str(&format!(
            "<text x=\"{margin}\" y=\"{:.1}\" font-size=\"{:.1}\" fill=\"#5a6375\">{}</text>\n</g>\n",
            top + cell + font * 1.3,
            font * 0.85,
            escape(&counters.join(" · ")),
        ));
        y += lane_h;
    }
    svg.push_str("</svg>\n");
    svg
}

/// The scenario in a file name: compacted, letters and digits only, at most 40 characters.
pub fn safe_name(pages: &str) -> String {
    pages
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(40)
        .collect()
}

/// The file names a step's pictures get: the scenario and the step.
pub fn file_stem(pages: &str, step: usize) -> String {
    format!("hmmviz-{}-step{step}", safe_name(pages))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picture::lane::compare_pictures;
    use crate::scenario::parse_text;

    fn lanes(text: &str) -> LoadedLanes {
        LoadedLanes::build(parse_text(text).expect("valid"))
    }

    #[test]
    fn the_trace_is_chrome_json_with_a_process_per_lane() {
        let c = lanes("PPSS");
        let text = perfetto_json(&c).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let events = v["traceEvents"].as_array().unwrap();
        let processes: Vec<&str> = events
            .iter()
            .filter(|e| e["name"] == "process_name")
            .map(|e| e["args"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(processes, ["legacy_a", "legacy_b", "unified"]);
        for ph in ["X", "b", "e", "i", "M"] {
            assert!(events.iter().any(|e| e["ph"] == ph), "no {ph} event");
        }
        // Every lane's calls are there: as many X slices as the lanes have calls.
        let calls: usize = c
            .lanes
            .iter()
            .map(|l| hmm_sim::call_spans(l.timeline.events()).len())
            .sum();
        assert_eq!(events.iter().filter(|e| e["ph"] == "X").count(), calls);
    }

    #[test]
    fn a_lane_past_the_limit_is_refused_with_the_cli_command() {
        let c = lanes("PPSS");
        let e = perfetto_json_within(&c, 10).unwrap_err();
        assert!(e.contains("The Legacy A lane has"), "{e}");
        assert!(
            e.ends_with("hmmviz export --perfetto --pages PPSS --lane A"),
            "{e}"
        );
    }

    #[test]
    fn the_svg_shows_every_lane_and_cell_at_the_step() {
        let c = lanes("PPPPSSSS");
        let steps = c.lane_steps(crate::url::Align::Milestone, hmm_sim::Strategy::Unified, 40);
        let pictures = compare_pictures(&c, 2, &steps, &steps);
        let svg = step_svg(&pictures, "PPPPSSSS", 40, 1280);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1280\""));
        assert_eq!(svg.matches("<g class=\"lane\"").count(), 3);
        assert_eq!(svg.matches("class=\"pte ").count(), 24);
        assert!(svg.contains("step 40 / "));
        assert!(svg.contains("walks "));
        assert_eq!(file_stem("P*512", 9), "hmmviz-P_512-step9");
    }
}
