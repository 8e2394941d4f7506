//! Snapshots and the log start (issue 15): hand-built histories.

use super::*;

/// Three batches committed on node 1; `(disk, prefix hash at 10)`.
fn committed_three(checker: &mut Checker) -> (Disk, u64) {
    let disk = log(&[(0, 4, 1, 1), (5, 9, 1, 2), (10, 14, 2, 3)]);
    checker.on_high_watermark(0, 1, 15, &disk);
    let hash = disk.prefix_hash_at(10).expect("a batch boundary");
    (disk, hash)
}

#[test]
fn snapshot_past_the_high_watermark_is_reported() {
    let mut checker = Checker::new();
    let (_, hash) = committed_three(&mut checker);
    checker.on_snapshot(1, 1, 10, hash, Some(10));
    assert_eq!(
        checker.violation_count(),
        0,
        "at the high watermark is fine"
    );
    checker.on_snapshot(2, 1, 10, hash, Some(9));
    assert!(checker.has(Invariant::SnapshotPastHighWatermark));
}

#[test]
fn snapshot_with_other_state_than_the_committed_prefix_is_reported() {
    let mut checker = Checker::new();
    let (disk, hash) = committed_three(&mut checker);
    checker.on_snapshot(1, 2, 10, hash, None);
    assert_eq!(checker.violation_count(), 0);
    checker.on_snapshot(2, 2, 10, hash ^ 1, None);
    assert!(checker.has(Invariant::SnapshotDiverges));
    let mut checker = Checker::new();
    checker.on_high_watermark(0, 1, 15, &disk);
    checker.on_snapshot(1, 2, 7, hash, None); // inside a batch
    checker.on_snapshot(1, 2, 20, hash, None); // past the committed log
    assert_eq!(checker.violation_count(), 2);
}

#[test]
fn log_start_must_be_a_snapshot_end() {
    let mut checker = Checker::new();
    checker.on_log_start(0, 1, 10, &[5, 10]);
    checker.on_log_start(0, 1, 0, &[]);
    assert_eq!(checker.violation_count(), 0);
    checker.on_log_start(1, 1, 7, &[5, 10]);
    assert!(checker.has(Invariant::LogStartNotSnapshot));
}

/// A voter whose log starts at a matching snapshot holds the committed batches below it; one
/// whose snapshot carries other state does not.
#[test]
fn committed_data_may_live_in_a_snapshot_but_must_match() {
    let mut checker = Checker::new();
    let (full, hash) = committed_three(&mut checker);
    let mut retained = log(&[(0, 4, 1, 1), (5, 9, 1, 2), (10, 14, 2, 3)]);
    retained.delete_before(10);
    let mut downloaded: Disk = SimDisk::new();
    downloaded.reset_to_snapshot(15, 2, full.prefix_hash());
    checker.check_durability(1, &[(1, &full), (2, &retained), (3, &downloaded)]);
    assert_eq!(checker.violation_count(), 0, "{:?}", checker.violations());
    // Later claims from the retained and downloaded logs agree with the committed log.
    checker.on_high_watermark(2, 2, 15, &retained);
    checker.on_high_watermark(2, 3, 15, &downloaded);
    assert_eq!(checker.violation_count(), 0, "{:?}", checker.violations());

    let mut wrong_a: Disk = SimDisk::new();
    wrong_a.reset_to_snapshot(15, 2, hash);
    let mut wrong_b: Disk = SimDisk::new();
    wrong_b.reset_to_snapshot(15, 2, hash ^ 7);
    checker.on_crash(1);
    checker.check_durability(3, &[(1, &wrong_a), (2, &wrong_b), (3, &downloaded)]);
    assert!(checker.has(Invariant::CommittedLost));
}
