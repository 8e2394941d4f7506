//! `SegmentLog`: the single writer of a partition's segment files, and its recovery on open.

use std::fs::{File, OpenOptions};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use kraft_records::{validate_batch, BatchHeader, EpochEntry, LeaderEpochCache};

use crate::config::LogConfig;
use crate::epoch_checkpoint::LeaderEpochCheckpoint;
use crate::error::LogError;
use crate::fsutil;
use crate::index::{self, IndexEntry, INDEX_ENTRY_BYTES};
use crate::partition_metadata;
use crate::reader::LogReader;
use crate::scan::{self, SegmentScan};
use crate::segment::{
    index_file_name, log_file_name, parse_offset_file_name, Mapping, SegmentShared,
    INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX,
};
use crate::snapshot::{self, SnapshotFileKind, SnapshotId};

/// Upper bound on directory entries examined on open (bounds a pathological directory).
const MAX_DIR_ENTRIES: usize = 1 << 20;

/// What one append stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendInfo {
    pub base_offset: i64,
    pub last_offset: i64,
    /// PartitionLeaderEpoch of the (last) appended batch.
    pub epoch: i32,
}

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
}

/// Readers' view of the whole log, swapped atomically when segments come or go.
pub(crate) struct SegmentList {
    pub log_start_offset: i64,
    pub segments: Vec<Arc<SegmentShared>>,
}

/// State shared between the writer and every `LogReader`.
pub(crate) struct LogShared {
    pub segments: ArcSwap<SegmentList>,
    /// Release-stored after the segment end positions: a reader that sees a log end offset also
    /// sees every byte below it.
    pub log_end_offset: AtomicI64,
}

/// Writer-side state of one segment.
struct WriterSegment {
    shared: Arc<SegmentShared>,
    log_file: Arc<File>,
    index_file: File,
    index_path: PathBuf,
    size_bytes: usize,
    next_offset: i64,
    index_entries: usize,
    index_capacity_entries: usize,
    bytes_since_index_entry: usize,
    sealed: bool,
    /// File length reserved so far (fallocate'd, or set for sparse files). Grows in
    /// `PREALLOCATE_STEP_BYTES` steps up to the mapping's length; writes stay below it.
    allocated_bytes: usize,
    /// Bytes of this segment known durable (from the last completed flush that covered it).
    flushed_bytes: usize,
    /// Page-cache pages below this position were released (page aligned, flushed bytes only).
    cache_released_bytes: usize,
}

/// Bytes kept in the page cache below the position every reader has passed, for a reader that
/// steps back a little (a follower re-fetching after a truncation). See
/// [`SegmentLog::release_page_cache_below`].
const PAGE_CACHE_KEEP_BYTES: usize = 16 << 20;
/// Released in steps of at least this much, to keep the syscalls rare.
const PAGE_CACHE_RELEASE_STEP_BYTES: usize = 8 << 20;

/// The active segment's file grows by this much at a time instead of by a whole segment at once:
/// the zeros after the last batch are what recovery must check after a crash, so reserving 1 GiB
/// up front made every restart read up to 1 GiB (measured: 3.4 s) before the node could start.
const PREALLOCATE_STEP_BYTES: usize = 64 << 20;

/// How far to reserve so that `needed` bytes fit: the next step boundary, at most `capacity`.
fn reserve_target(needed: usize, capacity: usize) -> usize {
    needed
        .max(1)
        .div_ceil(PREALLOCATE_STEP_BYTES)
        .saturating_mul(PREALLOCATE_STEP_BYTES)
        .min(capacity)
        .max(needed)
}

impl WriterSegment {
    fn base_offset(&self) -> i64 {
        self.shared.base_offset
    }

    fn log_path(&self) -> &Path {
        &self.shared.log_path
    }

    fn publish(&self) {
        self.shared
            .end_position
            .store(self.size_bytes, Ordering::Release);
        self.shared
            .index_entries
            .store(self.index_entries, Ordering::Release);
    }
}

/// Work for one flush, detached from the writer so the fdatasync can run on any thread (or be
/// replaced by an io_uring fdatasync on the same file) while appends go on.
#[derive(Debug)]
pub struct FlushTicket {
    /// Every offset below this is durable once the ticket is synced.
    pub end_offset: i64,
    files: Vec<(Arc<File>, PathBuf)>,
    dir: Option<PathBuf>,
    checkpoint: Option<(LeaderEpochCheckpoint, Vec<EpochEntry>)>,
    truncations: u64,
    /// `(base offset, bytes)` of the active segment covered by this flush.
    synced_position: Option<(i64, usize)>,
}

impl FlushTicket {
    /// Blocking fdatasync of the written range (plus directory and epoch checkpoint if they
    /// changed). Needs no executor.
    pub fn sync(&self) -> Result<(), LogError> {
        for (file, path) in &self.files {
            fsutil::fdatasync(file, path)?;
        }
        if let Some(dir) = &self.dir {
            fsutil::fsync_dir(dir)?;
        }
        if let Some((checkpoint, entries)) = &self.checkpoint {
            checkpoint.write(entries)?;
        }
        Ok(())
    }

    /// Like [`sync`](Self::sync) but the segment fdatasyncs go through glommio's io_uring, so
    /// the log executor keeps running other tasks meanwhile, on handles `files` keeps open from
    /// one flush to the next. Must run on a glommio executor. Directory fsync and the epoch
    /// checkpoint (rare: new segment or new epoch) stay blocking.
    #[cfg(feature = "glommio")]
    pub async fn sync_uring(&self, files: &crate::UringFiles) -> Result<(), LogError> {
        for (file, path) in &self.files {
            let handle = files.handle(file, path)?;
            handle
                .fdatasync()
                .await
                .map_err(|e| LogError::io(path, "fdatasync (io_uring)", e.into()))?;
        }
        if let Some(dir) = &self.dir {
            fsutil::fsync_dir(dir)?;
        }
        if let Some((checkpoint, entries)) = &self.checkpoint {
            checkpoint.write(entries)?;
        }
        Ok(())
    }

