//! The `postMessage` protocol, version [`PROTOCOL`]: what a host page may send an embedded hmmviz and what it
//! hears back. Pure data: a message comes in as JSON text ([`parse_request`]), leaves as a [`Request`] or a
//! [`ProtocolError`] with a machine-readable code and a sentence; replies and events go out as JSON text. The
//! browser glue ([`super::host`]) turns JS values into this text and back. docs/embedding.md documents it.
//!
//! Every message carries `"hmmviz": 1` (the protocol version) and a `type`. Every field is checked: an
//! unknown field, a wrong type or a value out of range is an error that names it, never a guess.

use hmm_sim::{Milestone, Strategy};
use serde_json::{json, Map, Value};

use super::LaneSet;
use crate::jump::JumpKind;
use crate::state::Theme;
use crate::url::{Align, View, SPEEDS};

/// The protocol version this build speaks (the `hmmviz` field of every message).
pub const PROTOCOL: u64 = 1;

/// The longest message accepted, as JSON text: a scenario string of the browser's page cap written out
/// letter by letter is 32,768 bytes, so this leaves room for that and the envelope.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// The longest `id` string echoed back.
pub const MAX_ID_CHARS: usize = 64;

/// How far one `step` command may move (a step count, either way): more than any trace the browser keeps.
pub const MAX_STEP_BY: i64 = 1 << 24;

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// `load`: run a scenario (`pages`), or open a lesson (`lesson`, an id of the lesson index).
    LoadPages(String),
    LoadLesson(String),
    /// `step`: move by this many steps (negative: back).
    Step(i64),
    /// `seek`: go to this transport step.
    Seek(usize),
    Goto(Goto),
    Play,
    Pause,
    /// `set`: any of lane, view, lanes, align, speed (index into [`SPEEDS`]), theme; at least one.
    Set(Settings),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Goto {
    NextMilestone,
    PrevMilestone,
    /// The `occurrence`-th (1-based) time the followed lane reaches this milestone.
    Milestone(Milestone, usize),
    /// The next or previous event of this kind.
    Event(JumpKind, bool),
    /// A lesson beat, from 0 (only while a lesson is open).
    Beat(u64),
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Settings {
    pub lane: Option<Strategy>,
    pub view: Option<View>,
    pub lanes: Option<LaneSet>,
    pub align: Option<Align>,
    pub speed_index: Option<usize>,
    pub theme: Option<Theme>,
}

/// A command and the id to echo in its reply.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub id: Value,
    pub command: Command,
}

/// Why a message was refused: a stable code for programs, a sentence for people.
#[derive(Clone, Debug, PartialEq)]
pub struct ProtocolError {
    pub code: &'static str,
    pub message: String,
}

fn err(code: &'static str, message: impl Into<String>) -> ProtocolError {
    ProtocolError {
        code,
        message: message.into(),
    }
}

const TYPES: &str = "load, step, seek, goto, play, pause, set";

/// Read one message. Err carries the id to echo (`null` when the message had none usable) and the error.
pub fn parse_request(text: &str) -> Result<Request, (Value, ProtocolError)> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err((
            Value::Null,
            err(
                "too-large",
                format!(
                    "the message is {} bytes of JSON; the limit is {MAX_MESSAGE_BYTES}",
                    text.len()
                ),
            ),
        ));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        (
            Value::Null,
            err(
                "not-json",
                format!("the message could not be read as JSON data ({e})"),
            ),
        )
    })?;
    let Value::Object(map) = value else {
        return Err((
            Value::Null,
            err(
                "not-an-object",
                format!(
                    "a command is an object like {{\"hmmviz\": {PROTOCOL}, \"type\": \"step\"}}, not {}",
                    kind_of(&value)
                ),
            ),
        ));
    };
    let id = match map.get("id") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::String(s)) if s.chars().count() <= MAX_ID_CHARS => Value::String(s.clone()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Value::Number(n.clone()),
        Some(_) => {
            return Err((
                Value::Null,
                err(
                    "bad-field",
                    format!(
                        "`id` must be an integer or a string of at most {MAX_ID_CHARS} characters"
                    ),
                ),
            ))
        }
    };
    let fail = |e: ProtocolError| (id.clone(), e);
    match map.get("hmmviz") {
        Some(Value::Number(n)) if n.as_u64() == Some(PROTOCOL) => {}
        Some(Value::Number(n)) => {
            return Err(fail(err(
                "unsupported-version",
                format!("this hmmviz speaks protocol version {PROTOCOL}, not {n}"),
            )))
        }
        Some(_) => {
            return Err(fail(err(
                "bad-field",
                format!("`hmmviz` is the protocol version, the number {PROTOCOL}"),
            )))
        }
        None => {
            return Err(fail(err(
                "no-version",
                format!("a command names the protocol version: \"hmmviz\": {PROTOCOL}"),
            )))
        }
    }
    let kind = match map.get("type") {
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(fail(err("bad-field", "`type` must be a string"))),
        None => {
            return Err(fail(err(
                "no-type",
                format!("a command has a `type`: one of {TYPES}"),
            )))
        }
    };
    let fields = Fields { map: &map };
    parse_command(kind, &fields)
        .map(|command| Request {
            id: id.clone(),
            command,
        })
        .map_err(fail)
}

