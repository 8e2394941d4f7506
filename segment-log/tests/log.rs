//! Append / read / flush / roll / truncate / restart, checked with the independent spec reader.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::spec_reader;
use common::{data_batch, partition_dir, small_config, XorShift};
use kraft_records::BatchIter;
use kraft_segment_log::{
    EpochCacheRecovery, EpochEntry, LogConfig, LogError, QuorumStateData, QuorumStateFile,
    SegmentLog, SnapshotId, SnapshotWriter, Uuid,
};

/// Appends `count` batches with varied sizes and epochs that step up every 7 batches; returns
/// each batch's bytes as appended (with assigned base offsets) for comparison.
fn fill(log: &mut SegmentLog, count: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut rng = XorShift(seed);
    let mut out = Vec::new();
    for i in 0..count {
        let epoch = 1 + (i / 7) as i32;
        let records = 1 + rng.below(4) as usize;
        let value_len = rng.below(300) as usize;
        // Built with a wrong base offset on purpose: the leader append assigns it.
        let mut batch = data_batch(999, epoch, records, value_len, rng.next_u64());
        let info = log.append(&batch).unwrap();
        batch[..8].copy_from_slice(&info.base_offset.to_be_bytes());
        assert_eq!(info.last_offset - info.base_offset + 1, records as i64);
        assert_eq!(info.epoch, epoch);
        out.push(batch);
    }
    out
}

/// Reads the whole log through a reader with a small max_bytes and checks it equals `expected`.
fn read_all(log: &SegmentLog, expected: &[Vec<u8>]) {
    let reader = log.reader();
    let mut offset = reader.log_start_offset();
    let mut got: Vec<u8> = Vec::new();
    let mut guard = 0;
    while let Some(slice) = reader.read(offset, 700).unwrap() {
        assert!(slice.base_offset <= offset && slice.last_offset >= offset);
        got.extend_from_slice(&slice);
        offset = slice.next_offset();
        guard += 1;
        assert!(guard < 100_000);
    }
    assert_eq!(offset, log.log_end_offset());
    let want: Vec<u8> = expected.concat();
    assert_eq!(got.len(), want.len());
    assert!(got == want, "log bytes differ from appended bytes");
}

#[test]
fn append_read_roll_and_spec_reader_agree() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let (mut log, report) = SegmentLog::open(&dir, small_config()).unwrap();
    assert_eq!((report.log_start_offset, report.log_end_offset), (0, 0));
    assert!(dir.join("partition.metadata").exists());
    let batches = fill(&mut log, 120, 7);
    assert!(log.segment_count() > 3, "small segments must roll");
    assert_eq!(log.flush().unwrap(), log.log_end_offset());
    read_all(&log, &batches);

    // Read from the middle of a batch: the slice starts at that batch.
    let reader = log.reader();
    let target = batches
        .iter()
        .map(|b| i64::from_be_bytes(b[..8].try_into().unwrap()))
        .nth(50)
        .unwrap();
    let slice = reader.read(target, 1).unwrap().unwrap();
    assert_eq!(slice.base_offset, target);
    assert_eq!(
        &slice[..],
        &batches[50][..],
        "max_bytes smaller than a batch still returns it"
    );
    assert!(matches!(
        reader.read(log.log_end_offset() + 1, 10),
        Err(LogError::OutOfRange { .. })
    ));
    assert!(reader.read(log.log_end_offset(), 10).unwrap().is_none());

    // Committed-only reads stop before the batch that reaches the bound.
    let b50_end = slice.next_offset();
    let bounded = reader.read_below(0, b50_end, usize::MAX).unwrap().unwrap();
    assert!(bounded.next_offset() <= b50_end);
    let whole: Vec<u8> = batches[..51].concat();
    assert!(whole.starts_with(&bounded));
    assert!(reader
        .read_below(target, target, 1 << 20)
        .unwrap()
        .is_none());
    // A bound inside batch 50 (its last offset) excludes the whole batch.
    assert!(reader
        .read_below(target, b50_end - 1, 1 << 20)
        .unwrap()
        .is_none());
    assert_eq!(
        reader
            .read_below(target, b50_end, 1 << 20)
            .unwrap()
            .unwrap()
            .next_offset(),
        b50_end
    );

    let leo = log.log_end_offset();
    log.close().unwrap();
    let spec = spec_reader::read_partition(&dir);
    assert_eq!(spec.len(), batches.len());
    assert_eq!(spec.last().unwrap().last_offset + 1, leo);
    let epochs = spec_reader::read_epoch_checkpoint(&dir);
    let expected_epochs: Vec<(i32, i64)> = {
        let mut v: Vec<(i32, i64)> = Vec::new();
        for b in &spec {
            if v.last().map(|e| e.0) != Some(b.epoch) {
                v.push((b.epoch, b.base_offset));
            }
        }
        v
    };
    assert_eq!(epochs, expected_epochs);
}

