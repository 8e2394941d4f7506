//! The whole-file check a snapshot passes before it is loaded or frozen from a download (KIP-630,
//! Kafka's `RecordsSnapshotReader`): every batch whole with a good CRC-32C, offsets contiguous
//! from 0, the first batch a control batch starting with a SnapshotHeader (then, at kraft.version
//! 1, a KRaftVersion and a Voters record), the last a control batch holding one SnapshotFooter,
//! and the expected size.

use std::path::Path;

use kraft_records::{parse_control_record, Batch, BatchIter, ControlRecord};

use crate::error::LogError;
use crate::snapshot::SnapshotReader;

/// What a snapshot file that passed [`SnapshotReader::check`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotSummary {
    pub batches: u64,
    /// The offset after the footer (records numbered from 0).
    pub next_offset: i64,
    /// The SnapshotHeader's `LastContainedLogTimestamp` (what time-based retention reads).
    pub last_contained_log_timestamp_ms: i64,
    pub size_bytes: u64,
}

/// Most batches a snapshot file is read for (bounds the loop; far above what any node writes).
const MAX_SNAPSHOT_BATCHES: u64 = 1 << 32;

impl SnapshotReader {
    /// Checks the whole file (see the module doc); `expected_size` is the size the leader
    /// advertised (download), if any.
    pub fn check(&self, expected_size: Option<u64>) -> Result<SnapshotSummary, LogError> {
        let path = self.path();
        let size_bytes = self.size_bytes();
        if let Some(expected) = expected_size {
            if expected != size_bytes {
                return Err(LogError::corrupt(
                    path,
                    size_bytes,
                    format!("snapshot holds {size_bytes} bytes where {expected} were expected"),
                ));
            }
        }
        let (batches, next_offset) = self.validate()?;
        if batches < 2 {
            return Err(LogError::corrupt(
                path,
                0,
                "a snapshot needs a header batch and a footer batch",
            ));
        }
        let mut iter = BatchIter::verified(self.bytes()).take(MAX_SNAPSHOT_BATCHES as usize);
        let first = iter.next().expect("validated").expect("validated");
        let last_contained_log_timestamp_ms = match header_control(path, &first)? {
            ControlRecord::SnapshotHeader {
                last_contained_log_timestamp,
                ..
            } => last_contained_log_timestamp,
            other => return Err(not_expected(path, 0, "SnapshotHeader", &other)),
        };
        let last = iter.last().expect("two batches").expect("validated");
        let position = size_bytes - last.bytes.len() as u64;
        match single_control(path, position, &last)? {
            ControlRecord::SnapshotFooter { .. } => {}
            other => return Err(not_expected(path, position, "SnapshotFooter", &other)),
        }
        Ok(SnapshotSummary {
            batches,
            next_offset,
            last_contained_log_timestamp_ms,
            size_bytes,
        })
    }
}

/// The SnapshotHeader batch's first record. At kraft.version 1 Kafka's `RecordsSnapshotWriter`
/// (and `kafka-storage format`'s bootstrap checkpoint) puts a KRaftVersion and a Voters record
/// after the header in the same batch: those are allowed, nothing else.
fn header_control(path: &Path, batch: &Batch<'_>) -> Result<ControlRecord, LogError> {
    if !batch.header.is_control() || batch.header.records_count == 1 {
        return single_control(path, 0, batch);
    }
    let corrupt = |reason: String| LogError::corrupt(path, 0, reason);
    let mut records = batch.records();
    let first = records
        .next()
        .expect("a batch holds a record")
        .map_err(|e| corrupt(e.to_string()))?;
    let header = parse_control_record(&first).map_err(|e| corrupt(e.to_string()))?;
    for record in records {
        let record = record.map_err(|e| corrupt(e.to_string()))?;
        match parse_control_record(&record).map_err(|e| corrupt(e.to_string()))? {
            ControlRecord::KRaftVersion { .. } | ControlRecord::KRaftVoters(_) => {}
            other => return Err(not_expected(path, 0, "KRaftVersion or Voters", &other)),
        }
    }
    Ok(header)
}

/// The one control record of a control batch.
fn single_control(
    path: &Path,
    position: u64,
    batch: &Batch<'_>,
) -> Result<ControlRecord, LogError> {
    if !batch.header.is_control() || batch.header.records_count != 1 {
        return Err(LogError::corrupt(
            path,
            position,
            format!(
                "expected a control batch of one record, found {} batch of {} records",
                if batch.header.is_control() {
                    "a control"
                } else {
                    "a data"
                },
                batch.header.records_count
            ),
        ));
    }
    let record = batch
        .records()
        .next()
        .expect("one record")
        .map_err(|e| LogError::corrupt(path, position, e.to_string()))?;
    parse_control_record(&record).map_err(|e| LogError::corrupt(path, position, e.to_string()))
}

fn not_expected(path: &Path, position: u64, wanted: &str, found: &ControlRecord) -> LogError {
    LogError::corrupt(
        path,
        position,
        format!("expected {wanted}, found {found:?}"),
    )
}
