//! The io_uring flush path (feature `glommio`).
#![cfg(feature = "glommio")]

mod common;

use common::{data_batch, partition_dir, small_config};
use glommio::{LocalExecutorBuilder, Placement};
use kraft_segment_log::{SegmentLog, UringFiles};

#[test]
fn flush_through_io_uring_then_reopen() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let dir2 = dir.clone();
    let flushed = LocalExecutorBuilder::new(Placement::Unbound)
        // The sandbox's memlock limit is 8 MiB; glommio needs at least 512 KiB.
        .io_memory(1 << 20)
        .spawn(move || async move {
            let (mut log, _) = SegmentLog::open(&dir2, small_config()).unwrap();
            let files = UringFiles::new();
            for i in 0..50 {
                log.append(&data_batch(0, 1 + i / 10, 2, 64, i as u64))
                    .unwrap();
                if i % 10 == 9 {
                    let end = log.flush_uring(&files).await.unwrap();
                    assert_eq!(end, log.log_end_offset());
                    // Segments roll every few batches here: handles of old ones are closed.
                    assert!((1..=4).contains(&files.open_files()));
                }
            }
            log.flushed_end_offset()
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(flushed, 100);
    let (log, report) = SegmentLog::open(&dir, small_config()).unwrap();
    assert_eq!(log.log_end_offset(), 100);
    assert_eq!(report.dropped_tail, None);
    common::spec_reader::read_partition(&dir);
}