/// The fields of one message, read with errors that name the field.
struct Fields<'a> {
    map: &'a Map<String, Value>,
}

impl Fields<'_> {
    /// Refuse fields other than the envelope's and `allowed`.
    fn only(&self, kind: &str, allowed: &[&str]) -> Result<(), ProtocolError> {
        for key in self.map.keys() {
            if !["hmmviz", "type", "id"].contains(&key.as_str()) && !allowed.contains(&key.as_str())
            {
                let what = if allowed.is_empty() {
                    "no fields".to_owned()
                } else {
                    allowed.join(", ")
                };
                return Err(err(
                    "unknown-field",
                    format!("`{kind}` has no field {:?} (it takes {what})", shorten(key)),
                ));
            }
        }
        Ok(())
    }

    fn str(&self, key: &str) -> Result<Option<&str>, ProtocolError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(err(
                "bad-field",
                format!("`{key}` must be a string, not {}", kind_of(other)),
            )),
        }
    }

    fn int(&self, key: &str) -> Result<Option<i64>, ProtocolError> {
        match self.map.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| {
                err(
                    "bad-field",
                    format!("`{key}` must be a whole number, not {n}"),
                )
            }),
            Some(other) => Err(err(
                "bad-field",
                format!("`{key}` must be a whole number, not {}", kind_of(other)),
            )),
        }
    }

    fn non_negative(&self, key: &str) -> Result<Option<u64>, ProtocolError> {
        match self.int(key)? {
            Some(n) if n < 0 => Err(err(
                "bad-field",
                format!("`{key}` must not be negative ({n})"),
            )),
            n => Ok(n.map(|n| n as u64)),
        }
    }
}

fn parse_command(kind: &str, f: &Fields) -> Result<Command, ProtocolError> {
    match kind {
        "play" | "pause" => {
            f.only(kind, &[])?;
            Ok(if kind == "play" {
                Command::Play
            } else {
                Command::Pause
            })
        }
        "step" => {
            f.only(kind, &["by"])?;
            let by = f.int("by")?.unwrap_or(1);
            if by.unsigned_abs() > MAX_STEP_BY as u64 {
                return Err(err(
                    "out-of-range",
                    format!("`by` is at most {MAX_STEP_BY} either way (use `seek` to go far)"),
                ));
            }
            Ok(Command::Step(by))
        }
        "seek" => {
            f.only(kind, &["step"])?;
            let step = f
                .non_negative("step")?
                .ok_or_else(|| err("missing-field", "`seek` needs `step`, a step number"))?;
            Ok(Command::Seek(usize::try_from(step).unwrap_or(usize::MAX)))
        }
        "load" => {
            f.only(kind, &["pages", "lesson"])?;
            match (f.str("pages")?, f.str("lesson")?) {
                (Some(pages), None) => Ok(Command::LoadPages(pages.to_owned())),
                (None, Some(lesson)) => Ok(Command::LoadLesson(lesson.to_owned())),
                _ => Err(err(
                    "missing-field",
                    "`load` needs exactly one of `pages` (a scenario such as \"PPSS\") or `lesson` (an id)",
                )),
            }
        }
        "goto" => parse_goto(f),
        "set" => parse_set(f),
        other => Err(err(
            "unknown-type",
            format!("unknown command type {:?} (types: {TYPES})", shorten(other)),
        )),
    }
}

