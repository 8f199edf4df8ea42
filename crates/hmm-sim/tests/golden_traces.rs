//! The traces of the three lanes on fixed scenarios, pinned by a fingerprint of every event.
//!
//! A restructuring must not change what the model does: if one of these fingerprints moves, the change altered
//! some lane's trace. That is allowed only where the kernel's order requires it, and the commit that updates a
//! fingerprint names the kernel-order correction.

use hmm_sim::parse_states;
use hmm_sim::PackedTrace;
use hmm_sim::{compare, RunConfig};

/// FNV-1a over each event's kind, thread, function name and fields: stable across enum reordering.
fn fingerprint(events: &PackedTrace) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for e in events {
        eat(format!("{:?}", e.kind).as_bytes());
        eat(&[e.thread]);
        eat(e.func.name().as_bytes());
        for v in [e.a, e.b, e.c] {
            eat(&v.to_le_bytes());
        }
    }
    h
}

const SCENARIOS: [&str; 10] = [
    "PPPPSSSS",
    "PNSZCDOP",
    "PPNNSSZZCCDDOO",
    "CCCCCCCC",
    "ZZZZNNNN",
    "OOOO",
    "DDDD",
    "PPPPPPPPPPPPPPPPNNNNNNNNNNNNNNNN",
    "P*600",
    "N*513S*3",
];

fn fingerprints(states: &str) -> Vec<(usize, u64)> {
    let states = parse_states(states).expect("valid scenario");
    compare(&states, &RunConfig::default())
        .lanes
        .iter()
        .map(|l| (l.report.events.len(), fingerprint(&l.report.events)))
        .collect()
}

#[test]
fn lane_traces_are_unchanged() {
    let got: Vec<(&str, Vec<(usize, u64)>)> =
        SCENARIOS.iter().map(|s| (*s, fingerprints(s))).collect();
    let expected: Vec<(&str, Vec<(usize, u64)>)> =
        EXPECTED.iter().map(|(s, f)| (*s, f.to_vec())).collect();
    let table: Vec<String> = got
        .iter()
        .map(|(s, g)| format!("    (\"{s}\", {g:?}),"))
        .collect();
    assert!(
        got == expected,
        "lane traces changed; the new table is:\n{}",
        table.join("\n")
    );
}

const EXPECTED: &[(&str, [(usize, u64); 3])] = &[
    (
        "PPPPSSSS",
        [
            (578, 6234792310897099759),
            (643, 6695116212575212527),
            (607, 12173578773430978163),
        ],
    ),
    (
        "PNSZCDOP",
        [
            (782, 540479754365643707),
            (1347, 15731316237416898211),
            (871, 13485362022836639503),
        ],
    ),
    (
        "PPNNSSZZCCDDOO",
        [
            (1315, 11842727781116382228),
            (2110, 4056679918398950672),
            (1475, 8178977342844803220),
        ],
    ),
    (
        "CCCCCCCC",
        [
            (865, 17778720690255003550),
            (805, 443527090272138842),
            (894, 6490962005124890700),
        ],
    ),
    (
        "ZZZZNNNN",
        [
            (372, 1993618070881742657),
            (247, 10853885601084943642),
            (394, 15731472920887832070),
        ],
    ),
    (
        "OOOO",
        [
            (718, 6479630969390408730),
            (774, 14394540109588687923),
            (736, 1940810574379873104),
        ],
    ),
    (
        "DDDD",
        [
            (104, 8992466094819455688),
            (104, 13281295001025792689),
            (102, 10261646787182884057),
        ],
    ),
    (
        "PPPPPPPPPPPPPPPPNNNNNNNNNNNNNNNN",
        [
            (1501, 16887375298709326322),
            (1148, 6142099357515523857),
            (1658, 14030437044040790024),
        ],
    ),
    (
        "P*600",
        [
            (30098, 7006988756554195702),
            (27667, 10710058752374264990),
            (33673, 5336709097070982250),
        ],
    ),
    (
        "N*513S*3",
        [
            (18822, 17177216779230862800),
            (13222, 16160827301063991356),
            (21381, 4939040507013254560),
        ],
    ),
];
