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

/// Checkpoints are CHECKPOINT_EVERY events apart, whole packed blocks, and never more than MAX_CHECKPOINTS.
#[test]
fn checkpoint_spacing_is_bounded() {
    use super::timeline::spacing;
    use crate::trace::BLOCK_EVENTS;
    for len in [
        0,
        1,
        4096,
        1_000_000,
        48_859_282,
        67_108_864,
        67_108_865,
        500_000_000,
        usize::MAX / 2,
    ] {
        for asked in [1, 5_000, CHECKPOINT_EVERY, 20 * BLOCK_EVENTS] {
            let every = spacing(len, asked);
            assert!(every >= asked, "{len}");
            assert_eq!(every % BLOCK_EVENTS, 0, "{len}");
            assert!(len / every <= MAX_CHECKPOINTS, "{len}: every {every}");
        }
    }
    assert_eq!(spacing(48_859_282, CHECKPOINT_EVERY), CHECKPOINT_EVERY);
    assert_eq!(spacing(8_388_608, 20 * BLOCK_EVENTS), 81_920);
    assert_eq!(spacing(1000, 5_000), 2 * BLOCK_EVENTS);
}

/// Seeking to any step, in any order (through the checkpoints and the cursor cache), gives exactly the view
/// a replay from step 0 gives: random steps over several scenarios and every lane, including traces with
/// many checkpoints. The reference views come from one forward replay, cloned at each step asked for.
#[test]
fn seeking_anywhere_equals_replaying_from_zero() {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % (n as u64 + 1)) as usize
    };
    let mut most_checkpoints = 0;
    let mut most_device_pages = 0;
    let mut most_folio_locks = 0;
    for scenario in [
        "PCZNSDOPPNS",
        "P*3000",
        "P*2000S*300N*200Z*100",
        "H*1024P*700S*64",
    ] {
        let states = parse_states(scenario).unwrap();
        let setup = Setup::from_states(&states);
        for lane in compare(&states, &RunConfig::default()).lanes {
            let initial = ViewState::from_world(&setup.world);
            // The default spacing, and a viewer's own (two blocks).
            let tl = if scenario.starts_with('P') && lane.strategy == crate::Strategy::LegacyB {
                TimelineBuilder::spaced(initial.clone(), lane.report.events.clone(), 5_000).finish()
            } else {
                Timeline::new(initial.clone(), lane.report.events.clone())
            };
            most_checkpoints = most_checkpoints.max(tl.checkpoints.len());
            let len = tl.len();
            // Random steps, plus the edges: 0, the end, and each side of every checkpoint.
            let mut steps: Vec<usize> = (0..40).map(|_| next(len)).collect();
            steps.extend([0, len]);
            for k in 1..tl.checkpoints.len() {
                let at = k * tl.checkpoint_every();
                steps.extend([at - 1, at, (at + 1).min(len)]);
            }
            let mut wanted = steps.clone();
            wanted.sort_unstable();
            wanted.dedup();
            let mut reference = std::collections::BTreeMap::new();
            let mut replay = initial;
            let mut events = tl.events().iter_from(0);
            for &step in &wanted {
                while replay.step < step {
                    replay.apply(&events.next().expect("step within the trace"));
                }
                reference.insert(step, replay.clone());
            }
            for step in steps {
                let state = tl.state(step);
                assert!(
                    *state == reference[&step],
                    "{scenario} {}: step {step} of {len}",
                    lane.strategy.name()
                );
                // The device index agrees with a scan of every frame.
                let scan: Vec<u32> = state
                    .frames
                    .iter()
                    .filter(|(_, f)| f.zone == Zone::DevicePrivate(0) && f.refcount > 0)
                    .map(|(&pfn, _)| pfn)
                    .collect();
                let (pages, count) = state.device_pages(0);
                assert_eq!(pages.collect::<Vec<_>>(), scan, "{scenario} at {step}");
                assert_eq!(count, scan.len());
                most_device_pages = most_device_pages.max(count);
                // And the per-thread lock index with a scan of the lock table.
                for tid in 0..3 {
                    let scan: Vec<LockId> = state
                        .locks
                        .iter()
                        .filter(|(_, h)| h.contains(&tid))
                        .map(|(&l, _)| l)
                        .collect();
                    let (others, folios, count) = state.held_by(tid);
                    let folios: Vec<LockId> = folios.map(LockId::Folio).collect();
                    assert_eq!(count, folios.len());
                    assert_eq!(
                        state.last_folio_locked_by(tid).map(LockId::Folio),
                        folios.last().copied()
                    );
                    let mut indexed = others;
                    indexed.extend(folios);
                    indexed.sort();
                    assert_eq!(indexed, scan, "{scenario} at {step}, thread {tid}");
                    most_folio_locks = most_folio_locks.max(count);
                }
            }
        }
    }
    assert!(
        most_checkpoints >= 3,
        "a scenario long enough for several checkpoints"
    );
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

