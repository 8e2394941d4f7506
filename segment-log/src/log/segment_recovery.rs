//! Recovering one existing segment on open: scan and validate its batches, cut a torn tail off
//! the last segment (refuse damage in an earlier one), trim trailing zeros, and keep or rebuild
//! its offset index.

use std::fs::{File, OpenOptions};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use super::recovery::{DroppedTail, RecoveryReport};
use super::{reserve_target, SegmentLog, WriterSegment};
use crate::error::LogError;
use crate::fsutil;
use crate::index::{IndexEntry, INDEX_ENTRY_BYTES};
use crate::scan::{self, SegmentScan};
use crate::segment::{index_file_name, log_file_name, Mapping, SegmentShared};

/// A segment's offset index after recovery: the file, kept or rewritten, and its mapping.
struct RecoveredIndex {
    file: File,
    path: PathBuf,
    map: Mapping,
    capacity_entries: usize,
}

impl SegmentLog {
    /// Scans one existing segment, repairs its tail and index, and maps it for use.
    pub(super) fn recover_segment(
        &mut self,
        base: i64,
        is_last: bool,
        report: &mut RecoveryReport,
    ) -> Result<(WriterSegment, SegmentScan), LogError> {
        let log_path = self.dir.join(log_file_name(base));
        let log_file = open_rw(&log_path, false)?;
        let scan = self.scan_and_repair(&log_file, &log_path, base, is_last, report)?;
        let valid = scan.valid_bytes;
        let capacity = if is_last {
            (self.config.segment_bytes as usize).max(valid)
        } else {
            valid
        };
        let mut allocated_bytes = valid;
        if is_last {
            allocated_bytes = capacity;
            if self.config.preallocate {
                allocated_bytes = reserve_target(valid, capacity);
                fsutil::preallocate(&log_file, &log_path, allocated_bytes as u64)?;
            }
        }
        let log_map = Mapping::new(&log_file, &log_path, capacity)?;
        let index = self.recover_index(base, is_last, &scan, report)?;
        let shared = Arc::new(SegmentShared {
            base_offset: base,
            log_path,
            log: log_map,
            index: index.map,
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
            index_file: index.file,
            index_path: index.path,
            size_bytes: valid,
            next_offset: scan.next_offset,
            index_entries: scan.index.len(),
            index_capacity_entries: index.capacity_entries,
            bytes_since_index_entry,
            sealed: !is_last,
            allocated_bytes,
            // Recovered bytes are on disk already (the scan read them from the file).
            flushed_bytes: valid,
            cache_released_bytes: 0,
        };
        Ok((segment, scan))
    }

    /// Validates every batch of the segment file; afterwards the file ends at its last valid
    /// batch (a torn or corrupt tail of the last segment cut off, trailing zeros trimmed).
    fn scan_and_repair(
        &self,
        log_file: &File,
        log_path: &Path,
        base: i64,
        is_last: bool,
        report: &mut RecoveryReport,
    ) -> Result<SegmentScan, LogError> {
        let file_len = fsutil::file_len(log_file, log_path)?;
        let file_len = usize::try_from(file_len).map_err(|_| {
            LogError::corrupt(
                log_path,
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
            let scan_map = Mapping::new(log_file, log_path, file_len)?;
            let data = scan_map.slice(0, file_len);
            let scan =
                scan::scan_segment(data, base, self.config.index_interval_bytes, index_capacity);
            let tail_zero =
                scan.valid_bytes == file_len || tail_is_zero(log_file, data, scan.valid_bytes);
            (scan, tail_zero)
        };
        let valid = scan.valid_bytes;
        if !tail_zero {
            drop_torn_tail(log_file, log_path, file_len, &scan, is_last, report)?;
        }
        if tail_zero && file_len > valid {
            // Only zeros follow (checked above; a torn tail was cut already): an older layout's
            // reservation or an interrupted truncation. The file must end at its last batch
            // (see `fsutil::preallocate`), sealed or active.
            fsutil::set_len(log_file, log_path, valid as u64)?;
            fsutil::fdatasync(log_file, log_path)?;
        }
        Ok(scan)
    }

    /// Offset index: keep the file if it already holds exactly the rebuilt entries.
    fn recover_index(
        &self,
        base: i64,
        is_last: bool,
        scan: &SegmentScan,
        report: &mut RecoveryReport,
    ) -> Result<RecoveredIndex, LogError> {
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
        Ok(RecoveredIndex {
            file: index_file,
            path: index_path,
            map: index_map,
            capacity_entries: index_capacity_entries,
        })
    }
}

/// Cuts a torn or corrupt tail off the last segment, durably, and reports it; the same damage in
/// an earlier segment is an error (never silent loss).
fn drop_torn_tail(
    log_file: &File,
    log_path: &Path,
    file_len: usize,
    scan: &SegmentScan,
    is_last: bool,
    report: &mut RecoveryReport,
) -> Result<(), LogError> {
    let valid = scan.valid_bytes;
    let reason = scan
        .stop_reason
        .clone()
        .unwrap_or_else(|| "unreadable bytes".to_string());
    if !is_last {
        return Err(LogError::corrupt(
            log_path,
            valid as u64,
            format!("invalid batch before the last segment ({reason}); refusing to drop data"),
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
        file: log_path.to_path_buf(),
        position: valid as u64,
        dropped_bytes: (file_len - valid) as u64,
        first_dropped_offset: scan.next_offset,
        reason,
    });
    // Cut the garbage off for good: later appends must never line up with stale bytes.
    fsutil::set_len(log_file, log_path, valid as u64)?;
    fsutil::fdatasync(log_file, log_path)?;
    Ok(())
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
