//! The workload's snapshot files: written as Kafka snapshots, read back, and a damaged or torn
//! one is refused (deleted and reported by `load_latest_valid`, never loaded).

use kraft_perf::{
    load_latest_valid, read_snapshot, read_snapshot_contents, write_snapshot, SnapshotKRaftControl,
    SnapshotLoadError, WorkloadState,
};
use kraft_records::{
    build_snapshot_footer_batch, build_snapshot_header_batch_with_kraft_control,
    parse_control_record, validate_batch, BatchBuilder, BatchIter, ControlRecord, Uuid,
    VoterEndpoint, VoterRecord, VotersRecord,
};
use kraft_segment_log::{list_snapshots, SnapshotId, SnapshotReader, SnapshotWriter};

/// A state after `batches` committed data batches of 3 records each.
fn state_after(batches: i64) -> WorkloadState {
    let mut state = WorkloadState::default();
    for i in 0..batches {
        let mut buf = Vec::new();
        let mut builder = BatchBuilder::new(&mut buf, i * 3, 2, 1_000 + i);
        for r in 0..3u8 {
            builder.append_value(&[r ^ i as u8; 40]);
        }
        builder.finish();
        let header = validate_batch(&buf).unwrap();
        assert!(state.apply_batch(&header, &buf).unwrap());
    }
    state
}

#[test]
fn a_snapshot_is_a_kafka_snapshot_file_and_loads_back() {
    let dir = tempfile::tempdir().unwrap();
    let state = state_after(5);
    let frozen =
        write_snapshot(dir.path(), &state, &SnapshotKRaftControl::default(), 42_000).unwrap();
    assert_eq!(
        frozen.id,
        SnapshotId {
            end_offset: 15,
            epoch: 2
        }
    );
    assert_eq!(
        frozen.path.file_name().unwrap().to_str().unwrap(),
        "00000000000000000015-0000000002.checkpoint"
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 1, "no .part left behind: {names:?}");

    let reader = SnapshotReader::open(&frozen.path).unwrap();
    assert_eq!(reader.size_bytes(), frozen.size_bytes);
    let summary = reader.check(Some(frozen.size_bytes)).unwrap();
    assert_eq!(summary.batches, 3);
    assert_eq!(summary.last_contained_log_timestamp_ms, 1_004);
    let batches: Vec<_> = BatchIter::new(reader.bytes()).map(Result::unwrap).collect();
    assert_eq!(
        batches
            .iter()
            .map(|b| b.header.base_offset)
            .collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert!(batches.iter().all(|b| b.header.partition_leader_epoch == 2));
    let header = parse_control_record(&batches[0].records().next().unwrap().unwrap()).unwrap();
    assert_eq!(
        header,
        ControlRecord::SnapshotHeader {
            version: 0,
            last_contained_log_timestamp: 1_004
        }
    );
    assert_eq!(read_snapshot(&frozen.path, frozen.id).unwrap(), state);
    let latest = load_latest_valid(dir.path()).unwrap();
    assert!(latest.rejected.is_empty());
    assert_eq!(latest.loaded.unwrap().1.state, state);
}

#[test]
fn a_damaged_or_torn_snapshot_is_deleted_and_the_older_one_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let old = state_after(2);
    let old_frozen = write_snapshot(dir.path(), &old, &SnapshotKRaftControl::default(), 1).unwrap();
    let flipped = write_snapshot(
        dir.path(),
        &state_after(3),
        &SnapshotKRaftControl::default(),
        2,
    )
    .unwrap();
    let torn = write_snapshot(
        dir.path(),
        &state_after(4),
        &SnapshotKRaftControl::default(),
        3,
    )
    .unwrap();
    // One bit flipped in the state record of one, the footer cut off the newest.
    let mut bytes = std::fs::read(&flipped.path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x10;
    std::fs::write(&flipped.path, &bytes).unwrap();
    let bytes = std::fs::read(&torn.path).unwrap();
    std::fs::write(&torn.path, &bytes[..bytes.len() - 20]).unwrap();
    assert!(matches!(
        read_snapshot(&flipped.path, flipped.id),
        Err(SnapshotLoadError::File(_))
    ));

    let latest = load_latest_valid(dir.path()).unwrap();
    let (frozen, contents) = latest.loaded.unwrap();
    assert_eq!((frozen.id, contents.state), (old_frozen.id, old));
    let rejected: Vec<_> = latest.rejected.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(rejected, [torn.path.clone(), flipped.path.clone()]);
    assert_eq!(list_snapshots(dir.path()).unwrap(), [old_frozen.id]);
}

#[test]
fn a_snapshot_whose_name_disagrees_with_its_state_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let frozen = write_snapshot(
        dir.path(),
        &state_after(2),
        &SnapshotKRaftControl::default(),
        1,
    )
    .unwrap();
    let lying = SnapshotId {
        end_offset: 9,
        epoch: 2,
    };
    std::fs::rename(&frozen.path, lying.path_in(dir.path())).unwrap();
    let err = read_snapshot(&lying.path_in(dir.path()), lying).unwrap_err();
    assert!(
        matches!(err, SnapshotLoadError::NotWorkloadState { .. }),
        "{err}"
    );
}

