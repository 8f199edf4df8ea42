//! Races built in the page (`?race=built&states=…&devices=…&driver=…&threads=…`): the reader writes the
//! scenario (page states, devices, driver options) and each thread's actions in the lesson language
//! (`t1: cpu read pages=0`), and the lab runs it like a lesson's race. The built race *is* a lesson: its
//! text is written out here and read by hmm-lesson's own parser and runner (`hmm_lesson::parse`,
//! `runner::races`), so a built race means what the same lines mean in a lesson file, its errors are the
//! parser's (`built-race.md:LINE:COL`, the line numbers of the lesson text the builder shows), and the text can
//! be copied into a lesson. The kernel is the lab's (`kernel=`).

use hmm_lesson::runner::races;
use hmm_sim::KernelVersion;

use super::model::RaceDef;
use crate::lesson::route::decode;

/// The `race=` key of a race built in the page.
pub const BUILT_KEY: &str = "built";

/// The query parameters of a build (besides `race=built` and the lab's `kernel=`).
pub const BUILD_PARAMS: &[&str] = &["states", "devices", "driver", "threads"];

/// The file name the built lesson's diagnostics name.
pub const BUILT_PATH: &str = "built-race.md";

/// Characters the builder's fields may hold in all (the `threads` text is the long one): the link stays a
/// link, and the lesson parser's own limits are far above it.
pub const MAX_BUILD_CHARS: usize = 8_192;

/// The driver options the builder offers (`[scenario.driver]` keys), each off or on, with what it means.
pub const DRIVER_OPTIONS: &[(&str, bool, &str)] = &[
    (
        "fault_lock",
        false,
        "migrate_to_ram serialised by a driver lock, as Xe's was (the seed-003 livelock needs it)",
    ),
    (
        "owner_filter",
        true,
        "the notifier callback skips its own MMU_NOTIFY_MIGRATE (without it the driver invalidates itself)",
    ),
    (
        "lock_across_setup",
        false,
        "the driver holds its lock across migrate_vma_setup (the seed-004 deadlock needs it)",
    ),
];

/// What the builder's form holds (and its link).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Build {
    /// Page states, one letter per page (`hmmviz compare`'s letters).
    pub states: String,
    pub devices: usize,
    /// Each of `DRIVER_OPTIONS`' value, in its order.
    pub driver: Vec<bool>,
    /// Action lines: `NAME: action` queues the action on thread NAME; a line without a thread runs first,
    /// before the threads start (setting the scene).
    pub threads: String,
}

impl Default for Build {
    /// The seed-003 livelock, as the 6.14 lesson has it: three threads fault one device page.
    fn default() -> Build {
        Build {
            states: "D".into(),
            devices: 2,
            driver: vec![true, true, false],
            threads: "t1: cpu read pages=0\nt2: cpu read pages=0\nt3: cpu read pages=0".into(),
        }
    }
}

/// Built-in races written with the builder: `(key, title, build)`.
pub fn presets() -> Vec<(&'static str, &'static str, Build)> {
    vec![(
        "test-hmm-write-vs-migration",
        "test_hmm: a device WRITE racing MIGRATE_TO_DEV of the same pages (dmirror_range_fault's read_begin / read_retry loop against the migration's invalidation)",
        Build {
            states: "PPPP".into(),
            devices: 1,
            driver: vec![false, true, false],
            threads: "mirror pages=0..4 value=i+1000\n\
                      w: r = dmirror WRITE dev=0 pages=0..4\n\
                      m: dmirror MIGRATE_TO_DEV dev=0 pages=0..4"
                .into(),
        },
    )]
}