fn parse_goto(f: &Fields) -> Result<Command, ProtocolError> {
    f.only(
        "goto",
        &["milestone", "occurrence", "event", "direction", "beat"],
    )?;
    let direction = match f.str("direction")? {
        None | Some("next") => true,
        Some("prev") => false,
        Some(other) => {
            return Err(err(
                "bad-field",
                format!(
                    "`direction` is \"next\" or \"prev\", not {:?}",
                    shorten(other)
                ),
            ))
        }
    };
    let occurrence = f.non_negative("occurrence")?;
    let given = ["milestone", "event", "beat"]
        .iter()
        .filter(|k| f.map.contains_key(**k))
        .count();
    if given != 1 {
        return Err(err(
            "missing-field",
            "`goto` needs exactly one of `milestone` (\"next\", \"prev\" or a key such as \"collected\"), \
             `event` (a kind: walk, lock, fault, migration, milestone) or `beat` (a lesson beat number)",
        ));
    }
    if occurrence.is_some() && !f.map.contains_key("milestone") {
        return Err(err("bad-field", "`occurrence` goes with `milestone` only"));
    }
    if f.map.contains_key("direction") && !f.map.contains_key("event") {
        return Err(err("bad-field", "`direction` goes with `event` only"));
    }
    if let Some(key) = f.str("milestone")? {
        return match key {
            "next" | "prev" if occurrence.is_some() => Err(err(
                "bad-field",
                "`occurrence` goes with a milestone key, not \"next\" or \"prev\"",
            )),
            "next" => Ok(Command::Goto(Goto::NextMilestone)),
            "prev" => Ok(Command::Goto(Goto::PrevMilestone)),
            key => {
                let m = Milestone::from_key(key).ok_or_else(|| {
                    err(
                        "bad-field",
                        format!(
                            "unknown milestone {:?} (milestones: next, prev, {})",
                            shorten(key),
                            Milestone::ALL.map(|m| m.key()).join(", ")
                        ),
                    )
                })?;
                let nth = match occurrence {
                    None => 1,
                    Some(0) => return Err(err("out-of-range", "`occurrence` counts from 1")),
                    Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
                };
                Ok(Command::Goto(Goto::Milestone(m, nth)))
            }
        };
    }
    if let Some(kind) = f.str("event")? {
        let k = JumpKind::parse(kind).ok_or_else(|| {
            err(
                "bad-field",
                format!(
                    "unknown event kind {:?} (kinds: {})",
                    shorten(kind),
                    JumpKind::ALL.map(|k| k.name()).join(", ")
                ),
            )
        })?;
        return Ok(Command::Goto(Goto::Event(k, direction)));
    }
    let beat = f
        .non_negative("beat")?
        .ok_or_else(|| err("missing-field", "`beat` is a beat number"))?;
    Ok(Command::Goto(Goto::Beat(beat)))
}

