//! Scenario notation: one letter per page (DESIGN.md §4), and the limits every caller must respect.
//!
//! This module owns parsing of the state string shared by the CLI, URLs and lessons. It never panics:
//! every bad input becomes a [`ScenarioError`] naming the offending position and letter.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Largest range a scenario may cover: 1 GiB of 4 KiB pages. The simulator is measured at this size
/// (the 262,144-page benchmark); larger ranges are refused with [`ScenarioError::TooManyPages`].
pub const MAX_PAGES: usize = 262_144;

/// The initial state of one page of the driver's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PageState {
    /// `P`: present, writable, anonymous and exclusive (AnonExclusive), content written by the CPU.
    Present,
    /// `C`: present read-only, COW-shared with another process (a fork child): mapcount 2.
    CowShared,
    /// `Z`: the shared zero page (a read fault on never-written anonymous memory).
    Zero,
    /// `N`: never touched: `pte_none`.
    None,
    /// `S`: swapped out: a swap entry in the PTE, the content in a swap slot.
    Swapped,
    /// `D`: device-private, owned by this device (the driver's own `pgmap_owner`).
    DevicePrivate,
    /// `O`: device-private, owned by another device (a second dmirror with another owner).
    OtherDevice,
    /// `M`: device-coherent memory of a coherent device (test_hmm's device 2): CPU-mapped by an ordinary
    /// present PTE, so it never faults; only that device's owner can migrate it back.
    DeviceCoherent,
    /// `H`: one page of a PMD-mapped anonymous 2 MiB THP. `H` comes in runs of 512 starting at a multiple of
    /// 512 (the PMD boundary): each run is one folio of 512 pages mapped by one PMD entry.
    Huge,
}

/// Pages of one PMD-mapped THP (`HPAGE_PMD_NR`).
pub const HPAGE_PMD_NR: usize = 512;

impl PageState {
    pub const ALL: [PageState; 9] = [
        PageState::Present,
        PageState::CowShared,
        PageState::Zero,
        PageState::None,
        PageState::Swapped,
        PageState::DevicePrivate,
        PageState::OtherDevice,
        PageState::DeviceCoherent,
        PageState::Huge, // last: PER_PAGE is every state before it
    ];

    /// The states a single page can be in on its own: every letter but `H`, which comes 512 at a time
    /// (`ALL` without its last entry, so the two lists cannot drift apart).
    pub const PER_PAGE: [PageState; 8] = {
        let mut out = [PageState::Present; 8];
        let mut i = 0;
        while i < out.len() {
            out[i] = PageState::ALL[i];
            i += 1;
        }
        out
    };

    pub fn letter(self) -> char {
        match self {
            PageState::Present => 'P',
            PageState::CowShared => 'C',
            PageState::Zero => 'Z',
            PageState::None => 'N',
            PageState::Swapped => 'S',
            PageState::DevicePrivate => 'D',
            PageState::OtherDevice => 'O',
            PageState::DeviceCoherent => 'M',
            PageState::Huge => 'H',
        }
    }

    pub fn from_letter(letter: char) -> Option<PageState> {
        PageState::ALL.into_iter().find(|s| s.letter() == letter)
    }

    /// A one-line description for legends and `--help`.
    pub fn describe(self) -> &'static str {
        match self {
            PageState::Present => "present, writable, anon-exclusive",
            PageState::CowShared => "present read-only, COW-shared with a fork child",
            PageState::Zero => "mapped to the shared zero page",
            PageState::None => "never touched (pte_none)",
            PageState::Swapped => "swapped out (swap entry)",
            PageState::DevicePrivate => "device-private, owned by this device",
            PageState::OtherDevice => "device-private, owned by another device",
            PageState::DeviceCoherent => {
                "device-coherent, on a coherent device (CPU-mapped, never faults)"
            }
            PageState::Huge => "part of a 2 MiB THP mapped by one PMD entry (runs of 512)",
        }
    }
}

