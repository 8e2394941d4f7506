//! KIP-853 at start: recovery collects every KRaftVersion and Voters record of the log's control
//! batches, across segments, with their offsets; a torn tail's records are not among them; a
//! CRC-valid control batch whose Voters record does not decode refuses the log.

mod common;

use common::{data_batch, partition_dir, scratch_dir, small_config};
use kraft_records::{
    build_kraft_control_batch, BatchBuilder, ControlRecord, ControlRecordType, Uuid, VoterEndpoint,
    VoterRecord, VotersRecord,
};
use kraft_segment_log::{LogError, SegmentLog};

fn voters(ids: &[i32]) -> VotersRecord {
    VotersRecord {
        version: 0,
        voters: ids
            .iter()
            .map(|&id| VoterRecord {
                voter_id: id,
                voter_directory_id: Uuid([id as u8; 16]),
                endpoints: vec![VoterEndpoint {
                    name: "CONTROLLER".into(),
                    host: "localhost".into(),
                    port: 9000 + id as u16,
                }],
                kraft_version_min: 0,
                kraft_version_max: 1,
            })
            .collect(),
    }
}

#[test]
fn recovery_collects_the_kraft_control_records_of_every_segment() {
    let root = scratch_dir();
    let dir = partition_dir(root.path());
    let (mut log, report) = SegmentLog::open(&dir, small_config()).unwrap();
    assert!(report.kraft_control.is_empty());
    log.append(&build_kraft_control_batch(
        0,
        1,
        0,
        Some(1),
        Some(&voters(&[1])),
    ))
    .unwrap();
    // Enough data to roll several 4 KiB segments between the two changes.
    for i in 0..40 {
        log.append(&data_batch(0, 1, 1, 200, i)).unwrap();
    }
    let second = log.log_end_offset();
    log.append(&build_kraft_control_batch(
        second,
        1,
        0,
        None,
        Some(&voters(&[1, 2])),
    ))
    .unwrap();
    log.append(&data_batch(0, 1, 1, 10, 99)).unwrap();
    log.flush().unwrap();
    drop(log);
    let (log, report) = SegmentLog::open(&dir, small_config()).unwrap();
    assert!(report.segments > 2, "{report:?}");
    assert_eq!(
        report.kraft_control,
        [
            (
                0,
                ControlRecord::KRaftVersion {
                    version: 0,
                    kraft_version: 1
                }
            ),
            (1, ControlRecord::KRaftVoters(voters(&[1]))),
            (second, ControlRecord::KRaftVoters(voters(&[1, 2]))),
        ]
    );
    assert_eq!(log.log_end_offset(), second + 2);
}

#[test]
fn a_torn_control_batch_is_not_collected() {
    let root = scratch_dir();
    let dir = partition_dir(root.path());
    let (mut log, _) = SegmentLog::open(&dir, small_config()).unwrap();
    log.append(&build_kraft_control_batch(
        0,
        1,
        0,
        Some(1),
        Some(&voters(&[1])),
    ))
    .unwrap();
    log.append(&build_kraft_control_batch(
        2,
        1,
        0,
        None,
        Some(&voters(&[1, 2])),
    ))
    .unwrap();
    log.flush().unwrap();
    drop(log);
    let segment = dir.join("00000000000000000000.log");
    let len = std::fs::metadata(&segment).unwrap().len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&segment)
        .unwrap();
    file.set_len(len - 3).unwrap();
    let (log, report) = SegmentLog::open(&dir, small_config()).unwrap();
    assert_eq!(log.log_end_offset(), 2);
    assert!(report.dropped_tail.is_some());
    assert_eq!(report.kraft_control.len(), 2, "{:?}", report.kraft_control);
    assert_eq!(report.kraft_control[1].0, 1);
}

#[test]
fn an_undecodable_voters_record_refuses_the_log() {
    let root = scratch_dir();
    let dir = partition_dir(root.path());
    let (mut log, _) = SegmentLog::open(&dir, small_config()).unwrap();
    let mut batch = Vec::new();
    let mut builder = BatchBuilder::control(&mut batch, 0, 1, 0);
    // A Voters record cut short: the CRC covers it, so it is no torn write.
    builder.append_control(ControlRecordType::KRaftVoters, &[0, 0, 2, 0, 0]);
    builder.finish();
    log.append(&batch).unwrap();
    log.flush().unwrap();
    drop(log);
    let error = SegmentLog::open(&dir, small_config()).unwrap_err();
    assert!(matches!(error, LogError::Corrupt { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("00000000000000000000.log") && message.contains("offset 0"),
        "{message}"
    );
}
