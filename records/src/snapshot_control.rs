//! The control batches that open and close a Kafka snapshot file (KIP-630): a `SnapshotHeader`
//! record (schema v0: version int16, last contained log timestamp int64, tagged fields) in the
//! first batch at offset 0, a `SnapshotFooter` record (v0: version int16, tagged fields) in the
//! last. Kafka's `RecordsSnapshotWriter` writes both as control batches of the snapshot's epoch.

use crate::builder::BatchBuilder;
use crate::control::ControlRecordType;
use crate::voters::{append_kraft_control_records, VotersRecord};
use crate::BatchHeader;

/// The only SnapshotHeader/SnapshotFooter schema version Kafka 4.x writes.
pub const SNAPSHOT_CONTROL_VERSION: i16 = 0;

/// Appends the SnapshotHeader control batch at offset 0.
pub fn build_snapshot_header_batch(
    buf: &mut Vec<u8>,
    epoch: i32,
    timestamp_ms: i64,
    last_contained_log_timestamp_ms: i64,
) -> BatchHeader {
    build_snapshot_header_batch_with_kraft_control(
        buf,
        epoch,
        timestamp_ms,
        last_contained_log_timestamp_ms,
        None,
        None,
    )
}

/// Appends the SnapshotHeader control batch at offset 0 followed, in the same batch, by a
/// KRaftVersion record and a Voters record when given: what Kafka's `RecordsSnapshotWriter` writes
/// at kraft.version 1 (a snapshot, or the bootstrap checkpoint of `kafka-storage format`). The
/// batch then ends at offset 1 or 2, and the next batch starts after it.
pub fn build_snapshot_header_batch_with_kraft_control(
    buf: &mut Vec<u8>,
    epoch: i32,
    timestamp_ms: i64,
    last_contained_log_timestamp_ms: i64,
    kraft_version: Option<i16>,
    voters: Option<&VotersRecord>,
) -> BatchHeader {
    assert!(
        voters.is_none() || kraft_version.is_some_and(|v| v > 0),
        "a voter set is written only at kraft.version 1 or more"
    );
    let mut value = [0u8; 11];
    value[0..2].copy_from_slice(&SNAPSHOT_CONTROL_VERSION.to_be_bytes());
    value[2..10].copy_from_slice(&last_contained_log_timestamp_ms.to_be_bytes());
    // value[10] = 0: no tagged fields.
    let mut builder = BatchBuilder::control(buf, 0, epoch, timestamp_ms);
    builder.append_control(ControlRecordType::SnapshotHeader, &value);
    append_kraft_control_records(&mut builder, kraft_version, voters);
    builder.finish()
}

/// Appends the SnapshotFooter control batch at `base_offset` (the snapshot's next offset).
pub fn build_snapshot_footer_batch(
    buf: &mut Vec<u8>,
    base_offset: i64,
    epoch: i32,
    timestamp_ms: i64,
) -> BatchHeader {
    let mut value = [0u8; 3];
    value[0..2].copy_from_slice(&SNAPSHOT_CONTROL_VERSION.to_be_bytes());
    let mut builder = BatchBuilder::control(buf, base_offset, epoch, timestamp_ms);
    builder.append_control(ControlRecordType::SnapshotFooter, &value);
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_control_record, BatchIter, ControlRecord};

    #[test]
    fn header_and_footer_parse_back() {
        let mut buf = Vec::new();
        build_snapshot_header_batch(&mut buf, 7, 1_000, 999);
        let footer = build_snapshot_footer_batch(&mut buf, 1, 7, 1_000);
        assert_eq!(footer.base_offset, 1);
        let batches: Vec<_> = BatchIter::new(&buf).map(Result::unwrap).collect();
        assert_eq!(batches.len(), 2);
        let parsed: Vec<ControlRecord> = batches
            .iter()
            .map(|b| {
                assert!(b.header.is_control());
                assert_eq!(b.header.partition_leader_epoch, 7);
                parse_control_record(&b.records().next().unwrap().unwrap()).unwrap()
            })
            .collect();
        assert_eq!(
            parsed,
            [
                ControlRecord::SnapshotHeader {
                    version: 0,
                    last_contained_log_timestamp: 999
                },
                ControlRecord::SnapshotFooter { version: 0 }
            ]
        );
    }

    #[test]
    fn header_batch_carries_kraft_version_and_voters() {
        let voters = VotersRecord {
            version: 0,
            voters: vec![crate::VoterRecord {
                voter_id: 1,
                voter_directory_id: crate::Uuid::from_parts(3, 4),
                endpoints: vec![crate::VoterEndpoint {
                    name: "CONTROLLER".into(),
                    host: "localhost".into(),
                    port: 9093,
                }],
                kraft_version_min: 0,
                kraft_version_max: 1,
            }],
        };
        let mut buf = Vec::new();
        let header = build_snapshot_header_batch_with_kraft_control(
            &mut buf,
            0,
            5,
            -1,
            Some(1),
            Some(&voters),
        );
        assert_eq!((header.base_offset, header.last_offset()), (0, 2));
        let batch = BatchIter::new(&buf).next().unwrap().unwrap();
        let parsed: Vec<ControlRecord> = batch
            .records()
            .map(|r| parse_control_record(&r.unwrap()).unwrap())
            .collect();
        assert_eq!(
            parsed,
            [
                ControlRecord::SnapshotHeader {
                    version: 0,
                    last_contained_log_timestamp: -1
                },
                ControlRecord::KRaftVersion {
                    version: 0,
                    kraft_version: 1
                },
                ControlRecord::KRaftVoters(voters)
            ]
        );
    }
}
