//! Listeners: hand-built histories.

use super::*;

#[test]
fn listener_gap_or_repeat_is_reported() {
    let a = log(&[(0, 4, 1, 1), (5, 9, 1, 2)]);
    let mut checker = Checker::new();
    checker.on_listener_registered(1, 7);
    checker.on_listener_commit(0, 1, 7, 0, 5, &a);
    checker.on_listener_commit(1, 1, 7, 5, 10, &a);
    assert_eq!(checker.violation_count(), 0);
    checker.on_listener_commit(2, 1, 7, 5, 10, &a);
    assert!(checker.has(Invariant::ListenerOrder));
    // Part of a batch.
    checker.on_listener_registered(2, 8);
    checker.on_listener_commit(3, 2, 8, 0, 3, &a);
    assert_eq!(checker.violation_count(), 2);
}

#[test]
fn listener_that_missed_the_leader_is_reported() {
    let mut checker = Checker::new();
    // Nothing owed: initial state, resigned, own leadership.
    checker.check_listener_view(0, 1, 1, false, (None, 0), None);
    checker.check_listener_view(0, 1, 1, true, (Some(1), 4), Some((None, 3)));
    checker.check_listener_view(0, 1, 1, false, (Some(1), 4), Some((None, 4)));
    // Up to date.
    checker.check_listener_view(0, 1, 1, false, (Some(2), 4), Some((Some(2), 4)));
    checker.check_listener_view(0, 1, 1, false, (None, 5), Some((None, 5)));
    assert_eq!(checker.violation_count(), 0);
    // KAFKA-16286: registered on a follower, never told the leader.
    checker.check_listener_view(1, 1, 2, false, (Some(2), 4), None);
    // Told an old epoch.
    checker.check_listener_view(2, 1, 1, false, (None, 6), Some((Some(2), 4)));
    assert_eq!(checker.violation_count(), 2);
    assert!(checker.has(Invariant::ListenerLeader));
}

#[test]
fn listener_leader_change_out_of_order_or_early_is_reported() {
    // Epoch 2 starts at offset 5 with node 1's LeaderChange.
    let a = log(&[(0, 4, 1, 1), (5, 5, 2, 2), (6, 9, 2, 3)]);
    let mut checker = Checker::new();
    checker.on_listener_registered(2, 1);
    checker.on_listener_leader_change(0, 2, 1, None, (None, 1), &a);
    checker.on_listener_leader_change(0, 2, 1, Some((None, 1)), (Some(3), 1), &a);
    checker.on_listener_leader_change(0, 2, 1, Some((Some(3), 1)), (None, 2), &a);
    checker.on_listener_registered(1, 1);
    checker.on_listener_commit(0, 1, 1, 0, 6, &a);
    checker.on_listener_leader_change(0, 1, 1, None, (Some(1), 2), &a);
    assert_eq!(checker.violation_count(), 0, "{:?}", checker.violations());
    // Back to an older epoch; the same epoch twice with a leader; a leader replaced.
    checker.on_listener_leader_change(1, 2, 1, Some((None, 2)), (None, 1), &a);
    checker.on_listener_leader_change(1, 2, 1, Some((Some(3), 2)), (Some(3), 2), &a);
    checker.on_listener_leader_change(1, 2, 1, Some((Some(3), 2)), (Some(1), 2), &a);
    assert_eq!(checker.violation_count(), 3);
    // Own leadership before the listener passed the epoch start (KAFKA-15345).
    checker.on_listener_registered(1, 2);
    checker.on_listener_commit(2, 1, 2, 0, 5, &a);
    checker.on_listener_leader_change(2, 1, 2, None, (Some(1), 2), &a);
    assert_eq!(checker.violation_count(), 4);
    assert!(checker.has(Invariant::ListenerLeader));
}
