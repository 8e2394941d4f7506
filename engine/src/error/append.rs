use std::fmt;

/// A local append was refused (Kafka's `prepareAppend` failures).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppendError {
    /// This node is not the leader of `epoch` (stale epoch or lost leadership): Kafka's
    /// `NotLeaderException`. The caller waits for the next LeaderChange.
    NotLeader { epoch: i32, current_epoch: i32 },
    /// The record cannot fit into one batch.
    RecordTooLarge { size_bytes: usize, max_bytes: usize },
    /// Too many completed batches wait for the log; try again after the next step.
    BufferFull { queued_batches: usize },
    /// The node is shutting down.
    ShuttingDown,
}

impl fmt::Display for AppendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppendError::NotLeader {
                epoch,
                current_epoch,
            } => write!(
                f,
                "not the leader of epoch {epoch} (current epoch {current_epoch})"
            ),
            AppendError::RecordTooLarge {
                size_bytes,
                max_bytes,
            } => write!(
                f,
                "record of {size_bytes} bytes does not fit a batch of at most {max_bytes} bytes"
            ),
            AppendError::BufferFull { queued_batches } => {
                write!(f, "{queued_batches} batches already wait for the log")
            }
            AppendError::ShuttingDown => write!(f, "the raft node is shutting down"),
        }
    }
}

impl std::error::Error for AppendError {}