/// Why a state string was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScenarioError {
    Empty,
    /// `position` is 0-based in characters.
    BadLetter {
        position: usize,
        letter: char,
    },
    TooManyPages {
        pages: usize,
        max: usize,
    },
    /// A `*` not followed by a count of 1 to 9,999,999 pages.
    BadRepeat {
        position: usize,
    },
    /// A run of `H` that does not start on a PMD boundary (a multiple of 512 pages) or is not a whole number
    /// of 512-page THPs. `position` is the run's first page, `pages` its length.
    HugeMisaligned {
        position: usize,
        pages: usize,
    },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Empty => write!(
                f,
                "empty state string: give at least one page letter (P C Z N S D O M H)"
            ),
            ScenarioError::BadLetter { position, letter } => write!(
                f,
                "bad page letter {letter:?} at position {position}: expected one of P C Z N S D O M H"
            ),
            ScenarioError::BadRepeat { position } => {
                write!(f, "bad repeat at position {position}: `*` must be followed by a page count, as in P*512")
            }
            ScenarioError::HugeMisaligned { position, pages } => write!(
                f,
                "the run of {pages} H pages at page {position} is not whole 2 MiB THPs: an H run must start at a multiple of 512 pages and be a multiple of 512 long, as in N*512H*512"
            ),
            ScenarioError::TooManyPages { pages, max } => {
                write!(
                    f,
                    "{pages} pages is more than the limit of {max} (1 GiB of 4 KiB pages)"
                )
            }
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Parse a state string such as `"PPSNZ"`. A letter may be followed by `*N` to repeat it `N` times
/// (`"P*510SN"` is 510 present pages, one swapped, one untouched), so 1 GiB scenarios fit in a URL or a
/// command line. No whitespace; at most [`MAX_PAGES`] pages in all, checked before anything is allocated.
pub fn parse_states(text: &str) -> Result<Vec<PageState>, ScenarioError> {
    if text.is_empty() {
        return Err(ScenarioError::Empty);
    }
    let chars: Vec<char> = text.chars().collect();
    // First pass: the runs and their total, so an oversize string is refused without allocating for it.
    let mut runs: Vec<(PageState, usize)> = Vec::new();
    let mut pages: usize = 0;
    let mut at = 0;
    while at < chars.len() {
        let letter = chars[at];
        let state = PageState::from_letter(letter).ok_or(ScenarioError::BadLetter {
            position: at,
            letter,
        })?;
        at += 1;
        let mut count = 1usize;
        if chars.get(at) == Some(&'*') {
            let digits_start = at + 1;
            let mut end = digits_start;
            while end < chars.len() && chars[end].is_ascii_digit() && end - digits_start < 7 {
                end += 1;
            }
            if end == digits_start {
                return Err(ScenarioError::BadRepeat { position: at });
            }
            let digits: String = chars[digits_start..end].iter().collect();
            count = digits
                .parse()
                .map_err(|_| ScenarioError::BadRepeat { position: at })?;
            if count == 0 {
                return Err(ScenarioError::BadRepeat { position: at });
            }
            at = end;
        }
        pages = pages.saturating_add(count);
        if pages > MAX_PAGES {
            return Err(ScenarioError::TooManyPages {
                pages,
                max: MAX_PAGES,
            });
        }
        runs.push((state, count));
    }
    // H runs are whole PMD-mapped THPs: adjacent runs merge (`H*256H*256` is one THP), then each must start
    // and end on a PMD boundary.
    let mut at = 0;
    let mut huge_from: Option<usize> = None;
    for &(state, count) in runs.iter().chain(std::iter::once(&(PageState::None, 0))) {
        match (state == PageState::Huge, huge_from) {
            (true, None) => huge_from = Some(at),
            (false, Some(from)) => {
                if from % HPAGE_PMD_NR != 0 || (at - from) % HPAGE_PMD_NR != 0 {
                    return Err(ScenarioError::HugeMisaligned {
                        position: from,
                        pages: at - from,
                    });
                }
                huge_from = None;
            }
            _ => {}
        }
        at += count;
    }
    let mut states = Vec::with_capacity(pages);
    for (state, count) in runs {
        states.extend(std::iter::repeat_n(state, count));
    }
    Ok(states)
}

/// The inverse of [`parse_states`].
pub fn format_states(states: &[PageState]) -> String {
    states.iter().map(|s| s.letter()).collect()
}

