//! Errors of mounting and unmounting the test file system.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum PowerFsError {
    /// FUSE cannot be used on this machine (no /dev/fuse, or mounting is not permitted): tests
    /// skip on it, loudly, unless they are required to run.
    Unavailable { reason: String },
    /// A file-system call on the backing side or the mount point failed.
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The mount did not go away in time (a process still holds a file open under it).
    Busy { mountpoint: PathBuf, waited_ms: u64 },
}

impl fmt::Display for PowerFsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PowerFsError::Unavailable { reason } => write!(f, "FUSE unavailable: {reason}"),
            PowerFsError::Io { what, path, source } => {
                write!(f, "{what} {}: {source}", path.display())
            }
            PowerFsError::Busy {
                mountpoint,
                waited_ms,
            } => write!(
                f,
                "{} still in use {waited_ms} ms after the unmount (a file left open?)",
                mountpoint.display()
            ),
        }
    }
}

impl std::error::Error for PowerFsError {}
