//! High watermarks: hand-built histories.

use super::*;

#[test]
fn high_watermark_beyond_the_log_is_reported() {
    let a = log(&[(0, 4, 1, 1)]);
    let mut checker = Checker::new();
    checker.on_high_watermark(0, 1, 5, &a);
    assert_eq!(checker.violation_count(), 0);
    checker.on_high_watermark(1, 1, 8, &a);
    assert!(checker.has(Invariant::CommittedLost));
}

#[test]
fn truncating_below_the_high_watermark_is_reported() {
    let a = log(&[(0, 4, 1, 1), (5, 9, 1, 2)]);
    let mut checker = Checker::new();
    checker.on_high_watermark(0, 1, 5, &a);
    checker.on_truncate(1, 1, 5);
    // Node 3 never learned the commit (seed 26944: a restarted follower of a stale leader).
    checker.on_truncate(2, 3, 0);
    assert_eq!(checker.violation_count(), 0);
    checker.on_truncate(3, 1, 3);
    assert!(checker.has(Invariant::TruncatedCommitted));
}

/// What the cluster reports after a step of `node` leading `epoch` (see `Cluster::observe`).
fn observe_leader(checker: &mut Checker, node: NodeId, epoch: i32, hw: i64, disk: &Disk) {
    checker.on_leader(0, node, epoch, disk);
    checker.on_high_watermark(0, node, hw, disk);
    checker.on_leader_high_watermark(0, node, epoch, hw, disk);
}

#[test]
fn leader_high_watermark_before_its_epoch_start_is_reported() {
    let a = log(&[(0, 4, 1, 1), (5, 5, 3, 2), (6, 9, 3, 3)]);
    let mut checker = Checker::new();
    // Node 1 leads epoch 3 keeping the high watermark 2 it learned as a follower.
    checker.on_high_watermark(0, 1, 2, &a);
    observe_leader(&mut checker, 1, 3, 2, &a);
    observe_leader(&mut checker, 1, 3, 6, &a);
    observe_leader(&mut checker, 1, 3, 10, &a);
    assert_eq!(checker.violation_count(), 0, "{:?}", checker.violations());
    // Node 2 leads epoch 3 from 2 and commits epoch-1 entries by counting replicas before
    // its epoch-3 LeaderChange is replicated (another run: one leader per epoch).
    let mut other = Checker::new();
    other.on_high_watermark(1, 2, 2, &a);
    observe_leader(&mut other, 2, 3, 2, &a);
    observe_leader(&mut other, 2, 3, 5, &a);
    assert_eq!(other.violation_count(), 1);
    assert!(other.has(Invariant::HighWatermarkBeforeEpochStart));
    // Node 1 leads epoch 4 from 6: nothing owed until it advances, then it has no batch.
    let mut checker = Checker::new();
    checker.on_high_watermark(2, 1, 6, &a);
    observe_leader(&mut checker, 1, 4, 6, &a);
    assert_eq!(checker.violation_count(), 0);
    observe_leader(&mut checker, 1, 4, 10, &a);
    assert_eq!(checker.violation_count(), 1);
    assert!(checker.has(Invariant::HighWatermarkBeforeEpochStart));
}

#[test]
fn first_high_watermark_of_a_leader_without_one_is_judged() {
    // Figure 8: node 3 restarted (no high watermark), leads epoch 4 and its first high
    // watermark, 5, covers only epoch-1 records; its epoch-4 LeaderChange is at 10.
    let a = log(&[(0, 4, 1, 1), (5, 9, 2, 2), (10, 10, 4, 3)]);
    let mut checker = Checker::new();
    checker.on_leader(0, 3, 4, &a);
    observe_leader(&mut checker, 3, 4, 5, &a);
    assert!(checker.has(Invariant::HighWatermarkBeforeEpochStart));
    // A first high watermark of 0 claims nothing committed; the advance after it is judged.
    let mut checker = Checker::new();
    observe_leader(&mut checker, 3, 4, 0, &a);
    assert_eq!(checker.violation_count(), 0, "0 claims nothing");
    observe_leader(&mut checker, 3, 4, 5, &a);
    assert!(checker.has(Invariant::HighWatermarkBeforeEpochStart));
    // Past the epoch start it is fine.
    let mut checker = Checker::new();
    checker.on_leader(0, 3, 4, &a);
    observe_leader(&mut checker, 3, 4, 11, &a);
    assert_eq!(checker.violation_count(), 0, "{:?}", checker.violations());
}

#[test]
fn high_watermark_decrease_on_live_node_is_reported() {
    let a = log(&[(0, 9, 1, 1)]);
    let mut checker = Checker::new();
    checker.on_high_watermark(0, 1, 10, &a);
    checker.on_crash(1);
    checker.on_high_watermark(1, 1, 0, &a);
    checker.on_high_watermark(2, 1, -1, &a);
    assert_eq!(checker.violation_count(), 0, "a restarted node starts over");
    checker.on_high_watermark(3, 1, 10, &a);
    checker.on_high_watermark(4, 1, 5, &a);
    assert!(checker.has(Invariant::HighWatermarkDecrease));
}
