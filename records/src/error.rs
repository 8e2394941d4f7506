use std::fmt;

/// Why a byte range is not a valid Kafka v2 record batch (or record inside one).
///
/// Every variant carries enough to locate the damage; callers add the file and position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchError {
    /// Fewer bytes than the structure being read needs.
    Truncated { needed: usize, available: usize },
    /// The magic byte is not 2; KRaft only writes v2 batches.
    BadMagic(i8),
    /// BatchLength is below the v2 header size or absurdly large.
    BadLength(i32),
    /// The stored CRC-32C does not match the bytes.
    CrcMismatch { stored: u32, computed: u32 },
    /// RecordsCount or LastOffsetDelta disagree with each other or are negative.
    BadCount {
        records_count: i32,
        last_offset_delta: i32,
    },
    /// A record inside the batch is malformed.
    BadRecord(&'static str),
    /// A control record's key or value is malformed.
    BadControlRecord(&'static str),
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchError::Truncated { needed, available } => {
                write!(f, "truncated: needed {needed} bytes, {available} available")
            }
            BatchError::BadMagic(magic) => write!(f, "unsupported magic {magic} (expected 2)"),
            BatchError::BadLength(length) => write!(f, "invalid batch length {length}"),
            BatchError::CrcMismatch { stored, computed } => write!(
                f,
                "CRC-32C mismatch: stored {stored:#010x}, computed {computed:#010x}"
            ),
            BatchError::BadCount {
                records_count,
                last_offset_delta,
            } => write!(
                f,
                "inconsistent record count {records_count} for last offset delta {last_offset_delta}"
            ),
            BatchError::BadRecord(why) => write!(f, "malformed record: {why}"),
            BatchError::BadControlRecord(why) => write!(f, "malformed control record: {why}"),
        }
    }
}

impl std::error::Error for BatchError {}
