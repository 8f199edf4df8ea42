//! The TOML front matter: serde shapes (`deny_unknown_fields` everywhere, so a typo is an error with its
//! line:col) and their validation into [`Scenario`] and the lesson header.

use crate::diag::{Diagnostic, SourceMap};
use crate::limits;
use crate::model::{
    DriverSettings, FileKind, KernelVersion, LessonKind, LessonLimits, Pattern, Scenario, Select,
    Span, Vma, VmaKind, VmaProt,
};
use crate::values;
use hmm_sim::{BPolicy, PageState, UnifiedEntry};
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFront {
    id: Spanned<String>,
    schema: Spanned<i64>,
    title: Spanned<String>,
    kernel: Spanned<String>,
    kind: Spanned<String>,
    #[serde(default)]
    audience: Vec<Spanned<String>>,
    source: Option<Spanned<String>>,
    scaled: Option<Spanned<String>>,
    limits: Option<RawLimits>,
    scenario: RawScenario,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    steps: Option<Spanned<i64>>,
    schedules: Option<Spanned<i64>>,
    events: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    pages: Option<Spanned<i64>>,
    states: Option<Spanned<String>>,
    content: Option<Spanned<String>>,
    devices: Option<Spanned<i64>>,
    #[serde(default)]
    vma: Vec<RawVma>,
    driver: Option<RawDriver>,
    #[serde(default)]
    threads: Vec<Spanned<String>>,
    file: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVma {
    pages: Spanned<String>,
    kind: Option<Spanned<String>>,
    prot: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDriver {
    select: Option<Vec<Spanned<String>>>,
    owner: Option<Spanned<i64>>,
    write: Option<bool>,
    b_policy: Option<Spanned<String>>,
    rfc_v1: Option<bool>,
    unified_entry: Option<Spanned<String>>,
    owner_filter: Option<bool>,
    lock_across_setup: Option<bool>,
    fault_lock: Option<bool>,
    file_copy_back: Option<bool>,
}

/// The validated header of a lesson.
pub struct Front {
    pub id: String,
    pub schema: u32,
    pub title: String,
    pub kernel: KernelVersion,
    pub kind: LessonKind,
    pub source: Option<String>,
    pub scaled: Option<String>,
    /// Who the lesson is written for (`student`, `kernel`, `speaker`), as listed.
    pub audience: Vec<String>,
    pub limits: LessonLimits,
    pub scenario: Scenario,
}

pub const SCHEMA: i64 = 1;

/// Collects diagnostics for spans relative to the front-matter text.
struct Ctx<'a, 'm> {
    map: &'a SourceMap<'m>,
    base: usize,
    diags: Vec<Diagnostic>,
}

impl Ctx<'_, '_> {
    fn err(&mut self, span: Span, message: impl Into<String>) {
        self.diags.push(
            self.map
                .error(self.base + span.start..self.base + span.end, message),
        );
    }
}

pub fn parse(map: &SourceMap<'_>, front: Span) -> Result<Front, Vec<Diagnostic>> {
    let text = map.text.get(front.clone()).unwrap_or("");
    let raw: RawFront = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let message = format!("front matter: {}", e.message().trim_end());
            return Err(vec![
                map.error(front.start + span.start..front.start + span.end, message)
            ]);
        }
    };
    let mut cx = Ctx {
        map,
        base: front.start,
        diags: Vec::new(),
    };

    let id = raw.id.get_ref().clone();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        cx.err(
            raw.id.span(),
            "`id` must be non-empty lowercase ASCII letters, digits, `-` or `_`",
        );
    }
    if *raw.schema.get_ref() != SCHEMA {
        cx.err(
            raw.schema.span(),
            format!(
                "unsupported schema {}: this hmmviz reads schema {SCHEMA}",
                raw.schema.get_ref()
            ),
        );
    }
    if raw.title.get_ref().trim().is_empty() {
        cx.err(raw.title.span(), "`title` must not be empty");
    }
    let kernel = KernelVersion::parse(raw.kernel.get_ref()).unwrap_or_else(|e| {
        cx.err(raw.kernel.span(), e);
        KernelVersion::V6_15
    });
    let kind = match raw.kind.get_ref().as_str() {
        "lesson" => LessonKind::Lesson,
        "selftest" => LessonKind::Selftest,
        other => {
            cx.err(
                raw.kind.span(),
                format!("unknown kind `{other}`: expected lesson or selftest"),
            );
            LessonKind::Lesson
        }
    };
    for a in &raw.audience {
        if !matches!(a.get_ref().as_str(), "student" | "kernel" | "speaker") {
            cx.err(
                a.span(),
                format!(
                    "unknown audience `{}`: expected student, kernel or speaker",
                    a.get_ref()
                ),
            );
        }
    }
    if kind == LessonKind::Selftest && raw.source.is_none() {
        cx.err(
            raw.kind.span(),
            "a selftest lesson must name its `source` (the test in hmm-tests.c)",
        );
    }

    let limits = limits_of(&mut cx, raw.limits);
    let scenario = scenario_of(&mut cx, raw.scenario);
    if cx.diags.is_empty() {
        Ok(Front {
            id,
            schema: SCHEMA as u32,
            title: raw.title.into_inner(),
            kernel,
            kind,
            source: raw.source.map(Spanned::into_inner),
            scaled: raw.scaled.map(Spanned::into_inner),
            audience: raw.audience.into_iter().map(Spanned::into_inner).collect(),
            limits,
            scenario,
        })
    } else {
        Err(cx.diags)
    }
}

