//! The leader's batch accumulator: records written once into an open Kafka v2 batch, completed at
//! linger expiry or when the batch is full (Kafka's `BatchAccumulator`).

use std::collections::VecDeque;

use bytes::BytesMut;
use kraft_records::{OpenBatch, BATCH_HEADER_LEN};

/// Smallest arena reservation: many batches share one allocation, reused when all are dropped.
const ARENA_MIN_BYTES: usize = 1 << 20;

use crate::error::AppendError;

/// One finished batch, ready for the log.
#[derive(Clone, Debug)]
pub(crate) struct CompletedBatch {
    pub(crate) base_offset: i64,
    pub(crate) last_offset: i64,
    pub(crate) bytes: bytes::Bytes,
}

#[derive(Debug)]
pub(crate) struct BatchAccumulator {
    epoch: i32,
    next_offset: i64,
    linger_ms: u64,
    max_batch_size_bytes: usize,
    max_queued_batches: usize,
    /// Arena the open batch is written into. A finished batch is split off as `Bytes` (no
    /// allocation); once the log has dropped those `Bytes`, `reserve` reuses the same memory, so
    /// the steady state allocates nothing per batch.
    buf: BytesMut,
    open: Option<OpenBatch>,
    linger_deadline_ms: Option<u64>,
    completed: VecDeque<CompletedBatch>,
    /// Size of the last completed batch, the guess for the next one's buffer.
    last_batch_size_bytes: usize,
}

impl BatchAccumulator {
    pub(crate) fn new(
        epoch: i32,
        next_offset: i64,
        linger_ms: u64,
        max_batch_size_bytes: usize,
        max_queued_batches: usize,
    ) -> Self {
        BatchAccumulator {
            epoch,
            next_offset,
            linger_ms,
            max_batch_size_bytes,
            max_queued_batches,
            buf: BytesMut::new(),
            open: None,
            linger_deadline_ms: None,
            completed: VecDeque::new(),
            last_batch_size_bytes: 0,
        }
    }

    /// Offset the next appended record gets.
    #[cfg(test)]
    pub(crate) fn next_offset(&self) -> i64 {
        self.next_offset
    }

    pub(crate) fn linger_deadline_ms(&self) -> Option<u64> {
        self.linger_deadline_ms
    }

    /// Appends one data record; returns its offset.
    #[cfg(test)]
    pub(crate) fn append(&mut self, now_ms: u64, value: &[u8]) -> Result<i64, AppendError> {
        self.append_with(now_ms, value.len(), |out| out.copy_from_slice(value))
    }

