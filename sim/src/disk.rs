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

use bytes::Bytes;

use crate::rng::SimRng;

/// FNV-1a 64 over `bytes`, continuing from `state`.
pub fn fnv1a64(state: u64, bytes: &[u8]) -> u64 {
    let mut hash = state;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01B3);
    }
    hash
}

pub const FNV_OFFSET_BASIS: u64 = 0xCBF2_9CE4_8422_2325;

/// Content hash of a batch, eight bytes at a time (batches are hashed on every append, so the
/// byte-wise FNV would dominate a simulation). Not cryptographic; collisions only weaken a test.
pub fn content_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut hash = (bytes.len() as u64).wrapping_mul(K) ^ FNV_OFFSET_BASIS;
    let mut words = bytes.chunks_exact(8);
    for word in words.by_ref() {
        let w = u64::from_le_bytes(word.try_into().expect("chunks_exact yields 8 bytes"));
        hash = (hash ^ w).wrapping_mul(K).rotate_left(29);
    }
    let mut tail = [0u8; 8];
    let rest = words.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    hash = (hash ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    hash ^ (hash >> 32)
}

/// Hash of a log prefix ending with a batch whose bytes hash to `batch_hash`.
pub fn chain_hash(previous_prefix_hash: u64, batch_hash: u64) -> u64 {
    let mut h = previous_prefix_hash ^ batch_hash.rotate_left(17);
    h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^ (h >> 29)
}

/// First byte of a Kafka v2 batch covered by its CRC-32C.
const CRC_COVERED_FROM: usize = 21;

/// Prefix hash of the empty log.
pub const EMPTY_PREFIX_HASH: u64 = 0;

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

/// Misuse of the storage contract by the core (a bug the simulator reports, never a panic).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageError {
    /// An append that does not start at the log end offset.
    NonContiguousAppend {
        base_offset: i64,
        log_end_offset: i64,
    },
    /// `last_offset < base_offset`.
    EmptyOffsetRange { base_offset: i64, last_offset: i64 },
    /// A batch whose epoch is below the epoch of the batch before it.
    EpochDecrease {
        offset: i64,
        epoch: i32,
        previous_epoch: i32,
    },
    /// Truncation to an offset inside a batch: a segment log can only cut at batch boundaries,
    /// so the log would end below the offset the core believes.
    TruncateInsideBatch {
        to_offset: i64,
        batch_base_offset: i64,
        batch_last_offset: i64,
    },
}

impl std::fmt::Display for StorageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StorageError::NonContiguousAppend { base_offset, log_end_offset } => write!(
                f,
                "append at base offset {base_offset} but the log ends at {log_end_offset}"
            ),
            StorageError::EmptyOffsetRange { base_offset, last_offset } => {
                write!(f, "batch has last offset {last_offset} below base offset {base_offset}")
            }
            StorageError::EpochDecrease { offset, epoch, previous_epoch } => write!(
                f,
                "batch at offset {offset} has epoch {epoch} below the previous batch's {previous_epoch}"
            ),
            StorageError::TruncateInsideBatch { to_offset, batch_base_offset, batch_last_offset } => {
                write!(
                    f,
                    "truncate to {to_offset} cuts batch [{batch_base_offset}, {batch_last_offset}]"
                )
            }
        }
    }
}

impl std::error::Error for StorageError {}

/// How hostile a crash is to unflushed data.
#[derive(Clone, Debug, PartialEq)]
pub struct CrashConfig {
    /// Probability that the first lost batch leaves a torn fragment behind.
    pub torn_write_probability: f64,
    /// Probability that some unflushed batches survive the crash anyway (written back by the OS
    /// before power was lost). Raft must tolerate this: the node never acknowledged them.
    pub unflushed_survive_probability: f64,
}

impl Default for CrashConfig {
    fn default() -> CrashConfig {
        CrashConfig {
            torn_write_probability: 0.5,
            unflushed_survive_probability: 0.1,
        }
    }
}

/// What a crash did to the log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CrashReport {
    pub lost_batches: usize,
    pub survived_unflushed_batches: usize,
    pub torn_bytes: usize,
    /// A quorum-state write was in flight and is lost.
    pub lost_quorum_state_write: bool,
}

