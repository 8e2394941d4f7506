//! The retention policy of the metadata log, as Kafka's `KafkaMetadataLog.maybeClean` applies
//! it (read in Kafka 4.4.0's bytecode): a pure function of the log's segments, the frozen
//! snapshots, the retention limits and the time, shared by the runtime's log role and the
//! simulator's disk.
//!
//! Kafka's rule, in two passes (size, then time), each `cleanSnapshots(predicate)`: walk the
//! snapshots oldest first in pairs `(snapshot, next)`; while `predicate(snapshot)` holds and
//! `deleteBeforeSnapshot(next)` deleted at least one segment, go on, else stop.
//! `deleteBeforeSnapshot(next)` moves the log start up to `next`'s end offset (only up, and never
//! past the latest snapshot), deletes the segments wholly below the log start (a segment whose
//! successor's base offset is at or below it; the active segment never goes) and forgets every
//! snapshot older than `next`. So the latest snapshot is always kept, and the log never starts
//! above it.
//! - Size (`metadata.max.retention.bytes`, off when negative): `snapshot` may go while the log's
//!   bytes (every segment still on disk) plus the snapshots not yet counted out exceed the limit;
//!   each snapshot that is let go is counted out.
//! - Time (`metadata.max.retention.ms`, off when negative): `snapshot` may go when `now` minus
//!   its last contained log timestamp (the SnapshotHeader's) is above the limit.
//!
//! Segment timestamps play no part: Kafka creates the metadata log's `UnifiedLog` with its own
//! retention off, and only this snapshot-driven rule deletes segments.

use kraft_engine::message::SnapshotId;

/// One segment of the log, oldest first; the last one is the active segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentInfo {
    pub base_offset: i64,
    pub size_bytes: u64,
}

/// One frozen snapshot, oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetainedSnapshot {
    pub snapshot_id: SnapshotId,
    pub size_bytes: u64,
    /// The SnapshotHeader's LastContainedLogTimestamp (Kafka's `readSnapshotTimestamp`).
    pub last_contained_log_timestamp_ms: i64,
}

/// `metadata.max.retention.bytes` and `metadata.max.retention.ms`; a negative value turns the
/// limit off (Kafka's -1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionLimits {
    pub max_bytes: i64,
    pub max_ms: i64,
}

/// What retention decided: the log starts at `log_start_offset` (the end offset of a retained
/// snapshot), the first `segments_deleted` segments and the oldest `snapshots_deleted`
/// snapshots go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionPlan {
    pub log_start_offset: i64,
    pub segments_deleted: usize,
    pub snapshots_deleted: usize,
}

/// Most snapshots and segments the policy looks at (bounds its loops; a node keeps a handful).
pub const MAX_RETENTION_ITEMS: usize = 1 << 20;

/// The log and snapshots as the two passes see them while they advance.
struct Cleaning<'a> {
    segments: &'a [SegmentInfo],
    snapshots: &'a [RetainedSnapshot],
    log_start_offset: i64,
    segments_deleted: usize,
    snapshots_deleted: usize,
}

impl Cleaning<'_> {
    fn log_bytes(&self) -> u64 {
        self.segments[self.segments_deleted..]
            .iter()
            .map(|s| s.size_bytes)
            .sum()
    }

    /// Kafka's `deleteBeforeSnapshot(next)`: true when segments were deleted.
    fn delete_before_snapshot(&mut self, next: usize) -> bool {
        let latest = self.snapshots.last().expect("a pair exists").snapshot_id;
        let next_offset = self.snapshots[next].snapshot_id.end_offset;
        if self.log_start_offset >= next_offset || next_offset > latest.end_offset {
            return false;
        }
        self.log_start_offset = next_offset;
        self.snapshots_deleted = self.snapshots_deleted.max(next);
        let before = self.segments_deleted;
        let last = self.segments.len().saturating_sub(1);
        while self.segments_deleted < last
            && self.segments[self.segments_deleted + 1].base_offset <= self.log_start_offset
        {
            self.segments_deleted += 1;
        }
        self.segments_deleted > before
    }

    /// Kafka's `cleanSnapshots(predicate)` over the snapshots not forgotten yet.
    fn clean(&mut self, mut predicate: impl FnMut(&Self, usize) -> bool) {
        let mut index = self.snapshots_deleted;
        while index + 1 < self.snapshots.len() {
            if !(predicate(self, index) && self.delete_before_snapshot(index + 1)) {
                return;
            }
            index += 1;
        }
    }
}

