//! URL state: what the address bar holds, versioned, so that a reload or a shared link shows the same picture.
//!
//! `?v=1&pages=PPSN&view=compare&lane=unified&step=120&align=milestone&speed=1`
//!
//! Reading never fails: every parameter that cannot be used becomes a [`Notice`] (shown to the user) and a
//! sane default. Whether `pages` is a valid scenario is decided later, by [`crate::scenario::parse_text`] (and
//! so by hmm-sim); whether `step` is inside the trace, once the trace exists.

use hmm_sim::{BPolicy, DriverOpts, Strategy, UnifiedEntry};

/// The version this app writes, and the only one it reads as-is.
pub const URL_VERSION: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Compare,
    Deep,
}

impl View {
    pub fn name(self) -> &'static str {
        match self {
            View::Compare => "compare",
            View::Deep => "deep",
        }
    }
    fn parse(s: &str) -> Option<View> {
        [View::Compare, View::Deep]
            .into_iter()
            .find(|v| v.name() == s)
    }
}

/// How the compare view lines the three lanes up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// The lanes reach the same milestones together (the transport follows the chosen lane).
    Milestone,
    /// Every lane shows the same raw step number.
    Step,
}

impl Align {
    pub fn name(self) -> &'static str {
        match self {
            Align::Milestone => "milestone",
            Align::Step => "step",
        }
    }
    fn parse(s: &str) -> Option<Align> {
        [Align::Milestone, Align::Step]
            .into_iter()
            .find(|v| v.name() == s)
    }
}

/// Playback speeds, as multiples of [`BASE_STEPS_PER_SECOND`]. Up to 8× each step can be followed by eye; the
/// faster ones scan a long lane (a frame then moves thousands of steps, and the overview shows where they
/// went). The fastest asks for a million steps a second; a frame moves no more than its work fits in a
/// refresh at 60 Hz (`app.rs`, `FrameBudget`), which at 262,144 pages on the project's 2-core machine is
/// 720,000-830,000 steps a second: the browser's longest lane (`comparison::BROWSER_MAX_EVENTS_PER_LANE`,
/// 8.4 M events) in about ten seconds. So past 8× the menu says "up to".
pub const SPEEDS: [f64; 11] = [
    0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 64.0, 512.0, 4096.0, 32768.0, 262144.0,
];
/// Steps per second at 1×. At 0.25× one step a second (time to read each narration line); at 8×, 32 steps a
/// second: each picture still stays on screen for two frames at 60 Hz, so the eye can follow the cursor.
pub const BASE_STEPS_PER_SECOND: f64 = 4.0;
pub const DEFAULT_SPEED_INDEX: usize = 2;

/// A speed as the menu says it: a multiple up to 8×, steps per second past it ("up to": a frame moves no
/// more than the machine draws in a refresh).
pub fn speed_label(index: usize) -> String {
    let s = SPEEDS.get(index).copied().unwrap_or(1.0);
    if s <= 8.0 {
        format!("{s}×")
    } else {
        format!(
            "up to {} steps/s",
            hmm_sim::thousands((s * BASE_STEPS_PER_SECOND) as u64)
        )
    }
}

/// The scenario shown when the URL names none.
pub const DEFAULT_PAGES: &str = "PPPPSSSS";

/// Something in the URL that could not be used as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice(pub String);

/// Everything the URL can say. `step` is checked against the trace later.
#[derive(Clone, Debug, PartialEq)]
pub struct UrlState {
    pub pages: String,
    pub view: View,
    pub lane: Strategy,
    pub step: usize,
    pub align: Align,
    pub speed_index: usize,
    /// Layout and embedding (`embed`, `lanes`, `controls`, `theme`, `present`, `origin`): `crate::embed`'s.
    pub display: crate::embed::Display,
    /// The lanes' driver: `write` (write intent, all three lanes), `b_policy`, `unified_entry`.
    pub driver: DriverOpts,
    /// The page whose history is followed (`page=N`, an index into the range).
    pub page: Option<usize>,
}

