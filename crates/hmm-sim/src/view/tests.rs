use super::*;
use crate::scenario::parse_states;
use crate::sim::{compare, RunConfig, Setup};

/// Replaying the trace from the set-up world lands exactly on the simulator's final PTEs and frames.
#[test]
fn replay_matches_the_final_world() {
    let states = parse_states("PCZNSDOPPNS").unwrap();
    let setup = Setup::from_states(&states);
    for lane in compare(&states, &RunConfig::default()).lanes {
        let tl = Timeline::new(
            ViewState::from_world(&setup.world),
            lane.report.events.clone(),
        );
        let end = tl.state_at(tl.len());
        let truth = ViewState::from_world(&lane.report.world);
        assert_eq!(end.ptes, truth.ptes, "{}", lane.strategy.name());
        for (pfn, f) in &truth.frames {
            let v = &end.frames[pfn];
            assert_eq!(
                (v.refcount, v.mapcount, v.content),
                (f.refcount, f.mapcount, f.content),
                "pfn {pfn:#x}"
            );
        }
        assert!(end.locks.is_empty());
        // The typed sequence accessors agree with each other and with the final world.
        for (id, v) in end.sequences() {
            assert_eq!(end.seq(id), Some(v));
        }
        let mm0 = lane.report.world.mms[0].invalidate_seq as u32;
        assert_eq!(end.seq(SeqId::Mm(0)), Some(mm0));
        assert_eq!(end.counters, lane.counters);
        // Seeking backwards equals replaying forwards from scratch.
        let mid = tl.len() / 2;
        let mut fwd = ViewState::from_world(&setup.world);
        for e in tl.events().range(0, mid) {
            fwd.apply(&e);
        }
        assert_eq!(tl.state_at(mid), fwd);
        // And forwards again from there, through the cursor cache.
        let mut fwd2 = fwd;
        for e in tl.events().iter_from(mid) {
            fwd2.apply(&e);
        }
        assert_eq!(*tl.state(tl.len()), fwd2);
        // Any order of seeks (through the cache and the checkpoints) gives what a fresh replay gives.
        let len = tl.len();
        for step in [len, 0, len / 2, len / 3, len / 2 + 1, len / 2, 1, len] {
            let mut fresh = ViewState::from_world(&setup.world);
            for e in tl.events().range(0, step) {
                fresh.apply(&e);
            }
            assert_eq!(*tl.state(step), fresh, "{} at {step}", lane.strategy.name());
        }
    }
}

/// Long traces space their checkpoints so there are never more than MAX_CHECKPOINTS, and still seek exactly.
#[test]
fn long_traces_keep_few_checkpoints() {
    let states = parse_states("P*3000").unwrap();
    let setup = Setup::from_states(&states);
    let lane = compare(&states, &RunConfig::default()).lanes.remove(2);
    let tl = Timeline::new(
        ViewState::from_world(&setup.world),
        lane.report.events.clone(),
    );
    assert!(
        tl.len() > MAX_CHECKPOINTS * CHECKPOINT_EVERY,
        "{} events",
        tl.len()
    );
    assert!(tl.checkpoints.len() <= MAX_CHECKPOINTS + 1);
    for step in [tl.len() - 1, 7, tl.len() / 3] {
        let mut fresh = ViewState::from_world(&setup.world);
        for e in tl.events().range(0, step) {
            fresh.apply(&e);
        }
        assert_eq!(*tl.state(step), fresh);
    }
}

/// A timeline built a slice at a time (any slice sizes) is the one built in one go.
#[test]
fn a_timeline_built_in_slices_is_the_same() {
    let states = parse_states("P*3000S*40N*9").unwrap();
    let setup = Setup::from_states(&states);
    let lane = compare(&states, &RunConfig::default()).lanes.remove(1);
    let initial = ViewState::from_world(&setup.world);
    let whole = Timeline::new(initial.clone(), lane.report.events.clone());
    for slice in [1, 999, 4096, 65_536] {
        let mut builder = TimelineBuilder::new(initial.clone(), lane.report.events.clone());
        let mut slices = 0;
        while !builder.advance(slice) {
            slices += 1;
            assert_eq!(builder.progress(), (slice * slices, whole.len()));
            if slice == 1 && slices > 5000 {
                break; // the rest in one go, through finish()
            }
        }
        let built = builder.finish();
        assert_eq!(built.checkpoints, whole.checkpoints, "slices of {slice}");
        assert_eq!(built.milestones, whole.milestones, "slices of {slice}");
        assert_eq!(built.checkpoint_every(), whole.checkpoint_every());
    }
}

/// Milestone keys are snake_case, distinct, and round-trip.
#[test]
fn milestone_keys_round_trip() {
    for m in Milestone::ALL {
        assert_eq!(Milestone::from_key(m.key()), Some(m));
        assert!(m.key().chars().all(|c| c.is_ascii_lowercase() || c == '_'));
    }
    assert_eq!(
        Milestone::from_key("all_on_device"),
        Some(Milestone::AllOnDevice)
    );
    assert_eq!(Milestone::from_key("faulted in"), None);
}
