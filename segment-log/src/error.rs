//! Typed errors of the segment log. Every variant names the file it concerns so an operator can
//! find the damage without a debugger.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Any failure of the log, its index, checkpoints, snapshots or the quorum-state file.
#[derive(Debug)]
pub enum LogError {
    /// An operating-system call failed on `path`.
    Io {
        path: PathBuf,
        /// What we were doing ("open", "fdatasync", "rename", ...).
        op: &'static str,
        source: io::Error,
    },
    /// A file holds bytes that violate its format. `position` is a byte offset in the file.
    Corrupt {
        file: PathBuf,
        position: u64,
        reason: String,
    },
    /// The requested offset lies outside `[log_start_offset, log_end_offset]`.
    OutOfRange {
        offset: i64,
        log_start_offset: i64,
        log_end_offset: i64,
    },
    /// A batch handed to `append` failed validation (magic, length, CRC, offsets).
    InvalidBatch { reason: String },
    /// A batch bigger than a whole segment can never be stored (Kafka: RecordBatchTooLarge).
    BatchTooLarge {
        size_bytes: usize,
        segment_bytes: u64,
    },
    /// A follower append whose first offset is not the log end offset.
    UnexpectedBaseOffset {
        base_offset: i64,
        log_end_offset: i64,
    },
    /// `partition.metadata` names another topic than the one configured.
    InconsistentTopicId {
        file: PathBuf,
        stored: String,
        configured: String,
    },
    /// A configuration value that cannot work.
    InvalidConfig { reason: String },
    /// A read for a range of log generation `requested` while the log is at `current`: the
    /// bytes at those offsets are not (or not yet) the ones the range meant.
    GenerationMismatch { requested: u64, current: u64 },
}

impl LogError {
    pub(crate) fn io(path: &Path, op: &'static str, source: io::Error) -> LogError {
        LogError::Io {
            path: path.to_path_buf(),
            op,
            source,
        }
    }

    pub(crate) fn corrupt(file: &Path, position: u64, reason: impl Into<String>) -> LogError {
        LogError::Corrupt {
            file: file.to_path_buf(),
            position,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogError::Io { path, op, source } => {
                write!(f, "I/O error during {op} on {}: {source}", path.display())
            }
            LogError::Corrupt {
                file,
                position,
                reason,
            } => write!(
                f,
                "corrupt data in {} at byte {position}: {reason}",
                file.display()
            ),
            LogError::OutOfRange {
                offset,
                log_start_offset,
                log_end_offset,
            } => write!(
                f,
                "offset {offset} is out of range [{log_start_offset}, {log_end_offset}]"
            ),
            LogError::InvalidBatch { reason } => write!(f, "invalid record batch: {reason}"),
            LogError::BatchTooLarge {
                size_bytes,
                segment_bytes,
            } => write!(
                f,
                "record batch of {size_bytes} bytes exceeds segment size {segment_bytes} bytes"
            ),
            LogError::UnexpectedBaseOffset {
                base_offset,
                log_end_offset,
            } => write!(
                f,
                "batch base offset {base_offset} is not the log end offset {log_end_offset}"
            ),
            LogError::InconsistentTopicId {
                file,
                stored,
                configured,
            } => write!(
                f,
                "{} holds topic id {stored} but the log was opened for topic id {configured}",
                file.display()
            ),
            LogError::InvalidConfig { reason } => write!(f, "invalid log configuration: {reason}"),
            LogError::GenerationMismatch { requested, current } => write!(
                f,
                "read of log generation {requested} while the log is at generation {current}"
            ),
        }
    }
}

impl std::error::Error for LogError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LogError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