impl Default for UrlState {
    fn default() -> UrlState {
        UrlState {
            pages: DEFAULT_PAGES.to_owned(),
            view: View::Compare,
            lane: Strategy::Unified,
            step: 0,
            align: Align::Milestone,
            speed_index: DEFAULT_SPEED_INDEX,
            display: Default::default(),
            driver: DriverOpts::default(),
            page: None,
        }
    }
}

/// Notices one URL produces at most; the rest are counted in one closing notice. A link with 2,000
/// unknown parameters once produced 2,001 notices (issue 14): a reader needs the first few.
pub const MAX_URL_NOTICES: usize = 8;

/// Read a query string (with or without the leading `?`). Unknown or unusable parameters become notices,
/// at most [`MAX_URL_NOTICES`] of them plus one counting the rest.
pub fn parse_query(query: &str) -> (UrlState, Vec<Notice>) {
    let (state, mut notices) = parse_query_all(query);
    if notices.len() > MAX_URL_NOTICES {
        let more = notices.len() - MAX_URL_NOTICES;
        notices.truncate(MAX_URL_NOTICES);
        notices.push(Notice(format!(
            "…and {more} more problem(s) with this link, not shown."
        )));
    }
    (state, notices)
}

fn parse_query_all(query: &str) -> (UrlState, Vec<Notice>) {
    let mut state = UrlState::default();
    let (display, mut notices) = crate::embed::Display::parse(query);
    state.display = display;
    let query = query.strip_prefix('?').unwrap_or(query);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        let value = decode_component(raw);
        let key = decode_component(key);
        match key.as_str() {
            "v" => match value.parse::<u32>() {
                Ok(URL_VERSION) => {}
                _ => notices.push(Notice(format!(
                    "This link says URL version {:?}; this app reads version {URL_VERSION}. \
                     It shows what it could read.",
                    shorten(&value)
                ))),
            },
            "pages" => state.pages = value,
            "view" => match View::parse(&value) {
                Some(v) => state.view = v,
                None => notices.push(Notice(format!(
                    "Unknown view {:?}: showing the compare view (views: compare, deep).",
                    shorten(&value)
                ))),
            },
            "lane" => match Strategy::parse(&value) {
                Some(l) => state.lane = l,
                None => notices.push(Notice(format!(
                    "Unknown lane {:?}: showing unified (lanes: legacy_a, legacy_b, unified).",
                    shorten(&value)
                ))),
            },
            "step" => match value.parse::<usize>() {
                Ok(s) => state.step = s,
                Err(_) => notices.push(Notice(format!(
                    "Step {:?} is not a step number: starting at step 0.",
                    shorten(&value)
                ))),
            },
            "page" => match value.parse::<usize>() {
                Ok(p) => state.page = Some(p),
                Err(_) => notices.push(Notice(format!(
                    "Page {:?} is not a page number: no page is followed.",
                    shorten(&value)
                ))),
            },
            "align" => match Align::parse(&value) {
                Some(a) => state.align = a,
                None => notices.push(Notice(format!(
                    "Unknown alignment {:?}: aligning lanes by milestone (milestone, step).",
                    shorten(&value)
                ))),
            },
            "speed" => match SPEEDS.iter().position(|s| s.to_string() == value) {
                Some(i) => state.speed_index = i,
                None => notices.push(Notice(format!(
                    "Speed {:?} is not one of {}: playing at 1×.",
                    shorten(&value),
                    SPEEDS.map(|s| s.to_string()).join(", ")
                ))),
            },
            "write" => match value.as_str() {
                "1" | "true" => state.driver.write = true,
                "0" | "false" => state.driver.write = false,
                _ => notices.push(Notice(format!(
                    "write={:?} is not 1 or 0: the lanes fault without write intent.",
                    shorten(&value)
                ))),
            },
            "b_policy" => match BPolicy::parse(&value) {
                Ok(p) => state.driver.b_policy = p,
                Err(_) => notices.push(Notice(format!(
                    "Unknown legacy B policy {:?}: using partial (policies: partial, all_or_nothing).",
                    shorten(&value)
                ))),
            },
            "unified_entry" => match UnifiedEntry::parse(&value) {
                Ok(e) => state.driver.unified_entry = e,
                Err(_) => notices.push(Notice(format!(
                    "Unknown unified entry {:?}: using hmm_range_fault (entries: hmm_range_fault, migrate_vma_fault).",
                    shorten(&value)
                ))),
            },
            other if crate::embed::KEYS.contains(&other) => {}
            other => notices.push(Notice(format!(
                "Ignored the unknown URL parameter {:?}.",
                shorten(other)
            ))),
        }
    }
    if let Some(why) = state.driver.conflict() {
        notices.push(Notice(format!("{why}. Using the hmm_range_fault entry.")));
        state.driver.unified_entry = UnifiedEntry::HmmRangeFault;
    }
    (state, notices)
}