fn bounded(cx: &mut Ctx<'_, '_>, value: &Spanned<i64>, min: i64, max: u64, what: &str) -> u64 {
    let v = *value.get_ref();
    if v < min || v as u64 > max {
        cx.err(
            value.span(),
            format!("{what} must be between {min} and {max}, found {v}"),
        );
        return min.max(0) as u64;
    }
    v as u64
}

fn limits_of(cx: &mut Ctx<'_, '_>, raw: Option<RawLimits>) -> LessonLimits {
    let mut limits = LessonLimits {
        steps: limits::DEFAULT_STEPS,
        schedules: limits::DEFAULT_SCHEDULES,
        events: limits::DEFAULT_EVENTS,
    };
    if let Some(raw) = raw {
        if let Some(s) = &raw.steps {
            limits.steps = bounded(cx, s, 1, limits::MAX_STEPS, "limits.steps");
        }
        if let Some(s) = &raw.schedules {
            limits.schedules = bounded(cx, s, 1, limits::MAX_SCHEDULES, "limits.schedules");
        }
        if let Some(s) = &raw.events {
            limits.events = bounded(cx, s, 1, limits::MAX_EVENTS, "limits.events");
        }
    }
    limits
}

fn scenario_of(cx: &mut Ctx<'_, '_>, raw: RawScenario) -> Scenario {
    // Page count: from `pages`, from `states`, or both (then they must agree).
    let count_from_pages = raw
        .pages
        .as_ref()
        .map(|p| bounded(cx, p, 1, limits::MAX_PAGES as u64, "scenario.pages") as usize);
    let states = match &raw.states {
        Some(s) => states_of(cx, s),
        None => vec![PageState::None; count_from_pages.unwrap_or(0)],
    };
    let pages = match (count_from_pages, &raw.states) {
        (Some(n), Some(s)) if !states.is_empty() && n != states.len() => {
            cx.err(
                s.span(),
                format!(
                    "scenario.states has {} letters but scenario.pages is {n}",
                    states.len()
                ),
            );
            n
        }
        (None, None) => {
            cx.diags.push(
                cx.map
                    .error(cx.base..cx.base, "[scenario] needs `pages` or `states`"),
            );
            0
        }
        _ => states.len(),
    };

    let content = match &raw.content {
        Some(c) => values::pattern(c.get_ref()).unwrap_or_else(|m| {
            cx.err(c.span(), format!("scenario.content: {m}"));
            Pattern::Index { offset: 0 }
        }),
        None => Pattern::Index { offset: 0 },
    };
    let devices = match &raw.devices {
        Some(d) => bounded(cx, d, 0, limits::MAX_DEVICES as u64, "scenario.devices") as usize,
        None => 1,
    };

    // States that need a device the scenario does not open: reported at the first such letter.
    if let Some(s) = &raw.states {
        for (state, letter, need) in [
            (PageState::OtherDevice, 'O', 2),
            (PageState::DevicePrivate, 'D', 1),
        ] {
            if devices < need && states.contains(&state) {
                let position = s.get_ref().chars().position(|c| c == letter).unwrap_or(0);
                let at = string_char_span(cx, s, position);
                cx.err(
                    at,
                    format!(
                        "scenario.states: `{letter}` pages live on device {}: the scenario needs devices = {need} (it has {devices})",
                        need - 1
                    ),
                );
            }
        }
    }

    let vmas = vmas_of(cx, &raw.vma, pages);

    let driver = driver_of(cx, raw.driver, devices);

    let threads = threads_of(cx, &raw.threads);

    let file = raw.file.as_ref().and_then(|f| match f.get_ref().as_str() {
        "tmpfs" => Some(FileKind::Tmpfs),
        "disk" => Some(FileKind::Disk),
        other => {
            cx.err(
                f.span(),
                format!("scenario.file: unknown file `{other}`: expected \"tmpfs\" or \"disk\""),
            );
            None
        }
    });
    if file.is_none() && raw.file.is_none() {
        if let Some(v) = raw.vma.iter().find(|v| {
            v.kind
                .as_ref()
                .is_some_and(|k| k.get_ref().starts_with("file_"))
        }) {
            cx.err(
                v.pages.span(),
                "a file vma maps the scenario's file: declare it with `file = \"tmpfs\"` or `file = \"disk\"` in [scenario]",
            );
        }
    }

    Scenario {
        states,
        content,
        devices,
        vmas,
        driver,
        threads,
        file,
    }
}