fn parse_set(f: &Fields) -> Result<Command, ProtocolError> {
    let keys = ["lane", "view", "lanes", "align", "speed", "theme"];
    f.only("set", &keys)?;
    let mut s = Settings::default();
    let bad = |key: &str, value: &str, allowed: &str| {
        err(
            "bad-field",
            format!("unknown {key} {:?} ({key}: {allowed})", shorten(value)),
        )
    };
    if let Some(v) = f.str("lane")? {
        s.lane =
            Some(Strategy::parse(v).ok_or_else(|| bad("lane", v, "legacy_a, legacy_b, unified"))?);
    }
    if let Some(v) = f.str("view")? {
        s.view = Some(match v {
            "compare" => View::Compare,
            "deep" => View::Deep,
            _ => return Err(bad("view", v, "compare, deep")),
        });
    }
    if let Some(v) = f.str("lanes")? {
        s.lanes = Some(LaneSet::parse(v).map_err(|_| bad("lanes", v, "A, B, U, comma-separated"))?);
    }
    if let Some(v) = f.str("align")? {
        s.align = Some(match v {
            "milestone" => Align::Milestone,
            "step" => Align::Step,
            _ => return Err(bad("align", v, "milestone, step")),
        });
    }
    match f.map.get("speed") {
        None => {}
        Some(Value::Number(n)) => {
            let i = n
                .as_f64()
                .and_then(|x| SPEEDS.iter().position(|&s| s == x))
                .ok_or_else(|| {
                    bad(
                        "speed",
                        &n.to_string(),
                        &SPEEDS.map(|s| s.to_string()).join(", "),
                    )
                })?;
            s.speed_index = Some(i);
        }
        Some(other) => {
            return Err(err(
                "bad-field",
                format!("`speed` must be a number, not {}", kind_of(other)),
            ))
        }
    }
    if let Some(v) = f.str("theme")? {
        s.theme =
            Some(super::parse_theme(v).ok_or_else(|| bad("theme", v, "light, dark, system"))?);
    }
    if s == Settings::default() {
        return Err(err(
            "missing-field",
            format!("`set` needs at least one of {}", keys.join(", ")),
        ));
    }
    Ok(Command::Set(s))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Values are echoed in errors; a pasted megabyte must not come back as a megabyte.
fn shorten(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        s.chars().take(MAX).chain(['…']).collect()
    }
}

// ---- what the frame sends ----

/// The envelope every outgoing message has.
fn message(kind: &str, mut fields: Map<String, Value>) -> String {
    fields.insert("hmmviz".into(), json!(PROTOCOL));
    fields.insert("type".into(), json!(kind));
    Value::Object(fields).to_string()
}

fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The reply to an accepted command (`type: "reply"`): it was applied; `step-changed` follows if it moved.
pub fn reply_ok(id: &Value, command: &str) -> String {
    message(
        "reply",
        fields(json!({ "id": id, "ok": true, "command": command })),
    )
}

/// The reply to a refused command (`type: "error"`).
pub fn reply_error(id: &Value, e: &ProtocolError) -> String {
    message(
        "error",
        fields(json!({ "id": id, "ok": false, "code": e.code, "message": e.message })),
    )
}

/// The command's `type`, for replies.
pub fn command_name(c: &Command) -> &'static str {
    match c {
        Command::LoadPages(_) | Command::LoadLesson(_) => "load",
        Command::Step(_) => "step",
        Command::Seek(_) => "seek",
        Command::Goto(_) => "goto",
        Command::Play => "play",
        Command::Pause => "pause",
        Command::Set(_) => "set",
    }
}

/// Where the picture is: what `ready` and `step-changed` carry.
#[derive(Clone, Debug, PartialEq)]
pub struct Position {
    pub pages: String,
    pub view: View,
    pub lane: Strategy,
    pub lanes: LaneSet,
    pub step: usize,
    pub len: usize,
    pub playing: bool,
    /// The last milestone the followed lane has reached, if any.
    pub milestone: Option<Milestone>,
    /// The kernel function the followed lane is in.
    pub func: Option<&'static str>,
}

fn position_fields(p: &Position) -> Map<String, Value> {
    fields(json!({
        "pages": p.pages,
        "view": p.view.name(),
        "lane": p.lane.name(),
        "lanes": p.lanes.letters(),
        "step": p.step,
        "len": p.len,
        "playing": p.playing,
        "milestone": p.milestone.map(|m| m.key()),
        "function": p.func,
    }))
}

/// `ready`: sent once, when the first scenario has run; with the protocol version and the URL's notices.
pub fn event_ready(p: &Position, notices: &[String]) -> String {
    let mut f = position_fields(p);
    f.insert("protocol".into(), json!(PROTOCOL));
    f.insert("notices".into(), json!(notices));
    message("ready", f)
}

/// `step-changed`: the picture moved, or changed lane, view or scenario.
pub fn event_step_changed(p: &Position) -> String {
    message("step-changed", position_fields(p))
}

/// Where a lesson page is: what its `ready` and `lesson-beat` events carry. `lesson` is None on the lesson
/// index (no lesson open yet).
#[derive(Clone, Debug, PartialEq)]
pub struct LessonPosition {
    pub lesson: Option<String>,
    /// From 0, as `goto {beat}` counts.
    pub beat: usize,
    pub beats: usize,
    /// The beat's heading ("" for a lesson's untitled first beat).
    pub title: String,
}

