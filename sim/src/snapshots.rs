//! A simulated node's snapshot files: the frozen snapshots (durable once frozen: the runtime
//! writes a `.part`, fsyncs and renames it before it reports the snapshot) and the `.part` of a
//! download in progress (lost in a crash, never loaded unless whole and intact).
//!
//! A snapshot's bytes are generated from its identity: its id, the hash of the committed log
//! prefix it stands for (the state machine's checksum: two replicas' snapshots at one offset
//! must carry the same one), and a trailing checksum over the rest, so a damaged download fails
//! its check as a real snapshot's CRCs would.

use bytes::Bytes;
use kraft_driver::RetainedSnapshot;
use kraft_engine::election::SnapshotInfo;
use kraft_engine::message::SnapshotId;

use crate::disk::{content_hash, fnv1a64};

/// Bytes before the filler: end offset, epoch, prefix hash, size.
const HEADER_BYTES: usize = 8 + 4 + 8 + 8;
/// Trailing checksum.
const TRAILER_BYTES: usize = 8;
/// Smallest snapshot file.
pub const MIN_SNAPSHOT_BYTES: i64 = (HEADER_BYTES + TRAILER_BYTES) as i64;
/// Snapshots a node keeps at most (retention keeps a handful; beyond this the oldest go).
const MAX_SNAPSHOTS: usize = 64;
/// Largest `.part` accepted (a bound on a peer's claimed size).
const MAX_PART_BYTES: usize = 16 << 20;

/// One frozen snapshot file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimSnapshot {
    pub snapshot_id: SnapshotId,
    pub size_bytes: i64,
    /// Hash of the committed log prefix below the end offset (the state machine's checksum).
    pub prefix_hash: u64,
    /// Simulated time of the last batch it contains (its SnapshotHeader timestamp).
    pub frozen_at_ms: u64,
}

impl SimSnapshot {
    pub fn info(&self) -> SnapshotInfo {
        SnapshotInfo {
            snapshot_id: self.snapshot_id,
            size_bytes: self.size_bytes,
        }
    }

    /// The file's bytes.
    pub fn bytes(&self) -> Bytes {
        let size = self.size_bytes as usize;
        assert!(size >= HEADER_BYTES + TRAILER_BYTES);
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(&self.snapshot_id.end_offset.to_le_bytes());
        out.extend_from_slice(&self.snapshot_id.epoch.to_le_bytes());
        out.extend_from_slice(&self.prefix_hash.to_le_bytes());
        out.extend_from_slice(&self.size_bytes.to_le_bytes());
        let mut filler = self.prefix_hash;
        while out.len() < size - TRAILER_BYTES {
            filler = fnv1a64(filler, &[out.len() as u8]);
            out.push(filler as u8);
        }
        let checksum = content_hash(&out);
        out.extend_from_slice(&checksum.to_le_bytes());
        Bytes::from(out)
    }

    /// Checks a downloaded file against the id and size the core names (the runtime's checks of a
    /// `.part`): the prefix hash it carries, or `None` when it is damaged or another snapshot.
    pub fn check(bytes: &[u8], info: SnapshotInfo) -> Option<SimSnapshot> {
        if bytes.len() as i64 != info.size_bytes || bytes.len() < HEADER_BYTES + TRAILER_BYTES {
            return None;
        }
        let (body, trailer) = bytes.split_at(bytes.len() - TRAILER_BYTES);
        if content_hash(body).to_le_bytes() != trailer {
            return None;
        }
        let end_offset = i64::from_le_bytes(body[0..8].try_into().ok()?);
        let epoch = i32::from_le_bytes(body[8..12].try_into().ok()?);
        let prefix_hash = u64::from_le_bytes(body[12..20].try_into().ok()?);
        let size_bytes = i64::from_le_bytes(body[20..28].try_into().ok()?);
        let snapshot = SimSnapshot {
            snapshot_id: SnapshotId { end_offset, epoch },
            size_bytes,
            prefix_hash,
            frozen_at_ms: 0,
        };
        (snapshot.info() == info && snapshot.bytes()[..] == *bytes).then_some(snapshot)
    }
}

/// A download in progress: the `.part` file.
#[derive(Clone, Debug)]
struct Part {
    snapshot_id: SnapshotId,
    bytes: Vec<u8>,
}

/// One node's snapshot directory.
#[derive(Clone, Debug, Default)]
pub struct SnapshotStore {
    /// Frozen snapshots, ascending by id.
    snapshots: Vec<SimSnapshot>,
    part: Option<Part>,
}

impl SnapshotStore {
    pub fn latest(&self) -> Option<&SimSnapshot> {
        self.snapshots.last()
    }

