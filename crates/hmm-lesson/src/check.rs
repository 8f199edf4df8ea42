//! Check lessons: parse, validate, run, and turn the verdicts into a report per lesson.
//!
//! A lesson passes iff it parses and validates, every action runs, every assertion holds (or, for
//! `expect_fail:`, does not hold) and every prediction's `verify` holds. Both `hmmviz check` and the
//! `cargo test` over `lessons/` use this module, so they cannot disagree.

use crate::diag::{Diagnostic, SourceMap};
use crate::limits;
use crate::model::Lesson;
use crate::parse;
use crate::runner::{self, LessonRun};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Serialize)]
pub struct AssertionReport {
    pub line: usize,
    pub col: usize,
    pub text: String,
    pub expect_fail: bool,
    /// Did the claim as written hold?
    pub holds: bool,
    /// Did the lesson's expectation hold (`holds`, inverted for `expect_fail`)?
    pub passed: bool,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct LessonReport {
    pub path: String,
    pub id: Option<String>,
    pub title: Option<String>,
    /// Parse, validation and run errors.
    pub diagnostics: Vec<Diagnostic>,
    pub assertions: Vec<AssertionReport>,
    pub predictions: usize,
    /// Assertions that did not run because an earlier action failed.
    pub not_run: usize,
}

impl LessonReport {
    pub fn passed(&self) -> bool {
        self.diagnostics.is_empty() && self.not_run == 0 && self.assertions.iter().all(|a| a.passed)
    }
    pub fn failures(&self) -> impl Iterator<Item = &AssertionReport> {
        self.assertions.iter().filter(|a| !a.passed)
    }
}

/// Parse and validate only.
pub fn load(path: &Path) -> Result<Lesson, Vec<Diagnostic>> {
    let display = path.display().to_string();
    let text = read(path).map_err(|m| vec![SourceMap::new(&display, "").error(0..0, m)])?;
    parse::parse(&display, &text)
}

fn read(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if meta.len() > limits::MAX_FILE_BYTES as u64 {
        return Err(format!(
            "file is {} bytes; the limit is {}",
            meta.len(),
            limits::MAX_FILE_BYTES
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    String::from_utf8(bytes)
        .map_err(|e| format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()))
}

/// Parse, validate and run one file.
pub fn check_file(path: &Path) -> (LessonReport, Option<(Lesson, LessonRun)>) {
    let display = path.display().to_string();
    let text = match read(path) {
        Ok(t) => t,
        Err(m) => {
            return (
                failed_report(&display, vec![SourceMap::new(&display, "").error(0..0, m)]),
                None,
            )
        }
    };
    check_text(&display, &text)
}

/// Parse, validate and run lesson text (the CLI and the tests share this).
pub fn check_text(path: &str, text: &str) -> (LessonReport, Option<(Lesson, LessonRun)>) {
    let lesson = match parse::parse(path, text) {
        Ok(l) => l,
        Err(diags) => return (failed_report(path, diags), None),
    };
    let run = runner::run(&lesson);
    let map = SourceMap::new(path, text);
    let report = report(&map, &lesson, &run);
    (report, Some((lesson, run)))
}

fn failed_report(path: &str, diagnostics: Vec<Diagnostic>) -> LessonReport {
    LessonReport {
        path: path.to_string(),
        id: None,
        title: None,
        diagnostics,
        assertions: vec![],
        predictions: 0,
        not_run: 0,
    }
}

fn report(map: &SourceMap<'_>, lesson: &Lesson, run: &LessonRun) -> LessonReport {
    let mut diagnostics = Vec::new();
    if let Some(e) = &run.error {
        diagnostics.push(map.error(e.span.clone(), e.message.clone()));
    }
    let mut assertions = Vec::new();
    let mut not_run = 0;
    for (i, beat) in lesson.beats.iter().enumerate() {
        let Some(beat_run) = run.beats.get(i) else {
            not_run += beat.assertions.len()
                + beat
                    .predictions
                    .iter()
                    .filter(|p| p.verify.is_some())
                    .count();
            continue;
        };
        let pairs = beat
            .predictions
            .iter()
            .zip(&beat_run.predictions)
            .filter_map(|(p, v)| Some((p.verify.as_ref()?, v.as_ref()?)))
            .chain(beat.assertions.iter().zip(&beat_run.assertions));
        for (a, v) in pairs {
            let (line, col) = map.position(a.span.start);
            assertions.push(AssertionReport {
                line,
                col,
                text: a.text.clone(),
                expect_fail: a.expect_fail,
                holds: v.holds,
                passed: v.holds != a.expect_fail,
                detail: v.detail.clone(),
            });
        }
    }
    LessonReport {
        path: lesson.path.clone(),
        id: Some(lesson.id.clone()),
        title: Some(lesson.title.clone()),
        diagnostics,
        assertions,
        predictions: lesson.prediction_count(),
        not_run,
    }
}

/// Expand files and directories into lesson files: every `*.md` under a directory except `README.md`,
/// sorted; files named explicitly are always checked. Errors are per argument.
pub fn collect(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<String>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.is_dir() {
            if let Err(e) = walk(p, &mut files) {
                errors.push(format!("{}: {e}", p.display()));
            }
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            errors.push(format!("{}: no such file or directory", p.display()));
        }
        if files.len() > limits::MAX_FILES {
            errors.push(format!("more than {} lesson files", limits::MAX_FILES));
            files.truncate(limits::MAX_FILES);
            break;
        }
    }
    (files, errors)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for e in entries {
        if out.len() > limits::MAX_FILES {
            break;
        }
        if e.is_dir() {
            walk(&e, out)?;
        } else if e.extension().is_some_and(|x| x == "md")
            && e.file_name().is_some_and(|n| n != "README.md")
        {
            out.push(e);
        }
    }
    Ok(())
}
