//! A lesson's report as one standalone HTML page: what `hmmviz check --html` writes and the web app's
//! "download the report" saves, from the same [`LessonReport`] (one renderer, so the two cannot differ).
//!
//! Self-contained by design: the style is inline, there is no script, no image and no link to fetch, so the
//! page opens the same from a CI artifact, a mail attachment or a laptop offline. Every text is escaped.
//! Deterministic: no date, so the same lesson gives the same bytes.

use crate::check::{AssertionReport, LessonReport};

/// `&`, `<`, `>`, `"` and `'` as entities: safe in element text and in quoted attributes.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:16px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;\
color:#1d2330;background:#fff}h1{font-size:1.5rem;margin:0 0 .3rem}table{border-collapse:collapse;width:100%}\
th,td{text-align:left;vertical-align:top;padding:.3rem .5rem;border-bottom:1px solid #d5dae3}\
.meta th{width:9rem;color:#555f70;font-weight:normal}code,pre{font:14px/1.4 ui-monospace,monospace}\
pre{background:#f3f5f8;padding:.6rem;overflow:auto;white-space:pre-wrap}.verdict{font-weight:bold}\
.pass .verdict{color:#17663a}.fail .verdict{color:#b3261e}.detail{color:#454d5c}\
@media (prefers-color-scheme:dark){body{color:#e6e9ef;background:#12151b}th,td{border-color:#333b4a}\
.meta th,.detail{color:#a3acbd}pre{background:#1b2029}.pass .verdict{color:#4fd18b}.fail .verdict{color:#ff6b81}}";

/// The verdict of one claim in words: its mark and why, as the web player and `hmmviz check` say it.
fn verdict(a: &AssertionReport) -> String {
    let mark = if a.passed { "pass" } else { "FAIL" };
    let why = if a.internal_error {
        " (could not be evaluated: a bug in hmmviz)"
    } else if a.expect_fail && !a.holds {
        " (expect_fail: does not hold, as expected)"
    } else if a.expect_fail {
        " (expect_fail: holds, but was expected not to)"
    } else {
        ""
    };
    format!("{mark}{why}")
}

/// The whole page. `generator` names what wrote it (e.g. `hmmviz 0.1.0`), shown in the footer.
pub fn report_html(r: &LessonReport, generator: &str) -> String {
    let title = r.title.as_deref().unwrap_or("(the lesson did not parse)");
    let status = if r.passed() { "PASS" } else { "FAIL" };
    let failing = r.failures().count();
    let mut h = String::new();
    h.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str(&format!(
        "<title>{status}: {} — hmmviz lesson report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(title)
    ));
    h.push_str(&format!(
        "<header>\n<h1 id=\"title\">{}</h1>\n<p id=\"status\" class=\"{} verdict-line\" data-passed=\"{}\"><span class=\"verdict\">{status}</span>: {} claim(s), {failing} failing{}{}</p>\n</header>\n",
        escape(title),
        if r.passed() { "pass" } else { "fail" },
        r.passed(),
        r.assertions.len(),
        if r.not_run > 0 { format!(", {} not run (an earlier action failed)", r.not_run) } else { String::new() },
        if r.diagnostics.is_empty() { String::new() } else { format!(", {} error(s)", r.diagnostics.len()) },
    ));
    h.push_str("<table class=\"meta\">\n<tbody>\n");
    let mut meta = |key: &str, id: &str, value: &str| {
        h.push_str(&format!(
            "<tr><th scope=\"row\">{key}</th><td id=\"{id}\">{}</td></tr>\n",
            escape(value)
        ))
    };
    meta("file", "path", &r.path);
    meta("lesson id", "lesson-id", r.id.as_deref().unwrap_or("—"));
    meta("kernel", "kernel", r.kernel_label.as_deref().unwrap_or("—"));
    meta("predictions", "predictions", &r.predictions.to_string());
    h.push_str("</tbody>\n</table>\n");
    if !r.diagnostics.is_empty() {
        h.push_str("<h2>Errors</h2>\n<pre id=\"diagnostics\">");
        let text: Vec<String> = r.diagnostics.iter().map(|d| d.to_string()).collect();
        h.push_str(&escape(&text.join("\n")));
        h.push_str("</pre>\n");
    }
    h.push_str("<h2>Claims</h2>\n");
    if r.assertions.is_empty() {
        h.push_str("<p id=\"no-claims\">No claim was checked.</p>\n");
    } else {
        h.push_str("<table id=\"claims\">\n<thead><tr><th>line:col</th><th>verdict</th><th>claim</th><th>what the simulator found</th></tr></thead>\n<tbody>\n");
        for a in &r.assertions {
            h.push_str(&format!(
                "<tr class=\"claim {}\" data-line=\"{}\" data-col=\"{}\" data-passed=\"{}\"><td>{}:{}</td><td class=\"verdict\">{}</td><td><code>{}</code></td><td class=\"detail\">{}</td></tr>\n",
                if a.passed { "pass" } else { "fail" },
                a.line,
                a.col,
                a.passed,
                a.line,
                a.col,
                escape(&verdict(a)),
                escape(&a.text),
                escape(&a.detail),
            ));
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str(&format!(
        "<footer><p class=\"detail\">Checked by {}: the lesson's actions run in hmmviz's deterministic model of the kernel's HMM and device-page migration paths, and each claim is judged against that model.</p></footer>\n</body>\n</html>\n",
        escape(generator)
    ));
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_names_every_claim() {
        let text = "+++\nid = \"tiny\"\nschema = 1\ntitle = \"A <b>bold</b> & 'quoted' lesson\"\nkernel = \"6.15\"\nkind = \"lesson\"\n\n[scenario]\nstates = \"PPPP\"\ndevices = 1\n+++\n\n## Migrate\n\n```hmm\nm = dmirror MIGRATE_TO_DEV dev=0 pages=0..4\n```\n\n```assert\nm.ret == 0\nm.cpages == 3\n```\n";
        let (r, _) = crate::check_text("x.md", text);
        assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
        let page = report_html(&r, "hmmviz test");
        assert!(page.contains("A &lt;b&gt;bold&lt;/b&gt; &amp; &#39;quoted&#39; lesson"));
        assert!(!page.contains("<b>bold"));
        assert!(page.contains("<td id=\"kernel\">6.15</td>"));
        assert_eq!(
            page.matches("<tr class=\"claim ").count(),
            r.assertions.len()
        );
        assert_eq!(r.assertions.len(), 2);
        assert!(page.contains("class=\"claim fail\""));
        assert!(page.contains("<span class=\"verdict\">FAIL</span>"));
        for forbidden in ["<script", "src=", "href=", "@import", "url("] {
            assert!(!page.contains(forbidden), "{forbidden}");
        }
    }
}