    /// The segment files to fdatasync, for callers that issue the sync themselves (io_uring).
    pub fn files(&self) -> impl Iterator<Item = (&File, &Path)> {
        self.files.iter().map(|(f, p)| (f.as_ref(), p.as_path()))
    }
}

/// The durable log of one partition. One writer (this value); any number of `LogReader`s.
pub struct SegmentLog {
    dir: PathBuf,
    config: LogConfig,
    shared: Arc<LogShared>,
    segments: Vec<WriterSegment>,
    log_start_offset: i64,
    log_end_offset: i64,
    flushed_end_offset: i64,
    epoch_cache: LeaderEpochCache,
    epoch_checkpoint: LeaderEpochCheckpoint,
    epoch_checkpoint_dirty: bool,
    dir_dirty: bool,
    /// Bumped on every truncation so a flush prepared before it cannot claim newer offsets.
    truncations: u64,
    /// The partition directory, open and flock'ed: one writer per log, even across processes.
    _dir_lock: File,
}

impl std::fmt::Debug for SegmentLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentLog")
            .field("dir", &self.dir)
            .field("segments", &self.segments.len())
            .field("log_start_offset", &self.log_start_offset)
            .field("log_end_offset", &self.log_end_offset)
            .field("flushed_end_offset", &self.flushed_end_offset)
            .finish()
    }
}

fn open_rw(path: &Path, create: bool) -> Result<File, LogError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .truncate(false)
        .open(path)
        .map_err(|e| LogError::io(path, "open", e))
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