fn two_voters() -> VotersRecord {
    let voter = |id: i32| VoterRecord {
        voter_id: id,
        voter_directory_id: Uuid([id as u8; 16]),
        endpoints: vec![VoterEndpoint {
            name: "CONTROLLER".into(),
            host: format!("node{id}.example"),
            port: 9090 + id as u16,
        }],
        kraft_version_min: 0,
        kraft_version_max: 1,
    };
    VotersRecord {
        version: 0,
        voters: vec![voter(1), voter(2)],
    }
}

/// At kraft.version 1 the header batch holds SnapshotHeader, KRaftVersion and Voters (Kafka's
/// `RecordsSnapshotWriter`), the state and footer follow at offsets 3 and 4, and the reader hands
/// both records back with the state.
#[test]
fn a_kraft_version_1_snapshot_carries_the_voter_set() {
    let dir = tempfile::tempdir().unwrap();
    let state = state_after(4);
    let kraft = SnapshotKRaftControl {
        kraft_version: 1,
        voters: Some(two_voters()),
    };
    let frozen = write_snapshot(dir.path(), &state, &kraft, 42_000).unwrap();
    let reader = SnapshotReader::open(&frozen.path).unwrap();
    let summary = reader.check(Some(frozen.size_bytes)).unwrap();
    assert_eq!((summary.batches, summary.next_offset), (3, 5));
    let batches: Vec<_> = BatchIter::new(reader.bytes()).map(Result::unwrap).collect();
    let bases: Vec<i64> = batches.iter().map(|b| b.header.base_offset).collect();
    assert_eq!(bases, [0, 3, 4]);
    let contents = read_snapshot_contents(&frozen.path, frozen.id).unwrap();
    assert_eq!(contents.state, state);
    assert_eq!(
        contents.kraft_control,
        [
            (
                1,
                ControlRecord::KRaftVersion {
                    version: 0,
                    kraft_version: 1
                }
            ),
            (2, ControlRecord::KRaftVoters(two_voters())),
        ]
    );
    let latest = load_latest_valid(dir.path()).unwrap();
    assert_eq!(latest.loaded.unwrap().1.kraft_control.len(), 2);
    // kraft.version 0: nothing after the header, as Kafka.
    let plain = read_snapshot_contents(
        &write_snapshot(
            dir.path(),
            &state_after(5),
            &SnapshotKRaftControl::default(),
            1,
        )
        .unwrap()
        .path,
        SnapshotId {
            end_offset: 15,
            epoch: 2,
        },
    )
    .unwrap();
    assert!(plain.kraft_control.is_empty());
}

/// The bootstrap checkpoint (0, 0) of `kraft-storage format` holds no workload state: the
/// startup loader neither loads it nor deletes it as a damaged snapshot.
#[test]
fn the_bootstrap_checkpoint_is_left_alone_by_the_state_loader() {
    let dir = tempfile::tempdir().unwrap();
    let bootstrap = SnapshotId {
        end_offset: 0,
        epoch: 0,
    };
    let mut bytes = Vec::new();
    let header = build_snapshot_header_batch_with_kraft_control(
        &mut bytes,
        0,
        1,
        -1,
        Some(1),
        Some(&two_voters()),
    );
    build_snapshot_footer_batch(&mut bytes, header.next_offset(), 0, 1);
    let mut writer = SnapshotWriter::create(dir.path(), bootstrap).unwrap();
    writer.append(&bytes).unwrap();
    writer.freeze().unwrap();
    let latest = load_latest_valid(dir.path()).unwrap();
    assert!(latest.loaded.is_none() && latest.rejected.is_empty());
    assert_eq!(list_snapshots(dir.path()).unwrap(), [bootstrap]);
}
