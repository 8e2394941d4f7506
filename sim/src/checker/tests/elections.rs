//! Elections, votes and leader completeness: hand-built histories.

use super::*;

#[test]
fn two_leaders_in_one_epoch_are_reported() {
    let disk = log(&[]);
    let mut checker = Checker::new();
    checker.on_leader(10, 1, 3, &disk);
    checker.on_leader(11, 1, 3, &disk);
    checker.on_leader(12, 2, 4, &disk);
    assert_eq!(checker.violation_count(), 0, "{:?}", checker.violations());
    checker.on_leader(13, 2, 3, &disk);
    assert!(checker.has(Invariant::ElectionSafety));
    assert_eq!(checker.violation_count(), 1);
}

#[test]
fn leader_change_record_naming_another_leader_is_reported() {
    let disk = log(&[]);
    let mut checker = Checker::new();
    checker.on_leader(0, 1, 3, &disk);
    checker.on_epoch_start(1, 2, 3, 1);
    checker.on_epoch_start(1, 2, 4, 2);
    assert_eq!(checker.violation_count(), 0);
    checker.on_epoch_start(2, 3, 3, 2);
    // The record's leader counts as the epoch's leader for election safety too.
    checker.on_leader(3, 3, 4, &disk);
    assert_eq!(checker.violation_count(), 2);
    assert!(checker.has(Invariant::LeaderChangeRecord));
    assert!(checker.has(Invariant::ElectionSafety));
}

#[test]
fn leader_without_committed_record_is_reported() {
    let full = log(&[(0, 4, 1, 1), (5, 9, 1, 2)]);
    let short = log(&[(0, 4, 1, 1)]);
    let mut checker = Checker::new();
    checker.on_leader(0, 1, 1, &full);
    checker.on_node_epoch(1, 1);
    checker.on_high_watermark(5, 1, 10, &full);
    assert_eq!(checker.committed_end_offset(), 10);
    checker.on_leader(6, 2, 2, &full);
    // A stale leader of the commit's own epoch (or older) is not bound by it.
    checker.on_leader(6, 4, 0, &short);
    assert_eq!(checker.violation_count(), 0);
    checker.on_leader(7, 3, 3, &short);
    assert!(checker.has(Invariant::LeaderCompleteness));
}

#[test]
fn leader_named_by_its_leader_change_first_is_still_judged_complete() {
    // The run's order: the new leader appends its LeaderChange (naming it the epoch's
    // leader) before the step ends and it is observed leading.
    let full = log(&[(0, 4, 1, 1), (5, 9, 1, 2)]);
    let short = log(&[(0, 4, 1, 1), (5, 5, 3, 3)]);
    let mut checker = Checker::new();
    checker.on_leader(0, 1, 1, &full);
    checker.on_node_epoch(1, 1);
    checker.on_high_watermark(5, 1, 10, &full);
    checker.on_epoch_start(6, 3, 3, 3);
    assert_eq!(checker.violation_count(), 0);
    checker.on_leader(7, 3, 3, &short);
    assert!(checker.has(Invariant::LeaderCompleteness));
    // Judged once per epoch.
    checker.on_leader(8, 3, 3, &short);
    assert_eq!(checker.violation_count(), 1);
}

#[test]
fn vote_sent_before_it_is_durable_is_reported() {
    let voted = ElectionRecord {
        epoch: 3,
        leader_id: -1,
        voted_id: 2,
    };
    let mut checker = Checker::new();
    checker.on_vote_granted_sent(0, 1, 2, 3, Some(voted));
    assert_eq!(checker.violation_count(), 0);
    checker.on_vote_granted_sent(1, 1, 3, 3, Some(voted));
    checker.on_vote_granted_sent(2, 1, 2, 4, Some(voted));
    checker.on_vote_granted_sent(3, 1, 2, 3, None);
    assert_eq!(checker.violation_count(), 3);
    assert!(checker.has(Invariant::VoteNotDurable));
}

#[test]
fn persisted_epoch_going_back_is_reported() {
    let mut checker = Checker::new();
    checker.on_persist_election(
        0,
        1,
        ElectionRecord {
            epoch: 2,
            leader_id: -1,
            voted_id: -1,
        },
    );
    checker.on_persist_election(
        1,
        1,
        ElectionRecord {
            epoch: 2,
            leader_id: 1,
            voted_id: -1,
        },
    );
    assert_eq!(checker.violation_count(), 0);
    checker.on_persist_election(
        2,
        1,
        ElectionRecord {
            epoch: 1,
            leader_id: -1,
            voted_id: -1,
        },
    );
    assert!(checker.has(Invariant::EpochRegression));
}
