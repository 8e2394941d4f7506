//! The follower's snapshot download (KIP-630, Kafka's `handleFetchSnapshotResponse`): a Fetch
//! answered with a snapshot id turns into FetchSnapshot requests, each chunk checked and written,
//! then the runtime loads the snapshot; errors, epoch changes and failed loads start over.

mod support;

use bytes::Bytes;
use kraft_engine::message::*;
use kraft_engine::{Input, ListenerEvent, Output, StateName};
use support::solo::*;

const SNAPSHOT: SnapshotId = SnapshotId {
    end_offset: 500,
    epoch: 3,
};
const SIZE: i64 = 25;

/// Node 1 following leader 2 in epoch 4, with a listener; its first Fetch is in flight.
fn follower() -> Solo {
    let mut s = Solo::restored_with_leader(1, &[1, 2, 3], 4, 2);
    s.step(Input::RegisterListener(9));
    s
}

fn fetch_snapshots(out: &[Output]) -> Vec<FetchSnapshotRequest> {
    sent(out)
        .into_iter()
        .filter_map(|(to, r)| match r {
            Request::FetchSnapshot(f) => {
                assert_eq!(to, 2, "FetchSnapshot goes to the leader");
                Some(f)
            }
            _ => None,
        })
        .collect()
}

fn chunks(out: &[Output]) -> Vec<(SnapshotId, i64, usize)> {
    out.iter()
        .filter_map(|o| match o {
            Output::WriteSnapshotChunk {
                snapshot_id,
                position,
                bytes,
            } => Some((*snapshot_id, *position, bytes.len())),
            _ => None,
        })
        .collect()
}

fn loads(out: &[Output]) -> Vec<(SnapshotId, i64, u64)> {
    out.iter()
        .filter_map(|o| match o {
            Output::LoadSnapshot {
                snapshot,
                generation,
            } => Some((snapshot.snapshot_id, snapshot.size_bytes, *generation)),
            _ => None,
        })
        .collect()
}

/// The leader answers the Fetch in flight with the snapshot id.
fn offer_snapshot(s: &mut Solo) -> Vec<Output> {
    let mut f = fetch_response(2, 4, 600, Records::Empty);
    f.snapshot_id = SNAPSHOT;
    f.log_start_offset = SNAPSHOT.end_offset;
    s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: Response::Fetch(f),
    })
}

fn chunk_response(id: SnapshotId, position: i64, len: usize) -> FetchSnapshotResponse {
    FetchSnapshotResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::NONE,
        topic_name: TOPIC.to_string(),
        partition: 0,
        partition_error_code: ErrorCode::NONE,
        snapshot_id: id,
        current_leader: LeaderIdAndEpoch {
            leader_id: 2,
            leader_epoch: 4,
        },
        size: SIZE,
        position,
        unaligned_records: SnapshotRecords::Bytes(Bytes::from(vec![7u8; len])),
        node_endpoints: Vec::new(),
    }
}

fn answer(s: &mut Solo, r: FetchSnapshotResponse) -> Vec<Output> {
    s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: Response::FetchSnapshot(r),
    })
}

fn error_response(error: ErrorCode) -> FetchSnapshotResponse {
    let mut r = chunk_response(SNAPSHOT, 0, 0);
    r.partition_error_code = error;
    r.size = -1;
    r.position = -1;
    r.unaligned_records = SnapshotRecords::Empty;
    r
}

