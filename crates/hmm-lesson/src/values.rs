//! Small value syntaxes shared by the front matter and the action/assert languages: page ranges, content
//! patterns, errno names, snapshot bytes. Each parser returns `Err(message)`; the caller adds the span.

use crate::model::{Location, Pages, Pattern, VmaKind, VmaProt};

/// `N` or `N..M` (half-open), checked against the scenario's page count.
pub fn pages(text: &str, page_count: usize) -> Result<Pages, String> {
    let (start, end) = match text.split_once("..") {
        Some((a, b)) => (number(a)?, number(b)?),
        None => {
            let n = number(text)?;
            (n, n.saturating_add(1))
        }
    };
    if start >= end {
        return Err(format!(
            "empty page range `{text}`: the end must be greater than the start"
        ));
    }
    if end > page_count as u64 {
        return Err(format!(
            "page range `{text}` goes past the scenario's {page_count} pages"
        ));
    }
    Ok(Pages {
        start: start as usize,
        end: end as usize,
    })
}

/// Unsigned decimal or `0x` hex.
pub fn number(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => t.parse::<u64>(),
    };
    parsed.map_err(|_| format!("expected a number, found `{t}`"))
}

/// Signed integer or `-ENAME`/`ENAME` errno (the names hmm-sim's model returns, `hmm_sim::ERRNOS`).
pub fn int(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    // `parse_errno` would also take a leading `-`: the sign was split off above, so `--EBUSY` stays an error.
    let magnitude = if let Some(code) =
        hmm_sim::parse_errno(body).filter(|_| !body.starts_with('-'))
    {
        -i64::from(code)
    } else {
        let n = number(body)
            .map_err(|_| format!("expected an integer or an errno such as -EFAULT, found `{t}`"))?;
        i64::try_from(n).map_err(|_| format!("`{t}` is out of range"))?
    };
    Ok(if neg { -magnitude } else { magnitude })
}

/// Content patterns: `i`, `-i`, `i+3`, `i-1`, `-i+2`, `7`, `0x10`, `-5`.
pub fn pattern(text: &str) -> Result<Pattern, String> {
    let t = text.trim();
    let bad =
        || format!("expected a content pattern such as `i`, `-i`, `i+1` or a number, found `{t}`");
    let (neg, rest) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t),
    };
    if let Some(after_i) = rest.strip_prefix('i') {
        let offset = if after_i.is_empty() {
            0
        } else if let Some(n) = after_i.strip_prefix('+') {
            i64::try_from(number(n).map_err(|_| bad())?).map_err(|_| bad())?
        } else if let Some(n) = after_i.strip_prefix('-') {
            -i64::try_from(number(n).map_err(|_| bad())?).map_err(|_| bad())?
        } else {
            return Err(bad());
        };
        return Ok(if neg {
            Pattern::NegIndex { offset }
        } else {
            Pattern::Index { offset }
        });
    }
    let n = number(rest).map_err(|_| bad())?;
    Ok(Pattern::Const(if neg { n.wrapping_neg() } else { n }))
}

pub fn prot(text: &str) -> Result<VmaProt, String> {
    match text {
        "rw" => Ok(VmaProt::ReadWrite),
        "r" => Ok(VmaProt::Read),
        "none" => Ok(VmaProt::None),
        other => Err(format!(
            "unknown protection `{other}`: expected rw, r or none"
        )),
    }
}

pub fn vma_kind(text: &str) -> Result<VmaKind, String> {
    match text {
        "anon_private" => Ok(VmaKind::AnonPrivate),
        "anon_shared" => Ok(VmaKind::AnonShared),
        "dmirror_mmap" => Ok(VmaKind::DmirrorMmap),
        "file_shared" => Ok(VmaKind::FileShared),
        "file_private" => Ok(VmaKind::FilePrivate),
        other => Err(format!(
            "unknown vma kind `{other}`: expected anon_private, anon_shared, dmirror_mmap, file_shared or file_private"
        )),
    }
}

pub fn location(text: &str) -> Option<Location> {
    match text {
        "sys" => Some(Location::Sys),
        "swap" => Some(Location::Swap),
        "nowhere" => Some(Location::Nowhere),
        "dev0" => Some(Location::Dev(0)),
        "dev1" => Some(Location::Dev(1)),
        "dev2" => Some(Location::Dev(2)),
        "dev3" => Some(Location::Dev(3)),
        _ => None,
    }
}

/// A location in the lesson's words (the inverse of [`location`]); `unknown` when none was observed.
pub fn location_name(l: Option<Location>) -> String {
    match l {
        Some(Location::Sys) => "sys".into(),
        Some(Location::Swap) => "swap".into(),
        Some(Location::Nowhere) => "nowhere".into(),
        Some(Location::Dev(d)) => format!("dev{d}"),
        None => "unknown".into(),
    }
}

