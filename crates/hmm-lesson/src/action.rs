//! The action language of ```` ```hmm ```` blocks: one action per line.
//!
//! ```text
//! [THREAD:] [NAME =] VERB [WORD] key=value ...
//!
//! lane unified pages=0..16 until=milestone:all_on_device
//! r = dmirror READ dev=0 pages=0..16
//! cpu write pages=2..16 value=i
//! child = fork
//! t1: cpu read pages=0
//! run schedule=round_robin
//! ```
//!
//! Arguments are `key=value` words without spaces; an unknown key, a missing required key, or a repeated key
//! is an error at its column. `#` starts a comment.

use crate::model::{
    lane_from_name, Action, BPolicy, DmirrorCmd, DriverOverride, GupTestCmd, Pages, Schedule,
    Select, Span, UnifiedEntry, Until, Verb,
};
use crate::values;

/// A whitespace-separated word and its byte span in the file.
#[derive(Clone, Copy, Debug)]
pub struct Word<'a> {
    pub text: &'a str,
    pub start: usize,
}

impl Word<'_> {
    pub fn span(&self) -> Span {
        self.start..self.start + self.text.len()
    }
}

/// Words of one line (comment stripped); `base` is the line's offset in the file.
pub fn words(line: &str, base: usize) -> Vec<Word<'_>> {
    let line = match line.find('#') {
        Some(i) => &line[..i],
        None => line,
    };
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push(Word {
                    text: &line[s..i],
                    start: base + s,
                });
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push(Word {
            text: &line[s..],
            start: base + s,
        });
    }
    out
}

/// A problem at a span.
pub type Problem = (Span, String);

/// `key=value` arguments, each usable once; leftovers are reported as unknown keys.
struct Args<'a> {
    items: Vec<(Word<'a>, &'a str, usize, bool)>, // (whole word, key, value offset, used)
    verb_span: Span,
}