/// Write the query string (without `?`) for `state`, in a fixed order.
pub fn format_query(state: &UrlState) -> String {
    let mut q = format!(
        "v={URL_VERSION}&pages={}&view={}&lane={}&step={}",
        encode_component(&state.pages),
        state.view.name(),
        state.lane.name(),
        state.step
    );
    let d = DriverOpts::default();
    if state.driver.write != d.write {
        q.push_str(if state.driver.write {
            "&write=1"
        } else {
            "&write=0"
        });
    }
    if state.driver.b_policy != d.b_policy {
        q.push_str("&b_policy=");
        q.push_str(state.driver.b_policy.name());
    }
    if state.driver.unified_entry != d.unified_entry {
        q.push_str("&unified_entry=");
        q.push_str(state.driver.unified_entry.name());
    }
    if state.align != Align::Milestone {
        q.push_str("&align=");
        q.push_str(state.align.name());
    }
    if state.speed_index != DEFAULT_SPEED_INDEX {
        if let Some(s) = SPEEDS.get(state.speed_index) {
            q.push_str(&format!("&speed={s}"));
        }
    }
    if let Some(page) = state.page {
        q.push_str(&format!("&page={page}"));
    }
    q.push_str(&state.display.format_suffix());
    q
}

/// Values are echoed in notices; a pasted megabyte must not become a megabyte of notice.
fn shorten(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

/// Percent-decoding of one query component (`+` is a space). Malformed escapes are kept as typed; invalid
/// UTF-8 becomes U+FFFD: never a panic.
pub fn decode_component(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encoding of one query component: everything but unreserved characters and `*`.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'*') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_settings_round_trip_and_bad_ones_are_said() {
        let (s, notices) = parse_query("?pages=PPNS&write=1&b_policy=all_or_nothing");
        assert!(notices.is_empty(), "{notices:?}");
        assert!(s.driver.write);
        assert_eq!(s.driver.b_policy, BPolicy::AllOrNothing);
        let q = format_query(&s);
        assert!(q.contains("&write=1&b_policy=all_or_nothing"), "{q}");
        assert_eq!(parse_query(&q).0, s);
        assert!(!format_query(&UrlState::default()).contains("write"));
        let (s, notices) = parse_query("?unified_entry=migrate_vma_fault");
        assert!(notices.is_empty());
        assert_eq!(s.driver.unified_entry, UnifiedEntry::MigrateVmaFault);
        // The migrate entry cannot ask for a write fault: said, and the fault path used.
        let (s, notices) = parse_query("?write=1&unified_entry=migrate_vma_fault");
        assert_eq!(s.driver.unified_entry, UnifiedEntry::HmmRangeFault);
        assert!(notices[0].0.contains("cannot be combined"), "{notices:?}");
        let (s, notices) = parse_query("?write=maybe&b_policy=x&unified_entry=y");
        assert_eq!(s.driver, DriverOpts::default());
        assert_eq!(notices.len(), 3);
    }

    #[test]
    fn round_trip() {
        let state = UrlState {
            pages: "P*512".into(),
            view: View::Deep,
            lane: Strategy::LegacyB,
            step: 120,
            align: Align::Step,
            speed_index: 5,
            display: Default::default(),
            driver: DriverOpts::default(),
            page: Some(3),
        };
        let q = format_query(&state);
        assert_eq!(
            q,
            "v=1&pages=P*512&view=deep&lane=legacy_b&step=120&align=step&speed=8&page=3"
        );
        assert_eq!(parse_query(&q), (state, vec![]));
    }

    #[test]
    fn empty_query_is_the_default() {
        assert_eq!(parse_query(""), (UrlState::default(), vec![]));
        assert_eq!(parse_query("?"), (UrlState::default(), vec![]));
    }

    #[test]
    fn bad_parameters_become_notices_and_defaults() {
        let (state, notices) =
            parse_query("?v=7&view=tree&lane=fast&step=-3&align=x&speed=100&zzz=1");
        assert_eq!(
            (state.view, state.lane, state.step, state.align),
            (View::Compare, Strategy::Unified, 0, Align::Milestone)
        );
        assert_eq!(state.speed_index, DEFAULT_SPEED_INDEX);
        assert_eq!(notices.len(), 7, "{notices:?}");
    }

    /// Issue 14 item 10: 2,000 unknown parameters gave 2,001 notices.
    #[test]
    fn notices_are_capped() {
        let query: Vec<String> = (0..2000).map(|i| format!("x{i}=1")).collect();
        let (state, notices) = parse_query(&query.join("&"));
        assert_eq!(state, UrlState::default());
        assert_eq!(notices.len(), MAX_URL_NOTICES + 1);
        assert_eq!(
            notices[MAX_URL_NOTICES].0,
            format!(
                "…and {} more problem(s) with this link, not shown.",
                2000 - MAX_URL_NOTICES
            )
        );
    }

    /// Structured fuzzing of URL parameters (deterministic splitmix64; proptest has no wasm backend): any
    /// mix of known and unknown keys, escapes and junk values reads without panicking, with bounded notices.
    #[test]
    fn random_queries_never_panic_and_stay_bounded() {
        let mut seed: u64 = 0x5eed_0014;
        let mut next = move || {
            seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let keys = [
            "v", "pages", "view", "lane", "step", "align", "speed", "zz", "", "%76", "v%",
        ];
        let atoms = [
            "1",
            "P*512",
            "deep",
            "unified",
            "%",
            "%E2%82",
            "+",
            "é",
            "=",
            "&&",
            "-3",
            "9999999999999999999999",
            "%FF",
            "\u{feff}",
        ];
        for _ in 0..2000 {
            let mut q = String::new();
            for _ in 0..(next() % 40) {
                let k = keys[(next() % keys.len() as u64) as usize];
                let mut v = String::new();
                for _ in 0..(next() % 4) {
                    v.push_str(atoms[(next() % atoms.len() as u64) as usize]);
                }
                q.push_str(&format!("{k}={v}&"));
            }
            let (_, notices) = parse_query(&q);
            assert!(notices.len() <= MAX_URL_NOTICES + 1, "{q}");
            assert!(notices.iter().all(|n| n.0.chars().count() < 200), "{q}");
        }
    }

    #[test]
    fn decoding_never_panics() {
        for s in ["%", "%4", "%zz", "%E2%82", "a+b", "%41%42", "%%%", "é%"] {
            let _ = decode_component(s);
        }
        assert_eq!(decode_component("%41+b"), "A b");
        assert_eq!(decode_component("P%2A3"), "P*3");
        assert_eq!(decode_component("%"), "%");
    }
}
