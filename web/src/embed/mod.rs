//! Embedding hmmviz in another page (a docs page, a slide deck): how the page is laid out and who may drive it.
//!
//! - this module: the URL parameters that choose the frame's layout (`embed`, `lanes`, `controls`, `theme`,
//!   `present`, `speaker`, `origin`), read into a [`Display`] without ever failing (problems become notices, like
//!   [`crate::url`]'s), and written back after the picture's own parameters;
//! - [`protocol`]: the versioned `postMessage` protocol, pure data (JSON text in, commands or an error out;
//!   replies and events out as JSON text), so it is tested and fuzzed natively;
//! - [`commands`]: what each command does (the same reducer actions as keys and buttons), and the position the
//!   frame reports;
//! - [`view`]: the embedded page: chosen lanes, chosen controls, the "open in hmmviz" link;
//! - [`host`]: the browser side: the `message` listener with its origin check, and the events posted to the
//!   host page.
//!
//! docs/embedding.md is the reference for page authors.

pub mod commands;
pub mod host;
pub mod protocol;
pub mod view;

use hmm_sim::Strategy;

use crate::state::Theme;
use crate::url::{decode_component, encode_component, Notice};

/// The URL parameters this module owns; [`crate::url::parse_query`] leaves them to [`Display::parse`].
pub const KEYS: [&str; 7] = [
    "embed", "lanes", "controls", "theme", "present", "speaker", "origin",
];

/// How much of the transport an embedded frame shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Controls {
    /// No controls: the host page drives the frame (postMessage), the reader only looks.
    None,
    /// One row: first/back/play/forward/next milestone, the step, a scrubber.
    Compact,
    /// The app's whole transport and narration.
    Full,
}

impl Controls {
    pub const ALL: [Controls; 3] = [Controls::None, Controls::Compact, Controls::Full];
    pub fn name(self) -> &'static str {
        match self {
            Controls::None => "none",
            Controls::Compact => "compact",
            Controls::Full => "full",
        }
    }
    pub fn parse(s: &str) -> Option<Controls> {
        Controls::ALL.into_iter().find(|c| c.name() == s)
    }
}

/// Which of the three lanes the compare view shows, in lane order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaneSet([bool; 3]);

impl Default for LaneSet {
    fn default() -> LaneSet {
        LaneSet([true; 3])
    }
}

impl LaneSet {
    pub fn contains(self, s: Strategy) -> bool {
        let i = Strategy::ALL.iter().position(|&x| x == s).unwrap_or(0);
        self.0[i]
    }

    pub fn shown(self) -> impl Iterator<Item = Strategy> {
        Strategy::ALL.into_iter().filter(move |&s| self.contains(s))
    }

    pub fn count(self) -> usize {
        self.0.iter().filter(|&&b| b).count()
    }

    /// `A,U`: the letters the lane badges show.
    pub fn letters(self) -> String {
        self.shown()
            .map(crate::components::lane_letter)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Read `A,U` (letters, any case) or `legacy_a,unified` (lane names), in any order and mix. Err: the
    /// first word that names no lane, or an empty list.
    pub fn parse(s: &str) -> Result<LaneSet, String> {
        let mut set = [false; 3];
        for word in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let lane = Strategy::ALL.into_iter().find(|&l| {
                word.eq_ignore_ascii_case(crate::components::lane_letter(l))
                    || word.eq_ignore_ascii_case(l.name())
            });
            match lane {
                Some(l) => set[Strategy::ALL.iter().position(|&x| x == l).unwrap_or(0)] = true,
                None => return Err(word.to_owned()),
            }
        }
        if set.iter().any(|&b| b) {
            Ok(LaneSet(set))
        } else {
            Err(String::new())
        }
    }
}

/// Who may send commands: any parent frame, or only one origin (`origin=https://docs.example.org`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Origin {
    #[default]
    AnyParent,
    /// Commands from this origin only; events go to this origin only. An `origin=` value that is not an
    /// origin is kept as written: it matches nothing, so the frame takes no command (and says so).
    Only(String),
}

