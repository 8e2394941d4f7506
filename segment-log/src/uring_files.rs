//! io_uring handles of the segment files that flushes sync, kept open from one flush to the next.
//!
//! Each handle is a `dup` of the descriptor the log writes through. Making one per fdatasync and
//! closing it afterwards cost a `dup` syscall and a ring round trip (the close) on every flush,
//! that is on every commit round of a follower; cached, a flush is one io_uring fdatasync.

use crate::error::LogError;
use glommio::io::BufferedFile;
use std::cell::RefCell;
use std::fs::File;
use std::os::unix::io::{AsRawFd, FromRawFd};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

/// Files kept open at most: the active segment, and the one it rolled from while its last flush
/// may still be in flight. Older entries are closed first.
const MAX_OPEN_FILES: usize = 4;

/// `(the file the log writes, its io_uring duplicate)`.
type Entry = (Arc<File>, Rc<BufferedFile>);

/// Shared by the log role and its flush tasks (one executor, so `Rc`).
#[derive(Clone, Default)]
pub struct UringFiles {
    /// Holding the `Arc` keeps the log's `File` alive, so pointer equality identifies it: a
    /// recreated segment (truncation, roll) is a new `Arc` and gets a new duplicate, never a
    /// stale descriptor of a deleted inode.
    entries: Rc<RefCell<Vec<Entry>>>,
}

impl UringFiles {
    pub fn new() -> UringFiles {
        UringFiles::default()
    }

    /// The io_uring handle of `file`, opened (duplicated) on first use.
    pub(crate) fn handle(
        &self,
        file: &Arc<File>,
        path: &Path,
    ) -> Result<Rc<BufferedFile>, LogError> {
        let mut entries = self.entries.borrow_mut();
        if let Some((_, handle)) = entries.iter().find(|(f, _)| Arc::ptr_eq(f, file)) {
            return Ok(handle.clone());
        }
        // glommio takes ownership of the descriptor it is given: hand it a duplicate.
        // SAFETY: plain dup of a descriptor owned by `file`, which outlives the call.
        let fd = unsafe { libc::dup(file.as_raw_fd()) };
        if fd < 0 {
            return Err(LogError::io(path, "dup", std::io::Error::last_os_error()));
        }
        // SAFETY: `fd` is a fresh descriptor that nothing else owns.
        let handle = Rc::new(unsafe { BufferedFile::from_raw_fd(fd) });
        if entries.len() >= MAX_OPEN_FILES {
            // Dropping the last reference closes the duplicate on the next reactor cycle; a
            // flush still holding it keeps it open until it completes.
            entries.remove(0);
        }
        entries.push((file.clone(), handle.clone()));
        debug_assert!(entries.len() <= MAX_OPEN_FILES);
        Ok(handle)
    }

    /// Number of duplicates held open (for tests).
    pub fn open_files(&self) -> usize {
        self.entries.borrow().len()
    }
}
