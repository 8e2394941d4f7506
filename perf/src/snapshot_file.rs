//! The workload's state as a Kafka snapshot file (KIP-630, as `RecordsSnapshotWriter` writes
//! one): `<end offset:020>-<epoch:010>.checkpoint`, three v2 batches of the snapshot's epoch
//! with offsets from 0: a SnapshotHeader control batch (version 0, the last contained log
//! timestamp; at kraft.version 1 followed in the same batch by a KRaftVersion record and a Voters
//! record, KIP-853), one data batch holding the encoded [`WorkloadState`], a SnapshotFooter
//! control batch. Written to a `.checkpoint.part` file, fsynced, renamed, directory fsynced
//! (segment-log's `SnapshotWriter`). This is file I/O: the runtime calls it off the Raft loop.

use std::path::{Path, PathBuf};

use kraft_records::{
    build_snapshot_footer_batch, build_snapshot_header_batch_with_kraft_control,
    collect_kraft_control, BatchBuilder, BatchIter, ControlRecord, VotersRecord,
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

/// The kraft.version and voter set in force at a snapshot's last offset (the core's
/// `kraft_control_at`): what Kafka's `RecordsSnapshotWriter` writes after the SnapshotHeader.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotKRaftControl {
    pub kraft_version: i16,
    /// Written only at kraft.version 1 or more (Kafka refuses a voter set at 0).
    pub voters: Option<VotersRecord>,
}

/// What a snapshot written by [`write_snapshot`] holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotContents {
    pub state: WorkloadState,
    /// Its KRaftVersion and Voters records (offsets inside the snapshot), empty at
    /// kraft.version 0.
    pub kraft_control: Vec<(i64, ControlRecord)>,
}

/// Writes and freezes a snapshot of `state` in `dir`. `state` must hold at least one batch.
pub fn write_snapshot(
    dir: &Path,
    state: &WorkloadState,
    kraft: &SnapshotKRaftControl,
    now_ms: i64,
) -> Result<FrozenSnapshot, LogError> {
    assert!(state.end_offset > 0, "a snapshot of an empty state");
    assert!(
        kraft.voters.is_none() || kraft.kraft_version >= 1,
        "a voter set in a snapshot at kraft.version 0"
    );
    let id = snapshot_id_of(state);
    let mut bytes = Vec::with_capacity(256);
    // Kafka writes the KRaftVersion record only when reconfiguration is supported (1 or more).
    let kraft_version = (kraft.kraft_version >= 1).then_some(kraft.kraft_version);
    let header = build_snapshot_header_batch_with_kraft_control(
        &mut bytes,
        id.epoch,
        now_ms,
        state.last_timestamp_ms,
        kraft_version,
        kraft.voters.as_ref(),
    );
    let data_offset = header.next_offset();
    let mut data = BatchBuilder::new(&mut bytes, data_offset, id.epoch, now_ms);
    data.append_value(&state.encode());
    data.finish();
    build_snapshot_footer_batch(&mut bytes, data_offset + 1, id.epoch, now_ms);
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
    read_snapshot_contents(path, id).map(|contents| contents.state)
}

/// As [`read_snapshot`], with the snapshot's KRaftVersion and Voters records.
pub fn read_snapshot_contents(
    path: &Path,
    id: SnapshotId,
) -> Result<SnapshotContents, SnapshotLoadError> {
    let reader = SnapshotReader::open(path)?;
    reader.check(None)?;
    let not_ours = |reason: String| SnapshotLoadError::NotWorkloadState { id, reason };
    let mut state = None;
    let mut kraft_control = Vec::new();
    for batch in BatchIter::verified(reader.bytes()) {
        let batch = batch.map_err(|e| not_ours(e.to_string()))?;
        if batch.header.is_control() {
            collect_kraft_control(&batch, &mut kraft_control).map_err(|e| {
                not_ours(format!(
                    "control batch at offset {}: {e}",
                    batch.header.base_offset
                ))
            })?;
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
    Ok(SnapshotContents {
        state,
        kraft_control,
    })
}

/// What [`load_latest_valid`] found.
#[derive(Debug)]
pub struct LatestSnapshot {
    /// The newest snapshot that passed every check, and what it holds.
    pub loaded: Option<(FrozenSnapshot, SnapshotContents)>,
    /// Newer snapshots that failed a check, already deleted, newest first.
    pub rejected: Vec<(PathBuf, SnapshotLoadError)>,
}

/// The newest snapshot in `dir` that passes [`read_snapshot`]. Every newer one that fails is
/// deleted and returned with its error (the caller reports it): a torn or damaged snapshot is
/// never loaded. `.part` files are not snapshots and are left to the log's recovery.
pub fn load_latest_valid(dir: &Path) -> Result<LatestSnapshot, LogError> {
    let mut rejected = Vec::new();
    let ids = kraft_segment_log::list_snapshots(dir)?;
    // The bootstrap checkpoint (0, 0) holds the initial voter set, no workload state: it is read
    // by the runtime's bootstrap step and never loaded (or deleted) here.
    for &id in ids.iter().rev().filter(|id| !id.is_bootstrap()) {
        let path = id.path_in(dir);
        match read_snapshot_contents(&path, id) {
            Ok(contents) => {
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
                    last_contained_log_timestamp_ms: contents.state.last_timestamp_ms,
                };
                return Ok(LatestSnapshot {
                    loaded: Some((frozen, contents)),
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
