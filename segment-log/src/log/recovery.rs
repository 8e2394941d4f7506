//! Opening a log: crash recovery as Kafka does it after an unclean shutdown (every batch of
//! every segment validated, a torn tail of the last segment cut off, indexes rebuilt, the epoch
//! cache checked against the batch headers, snapshots reconciled with the log).

use std::fs::File;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use kraft_records::{ControlRecord, EpochEntry, LeaderEpochCache};

use super::SegmentLog;
use crate::config::LogConfig;
use crate::epoch_checkpoint::LeaderEpochCheckpoint;
use crate::error::LogError;
use crate::fsutil;
use crate::partition_metadata;
use crate::segment::{
    index_file_name, log_file_name, parse_offset_file_name, INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX,
};
use crate::shared::{LogShared, SegmentList};
use crate::snapshot::{self, SnapshotFileKind, SnapshotId};

/// Upper bound on directory entries examined on open (bounds a pathological directory).
const MAX_DIR_ENTRIES: usize = 1 << 20;

/// A torn or corrupt tail that recovery dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedTail {
    pub file: PathBuf,
    /// Byte position of the first dropped byte in `file`.
    pub position: u64,
    pub dropped_bytes: u64,
    /// The first offset no longer in the log (the new log end offset).
    pub first_dropped_offset: i64,
    pub reason: String,
}

/// How the leader-epoch cache was restored on open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EpochCacheRecovery {
    /// The checkpoint agreed with the batch headers.
    FromCheckpoint,
    /// The checkpoint was missing, malformed or disagreed; rebuilt from batch headers.
    Rebuilt { reason: String },
}

/// What `SegmentLog::open` found and repaired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryReport {
    pub segments: usize,
    pub batches: u64,
    pub log_start_offset: i64,
    pub log_end_offset: i64,
    pub dropped_tail: Option<DroppedTail>,
    /// Index files that were missing or did not match the log and were rewritten.
    pub rebuilt_indexes: Vec<PathBuf>,
    pub epoch_cache: EpochCacheRecovery,
    /// Leftovers deleted: partial/deleted snapshots, orphan indexes, temp files.
    pub removed_files: Vec<PathBuf>,
    /// Frozen snapshots present, ascending (after deleting those below the log start).
    pub snapshots: Vec<SnapshotId>,
    /// The newest snapshot was ahead of the log (crash after a snapshot download), so the log was
    /// emptied and restarted at its end offset.
    pub truncated_to_snapshot: Option<SnapshotId>,
    /// Every KRaftVersion and Voters record of the log's control batches with its offset,
    /// ascending (KIP-853: the voter set history the core rebuilds at start).
    pub kraft_control: Vec<(i64, ControlRecord)>,
}

/// Takes an exclusive, non-blocking flock on the directory itself. The lock goes away with the
/// descriptor (on drop or process death), so a crash never leaves a stale lock behind.
fn lock_dir(dir: &Path) -> Result<File, LogError> {
    let handle = File::open(dir).map_err(|e| LogError::io(dir, "open directory", e))?;
    // SAFETY: plain syscall on an owned descriptor.
    let rc = unsafe { libc::flock(handle.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let err = std::io::Error::last_os_error();
        let op = if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
            "lock (the log is already open elsewhere)"
        } else {
            "lock"
        };
        return Err(LogError::io(dir, op, err));
    }
    Ok(handle)
}

/// What the partition directory holds, found before any segment is opened.
struct DirListing {
    /// Base offsets of the `.log` files, ascending.
    log_bases: Vec<i64>,
    /// Frozen snapshots, ascending.
    snapshots: Vec<SnapshotId>,
    removed_files: Vec<PathBuf>,
}