/// What startup recovery found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Bytes at the end of the log that were cut off (the torn last write).
    pub dropped_tail_bytes: usize,
    /// Of those, bytes that still validated as whole batches. The crash model damages bytes the
    /// CRC covers, so this is 0 unless the CRC misses the damage (odds about 2^-32).
    pub dropped_whole_batch_bytes: usize,
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

    /// Power loss. Unflushed batches are lost (some may survive in the adversarial mode); the first
    /// lost batch may leave a torn fragment that recovery must remove.
    pub fn crash(&mut self, rng: &mut SimRng, config: &CrashConfig) -> CrashReport {
        let mut report = CrashReport::default();
        let first_unflushed = self
            .batches
            .partition_point(|b| b.next_offset() <= self.flushed_end_offset);
        let unflushed = self.batches.len() - first_unflushed;
        let mut keep = first_unflushed;
        if unflushed > 0 && rng.chance(config.unflushed_survive_probability) {
            keep += rng.index(unflushed + 1);
            report.survived_unflushed_batches = keep - first_unflushed;
        }
        // The rename of a quorum-state write in flight never happened.
        report.lost_quorum_state_write = self.pending_quorum_state.take().is_some();
        let lost: Vec<StoredBatch> = self.batches.split_off(keep);
        report.lost_batches = lost.len();
        self.torn_tail = None;
        if let Some(first_lost) = lost.first() {
            if rng.chance(config.torn_write_probability) {
                let len = first_lost.bytes.len();
                let mut fragment = first_lost.bytes.to_vec();
                if len > 1 && rng.chance(0.5) {
                    // Cut short: fewer bytes than the batch length says.
                    fragment.truncate(1 + rng.index(len - 1));
                } else if len > 0 {
                    // Full length, but a sector in the middle never hit the disk. The damage lands
                    // where the batch CRC looks (from byte 21 on): bytes before it (base offset,
                    // length, leader epoch) are not checksummed, so damage there would be an
                    // undetectable corruption, which no real log recovery could catch either.
                    let first = if len > CRC_COVERED_FROM {
                        CRC_COVERED_FROM
                    } else {
                        0
                    };
                    let start = first + rng.index(len - first);
                    let stop = (start + 1 + rng.index(64)).min(len);
                    for byte in &mut fragment[start..stop] {
                        *byte = 0;
                    }
                    if fragment == first_lost.bytes[..] {
                        // The zeroed range was already zero: flip a bit so the write is torn.
                        fragment[start] ^= 0x5A;
                    }
                }
                report.torn_bytes = fragment.len();
                self.torn_tail = Some(fragment);
            }
        }
        // Whatever survived is now on disk.
        self.flushed_end_offset = self.end_offset();
        self.recorded_flushed_end_offset = self.flushed_end_offset;
        report
    }

    /// Raw bytes after the last whole batch (what recovery has to judge).
    pub fn torn_tail(&self) -> Option<&[u8]> {
        self.torn_tail.as_deref()
    }

    /// Startup recovery: `valid_prefix_len` returns how many leading bytes of a buffer are whole,
    /// valid batches (CRC checked). Everything after that is cut off, like Kafka's segment
    /// recovery does. The torn tail (a fragment of the first batch the crash lost) is dropped
    /// whole; had it validated, dropping it would still be a legal outcome of the crash, as it was
    /// never reported durable.
    pub fn recover(&mut self, valid_prefix_len: impl Fn(&[u8]) -> usize) -> RecoveryReport {
        let mut report = RecoveryReport::default();
        if let Some(tail) = self.torn_tail.take() {
            report.dropped_whole_batch_bytes = valid_prefix_len(&tail).min(tail.len());
            report.dropped_tail_bytes = tail.len();
        }
        report
    }

    // ----- quorum-state ------------------------------------------------------------------------

    /// Atomic, durable replacement of the quorum-state file.
    pub fn persist_quorum_state(&mut self, state: Q) {
        self.quorum_state = Some(state);
        self.quorum_state_writes += 1;
    }

    /// Starts a quorum-state write (temp file, fsync, rename, fsync of the directory): durable
    /// only at [`complete_quorum_state_write`](Self::complete_quorum_state_write). A write begun
    /// while another is pending replaces it (the later rename wins).
    pub fn begin_quorum_state_write(&mut self, state: Q) {
        self.pending_quorum_state = Some(state);
    }

    /// The write in flight becomes durable; returns it (`None`: none was in flight).
    pub fn complete_quorum_state_write(&mut self) -> Option<Q> {
        let state = self.pending_quorum_state.take()?;
        self.persist_quorum_state(state.clone());
        Some(state)
    }

    /// A write in flight is dropped without becoming durable (sabotage: the file never changes).
    pub fn drop_quorum_state_write(&mut self) -> Option<Q> {
        self.pending_quorum_state.take()
    }

    pub fn quorum_state(&self) -> Option<&Q> {
        self.quorum_state.as_ref()
    }

    pub fn quorum_state_writes(&self) -> u64 {
        self.quorum_state_writes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch_bytes(tag: u8, len: usize) -> Bytes {
        Bytes::from(vec![tag; len])
    }

    fn disk_with(batches: &[(i64, i64, i32)]) -> SimDisk<u32> {
        let mut disk = SimDisk::new();
        for (i, &(base, last, epoch)) in batches.iter().enumerate() {
            disk.append(base, last, epoch, batch_bytes(i as u8 + 1, 20))
                .unwrap();
        }
        disk
    }

    #[test]
    fn append_checks_contiguity_and_epochs() {
        let mut disk = disk_with(&[(0, 4, 1), (5, 5, 1), (6, 9, 2)]);
        assert_eq!(disk.end_offset(), 10);
        assert_eq!(disk.last_epoch(), 2);
        assert_eq!(disk.epoch_start_offsets(), vec![(1, 0), (2, 6)]);
        assert_eq!(
            disk.append(11, 12, 2, batch_bytes(9, 5)).unwrap_err(),
            StorageError::NonContiguousAppend {
                base_offset: 11,
                log_end_offset: 10
            }
        );
        assert!(matches!(
            disk.append(10, 12, 1, batch_bytes(9, 5)),
            Err(StorageError::EpochDecrease { .. })
        ));
        assert!(matches!(
            disk.append(10, 9, 2, batch_bytes(9, 5)),
            Err(StorageError::EmptyOffsetRange { .. })
        ));
        assert_eq!(disk.batch_containing(7).unwrap().base_offset, 6);
        assert!(disk.batch_containing(10).is_none());
    }

    #[test]
    fn content_hash_sees_every_byte() {
        let base: Vec<u8> = (0..37u8).collect();
        let reference = content_hash(&base);
        for i in 0..base.len() {
            let mut changed = base.clone();
            changed[i] ^= 1;
            assert_ne!(content_hash(&changed), reference, "byte {i}");
        }
        assert_ne!(content_hash(&base[..36]), reference, "length matters");
        assert_ne!(content_hash(&[0u8; 8]), content_hash(&[0u8; 9]));
    }

    #[test]
    fn prefix_hash_depends_on_whole_prefix() {
        let a = disk_with(&[(0, 4, 1), (5, 9, 1)]);
        let mut b = SimDisk::<u32>::new();
        b.append(0, 4, 1, batch_bytes(7, 20)).unwrap();
        b.append(5, 9, 1, batch_bytes(2, 20)).unwrap();
        assert_eq!(a.batches()[1].bytes, b.batches()[1].bytes);
        assert_ne!(
            a.prefix_hash(),
            b.prefix_hash(),
            "same last batch, different prefix"
        );
    }

    #[test]
    fn flush_truncate_and_read_range() {
        let mut disk = disk_with(&[(0, 4, 1), (5, 5, 1), (6, 9, 2)]);
        assert_eq!(disk.flushed_end_offset(), 0);
        assert_eq!(disk.complete_flush(6), 6);
        assert!(disk.durable_batch_containing(5).is_some());
        assert!(disk.durable_batch_containing(6).is_none());
        // A flush up to the middle of a batch covers the whole batch.
        assert_eq!(disk.complete_flush(8), 10);
        assert_eq!(disk.read_range(0, 1).len(), 20, "at least one batch");
        assert_eq!(disk.read_range(5, 40).len(), 40);
        assert_eq!(
            disk.read_range(7, 1000).len(),
            20,
            "starts at the containing batch"
        );
        assert!(disk.read_range(10, 1000).is_empty());
        assert!(matches!(
            disk.truncate(7),
            Err(StorageError::TruncateInsideBatch { .. })
        ));
        assert_eq!(disk.end_offset(), 6);
        assert_eq!(disk.flushed_end_offset(), 6);
        disk.truncate(5).unwrap();
        assert_eq!(disk.end_offset(), 5);
    }

    #[test]
    fn fsync_covers_what_its_ticket_held_and_nothing_after_a_truncation() {
        let mut disk = disk_with(&[(0, 4, 1), (5, 5, 1)]);
        let ticket = disk.prepare_flush();
        disk.append(6, 9, 2, batch_bytes(3, 20)).unwrap();
        disk.sync(ticket);
        assert_eq!(
            disk.flushed_end_offset(),
            6,
            "the append after the ticket is not covered"
        );
        assert_eq!(disk.record_flush(ticket), 6);
        let late = disk.prepare_flush();
        disk.truncate(6).unwrap();
        disk.append(6, 7, 3, batch_bytes(4, 20)).unwrap();
        disk.sync(late);
        assert_eq!(
            disk.record_flush(late),
            6,
            "a ticket from before the cut covers nothing"
        );
        assert_eq!(disk.flushed_end_offset(), 6);
    }

    #[test]
    fn crash_loses_unflushed_data_and_recovery_drops_torn_tail() {
        let config = CrashConfig {
            torn_write_probability: 1.0,
            unflushed_survive_probability: 0.0,
        };
        let mut rng = SimRng::new(5);
        let mut disk = disk_with(&[(0, 4, 1), (5, 5, 1)]);
        disk.complete_flush(5);
        disk.append(6, 9, 2, batch_bytes(3, 30)).unwrap();
        disk.persist_quorum_state(11);
        let report = disk.crash(&mut rng, &config);
        assert_eq!(report.lost_batches, 2);
        assert_eq!(disk.end_offset(), 5);
        assert_eq!(
            disk.quorum_state(),
            Some(&11),
            "quorum-state writes are durable"
        );
        let tail = disk.torn_tail().expect("torn write left behind").to_vec();
        assert!(!tail.is_empty());
        assert_ne!(&tail[..], &[2u8; 20][..], "the fragment is damaged");
        let recovered = disk.recover(|_| 0);
        assert_eq!(recovered.dropped_tail_bytes, tail.len());
        assert!(disk.torn_tail().is_none());
    }

    #[test]
    fn a_quorum_state_write_is_durable_only_when_complete_and_a_crash_loses_it() {
        let mut rng = SimRng::new(5);
        let mut disk: SimDisk<u32> = SimDisk::new();
        disk.begin_quorum_state_write(1);
        assert_eq!(disk.quorum_state(), None, "not durable while in flight");
        assert_eq!(disk.complete_quorum_state_write(), Some(1));
        assert_eq!(disk.quorum_state(), Some(&1));
        assert_eq!(disk.complete_quorum_state_write(), None, "none in flight");
        disk.begin_quorum_state_write(2);
        let report = disk.crash(&mut rng, &CrashConfig::default());
        assert!(report.lost_quorum_state_write);
        assert_eq!(disk.quorum_state(), Some(&1), "the old file stays");
        assert_eq!(disk.complete_quorum_state_write(), None, "lost");
    }

    #[test]
    fn torn_real_batches_never_pass_recovery_validation() {
        let config = CrashConfig {
            torn_write_probability: 1.0,
            unflushed_survive_probability: 0.0,
        };
        let valid_prefix_len = |buf: &[u8]| {
            let mut iter = kraft_records::BatchIter::new(buf);
            for item in iter.by_ref() {
                if item.is_err() {
                    break;
                }
            }
            iter.position()
        };
        for seed in 0..300 {
            let mut rng = SimRng::new(seed);
            let mut bytes = Vec::new();
            let mut builder = kraft_records::BatchBuilder::new(&mut bytes, 0, 3, 1_000);
            for k in 0..1 + seed % 5 {
                builder.append_value(&[k as u8; 40]);
            }
            let header = builder.finish();
            let mut disk = SimDisk::<u32>::new();
            disk.append(0, header.last_offset(), 3, Bytes::from(bytes))
                .unwrap();
            disk.crash(&mut rng, &config);
            let tail = disk.torn_tail().expect("torn write").to_vec();
            assert_eq!(
                valid_prefix_len(&tail),
                0,
                "seed {seed}: torn batch validated"
            );
            assert_eq!(disk.recover(valid_prefix_len).dropped_whole_batch_bytes, 0);
        }
    }

    #[test]
    fn crash_can_keep_unflushed_batches_when_configured() {
        let config = CrashConfig {
            torn_write_probability: 0.0,
            unflushed_survive_probability: 1.0,
        };
        let mut kept_some = false;
        for seed in 0..20 {
            let mut rng = SimRng::new(seed);
            let mut disk = disk_with(&[(0, 0, 1), (1, 1, 1), (2, 2, 1), (3, 3, 1)]);
            let report = disk.crash(&mut rng, &config);
            assert_eq!(report.lost_batches + report.survived_unflushed_batches, 4);
            assert_eq!(disk.flushed_end_offset(), disk.end_offset());
            kept_some |= report.survived_unflushed_batches > 0;
        }
        assert!(kept_some);
    }
}
