//! Scenario text as the app accepts it, and the presets offered as buttons.
//!
//! The text is hmm-sim's state string (one letter per page, `X*n` repeats: `P*512`, `PPN*30S*2`). Both
//! directions are hmm-sim's: `hmm_sim::parse_states` reads it (its errors are the ones the app shows)
//! and `compact_states` writes it back, and its page limit is the app's.

use hmm_sim::{parse_states, PageState, ScenarioError};

/// A named scenario offered as a button.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preset {
    /// Stable id, used in element ids (`preset-<id>`).
    pub id: &'static str,
    pub label: &'static str,
    /// The state string, in the shorthand.
    pub pages: &'static str,
    /// What the preset shows, for the button's tooltip.
    pub why: &'static str,
}

pub const PRESETS: [Preset; 8] = [
    Preset {
        id: "present",
        label: "All present",
        pages: "PPPPPPPP",
        why: "The common case: every page is mapped. Legacy A still walks twice; B and unified once.",
    },
    Preset {
        id: "swapped",
        label: "Some swapped",
        pages: "PPSPPSSP",
        why: "Swap entries: migrate_vma_collect skips them, so legacy B must fault them in and migrate again.",
    },
    Preset {
        id: "cow",
        label: "COW pages",
        pages: "PCPCCPPC",
        why: "Read-only pages shared with a fork child: the write fault breaks COW before migration.",
    },
    Preset {
        id: "zero",
        label: "Zero pages",
        pages: "PZZPZPPZ",
        why: "Pages mapped to the shared zero page: migrated as holes, never copied.",
    },
    Preset {
        id: "none",
        label: "pte_none",
        pages: "PNNPNNPN",
        why: "Never-touched pages: holes that migrate_vma populates directly on the device.",
    },
    Preset {
        id: "rfc",
        label: "RFC mixed case",
        pages: "PPPPSSSS",
        why: "The RFC cover letter's case: present pages and non-present (swapped) pages in one range.",
    },
    Preset {
        id: "chunk",
        label: "512-page chunk",
        pages: "P*512",
        why: "One full PTE table (2 MiB): a whole PMD chunk under one PTL.",
    },
    Preset {
        id: "million",
        label: "1M-event trace",
        pages: "P*20000",
        why: "20,000 present pages: about a million events per lane (a second or so to compute).",
    },
];

/// Why scenario text was refused: hmm-sim's own verdict (letter, repeat, emptiness, its page limit,
/// [`hmm_sim::MAX_PAGES`]). The browser adds no page limit of its own: the simulator runs in a worker and
/// what grows with the run is bounded per lane (`crate::comparison::BROWSER_MAX_EVENTS_PER_LANE`).
pub type TextError = ScenarioError;

/// Parse scenario text with hmm-sim's parser. Never panics; hmm-sim checks its own limit before allocating.
pub fn parse_text(text: &str) -> Result<Vec<PageState>, TextError> {
    parse_states(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmm_sim::{compact_states as compact, format_states};

    fn letters(text: &str) -> String {
        format_states(&parse_text(text).expect("valid"))
    }

    #[test]
    fn plain_and_repeated_letters_expand() {
        assert_eq!(letters("PPNS"), "PPNS");
        assert_eq!(letters("P*3N*2S"), "PPPNNS");
        assert_eq!(parse_text("P*512").map(|s| s.len()), Ok(512));
    }

    #[test]
    fn errors_are_hmm_sims() {
        assert_eq!(
            parse_text("P*100x").unwrap_err().to_string(),
            "bad page letter 'x' at position 5: expected one of P C Z N S D O M H"
        );
        assert_eq!(
            parse_text("*3").unwrap_err(),
            ScenarioError::BadLetter {
                position: 0,
                letter: '*'
            }
        );
        assert_eq!(
            parse_text("P*").unwrap_err(),
            ScenarioError::BadRepeat { position: 1 }
        );
        assert_eq!(parse_text(""), Err(ScenarioError::Empty));
        assert_eq!(
            parse_text("P*0"),
            Err(ScenarioError::BadRepeat { position: 1 })
        );
    }

    #[test]
    fn limits_are_checked() {
        assert!(matches!(
            parse_text("P*9999999"),
            Err(ScenarioError::TooManyPages { .. })
        ));
        // The browser runs as many pages as hmm-sim does: a whole GiB.
        assert_eq!(
            parse_text(&format!("P*{}", hmm_sim::MAX_PAGES)).map(|s| s.len()),
            Ok(hmm_sim::MAX_PAGES)
        );
    }

    #[test]
    fn compact_round_trips() {
        for text in ["PPNS", "P*512", "PPPPSSSS", "N*20P*9C"] {
            let states = parse_text(text).expect("valid");
            assert_eq!(parse_text(&compact(&states)), Ok(states.clone()));
        }
        assert_eq!(compact(&parse_text("P*512").expect("valid")), "P*512");
        assert_eq!(compact(&parse_text("PPPPSSSS").expect("valid")), "PPPPSSSS");
    }

    #[test]
    fn every_preset_parses() {
        for p in PRESETS {
            assert!(parse_text(p.pages).is_ok(), "{}", p.id);
        }
    }
}
