//! Snapshots in the core (KIP-630, issue 15): a frozen snapshot is served, retention moves the
//! log start and a Fetch below it is sent to the snapshot.

mod support;

use kraft_engine::message::*;
use kraft_engine::{Input, Output, SnapshotInfo};
use support::solo::*;

/// Appends `count` records on a single-voter leader and makes them durable: they commit.
fn commit_records(s: &mut Solo, count: usize) {
    let epoch = s.epoch();
    for i in 0..count {
        s.node.append(s.now, epoch, &[i as u8; 16]).expect("leader");
    }
    let out = s.tick_to(s.now + 1_000);
    assert!(
        out.iter().any(|o| matches!(o, Output::AppendBatch { .. })),
        "{out:?}"
    );
    let status = s.node.status();
    s.step(Input::LogFlushed {
        flushed_end_offset: status.log_end_offset,
        generation: status.log_generation,
    });
    assert_eq!(s.node.high_watermark(), Some(status.log_end_offset));
}

fn snapshot(end_offset: i64, epoch: i32, size_bytes: i64) -> SnapshotInfo {
    SnapshotInfo {
        snapshot_id: SnapshotId { end_offset, epoch },
        size_bytes,
    }
}

fn fetch(s: &mut Solo, offset: i64, last_epoch: i32) -> FetchResponse {
    let mut r = fetch_request(7, s.epoch(), offset, last_epoch);
    r.max_wait_ms = 0;
    as_fetch(s.request(Request::Fetch(r)).0)
}

fn fetch_snapshot(s: &mut Solo, id: SnapshotId, position: i64) -> FetchSnapshotResponse {
    let r = FetchSnapshotRequest {
        cluster_id: Some(CLUSTER_ID.to_string()),
        replica_id: 7,
        max_bytes: 1 << 20,
        topic_name: TOPIC.to_string(),
        partition: 0,
        current_leader_epoch: s.epoch(),
        snapshot_id: id,
        position,
        replica_directory_id: Uuid::ZERO,
    };
    match s.request(Request::FetchSnapshot(r)).0 {
        Some(Response::FetchSnapshot(f)) => f,
        other => panic!("expected a FetchSnapshot response, got {other:?}"),
    }
}

/// A frozen snapshot is served by FetchSnapshot; retention then moves the log start, and a
/// Fetch below it gets the snapshot id instead of records (Kafka: FetchResponse.SnapshotId).
#[test]
fn frozen_snapshot_is_served_and_log_start_advances() {
    let mut s = Solo::leader(1, &[1]); // LeaderChange at offset 0, epoch 1
    commit_records(&mut s, 10); // [1, 11)
    let frozen = snapshot(6, 1, 4096);
    let f = fetch_snapshot(&mut s, frozen.snapshot_id, 0);
    assert_eq!(f.partition_error_code, ErrorCode::SNAPSHOT_NOT_FOUND);
    s.step(Input::SnapshotFrozen { snapshot: frozen });
    assert_eq!(s.node.status().latest_snapshot, Some(frozen.snapshot_id));
    let f = fetch_snapshot(&mut s, frozen.snapshot_id, 0);
    assert_eq!(f.partition_error_code, ErrorCode::NONE);
    assert_eq!(f.size, 4096);

    // Before retention the log still holds offset 3: a Fetch there gets records.
    let f = fetch(&mut s, 3, 1);
    assert_eq!(f.snapshot_id, SnapshotId::NONE);
    assert!(matches!(
        f.records,
        Records::LogRange { from_offset: 3, .. }
    ));
    assert_eq!(f.log_start_offset, 0);

    s.step(Input::LogStartAdvanced { start_offset: 6 });
    assert_eq!(s.node.status().log_start_offset, 6);
    let f = fetch(&mut s, 3, 1);
    assert_eq!(f.snapshot_id, frozen.snapshot_id, "{f:?}");
    assert_eq!(f.records, Records::Empty);
    assert_eq!(f.log_start_offset, 6);
    // At the log start in the snapshot's epoch, and above it: records as before.
    let f = fetch(&mut s, 6, 1);
    assert_eq!(f.snapshot_id, SnapshotId::NONE);
    assert!(matches!(
        f.records,
        Records::LogRange { from_offset: 6, .. }
    ));
    let f = fetch(&mut s, 9, 1);
    assert!(matches!(
        f.records,
        Records::LogRange { from_offset: 9, .. }
    ));
}

