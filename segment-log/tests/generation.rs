//! The log's generation (issue 13): a Fetch response names its records as a range of the log of
//! one generation (the Raft core counts its truncations); whoever resolves the range into bytes
//! must refuse it when the log it reads is of another generation, or it serves bytes that are not
//! (or no longer) the ones the core meant.

mod common;

use common::{data_batch, partition_dir, scratch_dir, small_config};
use kraft_records::BatchIter;
use kraft_segment_log::{LogReader, SegmentLog};

/// What the network role does with `Records::LogRange { from_offset, max_bytes }` of the core's
/// generation `generation`: `None` means the response goes out without records.
fn resolve(reader: &LogReader, from_offset: i64, max_bytes: usize, generation: u64) -> Option<i32> {
    let _ = generation;
    let slice = reader.read(from_offset, max_bytes).unwrap()?;
    let batch = BatchIter::new(&slice).next()?.unwrap();
    Some(batch.header.partition_leader_epoch)
}

/// A follower with epoch-3 batches at [0, 6) truncated to 3 (generation 1 in the core), won the
/// election of epoch 5 and appended its LeaderChange at 3, while the log role was still busy
/// (e.g. in a flush) and has not applied the truncation. A follower's Fetch at 3 is answered
/// with a range of generation 1: resolving it now must not serve the epoch-3 bytes that sit at 3
/// until the truncation is applied.
#[test]
fn range_of_a_newer_generation_is_refused_until_the_truncation_is_applied() {
    let root = scratch_dir();
    let dir = partition_dir(root.path());
    let (mut log, _) = SegmentLog::open(&dir, small_config()).unwrap();
    for base in 0..6 {
        log.append_fetched(&data_batch(base, 3, 1, 20, base as u64))
            .unwrap();
    }
    let reader = log.reader();
    assert_eq!(
        resolve(&reader, 3, 1 << 20, 1),
        None,
        "a range of generation 1 served the bytes of generation 0 (epoch 3)"
    );
    // The log role applies the truncation, then the LeaderChange append.
    log.truncate_to(3).unwrap();
    log.append_fetched(&data_batch(3, 5, 1, 20, 99)).unwrap();
    assert_eq!(resolve(&reader, 3, 1 << 20, 1), Some(5));
}
