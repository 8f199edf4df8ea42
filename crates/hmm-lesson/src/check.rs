//! Check lessons: parse, validate, run, and turn the verdicts into a report per lesson.
//!
//! A lesson passes iff it parses and validates, every action runs, every assertion holds (or, for
//! `expect_fail:`, does not hold) and every prediction's `verify` holds. Both `hmmviz check` and the
//! `cargo test` over `lessons/` use this module, so they cannot disagree.

use crate::diag::{Diagnostic, SourceMap};
use crate::limits;
use crate::model::Lesson;
use crate::observe::Observation;
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
    /// Did the lesson's expectation hold (`holds`, inverted for `expect_fail`)? Never, when the claim could
    /// not be evaluated (`internal_error`), whatever its polarity.
    pub passed: bool,
    /// The evaluator could not judge the claim (a validator/evaluator disagreement: a bug in hmm-lesson).
    pub internal_error: bool,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct LessonReport {
    pub path: String,
    pub id: Option<String>,
    pub title: Option<String>,
    /// The kernel version the lesson's scenario runs (`KernelVersion::name`), once it parsed.
    pub kernel: Option<String>,
    /// The kernel as people read it (`KernelVersion::label`): its name, marked "RFC, not merged" for a
    /// variant no release has.
    pub kernel_label: Option<String>,
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
    /// The lesson runs a kernel no release has: every place that shows its result says so.
    pub fn rfc_marked(&self) -> bool {
        self.kernel_label != self.kernel
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

/// Read a lesson file: a regular file (after symlinks) of at most [`limits::MAX_FILE_BYTES`]. At most the
/// limit plus one byte is read, so a file that grows, or a device behind a symlink, cannot exhaust memory;
/// FIFOs, sockets and devices are refused before they are opened, so a FIFO cannot block the check.
fn read(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    let too_big = || {
        format!(
            "file is larger than {} bytes (MAX_FILE_BYTES)",
            limits::MAX_FILE_BYTES
        )
    };
    if meta.len() > limits::MAX_FILE_BYTES as u64 {
        return Err(too_big());
    }
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    // The path may have been swapped between the two looks; judge what was opened.
    match file.metadata() {
        Ok(m) if m.is_file() => {}
        Ok(m) => return Err(not_regular(&m)),
        Err(e) => return Err(format!("cannot read: {e}")),
    }
    let mut bytes = Vec::new();
    file.take(limits::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() > limits::MAX_FILE_BYTES {
        return Err(too_big());
    }
    String::from_utf8(bytes)
        .map_err(|e| format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()))
}

fn not_regular(meta: &std::fs::Metadata) -> String {
    let what = if meta.is_dir() {
        "a directory"
    } else {
        "a FIFO, socket or device"
    };
    format!("not a regular file ({what}); lessons are read from regular files only")
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
    check_text_observing(path, text, |_, _| {})
}

/// [`check_text`], handing `on_beat` each beat's observation as it runs ([`runner::run_observing`]): the
/// browser's lesson player checks a lesson with this, so its verdicts are `hmmviz check`'s.
pub fn check_text_observing(
    path: &str,
    text: &str,
    on_beat: impl FnMut(usize, &Observation),
) -> (LessonReport, Option<(Lesson, LessonRun)>) {
    let lesson = match parse::parse(path, text) {
        Ok(l) => l,
        Err(diags) => return (failed_report(path, diags), None),
    };
    let run = runner::run_observing(&lesson, on_beat);
    let map = SourceMap::new(path, text);
    let report = report(&map, &lesson, &run);
    (report, Some((lesson, run)))
}

fn failed_report(path: &str, diagnostics: Vec<Diagnostic>) -> LessonReport {
    LessonReport {
        path: path.to_string(),
        id: None,
        title: None,
        kernel: None,
        kernel_label: None,
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
                passed: !v.internal && v.holds != a.expect_fail,
                internal_error: v.internal,
                detail: v.detail.clone(),
            });
        }
    }
    LessonReport {
        path: lesson.path.clone(),
        id: Some(lesson.id.clone()),
        title: Some(lesson.title.clone()),
        kernel: Some(lesson.kernel.name().to_owned()),
        kernel_label: Some(lesson.kernel.label()),
        diagnostics,
        assertions,
        predictions: lesson.prediction_count(),
        not_run,
    }
}

