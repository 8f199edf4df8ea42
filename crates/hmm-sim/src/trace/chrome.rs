//! One lane's trace in the Chrome trace-event format (the JSON that Perfetto and chrome://tracing open), as
//! plain serde data: the CLI (`hmmviz export --perfetto`) and the web app serialise the same events.
//!
//! One process per lane, one thread per simulated thread. Kernel functions are complete (`X`) slices nested
//! by call depth; lock holds are async slices (`b`/`e`) named after the lock, one per hold, on a track of
//! their own per thread (holds overlap without nesting: hand-over-hand PTLs, a folio lock across a PTL); PTE
//! writes, faults, retries, errors and milestones are thread-scoped instant (`i`) events with their values
//! as arguments. Time is the step: one trace event of the simulator is one microsecond, so the viewer's
//! timeline is the step axis.

use std::collections::BTreeMap;

use serde::Serialize;

use super::spans::{call_spans, lock_holds};
use super::Ev;
use crate::errno::describe as describe_errno;

/// Thread ids of the lock-hold tracks: simulated thread `t` takes its locks on track `LOCK_TRACK + t`.
pub const CHROME_LOCK_TRACK: u32 = 1000;

/// An argument value of a trace event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ChromeArg {
    Text(String),
    Number(u64),
    Flag(bool),
}

/// One trace event. Fields a phase does not use are left out of the JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChromeEvent {
    /// The phase: `M` metadata, `X` complete slice, `b`/`e` async slice begin/end, `i` instant.
    pub ph: &'static str,
    pub pid: u32,
    pub tid: u32,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dur: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cat: Option<&'static str>,
    /// Async slices: pairs a `b` with its `e`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Instants: the scope (`t`, the thread).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s: Option<&'static str>,
    pub args: BTreeMap<&'static str, ChromeArg>,
}

impl ChromeEvent {
    fn new(ph: &'static str, pid: u32, tid: u32, name: String) -> ChromeEvent {
        ChromeEvent {
            ph,
            pid,
            tid,
            name,
            ts: None,
            dur: None,
            cat: None,
            id: None,
            s: None,
            args: BTreeMap::new(),
        }
    }

    fn meta(pid: u32, tid: u32, what: &'static str, name: String) -> ChromeEvent {
        let mut e = ChromeEvent::new("M", pid, tid, what.to_owned());
        e.args.insert("name", ChromeArg::Text(name));
        e
    }
}

/// Every trace event of one lane (`lane`: its name; `thread_names`: the run's), as process `pid`.
pub fn chrome_trace_events(
    lane: &str,
    thread_names: &[String],
    events: &super::PackedTrace,
    pid: u32,
) -> Vec<ChromeEvent> {
    let mut out = vec![ChromeEvent::meta(pid, 0, "process_name", lane.to_owned())];
    for (tid, name) in thread_names.iter().enumerate() {
        let tid = tid as u32;
        out.push(ChromeEvent::meta(
            pid,
            tid,
            "thread_name",
            format!("T{tid} {name}"),
        ));
        out.push(ChromeEvent::meta(
            pid,
            CHROME_LOCK_TRACK + tid,
            "thread_name",
            format!("T{tid} locks"),
        ));
    }
    for span in call_spans(events) {
        let mut e = ChromeEvent::new("X", pid, span.thread as u32, span.what.name().to_owned());
        e.ts = Some(span.start as u64);
        e.dur = Some((span.end - span.start) as u64);
        e.cat = Some("kernel");
        e.args
            .insert("file", ChromeArg::Text(span.what.file().to_owned()));
        e.args.insert("depth", ChromeArg::Number(span.depth as u64));
        out.push(e);
    }
    for (id, hold) in lock_holds(events).iter().enumerate() {
        for (ph, ts) in [("b", hold.start), ("e", hold.end)] {
            let mut e = ChromeEvent::new(
                ph,
                pid,
                CHROME_LOCK_TRACK + hold.thread as u32,
                hold.what.describe(),
            );
            e.ts = Some(ts as u64);
            e.cat = Some("lock");
            e.id = Some(format!("{pid}.{id}"));
            out.push(e);
        }
    }
    for (step, event) in events.iter().enumerate() {
        if let Some((name, args)) = instant(&event.decode()) {
            let mut e = ChromeEvent::new("i", pid, event.thread as u32, name);
            e.ts = Some(step as u64);
            e.s = Some("t");
            e.cat = Some("event");
            e.args = args;
            out.push(e);
        }
    }
    out
}

/// The events worth a mark on the timeline: what changed a PTE, a fault, a retry, an error, a milestone.
fn instant(ev: &Ev) -> Option<(String, BTreeMap<&'static str, ChromeArg>)> {
    let page = |mm: u8, vpn: u32| {
        BTreeMap::from([
            ("mm", ChromeArg::Number(mm as u64)),
            ("vpn", ChromeArg::Number(vpn as u64)),
        ])
    };
    Some(match *ev {
        Ev::PteWrite { page: p, old, new } => (
            format!("pte {} → {}", old.kind().name(), new.kind().name()),
            page(p.mm, p.vpn),
        ),
        Ev::PmdWrite { page: p, old, new } => (
            format!("pmd {} → {}", old.kind().name(), new.kind().name()),
            page(p.mm, p.vpn),
        ),
        Ev::Fault {
            page: p,
            write,
            ahead,
            ..
        } => {
            let mut args = page(p.mm, p.vpn);
            args.insert("write", ChromeArg::Flag(write));
            (
                if ahead { "fault (ahead)" } else { "fault" }.to_owned(),
                args,
            )
        }
        Ev::Retry { reason } => (
            "retry".to_owned(),
            BTreeMap::from([("why", ChromeArg::Text(reason.describe().to_owned()))]),
        ),
        Ev::Error { errno, .. } => (describe_errno(errno), BTreeMap::new()),
        Ev::Milestone { milestone } => (milestone.name().to_owned(), BTreeMap::new()),
        _ => return None,
    })
}
