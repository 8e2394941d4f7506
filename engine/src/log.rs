//! The log metadata the core keeps in memory. The core never reads log files: it knows offsets,
//! the leader-epoch cache and the latest snapshot, and tells the runtime what to write.

use kraft_records::{EpochEntry, LeaderEpochCache};

use crate::election::SnapshotInfo;
use crate::message::{EpochEndOffset, SnapshotId};

/// Outcome of checking a fetcher's (offset, last fetched epoch) against this log (spec 3.6 step 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FetchPosition {
    Valid,
    Diverging(EpochEndOffset),
    Snapshot(SnapshotId),
}

#[derive(Clone, Debug)]
pub(crate) struct LogState {
    pub(crate) start_offset: i64,
    pub(crate) end_offset: i64,
    pub(crate) flushed_end_offset: i64,
    pub(crate) epoch_cache: LeaderEpochCache,
    pub(crate) latest_snapshot: Option<SnapshotInfo>,
    /// Truncations since the node started: the bytes at an offset belong to one generation
    /// (flush completions and log ranges of another generation are refused).
    pub(crate) generation: u64,
}

impl LogState {
    pub(crate) fn new(
        start_offset: i64,
        end_offset: i64,
        flushed_end_offset: i64,
        entries: &[EpochEntry],
        latest_snapshot: Option<SnapshotInfo>,
    ) -> LogState {
        LogState {
            start_offset,
            end_offset,
            flushed_end_offset: flushed_end_offset.min(end_offset),
            epoch_cache: LeaderEpochCache::from_entries(entries),
            latest_snapshot,
            generation: 0,
        }
    }

    /// Epoch of the last batch; the snapshot's epoch when the log is empty after a snapshot;
    /// 0 for an empty log.
    pub(crate) fn last_fetched_epoch(&self) -> i32 {
        match self.epoch_cache.latest_epoch() {
            Some(epoch) => epoch,
            None => self
                .latest_snapshot
                .map(|s| s.snapshot_id.epoch)
                .filter(|_| self.end_offset == self.start_offset)
                .unwrap_or(0),
        }
    }

    /// (last epoch, end offset) of the durable prefix: what a candidate may claim in a Vote.
    /// A crash can lose the unflushed tail, and a restarted candidate keeps the votes it got
    /// (they are re-granted without a log check), so a vote must never rest on unflushed data.
    /// (Java flushes before it handles the next message, so there the two are always equal.)
    pub(crate) fn durable_position(&self) -> (i32, i64) {
        let end = self.flushed_end_offset.min(self.end_offset);
        if end >= self.end_offset {
            return (self.last_fetched_epoch(), self.end_offset);
        }
        let epoch = if end > self.start_offset {
            self.epoch_cache.epoch_for_offset(end - 1).unwrap_or(0)
        } else {
            self.latest_snapshot
                .map(|s| s.snapshot_id.epoch)
                .filter(|_| end == self.start_offset && end > 0)
                .unwrap_or(0)
        };
        (epoch, end)
    }

    /// KRaft's `endOffsetForEpoch` (spec 4.4): the epoch cache's answer, with an undefined result
    /// mapped to (last epoch, LEO) and a result equal to the snapshot's end offset in the same
    /// epoch mapped to the snapshot id.
    pub(crate) fn end_offset_for_epoch(&self, epoch: i32) -> EpochEndOffset {
        match self
            .epoch_cache
            .end_offset_for_epoch(epoch, self.end_offset)
        {
            Some((found_epoch, offset)) => {
                if let Some(snapshot) = self.latest_snapshot {
                    if snapshot.snapshot_id.end_offset == offset && found_epoch == epoch {
                        return EpochEndOffset {
                            epoch: snapshot.snapshot_id.epoch,
                            end_offset: offset,
                        };
                    }
                }
                EpochEndOffset {
                    epoch: found_epoch,
                    end_offset: offset,
                }
            }
            None => EpochEndOffset {
                epoch: self.last_fetched_epoch(),
                end_offset: self.end_offset,
            },
        }
    }