/// The set-up world's view built a slice at a time (`InitialViewBuilder`, as the browser builds it) is the view
/// `Setup::from_states` then `ViewState::from_world` give, whatever the slice size, in a bounded number of calls.
#[test]
fn an_initial_view_built_in_slices_is_the_same() {
    use crate::sim::InitialViewBuilder;
    // Every letter, a THP run whose 512 pages straddle slices, and a tail that ends mid-table.
    let text = format!(
        "{}{}PS{}NP",
        "PNSZCDOM".repeat(64),
        "H".repeat(512),
        "P".repeat(700)
    );
    let states = parse_states(&text[..]).unwrap();
    let whole = ViewState::from_world(&Setup::from_states(&states).world);
    assert!(whole.pmds.len() == 1 && whole.ptes.len() > 700 && !whole.swap.is_empty());
    for slice in [1, 7, 300, 512, 513, 100_000] {
        let mut b = InitialViewBuilder::new(&states);
        let mut calls = 0;
        while !b.advance(slice) {
            calls += 1;
            assert!(calls < 10 * states.len(), "slice {slice}: never finishes");
        }
        assert_eq!(b.finish(), whole, "slice {slice}");
    }
    // Finishing early does the rest.
    let mut b = InitialViewBuilder::new(&states);
    b.advance(100);
    assert_eq!(b.finish(), whole);
}

/// The cursor's travel log: what `pages_written` says a move wrote is what decoding those events says, for any
/// forward moves since the cursor last jumped; a range it did not replay (before a jump, not reached yet, or
/// dropped past `MAX_WRITTEN`) is `None`, never a partial answer.
#[test]
fn the_pages_a_forward_replay_wrote_are_remembered() {
    use super::timeline::MAX_WRITTEN;
    let states = parse_states("PPSNPZPPPSDPPPCP").unwrap();
    let setup = Setup::from_states(&states);
    let lane = compare(&states, &RunConfig::default()).lanes.remove(0);
    let tl = Timeline::new(ViewState::from_world(&setup.world), lane.report.events);
    let decoded = |a: usize, b: usize| TouchedSet::of(tl.events().range(a, b)).pages;
    let as_set = |v: Vec<Page>| v.into_iter().collect::<std::collections::BTreeSet<_>>();
    let len = tl.len();
    assert!(len > 300);
    // Forward in uneven moves from step 0: every sub-range of what was replayed is known.
    let stops = [0, 1, 40, 41, 150, 151, len / 2, len];
    for w in stops.windows(2) {
        tl.state(w[1]);
        let got = tl.pages_written(w[0], w[1]).expect("just replayed");
        assert_eq!(as_set(got), decoded(w[0], w[1]), "{}..{}", w[0], w[1]);
    }
    assert_eq!(as_set(tl.pages_written(0, len).unwrap()), decoded(0, len));
    assert!(!decoded(0, len).is_empty());
    // Not replayed yet, reversed, or replayed before a jump back: unknown.
    tl.state(len / 2);
    assert_eq!(tl.pages_written(len / 2, len), None);
    assert_eq!(tl.pages_written(10, 5), None);
    tl.state(5);
    assert_eq!(tl.pages_written(5, 5), Some(vec![]));
    assert_eq!(tl.pages_written(5, 6), None);
    tl.state(60);
    assert_eq!(as_set(tl.pages_written(5, 60).unwrap()), decoded(5, 60));

    // A long replay keeps the latest MAX_WRITTEN writes only, and says so for anything older.
    let states = parse_states(&"P".repeat(32_768)).unwrap();
    let setup = Setup::from_states(&states);
    let lane = compare(&states, &RunConfig::default()).lanes.remove(0);
    let tl = Timeline::new(ViewState::from_world(&setup.world), lane.report.events);
    let writes = tl
        .events()
        .iter()
        .filter(|e| matches!(e.decode(), Ev::PteWrite { .. } | Ev::PmdWrite { .. }))
        .count();
    assert!(writes > MAX_WRITTEN, "{writes} writes");
    let len = tl.len();
    // Played forward a frame's worth at a time, across checkpoints.
    for step in (0..=len).step_by(20_000).chain([len]) {
        tl.state(step);
    }
    assert!(len > 3 * tl.checkpoint_every());
    assert_eq!(tl.pages_written(0, len), None);
    let recent = len - 1000;
    let decoded = |a: usize, b: usize| TouchedSet::of(tl.events().range(a, b)).pages;
    assert!(!decoded(recent, len).is_empty());
    assert_eq!(
        as_set(tl.pages_written(recent, len).unwrap()),
        decoded(recent, len)
    );
}
