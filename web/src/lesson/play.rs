//! A lesson checked and run once, exactly as `hmmviz check` does (`hmm_lesson::check::check_text_observing`:
//! the same parser, runner and report), keeping what each beat left behind so the player can show it.

use hmm_lesson::check::{check_text_observing, AssertionReport, LessonReport};
use hmm_lesson::observe::{Observation, WorldObs};
use hmm_lesson::Lesson;
use std::rc::Rc;
use std::sync::Arc;

/// The narration lines shown per world and beat; a longer run says how many more there were.
pub const MAX_NARRATED_EVENTS: usize = 400;

/// A lesson, its report (the CLI's, verbatim) and every beat's worlds.
#[derive(Debug)]
pub struct PlayedLesson {
    pub text: String,
    pub report: LessonReport,
    /// None when the file did not parse or validate (the report's diagnostics say why).
    pub lesson: Option<Lesson>,
    /// One observation per beat that ran, in order.
    pub beats: Vec<Observation>,
    /// Per beat: the range of `report.assertions` that are its claims (its predictions' `verify`s first,
    /// then its assertions: the report's own order).
    pub claims: Vec<std::ops::Range<usize>>,
}

impl PartialEq for PlayedLesson {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

impl PlayedLesson {
    /// Parse, validate and run `text` (named `path` in diagnostics, as the CLI names its file).
    pub fn check(path: &str, text: &str) -> Rc<PlayedLesson> {
        let mut beats = Vec::new();
        let (report, ran) = check_text_observing(path, text, |_, obs| beats.push(obs.clone()));
        let lesson = ran.map(|(lesson, _)| lesson);
        let mut claims = Vec::new();
        if let Some(lesson) = &lesson {
            // Walk the beats as the report does (`check::report`): a beat that ran contributes its
            // predictions' verify claims, then its assertions.
            let mut at = 0;
            for (i, beat) in lesson.beats.iter().enumerate() {
                if i >= beats.len() {
                    break;
                }
                let n = beat
                    .predictions
                    .iter()
                    .filter(|p| p.verify.is_some())
                    .count()
                    + beat.assertions.len();
                let end = (at + n).min(report.assertions.len());
                claims.push(at..end);
                at = end;
            }
        }
        Rc::new(PlayedLesson {
            text: text.to_owned(),
            report,
            lesson,
            beats,
            claims,
        })
    }

    /// The report lines of beat `beat`'s claims.
    pub fn beat_claims(&self, beat: usize) -> &[AssertionReport] {
        self.claims
            .get(beat)
            .and_then(|r| self.report.assertions.get(r.clone()))
            .unwrap_or(&[])
    }

    /// Beat `beat`'s prose split where its first directive block (actions, prediction, assertions) opens:
    /// the part the reader sees before predicting, and the part written after the blocks, which often
    /// explains the outcome and so waits for the answer. A beat with no directive block is all "before".
    pub fn prose_parts(&self, beat: usize) -> (String, String) {
        let Some(lesson) = &self.lesson else {
            return (String::new(), String::new());
        };
        let Some(b) = lesson.beats.get(beat) else {
            return (String::new(), String::new());
        };
        let start = b.span.end.min(self.text.len());
        let end = lesson.beats.get(beat + 1).map_or(self.text.len(), |next| {
            next.span.start.clamp(start, self.text.len())
        });
        let region = self.text.get(start..end).unwrap_or("");
        let mut before = String::new();
        // The heading line's own newline, if the span stops before it.
        for line in region.strip_prefix('\n').unwrap_or(region).lines() {
            let info = line.trim_start().trim_start_matches('`');
            let fence = line.trim_start().starts_with("```");
            if fence && matches!(info.trim(), "hmm" | "predict" | "assert") {
                break;
            }
            before.push_str(line);
            before.push('\n');
        }
        match b.prose.strip_prefix(&before) {
            Some(after) => (before, after.to_owned()),
            // Not a prefix (never expected): show it all up front rather than lose any.
            None => (b.prose.clone(), String::new()),
        }
    }

