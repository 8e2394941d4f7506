//! What a test has seen committed, to check against the logs later: the batches a leader's log
//! held below the high watermark the leader reported. A committed batch never changes, so each
//! one must later be found in every member's log at the same offset with the same bytes.

use std::collections::BTreeMap;

use crate::spec_log::StoredBatch;

#[derive(Debug, Default)]
pub struct History {
    /// Committed batches by base offset.
    batches: BTreeMap<i64, StoredBatch>,
}

impl History {
    pub fn new() -> History {
        History::default()
    }

    /// Records the batches of `log` that end below `high_watermark`; returns how many are new.
    /// Panics when one differs from the batch recorded at the same offset before: a committed
    /// batch changed between two observations.
    pub fn record(&mut self, log: &[StoredBatch], high_watermark: i64) -> usize {
        let mut added = 0;
        for batch in log.iter().filter(|b| b.last_offset < high_watermark) {
            match self.batches.get(&batch.base_offset) {
                Some(seen) => assert!(
                    seen == batch,
                    "committed batch at offset {} changed: epoch {} before, {} now",
                    batch.base_offset,
                    seen.epoch,
                    batch.epoch
                ),
                None => {
                    self.batches.insert(batch.base_offset, batch.clone());
                    added += 1;
                }
            }
        }
        added
    }

    /// One past the last recorded offset (0 when nothing is recorded).
    pub fn end_offset(&self) -> i64 {
        self.batches
            .values()
            .next_back()
            .map_or(0, |b| b.last_offset + 1)
    }

    pub fn len(&self) -> usize {
        self.batches.len()
    }

    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    /// Whether `log` holds every recorded batch at its offset, byte for byte; the first one it
    /// lacks or holds differently otherwise.
    pub fn check(&self, log: &[StoredBatch]) -> Result<(), String> {
        for (base_offset, seen) in &self.batches {
            let found = log
                .binary_search_by_key(base_offset, |b| b.base_offset)
                .ok()
                .map(|i| &log[i]);
            match found {
                Some(batch) if batch == seen => {}
                Some(batch) => {
                    return Err(format!(
                        "the committed batch at offset {base_offset} (epoch {}, CRC {:#010x}) is \
                         now epoch {} with CRC {:#010x}, last offset {} instead of {}",
                        seen.epoch,
                        seen.crc(),
                        batch.epoch,
                        batch.crc(),
                        batch.last_offset,
                        seen.last_offset
                    ))
                }
                None => {
                    return Err(format!(
                        "no batch starts at committed offset {base_offset} (epoch {}); the log \
                         holds {} batches up to offset {}",
                        seen.epoch,
                        log.len(),
                        log.last().map_or(-1, |b| b.last_offset)
                    ))
                }
            }
        }
        Ok(())
    }
}