impl Origin {
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            Origin::AnyParent => true,
            Origin::Only(o) => o == origin,
        }
    }

    /// `targetOrigin` for `postMessage`.
    pub fn target(&self) -> &str {
        match self {
            Origin::AnyParent => "*",
            Origin::Only(o) => o,
        }
    }
}

/// The layout and embedding choices a URL makes; nothing here is part of the picture (scenario, step…).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Display {
    /// `embed=1`: minimal chrome, the frame fits its box without scrolling.
    pub embed: bool,
    pub lanes: LaneSet,
    /// `None`: the mode's default ([`Display::controls`]).
    pub controls: Option<Controls>,
    /// A theme the URL chose for this page (not stored as the reader's preference).
    pub theme: Option<Theme>,
    /// `present=1`: presenter mode (clicker keys, projector theme).
    pub present: bool,
    /// `speaker=1`: the presenter's speaker window (`crate::present`).
    pub speaker: bool,
    pub origin: Origin,
}

fn theme_name(t: Theme) -> &'static str {
    match t {
        Theme::System => "system",
        Theme::Light => "light",
        Theme::Dark => "dark",
    }
}

pub fn parse_theme(s: &str) -> Option<Theme> {
    [Theme::System, Theme::Light, Theme::Dark]
        .into_iter()
        .find(|&t| theme_name(t) == s)
}

/// Is `s` a web origin (`scheme://host[:port]`, no path), as `MessageEvent.origin` spells one?
fn is_origin(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.contains(['/', '?', '#', '@', ' '])
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

impl Display {
    /// The controls shown: what the URL chose, else compact when embedded or presenting and the full
    /// transport otherwise.
    pub fn controls(&self) -> Controls {
        self.controls.unwrap_or(if self.embed || self.present {
            Controls::Compact
        } else {
            Controls::Full
        })
    }

    /// Read this module's parameters from a query string; the others are [`crate::url`]'s.
    pub fn parse(query: &str) -> (Display, Vec<Notice>) {
        let mut d = Display::default();
        let mut notices = Vec::new();
        let query = query.strip_prefix('?').unwrap_or(query);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode_component(key);
            let value = decode_component(raw);
            let flag = |name: &str, notices: &mut Vec<Notice>| match value.as_str() {
                "1" | "true" | "" => true,
                "0" | "false" => false,
                other => {
                    notices.push(Notice(format!(
                        "{name}={:?} is not 1 or 0: ignored.",
                        shorten(other)
                    )));
                    false
                }
            };
            match key.as_str() {
                "embed" => d.embed = flag("embed", &mut notices),
                "present" => d.present = flag("present", &mut notices),
                "speaker" => d.speaker = flag("speaker", &mut notices),
                "lanes" => match LaneSet::parse(&value) {
                    Ok(set) => d.lanes = set,
                    Err(word) => notices.push(Notice(format!(
                        "lanes={:?}: {} Showing all three (lanes: A, B, U, or legacy_a, legacy_b, unified, \
                         comma-separated).",
                        shorten(&value),
                        if word.is_empty() {
                            "names no lane.".to_owned()
                        } else {
                            format!("{:?} is not a lane.", shorten(&word))
                        }
                    ))),
                },
                "controls" => match Controls::parse(&value) {
                    Some(c) => d.controls = Some(c),
                    None => notices.push(Notice(format!(
                        "Unknown controls {:?}: showing the default (controls: none, compact, full).",
                        shorten(&value)
                    ))),
                },
                "theme" => match parse_theme(&value) {
                    Some(t) => d.theme = Some(t),
                    None => notices.push(Notice(format!(
                        "Unknown theme {:?} (themes: light, dark, system).",
                        shorten(&value)
                    ))),
                },
                "origin" => {
                    if !is_origin(&value) {
                        notices.push(Notice(format!(
                            "origin={:?} is not a web origin like https://docs.example.org: this frame takes \
                             no command from its host page.",
                            shorten(&value)
                        )));
                    }
                    d.origin = Origin::Only(value);
                }
                _ => {}
            }
        }
        (d, notices)
    }

    /// The parameters to append to [`crate::url::format_query`]'s (with their leading `&`), defaults left out.
    pub fn format_suffix(&self) -> String {
        let mut q = String::new();
        if self.embed {
            q.push_str("&embed=1");
        }
        if self.present {
            q.push_str("&present=1");
        }
        if self.speaker {
            q.push_str("&speaker=1");
        }
        if self.lanes != LaneSet::default() {
            q.push_str("&lanes=");
            q.push_str(&self.lanes.letters());
        }
        if let Some(c) = self.controls {
            q.push_str("&controls=");
            q.push_str(c.name());
        }
        if let Some(t) = self.theme {
            q.push_str("&theme=");
            q.push_str(theme_name(t));
        }
        if let Origin::Only(o) = &self.origin {
            q.push_str("&origin=");
            q.push_str(&encode_component(o));
        }
        q
    }
}

