//! `hmmviz compare` end to end: the binary, its JSON, its errors.

use std::process::Command;

fn hmmviz(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hmmviz"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn walks(json: &str) -> Vec<u64> {
    let v: serde_json::Value = serde_json::from_str(json).expect("one JSON object");
    ["legacy_a", "legacy_b", "unified"]
        .iter()
        .map(|l| v["lanes"][l]["walks"].as_u64().unwrap())
        .collect()
}

#[test]
fn walk_counts_match_the_rfc() {
    let (code, out, _) = hmmviz(&["compare", "--pages", "PPPPPPPP", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(walks(&out), vec![2, 1, 1]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["final_states_agree"], true);
    for counter in [
        "walks",
        "walk_calls",
        "pte_visits",
        "faults",
        "ptl_acquisitions",
        "tlb_flushes",
        "invalidations",
        "retries",
        "steps",
    ] {
        assert!(v["lanes"]["unified"][counter].is_u64(), "{counter}");
    }
    let (code, out, _) = hmmviz(&["compare", "--pages", "PPSSPPPP", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(walks(&out), vec![2, 3, 1]);
}

#[test]
fn bad_input_is_a_clear_error() {
    let (code, _, err) = hmmviz(&["compare", "--pages", "PPxP"]);
    assert_eq!(code, 2);
    assert!(err.contains("position 2") && err.contains("'x'"), "{err}");
    let (code, _, err) = hmmviz(&["compare"]);
    assert_eq!(code, 2);
    assert!(err.contains("--pages is required"), "{err}");
    // 1 GiB + 1 page, in the repeat shorthand (a literal string that long exceeds the kernel's argv limit).
    let (code, _, err) = hmmviz(&["compare", "--pages", "P*262144N"]);
    assert_eq!(code, 2);
    assert!(err.contains("262144"), "{err}");
    let (code, _, err) = hmmviz(&["compare", "--pages", "P", "--kernel", "5.0"]);
    assert_eq!(code, 2);
    assert!(err.contains("--kernel"), "{err}");
}

/// `--kernel file-rfc` (and `popple`) is marked "RFC, not merged" in the text and in the JSON; a release
/// is not.
#[test]
fn an_rfc_kernel_is_marked_in_compare() {
    let (code, out, _) = hmmviz(&["compare", "--pages", "PP", "--kernel", "file-rfc"]);
    assert_eq!(code, 0);
    assert!(
        out.lines().next().unwrap() == "kernel: file-rfc (RFC, not merged)",
        "{out}"
    );
    let (_, json, _) = hmmviz(&["compare", "--pages", "PP", "--kernel", "popple", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["rfc_mark"], "RFC, not merged");
    let (_, json, _) = hmmviz(&["compare", "--pages", "PP", "--kernel", "2026", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(v["rfc_mark"].is_null());
}