fn lesson_fields(p: &LessonPosition) -> Map<String, Value> {
    fields(json!({
        "lesson": p.lesson,
        "beat": p.beat,
        "beats": p.beats,
        "title": p.title,
    }))
}

/// `ready` from a lesson page: the protocol version, the URL's notices and where the lesson is.
pub fn event_lesson_ready(p: &LessonPosition, notices: &[String]) -> String {
    let mut f = lesson_fields(p);
    f.insert("protocol".into(), json!(PROTOCOL));
    f.insert("notices".into(), json!(notices));
    message("ready", f)
}

/// `lesson-beat`: the lesson page moved to another beat, or opened another lesson.
pub fn event_lesson_beat(p: &LessonPosition) -> String {
    message("lesson-beat", lesson_fields(p))
}

/// `milestone`: the followed lane reached a milestone while moving forward.
pub fn event_milestone(m: Milestone, step: usize, lane: Strategy) -> String {
    message(
        "milestone",
        fields(json!({ "key": m.key(), "name": m.name(), "step": step, "lane": lane.name() })),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Command {
        match parse_request(text) {
            Ok(r) => r.command,
            Err((_, e)) => panic!("{text}: {e:?}"),
        }
    }

    fn code(text: &str) -> &'static str {
        match parse_request(text) {
            Ok(r) => panic!("{text} was accepted as {r:?}"),
            Err((_, e)) => e.code,
        }
    }

    #[test]
    fn commands() {
        assert_eq!(ok(r#"{"hmmviz":1,"type":"step"}"#), Command::Step(1));
        assert_eq!(
            ok(r#"{"hmmviz":1,"type":"step","by":-5}"#),
            Command::Step(-5)
        );
        assert_eq!(
            ok(r#"{"hmmviz":1,"type":"seek","step":40}"#),
            Command::Seek(40)
        );
        assert_eq!(ok(r#"{"hmmviz":1,"type":"play"}"#), Command::Play);
        assert_eq!(ok(r#"{"hmmviz":1,"type":"pause"}"#), Command::Pause);
        assert_eq!(
            ok(r#"{"hmmviz":1,"type":"load","pages":"PPSS"}"#),
            Command::LoadPages("PPSS".into())
        );
        assert_eq!(
            ok(r#"{"hmmviz":1,"type":"load","lesson":"walk-count"}"#),
            Command::LoadLesson("walk-count".into())
        );
        assert_eq!(
            ok(r#"{"hmmviz":1,"type":"goto","milestone":"next"}"#),
            Command::Goto(Goto::NextMilestone)
        );
        assert_eq!(
            ok(r#"{"hmmviz":1,"type":"goto","milestone":"collected","occurrence":2}"#),
            Command::Goto(Goto::Milestone(Milestone::Collected, 2))
        );
        assert_eq!(
            ok(r#"{"hmmviz":1,"type":"goto","event":"fault","direction":"prev"}"#),
            Command::Goto(Goto::Event(JumpKind::Fault, false))
        );
        assert_eq!(
            ok(r#"{"hmmviz":1,"type":"goto","beat":3}"#),
            Command::Goto(Goto::Beat(3))
        );
        let Command::Set(s) = ok(
            r#"{"hmmviz":1,"type":"set","lane":"legacy_b","view":"deep","lanes":"A,B","speed":0.5}"#,
        ) else {
            panic!("not a set");
        };
        assert_eq!(
            (s.lane, s.view, s.lanes.map(|l| l.letters()), s.speed_index),
            (
                Some(Strategy::LegacyB),
                Some(View::Deep),
                Some("A,B".into()),
                Some(1)
            )
        );
    }

    #[test]
    fn ids_are_echoed() {
        let r = parse_request(r#"{"hmmviz":1,"type":"play","id":"a7"}"#).unwrap();
        assert_eq!(r.id, json!("a7"));
        let (id, e) = parse_request(r#"{"hmmviz":1,"type":"jump","id":7}"#).unwrap_err();
        assert_eq!((id, e.code), (json!(7), "unknown-type"));
        let reply: Value = serde_json::from_str(&reply_error(&json!(7), &e)).unwrap();
        assert_eq!(reply["type"], "error");
        assert_eq!(reply["id"], 7);
        assert_eq!(reply["hmmviz"], 1);
        assert_eq!(reply["code"], "unknown-type");
        assert!(reply["message"]
            .as_str()
            .unwrap()
            .contains("load, step, seek"));
    }

    #[test]
    fn malformed_messages_get_a_clear_error() {
        assert_eq!(code("step"), "not-json");
        assert_eq!(code("\"slide:start\""), "not-an-object");
        assert_eq!(code("[1]"), "not-an-object");
        assert_eq!(code(r#"{"type":"step"}"#), "no-version");
        assert_eq!(code(r#"{"hmmviz":2,"type":"step"}"#), "unsupported-version");
        assert_eq!(code(r#"{"hmmviz":"1","type":"step"}"#), "bad-field");
        assert_eq!(code(r#"{"hmmviz":1}"#), "no-type");
        assert_eq!(code(r#"{"hmmviz":1,"type":5}"#), "bad-field");
        assert_eq!(code(r#"{"hmmviz":1,"type":"step","by":"2"}"#), "bad-field");
        assert_eq!(code(r#"{"hmmviz":1,"type":"step","by":1.5}"#), "bad-field");
        assert_eq!(
            code(r#"{"hmmviz":1,"type":"step","by":99999999999}"#),
            "out-of-range"
        );
        assert_eq!(
            code(r#"{"hmmviz":1,"type":"step","bye":1}"#),
            "unknown-field"
        );
        assert_eq!(code(r#"{"hmmviz":1,"type":"seek"}"#), "missing-field");
        assert_eq!(code(r#"{"hmmviz":1,"type":"seek","step":-1}"#), "bad-field");
        assert_eq!(code(r#"{"hmmviz":1,"type":"load"}"#), "missing-field");
        assert_eq!(
            code(r#"{"hmmviz":1,"type":"load","pages":"P","lesson":"x"}"#),
            "missing-field"
        );
        assert_eq!(code(r#"{"hmmviz":1,"type":"goto"}"#), "missing-field");
        assert_eq!(
            code(r#"{"hmmviz":1,"type":"goto","milestone":"nope"}"#),
            "bad-field"
        );
        assert_eq!(
            code(r#"{"hmmviz":1,"type":"goto","milestone":"collected","occurrence":0}"#),
            "out-of-range"
        );
        assert_eq!(
            code(r#"{"hmmviz":1,"type":"goto","event":"fault","occurrence":1}"#),
            "bad-field"
        );
        assert_eq!(
            code(r#"{"hmmviz":1,"type":"goto","milestone":"next","direction":"prev"}"#),
            "bad-field"
        );
        assert_eq!(code(r#"{"hmmviz":1,"type":"set"}"#), "missing-field");
        assert_eq!(
            code(r#"{"hmmviz":1,"type":"set","lane":"fast"}"#),
            "bad-field"
        );
        assert_eq!(code(r#"{"hmmviz":1,"type":"set","speed":3}"#), "bad-field");
        assert_eq!(
            code(r#"{"hmmviz":1,"type":"play","id":{"a":1}}"#),
            "bad-field"
        );
        assert_eq!(
            code(&format!("\"{}\"", "x".repeat(MAX_MESSAGE_BYTES))),
            "too-large"
        );
    }

    #[test]
    fn events_have_the_envelope() {
        let p = Position {
            pages: "PPSS".into(),
            view: View::Compare,
            lane: Strategy::Unified,
            lanes: LaneSet::default(),
            step: 3,
            len: 40,
            playing: false,
            milestone: Some(Milestone::FaultedIn),
            func: Some("hmm_range_fault"),
        };
        let v: Value = serde_json::from_str(&event_step_changed(&p)).unwrap();
        assert_eq!(v["hmmviz"], 1);
        assert_eq!(v["type"], "step-changed");
        assert_eq!(v["step"], 3);
        assert_eq!(v["milestone"], "faulted_in");
        assert_eq!(v["lanes"], "A,B,U");
        let v: Value = serde_json::from_str(&event_ready(&p, &["x".into()])).unwrap();
        assert_eq!(
            (v["type"].as_str(), v["protocol"].as_u64()),
            (Some("ready"), Some(1))
        );
        let v: Value =
            serde_json::from_str(&event_milestone(Milestone::Collected, 9, Strategy::LegacyA))
                .unwrap();
        assert_eq!(
            (v["key"].as_str(), v["step"].as_u64()),
            (Some("collected"), Some(9))
        );
    }

    /// Structured fuzzing (deterministic splitmix64, as `url.rs` does): messages built from the protocol's
    /// own words, wrong types, junk and broken JSON never panic, and every refusal has a known code and a
    /// short sentence; every acceptance names a command the frame knows.
    #[test]
    fn fuzzed_messages_never_panic_and_errors_are_clear() {
        let mut seed: u64 = 0x00e0_bedd;
        let mut next = move || {
            seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let keys = [
            "hmmviz",
            "type",
            "id",
            "by",
            "step",
            "pages",
            "lesson",
            "milestone",
            "occurrence",
            "event",
            "direction",
            "beat",
            "lane",
            "view",
            "lanes",
            "align",
            "speed",
            "theme",
            "",
            "__proto__",
        ];
        let values = [
            "1",
            "2",
            "0",
            "-1",
            "1.5",
            "1e400",
            "-9223372036854775809",
            "18446744073709551616",
            "null",
            "true",
            "[]",
            "{}",
            "\"step\"",
            "\"seek\"",
            "\"goto\"",
            "\"set\"",
            "\"load\"",
            "\"play\"",
            "\"next\"",
            "\"prev\"",
            "\"collected\"",
            "\"fault\"",
            "\"unified\"",
            "\"deep\"",
            "\"A,U\"",
            "\"PPSS\"",
            "\"\"",
            "\"\\u0000\"",
            "\"é\"",
            "[1,{\"a\":[]}]",
            "0.25",
            "8",
        ];
        let codes = [
            "too-large",
            "not-json",
            "not-an-object",
            "bad-field",
            "unsupported-version",
            "no-version",
            "no-type",
            "unknown-type",
            "unknown-field",
            "missing-field",
            "out-of-range",
        ];
        let (mut accepted, mut refused) = (0, 0);
        for round in 0..20_000 {
            let mut text = String::from("{");
            for i in 0..(next() % 6) {
                if i > 0 {
                    text.push(',');
                }
                let k = keys[(next() % keys.len() as u64) as usize];
                let v = values[(next() % values.len() as u64) as usize];
                text.push_str(&format!("\"{k}\":{v}"));
            }
            text.push('}');
            // Most messages get a valid envelope, so the fuzzing reaches the commands' own fields.
            if next() % 4 != 0 {
                let t =
                    ["step", "seek", "goto", "set", "load", "play", "pause"][(next() % 7) as usize];
                text = text.replacen('{', &format!("{{\"hmmviz\":1,\"type\":\"{t}\","), 1);
                text = text.replace(",}", "}");
            }
            // Some are cut short or have a byte changed.
            match next() % 8 {
                0 => text.truncate((next() as usize) % (text.len() + 1)),
                1 => {
                    let at = (next() as usize) % text.len();
                    if text.is_char_boundary(at) && text.is_char_boundary(at + 1) {
                        text.replace_range(at..at + 1, ["}", "\"", ":", ",", "x"][round % 5]);
                    }
                }
                _ => {}
            }
            match parse_request(&text) {
                Ok(r) => {
                    accepted += 1;
                    assert!(!command_name(&r.command).is_empty());
                }
                Err((id, e)) => {
                    refused += 1;
                    assert!(codes.contains(&e.code), "{text}: {e:?}");
                    assert!(e.message.chars().count() < 400, "{text}: {e:?}");
                    let reply: Value =
                        serde_json::from_str(&reply_error(&id, &e)).expect("reply is JSON");
                    assert_eq!(reply["type"], "error", "{text}");
                }
            }
        }
        // The fuzzing reached both outcomes, many times each.
        assert!(
            accepted > 500 && refused > 5000,
            "{accepted} accepted, {refused} refused"
        );
    }
}