    /// Validates a fetcher's position against this log (spec 3.6 step 4).
    pub(crate) fn validate_fetch_position(
        &self,
        fetch_offset: i64,
        last_fetched_epoch: i32,
    ) -> FetchPosition {
        let snapshot = self.latest_snapshot.map(|s| s.snapshot_id);
        let real_snapshot = snapshot.filter(|s| s.end_offset > 0 || s.epoch > 0);
        if fetch_offset == 0 {
            if let Some(id) = real_snapshot {
                return FetchPosition::Snapshot(id);
            }
        }
        if self.start_offset == 0 && fetch_offset == 0 {
            return FetchPosition::Valid;
        }
        if let Some(id) = real_snapshot {
            let below_start = fetch_offset < self.start_offset
                || (fetch_offset == self.start_offset && last_fetched_epoch != id.epoch)
                || last_fetched_epoch < id.epoch;
            if below_start {
                return FetchPosition::Snapshot(id);
            }
        }
        let end = self.end_offset_for_epoch(last_fetched_epoch);
        if end.epoch != last_fetched_epoch || end.end_offset < fetch_offset {
            FetchPosition::Diverging(end)
        } else {
            FetchPosition::Valid
        }
    }

    /// Records an appended batch.
    pub(crate) fn append(&mut self, base_offset: i64, last_offset: i64, epoch: i32) {
        debug_assert_eq!(base_offset, self.end_offset, "appends are contiguous");
        debug_assert!(last_offset >= base_offset);
        if self
            .epoch_cache
            .latest_epoch()
            .is_none_or(|latest| epoch > latest)
        {
            self.epoch_cache.assign(epoch, base_offset);
        }
        self.end_offset = last_offset + 1;
    }

    /// Cuts the log at `to_offset` and starts a new generation.
    pub(crate) fn truncate(&mut self, to_offset: i64) {
        debug_assert!(to_offset <= self.end_offset);
        self.generation += 1;
        self.end_offset = to_offset;
        self.flushed_end_offset = self.flushed_end_offset.min(to_offset);
        self.epoch_cache.truncate_from_end(to_offset);
    }

    /// Retention deleted the log below `start_offset` (Kafka's `maybeIncrementLogStartOffset`).
    pub(crate) fn advance_start(&mut self, start_offset: i64) {
        assert!(
            start_offset > self.start_offset,
            "the log start only moves forward"
        );
        assert!(
            start_offset <= self.end_offset,
            "retention cannot delete past the log end"
        );
        self.start_offset = start_offset;
        self.epoch_cache.truncate_from_start(start_offset);
    }

    /// The log was replaced by `snapshot` at generation `generation` (Kafka's
    /// `truncateToLatestSnapshot`): empty, starting and ending at the snapshot's end offset.
    pub(crate) fn reset_to_snapshot(&mut self, snapshot: SnapshotInfo, generation: u64) {
        assert!(
            generation > self.generation,
            "a load starts a new generation"
        );
        let offset = snapshot.snapshot_id.end_offset;
        self.start_offset = offset;
        self.end_offset = offset;
        self.flushed_end_offset = offset;
        self.epoch_cache = LeaderEpochCache::from_entries(&[]);
        self.latest_snapshot = Some(snapshot);
        self.generation = generation;
    }