/// True when `[from, len)` of the file holds only zero bytes (preallocated, never written).
/// Walks the file's data extents so a 1 GiB preallocated tail is not read page by page.
fn tail_is_zero(file: &File, data: &[u8], from: usize) -> bool {
    let len = data.len();
    let fd = file.as_raw_fd();
    let mut off = from;
    // Each iteration moves past one data extent; real files have few.
    for _ in 0..(1 << 20) {
        if off >= len {
            return true;
        }
        // SAFETY: plain lseek on an owned descriptor.
        let data_start = unsafe { libc::lseek(fd, off as libc::off_t, libc::SEEK_DATA) };
        if data_start < 0 {
            let err = std::io::Error::last_os_error();
            return if err.raw_os_error() == Some(libc::ENXIO) {
                true
            } else {
                data[off..].iter().all(|&b| b == 0)
            };
        }
        let data_start = (data_start as usize).max(off);
        if data_start >= len {
            return true;
        }
        // SAFETY: as above.
        let hole = unsafe { libc::lseek(fd, data_start as libc::off_t, libc::SEEK_HOLE) };
        let data_end = if hole < 0 {
            len
        } else {
            (hole as usize).clamp(data_start, len)
        };
        if data_end == data_start {
            return data[data_start..].iter().all(|&b| b == 0);
        }
        if !data[data_start..data_end].iter().all(|&b| b == 0) {
            return false;
        }
        off = data_end;
    }
    false
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
        let mut removed_files = Vec::new();
        let mut log_bases = Vec::new();
        let mut index_bases = Vec::new();
        let mut snapshots = Vec::new();
        let entries =
            std::fs::read_dir(&dir).map_err(|e| LogError::io(&dir, "read directory", e))?;
        for entry in entries.take(MAX_DIR_ENTRIES) {
            let entry = entry.map_err(|e| LogError::io(&dir, "read directory", e))?;
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
            } else if name.ends_with(".deleted")
                || name.ends_with(".cleaned")
                || name.ends_with(".tmp")
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

        let checkpoint = LeaderEpochCheckpoint::new(&dir);
        let stored_epochs = match checkpoint.read() {
            Ok(entries) => Ok(entries),
            Err(err @ LogError::Corrupt { .. }) => Err(err.to_string()),
            Err(err) => return Err(err),
        };

        let mut log = SegmentLog {
            dir: dir.clone(),
            shared: Arc::new(LogShared {
                segments: ArcSwap::from_pointee(SegmentList {
                    log_start_offset: 0,
                    segments: Vec::new(),
                }),
                log_end_offset: AtomicI64::new(0),
            }),
            config,
            segments: Vec::new(),
            log_start_offset: 0,
            log_end_offset: 0,
            flushed_end_offset: 0,
            epoch_cache: LeaderEpochCache::new(),
            epoch_checkpoint: checkpoint,
            epoch_checkpoint_dirty: false,
            dir_dirty: false,
            truncations: 0,
            _dir_lock: dir_lock,
        };

        let mut report = RecoveryReport {
            segments: 0,
            batches: 0,
            log_start_offset: 0,
            log_end_offset: 0,
            dropped_tail: None,
            rebuilt_indexes: Vec::new(),
            epoch_cache: EpochCacheRecovery::FromCheckpoint,
            removed_files,
            snapshots,
            truncated_to_snapshot: None,
        };

        let mut rebuilt_epochs = LeaderEpochCache::new();
        if log_bases.is_empty() {
            let segment = log.create_segment(0)?;
            log.segments.push(segment);
            fsutil::fsync_dir(&dir)?;
        }
        let count = log_bases.len();
        for (i, &base) in log_bases.iter().enumerate() {
            let is_last = i + 1 == count;
            if let Some(prev) = log.segments.last() {
                if prev.next_offset != base {
                    return Err(LogError::corrupt(
                        &dir.join(log_file_name(base)),
                        0,
                        format!(
                            "segment base offset {base} does not follow the previous segment's end offset {}",
                            prev.next_offset
                        ),
                    ));
                }
            }
            let (segment, scan) = log.recover_segment(base, is_last, &mut report)?;
            for &(epoch, offset) in &scan.epoch_starts {
                rebuilt_epochs.assign(epoch, offset);
            }
            report.batches += scan.batches;
            log.segments.push(segment);
        }

        log.log_start_offset = log.segments[0].base_offset();
        log.log_end_offset = log.segments.last().map_or(0, |s| s.next_offset);
        log.flushed_end_offset = log.log_end_offset;

        // The checkpoint may know one entry the headers cannot: a new leader's epoch that starts
        // at the log end (recorded on election, before its first batch).
        log.epoch_cache = match stored_epochs {
            Ok(Some(entries)) => {
                let mut stored = LeaderEpochCache::from_entries(&entries);
                stored.truncate_from_start(log.log_start_offset);
                stored.truncate_from_end(log.log_end_offset + 1);
                let below_end: Vec<EpochEntry> = stored
                    .entries()
                    .iter()
                    .copied()
                    .filter(|e| e.start_offset < log.log_end_offset)
                    .collect();
                if below_end == rebuilt_epochs.entries() {
                    if stored.entries() != entries.as_slice() {
                        log.epoch_checkpoint_dirty = true;
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
                    log.epoch_checkpoint_dirty = true;
                    rebuilt_epochs
                }
            }
            Ok(None) => {
                report.epoch_cache = EpochCacheRecovery::Rebuilt {
                    reason: "checkpoint missing".into(),
                };
                log.epoch_checkpoint_dirty = true;
                rebuilt_epochs
            }
            Err(reason) => {
                report.epoch_cache = EpochCacheRecovery::Rebuilt { reason };
                log.epoch_checkpoint_dirty = true;
                rebuilt_epochs
            }
        };
        if log.epoch_checkpoint_dirty {
            log.epoch_checkpoint.write(log.epoch_cache.entries())?;
            log.epoch_checkpoint_dirty = false;
        }
        if let EpochCacheRecovery::Rebuilt { reason } = &report.epoch_cache {
            tracing::info!(dir = %dir.display(), %reason, "leader epoch cache rebuilt from batch headers");
        }

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

    /// Scans one existing segment, repairs its tail and index, and maps it for use.
    fn recover_segment(
        &mut self,
        base: i64,
        is_last: bool,
        report: &mut RecoveryReport,
    ) -> Result<(WriterSegment, SegmentScan), LogError> {
        let log_path = self.dir.join(log_file_name(base));
        let log_file = open_rw(&log_path, false)?;
        let file_len = fsutil::file_len(&log_file, &log_path)?;
        let file_len = usize::try_from(file_len).map_err(|_| {
            LogError::corrupt(
                &log_path,
                0,
                format!("segment of {file_len} bytes is too large"),
            )
        })?;
        let index_capacity = if is_last {
            self.config.index_capacity_entries()
        } else {
            usize::MAX
        };
        let (scan, tail_zero) = {
            let scan_map = Mapping::new(&log_file, &log_path, file_len)?;
            let data = scan_map.slice(0, file_len);
            let scan =
                scan::scan_segment(data, base, self.config.index_interval_bytes, index_capacity);
            let tail_zero =
                scan.valid_bytes == file_len || tail_is_zero(&log_file, data, scan.valid_bytes);
            (scan, tail_zero)
        };
        let valid = scan.valid_bytes;
        if !tail_zero {
            let reason = scan
                .stop_reason
                .clone()
                .unwrap_or_else(|| "unreadable bytes".to_string());
            if !is_last {
                return Err(LogError::corrupt(
                    &log_path,
                    valid as u64,
                    format!(
                        "invalid batch before the last segment ({reason}); refusing to drop data"
                    ),
                ));
            }
            tracing::warn!(
                file = %log_path.display(),
                position = valid,
                dropped_bytes = file_len - valid,
                first_dropped_offset = scan.next_offset,
                %reason,
                "dropping torn or corrupt log tail"
            );
            report.dropped_tail = Some(DroppedTail {
                file: log_path.clone(),
                position: valid as u64,
                dropped_bytes: (file_len - valid) as u64,
                first_dropped_offset: scan.next_offset,
                reason,
            });
            // Cut the garbage off for good: later appends must never line up with stale bytes.
            fsutil::set_len(&log_file, &log_path, valid as u64)?;
            fsutil::fdatasync(&log_file, &log_path)?;
        }
        let capacity = if is_last {
            (self.config.segment_bytes as usize).max(valid)
        } else {
            valid
        };
        if tail_zero && file_len > valid {
            // Only zeros follow (checked above; a torn tail was cut already): an older layout's
            // reservation or an interrupted truncation. The file must end at its last batch
            // (see `fsutil::preallocate`), sealed or active.
            fsutil::set_len(&log_file, &log_path, valid as u64)?;
            fsutil::fdatasync(&log_file, &log_path)?;
        }
        let mut allocated_bytes = valid;
        if is_last {
            allocated_bytes = capacity;
            if self.config.preallocate {
                allocated_bytes = reserve_target(valid, capacity);
                fsutil::preallocate(&log_file, &log_path, allocated_bytes as u64)?;
            }
        }
        let log_map = Mapping::new(&log_file, &log_path, capacity)?;

        // Offset index: keep the file if it already holds exactly the rebuilt entries.
        let index_path = self.dir.join(index_file_name(base));
        let expected: Vec<u8> = scan.index.iter().flat_map(IndexEntry::encode).collect();
        let index_capacity_entries = if is_last {
            self.config.index_capacity_entries().max(scan.index.len())
        } else {
            scan.index.len()
        };
        let index_bytes = index_capacity_entries * INDEX_ENTRY_BYTES;
        let existing = fsutil::read_optional(&index_path)?;
        let matches = match &existing {
            None => false,
            Some(bytes) => {
                bytes.len() >= expected.len()
                    && bytes[..expected.len()] == expected[..]
                    && bytes[expected.len()..].iter().all(|&b| b == 0)
            }
        };
        let index_file = open_rw(&index_path, true)?;
        if !matches {
            fsutil::set_len(&index_file, &index_path, 0)?;
            report.rebuilt_indexes.push(index_path.clone());
        }
        fsutil::set_len(&index_file, &index_path, index_bytes as u64)?;
        let index_map = Mapping::new(&index_file, &index_path, index_bytes)?;
        if !matches {
            index_map.write(0, &expected);
        }
        let shared = Arc::new(SegmentShared {
            base_offset: base,
            log_path,
            log: log_map,
            index: index_map,
            end_position: AtomicUsize::new(valid),
            index_entries: AtomicUsize::new(scan.index.len()),
            max_slice_end: AtomicUsize::new(0),
            // Whether a recovered segment is still in the page cache is unknown (a reboot empties
            // it): readers of it read ahead as if it had been released.
            cache_released_bytes: AtomicUsize::new(valid),
        });
        let bytes_since_index_entry = valid - scan.index.last().map_or(0, |e| e.position as usize);
        let segment = WriterSegment {
            shared,
            log_file: Arc::new(log_file),
            index_file,
            index_path,
            size_bytes: valid,
            next_offset: scan.next_offset,
            index_entries: scan.index.len(),
            index_capacity_entries,
            bytes_since_index_entry,
            sealed: !is_last,
            allocated_bytes,
            // Recovered bytes are on disk already (the scan read them from the file).
            flushed_bytes: valid,
            cache_released_bytes: 0,
        };
        Ok((segment, scan))
    }

    /// Creates an empty active segment at `base` (preallocated, mapped).
    fn create_segment(&self, base: i64) -> Result<WriterSegment, LogError> {
        let log_path = self.dir.join(log_file_name(base));
        let index_path = self.dir.join(index_file_name(base));
        let capacity = self.config.segment_bytes as usize;
        let log_file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&log_path)
            .map_err(|e| LogError::io(&log_path, "create", e))?;
        let allocated_bytes = if self.config.preallocate {
            let target = reserve_target(0, capacity);
            fsutil::preallocate(&log_file, &log_path, target as u64)?;
            target
        } else {
            capacity
        };
        let index_file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&index_path)
            .map_err(|e| LogError::io(&index_path, "create", e))?;
        let index_capacity_entries = self.config.index_capacity_entries();
        let index_bytes = index_capacity_entries * INDEX_ENTRY_BYTES;
        fsutil::set_len(&index_file, &index_path, index_bytes as u64)?;
        let shared = Arc::new(SegmentShared {
            base_offset: base,
            log: Mapping::new(&log_file, &log_path, capacity)?,
            index: Mapping::new(&index_file, &index_path, index_bytes)?,
            log_path,
            end_position: AtomicUsize::new(0),
            index_entries: AtomicUsize::new(0),
            max_slice_end: AtomicUsize::new(0),
            cache_released_bytes: AtomicUsize::new(0),
        });
        Ok(WriterSegment {
            shared,
            log_file: Arc::new(log_file),
            index_file,
            index_path,
            size_bytes: 0,
            next_offset: base,
            index_entries: 0,
            index_capacity_entries,
            bytes_since_index_entry: 0,
            sealed: false,
            allocated_bytes,
            flushed_bytes: 0,
            cache_released_bytes: 0,
        })
    }

    fn publish_segments(&self) {
        let list = SegmentList {
            log_start_offset: self.log_start_offset,
            segments: self.segments.iter().map(|s| s.shared.clone()).collect(),
        };
        self.shared.segments.store(Arc::new(list));
    }

    /// The active segment, recreating it if a failed `truncate_fully_and_start_at` left none.
    fn active_mut(&mut self) -> Result<&mut WriterSegment, LogError> {
        if self.segments.is_empty() {
            let segment = self.create_segment(self.log_end_offset)?;
            self.segments.push(segment);
            self.dir_dirty = true;
            self.publish_segments();
        }
        Ok(self.segments.last_mut().expect("just ensured"))
    }

    /// A handle for reading from any thread.
    pub fn reader(&self) -> LogReader {
        LogReader::new(self.shared.clone())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }

    /// The offset the next appended record gets.
    pub fn log_end_offset(&self) -> i64 {
        self.log_end_offset
    }

    /// Every offset below this is on disk (fdatasync returned).
    pub fn flushed_end_offset(&self) -> i64 {
        self.flushed_end_offset
    }

    pub fn epoch_cache(&self) -> &LeaderEpochCache {
        &self.epoch_cache
    }

    /// Kafka's `endOffsetForEpoch` against this log (see [`LeaderEpochCache::end_offset_for_epoch`]).
    pub fn end_offset_for_epoch(&self, epoch: i32) -> Option<(i32, i64)> {
        self.epoch_cache
            .end_offset_for_epoch(epoch, self.log_end_offset)
    }

    /// A new leader records its epoch at the log end before appending (spec 4.4). Persisted with
    /// the next flush.
    pub fn assign_epoch(&mut self, epoch: i32, start_offset: i64) {
        if self.epoch_cache.assign(epoch, start_offset) {
            self.epoch_checkpoint_dirty = true;
        }
    }

    /// Number of segments (for tests and metrics).
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Leader append: validates one batch, assigns it the log end offset as base offset, writes
    /// it once at the tail and publishes it to readers.
    pub fn append(&mut self, batch: &[u8]) -> Result<AppendInfo, LogError> {
        let header = self.validate_one(batch)?;
        let base = self.log_end_offset;
        self.append_validated(batch, &header, base)
    }

    /// Follower append: `batches` are one or more concatenated batches (a Fetch response's
    /// records, without a cut-off tail) whose offsets must continue the log exactly.
    pub fn append_fetched(&mut self, batches: &[u8]) -> Result<AppendInfo, LogError> {
        self.append_batches(batches, validate_batch)
    }

    /// [`append_fetched`](Self::append_fetched) for batches whose CRCs the caller has checked or
    /// just computed (the Raft core verifies fetched batches and builds the leader's): framing,
    /// offsets and sizes are still checked, the CRC is not computed a second time.
    pub fn append_verified(&mut self, batches: &[u8]) -> Result<AppendInfo, LogError> {
        self.append_batches(batches, kraft_records::frame_batch)
    }

    fn append_batches(
        &mut self,
        batches: &[u8],
        check: fn(&[u8]) -> Result<BatchHeader, kraft_records::BatchError>,
    ) -> Result<AppendInfo, LogError> {
        if batches.is_empty() {
            return Err(LogError::InvalidBatch {
                reason: "no batch to append".into(),
            });
        }
        // Validate everything first so a bad batch in the middle appends nothing.
        let mut headers = Vec::new();
        let mut pos = 0usize;
        let mut expected = self.log_end_offset;
        while pos < batches.len() {
            let header = check(&batches[pos..]).map_err(|e| LogError::InvalidBatch {
                reason: format!("at byte {pos}: {e}"),
            })?;
            if header.base_offset != expected {
                return Err(LogError::UnexpectedBaseOffset {
                    base_offset: header.base_offset,
                    log_end_offset: expected,
                });
            }
            expected = header.next_offset();
            self.check_size(header.size_bytes())?;
            headers.push((pos, header));
            pos += header.size_bytes();
        }
        let mut first = None;
        let mut last = None;
        for (pos, header) in headers {
            let bytes = &batches[pos..pos + header.size_bytes()];
            let info = self.append_validated(bytes, &header, header.base_offset)?;
            first.get_or_insert(info.base_offset);
            last = Some(info);
        }
        let last = last.expect("at least one batch");
        Ok(AppendInfo {
            base_offset: first.unwrap_or(last.base_offset),
            last_offset: last.last_offset,
            epoch: last.epoch,
        })
    }

    fn check_size(&self, size: usize) -> Result<(), LogError> {
        if size as u64 > self.config.segment_bytes {
            return Err(LogError::BatchTooLarge {
                size_bytes: size,
                segment_bytes: self.config.segment_bytes,
            });
        }
        Ok(())
    }

    fn validate_one(&self, batch: &[u8]) -> Result<BatchHeader, LogError> {
        let header = validate_batch(batch).map_err(|e| LogError::InvalidBatch {
            reason: e.to_string(),
        })?;
        if header.size_bytes() != batch.len() {
            return Err(LogError::InvalidBatch {
                reason: format!(
                    "{} trailing bytes after the batch",
                    batch.len() - header.size_bytes()
                ),
            });
        }
        self.check_size(batch.len())?;
        Ok(header)
    }

    fn append_validated(
        &mut self,
        bytes: &[u8],
        header: &BatchHeader,
        base_offset: i64,
    ) -> Result<AppendInfo, LogError> {
        let size = bytes.len();
        let last_offset = base_offset
            .checked_add(i64::from(header.last_offset_delta))
            .ok_or_else(|| LogError::InvalidBatch {
                reason: "last offset overflows".into(),
            })?;
        let segment_bytes = self.config.segment_bytes as usize;
        let needs_roll = {
            let active = self.active_mut()?;
            active.size_bytes > 0
                && (active.size_bytes + size > segment_bytes
                    || last_offset - active.base_offset() > i64::from(i32::MAX)
                    || active.index_entries >= active.index_capacity_entries)
        };
        if needs_roll {
            self.roll()?;
        }
        let interval = self.config.index_interval_bytes;
        let active = self.active_mut()?;
        let pos = active.size_bytes;
        if pos + size > active.allocated_bytes {
            let target = reserve_target(pos + size, active.shared.log.len());
            fsutil::preallocate(&active.log_file, &active.shared.log_path, target as u64)?;
            active.allocated_bytes = target;
        }
        assert!(
            pos + size <= active.shared.log.len(),
            "write beyond the segment mapping"
        );
        // Appends go through pwrite, not a copy into the mapping: the first store to a page of
        // the mapping faults, and the fault "reads" the page from its preallocated (unwritten)
        // extent, i.e. allocates and zeroes it (measured at 1M offered records/s: the kernel's
        // memset was half of all CPU in the quorum even with readahead off). pwrite fills the
        // page cache directly; readers still see the bytes through the shared mapping.
        fsutil::write_all_at(&active.log_file, active.log_path(), pos as u64, bytes)?;
        if header.base_offset != base_offset {
            // BaseOffset is the batch's first 8 bytes, big-endian, outside the CRC.
            let stamped = base_offset.to_be_bytes();
            fsutil::write_all_at(&active.log_file, active.log_path(), pos as u64, &stamped)?;
        }
        if active.bytes_since_index_entry > interval
            && active.index_entries < active.index_capacity_entries
        {
            let entry = IndexEntry {
                relative_offset: (last_offset - active.base_offset()) as u32,
                position: pos as u32,
            };
            active
                .shared
                .index
                .write(active.index_entries * INDEX_ENTRY_BYTES, &entry.encode());
            active.index_entries += 1;
            active.bytes_since_index_entry = 0;
        }
        active.bytes_since_index_entry += size;
        active.size_bytes += size;
        active.next_offset = last_offset + 1;
        active.publish();
        self.log_end_offset = last_offset + 1;
        self.shared
            .log_end_offset
            .store(self.log_end_offset, Ordering::Release);
        if self
            .epoch_cache
            .assign(header.partition_leader_epoch, base_offset)
        {
            self.epoch_checkpoint_dirty = true;
        }
        Ok(AppendInfo {
            base_offset,
            last_offset,
            epoch: header.partition_leader_epoch,
        })
    }

    /// Seals the active segment (trim + fdatasync, so that a sealed segment is always whole on
    /// disk) and starts a new one at the log end offset.
    fn roll(&mut self) -> Result<(), LogError> {
        self.seal_active()?;
        let segment = self.create_segment(self.log_end_offset)?;
        self.segments.push(segment);
        self.dir_dirty = true;
        self.publish_segments();
        Ok(())
    }

    fn seal_active(&mut self) -> Result<(), LogError> {
        let Some(active) = self.segments.last_mut() else {
            return Ok(());
        };
        if active.sealed {
            return Ok(());
        }
        // Never shrink below bytes a reader may still hold (a LogSlice outliving a truncation).
        let keep = active
            .size_bytes
            .max(active.shared.max_slice_end.load(Ordering::Acquire))
            .min(active.shared.log.len());
        fsutil::set_len(&active.log_file, active.log_path(), keep as u64)?;
        fsutil::fdatasync(&active.log_file, active.log_path())?;
        let index_len = (active.index_entries * INDEX_ENTRY_BYTES) as u64;
        fsutil::set_len(&active.index_file, &active.index_path, index_len)?;
        active.sealed = true;
        Ok(())
    }

    /// Everything needed to make the current log end durable, without doing it yet.
    pub fn prepare_flush(&mut self) -> FlushTicket {
        let files = match self.segments.last() {
            Some(active) if self.flushed_end_offset < self.log_end_offset => {
                vec![(active.log_file.clone(), active.shared.log_path.clone())]
            }
            _ => Vec::new(),
        };
        let synced_position = self
            .segments
            .last()
            .map(|active| (active.base_offset(), active.size_bytes));
        let dir = self.dir_dirty.then(|| self.dir.clone());
        let checkpoint = self.epoch_checkpoint_dirty.then(|| {
            (
                self.epoch_checkpoint.clone(),
                self.epoch_cache.entries().to_vec(),
            )
        });
        self.dir_dirty = false;
        self.epoch_checkpoint_dirty = false;
        FlushTicket {
            end_offset: self.log_end_offset,
            files,
            dir,
            checkpoint,
            truncations: self.truncations,
            synced_position,
        }
    }

    /// Records that `ticket` was synced. Returns the flushed end offset.
    pub fn complete_flush(&mut self, ticket: FlushTicket) -> i64 {
        if ticket.truncations == self.truncations {
            self.flushed_end_offset = self
                .flushed_end_offset
                .max(ticket.end_offset.min(self.log_end_offset));
            if let Some((base_offset, synced_bytes)) = ticket.synced_position {
                if let Some(active) = self.segments.last_mut() {
                    // A flush that started before a roll covers the old segment, not this one.
                    if active.base_offset() == base_offset {
                        active.flushed_bytes = active.flushed_bytes.max(synced_bytes);
                    }
                }
            }
        }
        self.flushed_end_offset
    }

    /// Releases the active segment's page-cache pages that no reader needs any more: below the
    /// batch holding `offset` (the lowest offset any reader will read next: the followers' fetch
    /// offsets on a leader, the commit reader's position), minus `PAGE_CACHE_KEEP_BYTES`, and
    /// only flushed (clean) bytes. MADV_DONTNEED on the mapping, POSIX_FADV_DONTNEED on the file.
    ///
    /// Why: new appends then reuse freed page-cache memory instead of touching new memory.
    /// Measured on this VM, the first touch of a never-used page costs ~2 ns per byte (a 256 MiB
    /// pwrite: 0.58 s CPU into fresh memory, 0.05 s into recycled pages), which made the append
    /// copy 38% of the leader's CPU at the maximum rate. Released data stays on disk; a reader
    /// that goes back for it faults it in. Hints only: failures change nothing but memory use.
    pub fn release_page_cache_below(&mut self, offset: i64) {
        const PAGE_BYTES: usize = 4096;
        let Some(active) = self.segments.last_mut() else {
            return;
        };
        if offset <= active.base_offset() {
            return;
        }
        let relative = u32::try_from(offset - active.base_offset()).unwrap_or(u32::MAX);
        // The index gives a position at or before the batch holding `offset`: conservative.
        let read_position = index::lookup(active.shared.published_index(), relative) as usize;
        let target = read_position
            .min(active.flushed_bytes)
            .saturating_sub(PAGE_CACHE_KEEP_BYTES)
            / PAGE_BYTES
            * PAGE_BYTES;
        let from = active.cache_released_bytes;
        if target < from + PAGE_CACHE_RELEASE_STEP_BYTES {
            return;
        }
        debug_assert!(
            target <= active.size_bytes,
            "only written bytes are released"
        );
        active.shared.log.release(from, target);
        // SAFETY: plain syscall on an owned descriptor; the range lies inside the file.
        unsafe {
            libc::posix_fadvise(
                active.log_file.as_raw_fd(),
                from as libc::off_t,
                (target - from) as libc::off_t,
                libc::POSIX_FADV_DONTNEED,
            );
        }
        active.cache_released_bytes = target;
        active
            .shared
            .cache_released_bytes
            .fetch_max(target, Ordering::AcqRel);
    }

    /// Makes everything appended so far durable (fdatasync of the active segment; sealed segments
    /// were synced when they were sealed). Returns the flushed end offset.
    pub fn flush(&mut self) -> Result<i64, LogError> {
        let ticket = self.prepare_flush();
        if let Err(e) = ticket.sync() {
            // Nothing became durable for sure: re-arm what the ticket carried.
            self.dir_dirty |= ticket.dir.is_some();
            self.epoch_checkpoint_dirty |= ticket.checkpoint.is_some();
            return Err(e);
        }
        Ok(self.complete_flush(ticket))
    }

    /// [`flush`](Self::flush) with the fdatasync issued through glommio's io_uring.
    #[cfg(feature = "glommio")]
    pub async fn flush_uring(&mut self, files: &crate::UringFiles) -> Result<i64, LogError> {
        let ticket = self.prepare_flush();
        if let Err(e) = ticket.sync_uring(files).await {
            self.dir_dirty |= ticket.dir.is_some();
            self.epoch_checkpoint_dirty |= ticket.checkpoint.is_some();
            return Err(e);
        }
        Ok(self.complete_flush(ticket))
    }

    /// Removes every batch at or after `offset` (rounded down to the start of the batch holding
    /// it) from segments, indexes and the epoch cache, durably. Returns the new log end offset.
    ///
    /// Readers must not hold or read slices above `offset` (Raft only truncates uncommitted
    /// entries, which no reader serves); such a slice would see zeros.
    pub fn truncate_to(&mut self, offset: i64) -> Result<i64, LogError> {
        if offset >= self.log_end_offset {
            return Ok(self.log_end_offset);
        }
        if offset < self.log_start_offset {
            return Err(LogError::OutOfRange {
                offset,
                log_start_offset: self.log_start_offset,
                log_end_offset: self.log_end_offset,
            });
        }
        self.truncations += 1;
        let idx = self
            .segments
            .iter()
            .rposition(|s| s.base_offset() <= offset)
            .unwrap_or(0);
        // Find the cut inside segment `idx`.
        let (cut_pos, new_end) = {
            let seg = &self.segments[idx];
            let data = seg.shared.log.slice(0, seg.size_bytes);
            let rel = u32::try_from(offset - seg.base_offset()).unwrap_or(u32::MAX);
            let start = index::lookup(&data_index(seg), rel) as usize;
            match scan::find_batch(data, start.min(seg.size_bytes), offset) {
                Ok(Some((pos, batch))) => (pos, batch.base_offset.min(offset)),
                Ok(None) => (seg.size_bytes, seg.next_offset),
                Err(pos) => {
                    return Err(LogError::corrupt(
                        seg.log_path(),
                        pos as u64,
                        "no batch header where the log expects one",
                    ))
                }
            }
        };
        // Readers first: lower the published end so nobody starts reading what goes away.
        self.log_end_offset = new_end;
        self.shared.log_end_offset.store(new_end, Ordering::Release);
        let removed: Vec<WriterSegment> = self.segments.drain(idx + 1..).collect();
        // Crash safety: later segments go first (newest first, then the directory is synced), and
        // only then is the tail of segment `idx` zeroed. A crash in between leaves a longer but
        // contiguous log, never a gap that recovery would refuse.
        self.publish_segments();
        for gone in removed.iter().rev() {
            fsutil::remove_file(gone.log_path())?;
            fsutil::remove_file(&gone.index_path)?;
        }
        if !removed.is_empty() || self.dir_dirty {
            fsutil::fsync_dir(&self.dir)?;
            self.dir_dirty = false;
        }
        let seg = &mut self.segments[idx];
        let old_size = seg.size_bytes;
        let old_entries = seg.index_entries;
        let kept_entries = index::entries_below(&data_index(seg), cut_pos as u32);
        seg.shared.end_position.store(cut_pos, Ordering::Release);
        seg.shared
            .index_entries
            .store(kept_entries, Ordering::Release);
        if seg.sealed {
            // Reopen the sealed segment for appends: grow the file back and map it anew.
            let capacity = (self.config.segment_bytes as usize).max(old_size);
            seg.allocated_bytes = if self.config.preallocate {
                let target = reserve_target(old_size, capacity);
                fsutil::preallocate(&seg.log_file, &seg.shared.log_path, target as u64)?;
                target
            } else {
                capacity
            };
            let index_capacity = self.config.index_capacity_entries().max(old_entries);
            fsutil::set_len(
                &seg.index_file,
                &seg.index_path,
                (index_capacity * INDEX_ENTRY_BYTES) as u64,
            )?;
            let log_map = Mapping::new(&seg.log_file, &seg.shared.log_path, capacity)?;
            let index_map = Mapping::new(
                &seg.index_file,
                &seg.index_path,
                index_capacity * INDEX_ENTRY_BYTES,
            )?;
            seg.shared = Arc::new(SegmentShared {
                base_offset: seg.shared.base_offset,
                log_path: seg.shared.log_path.clone(),
                log: log_map,
                index: index_map,
                end_position: AtomicUsize::new(cut_pos),
                index_entries: AtomicUsize::new(kept_entries),
                max_slice_end: AtomicUsize::new(seg.shared.max_slice_end.load(Ordering::Acquire)),
                cache_released_bytes: AtomicUsize::new(
                    seg.shared
                        .cache_released_bytes
                        .load(Ordering::Acquire)
                        .min(cut_pos),
                ),
            });
            seg.index_capacity_entries = index_capacity;
            seg.sealed = false;
        }
        // The file ends at the cut again (see `fsutil::preallocate`), except for bytes a reader
        // may still hold (a LogSlice outliving the truncation): those stay mapped, zeroed.
        let keep = cut_pos.max(
            seg.shared
                .max_slice_end
                .load(Ordering::Acquire)
                .min(old_size),
        );
        seg.shared.log.fill_zero(cut_pos, keep);
        fsutil::set_len(&seg.log_file, &seg.shared.log_path, keep as u64)?;
        seg.shared.index.fill_zero(
            kept_entries * INDEX_ENTRY_BYTES,
            old_entries * INDEX_ENTRY_BYTES,
        );
        seg.size_bytes = cut_pos;
        seg.cache_released_bytes = seg.cache_released_bytes.min(cut_pos / 4096 * 4096);
        seg.flushed_bytes = seg.flushed_bytes.min(cut_pos);
        seg.next_offset = new_end;
        seg.index_entries = kept_entries;
        seg.bytes_since_index_entry = cut_pos
            - if kept_entries == 0 {
                0
            } else {
                index::IndexEntry::decode(seg.shared.index.slice(
                    (kept_entries - 1) * INDEX_ENTRY_BYTES,
                    kept_entries * INDEX_ENTRY_BYTES,
                ))
                .map_or(0, |e| e.position as usize)
            };
        self.publish_segments();
        let seg = &self.segments[idx];
        fsutil::fdatasync(&seg.log_file, &seg.shared.log_path)?;
        self.epoch_cache.truncate_from_end(new_end);
        self.epoch_checkpoint.write(self.epoch_cache.entries())?;
        self.epoch_checkpoint_dirty = false;
        // The fdatasync above made all of segment `idx` durable and earlier segments were synced
        // when sealed, so everything below the new end is on disk.
        self.flushed_end_offset = new_end;
        Ok(new_end)
    }

    /// Drops the whole log and restarts it empty at `offset` (after installing a snapshot that
    /// ends at `offset`, spec 4.6). The epoch cache is cleared.
    pub fn truncate_fully_and_start_at(&mut self, offset: i64) -> Result<(), LogError> {
        if offset < 0 {
            return Err(LogError::OutOfRange {
                offset,
                log_start_offset: self.log_start_offset,
                log_end_offset: self.log_end_offset,
            });
        }
        self.truncations += 1;
        // Readers first: nothing below `offset` is readable any more.
        self.log_start_offset = offset;
        self.log_end_offset = offset;
        self.flushed_end_offset = offset;
        self.shared.log_end_offset.store(offset, Ordering::Release);
        let old: Vec<WriterSegment> = std::mem::take(&mut self.segments);
        self.shared.segments.store(Arc::new(SegmentList {
            log_start_offset: offset,
            segments: Vec::new(),
        }));
        // Crash safety: delete newest first, sync, and only then create the new segment, so a
        // crash leaves a contiguous prefix (or nothing), never a gap. Recovery then follows the
        // snapshot the caller installed.
        for seg in old.iter().rev() {
            fsutil::remove_file(seg.log_path())?;
            fsutil::remove_file(&seg.index_path)?;
        }
        fsutil::fsync_dir(&self.dir)?;
        let fresh = self.create_segment(offset)?;
        fsutil::fdatasync(&fresh.log_file, &fresh.shared.log_path)?;
        fsutil::fsync_dir(&self.dir)?;
        self.segments.push(fresh);
        self.dir_dirty = false;
        self.publish_segments();
        self.epoch_cache = LeaderEpochCache::new();
        self.epoch_checkpoint.write(self.epoch_cache.entries())?;
        self.epoch_checkpoint_dirty = false;
        Ok(())
    }

    /// Moves the log start up to `new_start` (a snapshot covers everything below it) and deletes
    /// the sealed segments that lie wholly below it. Returns how many segments were deleted.
    /// The start is not persisted apart from the segments: after a restart the log starts at its
    /// first segment's base offset (at or below `new_start`).
    pub fn advance_log_start_offset(&mut self, new_start: i64) -> Result<usize, LogError> {
        if new_start <= self.log_start_offset {
            return Ok(0);
        }
        if new_start > self.log_end_offset {
            return Err(LogError::OutOfRange {
                offset: new_start,
                log_start_offset: self.log_start_offset,
                log_end_offset: self.log_end_offset,
            });
        }
        let sealed = self.segments.len().saturating_sub(1);
        let removable = self.segments[..sealed]
            .iter()
            .take_while(|s| s.next_offset <= new_start)
            .count();
        let removed: Vec<WriterSegment> = self.segments.drain(..removable).collect();
        self.log_start_offset = new_start;
        self.publish_segments();
        for seg in &removed {
            fsutil::remove_file(seg.log_path())?;
            fsutil::remove_file(&seg.index_path)?;
        }
        if !removed.is_empty() {
            fsutil::fsync_dir(&self.dir)?;
        }
        if self.epoch_cache.truncate_from_start(new_start) {
            self.epoch_checkpoint.write(self.epoch_cache.entries())?;
        }
        Ok(removed.len())
    }

    /// Trims and syncs the active segment so the directory is exactly what Kafka writes on a
    /// clean shutdown. The log is consumed; readers keep working on what they hold.
    pub fn close(mut self) -> Result<(), LogError> {
        self.flush()?;
        self.seal_active()?;
        fsutil::fsync_dir(&self.dir)
    }
}

/// The published index entries of a writer segment.
fn data_index(seg: &WriterSegment) -> Vec<u8> {
    seg.shared
        .index
        .slice(0, seg.index_entries * INDEX_ENTRY_BYTES)
        .to_vec()
}
