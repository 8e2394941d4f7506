//! Simulated per-node storage: the metadata log and the quorum-state file.
//!
//! The log keeps whole record batches. Appended batches are volatile until a flush completes;
//! a crash loses every unflushed batch (or, in the adversarial mode, keeps some of them, as a page
//! cache that happened to be written back would) and may leave the first lost batch *torn*: a
//! partial or corrupt batch at the end of the file that startup recovery has to drop, exactly like
//! the tail of a real segment after power loss. The quorum-state file is replaced atomically
//! (temp file + rename + fsync): a write is durable as soon as it completes.
//!
//! Every batch carries a chained hash of the log up to and including it, so the checker can compare
//! whole prefixes of two logs in O(1).

mod crash;
mod hash;
mod quorum_state;
mod storage_error;
#[cfg(test)]
mod tests;

use bytes::Bytes;

pub use crash::{CrashConfig, CrashReport, RecoveryReport};
pub use hash::{chain_hash, content_hash, fnv1a64, EMPTY_PREFIX_HASH, FNV_OFFSET_BASIS};
pub use storage_error::StorageError;

/// One whole batch in a simulated log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBatch {
    pub base_offset: i64,
    pub last_offset: i64,
    /// Partition leader epoch of the batch.
    pub epoch: i32,
    pub bytes: Bytes,
    /// Hash of every batch of the log up to and including this one.
    pub prefix_hash: u64,
}

impl StoredBatch {
    pub fn next_offset(&self) -> i64 {
        self.last_offset + 1
    }
}

/// One node's disk.
#[derive(Clone, Debug)]
pub struct SimDisk<Q> {
    batches: Vec<StoredBatch>,
    /// Offsets below this are durable.
    flushed_end_offset: i64,
    /// Garbage after the last whole batch, left by a torn write; only exists between a crash and
    /// the next recovery.
    torn_tail: Option<Vec<u8>>,
    quorum_state: Option<Q>,
    /// A quorum-state write begun and not durable yet (temp file written, not yet renamed): a
    /// crash loses it, the old file stays.
    pending_quorum_state: Option<Q>,
    quorum_state_writes: u64,
    /// The log's generation as readers see it (the last truncation's; 0 when opened).
    generation: u64,
    /// Truncations since the log was opened: a flush ticket from before one covers nothing now.
    truncations: u64,
    /// The durable end offset the log's bookkeeping records from completed flush tickets; what
    /// is durable on the platter is `flushed_end_offset`, set by the simulated fsync itself
    /// ([`sync`](Self::sync)), so a log side that claims more than its fsyncs covered is seen.
    recorded_flushed_end_offset: i64,
    /// The log starts here: 0, or the end offset of a snapshot (retention deleted the batches
    /// below it, or a downloaded snapshot replaced the log).
    start_offset: i64,
    /// Prefix hash and epoch of the log below `start_offset` (the snapshot's), so the batches
    /// after it chain on exactly as in a log that kept everything.
    base_prefix_hash: u64,
    base_epoch: i32,
}

/// What an fsync started now covers: the log end offset, unless a truncation comes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimFlushTicket {
    end_offset: i64,
    truncations: u64,
}

impl<Q: Clone> Default for SimDisk<Q> {
    fn default() -> Self {
        SimDisk::new()
    }
}

impl<Q: Clone> SimDisk<Q> {
    pub fn new() -> SimDisk<Q> {
        SimDisk {
            batches: Vec::new(),
            flushed_end_offset: 0,
            torn_tail: None,
            quorum_state: None,
            pending_quorum_state: None,
            quorum_state_writes: 0,
            generation: 0,
            truncations: 0,
            recorded_flushed_end_offset: 0,
            start_offset: 0,
            base_prefix_hash: EMPTY_PREFIX_HASH,
            base_epoch: 0,
        }
    }