/// `scenario.states`, parsed once, here, by hmm-sim: the runner uses these states as they are.
fn states_of(cx: &mut Ctx<'_, '_>, s: &Spanned<String>) -> Vec<PageState> {
    match hmm_sim::parse_states(s.get_ref()) {
        Ok(v) => v,
        Err(e) => {
            // Point at the offending character: +1 skips the opening quote of a basic string.
            let span = s.span();
            let position = match e {
                hmm_sim::ScenarioError::BadLetter { position, .. }
                | hmm_sim::ScenarioError::BadRepeat { position } => Some(position),
                _ => None,
            };
            let at = match position {
                Some(position) => string_char_span(cx, s, position),
                None => span,
            };
            cx.err(at, format!("scenario.states: {e}"));
            Vec::new()
        }
    }
}

/// The span, in the front matter, of character `position` of a string value, whatever its TOML form
/// (basic or literal, one line or three quotes, escapes); the whole value if the source cannot be mapped.
fn string_char_span(cx: &Ctx<'_, '_>, s: &Spanned<String>, position: usize) -> Span {
    let span = s.span();
    let raw = cx
        .map
        .text
        .get(cx.base + span.start..cx.base + span.end)
        .unwrap_or("");
    let value = s.get_ref();
    let offsets = crate::diag::toml_string_offsets(raw).filter(|o| o.len() == value.len() + 1);
    match (offsets, value.char_indices().nth(position)) {
        (Some(o), Some((byte, c))) => span.start + o[byte]..span.start + o[byte + c.len_utf8()],
        _ => span,
    }
}

/// `[[scenario.vma]]`: sorted, non-overlapping; one private read-write vma over all pages by default.
fn vmas_of(cx: &mut Ctx<'_, '_>, raw: &[RawVma], pages: usize) -> Vec<Vma> {
    let mut vmas = Vec::new();
    // Accepted, pairwise disjoint, non-empty vmas by start → end: an overlap check is one lookup, so
    // 30,000 vmas validate in milliseconds (a linear scan each took 6.9 s, issue 14).
    let mut disjoint: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
    for v in raw {
        let range = values::pages(v.pages.get_ref(), pages).unwrap_or_else(|m| {
            cx.err(v.pages.span(), format!("vma.pages: {m}"));
            crate::model::Pages { start: 0, end: 0 }
        });
        let kind = v.kind.as_ref().map_or(Ok(VmaKind::AnonPrivate), |k| {
            values::vma_kind(k.get_ref()).map_err(|m| (k.span(), m))
        });
        let prot = v.prot.as_ref().map_or(Ok(VmaProt::ReadWrite), |p| {
            values::prot(p.get_ref()).map_err(|m| (p.span(), m))
        });
        match (kind, prot) {
            (Ok(kind), Ok(prot)) => {
                // Disjoint and sorted, so the last one starting before our end reaches furthest.
                let prev = disjoint
                    .range(..range.end)
                    .next_back()
                    .filter(|(_, &end)| range.start < end);
                if let Some((&start, &end)) = prev {
                    cx.err(
                        v.pages.span(),
                        format!(
                            "vma {}..{} overlaps vma {start}..{end}",
                            range.start, range.end
                        ),
                    );
                } else if range.start < range.end {
                    disjoint.insert(range.start, range.end);
                }
                vmas.push(Vma {
                    pages: range,
                    kind,
                    prot,
                });
            }
            (k, p) => {
                for (span, m) in [k.err(), p.err()].into_iter().flatten() {
                    cx.err(span, m);
                }
            }
        }
    }
    if raw.is_empty() && pages > 0 {
        // The common case: one private anonymous read-write mapping over the whole range.
        vmas.push(Vma {
            pages: crate::model::Pages {
                start: 0,
                end: pages,
            },
            kind: VmaKind::AnonPrivate,
            prot: VmaProt::ReadWrite,
        });
    }
    vmas.sort_by_key(|v| v.pages.start);

    vmas
}