/// The retention decision for a log starting at `log_start_offset` with `segments` (oldest
/// first, at least the active one) and `snapshots` (ascending ids), at `now_ms`. `None` when
/// the log start stays where it is.
pub fn plan_retention(
    log_start_offset: i64,
    segments: &[SegmentInfo],
    snapshots: &[RetainedSnapshot],
    limits: RetentionLimits,
    now_ms: i64,
) -> Option<RetentionPlan> {
    assert!(!segments.is_empty(), "a log has an active segment");
    assert!(segments.len() <= MAX_RETENTION_ITEMS && snapshots.len() <= MAX_RETENTION_ITEMS);
    debug_assert!(segments
        .windows(2)
        .all(|w| w[0].base_offset < w[1].base_offset));
    debug_assert!(snapshots
        .windows(2)
        .all(|w| w[0].snapshot_id < w[1].snapshot_id));
    let mut cleaning = Cleaning {
        segments,
        snapshots,
        log_start_offset,
        segments_deleted: 0,
        snapshots_deleted: 0,
    };
    if limits.max_bytes >= 0 {
        let max_bytes = limits.max_bytes as u64;
        let mut snapshot_bytes: u64 = snapshots.iter().map(|s| s.size_bytes).sum();
        cleaning.clean(|c, index| {
            if c.log_bytes() + snapshot_bytes > max_bytes {
                snapshot_bytes -= c.snapshots[index].size_bytes;
                true
            } else {
                false
            }
        });
    }
    if limits.max_ms >= 0 {
        cleaning.clean(|c, index| {
            let timestamp = c.snapshots[index].last_contained_log_timestamp_ms;
            now_ms.saturating_sub(timestamp) > limits.max_ms
        });
    }
    (cleaning.log_start_offset > log_start_offset).then_some(RetentionPlan {
        log_start_offset: cleaning.log_start_offset,
        segments_deleted: cleaning.segments_deleted,
        snapshots_deleted: cleaning.snapshots_deleted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1 << 20;
    const NONE: i64 = -1;

    /// Segments of 4 MB holding 1,000 offsets each.
    fn segments(count: i64) -> Vec<SegmentInfo> {
        (0..count)
            .map(|i| SegmentInfo {
                base_offset: i * 1000,
                size_bytes: 4 * MB,
            })
            .collect()
    }

    fn snapshot(end_offset: i64, timestamp_ms: i64) -> RetainedSnapshot {
        RetainedSnapshot {
            snapshot_id: SnapshotId {
                end_offset,
                epoch: 1,
            },
            size_bytes: MB,
            last_contained_log_timestamp_ms: timestamp_ms,
        }
    }

    fn limits(max_bytes: i64, max_ms: i64) -> RetentionLimits {
        RetentionLimits { max_bytes, max_ms }
    }

    #[test]
    fn nothing_goes_without_two_snapshots_or_under_the_limits() {
        let log = segments(10);
        let one = [snapshot(9500, 0)];
        assert_eq!(plan_retention(0, &log, &one, limits(0, 0), 10), None);
        let two = [snapshot(2500, 0), snapshot(9500, 0)];
        assert_eq!(plan_retention(0, &log, &two, limits(NONE, NONE), 10), None);
        // 40 MB of log + 2 MB of snapshots fit 42 MB.
        assert_eq!(
            plan_retention(0, &log, &two, limits(42 * MB as i64, NONE), 10),
            None
        );
    }

    #[test]
    fn size_deletes_segments_below_the_next_snapshot_and_the_older_snapshots() {
        let log = segments(10);
        let snaps = [snapshot(2500, 0), snapshot(5500, 0), snapshot(9500, 0)];
        // 43 MB > 30 MB: snapshot 2500 may go, start 5500 deletes segments 0-4 (20 MB left);
        // then 20 MB + 2 MB <= 30 MB: stop.
        let plan = plan_retention(0, &log, &snaps, limits(30 * MB as i64, NONE), 0).unwrap();
        assert_eq!(
            plan,
            RetentionPlan {
                log_start_offset: 5500,
                segments_deleted: 5,
                snapshots_deleted: 1
            }
        );
        // The snapshot let go is counted out: 20 MB of log + the 2 MB left fit 22 MB.
        let plan = plan_retention(0, &log, &snaps, limits(22 * MB as i64, NONE), 0).unwrap();
        assert_eq!(plan.log_start_offset, 5500);
        // A tight limit goes on to the latest snapshot but never past it.
        let plan = plan_retention(0, &log, &snaps, limits(1, NONE), 0).unwrap();
        assert_eq!(
            plan,
            RetentionPlan {
                log_start_offset: 9500,
                segments_deleted: 9,
                snapshots_deleted: 2
            }
        );
    }

    #[test]
    fn the_active_segment_and_a_segment_holding_the_start_stay() {
        let log = segments(3);
        let snaps = [snapshot(100, 0), snapshot(2999, 0)];
        let plan = plan_retention(0, &log, &snaps, limits(1, NONE), 0).unwrap();
        // Segment 2 holds offset 2999 (and is active): only segments 0 and 1 go.
        assert_eq!(plan.segments_deleted, 2);
        assert_eq!(plan.log_start_offset, 2999);
    }

    #[test]
    fn a_start_move_that_frees_no_segment_stops_the_pass_as_in_kafka() {
        let log = segments(10);
        // Snapshots 500 and 800 lie in segment 0: moving the start to 800 frees nothing, so
        // Kafka's loop stops there, start moved, snapshot 500 forgotten.
        let snaps = [snapshot(500, 0), snapshot(800, 0), snapshot(9500, 0)];
        let plan = plan_retention(0, &log, &snaps, limits(1, NONE), 0).unwrap();
        assert_eq!(
            plan,
            RetentionPlan {
                log_start_offset: 800,
                segments_deleted: 0,
                snapshots_deleted: 1
            }
        );
        // The next run goes on from there.
        let plan = plan_retention(800, &log, &snaps[1..], limits(1, NONE), 0).unwrap();
        assert_eq!(plan.log_start_offset, 9500);
        assert_eq!(plan.segments_deleted, 9);
    }

    #[test]
    fn time_deletes_snapshots_older_than_the_limit_but_keeps_the_latest() {
        let log = segments(10);
        let snaps = [
            snapshot(2500, 1_000),
            snapshot(5500, 5_000),
            snapshot(9500, 9_000),
        ];
        // At 10,000 ms with 4,000 ms retention: 2500 (9 s old) and 5500 (5 s) are too old.
        let plan = plan_retention(0, &log, &snaps, limits(NONE, 4_000), 10_000).unwrap();
        assert_eq!(plan.log_start_offset, 9500);
        assert_eq!(plan.snapshots_deleted, 2);
        // With 6,000 ms only the first goes.
        let plan = plan_retention(0, &log, &snaps, limits(NONE, 6_000), 10_000).unwrap();
        assert_eq!(plan.log_start_offset, 5500);
        assert_eq!(plan.segments_deleted, 5);
        // Even a zero limit keeps the latest snapshot and the active segment.
        let plan = plan_retention(0, &log, &snaps, limits(NONE, 0), 10_000).unwrap();
        assert_eq!(plan.log_start_offset, 9500);
        assert_eq!(plan.snapshots_deleted, 2);
    }

    #[test]
    fn a_restarted_log_starting_below_its_snapshot_moves_on_from_its_first_segment() {
        // After a restart the log starts at its first segment's base (6000), below the oldest
        // retained snapshot (6500).
        let log = segments(10);
        let snaps = [snapshot(6500, 0), snapshot(9500, 0)];
        let plan = plan_retention(6000, &log[6..], &snaps, limits(1, NONE), 0).unwrap();
        assert_eq!(
            plan,
            RetentionPlan {
                log_start_offset: 9500,
                segments_deleted: 3,
                snapshots_deleted: 1
            }
        );
        assert_eq!(
            plan_retention(9500, &log[9..], &snaps[1..], limits(1, 0), 99),
            None
        );
    }
}