/// Runs shorter than this stay spelled out (`PPPP`); longer ones become `X*n` in [`compact_states`].
const COMPACT_RUN_MIN: usize = 9;

/// The inverse of [`parse_states`] in its shortest everyday form: runs of 9 or more equal letters become
/// `X*n` (`"P*512SN"`), shorter runs stay spelled out. This is the text URLs and the app's scenario field use.
pub fn compact_states(states: &[PageState]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < states.len() {
        let run = states[i..].iter().take_while(|&&s| s == states[i]).count();
        if run >= COMPACT_RUN_MIN {
            out.push(states[i].letter());
            out.push('*');
            out.push_str(&run.to_string());
        } else {
            out.extend(std::iter::repeat_n(states[i].letter(), run));
        }
        i += run;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_letter() {
        let states = parse_states("PCZNSDOM").unwrap();
        assert_eq!(states, PageState::PER_PAGE.to_vec());
        assert_eq!(format_states(&states), "PCZNSDOM");
        let huge = parse_states("H*512").unwrap();
        assert_eq!(huge, vec![PageState::Huge; 512]);
        assert_eq!(compact_states(&huge), "H*512");
    }

    #[test]
    fn bad_letter_names_position() {
        let err = parse_states("PPxP").unwrap_err();
        assert_eq!(
            err,
            ScenarioError::BadLetter {
                position: 2,
                letter: 'x'
            }
        );
        assert!(err.to_string().contains("position 2"));
    }

    #[test]
    fn repeats() {
        let s = parse_states("P*3SN*2").unwrap();
        assert_eq!(format_states(&s), "PPPSNN");
        assert_eq!(
            parse_states("P*"),
            Err(ScenarioError::BadRepeat { position: 1 })
        );
        assert_eq!(
            parse_states("P*0"),
            Err(ScenarioError::BadRepeat { position: 1 })
        );
        assert_eq!(
            parse_states("*3"),
            Err(ScenarioError::BadLetter {
                position: 0,
                letter: '*'
            })
        );
        assert!(matches!(
            parse_states("P*262145"),
            Err(ScenarioError::TooManyPages { .. })
        ));
        assert!(matches!(
            parse_states("P*9999999P*9999999"),
            Err(ScenarioError::TooManyPages { .. })
        ));
        assert_eq!(parse_states("P*262144").unwrap().len(), MAX_PAGES);
    }

    #[test]
    fn compact_round_trips_and_is_short() {
        for text in [
            "PPNS", "P*512", "PPPPSSSS", "N*20P*9C", "PCZNSDO", "S*262144",
        ] {
            let states = parse_states(text).unwrap();
            assert_eq!(parse_states(&compact_states(&states)), Ok(states));
        }
        let compact = |text: &str| compact_states(&parse_states(text).unwrap());
        assert_eq!(compact("P*512"), "P*512");
        assert_eq!(compact("PPPPSSSS"), "PPPPSSSS");
        assert_eq!(compact("PPPPPPPPP"), "P*9");
        assert_eq!(compact("P*8N"), "PPPPPPPPN");
        assert_eq!(compact_states(&[]), "");
    }

    #[test]
    fn huge_runs_are_whole_thps() {
        assert_eq!(parse_states("N*512H*512P").unwrap().len(), 1025);
        assert_eq!(parse_states("H*256H*256").unwrap().len(), 512);
        assert!(parse_states("H*262144").is_ok());
        for (text, position, pages) in [
            ("H", 0, 1),
            ("PH*512", 1, 512),
            ("H*511N", 0, 511),
            ("H*512N*511H*512", 1023, 512),
            ("H*1000", 0, 1000),
        ] {
            let err = parse_states(text).unwrap_err();
            assert_eq!(
                err,
                ScenarioError::HugeMisaligned { position, pages },
                "{text}"
            );
            assert!(err.to_string().contains("multiple of 512"));
        }
    }

    #[test]
    fn limits_are_enforced() {
        assert_eq!(parse_states(""), Err(ScenarioError::Empty));
        let big = "P".repeat(MAX_PAGES + 1);
        assert!(matches!(
            parse_states(&big),
            Err(ScenarioError::TooManyPages { .. })
        ));
        assert!(parse_states(&"P".repeat(MAX_PAGES)).is_ok());
    }
}
