//! The log's generation (issue 13): a Fetch response names its records as a range of the log of
//! one generation (the Raft core counts its truncations); whoever resolves the range into bytes
//! must refuse it when the log it reads is of another generation, or it serves bytes that are not
//! (or no longer) the ones the core meant.

mod common;

use common::{data_batch, partition_dir, scratch_dir, small_config};
use kraft_records::BatchIter;
use kraft_segment_log::{LogError, LogReader, SegmentLog};

/// What the network role does with `Records::LogRange { from_offset, max_bytes, generation }`:
/// the epoch of the first batch served, `None` when the response goes out without records.
fn resolve(reader: &LogReader, from_offset: i64, max_bytes: usize, generation: u64) -> Option<i32> {
    let slice = match reader.read_in_generation(from_offset, max_bytes, generation) {
        Ok(slice) => slice?,
        Err(LogError::GenerationMismatch { .. }) => return None,
        Err(other) => panic!("{other}"),
    };
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
    assert_eq!(reader.generation(), 0);
    assert_eq!(
        resolve(&reader, 3, 1 << 20, 0),
        Some(3),
        "generation 0 reads"
    );
    assert_eq!(
        resolve(&reader, 3, 1 << 20, 1),
        None,
        "a range of generation 1 served the bytes of generation 0 (epoch 3)"
    );
    // The log role applies the truncation and starts generation 1, then the LeaderChange append.
    log.truncate_to(3).unwrap();
    assert_eq!(resolve(&reader, 3, 1 << 20, 1), None, "still generation 0");
    log.start_generation(1);
    assert_eq!(reader.generation(), 1);
    assert_eq!(resolve(&reader, 3, 1 << 20, 1), None, "nothing at 3 yet");
    log.append_fetched(&data_batch(3, 5, 1, 20, 99)).unwrap();
    assert_eq!(resolve(&reader, 3, 1 << 20, 1), Some(5));
    assert_eq!(resolve(&reader, 0, 1 << 20, 1), Some(3), "the kept prefix");
    // A response of the old leader still queued when the log moved on is refused too.
    assert_eq!(resolve(&reader, 3, 1 << 20, 0), None);
    assert!(matches!(
        reader.read_in_generation(3, 1 << 20, 0),
        Err(LogError::GenerationMismatch {
            requested: 0,
            current: 1
        })
    ));
}

/// Generations only move forward, and a reopened log starts at 0 again (as a restarted core).
#[test]
fn generation_restarts_at_zero_and_only_moves_forward() {
    let root = scratch_dir();
    let dir = partition_dir(root.path());
    let (mut log, _) = SegmentLog::open(&dir, small_config()).unwrap();
    log.append_fetched(&data_batch(0, 1, 1, 20, 1)).unwrap();
    log.start_generation(3);
    assert_eq!(log.generation(), 3);
    let stale = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        log.start_generation(3);
    }));
    assert!(stale.is_err(), "a generation is started once");
    drop(log);
    let (log, _) = SegmentLog::open(&dir, small_config()).unwrap();
    assert_eq!(log.generation(), 0);
    assert_eq!(log.reader().generation(), 0);
}
