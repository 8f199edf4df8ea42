//! A lane's trace as one byte buffer, to move it from the worker to the page as a transferable `ArrayBuffer`
//! (moved, not copied, between the two wasm instances' JS sides).
//!
//! The one place the web app turns a trace into bytes and back. The form is hmm-sim's own
//! (`PackedTrace::to_bytes` / `from_bytes`: versioned, validated, a few bytes per event), so a worker and a
//! page of different builds refuse each other's traces with a clear error instead of misreading them.

use hmm_sim::{PackedTrace, PackedTraceReader};

/// The trace as bytes.
pub fn encode(trace: &PackedTrace) -> Vec<u8> {
    trace.to_bytes()
}

/// The trace back from [`encode`]'s bytes; bad bytes are an error, never a panic.
pub fn decode(bytes: &[u8]) -> Result<PackedTrace, String> {
    reader(bytes.to_vec())?.finish().map_err(unreadable)
}

/// [`decode`] a slice at a time (the page, which must keep its tasks short): the header is read now, the
/// events by `PackedTraceReader::advance`, whose errors go through [`unreadable`].
pub fn reader(bytes: Vec<u8>) -> Result<PackedTraceReader, String> {
    PackedTraceReader::new(bytes).map_err(unreadable)
}

/// Why a lane's bytes could not be read, as the page says it.
pub fn unreadable(why: String) -> String {
    format!("the lane's trace could not be read: {why}")
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
            let back = decode(&encode(events)).expect("round trip");
            assert_eq!(back.len(), events.len());
            assert!(back.iter().eq(events.iter()));
        }
    }

    #[test]
    fn bad_bytes_are_errors() {
        let states = crate::scenario::parse_text("PPSS").expect("valid");
        let comparison = hmm_sim::compare(&states, &hmm_sim::RunConfig::default());
        let bytes = encode(&comparison.lanes[0].report.events);
        for bad in [
            &bytes[..bytes.len() - 1],
            &bytes[..3],
            &[][..],
            &b"HMMTRACE"[..],
        ] {
            let e = decode(bad).expect_err("refused");
            assert!(e.starts_with("the lane's trace could not be read: "), "{e}");
        }
    }
}
