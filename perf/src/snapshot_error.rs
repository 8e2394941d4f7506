//! Why a snapshot file cannot be loaded into the workload's state.

use kraft_segment_log::{LogError, SnapshotId};
use std::fmt;

#[derive(Debug)]
pub enum SnapshotLoadError {
    /// The file is unreadable or fails the Kafka snapshot checks (CRC, header, footer, offsets).
    File(LogError),
    /// A valid Kafka snapshot whose records are not this workload's state, or disagree with the
    /// snapshot id in the file name.
    NotWorkloadState { id: SnapshotId, reason: String },
}

impl fmt::Display for SnapshotLoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotLoadError::File(error) => write!(f, "{error}"),
            SnapshotLoadError::NotWorkloadState { id, reason } => {
                write!(f, "snapshot {id} is not a workload state: {reason}")
            }
        }
    }
}

impl std::error::Error for SnapshotLoadError {}

impl From<LogError> for SnapshotLoadError {
    fn from(error: LogError) -> Self {
        SnapshotLoadError::File(error)
    }
}
