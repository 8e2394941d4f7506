//! The KIP-853 control entries the core rebuilds its voter-set history from
//! (`RestoredState::kraft_control`, `Input::SnapshotLoaded::kraft_control`), as Kafka's
//! `KRaftControlRecordStateMachine` reads them at start: the bootstrap checkpoint 0-0 (at offset
//! -1) unless a newer snapshot exists, else the latest snapshot's records (at its end offset - 1),
//! then every KRaftVersion and Voters record of the log from the snapshot's end on (at their own
//! offsets; the log's recovery scan collected them from the control batches).

use super::bootstrap;
use kraft_engine::{ControlEntry, ControlKind};
use kraft_records::{scan_kraft_control, ControlRecord};
use kraft_segment_log::{LogError, SnapshotId, SnapshotReader};
use std::path::Path;

/// The core's entry for a record found in a file; `None` for a record of another type.
fn entry(offset: i64, record: ControlRecord) -> Option<ControlEntry> {
    let kind = match record {
        ControlRecord::KRaftVersion { kraft_version, .. } => {
            ControlKind::KRaftVersion(kraft_version)
        }
        ControlRecord::KRaftVoters(voters) => ControlKind::Voters(voters),
        _ => return None,
    };
    Some(ControlEntry { offset, kind })
}

/// The KRaftVersion and Voters records of the snapshot file at `path` (the whole file checked
/// first), as entries at `offset`: a snapshot's records count from its last contained offset.
pub fn snapshot_entries(path: &Path, offset: i64) -> Result<Vec<ControlEntry>, LogError> {
    let reader = SnapshotReader::open(path)?;
    reader.check(None)?;
    let records = scan_kraft_control(reader.bytes()).map_err(|e| LogError::Corrupt {
        file: path.to_path_buf(),
        position: 0,
        reason: format!("KRaft control records: {e}"),
    })?;
    Ok(records
        .into_iter()
        .filter_map(|(_, record)| entry(offset, record))
        .collect())
}

/// The entries a node restores at start. `latest_snapshot`: the latest retained snapshot other
/// than the bootstrap checkpoint; `log_records`: the log's records (recovery scan), ascending.
pub fn restored_entries(
    partition_dir: &Path,
    latest_snapshot: Option<SnapshotId>,
    log_records: Vec<(i64, ControlRecord)>,
) -> Result<Vec<ControlEntry>, LogError> {
    let mut entries = match latest_snapshot {
        Some(id) => {
            assert!(
                !id.is_bootstrap(),
                "the bootstrap checkpoint is no snapshot"
            );
            snapshot_entries(&id.path_in(partition_dir), id.end_offset - 1)?
        }
        // Empty without a checkpoint: a static quorum, or `format --no-initial-controllers`.
        None => bootstrap::read_bootstrap_control(partition_dir)?
            .into_iter()
            .filter_map(|(offset, record)| entry(offset, record))
            .collect(),
    };
    let log_from = latest_snapshot.map_or(0, |id| id.end_offset);
    entries.extend(
        log_records
            .into_iter()
            .filter(|(offset, _)| *offset >= log_from)
            .filter_map(|(offset, record)| entry(offset, record)),
    );
    assert!(
        entries.windows(2).all(|w| w[0].offset <= w[1].offset),
        "control entries out of order"
    );
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kraft_perf::{write_bootstrap_checkpoint, write_snapshot, SnapshotKRaftControl};
    use kraft_records::{BatchBuilder, Uuid, VoterEndpoint, VoterRecord, VotersRecord};

    fn voters(ids: &[i32]) -> VotersRecord {
        VotersRecord {
            version: 0,
            voters: ids
                .iter()
                .map(|&id| VoterRecord {
                    voter_id: id,
                    voter_directory_id: Uuid([id as u8; 16]),
                    endpoints: vec![VoterEndpoint {
                        name: "CONTROLLER".into(),
                        host: "localhost".into(),
                        port: 9000 + id as u16,
                    }],
                    kraft_version_min: 0,
                    kraft_version_max: 1,
                })
                .collect(),
        }
    }

    fn kinds(entries: &[ControlEntry]) -> Vec<(i64, String)> {
        entries
            .iter()
            .map(|e| match &e.kind {
                ControlKind::KRaftVersion(v) => (e.offset, format!("kraft.version {v}")),
                ControlKind::Voters(r) => (
                    e.offset,
                    format!(
                        "voters {:?}",
                        r.voters.iter().map(|v| v.voter_id).collect::<Vec<_>>()
                    ),
                ),
            })
            .collect()
    }

    /// A workload snapshot ending at offset 10 (epoch 2) written at kraft.version 1.
    fn snapshot_at_10(dir: &Path, voter_ids: &[i32]) -> SnapshotId {
        let mut state = kraft_perf::WorkloadState::default();
        let mut buf = Vec::new();
        let mut batch = BatchBuilder::new(&mut buf, 0, 2, 5);
        for _ in 0..10 {
            batch.append_value(&[1; 8]);
        }
        batch.finish();
        let header = kraft_records::validate_batch(&buf).unwrap();
        state.apply_batch(&header, &buf).unwrap();
        let kraft = SnapshotKRaftControl {
            kraft_version: 1,
            voters: Some(voters(voter_ids)),
        };
        write_snapshot(dir, &state, &kraft, 7).unwrap().id
    }

    #[test]
    fn the_bootstrap_checkpoint_then_the_log() {
        let dir = tempfile::tempdir().unwrap();
        write_bootstrap_checkpoint(dir.path(), 1, &voters(&[1]), 5).unwrap();
        let log = vec![(4, ControlRecord::KRaftVoters(voters(&[1, 2])))];
        let entries = restored_entries(dir.path(), None, log).unwrap();
        assert_eq!(
            kinds(&entries),
            [
                (-1, "kraft.version 1".to_string()),
                (-1, "voters [1]".to_string()),
                (4, "voters [1, 2]".to_string()),
            ]
        );
    }

    /// A newer snapshot replaces the bootstrap checkpoint, and the log's records it covers are
    /// not read again (Kafka reads the log from the snapshot's end).
    #[test]
    fn the_latest_snapshot_then_the_log_after_it() {
        let dir = tempfile::tempdir().unwrap();
        write_bootstrap_checkpoint(dir.path(), 1, &voters(&[1]), 5).unwrap();
        let id = snapshot_at_10(dir.path(), &[1, 2]);
        let log = vec![
            (4, ControlRecord::KRaftVoters(voters(&[1, 2]))),
            (12, ControlRecord::KRaftVoters(voters(&[1, 2, 3]))),
        ];
        let entries = restored_entries(dir.path(), Some(id), log).unwrap();
        assert_eq!(
            kinds(&entries),
            [
                (9, "kraft.version 1".to_string()),
                (9, "voters [1, 2]".to_string()),
                (12, "voters [1, 2, 3]".to_string()),
            ]
        );
    }

    #[test]
    fn a_static_node_without_checkpoint_has_none_and_a_damaged_checkpoint_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(restored_entries(dir.path(), None, Vec::new())
            .unwrap()
            .is_empty());
        let path = write_bootstrap_checkpoint(dir.path(), 1, &voters(&[1]), 5).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        assert!(restored_entries(dir.path(), None, Vec::new()).is_err());
    }
}