/// Happy path: chunks written in order at their positions, the last one loads the snapshot; no
/// Fetch and no election while loading; after the load the log is the snapshot, listeners load
/// it, and fetching continues from its end offset.
#[test]
fn follower_downloads_and_loads_a_snapshot() {
    let mut s = follower();
    let out = offer_snapshot(&mut s);
    let requests = fetch_snapshots(&out);
    assert_eq!(requests.len(), 1, "{out:?}");
    assert_eq!(requests[0].snapshot_id, SNAPSHOT);
    assert_eq!(requests[0].position, 0);
    assert_eq!(
        requests[0].max_bytes,
        1 << 20,
        "Kafka's fetch.snapshot.max.bytes"
    );
    assert_eq!(requests[0].current_leader_epoch, 4);
    assert_eq!(requests[0].replica_id, 1);

    let out = answer(&mut s, chunk_response(SNAPSHOT, 0, 10));
    assert_eq!(chunks(&out), vec![(SNAPSHOT, 0, 10)]);
    assert!(loads(&out).is_empty());
    let progress = s.node.status().snapshot_download.expect("downloading");
    assert_eq!((progress.position, progress.size_bytes), (10, SIZE));
    let requests = fetch_snapshots(&out);
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].position, 10);

    let out = answer(&mut s, chunk_response(SNAPSHOT, 10, 15));
    assert_eq!(chunks(&out), vec![(SNAPSHOT, 10, 15)]);
    assert_eq!(loads(&out), vec![(SNAPSHOT, SIZE, 1)]);
    assert!(sent(&out).is_empty(), "nothing is fetched while loading");
    assert!(s.node.status().snapshot_download.unwrap().loading);
    // Until the load's result the old log stays, and no election starts.
    assert_eq!(s.node.status().log_end_offset, 0);
    let out = s.tick_to(s.now + 10_000);
    assert!(sent(&out).is_empty(), "{out:?}");
    assert_eq!(s.state(), StateName::Follower);

    let out = s.step(Input::SnapshotLoaded {
        snapshot_id: SNAPSHOT,
        generation: 1,
        kraft_control: Vec::new(),
    });
    let status = s.node.status();
    assert_eq!((status.log_start_offset, status.log_end_offset), (500, 500));
    assert_eq!(status.flushed_end_offset, 500);
    assert_eq!(status.log_generation, 1);
    assert_eq!(status.latest_snapshot, Some(SNAPSHOT));
    assert_eq!(status.high_watermark, Some(500));
    assert_eq!(status.snapshot_download, None);
    let listener_events: Vec<&ListenerEvent> = out
        .iter()
        .filter_map(|o| match o {
            Output::Listener { id: 9, event } => Some(event),
            _ => None,
        })
        .collect();
    assert!(
        listener_events.contains(&&ListenerEvent::LoadSnapshot {
            snapshot_id: SNAPSHOT
        }),
        "{out:?}"
    );
    let next = sent_fetches(&out);
    assert_eq!(next.len(), 1, "{out:?}");
    assert_eq!((next[0].fetch_offset, next[0].last_fetched_epoch), (500, 3));
}

/// SNAPSHOT_NOT_FOUND (retention deleted it) and POSITION_OUT_OF_RANGE restart the download:
/// the next request is a Fetch, which learns the leader's current snapshot.
#[test]
fn snapshot_not_found_and_position_out_of_range_restart_the_download() {
    for error in [
        ErrorCode::SNAPSHOT_NOT_FOUND,
        ErrorCode::POSITION_OUT_OF_RANGE,
    ] {
        let mut s = follower();
        offer_snapshot(&mut s);
        answer(&mut s, chunk_response(SNAPSHOT, 0, 10));
        let out = answer(&mut s, error_response(error));
        assert!(chunks(&out).is_empty());
        assert_eq!(s.node.status().snapshot_download, None, "{error:?}");
        let next = sent_fetches(&out);
        assert_eq!(next.len(), 1, "{error:?}: {out:?}");
        assert_eq!(next[0].fetch_offset, 0);
        // The Fetch is offered the snapshot again: a new download from position 0.
        let out = offer_snapshot(&mut s);
        assert_eq!(fetch_snapshots(&out)[0].position, 0);
    }
}

