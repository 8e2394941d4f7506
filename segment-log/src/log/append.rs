//! Appending: leader and follower appends validated before anything is written, one pwrite per
//! batch at the active segment's tail, sparse index entries, and rolling to a new segment.

use std::sync::atomic::Ordering;

use kraft_records::{validate_batch, BatchHeader};

use super::{reserve_target, SegmentLog, WriterSegment};
use crate::error::LogError;
use crate::fsutil;
use crate::index::{IndexEntry, INDEX_ENTRY_BYTES};

/// What one append stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendInfo {
    pub base_offset: i64,
    pub last_offset: i64,
    /// PartitionLeaderEpoch of the (last) appended batch.
    pub epoch: i32,
}

impl SegmentLog {
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
        if self.needs_roll(size, last_offset)? {
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
        active.add_index_entry_if_due(interval, last_offset, pos);
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

    /// Whether a batch of `size` bytes ending at `last_offset` must go to a new segment: the
    /// active one is full, its relative offsets would overflow, or its index is full.
    fn needs_roll(&mut self, size: usize, last_offset: i64) -> Result<bool, LogError> {
        let segment_bytes = self.config.segment_bytes as usize;
        let active = self.active_mut()?;
        Ok(active.size_bytes > 0
            && (active.size_bytes + size > segment_bytes
                || last_offset - active.base_offset() > i64::from(i32::MAX)
                || active.index_entries >= active.index_capacity_entries))
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

    pub(super) fn seal_active(&mut self) -> Result<(), LogError> {
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
}

impl WriterSegment {
    /// Adds a sparse index entry for the batch written at `position` once more than `interval`
    /// bytes were appended since the last entry (and the index has room).
    fn add_index_entry_if_due(&mut self, interval: usize, last_offset: i64, position: usize) {
        if self.bytes_since_index_entry > interval
            && self.index_entries < self.index_capacity_entries
        {
            let entry = IndexEntry {
                relative_offset: (last_offset - self.base_offset()) as u32,
                position: position as u32,
            };
            self.shared
                .index
                .write(self.index_entries * INDEX_ENTRY_BYTES, &entry.encode());
            self.index_entries += 1;
            self.bytes_since_index_entry = 0;
        }
    }
}
