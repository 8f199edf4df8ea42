//! Scenario text as the app accepts it: hmm-sim's state string (one letter per page), plus a repeat
//! shorthand for long ranges (`P*512`, `PPN*30S*2`), and the presets offered as buttons.
//!
//! The shorthand is only notation: which letters exist and what they mean stays `hmm_sim::scenario`'s job
//! (`parse_states`). Errors name the position in the text the user typed.

use std::fmt;

use hmm_sim::{format_states, parse_states, PageState, ScenarioError, MAX_PAGES};

/// The most pages the browser app simulates. hmm-sim goes to [`MAX_PAGES`] (1 GiB), but three lanes of that
/// many pages are tens of millions of events: more than a browser tab should hold. The CLI has no such limit.
pub const MAX_UI_PAGES: usize = 32_768;

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

/// Why scenario text was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextError {
    /// hmm-sim's own verdict (letter, emptiness, its page limit), positions mapped back to the typed text.
    Sim(ScenarioError),
    /// `*` with nothing to repeat.
    RepeatWithoutLetter { position: usize },
    /// `*` not followed by a count.
    MissingCount { position: usize },
    /// More pages than the browser app simulates ([`MAX_UI_PAGES`]).
    TooManyForBrowser { pages: usize },
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TextError::Sim(e) => e.fmt(f),
            TextError::RepeatWithoutLetter { position } => write!(
                f,
                "'*' at position {position} has no page letter before it: write e.g. P*512"
            ),
            TextError::MissingCount { position } => write!(
                f,
                "'*' at position {position} needs a count after it: write e.g. P*512"
            ),
            TextError::TooManyForBrowser { pages } => write!(
                f,
                "{pages} pages is more than the browser app simulates ({MAX_UI_PAGES}); \
                 the CLI (hmmviz compare) goes to {MAX_PAGES}"
            ),
        }
    }
}

/// Parse scenario text: letters, each optionally followed by `*count`. Whitespace is ignored. Never panics and
/// never allocates more than the page limits allow.
pub fn parse_text(text: &str) -> Result<Vec<PageState>, TextError> {
    // Expand into a plain state string, remembering where each expanded letter came from.
    let chars: Vec<char> = text.chars().collect();
    let mut expanded = String::new();
    let mut origin: Vec<(usize, usize)> = Vec::new(); // (first expanded index, typed position)
    let mut pages: usize = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '*' {
            return Err(TextError::RepeatWithoutLetter { position: i });
        }
        let letter_position = i;
        i += 1;
        let mut count: usize = 1;
        if chars.get(i) == Some(&'*') {
            let star = i;
            i += 1;
            let digits_start = i;
            let mut n: usize = 0;
            while let Some(d) = chars.get(i).and_then(|c| c.to_digit(10)) {
                n = n.saturating_mul(10).saturating_add(d as usize);
                i += 1;
            }
            if i == digits_start {
                return Err(TextError::MissingCount { position: star });
            }
            count = n;
        }
        pages = pages.saturating_add(count);
        if pages > MAX_PAGES {
            return Err(TextError::Sim(ScenarioError::TooManyPages {
                pages,
                max: MAX_PAGES,
            }));
        }
        if pages > MAX_UI_PAGES {
            return Err(TextError::TooManyForBrowser { pages });
        }
        origin.push((expanded.chars().count(), letter_position));
        for _ in 0..count {
            expanded.push(c);
        }
    }
    parse_states(&expanded).map_err(|e| match e {
        ScenarioError::BadLetter { position, letter } => {
            // The typed position of the letter that expanded to `position`.
            let k = origin.partition_point(|&(first, _)| first <= position);
            let typed = origin.get(k.wrapping_sub(1)).map_or(position, |&(_, p)| p);
            TextError::Sim(ScenarioError::BadLetter {
                position: typed,
                letter,
            })
        }
        other => TextError::Sim(other),
    })
}

/// The shortest text for `states` in the shorthand: runs of [`RUN_MIN`] or more equal letters become `X*n`.
pub fn compact(states: &[PageState]) -> String {
    const RUN_MIN: usize = 9;
    let plain = format_states(states);
    let letters: Vec<char> = plain.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < letters.len() {
        let mut j = i;
        while j < letters.len() && letters[j] == letters[i] {
            j += 1;
        }
        let run = j - i;
        if run >= RUN_MIN {
            out.push(letters[i]);
            out.push('*');
            out.push_str(&run.to_string());
        } else {
            out.extend(&letters[i..j]);
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letters(text: &str) -> String {
        format_states(&parse_text(text).expect("valid"))
    }

    #[test]
    fn plain_and_repeated_letters_expand() {
        assert_eq!(letters("PPNS"), "PPNS");
        assert_eq!(letters("P*3N*2S"), "PPPNNS");
        assert_eq!(letters(" P P "), "PP");
        assert_eq!(parse_text("P*512").map(|s| s.len()), Ok(512));
    }

    #[test]
    fn errors_name_the_typed_position() {
        assert_eq!(
            parse_text("P*100x").unwrap_err().to_string(),
            "bad page letter 'x' at position 5: expected one of P C Z N S D O"
        );
        assert_eq!(
            parse_text("*3").unwrap_err(),
            TextError::RepeatWithoutLetter { position: 0 }
        );
        assert_eq!(
            parse_text("P*").unwrap_err(),
            TextError::MissingCount { position: 1 }
        );
        assert!(matches!(
            parse_text(""),
            Err(TextError::Sim(ScenarioError::Empty))
        ));
        assert!(matches!(
            parse_text("P*0"),
            Err(TextError::Sim(ScenarioError::Empty))
        ));
    }

    #[test]
    fn limits_are_checked_before_expanding() {
        assert!(matches!(
            parse_text("P*99999999999999999999999"),
            Err(TextError::Sim(ScenarioError::TooManyPages { .. }))
        ));
        assert_eq!(
            parse_text("P*40000").unwrap_err(),
            TextError::TooManyForBrowser { pages: 40000 }
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