/// An older frozen snapshot does not replace a newer one, and the log start never goes back.
#[test]
fn older_snapshots_and_lower_log_starts_are_ignored() {
    let mut s = Solo::leader(1, &[1]);
    commit_records(&mut s, 10);
    s.step(Input::SnapshotFrozen {
        snapshot: snapshot(8, 1, 100),
    });
    s.step(Input::SnapshotFrozen {
        snapshot: snapshot(4, 1, 100),
    });
    assert_eq!(
        s.node.status().latest_snapshot,
        Some(SnapshotId {
            end_offset: 8,
            epoch: 1
        })
    );
    s.step(Input::LogStartAdvanced { start_offset: 8 });
    s.step(Input::LogStartAdvanced { start_offset: 4 });
    assert_eq!(s.node.status().log_start_offset, 8);
    // Retention up to the log end: the log is empty, its position is the snapshot's.
    s.step(Input::SnapshotFrozen {
        snapshot: snapshot(11, 1, 100),
    });
    s.step(Input::LogStartAdvanced { start_offset: 11 });
    let status = s.node.status();
    assert_eq!((status.log_start_offset, status.log_end_offset), (11, 11));
    assert_eq!(status.last_fetched_epoch, 1);
    let f = fetch(&mut s, 10, 1);
    assert_eq!(f.snapshot_id.end_offset, 11);
    // The leader keeps appending after the snapshot.
    commit_records(&mut s, 2);
    assert_eq!(s.node.status().log_end_offset, 13);
}

/// A snapshot past the high watermark would hold uncommitted data: the runtime's bug, refused.
#[test]
#[should_panic(expected = "past the high watermark")]
fn snapshot_past_high_watermark_is_refused() {
    let mut s = Solo::leader(1, &[1]);
    commit_records(&mut s, 3);
    s.step(Input::SnapshotFrozen {
        snapshot: snapshot(5, 1, 100),
    });
}

/// Retention may only cut at a frozen snapshot.
#[test]
#[should_panic(expected = "must be a frozen snapshot's end")]
fn log_start_without_snapshot_is_refused() {
    let mut s = Solo::leader(1, &[1]);
    commit_records(&mut s, 3);
    s.step(Input::LogStartAdvanced { start_offset: 2 });
}

/// A restored log starts at 0 or at a snapshot's end, and holds its latest snapshot (the runtime
/// starts a log that lost its tail below the snapshot over at it, as Kafka does).
#[test]
fn restore_checks_the_log_start_against_the_snapshot() {
    use kraft_engine::{RaftNode, RestoreError, RestoredState};
    let restore = |start: i64, end: i64, snapshot_end: Option<i64>| {
        let mut r = RestoredState::empty();
        r.log_start_offset = start;
        r.log_end_offset = end;
        r.flushed_end_offset = end;
        r.latest_snapshot = snapshot_end.map(|e| snapshot(e, 1, 100));
        RaftNode::new(support::config(1, &[1, 2, 3]), r, 0, 1).map(|_| ())
    };
    assert!(restore(0, 10, None).is_ok());
    assert!(restore(0, 10, Some(5)).is_ok());
    assert!(restore(5, 10, Some(8)).is_ok());
    assert!(restore(8, 8, Some(8)).is_ok());
    for (start, end, snapshot_end) in [(5, 10, None), (5, 10, Some(4)), (5, 10, Some(12))] {
        assert!(
            matches!(
                restore(start, end, snapshot_end),
                Err(RestoreError::Inconsistent(_))
            ),
            "[{start}, {end}) with {snapshot_end:?}"
        );
    }
}