/// A chunk that does not continue the download (another id, a gap, a size change, more bytes
/// than the size) is not written; the download starts over after the backoff.
#[test]
fn chunk_that_does_not_continue_the_download_restarts_it() {
    let other = SnapshotId {
        end_offset: 400,
        epoch: 3,
    };
    let mut resized = chunk_response(SNAPSHOT, 10, 5);
    resized.size = SIZE + 1;
    let bad = [
        chunk_response(other, 10, 5),
        chunk_response(SNAPSHOT, 12, 5),
        chunk_response(SNAPSHOT, 10, 16),
        chunk_response(SNAPSHOT, 10, 0),
        resized,
    ];
    for r in bad {
        let mut s = follower();
        offer_snapshot(&mut s);
        answer(&mut s, chunk_response(SNAPSHOT, 0, 10));
        let out = answer(&mut s, r.clone());
        assert!(chunks(&out).is_empty(), "{r:?}");
        assert!(sent(&out).is_empty(), "backoff first: {r:?}");
        assert_eq!(s.node.status().snapshot_download, None);
        let out = s.tick_to(s.now + 100);
        assert_eq!(sent_fetches(&out).len(), 1, "{r:?}: {out:?}");
    }
}

/// A new epoch drops the download (Kafka: a new FollowerState); the answer to the old request
/// is refused, and the node fetches from the new leader with a Fetch.
#[test]
fn epoch_change_drops_the_download() {
    let mut s = follower();
    offer_snapshot(&mut s);
    answer(&mut s, chunk_response(SNAPSHOT, 0, 10));
    let stale_id = s.in_flight_id(2);
    let (_, out) = s.request(Request::BeginQuorumEpoch(begin_request(3, 5)));
    assert_eq!(s.epoch(), 5);
    assert_eq!(s.node.status().snapshot_download, None);
    let next: Vec<(i32, Request)> = sent(&out);
    assert!(
        next.iter()
            .any(|(to, r)| *to == 3 && matches!(r, Request::Fetch(_))),
        "{out:?}"
    );
    let out = s.step(Input::Response {
        from: 2,
        correlation_id: stale_id,
        response: Response::FetchSnapshot(chunk_response(SNAPSHOT, 10, 15)),
    });
    assert!(chunks(&out).is_empty() && loads(&out).is_empty(), "{out:?}");
}

/// A failed load keeps the old log and generation; the node fetches again from its old end.
#[test]
fn failed_load_keeps_the_log_and_fetches_again() {
    let mut s = follower();
    offer_snapshot(&mut s);
    answer(&mut s, chunk_response(SNAPSHOT, 0, 10));
    let out = answer(&mut s, chunk_response(SNAPSHOT, 10, 15));
    assert_eq!(loads(&out).len(), 1);
    let out = s.step(Input::SnapshotLoadFailed {
        snapshot_id: SNAPSHOT,
        generation: 1,
    });
    let status = s.node.status();
    assert_eq!((status.log_end_offset, status.log_generation), (0, 0));
    assert_eq!(status.latest_snapshot, None);
    assert_eq!(status.snapshot_download, None);
    assert!(sent(&out).is_empty(), "the retry backoff first: {out:?}");
    let out = s.tick_to(s.now + 100);
    let next = sent_fetches(&out);
    assert_eq!(next.len(), 1, "{out:?}");
    assert_eq!(next[0].fetch_offset, 0);
}

/// A fetch timeout while downloading (no answer from the leader) starts an election, as in
/// Kafka; while loading it waits for the load instead (a leader never loads a snapshot).
#[test]
fn election_waits_for_a_load_but_not_for_a_download() {
    let mut s = follower();
    offer_snapshot(&mut s);
    s.tick_to(s.now + 5_000);
    assert_eq!(
        s.state(),
        StateName::Candidate,
        "a stalled download times out"
    );

    let mut s = follower();
    offer_snapshot(&mut s);
    answer(&mut s, chunk_response(SNAPSHOT, 0, 10));
    answer(&mut s, chunk_response(SNAPSHOT, 10, 15));
    s.tick_to(s.now + 5_000);
    assert_eq!(
        s.state(),
        StateName::Follower,
        "loading blocks the election"
    );
    s.step(Input::SnapshotLoaded {
        snapshot_id: SNAPSHOT,
        generation: 1,
        kraft_control: Vec::new(),
    });
    s.tick_to(s.now + 5_000);
    assert_eq!(
        s.state(),
        StateName::Candidate,
        "then the fetch timeout applies"
    );
}
