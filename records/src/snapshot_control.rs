//! The control batches that open and close a Kafka snapshot file (KIP-630): a `SnapshotHeader`
//! record (schema v0: version int16, last contained log timestamp int64, tagged fields) in the
//! first batch at offset 0, a `SnapshotFooter` record (v0: version int16, tagged fields) in the
//! last. Kafka's `RecordsSnapshotWriter` writes both as control batches of the snapshot's epoch.

use crate::builder::BatchBuilder;
use crate::control::ControlRecordType;
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
    let mut value = [0u8; 11];
    value[0..2].copy_from_slice(&SNAPSHOT_CONTROL_VERSION.to_be_bytes());
    value[2..10].copy_from_slice(&last_contained_log_timestamp_ms.to_be_bytes());
    // value[10] = 0: no tagged fields.
    let mut builder = BatchBuilder::control(buf, 0, epoch, timestamp_ms);
    builder.append_control(ControlRecordType::SnapshotHeader, &value);
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
}
