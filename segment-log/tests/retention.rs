//! The log side of retention and snapshot download: segments wholly below a new log start are
//! deleted while readers holding them keep reading; reads below the start resolve to "gone";
//! the log start after a restart is derived from the retained segments (at or below the retained
//! snapshot); deleted snapshots vanish; a downloaded snapshot freezes only when whole and checked.

mod common;

use common::{data_batch, open_flushed_log, partition_dir, segment_files, small_config};
use kraft_records::{build_snapshot_footer_batch, build_snapshot_header_batch};
use kraft_segment_log::{
    delete_snapshot, list_snapshots, LogError, SegmentLog, SnapshotId, SnapshotWriter,
};

/// A Kafka-shaped snapshot: header, one data batch, footer.
fn kafka_snapshot_bytes(epoch: i32) -> Vec<u8> {
    let mut bytes = Vec::new();
    build_snapshot_header_batch(&mut bytes, epoch, 5, 4);
    bytes.extend_from_slice(&data_batch(1, epoch, 2, 30, 6));
    build_snapshot_footer_batch(&mut bytes, 3, epoch, 5);
    bytes
}

fn freeze_snapshot(dir: &std::path::Path, id: SnapshotId) {
    let mut writer = SnapshotWriter::create(dir, id).unwrap();
    writer.append(&kafka_snapshot_bytes(id.epoch)).unwrap();
    writer.freeze().unwrap();
}

#[test]
fn deleted_segments_stay_readable_through_held_slices_and_reads_below_the_start_are_gone() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let mut log = open_flushed_log(&dir, 80);
    let reader = log.reader();
    let held = reader.read(0, 1 << 20).unwrap().unwrap();
    let held_bytes = held.to_vec();
    let sizes: Vec<(i64, u64)> = log.segment_sizes().collect();
    assert!(sizes.len() >= 3, "{sizes:?}");
    assert_eq!(sizes[0].0, 0);
    let start = sizes[2].0;
    let deleted = log.advance_log_start_offset(start).unwrap();
    assert_eq!(deleted, 2);
    assert_eq!(log.segment_sizes().next().unwrap().0, start);
    // The slice taken before the deletion still reads the same bytes (the mapping is Arc'd).
    assert_eq!(&held[..], &held_bytes[..]);
    let generation = reader.generation();
    for offset in [0, start - 1] {
        assert!(matches!(
            reader.read_in_generation(offset, 1 << 20, generation),
            Err(LogError::OutOfRange { .. })
        ));
    }
    assert_eq!(reader.read(start, 10).unwrap().unwrap().base_offset, start);
}

#[test]
fn the_log_start_after_a_restart_comes_from_the_retained_segments_and_snapshot() {
    let root = tempfile::tempdir().unwrap();
    let dir = partition_dir(root.path());
    let mut log = open_flushed_log(&dir, 80);
    let sizes: Vec<(i64, u64)> = log.segment_sizes().collect();
    // The snapshot ends inside the third segment: two segments lie wholly below it.
    let old = SnapshotId {
        end_offset: sizes[1].0 + 1,
        epoch: 1,
    };
    let kept = SnapshotId {
        end_offset: sizes[2].0 + 1,
        epoch: 1,
    };
    freeze_snapshot(&dir, old);
    freeze_snapshot(&dir, kept);
    assert_eq!(log.advance_log_start_offset(kept.end_offset).unwrap(), 2);
    delete_snapshot(&dir, old).unwrap();
    assert_eq!(list_snapshots(&dir).unwrap(), [kept]);
    let before = segment_files(&dir).len();
    log.close().unwrap();

    let (log, report) = SegmentLog::open(&dir, small_config()).unwrap();
    // Derived: the first retained segment's base, at or below the retained snapshot's end.
    assert_eq!(log.log_start_offset(), sizes[2].0);
    assert!(log.log_start_offset() <= kept.end_offset);
    assert_eq!(report.snapshots, [kept]);
    assert_eq!(segment_files(&dir).len(), before);
    assert!(std::fs::read_dir(&dir).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(".deleted")));
}

#[test]
fn a_download_freezes_only_whole_and_checked() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let id = SnapshotId {
        end_offset: 500,
        epoch: 4,
    };
    let bytes = kafka_snapshot_bytes(4);
    let cases: [(&str, Vec<u8>, u64); 3] = [
        (
            "short of the advertised size",
            bytes.clone(),
            bytes.len() as u64 + 1,
        ),
        (
            "no footer",
            bytes[..bytes.len() - 60].to_vec(),
            bytes.len() as u64 - 60,
        ),
        ("no header", data_batch(0, 4, 1, 10, 1), 0),
    ];
    for (what, part, size) in cases {
        let size = if size == 0 { part.len() as u64 } else { size };
        let mut writer = SnapshotWriter::create(dir, id).unwrap();
        writer.append_raw(&part).unwrap();
        let err = writer.freeze_checked(size).unwrap_err();
        assert!(matches!(err, LogError::Corrupt { .. }), "{what}: {err}");
        assert_eq!(
            std::fs::read_dir(dir).unwrap().count(),
            0,
            "{what}: nothing left"
        );
    }
    let mut writer = SnapshotWriter::create(dir, id).unwrap();
    let (a, b) = bytes.split_at(50);
    writer.append_raw(a).unwrap();
    writer.append_raw(b).unwrap();
    writer.freeze_checked(bytes.len() as u64).unwrap();
    assert_eq!(list_snapshots(dir).unwrap(), [id]);
}
