//! The storage contract errors the simulated disk reports to the simulator.

/// Misuse of the storage contract by the core (a bug the simulator reports, never a panic).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageError {
    /// An append that does not start at the log end offset.
    NonContiguousAppend {
        base_offset: i64,
        log_end_offset: i64,
    },
    /// `last_offset < base_offset`.
    EmptyOffsetRange { base_offset: i64, last_offset: i64 },
    /// A batch whose epoch is below the epoch of the batch before it.
    EpochDecrease {
        offset: i64,
        epoch: i32,
        previous_epoch: i32,
    },
    /// Truncation to an offset inside a batch: a segment log can only cut at batch boundaries,
    /// so the log would end below the offset the core believes.
    TruncateInsideBatch {
        to_offset: i64,
        batch_base_offset: i64,
        batch_last_offset: i64,
    },
}

impl std::fmt::Display for StorageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StorageError::NonContiguousAppend { base_offset, log_end_offset } => write!(
                f,
                "append at base offset {base_offset} but the log ends at {log_end_offset}"
            ),
            StorageError::EmptyOffsetRange { base_offset, last_offset } => {
                write!(f, "batch has last offset {last_offset} below base offset {base_offset}")
            }
            StorageError::EpochDecrease { offset, epoch, previous_epoch } => write!(
                f,
                "batch at offset {offset} has epoch {epoch} below the previous batch's {previous_epoch}"
            ),
            StorageError::TruncateInsideBatch { to_offset, batch_base_offset, batch_last_offset } => {
                write!(
                    f,
                    "truncate to {to_offset} cuts batch [{batch_base_offset}, {batch_last_offset}]"
                )
            }
        }
    }
}

impl std::error::Error for StorageError {}
