//! The undo journal: what a power cut takes back.
//!
//! Every change reaches the backing directory at once (so readers, `mmap` included, see it) and
//! leaves an undo entry here. A sync makes entries durable by forgetting them; a power cut applies
//! the remaining ones newest first, which puts the backing directory back into the state the last
//! syncs made durable.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Upper bound on pending entries: a node that never syncs must not exhaust the test machine's
/// memory. Past it, writes fail with ENOSPC (the tool's limit, loud in the node's log).
pub const ENTRIES_MAX: usize = 4_000_000;
/// Upper bound on the bytes kept to restore overwritten data.
pub const SAVED_BYTES_MAX: usize = 1 << 30;

/// One change that a power cut can take back.
#[derive(Debug)]
pub enum Undo {
    /// File data or length changed: write `old` back at `offset`, then set the length to
    /// `old_len`. Made durable by fsync or fdatasync of the file (`ino`).
    Data {
        ino: u64,
        file: Arc<File>,
        offset: u64,
        old: Vec<u8>,
        old_len: u64,
    },
    /// A name appeared (create, mknod, mkdir): remove it. Durable by fsync of the parent.
    Created {
        dir: u64,
        path: PathBuf,
        is_dir: bool,
    },
    /// A name went away (unlink, rmdir): the object waits in the trash until the parent is
    /// fsynced; the undo moves it back.
    Removed {
        dir: u64,
        path: PathBuf,
        trash: PathBuf,
    },
    /// A rename, with the object it replaced (if any) parked in the trash. Durable once every
    /// directory it touched (`dirs`, one or two) has been fsynced since.
    Renamed {
        dirs: Vec<u64>,
        from: PathBuf,
        to: PathBuf,
        replaced: Option<PathBuf>,
    },
}

/// What a power cut or a sync did, for the test's log and assertions.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CutReport {
    /// Data entries taken back (writes and length changes not yet fsynced).
    pub data_undone: usize,
    /// Directory entries taken back (creations, removals, renames not yet made durable).
    pub names_undone: usize,
    /// Undo steps that failed (the message went to stderr); 0 in a sound run.
    pub failures: usize,
}

#[derive(Debug, Default)]
pub struct Journal {
    entries: Vec<Undo>,
    saved_bytes: usize,
}

impl Journal {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether one more entry saving `saved` bytes fits the bounds.
    pub fn has_room(&self, saved: usize) -> bool {
        self.entries.len() < ENTRIES_MAX && self.saved_bytes + saved <= SAVED_BYTES_MAX
    }

    pub fn push(&mut self, undo: Undo) {
        if let Undo::Data { old, .. } = &undo {
            self.saved_bytes += old.len();
        }
        assert!(
            self.entries.len() < ENTRIES_MAX,
            "journal bound checked by has_room"
        );
        self.entries.push(undo);
    }

    /// fsync/fdatasync of file `ino`: its data and length become durable.
    pub fn sync_file(&mut self, ino: u64) {
        let mut freed = 0;
        self.entries.retain(|e| match e {
            Undo::Data { ino: i, old, .. } if *i == ino => {
                freed += old.len();
                false
            }
            _ => true,
        });
        self.saved_bytes -= freed;
    }

    /// fsync of directory `dir`: the names created, removed or renamed in it become durable;
    /// objects whose removal became durable leave the trash for good.
    pub fn sync_dir(&mut self, dir: u64) {
        let mut trash = Vec::new();
        self.entries.retain_mut(|e| match e {
            Undo::Created { dir: d, .. } => *d != dir,
            Undo::Removed {
                dir: d, trash: t, ..
            } => {
                if *d == dir {
                    trash.push(std::mem::take(t));
                }
                *d != dir
            }
            Undo::Renamed { dirs, replaced, .. } => {
                dirs.retain(|d| *d != dir);
                if dirs.is_empty() {
                    trash.extend(replaced.take());
                }
                !dirs.is_empty()
            }
            Undo::Data { .. } => true,
        });
        for path in trash {
            let _ = remove_any(&path);
        }
    }

    /// A clean unmount: everything written so far is kept (as after `sync`), the trash emptied.
    pub fn sync_all(&mut self) {
        for entry in self.entries.drain(..) {
            let trash = match entry {
                Undo::Removed { trash, .. } => Some(trash),
                Undo::Renamed { replaced, .. } => replaced,
                _ => None,
            };
            if let Some(path) = trash {
                let _ = remove_any(&path);
            }
        }
        self.saved_bytes = 0;
    }

    /// The power cut: takes back every pending change, newest first.
    pub fn cut(&mut self) -> CutReport {
        let mut report = CutReport::default();
        while let Some(entry) = self.entries.pop() {
            let is_data = matches!(entry, Undo::Data { .. });
            if let Err(e) = undo(entry) {
                eprintln!("kraft-powerfs: undo failed during the power cut: {e}");
                report.failures += 1;
            } else if is_data {
                report.data_undone += 1;
            } else {
                report.names_undone += 1;
            }
        }
        self.saved_bytes = 0;
        report
    }
}

fn undo(entry: Undo) -> std::io::Result<()> {
    match entry {
        Undo::Data {
            file,
            offset,
            old,
            old_len,
            ..
        } => {
            file.write_all_at(&old, offset)?;
            file.set_len(old_len)
        }
        Undo::Created { path, is_dir, .. } => {
            if is_dir {
                // Whatever was made durable inside is unreachable once the name is gone.
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            }
        }
        Undo::Removed { path, trash, .. } => std::fs::rename(trash, path),
        Undo::Renamed {
            from, to, replaced, ..
        } => {
            std::fs::rename(&to, &from)?;
            match replaced {
                Some(trash) => std::fs::rename(trash, to),
                None => Ok(()),
            }
        }
    }
}

fn remove_any(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    }
}