/// `[scenario.driver]` over the defaults.
fn driver_of(cx: &mut Ctx<'_, '_>, raw: Option<RawDriver>, devices: usize) -> DriverSettings {
    let mut driver = DriverSettings {
        select: Select {
            system: true,
            device_private: false,
        },
        owner: 0,
        // As the RFC's test driver: REQ_FAULT|REQ_MIGRATE, no REQ_WRITE.
        write: false,
        b_policy: BPolicy::Partial,
        rfc_v1: false,
        unified_entry: UnifiedEntry::HmmRangeFault,
        owner_filter: true,
        lock_across_setup: false,
        fault_lock: false,
        file_copy_back: true,
    };
    if let Some(d) = raw {
        if let Some(sel) = &d.select {
            driver.select = Select::default();
            for s in sel {
                match s.get_ref().as_str() {
                    "system" => driver.select.system = true,
                    "device_private" => driver.select.device_private = true,
                    other => cx.err(
                        s.span(),
                        format!("unknown select flag `{other}`: expected system or device_private"),
                    ),
                }
            }
        }
        if let Some(o) = &d.owner {
            let max = devices.saturating_sub(1) as u64;
            driver.owner = bounded(cx, o, 0, max, "driver.owner (a device index)") as usize;
        }
        driver.write = d.write.unwrap_or(driver.write);
        driver.rfc_v1 = d.rfc_v1.unwrap_or(driver.rfc_v1);
        driver.file_copy_back = d.file_copy_back.unwrap_or(driver.file_copy_back);
        if let Some(p) = &d.b_policy {
            match BPolicy::parse(p.get_ref()) {
                Ok(p) => driver.b_policy = p,
                Err(e) => cx.err(p.span(), e),
            }
        }
        if let Some(e) = &d.unified_entry {
            match UnifiedEntry::parse(e.get_ref()) {
                Ok(e) => driver.unified_entry = e,
                Err(m) => cx.err(e.span(), m),
            }
        }
        driver.owner_filter = d.owner_filter.unwrap_or(driver.owner_filter);
        driver.lock_across_setup = d.lock_across_setup.unwrap_or(driver.lock_across_setup);
        driver.fault_lock = d.fault_lock.unwrap_or(driver.fault_lock);
    }

    driver
}

/// `scenario.threads`: well-formed, distinct, at most `limits::MAX_THREADS`.
fn threads_of(cx: &mut Ctx<'_, '_>, raw: &[Spanned<String>]) -> Vec<String> {
    let mut threads: Vec<String> = Vec::new();
    for t in raw {
        let name = t.get_ref();
        let well_formed = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !well_formed || name == "main" {
            cx.err(
                t.span(),
                format!("thread name `{name}` must be lowercase letters/digits/_ and not `main`"),
            );
        } else if threads.contains(name) {
            cx.err(t.span(), format!("thread `{name}` is declared twice"));
        } else {
            threads.push(name.clone());
        }
    }
    if threads.len() > limits::MAX_THREADS {
        cx.diags.push(cx.map.error(
            cx.base..cx.base,
            format!("more than {} threads", limits::MAX_THREADS),
        ));
    }

    threads
}
