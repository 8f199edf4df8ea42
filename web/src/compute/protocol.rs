//! What the page and the compute worker say to each other: JSON text, plus the lane's trace as a separate
//! transferable buffer (`super::trace_bytes`). Pure data, so it is tested natively; the browser glue is in
//! `super::worker` (the worker's side) and `super::client` (the page's).
//!
//! A message that does not parse is an error with a reason, never a panic: the two sides are built together,
//! but a stale cached worker script could still answer an older page.

use hmm_sim::{BPolicy, Counters, DriverOpts, Strategy, UnifiedEntry};
use serde_json::{json, Value};

/// The page asks: run the scenario `pages` (hmm-sim's state string) with at most `budget` events per lane,
/// the lane `first` first (the one the reader follows, so it can be explored soonest), the lanes' driver
/// set as `driver` says (only what a URL can set travels: write intent, B policy, unified entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub pages: String,
    pub first: Strategy,
    pub budget: u64,
    pub driver: DriverOpts,
}

/// One lane as the worker reports it (its trace travels beside this, as bytes).
#[derive(Clone, Debug, PartialEq)]
pub struct LaneMeta {
    pub strategy: Strategy,
    pub counters: Counters,
    /// Set if the run reached the budget: (the budget, "T0 in func" of the last event kept).
    pub stopped: Option<(u64, String)>,
    /// The run's error otherwise (a deadlock…), as hmm-sim words it.
    pub error: Option<String>,
    pub violations: Vec<String>,
    pub thread_names: Vec<String>,
    /// How long the run took in the worker, in milliseconds.
    pub millis: f64,
}

/// What the worker says.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// The worker's wasm module is loaded and listening: the page sends its request on this (a message sent
    /// before would reach a worker with no handler yet, and be lost).
    Ready,
    /// It started computing this lane.
    Started(Strategy),
    /// This lane is done (its trace is the message's buffer).
    Lane(LaneMeta),
    /// Every lane is done; hmm-sim's verdict on whether they end in the same place.
    Done { agree: bool },
    /// The request could not be run (a bad scenario, a bad message).
    Failed(String),
}

impl Request {
    pub fn to_json(&self) -> String {
        json!({
            "pages": self.pages,
            "first": self.first.name(),
            "budget": self.budget,
            "write": self.driver.write,
            "b_policy": self.driver.b_policy.name(),
            "unified_entry": self.driver.unified_entry.name(),
        })
        .to_string()
    }

    pub fn from_json(text: &str) -> Result<Request, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("bad request: {e}"))?;
        Ok(Request {
            pages: str_field(&v, "pages")?.to_owned(),
            first: strategy_field(&v, "first")?,
            budget: v["budget"].as_u64().ok_or("bad request: no budget")?,
            driver: DriverOpts {
                write: v["write"].as_bool().ok_or("bad request: no write")?,
                b_policy: BPolicy::parse(str_field(&v, "b_policy")?)?,
                unified_entry: UnifiedEntry::parse(str_field(&v, "unified_entry")?)?,
                ..DriverOpts::default()
            },
        })
    }
}

fn str_field<'a>(v: &'a Value, name: &str) -> Result<&'a str, String> {
    v[name]
        .as_str()
        .ok_or_else(|| format!("bad message: no {name}"))
}