/// Lists segments and snapshots and deletes leftovers: partial or deleted snapshots,
/// `.deleted`/`.cleaned`/`.tmp` files, and index files whose segment is gone.
fn list_dir(dir: &Path) -> Result<DirListing, LogError> {
    let mut removed_files = Vec::new();
    let mut log_bases = Vec::new();
    let mut index_bases = Vec::new();
    let mut snapshots = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| LogError::io(dir, "read directory", e))?;
    for entry in entries.take(MAX_DIR_ENTRIES) {
        let entry = entry.map_err(|e| LogError::io(dir, "read directory", e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(base) = parse_offset_file_name(name, LOG_FILE_SUFFIX) {
            log_bases.push(base);
        } else if let Some(base) = parse_offset_file_name(name, INDEX_FILE_SUFFIX) {
            index_bases.push(base);
        } else if let Some((id, kind)) = snapshot::parse_snapshot_file_name(name) {
            match kind {
                SnapshotFileKind::Frozen => snapshots.push(id),
                SnapshotFileKind::Partial | SnapshotFileKind::Deleted => {
                    fsutil::remove_file(&entry.path())?;
                    removed_files.push(entry.path());
                }
            }
        } else if name.ends_with(".deleted") || name.ends_with(".cleaned") || name.ends_with(".tmp")
        {
            fsutil::remove_file(&entry.path())?;
            removed_files.push(entry.path());
        }
    }
    log_bases.sort_unstable();
    snapshots.sort_unstable();
    for base in index_bases {
        if log_bases.binary_search(&base).is_err() {
            let path = dir.join(index_file_name(base));
            fsutil::remove_file(&path)?;
            removed_files.push(path);
        }
    }
    Ok(DirListing {
        log_bases,
        snapshots,
        removed_files,
    })
}

impl SegmentLog {
    /// Opens (creating if needed) the log in `partition_dir`, recovering it as Kafka does after an
    /// unclean shutdown: every batch of every segment is validated (length, magic, CRC-32C,
    /// contiguous offsets); a torn or corrupt tail of the last segment is dropped (and reported);
    /// damage in an earlier segment is an error naming the file and position; indexes are rebuilt
    /// where missing or wrong; the epoch cache comes from the checkpoint if it agrees with the
    /// batch headers, else from the headers.
    pub fn open(
        partition_dir: &Path,
        config: LogConfig,
    ) -> Result<(SegmentLog, RecoveryReport), LogError> {
        config.validate()?;
        fsutil::create_dir_durable(partition_dir)?;
        let dir = partition_dir.to_path_buf();
        let dir_lock = lock_dir(&dir)?;
        let listing = list_dir(&dir)?;

        let checkpoint = LeaderEpochCheckpoint::new(&dir);
        let stored_epochs = match checkpoint.read() {
            Ok(entries) => Ok(entries),
            Err(err @ LogError::Corrupt { .. }) => Err(err.to_string()),
            Err(err) => return Err(err),
        };

        let mut log = SegmentLog::recovering(dir.clone(), config, checkpoint, dir_lock);
        let mut report = RecoveryReport {
            segments: 0,
            batches: 0,
            log_start_offset: 0,
            log_end_offset: 0,
            dropped_tail: None,
            rebuilt_indexes: Vec::new(),
            epoch_cache: EpochCacheRecovery::FromCheckpoint,
            removed_files: listing.removed_files,
            snapshots: listing.snapshots,
            truncated_to_snapshot: None,
            kraft_control: Vec::new(),
        };
        let rebuilt_epochs = log.recover_segments(&listing.log_bases, &mut report)?;

        log.log_start_offset = log.segments[0].base_offset();
        log.log_end_offset = log.segments.last().map_or(0, |s| s.next_offset);
        log.flushed_end_offset = log.log_end_offset;
        log.restore_epoch_cache(stored_epochs, rebuilt_epochs, &mut report)?;

        log.reconcile_snapshots(&mut report)?;
        partition_metadata::ensure(&dir, &log.config.topic_id)?;

        log.publish_segments();
        log.shared
            .log_end_offset
            .store(log.log_end_offset, Ordering::Release);
        report.segments = log.segments.len();
        report.log_start_offset = log.log_start_offset;
        report.log_end_offset = log.log_end_offset;
        Ok((log, report))
    }

    /// The writer before recovery: no segments yet, nothing published to readers.
    fn recovering(
        dir: PathBuf,
        config: LogConfig,
        epoch_checkpoint: LeaderEpochCheckpoint,
        dir_lock: File,
    ) -> SegmentLog {
        SegmentLog {
            dir,
            shared: Arc::new(LogShared {
                segments: ArcSwap::from_pointee(SegmentList {
                    log_start_offset: 0,
                    segments: Vec::new(),
                }),
                log_end_offset: AtomicI64::new(0),
                generation: AtomicU64::new(0),
            }),
            config,
            segments: Vec::new(),
            log_start_offset: 0,
            log_end_offset: 0,
            flushed_end_offset: 0,
            epoch_cache: LeaderEpochCache::new(),
            epoch_checkpoint,
            epoch_checkpoint_dirty: false,
            dir_dirty: false,
            truncations: 0,
            _dir_lock: dir_lock,
        }
    }

    /// Recovers the segments at `log_bases` (ascending) in order, refusing a gap between two, or
    /// creates the first segment of a new log. Returns the epoch cache rebuilt from the batch
    /// headers.
    fn recover_segments(
        &mut self,
        log_bases: &[i64],
        report: &mut RecoveryReport,
    ) -> Result<LeaderEpochCache, LogError> {
        let mut rebuilt_epochs = LeaderEpochCache::new();
        if log_bases.is_empty() {
            let segment = self.create_segment(0)?;
            self.segments.push(segment);
            fsutil::fsync_dir(&self.dir)?;
        }
        let count = log_bases.len();
        for (i, &base) in log_bases.iter().enumerate() {
            let is_last = i + 1 == count;
            if let Some(prev) = self.segments.last() {
                if prev.next_offset != base {
                    return Err(LogError::corrupt(
                        &self.dir.join(log_file_name(base)),
                        0,
                        format!(
                            "segment base offset {base} does not follow the previous segment's end offset {}",
                            prev.next_offset
                        ),
                    ));
                }
            }
            let (segment, mut scan) = self.recover_segment(base, is_last, report)?;
            if let Some((position, offset, reason)) = scan.bad_control.take() {
                return Err(LogError::corrupt(
                    &self.dir.join(log_file_name(base)),
                    position as u64,
                    format!("control batch at offset {offset} does not decode: {reason}"),
                ));
            }
            report.kraft_control.append(&mut scan.kraft_control);
            for &(epoch, offset) in &scan.epoch_starts {
                rebuilt_epochs.assign(epoch, offset);
            }
            report.batches += scan.batches;
            self.segments.push(segment);
        }
        Ok(rebuilt_epochs)
    }

    /// Takes the epoch cache from the checkpoint when it agrees with the batch headers, else the
    /// one rebuilt from them, and rewrites the checkpoint when it changed.
    fn restore_epoch_cache(
        &mut self,
        stored_epochs: Result<Option<Vec<EpochEntry>>, String>,
        rebuilt_epochs: LeaderEpochCache,
        report: &mut RecoveryReport,
    ) -> Result<(), LogError> {
        // The checkpoint may know one entry the headers cannot: a new leader's epoch that starts
        // at the log end (recorded on election, before its first batch).
        self.epoch_cache = match stored_epochs {
            Ok(Some(entries)) => {
                let mut stored = LeaderEpochCache::from_entries(&entries);
                stored.truncate_from_start(self.log_start_offset);
                stored.truncate_from_end(self.log_end_offset + 1);
                let below_end: Vec<EpochEntry> = stored
                    .entries()
                    .iter()
                    .copied()
                    .filter(|e| e.start_offset < self.log_end_offset)
                    .collect();
                if below_end == rebuilt_epochs.entries() {
                    if stored.entries() != entries.as_slice() {
                        self.epoch_checkpoint_dirty = true;
                    }
                    stored
                } else {
                    report.epoch_cache = EpochCacheRecovery::Rebuilt {
                        reason: format!(
                            "checkpoint {:?} disagrees with batch headers {:?}",
                            stored.entries(),
                            rebuilt_epochs.entries()
                        ),
                    };
                    self.epoch_checkpoint_dirty = true;
                    rebuilt_epochs
                }
            }
            Ok(None) => {
                report.epoch_cache = EpochCacheRecovery::Rebuilt {
                    reason: "checkpoint missing".into(),
                };
                self.epoch_checkpoint_dirty = true;
                rebuilt_epochs
            }
            Err(reason) => {
                report.epoch_cache = EpochCacheRecovery::Rebuilt { reason };
                self.epoch_checkpoint_dirty = true;
                rebuilt_epochs
            }
        };
        if self.epoch_checkpoint_dirty {
            self.epoch_checkpoint.write(self.epoch_cache.entries())?;
            self.epoch_checkpoint_dirty = false;
        }
        if let EpochCacheRecovery::Rebuilt { reason } = &report.epoch_cache {
            tracing::info!(dir = %self.dir.display(), %reason, "leader epoch cache rebuilt from batch headers");
        }
        Ok(())
    }

    /// Spec 4.6: a newest snapshot ahead of the log replaces the log; a log that starts above 0
    /// needs a snapshot at or beyond its start; snapshots below the log start are deleted.
    fn reconcile_snapshots(&mut self, report: &mut RecoveryReport) -> Result<(), LogError> {
        if let Some(&latest) = report.snapshots.last() {
            let log_epoch = self.epoch_cache.latest_epoch().unwrap_or(0);
            if latest.epoch > log_epoch
                || (latest.epoch == log_epoch && latest.end_offset > self.log_end_offset)
            {
                tracing::warn!(
                    dir = %self.dir.display(),
                    snapshot = %latest,
                    log_end_offset = self.log_end_offset,
                    "newest snapshot is ahead of the log; restarting the log at the snapshot"
                );
                self.truncate_fully_and_start_at(latest.end_offset)?;
                report.truncated_to_snapshot = Some(latest);
                report.kraft_control.clear();
            }
        }
        if self.log_start_offset > 0
            && !report
                .snapshots
                .iter()
                .any(|s| s.end_offset >= self.log_start_offset)
        {
            return Err(LogError::corrupt(
                &self.dir,
                0,
                format!(
                    "log starts at offset {} but no snapshot reaches it",
                    self.log_start_offset
                ),
            ));
        }
        let start = self.log_start_offset;
        for id in report.snapshots.iter().filter(|s| s.end_offset < start) {
            let path = id.path_in(&self.dir);
            fsutil::remove_file(&path)?;
            report.removed_files.push(path);
        }
        report.snapshots.retain(|s| s.end_offset >= start);
        Ok(())
    }
}
