//! The workload's state as a Kafka snapshot file (KIP-630, as `RecordsSnapshotWriter` writes
//! one): `<end offset:020>-<epoch:010>.checkpoint`, three v2 batches of the snapshot's epoch
//! with offsets from 0: a SnapshotHeader control batch (version 0, the last contained log
//! timestamp), one data batch holding the encoded [`WorkloadState`], a SnapshotFooter control
//! batch. Written to a `.checkpoint.part` file, fsynced, renamed, directory fsynced (segment-log's
//! `SnapshotWriter`). This is file I/O: the runtime calls it off the Raft loop.

use std::path::{Path, PathBuf};

use kraft_records::{
    build_snapshot_footer_batch, build_snapshot_header_batch, BatchBuilder, BatchIter,
};
use kraft_segment_log::{LogError, SnapshotId, SnapshotReader, SnapshotWriter};

use crate::snapshot_error::SnapshotLoadError;
use crate::state_machine::WorkloadState;

/// A snapshot on disk under its final name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrozenSnapshot {
    pub id: SnapshotId,
    pub size_bytes: u64,
    pub path: PathBuf,
    pub last_contained_log_timestamp_ms: i64,
}

/// The snapshot id of `state` (its end offset and the epoch of its last batch).
pub fn snapshot_id_of(state: &WorkloadState) -> SnapshotId {
    SnapshotId {
        end_offset: state.end_offset,
        epoch: state.last_epoch,
    }
}

/// Writes and freezes a snapshot of `state` in `dir`. `state` must hold at least one batch.
pub fn write_snapshot(
    dir: &Path,
    state: &WorkloadState,
    now_ms: i64,
) -> Result<FrozenSnapshot, LogError> {
    assert!(state.end_offset > 0, "a snapshot of an empty state");
    let id = snapshot_id_of(state);
    let mut bytes = Vec::with_capacity(256);
    build_snapshot_header_batch(&mut bytes, id.epoch, now_ms, state.last_timestamp_ms);
    let mut data = BatchBuilder::new(&mut bytes, 1, id.epoch, now_ms);
    data.append_value(&state.encode());
    data.finish();
    build_snapshot_footer_batch(&mut bytes, 2, id.epoch, now_ms);
    let mut writer = SnapshotWriter::create(dir, id)?;
    writer.append(&bytes)?;
    let path = writer.freeze()?;
    Ok(FrozenSnapshot {
        id,
        size_bytes: bytes.len() as u64,
        path,
        last_contained_log_timestamp_ms: state.last_timestamp_ms,
    })
}

/// Reads a snapshot file written by [`write_snapshot`], with every check: Kafka's (CRC, offsets,
/// header, footer) and ours (one state record agreeing with the id in the file name).
pub fn read_snapshot(path: &Path, id: SnapshotId) -> Result<WorkloadState, SnapshotLoadError> {
    let reader = SnapshotReader::open(path)?;
    reader.check(None)?;
    let not_ours = |reason: String| SnapshotLoadError::NotWorkloadState { id, reason };
    let mut state = None;
    for batch in BatchIter::verified(reader.bytes()) {
        let batch = batch.map_err(|e| not_ours(e.to_string()))?;
        if batch.header.is_control() {
            continue;
        }
        for record in batch.records() {
            let record = record.map_err(|e| not_ours(e.to_string()))?;
            if state.is_some() {
                return Err(not_ours("more than one data record".into()));
            }
            let value = record
                .value
                .ok_or_else(|| not_ours("a null record value".into()))?;
            state = Some(WorkloadState::decode(value).map_err(|e| not_ours(e.to_string()))?);
        }
    }
    let state = state.ok_or_else(|| not_ours("no data record".into()))?;
    if snapshot_id_of(&state) != id {
        return Err(not_ours(format!(
            "the state ends at offset {} epoch {}",
            state.end_offset, state.last_epoch
        )));
    }
    Ok(state)
}

/// What [`load_latest_valid`] found.
#[derive(Debug)]
pub struct LatestSnapshot {
    /// The newest snapshot that passed every check, and its state.
    pub loaded: Option<(FrozenSnapshot, WorkloadState)>,
    /// Newer snapshots that failed a check, already deleted, newest first.
    pub rejected: Vec<(PathBuf, SnapshotLoadError)>,
}

/// The newest snapshot in `dir` that passes [`read_snapshot`]. Every newer one that fails is
/// deleted and returned with its error (the caller reports it): a torn or damaged snapshot is
/// never loaded. `.part` files are not snapshots and are left to the log's recovery.
pub fn load_latest_valid(dir: &Path) -> Result<LatestSnapshot, LogError> {
    let mut rejected = Vec::new();
    let ids = kraft_segment_log::list_snapshots(dir)?;
    for &id in ids.iter().rev() {
        let path = id.path_in(dir);
        match read_snapshot(&path, id) {
            Ok(state) => {
                let size_bytes = std::fs::metadata(&path)
                    .map_err(|e| LogError::Io {
                        path: path.clone(),
                        op: "stat",
                        source: e,
                    })?
                    .len();
                let frozen = FrozenSnapshot {
                    id,
                    size_bytes,
                    path,
                    last_contained_log_timestamp_ms: state.last_timestamp_ms,
                };
                return Ok(LatestSnapshot {
                    loaded: Some((frozen, state)),
                    rejected,
                });
            }
            Err(error) => {
                std::fs::remove_file(&path).map_err(|e| LogError::Io {
                    path: path.clone(),
                    op: "remove",
                    source: e,
                })?;
                kraft_segment_log::fsync_dir(dir)?;
                rejected.push((path, error));
            }
        }
    }
    Ok(LatestSnapshot {
        loaded: None,
        rejected,
    })
}