/// What [`collect`] found.
#[derive(Clone, Debug, Default)]
pub struct Collected {
    /// Lesson files, in order: each argument's, sorted within a directory.
    pub files: Vec<PathBuf>,
    /// Problems that make the check fail: missing paths, unreadable directories, a limit hit.
    pub errors: Vec<String>,
    /// Entries deliberately not read, with the reason: symlinked directories (never followed inside a
    /// walk), FIFOs, sockets and devices named `*.md`.
    pub skipped: Vec<String>,
}

/// Expand files and directories into lesson files: every `*.md` under a directory except `README.md`,
/// sorted; files named explicitly are always checked (and a directory named explicitly is walked even if
/// the name is a symlink). Inside a walk, symlinked directories are not followed, only regular files (or
/// symlinks to them) are taken, and the walk is bounded by [`limits::MAX_FILES`],
/// [`limits::MAX_DIR_DEPTH`] and [`limits::MAX_DIR_ENTRIES`], each reported when hit.
pub fn collect(paths: &[PathBuf]) -> Collected {
    let mut found = Collected::default();
    let mut entries_seen = 0;
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                if let Err(e) = walk(p, 0, &mut entries_seen, &mut found) {
                    found.errors.push(format!("{}: {e}", p.display()));
                }
            }
            Ok(m) if m.is_file() => found.files.push(p.clone()),
            Ok(m) => found
                .errors
                .push(format!("{}: {}", p.display(), not_regular(&m))),
            Err(_) => found
                .errors
                .push(format!("{}: no such file or directory", p.display())),
        }
        if found.files.len() > limits::MAX_FILES {
            found.errors.push(format!(
                "more than {} lesson files (MAX_FILES)",
                limits::MAX_FILES
            ));
            found.files.truncate(limits::MAX_FILES);
            break;
        }
        if entries_seen > limits::MAX_DIR_ENTRIES {
            break;
        }
    }
    found
}

fn is_lesson_name(p: &Path) -> bool {
    p.extension().is_some_and(|x| x == "md") && p.file_name().is_some_and(|n| n != "README.md")
}

fn walk(dir: &Path, depth: usize, seen: &mut usize, found: &mut Collected) -> std::io::Result<()> {
    if depth > limits::MAX_DIR_DEPTH {
        found.errors.push(format!(
            "{}: more than {} directory levels (MAX_DIR_DEPTH); not descended",
            dir.display(),
            limits::MAX_DIR_DEPTH
        ));
        return Ok(());
    }
    let mut entries = Vec::new();
    for e in std::fs::read_dir(dir)? {
        *seen += 1;
        if *seen > limits::MAX_DIR_ENTRIES {
            found.errors.push(format!(
                "more than {} directory entries (MAX_DIR_ENTRIES); the walk stopped at {}",
                limits::MAX_DIR_ENTRIES,
                dir.display()
            ));
            return Ok(());
        }
        // `DirEntry::file_type` does not follow symlinks.
        if let Ok(e) = e {
            if let Ok(t) = e.file_type() {
                entries.push((e.path(), t));
            }
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, t) in entries {
        if found.files.len() > limits::MAX_FILES {
            break;
        }
        if t.is_dir() {
            walk(&path, depth + 1, seen, found)?;
        } else if t.is_file() {
            if is_lesson_name(&path) {
                found.files.push(path);
            }
        } else if t.is_symlink() {
            match std::fs::metadata(&path) {
                Ok(m) if m.is_file() => {
                    if is_lesson_name(&path) {
                        found.files.push(path);
                    }
                }
                Ok(m) if m.is_dir() => found.skipped.push(format!(
                    "{}: symlinked directory, not followed",
                    path.display()
                )),
                Ok(m) if is_lesson_name(&path) => {
                    found
                        .skipped
                        .push(format!("{}: {}", path.display(), not_regular(&m)))
                }
                Ok(_) => {}
                Err(_) if is_lesson_name(&path) => found
                    .skipped
                    .push(format!("{}: dangling symlink", path.display())),
                Err(_) => {}
            }
        } else if is_lesson_name(&path) {
            found.skipped.push(format!(
                "{}: not a regular file (a FIFO, socket or device); lessons are read from regular files only",
                path.display()
            ));
        }
    }
    Ok(())
}