    /// The log as a restarted process opens it: generation 0, like the core's.
    pub fn reopen(&mut self) {
        self.generation = 0;
        self.truncations = 0;
        self.recorded_flushed_end_offset = self.flushed_end_offset;
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Publishes `generation` (greater than the current one) to readers.
    pub fn start_generation(&mut self, generation: u64) {
        assert!(
            generation > self.generation,
            "log generation {generation} does not follow {}",
            self.generation
        );
        self.generation = generation;
    }

    /// Captures what an fsync started now covers (everything appended so far).
    pub fn prepare_flush(&self) -> SimFlushTicket {
        SimFlushTicket {
            end_offset: self.end_offset(),
            truncations: self.truncations,
        }
    }

    /// The simulated fsync of `ticket` ran: what it covered is durable unless a truncation came
    /// since (bytes written again at those offsets were not covered).
    pub fn sync(&mut self, ticket: SimFlushTicket) {
        if ticket.truncations == self.truncations {
            self.complete_flush(ticket.end_offset);
        }
    }

    /// The log's bookkeeping of a completed flush ticket (like the segment log's
    /// `complete_flush`): returns the durable end offset it records.
    pub fn record_flush(&mut self, ticket: SimFlushTicket) -> i64 {
        if ticket.truncations == self.truncations {
            let covered = ticket.end_offset.min(self.end_offset());
            self.recorded_flushed_end_offset = self.recorded_flushed_end_offset.max(covered);
        }
        self.recorded_flushed_end_offset
    }

    // ----- log ---------------------------------------------------------------------------------

    pub fn batches(&self) -> &[StoredBatch] {
        &self.batches
    }

    /// Log start offset: 0, or the end offset of the snapshot the log starts at.
    pub fn start_offset(&self) -> i64 {
        self.start_offset
    }

    /// Log end offset (LEO): next offset to append.
    pub fn end_offset(&self) -> i64 {
        self.batches
            .last()
            .map_or(self.start_offset, StoredBatch::next_offset)
    }

    pub fn last_epoch(&self) -> i32 {
        self.batches.last().map_or(self.base_epoch, |b| b.epoch)
    }

    pub fn flushed_end_offset(&self) -> i64 {
        self.flushed_end_offset
    }

    pub fn prefix_hash(&self) -> u64 {
        self.batches
            .last()
            .map_or(self.base_prefix_hash, |b| b.prefix_hash)
    }

    /// Hash of the log prefix below `end_offset` (a batch boundary at or above the log start):
    /// the snapshot's at the log start. `None` inside a batch or outside the log.
    pub fn prefix_hash_at(&self, end_offset: i64) -> Option<u64> {
        if end_offset == self.start_offset {
            return Some(self.base_prefix_hash);
        }
        self.batch_containing(end_offset - 1)
            .filter(|b| b.next_offset() == end_offset)
            .map(|b| b.prefix_hash)
    }

    /// Epoch of the batch before `end_offset` (the snapshot's at the log start).
    pub fn epoch_before(&self, end_offset: i64) -> Option<i32> {
        if end_offset == self.start_offset {
            return Some(self.base_epoch);
        }
        self.batch_containing(end_offset - 1).map(|b| b.epoch)
    }

    /// Retention: the log starts at `start_offset` (a batch boundary inside the log, a snapshot's
    /// end offset) and the batches below it are deleted, durably (the snapshot covers them).
    pub fn delete_before(&mut self, start_offset: i64) {
        assert!(start_offset > self.start_offset && start_offset <= self.end_offset());
        let hash = self.prefix_hash_at(start_offset).expect("a batch boundary");
        let epoch = self.epoch_before(start_offset).expect("inside the log");
        let keep_from = self
            .batches
            .partition_point(|b| b.last_offset < start_offset);
        self.batches.drain(..keep_from);
        self.start_offset = start_offset;
        self.base_prefix_hash = hash;
        self.base_epoch = epoch;
        self.flushed_end_offset = self.flushed_end_offset.max(start_offset);
        self.recorded_flushed_end_offset = self.recorded_flushed_end_offset.max(start_offset);
    }

    /// A downloaded snapshot replaced the log (every batch deleted): the log starts and ends at
    /// `end_offset`, after a prefix hashing to `prefix_hash` whose last batch had `epoch`.
    pub fn reset_to_snapshot(&mut self, end_offset: i64, epoch: i32, prefix_hash: u64) {
        self.batches.clear();
        self.truncations += 1;
        self.start_offset = end_offset;
        self.base_prefix_hash = prefix_hash;
        self.base_epoch = epoch;
        self.flushed_end_offset = end_offset;
        self.recorded_flushed_end_offset = end_offset;
    }

    /// Index of the batch containing `offset`.
    fn index_of(&self, offset: i64) -> Option<usize> {
        let idx = self.batches.partition_point(|b| b.last_offset < offset);
        match self.batches.get(idx) {
            Some(b) if b.base_offset <= offset => Some(idx),
            _ => None,
        }
    }

    pub fn batch_containing(&self, offset: i64) -> Option<&StoredBatch> {
        self.index_of(offset).map(|i| &self.batches[i])
    }

    /// Batch containing `offset`, but only if it is durable.
    pub fn durable_batch_containing(&self, offset: i64) -> Option<&StoredBatch> {
        self.batch_containing(offset)
            .filter(|b| b.next_offset() <= self.flushed_end_offset)
    }

    /// `(epoch, start offset)` for each epoch in the log, ascending: the leader-epoch cache a
    /// restarted node rebuilds from its log.
    pub fn epoch_start_offsets(&self) -> Vec<(i32, i64)> {
        let mut out: Vec<(i32, i64)> = Vec::new();
        for b in &self.batches {
            if out.last().is_none_or(|&(e, _)| e != b.epoch) {
                out.push((b.epoch, b.base_offset));
            }
        }
        out
    }

    /// Appends one whole batch. Volatile until a later flush completes.
    pub fn append(
        &mut self,
        base_offset: i64,
        last_offset: i64,
        epoch: i32,
        bytes: Bytes,
    ) -> Result<&StoredBatch, StorageError> {
        let log_end_offset = self.end_offset();
        if base_offset != log_end_offset {
            return Err(StorageError::NonContiguousAppend {
                base_offset,
                log_end_offset,
            });
        }
        if last_offset < base_offset {
            return Err(StorageError::EmptyOffsetRange {
                base_offset,
                last_offset,
            });
        }
        if let Some(prev) = self.batches.last() {
            if epoch < prev.epoch {
                return Err(StorageError::EpochDecrease {
                    offset: base_offset,
                    epoch,
                    previous_epoch: prev.epoch,
                });
            }
        }
        let prefix_hash = chain_hash(self.prefix_hash(), content_hash(&bytes));
        self.batches.push(StoredBatch {
            base_offset,
            last_offset,
            epoch,
            bytes,
            prefix_hash,
        });
        Ok(self.batches.last().expect("just pushed"))
    }

    /// Removes every offset >= `to_offset`. Applied to the file at once (ftruncate), so it is
    /// durable; a cut inside a batch removes the whole batch (the segment log cuts at batch
    /// positions) and is reported, because the core's idea of its end offset is then wrong.
    pub fn truncate(&mut self, to_offset: i64) -> Result<(), StorageError> {
        let mut result = Ok(());
        let keep = self.batches.partition_point(|b| b.last_offset < to_offset);
        if let Some(b) = self.batches.get(keep) {
            if b.base_offset < to_offset {
                result = Err(StorageError::TruncateInsideBatch {
                    to_offset,
                    batch_base_offset: b.base_offset,
                    batch_last_offset: b.last_offset,
                });
            }
        }
        self.batches.truncate(keep);
        self.truncations += 1;
        self.flushed_end_offset = self.flushed_end_offset.min(self.end_offset());
        self.recorded_flushed_end_offset = self.recorded_flushed_end_offset.min(self.end_offset());
        result
    }

    /// Completes an fsync that was asked to cover offsets below `up_to_offset`: everything in the
    /// log at completion time up to that offset is durable. Returns the new flushed end offset.
    pub fn complete_flush(&mut self, up_to_offset: i64) -> i64 {
        let target = up_to_offset.min(self.end_offset());
        // Only whole batches become durable (an fsync covers the file, and a requested offset in the
        // middle of a batch still means the batch was written whole).
        let target = match self.index_of(target.saturating_sub(1)) {
            Some(i) if target > 0 => self.batches[i].next_offset().min(self.end_offset()),
            _ => target,
        };
        if target > self.flushed_end_offset {
            self.flushed_end_offset = target;
        }
        self.flushed_end_offset
    }

    /// Whole batches starting at the batch containing `from_offset`, at most `max_bytes` but at
    /// least one batch; empty at or past the log end (or below the start).
    pub fn read_range(&self, from_offset: i64, max_bytes: u32) -> Bytes {
        let Some(first) = self.index_of(from_offset) else {
            return Bytes::new();
        };
        let max_bytes = max_bytes as usize;
        let mut end = first + 1;
        let mut size = self.batches[first].bytes.len();
        while let Some(b) = self.batches.get(end) {
            if size + b.bytes.len() > max_bytes {
                break;
            }
            size += b.bytes.len();
            end += 1;
        }
        if end == first + 1 {
            return self.batches[first].bytes.clone();
        }
        let mut out = Vec::with_capacity(size);
        for b in &self.batches[first..end] {
            out.extend_from_slice(&b.bytes);
        }
        Bytes::from(out)
    }
}
