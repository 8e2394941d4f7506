//! Log configuration (the Kafka topic configs that matter for the metadata log).

use kraft_records::Uuid;

use crate::error::LogError;

/// Kafka's `segment.bytes` default.
pub const DEFAULT_SEGMENT_BYTES: u64 = 1 << 30;
/// Kafka's `index.interval.bytes` default.
pub const DEFAULT_INDEX_INTERVAL_BYTES: usize = 4096;
/// Kafka's `segment.index.bytes` default: the largest offset index file.
pub const MAX_INDEX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Positions in the offset index are int32, so a segment cannot be larger.
pub const MAX_SEGMENT_BYTES: u64 = i32::MAX as u64;
/// Below this a segment cannot hold a useful batch (and tests use tiny segments).
pub const MIN_SEGMENT_BYTES: u64 = 128;

/// How one partition's log is laid out on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// Roll to a new segment when the active one would exceed this size.
    pub segment_bytes: u64,
    /// Add an offset index entry when more than this many bytes were appended since the last one.
    pub index_interval_bytes: usize,
    /// Reserve the segment's blocks with fallocate when it is created (else the file is sparse).
    pub preallocate: bool,
    /// Written into `partition.metadata`; a different stored id is an error.
    pub topic_id: Uuid,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            segment_bytes: DEFAULT_SEGMENT_BYTES,
            index_interval_bytes: DEFAULT_INDEX_INTERVAL_BYTES,
            preallocate: true,
            topic_id: Uuid::ZERO,
        }
    }
}

impl LogConfig {
    pub fn validate(&self) -> Result<(), LogError> {
        if !(MIN_SEGMENT_BYTES..=MAX_SEGMENT_BYTES).contains(&self.segment_bytes) {
            return Err(LogError::InvalidConfig {
                reason: format!(
                    "segment_bytes {} not in [{MIN_SEGMENT_BYTES}, {MAX_SEGMENT_BYTES}]",
                    self.segment_bytes
                ),
            });
        }
        Ok(())
    }

    /// Entries the offset index of one segment can hold: an entry is added at most once per
    /// `index_interval_bytes` (plus the first batch), capped like Kafka's `segment.index.bytes`.
    pub(crate) fn index_capacity_entries(&self) -> usize {
        let per_interval = self.index_interval_bytes.max(1) as u64;
        let needed = self.segment_bytes / per_interval + 2;
        (needed as usize).min(MAX_INDEX_FILE_BYTES / crate::index::INDEX_ENTRY_BYTES)
    }
}