fn param<'s>(search: &'s str, key: &str) -> Option<&'s str> {
    search
        .trim_start_matches('?')
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// Percent-encoding of one query value: everything but unreserved characters.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Build {
    /// The build a query string describes (missing fields keep the default's), and what could not be read.
    pub fn from_query(search: &str) -> (Build, Option<String>) {
        let mut build = Build::default();
        let mut notes = Vec::new();
        if let Some(s) = param(search, "states") {
            build.states = decode(s);
        }
        if let Some(d) = param(search, "devices") {
            match decode(d).parse::<usize>() {
                Ok(n) => build.devices = n,
                Err(_) => notes.push(format!(
                    "devices={d} is not a number; using {}",
                    build.devices
                )),
            }
        }
        if let Some(d) = param(search, "driver") {
            let on = decode(d);
            let on: Vec<&str> = on.split(',').filter(|s| !s.is_empty()).collect();
            for name in &on {
                if !DRIVER_OPTIONS.iter().any(|(n, _, _)| n == name) {
                    notes.push(format!("driver: there is no option `{name}`; ignored"));
                }
            }
            build.driver = DRIVER_OPTIONS
                .iter()
                .map(|(n, _, _)| on.contains(n))
                .collect();
        }
        if let Some(t) = param(search, "threads") {
            build.threads = decode(t);
        }
        (build, (!notes.is_empty()).then(|| notes.join(" ")))
    }

    /// The query parameters that describe this build (without `race=` and `kernel=`).
    pub fn to_query(&self) -> String {
        let on: Vec<&str> = DRIVER_OPTIONS
            .iter()
            .zip(&self.driver)
            .filter(|(_, &v)| v)
            .map(|((n, _, _), _)| *n)
            .collect();
        format!(
            "states={}&devices={}&driver={}&threads={}",
            encode(&self.states),
            self.devices,
            on.join(","),
            encode(&self.threads)
        )
    }

    /// The thread names, in the order their first line appears.
    fn thread_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for line in self.threads.lines() {
            // `NAME: …` (a binding `r = …` or an action has no colon before its first space).
            if let Some((name, _)) = line.split_once(':') {
                let name = name.trim();
                let is_name =
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if is_name && !names.iter().any(|n| n == name) {
                    names.push(name.to_owned());
                }
            }
        }
        names
    }

    /// The lesson this build is, for `kernel`.
    pub fn lesson_text(&self, kernel: KernelVersion) -> String {
        let names: Vec<String> = self
            .thread_names()
            .iter()
            .map(|n| format!("{n:?}"))
            .collect();
        let driver: String = DRIVER_OPTIONS
            .iter()
            .zip(&self.driver)
            .map(|((n, _, _), v)| format!("{n} = {v}\n"))
            .collect();
        format!(
            "+++\nid = \"built-race\"\nschema = 1\ntitle = \"A race built in the page\"\nkernel = \"{}\"\n\
             kind = \"lesson\"\naudience = [\"kernel\"]\n\n[scenario]\nstates = {:?}\ndevices = {}\n\
             threads = [{}]\n\n[scenario.driver]\n{driver}+++\n\n## The race\n\n```hmm\n{}\nbuilt = run schedule=round_robin\n```\n\n\
             A lesson needs a claim; the lab schedules the threads itself and never judges this one.\n\n\
             ```assert\nbuilt.outcome == completed\n```\n",
            kernel.name(),
            self.states,
            self.devices,
            names.join(", "),
            self.threads.trim_end()
        )
    }

    /// The race this build describes, or the lesson parser's diagnostics (and the builder's own limits).
    pub fn race(&self, kernel: KernelVersion) -> Result<RaceDef, String> {
        let size = self.states.len() + self.threads.len();
        if size > MAX_BUILD_CHARS {
            return Err(format!(
                "the race is {size} characters long; the builder takes at most {MAX_BUILD_CHARS} (MAX_BUILD_CHARS): write a lesson file instead"
            ));
        }
        if self.thread_names().is_empty() {
            return Err("no thread: write each thread's actions as `NAME: action`, e.g. `t1: cpu read pages=0`".into());
        }
        let text = self.lesson_text(kernel);
        let lesson = hmm_lesson::parse(BUILT_PATH, &text).map_err(|diags| {
            diags
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })?;
        let race = races(&lesson)
            .into_iter()
            .find(|r| r.lane.is_none())
            .ok_or_else(|| {
                "the race could not be set up: the actions before the threads start failed (the lesson player says why)".to_owned()
            })?;
        Ok(RaceDef {
            key: BUILT_KEY.into(),
            title: "built in the page".into(),
            race,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::race::model;
    use hmm_lesson::model::RunEnd;

    #[test]
    fn a_build_round_trips_through_its_link() {
        let build = Build {
            states: "PD".into(),
            devices: 1,
            driver: vec![false, true, true],
            threads:
                "a: cpu write pages=0..2 value=i+1\nb: dmirror MIGRATE_TO_DEV dev=0 pages=0..2"
                    .into(),
        };
        let (back, notes) = Build::from_query(&format!("?race=built&{}", build.to_query()));
        assert_eq!(back, build);
        assert_eq!(notes, None);
        let (_, notes) = Build::from_query("?race=built&devices=x&driver=fault_lock,nope");
        let notes = notes.unwrap();
        assert!(
            notes.contains("devices=x") && notes.contains("`nope`"),
            "{notes}"
        );
    }

    #[test]
    fn the_default_build_is_the_seed_003_livelock_on_6_14_only() {
        let def = Build::default().race(KernelVersion::V6_14).unwrap();
        assert_eq!(def.names(), ["t1", "t2", "t3"]);
        let mut search = model::BadSearch::new(model::MAX_SEARCH_RUNS);
        let found = loop {
            if let Some(found) = search.resume(&def.race, KernelVersion::V6_14, 50) {
                break found;
            }
        };
        assert_eq!(found.witness.map(|(_, how)| how), Some(RunEnd::Livelock));
        let fixed = model::run_on(&def.race, KernelVersion::V6_15, &[]);
        assert_eq!(fixed.end.map(|e| e.how), Some(RunEnd::Completed));
    }

    #[test]
    fn bad_input_is_the_parsers_diagnostic_with_its_place() {
        let mut build = Build {
            threads: "t1: cpu reed pages=0".into(),
            ..Build::default()
        };
        let err = build.race(KernelVersion::V6_15).unwrap_err();
        assert!(err.starts_with(&format!("{BUILT_PATH}:")), "{err}");
        assert!(err.contains("reed"), "{err}");
        build.states = "DQ".into();
        build.threads = "t1: cpu read pages=0".into();
        let err = build.race(KernelVersion::V6_15).unwrap_err();
        assert!(err.contains(BUILT_PATH), "{err}");
        build.threads = "cpu read pages=0".into();
        assert!(build
            .race(KernelVersion::V6_15)
            .unwrap_err()
            .contains("no thread"));
        build.threads = "t1: cpu read pages=0\n".repeat(1000);
        assert!(build
            .race(KernelVersion::V6_15)
            .unwrap_err()
            .contains("MAX_BUILD_CHARS"));
    }

    #[test]
    fn every_preset_builds_on_every_kernel() {
        for (key, _, build) in presets() {
            for k in KernelVersion::ALL {
                let def = build
                    .race(k)
                    .unwrap_or_else(|e| panic!("{key} on {}: {e}", k.name()));
                let end = model::run_on(&def.race, k, &[]).end.map(|e| e.how);
                assert!(end.is_some(), "{key} on {}", k.name());
            }
        }
    }
}
