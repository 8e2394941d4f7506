//! Truncating into a segment that recovery reopened as sealed. Recovery maps a sealed segment
//! only up to its last batch and sizes its index to the entries it has, so `truncate_to` must
//! reopen such a segment for appends (grow the file, map it anew, make room in the index):
//! appends after the cut then go past the segment's old end, the segment rolls as usual, and a
//! restart reads back exactly what was appended (checked with the independent spec reader too).

mod common;

use common::{data_batch, partition_dir, small_config, spec_reader};
use kraft_segment_log::SegmentLog;

fn base_offset_of(batch: &[u8]) -> i64 {
    i64::from_be_bytes(batch[..8].try_into().unwrap())
}

/// Appends one single-record batch with a `value_len`-byte value as leader; returns its bytes.
fn append(log: &mut SegmentLog, epoch: i32, value_len: usize, seed: u64) -> Vec<u8> {
    let batch = data_batch(log.log_end_offset(), epoch, 1, value_len, seed);
    let info = log.append(&batch).unwrap();
    assert_eq!(info.base_offset, base_offset_of(&batch));
    batch
}

#[test]
fn truncate_into_a_recovered_sealed_segment_then_append_past_its_old_end() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let (mut log, _) = SegmentLog::open(&dir, small_config()).unwrap();
    // Segment 0: three small batches, sealed when a large one does not fit (4096-byte segments).
    let mut batches: Vec<Vec<u8>> = (0..3).map(|i| append(&mut log, 1, 200, i)).collect();
    for i in 0..4 {
        batches.push(append(&mut log, 1, 3500, 10 + i));
    }
    assert!(log.segment_count() >= 4);
    log.close().unwrap();

    // After a restart segment 0 is sealed and mapped only up to its last small batch.
    let (mut log, _) = SegmentLog::open(&dir, small_config()).unwrap();
    let cut = base_offset_of(&batches[1]);
    assert_eq!(log.truncate_to(cut).unwrap(), cut);
    assert_eq!(log.segment_count(), 1);
    batches.truncate(1);
    // Larger than what segment 0 held before the cut: the append must go past its old end.
    batches.push(append(&mut log, 2, 2500, 20));
    assert_eq!(
        log.segment_count(),
        1,
        "the batch fits the reopened segment"
    );
    for i in 0..3 {
        batches.push(append(&mut log, 2, 3000, 30 + i));
    }
    assert!(log.segment_count() >= 3, "the reopened segment rolls");
    log.close().unwrap();

    let (log, report) = SegmentLog::open(&dir, small_config()).unwrap();
    assert_eq!(report.dropped_tail, None);
    assert_eq!(log.log_end_offset(), base_offset_of(&batches[4]) + 1);
    let reader = log.reader();
    let mut offset = 0;
    for (i, want) in batches.iter().enumerate() {
        let slice = reader
            .read(offset, 1)
            .unwrap()
            .expect("a batch at every offset");
        assert_eq!(&slice[..], &want[..], "batch {i} reads back as appended");
        offset = slice.next_offset();
    }
    assert!(reader.read(offset, 1).unwrap().is_none());
    let spec = spec_reader::read_partition(&dir);
    assert_eq!(spec.len(), batches.len());
}