    pub(crate) fn is_fully_flushed(&self) -> bool {
        self.flushed_end_offset >= self.end_offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(entries: &[(i32, i64)], end: i64) -> LogState {
        let entries: Vec<EpochEntry> = entries
            .iter()
            .map(|&(epoch, start_offset)| EpochEntry {
                epoch,
                start_offset,
            })
            .collect();
        LogState::new(0, end, end, &entries, None)
    }

    #[test]
    fn empty_log_accepts_offset_zero_epoch_zero() {
        let l = log(&[(1, 0)], 10);
        assert_eq!(l.validate_fetch_position(0, 0), FetchPosition::Valid);
        assert_eq!(
            log(&[], 0).validate_fetch_position(0, 0),
            FetchPosition::Valid
        );
    }

    #[test]
    fn follower_ahead_in_same_epoch_diverges_at_leader_end() {
        // Leader has epoch 1 in [0, 5) then epoch 2; a follower claims epoch 1 up to 10.
        let l = log(&[(1, 0), (2, 5)], 20);
        assert_eq!(
            l.validate_fetch_position(10, 1),
            FetchPosition::Diverging(EpochEndOffset {
                epoch: 1,
                end_offset: 5
            })
        );
        assert_eq!(l.validate_fetch_position(5, 1), FetchPosition::Valid);
        assert_eq!(l.validate_fetch_position(12, 2), FetchPosition::Valid);
        assert_eq!(
            l.validate_fetch_position(21, 2),
            FetchPosition::Diverging(EpochEndOffset {
                epoch: 2,
                end_offset: 20
            })
        );
    }

    #[test]
    fn unknown_epoch_maps_to_floor_epoch() {
        // Follower's epoch 3 never existed on the leader (1 then 4).
        let l = log(&[(1, 0), (4, 7)], 9);
        assert_eq!(
            l.validate_fetch_position(8, 3),
            FetchPosition::Diverging(EpochEndOffset {
                epoch: 1,
                end_offset: 7
            })
        );
        // An epoch beyond the leader's latest: undefined -> (last epoch, LEO).
        assert_eq!(
            l.validate_fetch_position(8, 6),
            FetchPosition::Diverging(EpochEndOffset {
                epoch: 4,
                end_offset: 9
            })
        );
    }

    #[test]
    fn below_log_start_gets_snapshot_id() {
        let entries = [EpochEntry {
            epoch: 3,
            start_offset: 100,
        }];
        let snapshot = SnapshotInfo {
            snapshot_id: SnapshotId {
                end_offset: 100,
                epoch: 3,
            },
            size_bytes: 10,
        };
        let l = LogState::new(100, 150, 150, &entries, Some(snapshot));
        assert_eq!(
            l.validate_fetch_position(0, 0),
            FetchPosition::Snapshot(snapshot.snapshot_id)
        );
        assert_eq!(
            l.validate_fetch_position(50, 2),
            FetchPosition::Snapshot(snapshot.snapshot_id)
        );
        assert_eq!(l.validate_fetch_position(100, 3), FetchPosition::Valid);
        assert_eq!(l.validate_fetch_position(120, 3), FetchPosition::Valid);
    }

    #[test]
    fn durable_position_ignores_the_unflushed_tail() {
        let mut l = log(&[], 0);
        assert_eq!(l.durable_position(), (0, 0));
        l.append(0, 4, 1);
        l.append(5, 9, 3);
        assert_eq!(l.durable_position(), (0, 0));
        l.flushed_end_offset = 5;
        assert_eq!(l.durable_position(), (1, 5));
        l.flushed_end_offset = 10;
        assert_eq!(l.durable_position(), (3, 10));
    }

    #[test]
    fn append_and_truncate_maintain_epoch_cache() {
        let mut l = log(&[], 0);
        l.append(0, 4, 1);
        l.append(5, 5, 1);
        l.append(6, 9, 3);
        assert_eq!(l.end_offset, 10);
        assert_eq!(l.last_fetched_epoch(), 3);
        l.flushed_end_offset = 10;
        assert_eq!(l.generation, 0);
        l.truncate(6);
        assert_eq!(l.generation, 1, "a truncation starts a new generation");
        assert_eq!(l.end_offset, 6);
        assert_eq!(l.flushed_end_offset, 6);
        assert_eq!(l.last_fetched_epoch(), 1);
    }
}
