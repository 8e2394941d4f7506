//! Truncation: cutting the log back at a divergence (`truncate_to`), restarting it at a snapshot
//! (`truncate_fully_and_start_at`) and dropping segments behind a snapshot
//! (`advance_log_start_offset`), each crash-safe (never a gap that recovery would refuse).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use kraft_records::LeaderEpochCache;

use super::{reserve_target, SegmentLog, WriterSegment};
use crate::config::LogConfig;
use crate::error::LogError;
use crate::fsutil;
use crate::index::{self, INDEX_ENTRY_BYTES};
use crate::scan;
use crate::segment::{Mapping, SegmentShared};
use crate::shared::SegmentList;

impl SegmentLog {
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
        let (cut_pos, new_end) = find_cut(&self.segments[idx], offset)?;
        // Readers first: lower the published end so nobody starts reading what goes away.
        self.log_end_offset = new_end;
        self.shared.log_end_offset.store(new_end, Ordering::Release);
        self.remove_segments_after(idx)?;
        cut_segment(&mut self.segments[idx], &self.config, cut_pos, new_end)?;
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

    /// Deletes every segment after segment `idx` (newest first) and syncs the directory.
    fn remove_segments_after(&mut self, idx: usize) -> Result<(), LogError> {
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
        Ok(())
    }

    /// The log's generation: 0 when opened, then whatever [`start_generation`] set last.
    ///
    /// [`start_generation`]: Self::start_generation
    pub fn generation(&self) -> u64 {
        self.shared.generation.load(Ordering::Acquire)
    }

    /// Starts generation `generation` (greater than the current one) and publishes it to the
    /// readers. Call it right after the truncation (or full reset) that changed what bytes sit at
    /// some offset, before any append of the new generation: readers asking for a range of the
    /// new generation are refused until then, and those asking for an older one from then on
    /// ([`LogReader::read_in_generation`]).
    ///
    /// [`LogReader::read_in_generation`]: crate::LogReader::read_in_generation
    pub fn start_generation(&mut self, generation: u64) {
        let current = self.generation();
        assert!(
            generation > current,
            "log generation {generation} does not follow {current}"
        );
        self.shared.generation.store(generation, Ordering::Release);
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
}

/// The published index entries of a writer segment.
fn data_index(seg: &WriterSegment) -> Vec<u8> {
    seg.shared
        .index
        .slice(0, seg.index_entries * INDEX_ENTRY_BYTES)
        .to_vec()
}

/// Where the cut for `truncate_to(offset)` falls inside `seg`: the byte position of the batch
/// holding `offset` and the new log end offset (that batch's base offset).
fn find_cut(seg: &WriterSegment, offset: i64) -> Result<(usize, i64), LogError> {
    let data = seg.shared.log.slice(0, seg.size_bytes);
    let rel = u32::try_from(offset - seg.base_offset()).unwrap_or(u32::MAX);
    let start = index::lookup(&data_index(seg), rel) as usize;
    match scan::find_batch(data, start.min(seg.size_bytes), offset) {
        Ok(Some((pos, batch))) => Ok((pos, batch.base_offset.min(offset))),
        Ok(None) => Ok((seg.size_bytes, seg.next_offset)),
        Err(pos) => Err(LogError::corrupt(
            seg.log_path(),
            pos as u64,
            "no batch header where the log expects one",
        )),
    }
}

/// Cuts `seg` at byte `cut_pos` (new end offset `new_end`): readers' ends first, then the file,
/// the index and the writer's bookkeeping. A sealed segment is reopened for appends.
fn cut_segment(
    seg: &mut WriterSegment,
    config: &LogConfig,
    cut_pos: usize,
    new_end: i64,
) -> Result<(), LogError> {
    let old_size = seg.size_bytes;
    let old_entries = seg.index_entries;
    let kept_entries = index::entries_below(&data_index(seg), cut_pos as u32);
    seg.shared.end_position.store(cut_pos, Ordering::Release);
    seg.shared
        .index_entries
        .store(kept_entries, Ordering::Release);
    if seg.sealed {
        reopen_sealed(seg, config, cut_pos, kept_entries)?;
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
    Ok(())
}

/// Reopens a sealed segment for appends: grows the file back and maps it anew. Its size and
/// index entry count are still the pre-cut values; readers get a fresh `SegmentShared`.
fn reopen_sealed(
    seg: &mut WriterSegment,
    config: &LogConfig,
    cut_pos: usize,
    kept_entries: usize,
) -> Result<(), LogError> {
    assert!(seg.sealed, "only a sealed segment is reopened");
    let old_size = seg.size_bytes;
    let old_entries = seg.index_entries;
    let capacity = (config.segment_bytes as usize).max(old_size);
    seg.allocated_bytes = if config.preallocate {
        let target = reserve_target(old_size, capacity);
        fsutil::preallocate(&seg.log_file, &seg.shared.log_path, target as u64)?;
        target
    } else {
        capacity
    };
    let index_capacity = config.index_capacity_entries().max(old_entries);
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
    Ok(())
}
