//! `SegmentLog`: the single writer of a partition's segment files. This file holds the writer's
//! state and the small accessors; each concern has its own file: `recovery` (open, crash
//! recovery) with `segment_recovery` (one segment's scan, tail and index), `append` (append,
//! roll, seal), `flush` (`FlushTicket`, group-commit flush), `truncate` (divergence, snapshot
//! install, log start) and `page_cache` (releasing read pages).

mod append;
mod flush;
mod page_cache;
mod recovery;
mod segment_recovery;
mod truncate;

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use kraft_records::LeaderEpochCache;

use crate::config::LogConfig;
use crate::epoch_checkpoint::LeaderEpochCheckpoint;
use crate::error::LogError;
use crate::fsutil;
use crate::index::INDEX_ENTRY_BYTES;
use crate::reader::LogReader;
use crate::segment::{index_file_name, log_file_name, Mapping, SegmentShared};
use crate::shared::{LogShared, SegmentList};

pub use append::AppendInfo;
pub use flush::FlushTicket;
pub use recovery::{DroppedTail, EpochCacheRecovery, RecoveryReport};

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

impl SegmentLog {
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

    /// (base offset, bytes) of every segment, oldest first; the last one is the active segment
    /// (what the retention policy weighs).
    pub fn segment_sizes(&self) -> impl Iterator<Item = (i64, u64)> + '_ {
        self.segments
            .iter()
            .map(|s| (s.base_offset(), s.size_bytes as u64))
    }

    /// Number of segments (for tests and metrics).
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Trims and syncs the active segment so the directory is exactly what Kafka writes on a
    /// clean shutdown. The log is consumed; readers keep working on what they hold.
    pub fn close(mut self) -> Result<(), LogError> {
        self.flush()?;
        self.seal_active()?;
        fsutil::fsync_dir(&self.dir)
    }
}
