//! Small file-system helpers shared by the log, checkpoints, snapshots and the quorum-state file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use crate::error::LogError;

/// fsyncs a directory so that creations, renames and deletions inside it survive a crash.
pub fn fsync_dir(dir: &Path) -> Result<(), LogError> {
    let handle = File::open(dir).map_err(|e| LogError::io(dir, "open directory", e))?;
    handle
        .sync_all()
        .map_err(|e| LogError::io(dir, "fsync directory", e))
}

/// `create_dir_all` whose result survives a power loss: each directory it creates is made durable
/// in its parent by an fsync of that parent (POSIX makes a new name durable only then; a node
/// whose partition directory vanished would lose its votes with it). Existing ancestors are left
/// alone. Bounded by the path's depth.
pub fn create_dir_durable(dir: &Path) -> Result<(), LogError> {
    if dir.is_dir() {
        return Ok(());
    }
    let parent = parent_dir(dir);
    if parent != dir {
        create_dir_durable(parent)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => fsync_dir(parent),
        // Another creator got there first; it owns the fsync of the parent.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(LogError::io(dir, "create directory", e)),
    }
}

/// Replaces `path` with `contents` so that a crash leaves either the old or the new file, never a
/// mix: write `<path>.tmp`, fsync it, rename it over `path`, fsync the directory.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), LogError> {
    let tmp = tmp_path(path);
    {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| LogError::io(&tmp, "create", e))?;
        file.write_all(contents)
            .map_err(|e| LogError::io(&tmp, "write", e))?;
        file.sync_all()
            .map_err(|e| LogError::io(&tmp, "fsync", e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| LogError::io(path, "rename", e))?;
    fsync_dir(parent_dir(path))
}

/// `<path>.tmp`, the name Kafka's checkpoint writers use for the file being replaced.
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".tmp");
    PathBuf::from(name)
}

pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// fdatasync: makes the file's data (and the size needed to read it) durable. Pages written
/// through a shared mapping are page-cache pages, so this also covers mmap writes.
pub fn fdatasync(file: &File, path: &Path) -> Result<(), LogError> {
    // SAFETY: the descriptor is owned by `file` and open for the duration of the call.
    let rc = unsafe { libc::fdatasync(file.as_raw_fd()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(LogError::io(
            path,
            "fdatasync",
            std::io::Error::last_os_error(),
        ))
    }
}

/// Positional write of all of `bytes` at `at` (retries short writes and EINTR).
pub fn write_all_at(file: &File, path: &Path, at: u64, bytes: &[u8]) -> Result<(), LogError> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(bytes, at)
        .map_err(|e| LogError::io(path, "pwrite", e))
}

/// Reserves disk blocks for `[0, len)` without changing the file's size, so appends rarely meet
/// ENOSPC mid-segment and the file system can lay the segment out contiguously, while the file's
/// length always ends at the last byte written: Kafka's readers (`DumpLogSegments`, a Java node
/// recovering the directory) treat zeros after the last batch as a corrupt record, and after a
/// `kill -9` nobody is left to trim them. On file systems without fallocate nothing is reserved
/// and the file simply grows with the writes.
pub fn preallocate(file: &File, path: &Path, len: u64) -> Result<(), LogError> {
    let len_off = libc::off_t::try_from(len).map_err(|_| LogError::InvalidConfig {
        reason: format!("file size {len} does not fit off_t"),
    })?;
    // SAFETY: plain syscall on an owned descriptor.
    let rc = unsafe { libc::fallocate(file.as_raw_fd(), libc::FALLOC_FL_KEEP_SIZE, 0, len_off) };
    if rc == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS) => Ok(()),
        _ => Err(LogError::io(path, "fallocate", err)),
    }
}

pub fn set_len(file: &File, path: &Path, len: u64) -> Result<(), LogError> {
    file.set_len(len)
        .map_err(|e| LogError::io(path, "set_len", e))
}

pub fn file_len(file: &File, path: &Path) -> Result<u64, LogError> {
    file.metadata()
        .map(|m| m.len())
        .map_err(|e| LogError::io(path, "stat", e))
}

pub fn remove_file(path: &Path) -> Result<(), LogError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(LogError::io(path, "remove", e)),
    }
}

/// Reads a whole (small) file; `Ok(None)` when it does not exist.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, LogError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(LogError::io(path, "read", e)),
    }
}
