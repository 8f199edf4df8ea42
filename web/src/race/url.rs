//! The race lab's URL parameters: `race=KEY` (a lesson id, `ID:BIND` for one of several runs),
//! `kernel=6.14|6.15|2026|popple`, `schedule=t1,t2,t3*40,…` (thread names; `*N` repeats a name N times, so a
//! witness thousands of choices long stays a short link). Anything wrong is said, never fatal.

use hmm_sim::KernelVersion;

use super::model::{RaceDef, MAX_SCHEDULE_LEN};

/// The race lab's state that a link carries.
#[derive(Clone, Debug, PartialEq)]
pub struct RaceRoute {
    pub key: String,
    pub kernel: KernelVersion,
    /// Thread index per choice.
    pub choices: Vec<u8>,
    /// Let the simulator's scheduler go on after the choices (never in a URL: it writes back its choices).
    pub run_on: bool,
}

fn decode(value: &str) -> String {
    // Keys, kernel names and thread names are plain; `%2C` (a comma) and `%3A` are all a browser escapes.
    value
        .replace("%2C", ",")
        .replace("%2c", ",")
        .replace("%3A", ":")
        .replace("%3a", ":")
        .replace("%2A", "*")
        .replace("%2a", "*")
}

fn param(search: &str, key: &str) -> Option<String> {
    search
        .trim_start_matches('?')
        .split('&')
        .filter_map(|p| p.split_once('=').or(Some((p, ""))))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| decode(v))
}

/// Does this query string ask for the race lab?
pub fn wants_race(search: &str) -> bool {
    param(search, "race").is_some()
}

/// Does this query string ask for the race `key`?
pub fn wants_key(search: &str, key: &str) -> bool {
    param(search, "race").is_some_and(|k| k == key)
}

/// The route a query string asks for among `races`, and what could not be honoured.
pub fn resolve(search: &str, races: &[RaceDef]) -> (RaceRoute, Option<String>) {
    let mut notes = Vec::new();
    let wanted = param(search, "race").unwrap_or_default();
    let def = races.iter().find(|r| r.key == wanted).or_else(|| {
        if !wanted.is_empty() {
            notes.push(format!(
                "There is no race “{wanted}”: showing the first one."
            ));
        }
        races.first()
    });
    let Some(def) = def else {
        return (
            RaceRoute {
                key: String::new(),
                kernel: KernelVersion::V6_15,
                choices: vec![],
                run_on: false,
            },
            Some("No lesson has a threaded run to show.".into()),
        );
    };
    let kernel = match param(search, "kernel") {
        None => def.race.config.kernel,
        Some(k) => KernelVersion::parse(&k).unwrap_or_else(|e| {
            notes.push(format!("kernel={k}: {e}; using the lesson's"));
            def.race.config.kernel
        }),
    };
    let names = def.names();
    let choices = match param(search, "schedule") {
        None => vec![],
        Some(text) => match parse_schedule(&text, &names) {
            Ok(c) => c,
            Err(e) => {
                notes.push(e);
                vec![]
            }
        },
    };
    let route = RaceRoute {
        key: def.key.clone(),
        kernel,
        choices,
        run_on: false,
    };
    (route, (!notes.is_empty()).then(|| notes.join(" ")))
}

/// `t1,t2*3` → thread indices, or what is wrong with it.
pub fn parse_schedule(text: &str, names: &[String]) -> Result<Vec<u8>, String> {
    let mut out: Vec<u8> = Vec::new();
    for item in text.split(',').filter(|s| !s.is_empty()) {
        let (name, count) = match item.split_once('*') {
            Some((n, c)) => (
                n,
                c.parse::<usize>()
                    .map_err(|_| format!("schedule: `{item}` is not NAME*COUNT"))?,
            ),
            None => (item, 1),
        };
        let Some(t) = names.iter().position(|n| n == name) else {
            return Err(format!(
                "schedule: there is no thread `{name}` in this race (its threads: {}); the schedule was ignored",
                names.join(", ")
            ));
        };
        if out.len() + count > MAX_SCHEDULE_LEN {
            return Err(format!(
                "schedule: longer than {MAX_SCHEDULE_LEN} choices (MAX_SCHEDULE_LEN); the schedule was ignored"
            ));
        }
        out.extend(std::iter::repeat_n(t as u8, count));
    }
    Ok(out)
}

/// Thread indices → `t1,t2*3`.
pub fn schedule_text(choices: &[u8], names: &[String]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < choices.len() {
        let t = choices[i];
        let run = choices[i..].iter().take_while(|&&c| c == t).count();
        let name = names
            .get(t as usize)
            .cloned()
            .unwrap_or_else(|| format!("#{t}"));
        parts.push(if run > 1 {
            format!("{name}*{run}")
        } else {
            name
        });
        i += run;
    }
    parts.join(",")
}

/// The query for `route`, keeping the parameters that are not the race lab's.
pub fn format(search: &str, route: &RaceRoute, names: &[String]) -> String {
    let mut parts = vec![
        format!("race={}", route.key),
        format!("kernel={}", route.kernel.name()),
    ];
    if !route.choices.is_empty() {
        parts.push(format!("schedule={}", schedule_text(&route.choices, names)));
    }
    parts.extend(
        search
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty())
            .filter(|p| !matches!(p.split('=').next(), Some("race" | "kernel" | "schedule")))
            .map(str::to_owned),
    );
    parts.join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["t1".into(), "t2".into(), "t3".into()]
    }

    #[test]
    fn schedules_round_trip_run_length_encoded() {
        let c = vec![0, 1, 1, 1, 2, 0];
        assert_eq!(schedule_text(&c, &names()), "t1,t2*3,t3,t1");
        assert_eq!(parse_schedule("t1,t2*3,t3,t1", &names()), Ok(c));
        assert!(parse_schedule("t9", &names())
            .unwrap_err()
            .contains("no thread `t9`"));
        assert!(parse_schedule("t1*x", &names()).is_err());
        assert!(parse_schedule("t1*999999999", &names())
            .unwrap_err()
            .contains("MAX_SCHEDULE_LEN"));
    }

    #[test]
    fn resolves_links_and_says_what_it_could_not_honour() {
        let races = super::super::model::builtin();
        let (route, notice) = resolve("?race=livelock-6-14&kernel=6.15&schedule=t1,t2", &races);
        assert_eq!(route.key, "livelock-6-14");
        assert_eq!(route.kernel, KernelVersion::V6_15);
        assert_eq!(route.choices, vec![0, 1]);
        assert_eq!(notice, None);
        let (route, notice) = resolve("?race=nope&kernel=9.9&schedule=zz", &races);
        assert_eq!(route.key, races[0].key);
        let notice = notice.unwrap();
        assert!(
            notice.contains("nope") && notice.contains("kernel=9.9") && notice.contains("`zz`"),
            "{notice}"
        );
        assert_eq!(
            format(
                "?race=x&theme=dark",
                &RaceRoute {
                    key: "a".into(),
                    kernel: KernelVersion::V6_14,
                    choices: vec![0, 0],
                    run_on: false
                },
                &names()
            ),
            "race=a&kernel=6.14&schedule=t1*2&theme=dark"
        );
    }
}