    pub fn find(&self, snapshot_id: SnapshotId) -> Option<&SimSnapshot> {
        self.snapshots.iter().find(|s| s.snapshot_id == snapshot_id)
    }

    pub fn snapshots(&self) -> &[SimSnapshot] {
        &self.snapshots
    }

    /// A frozen (or downloaded and checked) snapshot: kept, durable. Snapshots at or above its id
    /// are replaced (a downloaded snapshot supersedes the log and its snapshots past it).
    pub fn add(&mut self, snapshot: SimSnapshot) {
        self.snapshots
            .retain(|s| s.snapshot_id < snapshot.snapshot_id);
        if self.snapshots.len() >= MAX_SNAPSHOTS {
            self.snapshots.remove(0);
        }
        self.snapshots.push(snapshot);
    }

    /// Retention forgot the `count` oldest snapshots (never the latest).
    pub fn delete_oldest(&mut self, count: usize) {
        let count = count.min(self.snapshots.len().saturating_sub(1));
        self.snapshots.drain(..count);
    }

    /// The snapshots as the shared retention policy takes them.
    pub fn retained(&self) -> Vec<RetainedSnapshot> {
        self.snapshots
            .iter()
            .map(|s| RetainedSnapshot {
                snapshot_id: s.snapshot_id,
                size_bytes: s.size_bytes as u64,
                last_contained_log_timestamp_ms: s.frozen_at_ms as i64,
            })
            .collect()
    }

    /// `Output::WriteSnapshotChunk`: position 0 starts a new `.part`; later chunks must continue
    /// it. Returns a description of the misuse otherwise.
    pub fn write_chunk(
        &mut self,
        snapshot_id: SnapshotId,
        position: i64,
        bytes: &[u8],
    ) -> Result<(), String> {
        if position == 0 {
            self.part = Some(Part {
                snapshot_id,
                bytes: Vec::new(),
            });
        }
        let Some(part) = self.part.as_mut() else {
            return Err(format!(
                "chunk at {position} of {snapshot_id:?} with no .part"
            ));
        };
        if part.snapshot_id != snapshot_id || part.bytes.len() as i64 != position {
            return Err(format!(
                "chunk at {position} of {snapshot_id:?}, the .part holds {} bytes of {:?}",
                part.bytes.len(),
                part.snapshot_id
            ));
        }
        if part.bytes.len() + bytes.len() > MAX_PART_BYTES {
            return Err(format!(
                "the .part of {snapshot_id:?} outgrows {MAX_PART_BYTES} bytes"
            ));
        }
        part.bytes.extend_from_slice(bytes);
        Ok(())
    }

    /// `Output::LoadSnapshot`'s check: the `.part` is taken (renamed or deleted either way) and
    /// returned as a snapshot only when whole and intact.
    pub fn take_part(&mut self, info: SnapshotInfo) -> Option<SimSnapshot> {
        let part = self.part.take()?;
        if part.snapshot_id != info.snapshot_id {
            return None;
        }
        SimSnapshot::check(&part.bytes, info)
    }

    /// A download is in progress (a `.part` exists).
    pub fn has_part(&self) -> bool {
        self.part.is_some()
    }

    /// A crash or restart: a `.part` is never loaded after one (startup deletes it).
    pub fn drop_part(&mut self) {
        self.part = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(size_bytes: i64) -> SimSnapshot {
        SimSnapshot {
            snapshot_id: SnapshotId {
                end_offset: 40,
                epoch: 2,
            },
            size_bytes,
            prefix_hash: 0xABCD,
            frozen_at_ms: 5,
        }
    }

    #[test]
    fn a_whole_download_checks_and_a_damaged_one_does_not() {
        let s = snapshot(300);
        let bytes = s.bytes();
        assert_eq!(bytes.len(), 300);
        let mut store = SnapshotStore::default();
        store.write_chunk(s.snapshot_id, 0, &bytes[..100]).unwrap();
        assert!(store.write_chunk(s.snapshot_id, 50, &bytes[100..]).is_err());
        store
            .write_chunk(s.snapshot_id, 100, &bytes[100..])
            .unwrap();
        let loaded = store.take_part(s.info()).expect("intact");
        assert_eq!(loaded.prefix_hash, 0xABCD);
        assert!(store.take_part(s.info()).is_none(), "the .part is gone");

        let mut damaged = bytes.to_vec();
        damaged[150] ^= 1;
        store.write_chunk(s.snapshot_id, 0, &damaged).unwrap();
        assert!(store.take_part(s.info()).is_none());
        store.write_chunk(s.snapshot_id, 0, &bytes[..299]).unwrap();
        assert!(store.take_part(s.info()).is_none(), "short");
    }
}
