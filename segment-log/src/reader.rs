//! `LogReader`: lock-free, zero-copy reads of published batches from any thread.

use std::ops::Deref;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::error::LogError;
use crate::index;
use crate::scan;
use crate::segment::SegmentShared;
use crate::shared::LogShared;

/// A cheap, cloneable read handle. Reads take no lock: the segment list is loaded through an
/// atomic pointer (arc-swap) and each segment's readable end is an atomic.
#[derive(Clone)]
pub struct LogReader {
    shared: Arc<LogShared>,
}

impl std::fmt::Debug for LogReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogReader")
            .field("log_end_offset", &self.log_end_offset())
            .finish()
    }
}

/// Whole batches borrowed from a segment mapping, starting at the batch that holds the requested
/// offset. Keeps the mapping alive; derefs to the bytes.
pub struct LogSlice {
    segment: Arc<SegmentShared>,
    start: usize,
    end: usize,
    /// Base offset of the first batch (may be below the requested offset).
    pub base_offset: i64,
    /// Last offset of the last batch in the slice.
    pub last_offset: i64,
}

impl LogSlice {
    /// The segment file these bytes come from and their position in it (for sendfile-style I/O).
    pub fn file_position(&self) -> (&Path, u64) {
        (&self.segment.log_path, self.start as u64)
    }

    pub fn next_offset(&self) -> i64 {
        self.last_offset + 1
    }
}

impl Deref for LogSlice {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.segment.log.slice(self.start, self.end)
    }
}

impl std::fmt::Debug for LogSlice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogSlice")
            .field("segment", &self.segment.base_offset)
            .field("position", &self.start)
            .field("len", &(self.end - self.start))
            .field("base_offset", &self.base_offset)
            .field("last_offset", &self.last_offset)
            .finish()
    }
}

impl LogReader {
    pub(crate) fn new(shared: Arc<LogShared>) -> Self {
        LogReader { shared }
    }

    /// The published log end offset: every batch below it is readable.
    pub fn log_end_offset(&self) -> i64 {
        self.shared.log_end_offset.load(Ordering::Acquire)
    }

    pub fn log_start_offset(&self) -> i64 {
        self.shared.segments.load().log_start_offset
    }

    /// The log's generation (see [`SegmentLog::start_generation`](crate::SegmentLog::start_generation)).
    pub fn generation(&self) -> u64 {
        self.shared.generation.load(Ordering::Acquire)
    }

    /// Like [`read`](Self::read), for a range that the log's owner named in generation
    /// `generation`: refused with `GenerationMismatch` unless the log is at that generation
    /// before and after the read. A log behind it has not applied a truncation yet (the old
    /// bytes still sit at those offsets); a log ahead of it was truncated since.
    pub fn read_in_generation(
        &self,
        from_offset: i64,
        max_bytes: usize,
        generation: u64,
    ) -> Result<Option<LogSlice>, LogError> {
        self.check_generation(generation)?;
        let slice = self.read_impl(from_offset, max_bytes, i64::MAX)?;
        // A truncation that started a new generation during the read may have cut these bytes.
        self.check_generation(generation)?;
        Ok(slice)
    }

    fn check_generation(&self, requested: u64) -> Result<(), LogError> {
        let current = self.generation();
        if current == requested {
            Ok(())
        } else {
            Err(LogError::GenerationMismatch { requested, current })
        }
    }

    /// Whole batches starting with the one that holds `from_offset`, up to `max_bytes` (but at
    /// least one batch, however large), all from one segment. `Ok(None)` at the log end;
    /// `OutOfRange` below the log start or beyond the end.
    pub fn read(&self, from_offset: i64, max_bytes: usize) -> Result<Option<LogSlice>, LogError> {
        self.read_impl(from_offset, max_bytes, i64::MAX)
    }

    /// Like [`read`](Self::read) but only batches that end below `end_offset` (exclusive), e.g. the
    /// high watermark for committed-only readers. `Ok(None)` when the batch holding `from_offset`
    /// reaches `end_offset`.
    pub fn read_below(
        &self,
        from_offset: i64,
        end_offset: i64,
        max_bytes: usize,
    ) -> Result<Option<LogSlice>, LogError> {
        self.read_impl(from_offset, max_bytes, end_offset)
    }

    fn read_impl(
        &self,
        from_offset: i64,
        max_bytes: usize,
        end_offset: i64,
    ) -> Result<Option<LogSlice>, LogError> {
        // Load the end first: the segment list and positions loaded after it are at least as new.
        let log_end_offset = self.log_end_offset();
        let list = self.shared.segments.load();
        if from_offset < list.log_start_offset || from_offset > log_end_offset {
            return Err(LogError::OutOfRange {
                offset: from_offset,
                log_start_offset: list.log_start_offset,
                log_end_offset,
            });
        }
        if from_offset == log_end_offset {
            return Ok(None);
        }
        let first = list
            .segments
            .partition_point(|s| s.base_offset <= from_offset)
            .saturating_sub(1);
        for segment in list.segments.iter().skip(first) {
            let end = segment.published_end();
            let data = segment.log.slice(0, end);
            let relative =
                u32::try_from(from_offset.saturating_sub(segment.base_offset)).unwrap_or(u32::MAX);
            let start = (index::lookup(segment.published_index(), relative) as usize).min(end);
            if start < segment.cache_released_bytes.load(Ordering::Acquire) {
                segment
                    .log
                    .will_need(start, end.min(start.saturating_add(max_bytes)));
            }
            let (pos, first_batch) = match scan::find_batch(data, start, from_offset) {
                Ok(Some(found)) => found,
                Ok(None) => continue,
                Err(position) => {
                    return Err(LogError::corrupt(
                        &segment.log_path,
                        position as u64,
                        "no valid batch header where the log expects one",
                    ))
                }
            };
            if first_batch.last_offset >= end_offset {
                return Ok(None);
            }
            let mut slice_end = pos + first_batch.size_bytes;
            let mut last_offset = first_batch.last_offset;
            // Add following whole batches while they fit; bounded by the segment end.
            while slice_end < end {
                let Some(next) = scan::raw_batch_at(data, slice_end) else {
                    break;
                };
                if slice_end + next.size_bytes - pos > max_bytes || next.last_offset >= end_offset {
                    break;
                }
                slice_end += next.size_bytes;
                last_offset = next.last_offset;
            }
            segment.max_slice_end.fetch_max(slice_end, Ordering::AcqRel);
            return Ok(Some(LogSlice {
                segment: segment.clone(),
                start: pos,
                end: slice_end,
                base_offset: first_batch.base_offset,
                last_offset,
            }));
        }
        // The end moved down under us (a concurrent truncation): nothing readable there now.
        Ok(None)
    }
}