    /// Appends one data record whose `value_len`-byte value `fill` writes in place in the open
    /// batch (the only write of those bytes before the log's copy); returns its offset.
    pub(crate) fn append_with(
        &mut self,
        now_ms: u64,
        value_len: usize,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<i64, AppendError> {
        let record_bytes = match &self.open {
            Some(open) => open.record_size_bytes(value_len),
            None => value_len + 16,
        };
        if BATCH_HEADER_LEN + record_bytes > self.max_batch_size_bytes {
            return Err(AppendError::RecordTooLarge {
                size_bytes: value_len,
                max_bytes: self.max_batch_size_bytes - BATCH_HEADER_LEN - 16,
            });
        }
        if let Some(open) = &self.open {
            if open.size_bytes(&self.buf) + record_bytes > self.max_batch_size_bytes {
                self.complete_open();
            }
        }
        if self.open.is_none() {
            if self.completed.len() >= self.max_queued_batches {
                return Err(AppendError::BufferFull {
                    queued_batches: self.completed.len(),
                });
            }
            // Sized like the previous batch (at least 64 KiB), so a batch rarely regrows: each
            // regrowth would copy every record written so far.
            let capacity = self
                .last_batch_size_bytes
                .max(64 << 10)
                .max(BATCH_HEADER_LEN + record_bytes)
                .min(self.max_batch_size_bytes);
            debug_assert!(self.buf.is_empty(), "the previous batch was split off");
            if self.buf.capacity() < capacity {
                self.buf.reserve(capacity.max(ARENA_MIN_BYTES));
            }
            self.open = Some(OpenBatch::begin(
                &mut self.buf,
                self.next_offset,
                self.epoch,
                now_ms as i64,
                false,
            ));
            self.linger_deadline_ms = Some(now_ms.saturating_add(self.linger_ms));
        }
        let open = self.open.as_mut().expect("opened above");
        open.append_value_with(&mut self.buf, value_len, fill);
        let offset = self.next_offset;
        self.next_offset += 1;
        Ok(offset)
    }

    fn complete_open(&mut self) {
        if let Some(open) = self.open.take() {
            let header = open.finish(&mut self.buf);
            self.last_batch_size_bytes = self.buf.len();
            self.completed.push_back(CompletedBatch {
                base_offset: header.base_offset,
                last_offset: header.last_offset(),
                bytes: self.buf.split().freeze(),
            });
        }
        self.linger_deadline_ms = None;
    }

    /// Kafka's `appendControlMessages`: completes the open batch, then queues the control batch
    /// `build` writes at the next offset (it returns the batch and its record count). Returns
    /// the control batch's last offset.
    pub(crate) fn append_control(
        &mut self,
        now_ms: u64,
        build: impl FnOnce(i64, i32, i64) -> (Vec<u8>, i64),
    ) -> i64 {
        self.complete_open();
        let base_offset = self.next_offset;
        let (bytes, records) = build(base_offset, self.epoch, now_ms as i64);
        assert!(records > 0, "a control batch holds a record");
        let last_offset = base_offset + records - 1;
        self.completed.push_back(CompletedBatch {
            base_offset,
            last_offset,
            bytes: bytes::Bytes::from(bytes),
        });
        self.next_offset = last_offset + 1;
        last_offset
    }

    /// Completes the open batch if its linger time passed.
    pub(crate) fn complete_lingered(&mut self, now_ms: u64) {
        if self.linger_deadline_ms.is_some_and(|d| now_ms >= d) {
            self.complete_open();
        }
    }

    /// A batch is complete and waits for the log (a full one, or one whose linger passed).
    pub(crate) fn has_completed(&self) -> bool {
        !self.completed.is_empty()
    }

    /// The oldest completed batch. Popped one at a time so that draining allocates nothing.
    pub(crate) fn pop_completed(&mut self) -> Option<CompletedBatch> {
        self.completed.pop_front()
    }

    /// Completes the open batch if its linger time passed, then hands out all completed batches.
    #[cfg(test)]
    pub(crate) fn drain(&mut self, now_ms: u64) -> Vec<CompletedBatch> {
        self.complete_lingered(now_ms);
        self.completed.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kraft_records::BatchIter;

    #[test]
    fn lingers_then_builds_one_valid_batch() {
        let mut acc = BatchAccumulator::new(3, 10, 25, 1 << 20, 10);
        assert_eq!(acc.append(100, b"a").unwrap(), 10);
        assert_eq!(acc.append(110, b"bb").unwrap(), 11);
        assert_eq!(acc.linger_deadline_ms(), Some(125));
        assert!(acc.drain(124).is_empty());
        let batches = acc.drain(125);
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].base_offset, 10);
        assert_eq!(batches[0].last_offset, 11);
        let batch = BatchIter::new(&batches[0].bytes).next().unwrap().unwrap();
        assert_eq!(batch.header.partition_leader_epoch, 3);
        let values: Vec<Vec<u8>> = batch
            .records()
            .map(|r| r.unwrap().value.unwrap().to_vec())
            .collect();
        assert_eq!(values, vec![b"a".to_vec(), b"bb".to_vec()]);
        assert_eq!(acc.next_offset(), 12);
        assert_eq!(acc.linger_deadline_ms(), None);
    }

    #[test]
    fn full_batch_completes_without_waiting_and_queue_is_bounded() {
        let mut acc = BatchAccumulator::new(1, 0, 25, 1024, 2);
        let value = [7u8; 300];
        for _ in 0..6 {
            acc.append(0, &value).unwrap();
        }
        // 3 records of ~300 bytes fit a 1 KiB batch: two batches, the second one full.
        let err = acc.append(0, &value);
        assert_eq!(err, Err(AppendError::BufferFull { queued_batches: 2 }));
        let batches = acc.drain(0);
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[1].base_offset, 3);
        assert!(acc.append(0, &value).is_ok());
    }

    #[test]
    fn oversized_record_is_refused() {
        let mut acc = BatchAccumulator::new(1, 0, 25, 1024, 2);
        assert!(matches!(
            acc.append(0, &[0u8; 2000]),
            Err(AppendError::RecordTooLarge { .. })
        ));
    }
}
