//! Releasing page-cache pages behind the readers: the pages leave the cache, the bytes do not
//! leave the log.

mod common;

use common::{data_batch, partition_dir};
use kraft_segment_log::{LogConfig, SegmentLog};
use std::os::unix::io::AsRawFd;
use std::path::Path;

/// Pages of `path`'s first `len` bytes that are in the page cache (mincore on a fresh mapping).
fn resident_pages(path: &Path, len: usize) -> usize {
    let file = std::fs::File::open(path).unwrap();
    // SAFETY: read-only shared mapping of an open file, unmapped below.
    let map = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        )
    };
    assert_ne!(map, libc::MAP_FAILED);
    let pages = len.div_ceil(4096);
    let mut vec = vec![0u8; pages];
    // SAFETY: `vec` has one byte per page of the mapping.
    let rc = unsafe { libc::mincore(map, len, vec.as_mut_ptr()) };
    assert_eq!(rc, 0);
    // SAFETY: unmapping the mapping made above.
    unsafe { libc::munmap(map, len) };
    vec.iter().filter(|&&b| b & 1 == 1).count()
}

#[test]
fn released_pages_leave_the_cache_and_stay_readable() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let (mut log, _) = SegmentLog::open(&dir, LogConfig::default()).unwrap();
    // 48 MiB in 240 batches of 100 records of 2000 bytes.
    let mut batches = Vec::new();
    for i in 0..240i64 {
        let batch = data_batch(i * 100, 1, 100, 2000, i as u64);
        log.append(&batch).unwrap();
        batches.push(batch);
    }
    let end = log.flush().unwrap();
    assert_eq!(end, 24_000);
    let segment = dir.join(kraft_segment_log::log_file_name(0));
    let written: usize = batches.iter().map(Vec::len).sum();
    let before = resident_pages(&segment, written);
    assert!(
        before > written / 4096 / 2,
        "appended pages start in the cache ({before} of {})",
        written / 4096
    );

    // Readers have passed offset 20,000 (~40 MiB): pages up to ~16 MiB before it may go.
    log.release_page_cache_below(20_000);
    let after = resident_pages(&segment, written);
    let released = before - after.min(before);
    assert!(
        released >= (20 << 20) / 4096,
        "at least 20 MiB released: {before} -> {after} pages"
    );

    // Every byte is still there, through the reader's mapping.
    let reader = log.reader();
    let mut offset = 0;
    let mut seen = 0;
    while offset < end {
        let slice = reader.read(offset, 1 << 20).unwrap().unwrap();
        for batch in kraft_records::BatchIter::new(&slice) {
            let batch = batch.unwrap();
            let index = (batch.header.base_offset / 100) as usize;
            assert_eq!(batch.bytes, &batches[index][..], "batch {index}");
            offset = batch.header.next_offset();
            seen += 1;
        }
    }
    assert_eq!(seen, 240);
}

#[test]
fn nothing_unflushed_or_ahead_of_readers_is_released() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let (mut log, _) = SegmentLog::open(&dir, LogConfig::default()).unwrap();
    for i in 0..240i64 {
        log.append(&data_batch(i * 100, 1, 100, 2000, i as u64))
            .unwrap();
    }
    let segment = dir.join(kraft_segment_log::log_file_name(0));
    let written = 240 * data_batch(0, 1, 100, 2000, 0).len();
    let before = resident_pages(&segment, written);
    // Not flushed yet: readers far ahead change nothing.
    log.release_page_cache_below(24_000);
    assert_eq!(resident_pages(&segment, written), before);
    log.flush().unwrap();
    // Flushed, but the slowest reader is near the start.
    log.release_page_cache_below(500);
    assert_eq!(resident_pages(&segment, written), before);
}
