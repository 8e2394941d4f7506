//! The crash model: what power loss does to unflushed batches (lost, kept, or torn) and what
//! startup recovery then finds and drops.

use super::hash::CRC_COVERED_FROM;
use super::{SimDisk, StoredBatch};
use crate::rng::SimRng;

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

impl<Q: Clone> SimDisk<Q> {
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
}