#[test]
fn restart_keeps_flushed_batches_epochs_and_quorum_state() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let batches;
    let epochs: Vec<EpochEntry>;
    {
        let (mut log, _) = SegmentLog::open(&dir, small_config()).unwrap();
        batches = fill(&mut log, 40, 11);
        log.assign_epoch(9, log.log_end_offset());
        log.flush().unwrap();
        epochs = log.epoch_cache().entries().to_vec();
        // Dropped without close, as after a crash.
    }
    let quorum = QuorumStateFile::new(&dir);
    let state = QuorumStateData {
        leader_id: 2,
        leader_epoch: 9,
        voted_id: 2,
        voted_directory_id: Uuid::ZERO,
        current_voters: vec![1, 2, 3],
        data_version: 0,
    };
    quorum.write(&state).unwrap();

    let (log, report) = SegmentLog::open(&dir, small_config()).unwrap();
    assert_eq!(report.dropped_tail, None, "{report:?}");
    assert_eq!(report.epoch_cache, EpochCacheRecovery::FromCheckpoint);
    assert!(report.rebuilt_indexes.is_empty(), "{report:?}");
    assert_eq!(log.epoch_cache().entries(), epochs.as_slice());
    assert_eq!(
        log.epoch_cache().latest().unwrap().epoch,
        9,
        "epoch assigned at the log end survives"
    );
    read_all(&log, &batches);
    assert_eq!(QuorumStateFile::new(&dir).read().unwrap(), Some(state));
    let spec = spec_reader::read_partition(&dir);
    assert_eq!(spec.len(), batches.len());
}

#[test]
fn truncate_across_segments_then_append_and_reopen() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let (mut log, _) = SegmentLog::open(&dir, small_config()).unwrap();
    let mut batches = fill(&mut log, 100, 3);
    log.flush().unwrap();
    let segments_before = log.segment_count();
    // Cut at the start of batch 30 (inside an early sealed segment).
    let cut = i64::from_be_bytes(batches[30][..8].try_into().unwrap());
    assert_eq!(log.truncate_to(cut).unwrap(), cut);
    assert!(log.segment_count() < segments_before);
    assert_eq!(log.log_end_offset(), cut);
    assert_eq!(
        log.flushed_end_offset(),
        cut,
        "truncation leaves the log durable"
    );
    batches.truncate(30);
    read_all(&log, &batches);
    assert!(log
        .epoch_cache()
        .entries()
        .iter()
        .all(|e| e.start_offset < cut));
    // Truncating in the middle of a batch removes the whole batch.
    let b28 = i64::from_be_bytes(batches[28][..8].try_into().unwrap());
    let b29 = i64::from_be_bytes(batches[29][..8].try_into().unwrap());
    if b29 - b28 > 1 {
        assert_eq!(log.truncate_to(b28 + 1).unwrap(), b28);
        batches.truncate(28);
    }
    // Follower append at the new end, then more leader appends, roll, reopen.
    let leo = log.log_end_offset();
    let follower = [
        data_batch(leo, 20, 2, 50, 1),
        data_batch(leo + 2, 20, 1, 10, 2),
    ]
    .concat();
    let info = log.append_fetched(&follower).unwrap();
    assert_eq!(
        (info.base_offset, info.last_offset, info.epoch),
        (leo, leo + 2, 20)
    );
    batches.push(follower[..follower.len() - data_batch(0, 20, 1, 10, 2).len()].to_vec());
    batches.push(data_batch(leo + 2, 20, 1, 10, 2));
    assert!(matches!(
        log.append_fetched(&data_batch(leo, 20, 1, 10, 3)),
        Err(LogError::UnexpectedBaseOffset { .. })
    ));
    let more = fill(&mut log, 30, 5);
    batches.extend(more);
    log.flush().unwrap();
    read_all(&log, &batches);
    let epochs = log.epoch_cache().entries().to_vec();
    drop(log);
    let (log, report) = SegmentLog::open(&dir, small_config()).unwrap();
    assert_eq!(report.dropped_tail, None);
    read_all(&log, &batches);
    assert_eq!(log.epoch_cache().entries(), epochs.as_slice());
    spec_reader::read_partition(&dir);

    // One writer per directory, even within a process.
    let err = SegmentLog::open(&dir, small_config()).unwrap_err();
    assert!(err.to_string().contains("already open"), "{err}");
    drop(log);

    // Truncate everything down to the log start.
    let (mut log, _) = SegmentLog::open(&dir, small_config()).unwrap();
    log.truncate_to(0).unwrap();
    assert_eq!(log.log_end_offset(), 0);
    assert!(log.epoch_cache().entries().is_empty());
    assert!(log.reader().read(0, 100).unwrap().is_none());
    assert_eq!(log.segment_count(), 1);
}

