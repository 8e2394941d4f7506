//! The KIP-853 bootstrap checkpoint, `00000000000000000000-0000000000.checkpoint` (snapshot id 0,
//! epoch 0) in the partition directory: what `kafka-storage format --standalone` or
//! `--initial-controllers` writes (Kafka's `Formatter.writeDynamicQuorumSnapshot` through
//! `RecordsSnapshotWriter`) and where a dynamic quorum's first voter set comes from. Two batches of
//! epoch 0: a control batch holding the SnapshotHeader (offset 0), the KRaftVersion record (1)
//! and the Voters record (2), then the SnapshotFooter control batch (3). Written through
//! segment-log's `SnapshotWriter` (temporary file, fsync, whole-file check, rename, directory
//! fsync), read back with the same checks.

use std::path::{Path, PathBuf};

use kraft_records::{
    build_snapshot_footer_batch, build_snapshot_header_batch_with_kraft_control,
    scan_kraft_control, ControlRecord, VotersRecord,
};
use kraft_segment_log::{LogError, SnapshotId, SnapshotReader, SnapshotWriter};

/// Kafka's `Snapshots.BOOTSTRAP_SNAPSHOT_ID`.
pub const BOOTSTRAP_SNAPSHOT_ID: SnapshotId = SnapshotId {
    end_offset: 0,
    epoch: 0,
};

/// Writes the bootstrap checkpoint into `dir` (created if missing) and returns its path. Kafka
/// stamps the header's last contained log timestamp and both batches with the time of
/// formatting: `now_ms`.
pub fn write_bootstrap_checkpoint(
    dir: &Path,
    kraft_version: i16,
    voters: &VotersRecord,
    now_ms: i64,
) -> Result<PathBuf, LogError> {
    assert!(kraft_version >= 1, "a voter set needs kraft.version 1");
    kraft_segment_log::create_dir_durable(dir)?;
    let mut bytes = Vec::with_capacity(256 + voters.encoded_len_hint());
    let header = build_snapshot_header_batch_with_kraft_control(
        &mut bytes,
        BOOTSTRAP_SNAPSHOT_ID.epoch,
        now_ms,
        now_ms,
        Some(kraft_version),
        Some(voters),
    );
    build_snapshot_footer_batch(
        &mut bytes,
        header.next_offset(),
        BOOTSTRAP_SNAPSHOT_ID.epoch,
        now_ms,
    );
    let mut writer = SnapshotWriter::create(dir, BOOTSTRAP_SNAPSHOT_ID)?;
    writer.append(&bytes)?;
    writer.freeze_checked(bytes.len() as u64)
}

/// The KRaftVersion and Voters records of the bootstrap checkpoint in `dir`, with their offsets
/// in the file; `None` when there is no such file. The whole file must pass the snapshot checks.
pub fn read_bootstrap_checkpoint(
    dir: &Path,
) -> Result<Option<Vec<(i64, ControlRecord)>>, LogError> {
    let path = BOOTSTRAP_SNAPSHOT_ID.path_in(dir);
    if !path.exists() {
        return Ok(None);
    }
    let reader = SnapshotReader::open(&path)?;
    reader.check(None)?;
    let records = scan_kraft_control(reader.bytes()).map_err(|e| LogError::Corrupt {
        file: path.clone(),
        position: 0,
        reason: e.to_string(),
    })?;
    Ok(Some(records))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kraft_records::{BatchIter, Uuid, VoterEndpoint, VoterRecord};

    fn voters() -> VotersRecord {
        VotersRecord {
            version: 0,
            voters: vec![VoterRecord {
                voter_id: 1,
                voter_directory_id: Uuid::from_parts(5, 6),
                endpoints: vec![VoterEndpoint {
                    name: "CONTROLLER".into(),
                    host: "localhost".into(),
                    port: 9093,
                }],
                kraft_version_min: 0,
                kraft_version_max: 1,
            }],
        }
    }

    #[test]
    fn written_as_kafkas_formatter_writes_it_and_read_back() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("partition");
        assert_eq!(read_bootstrap_checkpoint(&dir).unwrap(), None);
        let path = write_bootstrap_checkpoint(&dir, 1, &voters(), 1_700_000_000_000).unwrap();
        assert_eq!(
            path.file_name().unwrap(),
            "00000000000000000000-0000000000.checkpoint"
        );
        let bytes = std::fs::read(&path).unwrap();
        let headers: Vec<_> = BatchIter::new(&bytes)
            .map(|b| {
                let h = b.unwrap().header;
                (
                    h.base_offset,
                    h.last_offset(),
                    h.partition_leader_epoch,
                    h.is_control(),
                )
            })
            .collect();
        assert_eq!(headers, [(0, 2, 0, true), (3, 3, 0, true)]);
        let summary = SnapshotReader::open(&path).unwrap().check(None).unwrap();
        assert_eq!(summary.last_contained_log_timestamp_ms, 1_700_000_000_000);
        assert_eq!(
            read_bootstrap_checkpoint(&dir).unwrap().unwrap(),
            [
                (
                    1,
                    ControlRecord::KRaftVersion {
                        version: 0,
                        kraft_version: 1
                    }
                ),
                (2, ControlRecord::KRaftVoters(voters())),
            ]
        );
        let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left");
    }

    #[test]
    fn a_damaged_checkpoint_is_an_error() {
        let root = tempfile::tempdir().unwrap();
        let path = write_bootstrap_checkpoint(root.path(), 1, &voters(), 5).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();
        assert!(read_bootstrap_checkpoint(root.path()).is_err());
    }
}
