//! Parse, then validate: text → [`Lesson`] or every diagnostic found.
//!
//! Stage 1 (shape) splits the file and parses the front matter, each action, assertion and prediction on its
//! own, collecting every error rather than stopping at the first. Stage 2 (meaning) walks the beats in
//! order and checks what only makes sense in context: results used before they are bound, devices and
//! threads that do not exist, queued thread work without a `run`, lane probes before the lane ran.

use crate::action;
use crate::assertion;
use crate::diag::{Diagnostic, SourceMap};
use crate::front;
use crate::limits;
use crate::markdown::{self, BlockKind};
use crate::model::{
    Action, Assertion, Beat, Check, Lesson, Location, Probe, Property, ResultField, Span, Strategy,
    Value, Verb, WhichWorld,
};
use crate::predict;
use std::collections::BTreeMap;

/// Parse and validate one lesson file. Never panics; returns the diagnostics it finds, at most
/// [`limits::MAX_DIAGNOSTICS`] of them plus a line counting the rest.
pub fn parse(path: &str, text: &str) -> Result<Lesson, Vec<Diagnostic>> {
    parse_all(path, text).map_err(crate::diag::cap)
}

fn parse_all(path: &str, text: &str) -> Result<Lesson, Vec<Diagnostic>> {
    let map = SourceMap::new(path, text);
    if text.len() > limits::MAX_FILE_BYTES {
        return Err(vec![map.error(
            0..0,
            format!(
                "file is {} bytes; the limit is {}",
                text.len(),
                limits::MAX_FILE_BYTES
            ),
        )]);
    }
    let split = markdown::split(&map)?;
    let header = front::parse(&map, split.front.clone())?;
    let page_count = header.scenario.pages();

    let mut diags = Vec::new();
    let mut beats = Vec::new();
    for raw in &split.beats {
        let mut beat = Beat {
            title: raw.title.clone(),
            span: raw.span.clone(),
            prose: raw.prose.trim().to_string(),
            actions: vec![],
            predictions: vec![],
            assertions: vec![],
        };
        for block in &raw.blocks {
            match block.kind {
                BlockKind::Predict => match predict::parse(&map, block.body.clone(), page_count) {
                    Ok(p) => beat.predictions.push(p),
                    Err(d) => diags.extend(d),
                },
                BlockKind::Actions | BlockKind::Assert => {
                    for (i, (start, line)) in block_lines(text, block.body.clone()).enumerate() {
                        if i >= limits::MAX_BLOCK_LINES {
                            diags.push(map.error(
                                start..start + line.len(),
                                format!("more than {} lines in one block", limits::MAX_BLOCK_LINES),
                            ));
                            break;
                        }
                        let content = line.split('#').next().unwrap_or("");
                        if content.trim().is_empty() {
                            continue;
                        }
                        let result = if block.kind == BlockKind::Actions {
                            action::parse_line(&action::words(line, start), page_count)
                                .map(|a| beat.actions.push(a))
                        } else {
                            assertion::parse_line(content, start, page_count)
                                .map(|a| beat.assertions.push(a))
                        };
                        if let Err((span, message)) = result {
                            diags.push(map.error(span, message));
                        }
                    }
                }
            }
        }
        beats.push(beat);
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let lesson = Lesson {
        path: path.to_string(),
        id: header.id,
        schema: header.schema,
        title: header.title,
        kernel: header.kernel,
        kind: header.kind,
        source: header.source,
        scaled: header.scaled,
        audience: header.audience,
        limits: header.limits,
        scenario: header.scenario,
        beats,
    };
    let diags = validate(&map, &lesson);
    if diags.is_empty() {
        Ok(lesson)
    } else {
        Err(diags)
    }
}

/// Lines of a block body with their file offsets.
fn block_lines(text: &str, body: Span) -> impl Iterator<Item = (usize, &str)> {
    let slice = text.get(body.clone()).unwrap_or("");
    let mut offset = body.start;
    slice.split_inclusive('\n').map(move |raw| {
        let start = offset;
        offset += raw.len();
        (start, raw.trim_end_matches(['\n', '\r']))
    })
}

/// What has been defined so far, walking the lesson in order.
#[derive(Default)]
struct Scope {
    /// Result name → the op that produced it.
    results: BTreeMap<String, Verb>,
    processes: Vec<String>,
    lanes_run: Vec<Strategy>,
    ran_threads: bool,
    /// Names bound by queued actions of this beat's latest `run`: what schedule result properties may read.
    run_results: Vec<String>,
}

fn validate(map: &SourceMap<'_>, lesson: &Lesson) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut scope = Scope::default();
    let sc = &lesson.scenario;
    let mut any_assertion = false;
    for beat in &lesson.beats {
        let mut queued: Option<Span> = None;
        let mut queued_binds = Vec::new();
        scope.run_results.clear();
        for a in &beat.actions {
            validate_action(map, lesson, a, &mut scope, &mut diags);
            if a.thread.is_some() {
                queued.get_or_insert(a.span.clone());
                queued_binds.extend(a.bind.clone());
            }
            if matches!(a.op, Verb::Run { .. }) {
                if queued.is_none() {
                    diags.push(map.error(
                        a.span.clone(),
                        "`run` with no queued thread work: prefix actions with `tN:` first",
                    ));
                }
                queued = None;
                scope.ran_threads = true;
                scope.run_results = std::mem::take(&mut queued_binds);
            }
        }
        if let Some(span) = queued {
            diags.push(map.error(
                span,
                "work queued on a thread is never run: add a `run` line after it in this beat",
            ));
        }
        for p in &beat.predictions {
            if let Some(v) = &p.verify {
                validate_assertion(map, v, &scope, sc.devices, &mut diags);
            }
        }
        for a in &beat.assertions {
            any_assertion = true;
            validate_assertion(map, a, &scope, sc.devices, &mut diags);
        }
    }
    if !any_assertion {
        diags.push(map.error(
            0..3,
            "a lesson needs at least one assertion (an ```assert block)",
        ));
    }
    diags
}

fn validate_action(
    map: &SourceMap<'_>,
    lesson: &Lesson,
    a: &Action,
    scope: &mut Scope,
    diags: &mut Vec<Diagnostic>,
) {
    let sc = &lesson.scenario;
    if let Some(t) = &a.thread {
        if !sc.threads.contains(t) {
            diags.push(map.error(
                a.span.clone(),
                format!("thread `{t}` is not declared in scenario.threads"),
            ));
        }
    }
    let proc_ok = |p: &Option<String>, scope: &Scope, diags: &mut Vec<Diagnostic>| {
        if let Some(p) = p {
            if !scope.processes.contains(p) {
                diags.push(map.error(
                    a.span.clone(),
                    format!("process `{p}` does not exist: create it with `{p} = fork`"),
                ));
            }
        }
    };
    match &a.op {
        Verb::Dmirror { dev, proc, .. } => {
            if *dev >= sc.devices {
                diags.push(map.error(
                    a.span.clone(),
                    format!(
                        "device {dev} is not opened: the scenario has {} device(s)",
                        sc.devices
                    ),
                ));
            }
            proc_ok(proc, scope, diags);
        }
        Verb::CpuRead { proc, .. } | Verb::CpuWrite { proc, .. } => proc_ok(proc, scope, diags),
        Verb::Lane { lane, resume, .. } => {
            if *resume && !scope.lanes_run.contains(lane) {
                diags.push(map.error(
                    a.span.clone(),
                    format!(
                        "`lane {} resume` before any `lane {}` run",
                        lane.name(),
                        lane.name()
                    ),
                ));
            }
            if !scope.lanes_run.contains(lane) {
                scope.lanes_run.push(*lane);
            }
        }
        Verb::Fork => {}
        Verb::FileRead { .. } | Verb::FileWrite { .. } | Verb::Fsync | Verb::Truncate { .. } => {
            if sc.file.is_none() {
                diags.push(map.error(
                    a.span.clone(),
                    "the scenario has no file: declare one with `file = \"tmpfs\"` or `file = \"disk\"` in [scenario]",
                ));
            }
        }
        Verb::Mirror { .. }
        | Verb::Mprotect { .. }
        | Verb::Madvise { .. }
        | Verb::Munmap { .. }
        | Verb::Mremap { .. }
        | Verb::GupTest { .. }
        | Verb::Run { .. } => {}
    }
    if let Some(name) = &a.bind {
        if scope.results.contains_key(name) || scope.processes.contains(name) {
            diags.push(map.error(
                a.span.clone(),
                format!("`{name}` is already bound; give each result its own name"),
            ));
        } else if matches!(a.op, Verb::Fork) {
            scope.processes.push(name.clone());
        } else if matches!(
            a.op,
            Verb::Mirror { .. }
                | Verb::Mprotect { .. }
                | Verb::Munmap { .. }
                | Verb::CpuWrite { .. }
                | Verb::FileWrite { .. }
                | Verb::Fsync
                | Verb::Truncate { .. }
        ) {
            diags.push(map.error(
                a.span.clone(),
                "only dmirror, cpu read, file read, mremap, madvise, gup_test, lane and run produce a result to name",
            ));
        } else {
            scope.results.insert(name.clone(), a.op.clone());
        }
    }
}

fn validate_assertion(
    map: &SourceMap<'_>,
    a: &Assertion,
    scope: &Scope,
    devices: usize,
    diags: &mut Vec<Diagnostic>,
) {
    let need_lane = |w: &WhichWorld, diags: &mut Vec<Diagnostic>| {
        if let WhichWorld::Lane(l) = w {
            if !scope.lanes_run.contains(l) {
                diags.push(map.error(
                    a.span.clone(),
                    format!(
                        "lane {} has not run yet: add `lane {}` before this assertion",
                        l.name(),
                        l.name()
                    ),
                ));
            }
        }
    };
    match &a.check {
        Check::Compare { probe, value, .. } => {
            match probe {
                Probe::Result { name, field, .. } => match scope.results.get(name) {
                    None => diags.push(map.error(
                        a.span.clone(),
                        format!("no result named `{name}` before this assertion"),
                    )),
                    Some(op) => check_result_field(map, a, name, op, *field, value, diags),
                },
                Probe::Page { world, .. }
                | Probe::Counter { world, .. }
                | Probe::LocksHeld { world } => need_lane(world, diags),
                Probe::Mirror { .. } => {}
            }
            if let Value::Location(Location::Dev(d)) = value {
                if *d >= devices {
                    diags.push(map.error(
                        a.span.clone(),
                        format!("dev{d} does not exist: the scenario has {devices} device(s)"),
                    ));
                }
            }
        }
        Check::LanesAgree => {
            for l in Strategy::ALL {
                need_lane(&WhichWorld::Lane(l), diags);
            }
        }
        Check::ExistsSchedule(p) | Check::AllSchedules(p) => {
            if !scope.ran_threads {
                diags.push(map.error(
                    a.span.clone(),
                    "no `run` of threads before this schedule assertion",
                ));
            }
            if let Property::Result(r) = p {
                for c in std::iter::once(&r.claim).chain(&r.when) {
                    let Probe::Result { name, field, .. } = &c.probe else {
                        continue;
                    };
                    match scope.results.get(name) {
                        Some(op) if scope.run_results.contains(name) => {
                            check_result_field(map, a, name, op, *field, &c.value, diags)
                        }
                        _ => diags.push(map.error(
                            a.span.clone(),
                            format!("`{name}` is not bound by a queued action of this beat's `run`: a schedule can only be asked about its own results"),
                        )),
                    }
                }
            }
        }
        Check::Eventually(e) | Check::Never(e) => need_lane(&e.world, diags),
        Check::Before(x, y) => {
            need_lane(&x.world, diags);
            need_lane(&y.world, diags);
        }
        Check::AlwaysInvariants => {}
    }
}

/// The fields a result of `op` has, and values it can be compared with.
fn check_result_field(
    map: &SourceMap<'_>,
    a: &Assertion,
    name: &str,
    op: &Verb,
    field: ResultField,
    value: &Value,
    diags: &mut Vec<Diagnostic>,
) {
    let ok = match op {
        Verb::Dmirror { .. } => !matches!(field, ResultField::Outcome),
        Verb::CpuRead { .. } | Verb::FileRead { .. } => matches!(field, ResultField::Data),
        Verb::Run { .. } => matches!(field, ResultField::Outcome),
        Verb::Lane { .. } => matches!(field, ResultField::Outcome | ResultField::Ret),
        Verb::Mremap { .. } | Verb::Madvise { .. } | Verb::GupTest { .. } => {
            matches!(field, ResultField::Ret)
        }
        _ => false,
    };
    if !ok {
        diags.push(map.error(a.span.clone(), format!("`{name}` has no field like that: dmirror results have ret/cpages/faults/data/snapshot, cpu and file reads have data, runs have outcome, lanes have ret and outcome, mremap, madvise and gup_test have ret")));
    }
    // A cpu read always returns data (a failed access shows per page), so `c.data == none` has no
    // meaning: refused here rather than judged by the evaluator.
    if ok && matches!(op, Verb::CpuRead { .. }) && matches!(value, Value::Nothing) {
        diags.push(map.error(
            a.span.clone(),
            format!("`{name}` is a cpu read, whose data is never `none`: compare it with a pattern (`{name}.data == i`)"),
        ));
    }
}