#[test]
fn truncate_fully_and_start_at_snapshot_offset() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let (mut log, _) = SegmentLog::open(&dir, small_config()).unwrap();
    fill(&mut log, 30, 9);
    log.truncate_fully_and_start_at(500).unwrap();
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (500, 500));
    let info = log.append(&data_batch(0, 4, 2, 8, 1)).unwrap();
    assert_eq!(info.base_offset, 500);
    log.flush().unwrap();
    drop(log);
    // Without the snapshot that justifies the start offset, the log is refused.
    assert!(matches!(
        SegmentLog::open(&dir, small_config()),
        Err(LogError::Corrupt { .. })
    ));
    let id = SnapshotId {
        end_offset: 500,
        epoch: 4,
    };
    let mut snapshot = SnapshotWriter::create(&dir, id).unwrap();
    snapshot.append(&data_batch(0, 4, 2, 8, 1)).unwrap();
    snapshot.freeze().unwrap();
    let (log, report) = SegmentLog::open(&dir, small_config()).unwrap();
    assert_eq!(report.snapshots, vec![id]);
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (500, 502));
    assert!(matches!(
        log.reader().read(10, 100),
        Err(LogError::OutOfRange { .. })
    ));
}

#[test]
fn rejects_invalid_batches_without_side_effects() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let (mut log, _) = SegmentLog::open(&dir, small_config()).unwrap();
    let good = data_batch(0, 1, 1, 10, 1);
    let mut bad_crc = good.clone();
    *bad_crc.last_mut().unwrap() ^= 1;
    assert!(matches!(
        log.append(&bad_crc),
        Err(LogError::InvalidBatch { .. })
    ));
    assert!(matches!(
        log.append(&good[..good.len() - 1]),
        Err(LogError::InvalidBatch { .. })
    ));
    assert!(matches!(
        log.append(&[good.clone(), vec![0]].concat()),
        Err(LogError::InvalidBatch { .. })
    ));
    assert!(matches!(
        log.append(&data_batch(0, 1, 3, 5000, 1)),
        Err(LogError::BatchTooLarge { .. })
    ));
    // A bad second batch in a fetched chunk appends nothing.
    assert!(log
        .append_fetched(&[good.clone(), bad_crc].concat())
        .is_err());
    assert_eq!(log.log_end_offset(), 0);
    log.append(&good).unwrap();
    assert_eq!(log.log_end_offset(), 1);
    let bad_config = LogConfig {
        segment_bytes: 10,
        ..small_config()
    };
    assert!(matches!(
        SegmentLog::open(&dir, bad_config),
        Err(LogError::InvalidConfig { .. })
    ));
}

#[test]
fn verified_appends_check_framing_and_offsets_but_not_crcs() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let (mut log, _) = SegmentLog::open(&dir, small_config()).unwrap();
    let first = data_batch(0, 1, 2, 10, 1);
    let second = data_batch(2, 1, 1, 10, 2);
    // Offsets must continue the log; a cut-off batch is refused; nothing is half appended.
    assert!(matches!(
        log.append_verified(&second),
        Err(LogError::UnexpectedBaseOffset { .. })
    ));
    assert!(matches!(
        log.append_verified(&[first.clone(), second[..second.len() - 1].to_vec()].concat()),
        Err(LogError::InvalidBatch { .. })
    ));
    assert_eq!(log.log_end_offset(), 0);
    log.append_verified(&[first.clone(), second.clone()].concat())
        .unwrap();
    assert_eq!(log.log_end_offset(), 3);
    // The CRC is the caller's job on this path (the fetched-batch path still checks it).
    let mut flipped = data_batch(3, 1, 1, 10, 3);
    *flipped.last_mut().unwrap() ^= 1;
    assert!(log.append_fetched(&flipped).is_err());
    log.append_verified(&flipped).unwrap();
    assert_eq!(log.log_end_offset(), 4);
}

#[test]
fn sparse_segments_without_preallocation_work_the_same() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let config = LogConfig {
        preallocate: false,
        ..small_config()
    };
    let (mut log, _) = SegmentLog::open(&dir, config.clone()).unwrap();
    let batches = fill(&mut log, 60, 21);
    log.flush().unwrap();
    assert_eq!(
        log.end_offset_for_epoch(1),
        Some((1, log.epoch_cache().entries()[1].start_offset))
    );
    drop(log);
    let (log, report) = SegmentLog::open(&dir, config).unwrap();
    assert_eq!(report.dropped_tail, None);
    read_all(&log, &batches);
    drop(log);
    assert_eq!(spec_reader::read_partition(&dir).len(), batches.len());
}

