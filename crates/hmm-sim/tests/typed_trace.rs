//! The typed trace is exact: every event real runs record decodes (never as `Ev::Malformed`) and encodes back
//! to the same 16 bytes, and replaying the decoded form through the view gives the same states.

mod common;

use hmm_sim::parse_states;
use hmm_sim::DmirrorCmd;
use hmm_sim::Strategy;
use hmm_sim::RANGE_BASE_VPN;
use hmm_sim::{compare, run, Op, RunConfig, Setup, ThreadSpec};
use hmm_sim::{narrate, Touched, TouchedSet};
use hmm_sim::{Ev, Event, Kind, PackedTrace};
use hmm_sim::{KernelVersion, Limits, Policy};
use std::collections::BTreeSet;

/// Checks the round trip of every event (typed form, and the packed trace's byte form); returns the kinds
/// seen.
fn check(events: &PackedTrace) -> BTreeSet<Kind> {
    let mut kinds = BTreeSet::new();
    let back =
        PackedTrace::from_bytes(&events.to_bytes()).expect("a trace reads back its own bytes");
    assert_eq!(back.len(), events.len());
    assert!(back.iter().eq(events.iter()));
    for (i, e) in events.iter().enumerate() {
        if i % 37 == 0 {
            assert_eq!(events.get(i), Some(e), "random access to event {i}");
        }
        let ev = e.decode();
        assert!(
            !matches!(ev, Ev::Malformed { .. }),
            "event {i} is malformed: {e:?}"
        );
        assert_eq!(ev.kind(), e.kind);
        assert_eq!(Event::from_ev(e.thread, e.func, ev), e, "event {i}: {ev:?}");
        assert!(!narrate(&e).is_empty());
        kinds.insert(e.kind);
    }
    kinds
}

fn lane_events(states: &str) -> Vec<PackedTrace> {
    let states = parse_states(states).expect("valid scenario");
    compare(&states, &RunConfig::default())
        .lanes
        .into_iter()
        .map(|l| l.report.events)
        .collect()
}

/// A main-world program touching every op: each ioctl, CPU accesses, mprotect, munmap, fork, two threads.
fn main_world_events() -> Vec<PackedTrace> {
    let setup = Setup::from_states(&parse_states("PPNSZCDOPPNS").unwrap());
    let span = |s: u32, n: u32| (RANGE_BASE_VPN + s, n);
    let mut ops: Vec<Op> = DmirrorCmd::ALL
        .into_iter()
        .map(|cmd| {
            let (start, npages) = span(0, 6);
            Op::Dmirror {
                dev: 0,
                cmd,
                start,
                npages,
                data: (0..npages).map(|i| 0x5000 + i).collect(),
            }
        })
        .collect();
    ops.extend([
        Op::CpuRead {
            vpn: RANGE_BASE_VPN + 6,
        },
        Op::CpuWrite {
            vpn: RANGE_BASE_VPN + 2,
            value: 7,
        },
        Op::Fork,
        Op::CpuWrite {
            vpn: RANGE_BASE_VPN + 1,
            value: 9,
        },
        Op::Mprotect {
            start: RANGE_BASE_VPN,
            npages: 4,
            read: true,
            write: false,
        },
        Op::CpuRead {
            vpn: RANGE_BASE_VPN + 3,
        },
        Op::Munmap {
            start: RANGE_BASE_VPN + 8,
            npages: 2,
        },
    ]);
    let other = vec![
        Op::Lane {
            strategy: Strategy::ALL[2],
            dev: 1,
            start: RANGE_BASE_VPN,
            npages: 12,
        },
        Op::CpuRead {
            vpn: RANGE_BASE_VPN + 5,
        },
    ];
    let threads = vec![
        ThreadSpec {
            name: "a".into(),
            mm: 0,
            ops,
        },
        ThreadSpec {
            name: "b".into(),
            mm: 0,
            ops: other,
        },
    ];
    let mut out = Vec::new();
    for policy in [
        Policy::RoundRobin,
        Policy::RunToBlock,
        Policy::Random { seed: 7 },
    ] {
        let cfg = RunConfig {
            policy,
            ..RunConfig::default()
        };
        out.push(run(&setup, &threads, &cfg).events);
    }
    out
}

/// ≤6.14's migrate_to_ram livelock: refcount -EAGAIN errors, contended locks, sleeping threads.
fn livelock_events() -> PackedTrace {
    let (setup, specs) = common::device_page_readers(3);
    let cfg = RunConfig {
        kernel: KernelVersion::V6_14,
        policy: Policy::RoundRobin,
        limits: Limits {
            max_steps: 20_000,
            max_threads: 8,
        },
        ..RunConfig::default()
    };
    run(&setup, &specs, &cfg).events
}

#[test]
fn every_recorded_event_round_trips() {
    let mut kinds = BTreeSet::new();
    for states in [
        "PNSZCDOP", "PPPPSSSS", "OOOO", "DDDD", "N*513S*3", "P*600", "H*512",
    ] {
        for events in lane_events(states) {
            kinds.extend(check(&events));
        }
    }
    for events in main_world_events() {
        kinds.extend(check(&events));
    }
    kinds.extend(check(&livelock_events()));
    let missing: Vec<&str> = Kind::ALL
        .iter()
        .filter(|k| !kinds.contains(k))
        .map(|k| k.name())
        .collect();
    assert!(
        missing.is_empty(),
        "kinds no run here recorded: {missing:?}"
    );
}

/// `Touched` from `apply` is what `Touched::of` says, and a set of them covers every PTE the events wrote.
#[test]
fn apply_reports_what_it_touched() {
    let states = parse_states("PNSZCDOP").unwrap();
    let comparison = compare(&states, &RunConfig::default());
    for lane in comparison.lanes {
        let mut v = hmm_sim::ViewState::from_world(&comparison.initial);
        let mut set = TouchedSet::default();
        for e in &lane.report.events {
            let t = v.apply(&e);
            assert_eq!(t, Touched::of(e.thread, &e.decode()));
            if let Ev::PteWrite { page, new, .. } = e.decode() {
                assert_eq!(t.page, Some(page));
                assert_eq!(
                    v.ptes
                        .get(&page.key())
                        .copied()
                        .unwrap_or(hmm_sim::Pte::None),
                    new
                );
            }
            set.add(t);
        }
        assert_eq!(set, TouchedSet::of(&lane.report.events));
        assert!(!set.pages.is_empty() && !set.frames.is_empty() && !set.locks.is_empty());
    }
}
