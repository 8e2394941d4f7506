//! `kraft-powerfs`: a FUSE file system for tests that loses, on command, every write that was not
//! made durable, the way a power cut does. A test tool only: the server never uses it.
//!
//! # Durability model
//!
//! The mount passes everything through to a backing directory at once, so readers (`read`,
//! `mmap`, `stat`, `readdir`) always see the latest state, as they would see the page cache. Each
//! change also leaves an undo entry in an in-memory journal ([`journal`]). What makes an entry
//! durable (drops it from the journal):
//!
//! - file data and length (`write`, `truncate`/`ftruncate`, growing `fallocate`): `fsync` or
//!   `fdatasync` of that file (io_uring's fsync reaches FUSE as the same request). Both are
//!   treated alike: timestamps, permissions and owners are not modelled and always survive;
//! - a name (`create`/`mknod` of a regular file, `mkdir`, `unlink`, `rmdir`, `rename`): `fsync`
//!   of the parent directory (both directories for a rename across two). POSIX leaves a new
//!   file's name undurable until then, even after an fsync of the file; this model is that
//!   strict (ext4 is kinder). Removed or replaced objects wait in a trash directory beside the
//!   backing directory until the removal is durable.
//!
//! [`Mount::power_cut`] unmounts and applies the journal's entries newest first: each file goes
//! back to the bytes and length its last sync left, each name to what its directory's last sync
//! left. A clean unmount ([`Mount::unmount`], or dropping the [`Mount`]) keeps everything.
//!
//! To cut at a chosen instant, [`Mount::arm_trip`] sets a trip wire on a file name ([`trip`]):
//! the power fails as soon as a thread moves on from replacing that file by rename, and every
//! later mutating request fails with EIO until the test cuts the power.
//!
//! The kernel's page cache for the mount is never the durable copy: writes are write-through
//! (no writeback cache), opens drop cached pages (no `FOPEN_KEEP_CACHE`), and a power cut
//! unmounts, so a remount starts cold. Pages dirtied through a shared writable mapping reach the
//! journal when the kernel writes them back (at the latest when the mount goes away), so they
//! count as unsynced writes until an fsync.
//!
//! Not modelled: symlinks and hard links (refused), `RENAME_EXCHANGE` (refused), hole punching
//! and other fallocate modes (refused with EOPNOTSUPP), torn or reordered writes inside one
//! write request (a write is lost whole or kept whole), partial loss (a cut loses every unsynced
//! entry, never a subset), and `sync(2)`/`syncfs(2)` (not forwarded to FUSE by the kernel).

pub mod error;
mod fs;
mod inodes;
pub mod journal;
mod mount;
mod ops;
pub mod trip;

pub use error::PowerFsError;
pub use journal::CutReport;
pub use mount::{trash_dir, Mount};
