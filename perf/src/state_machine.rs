//! The workload's replicated state machine: what every member (leader, follower, observer) has
//! applied from the committed log, so that two replicas' states can be compared and a snapshot
//! of it can replace the log below its end offset.
//!
//! The checksum is CRC-32C chained over the committed data batches' records sections (the bytes
//! after each batch's 61-byte header: every record's length, deltas, key and value), in offset
//! order: `checksum = crc32c_append(checksum, records_section)`. The leader builds each batch
//! once and every replica stores it byte for byte, so equal states mean equal committed payloads.
//! It costs one CRC-32C pass per committed byte (no record is parsed).

use kraft_records::{BatchHeader, BATCH_HEADER_LEN};
use std::fmt;

/// Bytes of [`WorkloadState::encode`].
pub const STATE_ENCODED_BYTES: usize = 2 + 8 + 8 + 8 + 4 + 4 + 8;
/// Version of the encoding written in snapshots.
pub const STATE_VERSION: i16 = 0;

/// The committed state. `end_offset` and `last_epoch` are the id of a snapshot of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorkloadState {
    /// Data records in committed data batches.
    pub committed_records: u64,
    /// Bytes of the committed data batches (whole batches, headers included).
    pub committed_bytes: u64,
    /// The offset after the last committed batch (data or control).
    pub end_offset: i64,
    /// The epoch of the last committed batch (0 before any).
    pub last_epoch: i32,
    /// CRC-32C chained over the records sections of the committed data batches.
    pub checksum: u32,
    /// The largest timestamp of the last committed batch (a snapshot's LastContainedLogTimestamp).
    pub last_timestamp_ms: i64,
}

/// A committed batch that does not continue the state (a gap or a batch cut by the state's end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateGap {
    pub state_end_offset: i64,
    pub batch_base_offset: i64,
    pub batch_next_offset: i64,
}

impl fmt::Display for StateGap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "committed batch [{}, {}) does not continue the workload state ending at offset {}",
            self.batch_base_offset, self.batch_next_offset, self.state_end_offset
        )
    }
}

impl std::error::Error for StateGap {}

/// Why bytes are not an encoded state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDecodeError {
    pub reason: String,
}

impl fmt::Display for StateDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a workload state record: {}", self.reason)
    }
}

impl std::error::Error for StateDecodeError {}

impl WorkloadState {
    /// The last committed offset, if any.
    pub fn last_committed_offset(&self) -> Option<i64> {
        (self.end_offset > 0).then_some(self.end_offset - 1)
    }

    /// handleCommit for one whole committed batch (`bytes` is the batch, header included).
    /// Batches the state already holds (below its end, e.g. replayed after a snapshot load) are
    /// skipped; returns whether the batch was applied.
    pub fn apply_batch(&mut self, header: &BatchHeader, bytes: &[u8]) -> Result<bool, StateGap> {
        assert_eq!(bytes.len(), header.size_bytes(), "one whole batch");
        let next = header.next_offset();
        if next <= self.end_offset {
            return Ok(false);
        }
        if header.base_offset != self.end_offset {
            return Err(StateGap {
                state_end_offset: self.end_offset,
                batch_base_offset: header.base_offset,
                batch_next_offset: next,
            });
        }
        if !header.is_control() {
            self.committed_records += u64::try_from(header.records_count).unwrap_or(0);
            self.committed_bytes += bytes.len() as u64;
            self.checksum = crc32c::crc32c_append(self.checksum, &bytes[BATCH_HEADER_LEN..]);
        }
        self.end_offset = next;
        self.last_epoch = header.partition_leader_epoch;
        self.last_timestamp_ms = header.max_timestamp;
        Ok(true)
    }

