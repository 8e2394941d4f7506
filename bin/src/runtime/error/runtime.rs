use super::{ListenerError, LogRoleError};
use crate::runtime::meta_properties::MetaPropertiesError;
use kraft_engine::RestoreError;
use kraft_segment_log::LogError;
use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why the server stopped with exit code 1: at start-up, or while running.
#[derive(Debug)]
pub enum RuntimeError {
    SignalHandling(io::Error),
    /// `meta.properties` of the log directory is unreadable or belongs to another replica.
    LogDirectory(MetaPropertiesError),
    OpenLog {
        dir: PathBuf,
        source: LogError,
    },
    ReadQuorumState(LogError),
    /// The snapshots could not be read or a bad one deleted at start.
    Snapshots(LogError),
    /// The voter set could not be read at start (bootstrap checkpoint or latest snapshot).
    ReadKRaftControl(LogError),
    StartRaftNode(RestoreError),
    ListCpus(glommio::GlommioError<()>),
    StartExecutor {
        name: String,
        cpus: String,
        source: glommio::GlommioError<()>,
    },
    /// An executor's thread panicked.
    ExecutorFailed(glommio::GlommioError<()>),
    /// Every executor ended, none with the Raft loop's result.
    NoRaftResult,
    /// The election state could not be made durable: the node must not act on it.
    PersistQuorumState(LogError),
    Listener(ListenerError),
    LogFailed(LogRoleError),
    /// The log role answered `Stopped` while the Raft loop still ran.
    LogStoppedUnexpectedly,
    /// The link to the log role closed without a reason.
    LogRoleStopped,
    /// The link to the network role closed without a reason.
    NetworkRoleStopped,
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuntimeError::SignalHandling(e) => write!(f, "cannot install signal handling: {e}"),
            RuntimeError::LogDirectory(e) => write!(f, "invalid log directory: {e}"),
            RuntimeError::OpenLog { dir, source } => {
                write!(f, "cannot open the log in {}: {source}", dir.display())
            }
            RuntimeError::ReadQuorumState(e) => write!(f, "cannot read the quorum state: {e}"),
            RuntimeError::Snapshots(e) => write!(f, "cannot read the snapshots: {e}"),
            RuntimeError::ReadKRaftControl(e) => write!(
                f,
                "cannot read the voter set (bootstrap checkpoint or latest snapshot): {e}"
            ),
            RuntimeError::StartRaftNode(e) => write!(f, "cannot start the Raft node: {e}"),
            RuntimeError::ListCpus(e) => write!(f, "cannot list the online CPUs: {e}"),
            RuntimeError::StartExecutor { name, cpus, source } => {
                write!(f, "cannot start executor {name} on CPUs {cpus}: {source}")
            }
            RuntimeError::ExecutorFailed(e) => write!(f, "executor failed: {e}"),
            RuntimeError::NoRaftResult => write!(f, "the Raft executor ended without a result"),
            RuntimeError::PersistQuorumState(e) => {
                write!(f, "cannot persist the quorum state: {e}")
            }
            RuntimeError::Listener(e) => write!(f, "{e}"),
            RuntimeError::LogFailed(e) => write!(f, "segment log failed: {e}"),
            RuntimeError::LogStoppedUnexpectedly => write!(f, "segment log stopped unexpectedly"),
            RuntimeError::LogRoleStopped => write!(f, "log role stopped"),
            RuntimeError::NetworkRoleStopped => write!(f, "network role stopped"),
        }
    }
}

impl std::error::Error for RuntimeError {}
