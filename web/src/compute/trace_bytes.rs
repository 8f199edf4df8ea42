//! A lane's trace as one byte buffer, to move it from the worker to the page as a transferable `ArrayBuffer`
//! (moved, not copied, between the two wasm instances' JS side).
//!
//! The one place the web app turns a trace into bytes and back, so that switching to hmm-sim's own compact
//! trace form is a change here only. Until hmm-sim offers one, this is the plain form: each `hmm_sim::Event`
//! as 16 little-endian bytes (kind as `Kind::ALL`'s index, thread, function as `Func::ALL`'s index, and the
//! three words, copied through untouched: nothing here interprets them).
//! Bad bytes (a truncated buffer, an unknown kind or function) are an error, never a panic.

use hmm_sim::{Event, Func, Kind};

/// Bytes per event in this form.
pub const EVENT_BYTES: usize = 16;

/// Why a buffer is not a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceBytesError {
    /// The length is not a whole number of events.
    Length(usize),
    /// Event `index` names a kind this build does not have.
    Kind { index: usize, kind: u8 },
    /// Event `index` names a kernel function this build does not have.
    Func { index: usize, func: u16 },
}

impl std::fmt::Display for TraceBytesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TraceBytesError::Length(n) => {
                write!(
                    f,
                    "a trace of {n} bytes is not a whole number of {EVENT_BYTES}-byte events"
                )
            }
            TraceBytesError::Kind { index, kind } => {
                write!(f, "event {index} has an unknown kind ({kind})")
            }
            TraceBytesError::Func { index, func } => {
                write!(f, "event {index} has an unknown kernel function ({func})")
            }
        }
    }
}

/// The trace as bytes.
pub fn encode(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::with_capacity(events.len() * EVENT_BYTES);
    for e in events {
        out.push(e.kind as u8);
        out.push(e.thread);
        out.extend_from_slice(&(e.func as u16).to_le_bytes());
        for word in [e.a, e.b, e.c] {
            out.extend_from_slice(&word.to_le_bytes());
        }
    }
    out
}

/// The trace back from [`encode`]'s bytes.
pub fn decode(bytes: &[u8]) -> Result<Vec<Event>, TraceBytesError> {
    if bytes.len() % EVENT_BYTES != 0 {
        return Err(TraceBytesError::Length(bytes.len()));
    }
    let mut out = Vec::with_capacity(bytes.len() / EVENT_BYTES);
    decode_into(bytes, &mut out)?;
    Ok(out)
}

/// Append the events of `bytes` (a whole number of events: one piece of a longer buffer) to `out`, so a
/// large buffer can be read piece by piece without a second copy of it in memory.
pub fn decode_into(bytes: &[u8], out: &mut Vec<Event>) -> Result<(), TraceBytesError> {
    if bytes.len() % EVENT_BYTES != 0 {
        return Err(TraceBytesError::Length(bytes.len()));
    }
    let word = |b: &[u8], at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    for b in bytes.chunks_exact(EVENT_BYTES) {
        let index = out.len();
        let kind = *Kind::ALL
            .get(b[0] as usize)
            .ok_or(TraceBytesError::Kind { index, kind: b[0] })?;
        let func = u16::from_le_bytes([b[2], b[3]]);
        let func = *Func::ALL
            .get(func as usize)
            .ok_or(TraceBytesError::Func { index, func })?;
        out.push(Event {
            kind,
            thread: b[1],
            func,
            a: word(b, 4),
            b: word(b, 8),
            c: word(b, 12),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lane_round_trips_exactly() {
        let states = crate::scenario::parse_text("PPSSNNCZ").expect("valid");
        let comparison = hmm_sim::compare(&states, &hmm_sim::RunConfig::default());
        for lane in &comparison.lanes {
            let events = &lane.report.events;
            assert!(!events.is_empty());
            let bytes = encode(events);
            assert_eq!(bytes.len(), events.len() * EVENT_BYTES);
            assert_eq!(&decode(&bytes).expect("round trip"), events);
        }
    }

    #[test]
    fn bad_bytes_are_errors() {
        let states = crate::scenario::parse_text("PPSS").expect("valid");
        let comparison = hmm_sim::compare(&states, &hmm_sim::RunConfig::default());
        let bytes = encode(&comparison.lanes[0].report.events);
        assert_eq!(
            decode(&bytes[..bytes.len() - 1]),
            Err(TraceBytesError::Length(bytes.len() - 1))
        );
        let mut bad = bytes.clone();
        bad[EVENT_BYTES] = 255;
        assert_eq!(
            decode(&bad),
            Err(TraceBytesError::Kind {
                index: 1,
                kind: 255
            })
        );
        let mut bad = bytes;
        bad[2] = 0xff;
        bad[3] = 0xff;
        assert_eq!(
            decode(&bad),
            Err(TraceBytesError::Func {
                index: 0,
                func: 0xffff
            })
        );
        assert_eq!(decode(&[]), Ok(Vec::new()));
    }
}