#[test]
fn readers_on_other_threads_see_only_whole_batches() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let config = LogConfig {
        segment_bytes: 64 * 1024,
        ..small_config()
    };
    let (mut log, _) = SegmentLog::open(&dir, config).unwrap();
    let reader = log.reader();
    let done = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let reader = reader.clone();
            let done = done.clone();
            std::thread::spawn(move || {
                let mut offset = 0i64;
                let mut reads = 0u64;
                // Bounded: stops when the writer is done and everything was read.
                for _ in 0..10_000_000 {
                    match reader.read(offset, 4096).unwrap() {
                        Some(slice) => {
                            let mut next = offset;
                            for batch in BatchIter::new(&slice) {
                                let batch = batch.expect("only whole, valid batches");
                                assert_eq!(batch.header.base_offset, next);
                                next = batch.header.next_offset();
                            }
                            assert_eq!(next, slice.next_offset());
                            offset = next;
                            reads += 1;
                        }
                        None if done.load(Ordering::Acquire)
                            && offset == reader.log_end_offset() =>
                        {
                            break
                        }
                        None => std::thread::yield_now(),
                    }
                }
                (offset, reads)
            })
        })
        .collect();
    let mut rng = XorShift(99);
    for _ in 0..3000 {
        let batch = data_batch(
            0,
            1,
            1 + rng.below(3) as usize,
            rng.below(200) as usize,
            rng.next_u64(),
        );
        log.append(&batch).unwrap();
    }
    done.store(true, Ordering::Release);
    for t in threads {
        let (offset, reads) = t.join().unwrap();
        assert_eq!(offset, log.log_end_offset());
        assert!(reads > 0);
    }
}

#[test]
fn flush_ticket_can_sync_on_another_thread() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let (mut log, _) = SegmentLog::open(&dir, small_config()).unwrap();
    fill(&mut log, 5, 1);
    let ticket = log.prepare_flush();
    let end = ticket.end_offset;
    let ticket = std::thread::spawn(move || {
        ticket.sync().unwrap();
        ticket
    })
    .join()
    .unwrap();
    fill(&mut log, 5, 2);
    assert_eq!(log.complete_flush(ticket), end);
    assert!(log.flushed_end_offset() < log.log_end_offset());
    // A truncation between prepare and complete: the stale ticket does not advance.
    let ticket = log.prepare_flush();
    log.truncate_to(end).unwrap();
    ticket.sync().unwrap();
    assert_eq!(
        log.complete_flush(ticket),
        end.min(log.flushed_end_offset())
    );
}

/// The active segment's blocks are reserved in steps (fallocate with KEEP_SIZE) while the file's
/// length always ends at the last batch written, so that Kafka's readers find no zero tail even
/// after a crash, and recovery has no reserved space to check: a 256 MiB segment reserves 64 MiB
/// first, reserves the next step on demand, and a crash-style reopen (no close) keeps every batch
/// with the file length unchanged.
#[test]
fn segment_blocks_reserved_in_steps_and_file_ends_at_last_batch() {
    use std::os::unix::fs::MetadataExt;
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let config = LogConfig {
        segment_bytes: 256 << 20,
        ..small_config()
    };
    let (mut log, _) = SegmentLog::open(&dir, config.clone()).unwrap();
    let segment = dir.join("00000000000000000000.log");
    let len = |p: &std::path::Path| std::fs::metadata(p).unwrap().len();
    let reserved = |p: &std::path::Path| std::fs::metadata(p).unwrap().blocks() * 512;
    assert_eq!(len(&segment), 0, "nothing written yet");
    assert!(reserved(&segment) >= 64 << 20, "first step reserved");
    assert!(reserved(&segment) < 128 << 20, "first step only");
    let mut expected = Vec::new();
    let mut written = 0u64;
    // 70 batches of ~1 MiB cross the first 64 MiB step.
    for i in 0..70 {
        let mut batch = data_batch(0, 1, 1, 1 << 20, i);
        let info = log.append(&batch).unwrap();
        batch[..8].copy_from_slice(&info.base_offset.to_be_bytes());
        written += batch.len() as u64;
        expected.push(batch);
    }
    log.flush().unwrap();
    assert_eq!(len(&segment), written, "the file ends at the last batch");
    assert!(reserved(&segment) >= 128 << 20, "grown by one step");
    read_all(&log, &expected);
    drop(log); // no close(), as after a crash
    let (log, report) = SegmentLog::open(&dir, config).unwrap();
    assert_eq!(report.log_end_offset, 70);
    assert!(report.dropped_tail.is_none());
    assert_eq!(len(&segment), written);
    read_all(&log, &expected);
}
