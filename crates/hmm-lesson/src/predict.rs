//! ```` ```predict ```` blocks: one question as TOML.
//!
//! ```toml
//! question = "How many page-table walks does legacy B need here?"
//! choices = ["1", "2", "3"]
//! answer = "3"
//! verify = "B.walks == 3"      # optional: an assertion that keeps the answer honest
//! [hints]                      # one per wrong choice, keyed by the choice
//! "1" = "That is the common case, when every page can be collected."
//! "2" = "Legacy A always walks twice; B retries after hmm_range_fault."
//! ```

use crate::assertion;
use crate::diag::{Diagnostic, SourceMap};
use crate::model::{Assertion, Prediction, Span};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPredict {
    question: Spanned<String>,
    choices: Spanned<Vec<Spanned<String>>>,
    answer: Spanned<String>,
    #[serde(default)]
    hints: BTreeMap<String, Spanned<String>>,
    verify: Option<Spanned<String>>,
}

pub fn parse(
    map: &SourceMap<'_>,
    body: Span,
    page_count: usize,
) -> Result<Prediction, Vec<Diagnostic>> {
    let text = map.text.get(body.clone()).unwrap_or("");
    let err = |s: Span, m: String| map.error(body.start + s.start..body.start + s.end, m);
    let raw: RawPredict = toml::from_str(text).map_err(|e| {
        vec![err(
            e.span().unwrap_or(0..0),
            format!("predict block: {}", e.message().trim_end()),
        )]
    })?;
    let mut diags = Vec::new();
    if raw.question.get_ref().trim().is_empty() {
        diags.push(err(
            raw.question.span(),
            "`question` must not be empty".into(),
        ));
    }
    let choices: Vec<String> = raw
        .choices
        .get_ref()
        .iter()
        .map(|c| c.get_ref().clone())
        .collect();
    if choices.len() < 2 {
        diags.push(err(
            raw.choices.span(),
            "a prediction needs at least two choices".into(),
        ));
    }
    for (i, c) in raw.choices.get_ref().iter().enumerate() {
        if choices[..i].contains(c.get_ref()) {
            diags.push(err(
                c.span(),
                format!("choice `{}` is listed twice", c.get_ref()),
            ));
        }
    }
    let answer = raw.answer.get_ref().clone();
    if !choices.contains(&answer) {
        diags.push(err(
            raw.answer.span(),
            format!("answer `{answer}` is not one of the choices"),
        ));
    }
    let mut hints = Vec::new();
    for c in &choices {
        if *c == answer {
            continue;
        }
        match raw.hints.get(c) {
            Some(h) if !h.get_ref().trim().is_empty() => {
                hints.push((c.clone(), h.get_ref().clone()))
            }
            _ => diags.push(err(
                raw.choices.span(),
                format!("wrong choice `{c}` needs a hint under [hints]"),
            )),
        }
    }
    for (key, h) in &raw.hints {
        if !choices.contains(key) || *key == answer {
            diags.push(err(
                h.span(),
                format!("hint for `{key}`, which is not a wrong choice"),
            ));
        }
    }
    let verify = raw
        .verify
        .as_ref()
        .and_then(|v| verify(map, &body, v, page_count, &mut diags));
    if diags.is_empty() {
        Ok(Prediction {
            span: body,
            question: raw.question.into_inner(),
            choices,
            answer,
            hints,
            verify,
        })
    } else {
        Err(diags)
    }
}

/// The `verify` assertion, parsed at its place in the file.
fn verify(
    map: &SourceMap<'_>,
    body: &Span,
    v: &Spanned<String>,
    page_count: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<Assertion> {
    // Offsets of the decoded string in the source: escapes and `'''` strings move the caret.
    let start = body.start + v.span().start;
    let raw = map.text.get(start..body.start + v.span().end).unwrap_or("");
    let offsets =
        crate::diag::toml_string_offsets(raw).filter(|o| o.len() == v.get_ref().len() + 1);
    let base = start + offsets.as_ref().map_or(1, |o| o[0]);
    match assertion::parse_line(v.get_ref(), 0, page_count) {
        Ok(_) => assertion::parse_line(v.get_ref(), base, page_count).ok(),
        Err((span, m)) => {
            let at = |b: usize| match &offsets {
                Some(o) => start + o[b.min(o.len() - 1)],
                None => base + b,
            };
            diags.push(map.error(at(span.start)..at(span.end), format!("verify: {m}")));
            None
        }
    }
}
