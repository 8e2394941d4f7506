//! Planted runtime-ordering bugs (issue 13 item 5): a deliberate bug in the log, quorum-state or
//! network side that the runtime and the simulator share (kraft-driver's `planted-bugs` feature,
//! `driver/src/planted.rs`) must be reported by a whole simulated run within the seeds CI runs
//! (`tests/sim.rs` runs seeds 0..1000), so the simulation line is shown to judge the runtime's
//! ordering, not only the core's.
//!
//! | bug                          | invariant             | caught    | first |
//! |------------------------------|-----------------------|-----------|-------|
//! | FlushCoversLaterAppends      | FlushReportNotDurable | 971/1000  | 1     |
//! | OutputsBeforeElectionDurable | VoteNotDurable        | 1000/1000 | 0     |
//! | LogRangeInCurrentGeneration  | FetchRecordsNotInLog  | 24/1000   | 22    |
//!
//! The simulated disk makes durable only what the fsync covered when it started (the ticket the
//! simulator scheduled), while the pipeline records and reports the completion; the simulator
//! judges each report at hand-over against the disk (`Invariant::FlushReportNotDurable`).
//! Quorum-state writes go through the runtime's `OutputGate`: the simulated disk makes a write
//! durable only when its seeded completion arrives, and a granted vote on the wire is judged
//! against what is durable then (`Invariant::VoteNotDurable`). A Fetch response's log range is
//! read by the network side through the runtime's own rule (`kraft_driver::log_range_readable`)
//! while the log side may lag (stalled, with a truncation the core issued not applied yet); the
//! simulator judges the records served against the core's own log
//! (`Invariant::FetchRecordsNotInLog`).
//!
//! To measure again, `PLANTED_SCAN=1` runs every seed of the bound (`PLANTED_SEEDS=N`: of N)
//! and prints how many caught the bug and the first:
//!
//! ```text
//! cargo test --release -p kraft-sim --test planted_runtime
//! PLANTED_SCAN=1 PLANTED_SEEDS=1000 cargo test --release -p kraft-sim --test planted_runtime -- --nocapture
//! ```

use std::io::Write;

use kraft_driver::planted::{self, PlantedRuntimeBug};
use kraft_sim::checker::Invariant;
use kraft_sim::cluster::{Cluster, SimOptions};

/// The seeds CI's simulation line runs (`tests/sim.rs`, `SIM_SEEDS` default).
const CI_SEEDS: u64 = 1_000;

/// Clears the thread's planted bug even when the test fails.
struct ActiveBug;

impl ActiveBug {
    fn set(bug: PlantedRuntimeBug) -> ActiveBug {
        planted::set_active(Some(bug));
        ActiveBug
    }
}

impl Drop for ActiveBug {
    fn drop(&mut self) {
        planted::set_active(None);
    }
}

/// Runs seeds `0..max_seeds` with `bug` active until one reports `expected`; returns that seed.
fn first_seed_caught(bug: PlantedRuntimeBug, expected: Invariant, max_seeds: u64) -> Option<u64> {
    let scan = std::env::var_os("PLANTED_SCAN").is_some();
    let max_seeds = match std::env::var("PLANTED_SEEDS") {
        Ok(text) if scan => text.trim().parse().expect("PLANTED_SEEDS is a number"),
        _ => max_seeds,
    };
    assert!(max_seeds > 0 && max_seeds <= 100_000);
    let _active = ActiveBug::set(bug);
    let mut caught = Vec::new();
    for seed in 0..max_seeds {
        let outcome = Cluster::new(SimOptions::for_seed(seed)).run();
        if outcome.violations.iter().any(|v| v.invariant == expected) {
            caught.push(seed);
            if !scan {
                break;
            }
        }
    }
    let line = if scan {
        format!(
            "planted {bug:?}: {expected} in {} of {max_seeds} seeds, first {:?}",
            caught.len(),
            caught.first()
        )
    } else {
        format!(
            "planted {bug:?}: {expected} first at seed {:?}",
            caught.first()
        )
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    caught.first().copied()
}

#[test]
fn flush_covering_later_appends_is_caught_within_ci_seeds() {
    let bug = PlantedRuntimeBug::FlushCoversLaterAppends;
    let caught = first_seed_caught(bug, Invariant::FlushReportNotDurable, CI_SEEDS);
    assert!(
        caught.is_some(),
        "planted {bug:?} went unnoticed in seeds 0..{CI_SEEDS}"
    );
    assert_eq!(planted::active(), None);
}

#[test]
fn outputs_before_the_election_state_is_durable_are_caught_within_ci_seeds() {
    let bug = PlantedRuntimeBug::OutputsBeforeElectionDurable;
    let caught = first_seed_caught(bug, Invariant::VoteNotDurable, CI_SEEDS);
    assert!(
        caught.is_some(),
        "planted {bug:?} went unnoticed in seeds 0..{CI_SEEDS}"
    );
    assert_eq!(planted::active(), None);
}

#[test]
fn a_log_range_read_in_the_current_generation_is_caught_within_ci_seeds() {
    let bug = PlantedRuntimeBug::LogRangeInCurrentGeneration;
    let caught = first_seed_caught(bug, Invariant::FetchRecordsNotInLog, CI_SEEDS);
    assert!(
        caught.is_some(),
        "planted {bug:?} went unnoticed in seeds 0..{CI_SEEDS}"
    );
    assert_eq!(planted::active(), None);
}

#[test]
fn no_runtime_bug_is_active_by_default() {
    assert_eq!(planted::active(), None);
    let outcome = Cluster::new(SimOptions::for_seed(0)).run();
    assert_eq!(outcome.violation_count, 0, "{:?}", outcome.violations);
}
