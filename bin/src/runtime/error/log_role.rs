use kraft_segment_log::LogError;
use std::fmt;

/// Why the segment-log role cannot go on; the node stops rather than lose data.
#[derive(Debug)]
pub enum LogRoleError {
    /// A batch the Raft loop handed over was not written (I/O error, refused by the log).
    Append {
        base_offset: i64,
        source: LogError,
    },
    /// An fdatasync failed: what was appended may not be durable.
    Flush(LogError),
    Truncate {
        to_offset: i64,
        source: LogError,
    },
    /// The final flush and trim at shutdown failed.
    Close(LogError),
    /// The task running a flush ended without reporting it.
    FlushTaskVanished,
    /// Retention could not delete what it decided to (segments or snapshots).
    Retention(LogError),
    /// A downloaded snapshot passed its checks but the log could not be reset to it.
    SnapshotInstall {
        end_offset: i64,
        source: LogError,
    },
}

impl fmt::Display for LogRoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogRoleError::Append {
                base_offset,
                source,
            } => write!(
                f,
                "append of batch at offset {base_offset} failed: {source}"
            ),
            LogRoleError::Flush(source) => write!(f, "flush failed: {source}"),
            LogRoleError::Truncate { to_offset, source } => {
                write!(f, "truncation to offset {to_offset} failed: {source}")
            }
            LogRoleError::Close(source) => write!(f, "closing the log failed: {source}"),
            LogRoleError::FlushTaskVanished => write!(f, "flush task vanished"),
            LogRoleError::Retention(source) => write!(f, "retention failed: {source}"),
            LogRoleError::SnapshotInstall { end_offset, source } => write!(
                f,
                "resetting the log to the snapshot ending at offset {end_offset} failed: {source}"
            ),
        }
    }
}

impl std::error::Error for LogRoleError {}
