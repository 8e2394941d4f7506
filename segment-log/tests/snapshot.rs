//! Snapshot files: write, freeze, read; recovery's handling of partial, deleted and ahead-of-log
//! snapshots; log start advance.

mod common;

use common::{data_batch, partition_dir, segment_files, small_config};
use kraft_segment_log::{
    list_snapshots, mark_deleted, LogError, SegmentLog, SnapshotId, SnapshotReader, SnapshotWriter,
};

fn snapshot_bytes() -> Vec<u8> {
    [data_batch(0, 3, 2, 40, 1), data_batch(2, 3, 3, 10, 2)].concat()
}

#[test]
fn write_freeze_read() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let id = SnapshotId {
        end_offset: 12345,
        epoch: 7,
    };
    let mut writer = SnapshotWriter::create(dir, id).unwrap();
    let bytes = snapshot_bytes();
    writer.append(&bytes).unwrap();
    assert!(matches!(
        writer.append(&data_batch(0, 3, 1, 1, 1)),
        Err(LogError::UnexpectedBaseOffset { .. })
    ));
    assert_eq!(
        list_snapshots(dir).unwrap(),
        vec![],
        "partial snapshots are invisible"
    );
    let path = writer.freeze().unwrap();
    assert_eq!(
        path.file_name().unwrap(),
        "00000000000000012345-0000000007.checkpoint"
    );
    assert_eq!(list_snapshots(dir).unwrap(), vec![id]);
    let reader = SnapshotReader::open(&path).unwrap();
    assert_eq!(reader.bytes(), &bytes[..]);
    assert_eq!(reader.validate().unwrap(), (2, 5));
    assert_eq!(reader.batches().count(), 2);
    assert_eq!(reader.read_at(10, 5).unwrap(), &bytes[10..15]);
    assert_eq!(reader.read_at(bytes.len() as u64, 5).unwrap(), &[] as &[u8]);
    assert!(reader.read_at(bytes.len() as u64 + 1, 5).is_err());

    // A dropped, unfrozen writer leaves nothing behind.
    let other = SnapshotWriter::create(
        dir,
        SnapshotId {
            end_offset: 20000,
            epoch: 8,
        },
    )
    .unwrap();
    drop(other);
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 1);

    // A corrupt raw download fails to freeze and names the file.
    let mut bad = SnapshotWriter::create(
        dir,
        SnapshotId {
            end_offset: 30000,
            epoch: 8,
        },
    )
    .unwrap();
    let mut corrupt = snapshot_bytes();
    corrupt[70] ^= 1;
    bad.append_raw(&corrupt).unwrap();
    assert!(matches!(bad.freeze(), Err(LogError::Corrupt { .. })));
    assert_eq!(list_snapshots(dir).unwrap(), vec![id]);

    mark_deleted(dir, id).unwrap();
    assert_eq!(list_snapshots(dir).unwrap(), vec![]);
}

#[test]
fn open_cleans_leftovers_and_follows_a_snapshot_ahead_of_the_log() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let (mut log, _) = SegmentLog::open(&dir, small_config()).unwrap();
    for _ in 0..10 {
        log.append(&data_batch(0, 2, 1, 10, 1)).unwrap();
    }
    log.flush().unwrap();
    drop(log);
    std::fs::write(
        dir.join("00000000000000000005-0000000002-abc.checkpoint.part"),
        b"x",
    )
    .unwrap();
    std::fs::write(
        dir.join("00000000000000000003-0000000002.checkpoint.deleted"),
        b"x",
    )
    .unwrap();
    // A snapshot inside the log: kept, log untouched.
    let inside = SnapshotId {
        end_offset: 5,
        epoch: 2,
    };
    let mut w = SnapshotWriter::create(&dir, inside).unwrap();
    w.append(&snapshot_bytes()).unwrap();
    w.freeze().unwrap();
    let (log, report) = SegmentLog::open(&dir, small_config()).unwrap();
    assert_eq!(report.removed_files.len(), 2, "{report:?}");
    assert_eq!(report.snapshots, vec![inside]);
    assert_eq!(report.truncated_to_snapshot, None);
    assert_eq!(log.log_end_offset(), 10);
    drop(log);

    // A newer snapshot from a higher epoch (downloaded, then crash): the log restarts there.
    let ahead = SnapshotId {
        end_offset: 40,
        epoch: 5,
    };
    let mut w = SnapshotWriter::create(&dir, ahead).unwrap();
    w.append(&snapshot_bytes()).unwrap();
    w.freeze().unwrap();
    let (log, report) = SegmentLog::open(&dir, small_config()).unwrap();
    assert_eq!(report.truncated_to_snapshot, Some(ahead));
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (40, 40));
    // The snapshot below the new start is gone.
    assert_eq!(report.snapshots, vec![ahead]);
    assert!(!inside.path_in(&dir).exists());
    drop(log);

    // A log that starts above 0 without a snapshot reaching it is refused.
    std::fs::remove_file(ahead.path_in(&dir)).unwrap();
    let err = SegmentLog::open(&dir, small_config()).unwrap_err();
    assert!(matches!(err, LogError::Corrupt { .. }), "{err}");
}

#[test]
fn advance_log_start_deletes_covered_segments() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let (mut log, _) = SegmentLog::open(&dir, small_config()).unwrap();
    for i in 0..80 {
        log.append(&data_batch(0, 1 + i / 20, 1, 100, 1)).unwrap();
    }
    log.flush().unwrap();
    let before = segment_files(&dir).len();
    assert!(before >= 3);
    let deleted = log.advance_log_start_offset(50).unwrap();
    assert!(deleted >= 1);
    assert_eq!(segment_files(&dir).len(), before - deleted);
    assert_eq!(log.log_start_offset(), 50);
    assert!(matches!(
        log.reader().read(49, 10),
        Err(LogError::OutOfRange { .. })
    ));
    assert_eq!(log.reader().read(50, 10).unwrap().unwrap().base_offset, 50);
    assert_eq!(log.epoch_cache().entries()[0].start_offset, 50);
    assert!(log.advance_log_start_offset(1000).is_err());
}

/// Kafka's `RecordsSnapshotWriter` at kraft.version 1 (and the bootstrap checkpoint) puts a
/// KRaftVersion and a Voters record after the SnapshotHeader in its first batch: the check
/// accepts them.
#[test]
fn header_batch_may_carry_kraft_version_and_voters() {
    use kraft_records::{
        build_snapshot_footer_batch, build_snapshot_header_batch_with_kraft_control, VotersRecord,
    };
    let root = tempfile::tempdir().unwrap();
    let voters = VotersRecord {
        version: 0,
        voters: vec![],
    };
    let mut good = Vec::new();
    build_snapshot_header_batch_with_kraft_control(&mut good, 4, 9, 8, Some(1), Some(&voters));
    build_snapshot_footer_batch(&mut good, 3, 4, 9);
    let id = SnapshotId {
        end_offset: 10,
        epoch: 4,
    };
    let mut writer = SnapshotWriter::create(root.path(), id).unwrap();
    writer.append(&good).unwrap();
    let path = writer.freeze_checked(good.len() as u64).unwrap();
    let summary = SnapshotReader::open(&path).unwrap().check(None).unwrap();
    assert_eq!((summary.batches, summary.next_offset), (2, 4));
    assert_eq!(summary.last_contained_log_timestamp_ms, 8);
}
