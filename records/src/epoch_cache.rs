//! The leader-epoch cache: which epoch's leader wrote which offset range.
//!
//! Shared by the Raft core (divergence checks, in memory) and the segment log (which persists it as
//! `leader-epoch-checkpoint`), so both follow one implementation of Kafka's rules.

/// Epoch `epoch` starts at `start_offset` and lasts until the next entry's start (or the log end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEntry {
    pub epoch: i32,
    pub start_offset: i64,
}

/// Entries are strictly increasing in both epoch and start offset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaderEpochCache {
    entries: Vec<EpochEntry>,
}

impl LeaderEpochCache {
    pub fn new() -> Self {
        LeaderEpochCache::default()
    }

    /// Builds a cache from stored entries, applying each with [`assign`](Self::assign) so that a
    /// file whose entries are out of order cannot create an inconsistent cache.
    pub fn from_entries(entries: &[EpochEntry]) -> Self {
        let mut cache = LeaderEpochCache::new();
        for entry in entries {
            cache.assign(entry.epoch, entry.start_offset);
        }
        cache
    }

    pub fn entries(&self) -> &[EpochEntry] {
        &self.entries
    }

    pub fn latest(&self) -> Option<EpochEntry> {
        self.entries.last().copied()
    }

    pub fn latest_epoch(&self) -> Option<i32> {
        self.entries.last().map(|e| e.epoch)
    }

    /// Records that `epoch` starts at `start_offset`. Returns whether the cache changed.
    ///
    /// As Kafka: nothing changes when the latest entry already is this epoch starting at or before
    /// `start_offset`; otherwise every entry with an epoch or start offset at or beyond the new
    /// one is dropped first (they were written by a leader whose log lost to this one).
    pub fn assign(&mut self, epoch: i32, start_offset: i64) -> bool {
        if epoch < 0 || start_offset < 0 {
            return false;
        }
        if let Some(latest) = self.latest() {
            if latest.epoch == epoch && latest.start_offset <= start_offset {
                return false;
            }
        }
        while let Some(last) = self.entries.last() {
            if last.epoch >= epoch || last.start_offset >= start_offset {
                self.entries.pop();
            } else {
                break;
            }
        }
        self.entries.push(EpochEntry {
            epoch,
            start_offset,
        });
        true
    }

    /// The log was truncated to `end_offset`: drop epochs that start at or after it.
    pub fn truncate_from_end(&mut self, end_offset: i64) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| e.start_offset < end_offset);
        before != self.entries.len()
    }

    /// The log start moved to `start_offset`: entries before it collapse into one that starts there.
    pub fn truncate_from_start(&mut self, start_offset: i64) -> bool {
        let covered = self
            .entries
            .iter()
            .take_while(|e| e.start_offset <= start_offset)
            .count();
        if covered == 0 {
            return false;
        }
        let mut kept = self.entries[covered - 1];
        let changed = covered > 1 || kept.start_offset != start_offset;
        kept.start_offset = start_offset;
        self.entries.drain(..covered);
        self.entries.insert(0, kept);
        changed
    }

    /// Kafka's `endOffsetFor`: the largest epoch <= `epoch` this log knows and the offset where
    /// the next epoch starts (the log end for the latest epoch). `None` = undefined (the epoch is
    /// beyond this log's latest, or the cache is empty).
    pub fn end_offset_for_epoch(&self, epoch: i32, log_end_offset: i64) -> Option<(i32, i64)> {
        if epoch < 0 {
            return None;
        }
        if self.latest_epoch() == Some(epoch) {
            return Some((epoch, log_end_offset));
        }
        let next = self.entries.iter().find(|e| e.epoch > epoch)?;
        match self.entries.iter().rev().find(|e| e.epoch <= epoch) {
            None => Some((epoch, next.start_offset)),
            Some(floor) => Some((floor.epoch, next.start_offset)),
        }
    }

    /// Epoch of the batch holding `offset`, if the cache covers it.
    pub fn epoch_for_offset(&self, offset: i64) -> Option<i32> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.start_offset <= offset)
            .map(|e| e.epoch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(entries: &[(i32, i64)]) -> LeaderEpochCache {
        let mut c = LeaderEpochCache::new();
        for &(e, o) in entries {
            assert!(c.assign(e, o));
        }
        c
    }

    #[test]
    fn assign_is_idempotent_and_drops_conflicts() {
        let mut c = cache(&[(1, 0), (3, 10)]);
        assert!(!c.assign(3, 15));
        assert!(c.assign(2, 5)); // drops (3, 10)
        assert_eq!(
            c.entries(),
            &[
                EpochEntry {
                    epoch: 1,
                    start_offset: 0
                },
                EpochEntry {
                    epoch: 2,
                    start_offset: 5
                }
            ]
        );
        assert!(c.assign(4, 5)); // same start as epoch 2: replaces it
        assert_eq!(
            c.latest(),
            Some(EpochEntry {
                epoch: 4,
                start_offset: 5
            })
        );
        assert_eq!(c.entries().len(), 2);
    }

    #[test]
    fn end_offset_for_epoch_follows_kafka() {
        let c = cache(&[(1, 0), (3, 10), (5, 20)]);
        assert_eq!(c.end_offset_for_epoch(5, 30), Some((5, 30)));
        assert_eq!(c.end_offset_for_epoch(3, 30), Some((3, 20)));
        assert_eq!(c.end_offset_for_epoch(4, 30), Some((3, 20)));
        assert_eq!(c.end_offset_for_epoch(2, 30), Some((1, 10)));
        assert_eq!(c.end_offset_for_epoch(0, 30), Some((0, 0)));
        assert_eq!(c.end_offset_for_epoch(6, 30), None);
        assert_eq!(LeaderEpochCache::new().end_offset_for_epoch(1, 0), None);
    }

    #[test]
    fn truncation_from_both_ends() {
        let mut c = cache(&[(1, 0), (3, 10), (5, 20)]);
        assert!(c.truncate_from_end(20));
        assert_eq!(c.latest_epoch(), Some(3));
        assert!(!c.truncate_from_end(20));
        assert!(c.truncate_from_start(12));
        assert_eq!(
            c.entries(),
            &[EpochEntry {
                epoch: 3,
                start_offset: 12
            }]
        );
        assert_eq!(c.epoch_for_offset(15), Some(3));
        assert_eq!(c.epoch_for_offset(11), None);
    }
}