    /// The fixed big-endian encoding stored as the snapshot's one data record.
    pub fn encode(&self) -> [u8; STATE_ENCODED_BYTES] {
        let mut out = [0u8; STATE_ENCODED_BYTES];
        let mut pos = 0;
        let mut put = |bytes: &[u8]| {
            out[pos..pos + bytes.len()].copy_from_slice(bytes);
            pos += bytes.len();
        };
        put(&STATE_VERSION.to_be_bytes());
        put(&self.committed_records.to_be_bytes());
        put(&self.committed_bytes.to_be_bytes());
        put(&self.end_offset.to_be_bytes());
        put(&self.last_epoch.to_be_bytes());
        put(&self.checksum.to_be_bytes());
        put(&self.last_timestamp_ms.to_be_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<WorkloadState, StateDecodeError> {
        if bytes.len() != STATE_ENCODED_BYTES {
            return Err(StateDecodeError {
                reason: format!(
                    "{} bytes where {STATE_ENCODED_BYTES} were expected",
                    bytes.len()
                ),
            });
        }
        let field = |at: usize, len: usize| &bytes[at..at + len];
        let version = i16::from_be_bytes(field(0, 2).try_into().expect("2"));
        if version != STATE_VERSION {
            return Err(StateDecodeError {
                reason: format!("version {version} (this node reads {STATE_VERSION})"),
            });
        }
        let state = WorkloadState {
            committed_records: u64::from_be_bytes(field(2, 8).try_into().expect("8")),
            committed_bytes: u64::from_be_bytes(field(10, 8).try_into().expect("8")),
            end_offset: i64::from_be_bytes(field(18, 8).try_into().expect("8")),
            last_epoch: i32::from_be_bytes(field(26, 4).try_into().expect("4")),
            checksum: u32::from_be_bytes(field(30, 4).try_into().expect("4")),
            last_timestamp_ms: i64::from_be_bytes(field(34, 8).try_into().expect("8")),
        };
        if state.end_offset < 0 || state.last_epoch < 0 {
            return Err(StateDecodeError {
                reason: format!(
                    "negative end offset {} or epoch {}",
                    state.end_offset, state.last_epoch
                ),
            });
        }
        Ok(state)
    }
}

impl fmt::Display for WorkloadState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "state end offset {} epoch {} records {} bytes {} checksum {:08x}",
            self.end_offset,
            self.last_epoch,
            self.committed_records,
            self.committed_bytes,
            self.checksum
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kraft_records::{build_leader_change_batch, BatchBuilder, LeaderChangeMessage};

    fn data_batch(base: i64, epoch: i32, values: &[&[u8]]) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut builder = BatchBuilder::new(&mut buf, base, epoch, 1_000 + base);
        for v in values {
            builder.append_value(v);
        }
        builder.finish();
        buf
    }

    fn apply(state: &mut WorkloadState, batch: &[u8]) -> Result<bool, StateGap> {
        let header = kraft_records::validate_batch(batch).unwrap();
        state.apply_batch(&header, batch)
    }

    #[test]
    fn applies_data_and_control_batches_in_order() {
        let mut state = WorkloadState::default();
        let mut control = Vec::new();
        let msg = LeaderChangeMessage {
            version: 0,
            leader_id: 1,
            voters: vec![1],
            granting_voters: vec![1],
        };
        build_leader_change_batch(&mut control, 0, 1, 5, &msg);
        assert!(apply(&mut state, &control).unwrap());
        assert_eq!((state.end_offset, state.committed_records), (1, 0));
        let a = data_batch(1, 1, &[b"ab", b"cd"]);
        assert!(apply(&mut state, &a).unwrap());
        assert_eq!(state.committed_records, 2);
        assert_eq!(state.committed_bytes, a.len() as u64);
        assert_eq!(state.end_offset, 3);
        assert_eq!(state.last_committed_offset(), Some(2));
        assert_eq!(state.last_timestamp_ms, 1_001);
        assert_eq!(state.checksum, crc32c::crc32c(&a[BATCH_HEADER_LEN..]));
        // Replayed batches are skipped, a gap is refused.
        assert!(!apply(&mut state, &a).unwrap());
        let gap = apply(&mut state, &data_batch(4, 2, &[b"x"])).unwrap_err();
        assert_eq!(gap.state_end_offset, 3);
        let b = data_batch(3, 2, &[b"ef"]);
        apply(&mut state, &b).unwrap();
        assert_eq!(
            state.checksum,
            crc32c::crc32c_append(
                crc32c::crc32c(&a[BATCH_HEADER_LEN..]),
                &b[BATCH_HEADER_LEN..]
            )
        );
        assert_eq!(state.last_epoch, 2);
    }

    #[test]
    fn different_payloads_give_different_checksums() {
        let (mut x, mut y) = (WorkloadState::default(), WorkloadState::default());
        apply(&mut x, &data_batch(0, 1, &[b"same", b"abc"])).unwrap();
        apply(&mut y, &data_batch(0, 1, &[b"same", b"abd"])).unwrap();
        assert_eq!(x.committed_bytes, y.committed_bytes);
        assert_ne!(x.checksum, y.checksum);
    }

    #[test]
    fn encoding_round_trips_and_refuses_garbage() {
        let state = WorkloadState {
            committed_records: 5,
            committed_bytes: 1 << 40,
            end_offset: 77,
            last_epoch: 3,
            checksum: 0xdead_beef,
            last_timestamp_ms: 1_700_000_000_000,
        };
        assert_eq!(WorkloadState::decode(&state.encode()), Ok(state));
        assert!(WorkloadState::decode(&state.encode()[1..]).is_err());
        let mut bad = state.encode();
        bad[1] = 9;
        assert!(WorkloadState::decode(&bad)
            .unwrap_err()
            .reason
            .contains("version"));
    }
}