fn shorten(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        s.chars().take(MAX).chain(['…']).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_back() {
        let q = "v=1&pages=PP&embed=1&lanes=u,A&controls=none&theme=dark&origin=https%3A%2F%2Fdocs.example.org";
        let (d, notices) = Display::parse(q);
        assert_eq!(notices, vec![]);
        assert!(d.embed && !d.present);
        assert_eq!(
            d.lanes.shown().collect::<Vec<_>>(),
            [Strategy::LegacyA, Strategy::Unified]
        );
        assert_eq!(d.controls(), Controls::None);
        assert_eq!(d.theme, Some(Theme::Dark));
        assert!(d.origin.allows("https://docs.example.org"));
        assert!(!d.origin.allows("https://evil.example"));
        assert_eq!(
            d.format_suffix(),
            "&embed=1&lanes=A,U&controls=none&theme=dark&origin=https%3A%2F%2Fdocs.example.org"
        );
        assert_eq!(Display::parse(&d.format_suffix()), (d, vec![]));
    }

    #[test]
    fn defaults_depend_on_the_mode() {
        let (d, _) = Display::parse("");
        assert_eq!(
            (d.embed, d.controls(), d.lanes.count()),
            (false, Controls::Full, 3)
        );
        assert_eq!(d.format_suffix(), "");
        let (d, _) = Display::parse("embed=1");
        assert_eq!(d.controls(), Controls::Compact);
        assert_eq!(d.origin, Origin::AnyParent);
        assert_eq!(d.origin.target(), "*");
    }

    #[test]
    fn bad_values_become_notices() {
        let (d, notices) = Display::parse(
            "embed=yes&lanes=A,X&controls=big&theme=pink&origin=javascript:alert(1)",
        );
        assert_eq!(notices.len(), 5, "{notices:?}");
        assert!(!d.embed);
        assert_eq!(d.lanes, LaneSet::default());
        assert_eq!(d.controls, None);
        assert_eq!(d.theme, None);
        // A bad origin admits nobody, not everybody.
        assert!(!d.origin.allows("https://docs.example.org"));
        assert!(!d.origin.allows("null"));
        let (_, notices) = Display::parse("lanes=,");
        assert!(notices[0].0.contains("names no lane"), "{notices:?}");
    }

    #[test]
    fn origins() {
        for ok in [
            "https://a.org",
            "http://127.0.0.1:8080",
            "https://[::1]:443",
        ] {
            assert!(is_origin(ok), "{ok}");
        }
        for bad in [
            "",
            "a.org",
            "https://",
            "https://a.org/",
            "ftp://a.org",
            "https://a.org?x",
            "null",
        ] {
            assert!(!is_origin(bad), "{bad}");
        }
    }
}