fn strategy_field(v: &Value, name: &str) -> Result<Strategy, String> {
    let s = str_field(v, name)?;
    Strategy::parse(s).ok_or_else(|| format!("bad message: unknown lane {s:?}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

impl Reply {
    pub fn to_json(&self) -> String {
        match self {
            Reply::Ready => json!({ "type": "ready" }),
            Reply::Started(s) => json!({ "type": "started", "lane": s.name() }),
            Reply::Lane(m) => json!({
                "type": "lane",
                "lane": m.strategy.name(),
                "counters": serde_json::to_value(m.counters).unwrap_or(Value::Null),
                "stopped": m.stopped.as_ref().map(|(limit, at)| json!({ "limit": limit, "at": at })),
                "error": m.error,
                "violations": m.violations,
                "threads": m.thread_names,
                "millis": m.millis,
            }),
            Reply::Done { agree } => json!({ "type": "done", "agree": agree }),
            Reply::Failed(message) => json!({ "type": "failed", "message": message }),
        }
        .to_string()
    }

    pub fn from_json(text: &str) -> Result<Reply, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("bad message: {e}"))?;
        Ok(match str_field(&v, "type")? {
            "ready" => Reply::Ready,
            "started" => Reply::Started(strategy_field(&v, "lane")?),
            "lane" => Reply::Lane(LaneMeta {
                strategy: strategy_field(&v, "lane")?,
                counters: serde_json::from_value(v["counters"].clone())
                    .map_err(|e| format!("bad message: counters: {e}"))?,
                stopped: match &v["stopped"] {
                    Value::Null => None,
                    s => Some((
                        s["limit"]
                            .as_u64()
                            .ok_or("bad message: stopped without a limit")?,
                        str_field(s, "at")?.to_owned(),
                    )),
                },
                error: v["error"].as_str().map(str::to_owned),
                violations: strings(&v["violations"]),
                thread_names: strings(&v["threads"]),
                millis: v["millis"].as_f64().unwrap_or(0.0),
            }),
            "done" => Reply::Done {
                agree: v["agree"]
                    .as_bool()
                    .ok_or("bad message: done without agree")?,
            },
            "failed" => Reply::Failed(str_field(&v, "message")?.to_owned()),
            other => return Err(format!("bad message: unknown type {other:?}")),
        })
    }
}

/// The order the worker runs the lanes in: `first`, then the others in `Strategy::ALL` order.
pub fn lane_order(first: Strategy) -> Vec<Strategy> {
    std::iter::once(first)
        .chain(Strategy::ALL.into_iter().filter(|&s| s != first))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        let r = Request {
            pages: "P*262144".into(),
            first: Strategy::LegacyB,
            budget: 1 << 23,
            driver: hmm_sim::DriverOpts::default(),
        };
        assert_eq!(Request::from_json(&r.to_json()), Ok(r.clone()));
        let driven = Request {
            driver: hmm_sim::DriverOpts {
                write: true,
                b_policy: hmm_sim::BPolicy::AllOrNothing,
                ..hmm_sim::DriverOpts::default()
            },
            ..r
        };
        assert_eq!(Request::from_json(&driven.to_json()), Ok(driven));
        let states = crate::scenario::parse_text("PPSS").expect("valid");
        let counters = hmm_sim::compare(&states, &hmm_sim::RunConfig::default()).lanes[1].counters;
        for reply in [
            Reply::Ready,
            Reply::Started(Strategy::Unified),
            Reply::Lane(LaneMeta {
                strategy: Strategy::LegacyB,
                counters,
                stopped: Some((8, "T0 in hmm_range_fault".into())),
                error: Some("deadlock".into()),
                violations: vec!["x".into()],
                thread_names: vec!["legacy_b".into()],
                millis: 12.5,
            }),
            Reply::Done { agree: true },
            Reply::Failed("no".into()),
        ] {
            assert_eq!(Reply::from_json(&reply.to_json()), Ok(reply));
        }
    }

    #[test]
    fn bad_messages_are_errors() {
        for bad in [
            "",
            "{",
            "[]",
            r#"{"type":"lane"}"#,
            r#"{"type":"started","lane":"d"}"#,
            r#"{"type":"what"}"#,
            r#"{"type":"done"}"#,
        ] {
            assert!(Reply::from_json(bad).is_err(), "{bad}");
        }
        assert!(Request::from_json(r#"{"pages":"P","first":"a"}"#).is_err());
    }

    #[test]
    fn the_followed_lane_runs_first() {
        assert_eq!(
            lane_order(Strategy::Unified),
            vec![Strategy::Unified, Strategy::LegacyA, Strategy::LegacyB]
        );
        assert_eq!(lane_order(Strategy::LegacyA), Strategy::ALL.to_vec());
    }
}