    /// The worlds beat `beat` changed, with the events it added to each: the main world's new runs, or a
    /// lane's whole run (a lane action reruns the lane from the scenario). An unchanged world is the same
    /// shared observation as the beat before (the runner rebuilds only what an action changed).
    pub fn changed_worlds(&self, beat: usize) -> Vec<WorldChange> {
        let Some(now) = self.beats.get(beat) else {
            return vec![];
        };
        let before = beat.checked_sub(1).and_then(|b| self.beats.get(b));
        let mut out = Vec::new();
        let main_before = before.map(|b| &b.main);
        if main_before.is_none_or(|b| !Arc::ptr_eq(b, &now.main)) && !now.main.events.is_empty() {
            let skip = main_before.map_or(0, |b| b.events.len());
            if now.main.events.len() > skip {
                out.push(WorldChange {
                    name: "main".into(),
                    world: now.main.clone(),
                    before: main_before.cloned(),
                    skip,
                });
            }
        }
        for (name, lane) in &now.lanes {
            let lane_before = before.and_then(|b| b.lanes.get(name));
            if lane_before.is_none_or(|b| !Arc::ptr_eq(b, lane)) {
                out.push(WorldChange {
                    name: name.clone(),
                    world: lane.clone(),
                    before: lane_before.cloned(),
                    skip: 0,
                });
            }
        }
        out
    }
}

/// One step as the player lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct Narrated {
    pub thread: String,
    pub line: String,
    pub func: hmm_sim::Func,
    /// Why it matters, for the kinds of step that mark a turn (`crate::why`).
    pub why: Option<&'static str>,
}

/// One world a beat changed.
#[derive(Clone, Debug)]
pub struct WorldChange {
    /// `main` (the test process) or the lane's name.
    pub name: String,
    pub world: Arc<WorldObs>,
    /// The same world after the previous beat, if it existed then.
    pub before: Option<Arc<WorldObs>>,
    /// Events of `world` that earlier beats already showed.
    pub skip: usize,
}

impl WorldChange {
    /// The beat's events, narrated by hmm-sim (`hmm_sim::narrate`), each with its thread's name and the
    /// function that acted; at most [`MAX_NARRATED_EVENTS`], and the number left out.
    pub fn narration(&self) -> (Vec<Narrated>, usize) {
        let mut lines = Vec::new();
        let mut seen = 0usize;
        for (events, names) in self.world.events.runs() {
            for e in events {
                seen += 1;
                if seen <= self.skip || lines.len() >= MAX_NARRATED_EVENTS {
                    continue;
                }
                let thread = names
                    .get(e.thread as usize)
                    .cloned()
                    .unwrap_or_else(|| format!("T{}", e.thread));
                lines.push(Narrated {
                    thread,
                    line: hmm_sim::narrate(&e),
                    func: e.func,
                    why: crate::why::why(&e),
                });
            }
        }
        let total = seen.saturating_sub(self.skip);
        let left = total.saturating_sub(lines.len());
        (lines, left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The player's verdicts are the CLI's report, and every claim of every beat that ran is placed in
    /// exactly one beat.
    #[test]
    fn claims_partition_the_report() {
        for &(path, text) in crate::lesson::bundle::files() {
            let played = PlayedLesson::check(path, text);
            let (cli, _) = hmm_lesson::check_text(path, text);
            assert_eq!(played.report.passed(), cli.passed(), "{path}");
            let placed: usize = (0..played.beats.len())
                .map(|b| played.beat_claims(b).len())
                .sum();
            assert_eq!(placed, played.report.assertions.len(), "{path}");
            let lesson = played.lesson.as_ref().expect("bundled lessons parse");
            assert_eq!(
                played.beats.len(),
                lesson.beats.len(),
                "{path} ran every beat"
            );
        }
    }
}
