//! One segment as readers see it: the memory-mapped `.log` and `.index` files plus the atomically
//! published end positions. The writer (`SegmentLog`) is the only one that writes the files (log
//! bytes by pwrite, index entries through the mapping), and only at or beyond the published end,
//! so readers never race with appends.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use memmap2::{MmapOptions, MmapRaw};

use crate::error::LogError;
use crate::index::INDEX_ENTRY_BYTES;

pub const LOG_FILE_SUFFIX: &str = ".log";
pub const INDEX_FILE_SUFFIX: &str = ".index";

/// `<20-digit base offset>.log`.
pub fn log_file_name(base_offset: i64) -> String {
    format!("{base_offset:020}{LOG_FILE_SUFFIX}")
}

pub fn index_file_name(base_offset: i64) -> String {
    format!("{base_offset:020}{INDEX_FILE_SUFFIX}")
}

/// Base offset of a `<20 digits><suffix>` file name.
pub fn parse_offset_file_name(name: &str, suffix: &str) -> Option<i64> {
    let digits = name.strip_suffix(suffix)?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A shared, writable mapping of a file. Accessed only through raw pointers so that the writer's
/// stores into the unpublished region and readers' loads from the published one never create
/// overlapping Rust references.
pub(crate) struct Mapping {
    raw: MmapRaw,
}

impl Mapping {
    /// Maps `len` bytes (at least one, since empty mappings are invalid). The mapping may be
    /// longer than the file; nobody touches bytes beyond the file end.
    pub fn new(file: &File, path: &Path, len: usize) -> Result<Mapping, LogError> {
        let raw = MmapOptions::new()
            .len(len.max(1))
            .map_raw(file)
            .map_err(|e| LogError::io(path, "mmap", e))?;
        // No readahead: a fault in a preallocated (unwritten) extent would otherwise make the
        // kernel read ahead, i.e. allocate and zero, large folios around every fault (measured at
        // 1M offered records/s: 40% of the leader's and 72% of a follower's CPU, when appends
        // still went through the mapping). Readers touch each page once anyway. Advice is a hint;
        // ignore failure.
        let _ = raw.advise(memmap2::Advice::Random);
        Ok(Mapping { raw })
    }

    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// Bytes `[start, end)`. Callers guarantee the range is published (no concurrent writer).
    pub fn slice(&self, start: usize, end: usize) -> &[u8] {
        assert!(
            start <= end && end <= self.raw.len(),
            "mapping range out of bounds"
        );
        // SAFETY: in bounds (checked above); the writer only stores outside published ranges.
        unsafe { std::slice::from_raw_parts(self.raw.as_ptr().add(start), end - start) }
    }

    /// Copies `bytes` to `at`. Only the single writer calls this, on an unpublished range.
    pub fn write(&self, at: usize, bytes: &[u8]) {
        assert!(
            at <= self.raw.len() && bytes.len() <= self.raw.len() - at,
            "mapping write out of bounds"
        );
        // SAFETY: in bounds; the range is unpublished so no reader holds a reference into it, and
        // the source is a distinct buffer (a caller's slice cannot alias a MAP_SHARED region we
        // never hand out as mutable).
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                self.raw.as_mut_ptr().add(at),
                bytes.len(),
            )
        }
    }

    /// Drops this process's page-table entries for `[start, end)` (page aligned) so the kernel
    /// can free the page-cache pages behind them. The mapping is shared and file-backed: a later
    /// access (a reader still holding a slice) faults the bytes back in from the file, unchanged.
    pub fn release(&self, start: usize, end: usize) {
        assert!(
            start <= end && end <= self.raw.len(),
            "mapping range out of bounds"
        );
        assert!(
            start.is_multiple_of(4096) && end.is_multiple_of(4096),
            "release is page aligned"
        );
        // MADV_DONTNEED on a MAP_SHARED file mapping never loses data: the pages' contents live
        // in the file and the page cache.
        self.advise(start, end, libc::MADV_DONTNEED);
    }

    /// Asks the kernel to read `[start, end)` into the page cache now, in large requests: the
    /// mapping has readahead off, so a reader of released pages would otherwise fault them in one
    /// 4 KiB read at a time (a follower catching up after a restart).
    pub fn will_need(&self, start: usize, end: usize) {
        // WILLNEED only schedules reads; it changes nothing.
        self.advise(
            start / 4096 * 4096,
            end.min(self.raw.len()),
            libc::MADV_WILLNEED,
        );
    }

    /// madvise over `[start, end)`, `start` page aligned; an empty range does nothing. A hint:
    /// the result is ignored.
    fn advise(&self, start: usize, end: usize, advice: libc::c_int) {
        debug_assert!(start.is_multiple_of(4096) && end <= self.raw.len());
        if start >= end {
            return;
        }
        // SAFETY: in bounds (callers clamp to the mapping) and page aligned.
        unsafe {
            libc::madvise(self.raw.as_mut_ptr().add(start).cast(), end - start, advice);
        }
    }

    pub fn fill_zero(&self, start: usize, end: usize) {
        assert!(
            start <= end && end <= self.raw.len(),
            "mapping range out of bounds"
        );
        // SAFETY: in bounds; the writer unpublished the range before zeroing it.
        unsafe { std::ptr::write_bytes(self.raw.as_mut_ptr().add(start), 0, end - start) }
    }
}

/// The readers' view of one segment.
pub(crate) struct SegmentShared {
    pub base_offset: i64,
    pub log_path: PathBuf,
    pub log: Mapping,
    pub index: Mapping,
    /// Bytes of whole batches readers may see. Release-stored after the bytes are written.
    pub end_position: AtomicUsize,
    /// Index entries readers may use. Release-stored after `end_position`.
    pub index_entries: AtomicUsize,
    /// Highest byte position ever handed out in a `LogSlice`; the writer never shrinks the file
    /// below it so a slice that outlives a truncation can not fault (SIGBUS).
    pub max_slice_end: AtomicUsize,
    /// Bytes below this may have left the page cache (the writer released them); a reader going
    /// there asks the kernel to read its range ahead instead of faulting it in page by page.
    pub cache_released_bytes: AtomicUsize,
}

impl SegmentShared {
    pub fn published_end(&self) -> usize {
        self.end_position
            .load(Ordering::Acquire)
            .min(self.log.len())
    }

    /// The published index entries as raw bytes.
    pub fn published_index(&self) -> &[u8] {
        let entries = self.index_entries.load(Ordering::Acquire);
        let bytes = (entries * INDEX_ENTRY_BYTES)
            .min(self.index.len() / INDEX_ENTRY_BYTES * INDEX_ENTRY_BYTES);
        self.index.slice(0, bytes)
    }
}