impl<'a> Args<'a> {
    fn new(words: &[Word<'a>], verb_span: Span) -> Result<Self, Problem> {
        let mut items: Vec<(Word<'a>, &'a str, usize, bool)> = Vec::new();
        for w in words {
            let Some((key, _)) = w.text.split_once('=') else {
                return Err((
                    w.span(),
                    format!("expected `key=value`, found `{}`", w.text),
                ));
            };
            if key.is_empty() {
                return Err((w.span(), format!("missing key before `=` in `{}`", w.text)));
            }
            if items.iter().any(|(_, k, _, _)| *k == key) {
                return Err((w.span(), format!("`{key}` is given twice")));
            }
            items.push((*w, key, w.start + key.len() + 1, false));
        }
        Ok(Args { items, verb_span })
    }

    /// The value and its span, if the key is present.
    fn opt(&mut self, key: &str) -> Option<(&'a str, Span)> {
        let item = self.items.iter_mut().find(|(_, k, _, _)| *k == key)?;
        item.3 = true;
        let value = &item.0.text[key.len() + 1..];
        Some((value, item.2..item.2 + value.len().max(1)))
    }

    fn req(&mut self, key: &str) -> Result<(&'a str, Span), Problem> {
        self.opt(key)
            .ok_or_else(|| (self.verb_span.clone(), format!("missing `{key}=`")))
    }

    fn finish(self, allowed: &[&str]) -> Result<(), Problem> {
        match self.items.iter().find(|(_, _, _, used)| !used) {
            Some((w, key, _, _)) => Err((
                w.start..w.start + key.len(),
                format!(
                    "unknown key `{key}`: this action takes {}",
                    if allowed.is_empty() {
                        "no keys".to_string()
                    } else {
                        allowed
                            .iter()
                            .map(|a| format!("`{a}=`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ),
            )),
            None => Ok(()),
        }
    }
}

fn bool_arg(args: &mut Args<'_>, key: &str) -> Result<Option<bool>, Problem> {
    match args.opt(key) {
        None => Ok(None),
        Some(("true", _)) => Ok(Some(true)),
        Some(("false", _)) => Ok(Some(false)),
        Some((other, span)) => Err((span, format!("`{key}={other}`: expected true or false"))),
    }
}

/// Per-run driver settings of a `lane` action.
fn driver_override(args: &mut Args<'_>) -> Result<DriverOverride, Problem> {
    let mut o = DriverOverride::default();
    if let Some((v, span)) = args.opt("select") {
        let mut sel = Select::default();
        for flag in v.split(',') {
            match flag {
                "system" => sel.system = true,
                "device_private" => sel.device_private = true,
                other => {
                    return Err((
                        span,
                        format!("unknown select flag `{other}`: expected system or device_private"),
                    ))
                }
            }
        }
        o.select = Some(sel);
    }
    if let Some((v, span)) = args.opt("owner") {
        let n = values::number(v).map_err(|m| (span.clone(), m))?;
        o.owner =
            Some(usize::try_from(n).map_err(|_| (span, format!("device {n} does not exist")))?);
    }
    o.write = bool_arg(args, "write")?;
    o.rfc_v1 = bool_arg(args, "rfc_v1")?;
    if let Some((v, span)) = args.opt("b_policy") {
        o.b_policy = Some(BPolicy::parse(v).map_err(|m| (span, m))?);
    }
    if let Some((v, span)) = args.opt("unified_entry") {
        o.unified_entry = Some(UnifiedEntry::parse(v).map_err(|m| (span, m))?);
    }
    o.owner_filter = bool_arg(args, "owner_filter")?;
    o.lock_across_setup = bool_arg(args, "lock_across_setup")?;
    o.fault_lock = bool_arg(args, "fault_lock")?;
    Ok(o)
}

fn pages_arg(args: &mut Args<'_>, page_count: usize) -> Result<Pages, Problem> {
    let (v, span) = args.req("pages")?;
    values::pages(v, page_count).map_err(|m| (span, m))
}

fn ident_ok(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Names that cannot be bindings because assertions give them another meaning.
pub const RESERVED: [&str; 20] = [
    "pte",
    "where",
    "refcount",
    "mapcount",
    "locked",
    "mem",
    "mirror",
    "locks_held",
    "counters",
    "main",
    "legacy_a",
    "legacy_b",
    "unified",
    "always",
    "eventually",
    "never",
    "exists",
    "all",
    "lanes_agree",
    "expect_fail",
];

/// Parse one non-empty action line. `page_count` bounds every page range.
pub fn parse_line(ws: &[Word<'_>], page_count: usize) -> Result<Action, Problem> {
    let line_span =
        ws.first().map_or(0, |w| w.start)..ws.last().map_or(0, |w| w.start + w.text.len());
    let mut rest = ws;
    let mut thread = None;
    if let Some(first) = rest.first() {
        if let Some(name) = first.text.strip_suffix(':') {
            if !ident_ok(name) {
                return Err((first.span(), format!("bad thread name `{name}`")));
            }
            thread = Some((name.to_string(), first.span()));
            rest = &rest[1..];
        }
    }
    let mut bind = None;
    if rest.len() >= 2 && rest[1].text == "=" {
        bind = Some(binding(rest[0])?);
        rest = &rest[2..];
    }
    let Some(verb) = rest.first() else {
        return Err((line_span, "expected an action after the name".into()));
    };
    let op = parse_verb(*verb, &rest[1..], page_count, bind.is_some())?;
    if let Some((_, span)) = &thread {
        if matches!(
            op,
            Verb::Run { .. } | Verb::Lane { .. } | Verb::Mirror { .. }
        ) {
            return Err((
                span.clone(),
                "only dmirror, cpu, mprotect, munmap, mremap, gup_test and fork can be queued on a thread"
                    .into(),
            ));
        }
    }
    Ok(Action {
        span: line_span,
        thread: thread.map(|(t, _)| t),
        bind,
        op,
    })
}

/// `NAME =`: a result name assertions can refer to.
fn binding(name: Word<'_>) -> Result<String, Problem> {
    if !ident_ok(name.text) || name.text.len() > 32 {
        return Err((
            name.span(),
            format!(
                "bad result name `{}`: use lowercase letters, digits and _",
                name.text
            ),
        ));
    }
    if RESERVED.contains(&name.text) {
        return Err((
            name.span(),
            format!(
                "`{}` is reserved in assertions; choose another name",
                name.text
            ),
        ));
    }
    Ok(name.text.to_string())
}

/// The verb word and the words after it. `bound`: the line names its result (`child = fork` needs it).
fn parse_verb(
    verb: Word<'_>,
    rest: &[Word<'_>],
    page_count: usize,
    bound: bool,
) -> Result<Verb, Problem> {
    let verb_span = verb.span();
    Ok(match verb.text {
        "lane" => lane(verb_span, rest, page_count)?,
        "dmirror" => dmirror(verb_span, rest, page_count)?,
        "cpu" => cpu(verb_span, rest, page_count)?,
        "mirror" => {
            let mut args = Args::new(rest, verb_span)?;
            let pages = pages_arg(&mut args, page_count)?;
            let (v, span) = args.req("value")?;
            let value = values::pattern(v).map_err(|m| (span, m))?;
            args.finish(&["pages", "value"])?;
            Verb::Mirror { pages, value }
        }
        "mprotect" => {
            let mut args = Args::new(rest, verb_span)?;
            let pages = pages_arg(&mut args, page_count)?;
            let (v, span) = args.req("prot")?;
            let prot = values::prot(v).map_err(|m| (span, m))?;
            args.finish(&["pages", "prot"])?;
            Verb::Mprotect { pages, prot }
        }
        "madvise" => {
            let mut args = Args::new(rest, verb_span)?;
            let pages = pages_arg(&mut args, page_count)?;
            let (v, span) = args.req("advice")?;
            let advice = match v {
                "hugepage" => hmm_sim::Madvice::HugePage,
                "free" => hmm_sim::Madvice::Free,
                other => {
                    return Err((
                        span,
                        format!("unknown advice `{other}`: expected hugepage (MADV_HUGEPAGE) or free (MADV_FREE)"),
                    ))
                }
            };
            args.finish(&["pages", "advice"])?;
            Verb::Madvise { pages, advice }
        }
        "munmap" => {
            let mut args = Args::new(rest, verb_span)?;
            let pages = pages_arg(&mut args, page_count)?;
            args.finish(&["pages"])?;
            Verb::Munmap { pages }
        }
        "mremap" => {
            let mut args = Args::new(rest, verb_span)?;
            let pages = pages_arg(&mut args, page_count)?;
            let (v, span) = args.req("to")?;
            let to = values::number(v).map_err(|m| (span.clone(), m))?;
            if to.saturating_add(pages.len() as u64) > page_count as u64 {
                return Err((
                    span,
                    format!(
                        "`to={to}` moves {} page(s) past the scenario's {page_count} pages",
                        pages.len()
                    ),
                ));
            }
            let dontunmap = bool_arg(&mut args, "dontunmap")?.unwrap_or(false);
            args.finish(&["pages", "to", "dontunmap"])?;
            Verb::Mremap {
                pages,
                to: to as usize,
                dontunmap,
            }
        }
        "gup_test" => {
            let Some(cmd_word) = rest.first() else {
                return Err((
                    verb_span,
                    format!("`gup_test` needs an ioctl: one of {}", gup_names()),
                ));
            };
            let cmd = GupTestCmd::parse(cmd_word.text).ok_or_else(|| {
                (
                    cmd_word.span(),
                    format!(
                        "unknown gup_test ioctl `{}`: expected one of {}",
                        cmd_word.text,
                        gup_names()
                    ),
                )
            })?;
            let mut args = Args::new(&rest[1..], verb_span)?;
            let pages = pages_arg(&mut args, page_count)?;
            let longterm = bool_arg(&mut args, "longterm")?.unwrap_or(false);
            args.finish(&["pages", "longterm"])?;
            Verb::GupTest {
                cmd,
                pages,
                longterm,
            }
        }
        "fork" => {
            Args::new(rest, verb_span.clone())?.finish(&[])?;
            if !bound {
                return Err((verb_span, "name the child process: `child = fork`".into()));
            }
            Verb::Fork
        }
        "run" => run(verb_span, rest)?,
        "file" => file(verb_span, rest, page_count)?,
        "fsync" => {
            Args::new(rest, verb_span)?.finish(&[])?;
            Verb::Fsync
        }
        "truncate" => {
            let mut args = Args::new(rest, verb_span)?;
            let (v, span) = args.req("pages")?;
            let pages = values::number(v).map_err(|m| (span.clone(), m))?;
            let pages = usize::try_from(pages)
                .ok()
                .filter(|&n| n <= page_count)
                .ok_or_else(|| {
                    (
                        span,
                        format!("truncate to {pages} pages: the file has at most {page_count}"),
                    )
                })?;
            args.finish(&["pages"])?;
            Verb::Truncate { pages }
        }
        other => {
            return Err((
                verb_span,
                format!("unknown action `{other}`: expected lane, dmirror, cpu, mirror, mprotect, madvise, munmap, mremap, gup_test, fork, file, fsync, truncate or run"),
            ))
        }
    })
}

/// `lane X [resume] [pages=R] [until=…] [driver keys]`.
fn lane(verb_span: Span, rest: &[Word<'_>], page_count: usize) -> Result<Verb, Problem> {
    let Some(which) = rest.first() else {
        return Err((
            verb_span,
            "`lane` needs a lane: legacy_a, legacy_b or unified".into(),
        ));
    };
    let lane = lane_from_name(which.text).ok_or_else(|| {
        (
            which.span(),
            format!(
                "unknown lane `{}`: expected legacy_a, legacy_b or unified",
                which.text
            ),
        )
    })?;
    let mut words_left = &rest[1..];
    let resume = words_left.first().is_some_and(|w| w.text == "resume");
    if resume {
        words_left = &words_left[1..];
    }
    let mut args = Args::new(words_left, verb_span.clone())?;
    let pages = match args.opt("pages") {
        Some((v, span)) => values::pages(v, page_count).map_err(|m| (span, m))?,
        None => Pages {
            start: 0,
            end: page_count,
        },
    };
    let until = match args.opt("until") {
        None => Until::Done,
        Some((v, span)) => until(v, span)?,
    };
    let driver = driver_override(&mut args)?;
    let keys = [
        "pages",
        "until",
        "select",
        "owner",
        "write",
        "b_policy",
        "rfc_v1",
        "unified_entry",
        "owner_filter",
        "lock_across_setup",
        "fault_lock",
    ];
    if resume
        && (args.items.iter().any(|(_, k, _, _)| *k != "until")
            || driver != DriverOverride::default())
    {
        return Err((
            verb_span,
            "`lane … resume` continues the stopped run: it takes only `until=`".into(),
        ));
    }
    args.finish(&keys)?;
    Ok(Verb::Lane {
        lane,
        pages,
        until,
        resume,
        driver,
    })
}

/// `until=step:N` or `until=milestone:NAME`.
fn until(v: &str, span: Span) -> Result<Until, Problem> {
    if let Some(n) = v.strip_prefix("step:") {
        return Ok(Until::Step(values::number(n).map_err(|m| (span, m))?));
    }
    let Some(m) = v.strip_prefix("milestone:") else {
        return Err((
            span,
            format!("`until={v}`: expected step:N or milestone:NAME"),
        ));
    };
    if hmm_sim::Milestone::from_key(m).is_none() {
        return Err((
            span,
            format!(
                "unknown milestone `{m}`: expected one of {}",
                crate::runner::milestone_keys().join(", ")
            ),
        ));
    }
    Ok(Until::Milestone(m.to_string()))
}

/// `dmirror CMD [dev=N] pages=R [proc=P]`.
fn dmirror(verb_span: Span, rest: &[Word<'_>], page_count: usize) -> Result<Verb, Problem> {
    let Some(cmd_word) = rest.first() else {
        return Err((
            verb_span,
            "`dmirror` needs a command such as READ or MIGRATE_TO_DEV".into(),
        ));
    };
    let cmd = DmirrorCmd::parse(cmd_word.text).ok_or_else(|| {
        let all: Vec<_> = DmirrorCmd::ALL.iter().map(|c| c.name()).collect();
        (
            cmd_word.span(),
            format!(
                "unknown dmirror command `{}`: expected one of {}",
                cmd_word.text,
                all.join(", ")
            ),
        )
    })?;
    let mut args = Args::new(&rest[1..], verb_span)?;
    let dev = match args.opt("dev") {
        Some((v, span)) => values::number(v)
            .map_err(|m| (span.clone(), m))
            .and_then(|n| {
                usize::try_from(n).map_err(|_| (span, format!("device {n} does not exist")))
            })?,
        None => 0,
    };
    let pages = pages_arg(&mut args, page_count)?;
    let proc = args.opt("proc").map(|(v, _)| v.to_string());
    args.finish(&["dev", "pages", "proc"])?;
    Ok(Verb::Dmirror {
        cmd,
        dev,
        pages,
        proc,
    })
}

/// `file read pages=R` / `file write pages=R value=PATTERN`: `pread` / `pwrite` of the scenario's file.
fn file(verb_span: Span, rest: &[Word<'_>], page_count: usize) -> Result<Verb, Problem> {
    let Some(kind) = rest.first() else {
        return Err((verb_span, "`file` needs `read` or `write`".into()));
    };
    let mut args = Args::new(&rest[1..], verb_span)?;
    let pages = pages_arg(&mut args, page_count)?;
    match kind.text {
        "read" => {
            args.finish(&["pages"])?;
            Ok(Verb::FileRead { pages })
        }
        "write" => {
            let (v, span) = args.req("value")?;
            let value = values::pattern(v).map_err(|m| (span, m))?;
            args.finish(&["pages", "value"])?;
            Ok(Verb::FileWrite { pages, value })
        }
        other => Err((
            kind.span(),
            format!("unknown file access `{other}`: expected read or write"),
        )),
    }
}

/// `cpu read pages=R [proc=P]` / `cpu write pages=R value=PATTERN [proc=P]`.
fn cpu(verb_span: Span, rest: &[Word<'_>], page_count: usize) -> Result<Verb, Problem> {
    let Some(kind) = rest.first() else {
        return Err((verb_span, "`cpu` needs `read` or `write`".into()));
    };
    let mut args = Args::new(&rest[1..], verb_span)?;
    let pages = pages_arg(&mut args, page_count)?;
    let proc = args.opt("proc").map(|(v, _)| v.to_string());
    match kind.text {
        "read" => {
            args.finish(&["pages", "proc"])?;
            Ok(Verb::CpuRead { pages, proc })
        }
        "write" => {
            let (v, span) = args.req("value")?;
            let value = values::pattern(v).map_err(|m| (span, m))?;
            args.finish(&["pages", "value", "proc"])?;
            Ok(Verb::CpuWrite { pages, value, proc })
        }
        other => Err((
            kind.span(),
            format!("unknown cpu access `{other}`: expected read or write"),
        )),
    }
}

/// `run [schedule=round_robin|random seed=N|replay choices=…]`.
fn run(verb_span: Span, rest: &[Word<'_>]) -> Result<Verb, Problem> {
    let mut args = Args::new(rest, verb_span)?;
    let schedule = match args.opt("schedule") {
        None | Some(("round_robin", _)) => Schedule::RoundRobin,
        Some(("random", _)) => {
            let (v, span) = args.req("seed")?;
            Schedule::Random {
                seed: values::number(v).map_err(|m| (span, m))?,
            }
        }
        Some(("replay", _)) => {
            let (v, span) = args.req("choices")?;
            let choices: Vec<String> = v.split(',').map(str::to_string).collect();
            if choices.iter().any(|c| !ident_ok(c)) {
                return Err((
                    span,
                    "`choices=` is a comma-separated list of thread names".into(),
                ));
            }
            Schedule::Replay { choices }
        }
        Some((other, span)) => {
            return Err((
                span,
                format!("unknown schedule `{other}`: expected round_robin, random or replay"),
            ))
        }
    };
    args.finish(&["schedule", "seed", "choices"])?;
    Ok(Verb::Run { schedule })
}

fn gup_names() -> String {
    GupTestCmd::ALL.map(|c| c.name()).join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pattern;
    use crate::model::Strategy;

    fn parse(line: &str) -> Result<Action, Problem> {
        parse_line(&words(line, 0), 16)
    }

    #[test]
    fn parses_every_verb() {
        let a = parse("r = dmirror READ dev=1 pages=0..16").unwrap();
        assert_eq!(a.bind.as_deref(), Some("r"));
        assert_eq!(
            a.op,
            Verb::Dmirror {
                cmd: DmirrorCmd::Read,
                dev: 1,
                pages: Pages { start: 0, end: 16 },
                proc: None
            }
        );
        let a = parse("t1: cpu write pages=3 value=i+1 # bump").unwrap();
        assert_eq!(a.thread.as_deref(), Some("t1"));
        assert_eq!(
            a.op,
            Verb::CpuWrite {
                pages: Pages { start: 3, end: 4 },
                value: Pattern::Index { offset: 1 },
                proc: None
            }
        );
        assert!(matches!(
            parse("lane unified until=milestone:all_on_device")
                .unwrap()
                .op,
            Verb::Lane {
                lane: Strategy::Unified,
                ..
            }
        ));
        assert!(matches!(parse("child = fork").unwrap().op, Verb::Fork));
        assert!(matches!(
            parse("run schedule=replay choices=t1,t2,t1").unwrap().op,
            Verb::Run { .. }
        ));
        assert!(matches!(
            parse("mprotect pages=0..2 prot=none").unwrap().op,
            Verb::Mprotect { .. }
        ));
        assert!(matches!(
            parse("madvise pages=0..2 advice=hugepage").unwrap().op,
            Verb::Madvise {
                advice: hmm_sim::Madvice::HugePage,
                ..
            }
        ));
        let (_, m) = parse("madvise pages=0..2 advice=huge").unwrap_err();
        assert!(m.contains("unknown advice `huge`"), "{m}");
    }

    #[test]
    fn errors_point_at_the_offending_word() {
        let (span, m) = parse("dmirror READ pages=0..16 dve=0").unwrap_err();
        assert_eq!(span, 25..28);
        assert!(m.contains("unknown key `dve`"), "{m}");
        let (span, m) = parse("dmirror RAED pages=0").unwrap_err();
        assert_eq!(span, 8..12);
        assert!(m.contains("unknown dmirror command"));
        let (_, m) = parse("cpu read pages=0..99").unwrap_err();
        assert!(m.contains("past the scenario"));
        let a = parse("r = mremap pages=0..4 to=8 dontunmap=true").unwrap();
        assert_eq!(
            a.op,
            Verb::Mremap {
                pages: Pages { start: 0, end: 4 },
                to: 8,
                dontunmap: true
            }
        );
        let (_, m) = parse("mremap pages=0..4 to=14").unwrap_err();
        assert!(m.contains("past the scenario"), "{m}");
        let a = parse("g = gup_test PIN_FAST_BENCHMARK pages=2 longterm=true").unwrap();
        assert_eq!(
            a.op,
            Verb::GupTest {
                cmd: GupTestCmd::PinFastBenchmark,
                pages: Pages { start: 2, end: 3 },
                longterm: true
            }
        );
        let (_, m) = parse("gup_test PIN_SLOW pages=2").unwrap_err();
        assert!(m.contains("unknown gup_test ioctl"), "{m}");
        let (_, m) = parse("mremap pages=0..4").unwrap_err();
        assert!(m.contains("to"), "{m}");
        let (_, m) = parse("fork").unwrap_err();
        assert!(m.contains("child = fork"));
        let (_, m) = parse("t1: run").unwrap_err();
        assert!(m.contains("queued"));
        let (_, m) = parse("pte = cpu read pages=0").unwrap_err();
        assert!(m.contains("reserved"));
        let (_, m) = parse("cpu read pages=0 pages=1").unwrap_err();
        assert!(m.contains("twice"));
    }
}