/// `HMM_DMIRROR_PROT_*` (lib/test_hmm_uapi.h).
pub fn snapshot_flag(name: &str) -> Option<u8> {
    Some(match name {
        "ERROR" => 0xFF,
        "NONE" => 0x00,
        "READ" => 0x01,
        "WRITE" => 0x02,
        "PMD" => 0x04,
        "PUD" => 0x08,
        "ZERO" => 0x10,
        "DEV_PRIVATE_LOCAL" => 0x20,
        "DEV_PRIVATE_REMOTE" => 0x30,
        "DEV_COHERENT_LOCAL" => 0x40,
        "DEV_COHERENT_REMOTE" => 0x50,
        _ => return None,
    })
}

/// `ZERO|READ` or a number.
pub fn snapshot_byte(text: &str) -> Result<u8, String> {
    let mut byte = 0u8;
    for part in text.split('|') {
        let part = part.trim();
        let bits = match snapshot_flag(part) {
            Some(b) => b,
            None => {
                let n = number(part).map_err(|_| {
                    format!("unknown snapshot flag `{part}`: expected ERROR, NONE, READ, WRITE, PMD, PUD, ZERO, DEV_PRIVATE_LOCAL, DEV_PRIVATE_REMOTE, DEV_COHERENT_LOCAL or DEV_COHERENT_REMOTE")
                })?;
                u8::try_from(n).map_err(|_| format!("snapshot byte `{part}` is larger than 255"))?
            }
        };
        byte |= bits;
    }
    Ok(byte)
}

/// Name of a snapshot byte for reports: the inverse of [`snapshot_byte`] for the values dmirror produces.
pub fn snapshot_name(byte: u8) -> String {
    if byte == 0xFF {
        return "ERROR".into();
    }
    if byte == 0 {
        return "NONE".into();
    }
    let mut parts = Vec::new();
    match byte & 0xF0 {
        0x10 => parts.push("ZERO"),
        0x20 => parts.push("DEV_PRIVATE_LOCAL"),
        0x30 => parts.push("DEV_PRIVATE_REMOTE"),
        0x40 => parts.push("DEV_COHERENT_LOCAL"),
        0x50 => parts.push("DEV_COHERENT_REMOTE"),
        _ => {}
    }
    for (bit, name) in [
        (0x01, "READ"),
        (0x02, "WRITE"),
        (0x04, "PMD"),
        (0x08, "PUD"),
    ] {
        if byte & bit != 0 {
            parts.push(name);
        }
    }
    if parts.is_empty() {
        format!("{byte:#04x}")
    } else {
        parts.join("|")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(pages("0..16", 16), Ok(Pages { start: 0, end: 16 }));
        assert_eq!(pages("3", 16), Ok(Pages { start: 3, end: 4 }));
        assert!(pages("4..4", 16).is_err());
        assert!(pages("0..17", 16).is_err());
        assert!(
            pages("18446744073709551615", 16).is_err(),
            "no overflow on the single-page form"
        );
        assert!(pages("x..3", 16).is_err());
    }

    #[test]
    fn patterns_and_ints() {
        assert_eq!(pattern("i"), Ok(Pattern::Index { offset: 0 }));
        assert_eq!(pattern("-i"), Ok(Pattern::NegIndex { offset: 0 }));
        assert_eq!(pattern("i+1"), Ok(Pattern::Index { offset: 1 }));
        assert_eq!(pattern("-5"), Ok(Pattern::Const(5u64.wrapping_neg())));
        assert!(pattern("j").is_err());
        assert!(pattern("i*2").is_err());
        assert_eq!(
            Pattern::NegIndex { offset: 0 }.value(3),
            3u64.wrapping_neg()
        );
        assert_eq!(int("-EFAULT"), Ok(-14));
        assert_eq!(int("EBUSY"), Ok(16));
        assert_eq!(int("-EBUSY"), Ok(hmm_sim::EBUSY as i64));
        assert!(int("--EBUSY").is_err());
        assert_eq!(int("0x10"), Ok(16));
        assert!(int("-EWHAT").is_err());
    }

    #[test]
    fn snapshot_bytes_round_trip() {
        assert_eq!(snapshot_byte("ZERO|READ"), Ok(0x11));
        assert_eq!(snapshot_byte("DEV_PRIVATE_LOCAL|WRITE"), Ok(0x22));
        assert_eq!(snapshot_name(0x22), "DEV_PRIVATE_LOCAL|WRITE");
        assert_eq!(snapshot_name(0xFF), "ERROR");
        assert!(snapshot_byte("WRTIE").is_err());
    }
}
