//! The leader's Fetch (1), FetchSnapshot (59) and DescribeQuorum (55) handlers: every error path
//! of spec 3.6-3.8, long polling, DivergingEpoch / SnapshotId, HW rules of spec 5.1
//! (Raft §5.3 log replication, §5.4.2 committing entries from the current term).

mod support;

use kraft_engine::message::*;
use kraft_engine::{
    ElectionState, EpochEntry, Input, Output, RestoredState, SnapshotInfo, StateName,
};
use support::solo::*;

fn fetch(s: &mut Solo, r: FetchRequest) -> (Option<FetchResponse>, Vec<Output>) {
    let (resp, out) = s.request(Request::Fetch(r));
    (resp.map(|r| as_fetch(Some(r))), out)
}

#[test]
fn top_level_errors_echo_topic_id() {
    let mut s = Solo::leader(1, &[1, 2, 3]);
    let mut r = fetch_request(2, 1, 0, 0);
    r.cluster_id = Some("x".into());
    let f = fetch(&mut s, r).0.unwrap();
    assert_eq!(f.error_code, ErrorCode::INCONSISTENT_CLUSTER_ID);
    let mut r = fetch_request(2, 1, 0, 0);
    r.topic_id = Uuid::from_parts(0, 1);
    let f = fetch(&mut s, r).0.unwrap();
    assert_eq!(f.error_code, ErrorCode::INVALID_REQUEST);
    assert_eq!(f.topic_id, Uuid::from_parts(0, 1));
    let mut r = fetch_request(2, 1, 0, 0);
    r.partition = 1;
    assert_eq!(
        fetch(&mut s, r).0.unwrap().error_code,
        ErrorCode::INVALID_REQUEST
    );
}

#[test]
fn invalid_fields_are_partition_level_invalid_request() {
    let mut s = Solo::leader(1, &[1, 2, 3]);
    let mut bad = Vec::new();
    let mut r = fetch_request(2, 1, 0, 0);
    r.max_wait_ms = -1;
    bad.push(r);
    bad.push(fetch_request(2, 1, -1, 0));
    bad.push(fetch_request(2, 1, 0, -1));
    bad.push(fetch_request(2, 1, 0, 2)); // last fetched epoch above current leader epoch
    for r in bad {
        let f = fetch(&mut s, r.clone()).0.unwrap();
        assert_eq!(f.error_code, ErrorCode::NONE, "{r:?}");
        assert_eq!(f.partition_error_code, ErrorCode::INVALID_REQUEST, "{r:?}");
        assert_eq!(f.records, Records::Empty);
    }
}

#[test]
fn epoch_checks_fenced_unknown_and_not_leader() {
    let mut s = Solo::leader(1, &[1, 2, 3]);
    let f = fetch(&mut s, fetch_request(2, 0, 0, 0)).0.unwrap();
    assert_eq!(f.partition_error_code, ErrorCode::FENCED_LEADER_EPOCH);
    assert_eq!(
        f.current_leader,
        LeaderIdAndEpoch {
            leader_id: 1,
            leader_epoch: 1
        }
    );
    let f = fetch(&mut s, fetch_request(2, 2, 0, 0)).0.unwrap();
    assert_eq!(f.partition_error_code, ErrorCode::UNKNOWN_LEADER_EPOCH);

    let mut follower = Solo::restored_with_leader(1, &[1, 2, 3], 4, 2);
    let f = fetch(&mut follower, fetch_request(3, 4, 0, 0)).0.unwrap();
    assert_eq!(f.partition_error_code, ErrorCode::NOT_LEADER_OR_FOLLOWER);
    // The response names the leader so the fetcher can find it.
    assert_eq!(
        f.current_leader,
        LeaderIdAndEpoch {
            leader_id: 2,
            leader_epoch: 4
        }
    );
}

#[test]
fn leader_shutting_down_answers_broker_not_available() {
    let mut s = Solo::leader(1, &[1]);
    s.step(Input::Shutdown);
    let f = fetch(&mut s, fetch_request(7, 1, 0, 0)).0.unwrap();
    assert_eq!(f.partition_error_code, ErrorCode::BROKER_NOT_AVAILABLE);
}

/// Spec 3.6 step 4 / 4.4: a fetcher whose log diverges is told where to truncate.
#[test]
fn diverging_fetch_gets_diverging_epoch() {
    let mut s = Solo::leader(1, &[1, 2, 3]); // log [0,1) in epoch 1
    let f = fetch(&mut s, fetch_request(2, 1, 5, 1)).0.unwrap();
    assert_eq!(f.partition_error_code, ErrorCode::NONE);
    assert_eq!(
        f.diverging_epoch,
        EpochEndOffset {
            epoch: 1,
            end_offset: 1
        }
    );
    assert_eq!(f.records, Records::Empty);
    // A diverging fetch does not count as progress.
    assert_eq!(
        s.node.describe_quorum().unwrap().current_voters[1].log_end_offset,
        -1
    );
}

/// A fetcher below the log start is sent to the latest snapshot.
#[test]
fn fetch_below_log_start_gets_snapshot_id() {
    let mut cfg = support::config(1, &[1, 2, 3]);
    cfg.pre_vote = false;
    let restored = RestoredState {
        election: ElectionState {
            epoch: 3,
            leader_id: None,
            voted_key: None,
        },
        log_start_offset: 100,
        log_end_offset: 120,
        flushed_end_offset: 120,
        epoch_entries: vec![EpochEntry {
            epoch: 3,
            start_offset: 100,
        }],
        latest_snapshot: Some(SnapshotInfo {
            snapshot_id: SnapshotId {
                end_offset: 100,
                epoch: 3,
            },
            size_bytes: 4096,
        }),
        kraft_control: Vec::new(),
    };
    let (mut s, _) = Solo::new(cfg, restored);
    s.tick_next();
    s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: Response::Vote(vote_response(4, -1, true)),
    });
    assert_eq!(s.state(), StateName::Leader);
    let f = fetch(&mut s, fetch_request(2, 4, 0, 0)).0.unwrap();
    assert_eq!(
        f.snapshot_id,
        SnapshotId {
            end_offset: 100,
            epoch: 3
        }
    );
    let f = fetch(&mut s, fetch_request(2, 4, 50, 2)).0.unwrap();
    assert_eq!(
        f.snapshot_id,
        SnapshotId {
            end_offset: 100,
            epoch: 3
        }
    );
    assert_eq!(f.log_start_offset, 100);

    // FetchSnapshot of that snapshot: a file range; errors for unknown ids and positions.
    let snap_req = |id: SnapshotId, position: i64| FetchSnapshotRequest {
        cluster_id: None,
        replica_id: 2,
        max_bytes: 1000,
        topic_name: TOPIC.into(),
        partition: 0,
        current_leader_epoch: 4,
        snapshot_id: id,
        position,
        replica_directory_id: Uuid::ZERO,
    };
    let as_snap = |r: Option<Response>| match r {
        Some(Response::FetchSnapshot(f)) => f,
        other => panic!("{other:?}"),
    };
    let id = SnapshotId {
        end_offset: 100,
        epoch: 3,
    };
    let f = as_snap(s.request(Request::FetchSnapshot(snap_req(id, 1000))).0);
    assert_eq!(f.partition_error_code, ErrorCode::NONE);
    assert_eq!(f.size, 4096);
    assert_eq!(
        f.unaligned_records,
        SnapshotRecords::FileRange {
            snapshot_id: id,
            position: 1000,
            length: 1000
        }
    );
    let f = as_snap(s.request(Request::FetchSnapshot(snap_req(id, 4096))).0);
    assert_eq!(f.partition_error_code, ErrorCode::POSITION_OUT_OF_RANGE);
    let f = as_snap(s.request(Request::FetchSnapshot(snap_req(id, -1))).0);
    assert_eq!(f.partition_error_code, ErrorCode::POSITION_OUT_OF_RANGE);
    let other = SnapshotId {
        end_offset: 90,
        epoch: 3,
    };
    let f = as_snap(s.request(Request::FetchSnapshot(snap_req(other, 0))).0);
    assert_eq!(f.partition_error_code, ErrorCode::SNAPSHOT_NOT_FOUND);
    let bootstrap = SnapshotId {
        end_offset: 0,
        epoch: 0,
    };
    let f = as_snap(s.request(Request::FetchSnapshot(snap_req(bootstrap, 0))).0);
    assert_eq!(f.partition_error_code, ErrorCode::SNAPSHOT_NOT_FOUND);
    let mut r = snap_req(id, 0);
    r.topic_name = "nope".into();
    let f = as_snap(s.request(Request::FetchSnapshot(r)).0);
    assert_eq!(
        f.partition_error_code,
        ErrorCode::UNKNOWN_TOPIC_OR_PARTITION
    );
    let mut r = snap_req(id, 0);
    r.cluster_id = Some("x".into());
    let f = as_snap(s.request(Request::FetchSnapshot(r)).0);
    assert_eq!(f.error_code, ErrorCode::INCONSISTENT_CLUSTER_ID);
    let mut r = snap_req(id, 0);
    r.current_leader_epoch = 3;
    let f = as_snap(s.request(Request::FetchSnapshot(r)).0);
    assert_eq!(f.partition_error_code, ErrorCode::FENCED_LEADER_EPOCH);
}

/// Spec 5.1 / Raft §5.4.2: the HW needs a majority, must pass the epoch start, and counts the
/// leader only up to its flushed offset.
#[test]
fn high_watermark_needs_majority_epoch_start_and_leader_flush() {
    let mut cfg = support::config(1, &[1, 2, 3]);
    cfg.pre_vote = false;
    let (mut s, _) = Solo::new(cfg, RestoredState::empty());
    s.tick_next();
    s.step(Input::Response {
        from: 2,
        correlation_id: s.in_flight_id(2),
        response: Response::Vote(vote_response(1, -1, true)),
    });
    assert_eq!(s.state(), StateName::Leader);
    // Leader not flushed yet: a follower at offset 1 is not enough.
    let mut r = fetch_request(2, 1, 1, 1);
    r.max_wait_ms = 0;
    let f = fetch(&mut s, r.clone()).0.unwrap();
    assert_eq!(f.high_watermark, -1);
    s.step(Input::LogFlushed {
        flushed_end_offset: 1,
        generation: s.node.status().log_generation,
    });
    assert_eq!(s.node.high_watermark(), Some(1));
    let f = fetch(&mut s, r).0.unwrap();
    assert_eq!(f.high_watermark, 1);
}

/// The runtime releases cached log pages below where the furthest-behind replica reads next.
#[test]
fn lowest_replica_fetch_offset_tracks_the_slowest_fetcher_and_only_on_a_leader() {
    let mut s = Solo::leader(1, &[1, 2, 3]);
    assert_eq!(
        s.node.lowest_replica_fetch_offset(),
        None,
        "nobody fetched yet"
    );
    let epoch = s.epoch();
    for _ in 0..3 {
        s.node.append(s.now, epoch, b"x").unwrap();
    }
    s.tick_to(s.now + 25);
    let mut r = fetch_request(2, epoch, 3, epoch);
    r.max_wait_ms = 0;
    fetch(&mut s, r);
    assert_eq!(s.node.lowest_replica_fetch_offset(), Some(3));
    let mut r = fetch_request(3, epoch, 1, epoch);
    r.max_wait_ms = 0;
    fetch(&mut s, r);
    assert_eq!(
        s.node.lowest_replica_fetch_offset(),
        Some(1),
        "the slower one"
    );
    let mut r = fetch_request(3, epoch, 4, epoch);
    r.max_wait_ms = 0;
    fetch(&mut s, r);
    assert_eq!(s.node.lowest_replica_fetch_offset(), Some(3));
    // A replica silent for longer than the fetch timeout no longer holds the others back.
    let later = s.now + 1500;
    s.tick_to(later);
    let mut r = fetch_request(3, epoch, 4, epoch);
    r.max_wait_ms = 0;
    fetch(&mut s, r);
    assert_eq!(
        s.node.lowest_replica_fetch_offset(),
        Some(3),
        "2 fetched 1.5 s ago"
    );
    s.tick_to(later + 1000);
    assert_eq!(
        s.node.lowest_replica_fetch_offset(),
        Some(4),
        "2 silent for 2.5 s"
    );

    let unattached = Solo::fresh(2, &[1, 2, 3]);
    assert_ne!(unattached.state(), StateName::Leader);
    assert_eq!(unattached.node.lowest_replica_fetch_offset(), None);
}

#[test]
fn epoch_start_offset_alone_does_not_commit() {
    let mut s = Solo::leader(1, &[1, 2, 3]);
    // A follower that has only the previous epochs' data (offset 0) does not commit offset 0.
    let mut r = fetch_request(2, 1, 0, 0);
    r.max_wait_ms = 0;
    let f = fetch(&mut s, r).0.unwrap();
    assert_eq!(f.high_watermark, -1);
    assert_eq!(s.node.high_watermark(), None);
}

/// Long poll: park until new data or MaxWaitMs.
#[test]
fn fetch_parks_until_new_data_or_max_wait() {
    let mut s = Solo::leader(1, &[1, 2, 3]);
    let (resp, _) = fetch(&mut s, fetch_request(2, 1, 1, 1));
    assert!(resp.is_none(), "nothing new: parked");
    let parked_id = s.last_request_id();
    // The fetch made offset 1 committed (leader flushed + follower 2).
    assert_eq!(s.node.high_watermark(), Some(1));
    // New data wakes it once the batch reaches the log (after linger).
    let epoch = s.epoch();
    let offset = s.node.append(s.now, epoch, b"x").unwrap();
    assert_eq!(offset, 1);
    let out = s.tick_to(s.now + 25);
    let f = as_fetch(respond_to(&out, parked_id));
    assert_eq!(
        f.records,
        Records::LogRange {
            from_offset: 1,
            max_bytes: 8 << 20,
            generation: 0
        }
    );
    assert_eq!(f.high_watermark, 1);
    // The AppendBatch comes before the response that reads it.
    let append = out
        .iter()
        .position(|o| matches!(o, Output::AppendBatch { .. }))
        .unwrap();
    let respond = out
        .iter()
        .position(|o| matches!(o, Output::Respond { .. }))
        .unwrap();
    assert!(append < respond);

    // With no new data, the fetch is answered empty at MaxWaitMs.
    let start = s.now;
    let (resp, _) = fetch(&mut s, fetch_request(3, 1, 2, 1));
    assert!(resp.is_none());
    let id = s.last_request_id();
    assert!(respond_to(&s.tick_to(start + 499), id).is_none());
    let f = as_fetch(respond_to(&s.tick_to(start + 500), id));
    assert_eq!(f.records, Records::Empty);
    assert_eq!(f.partition_error_code, ErrorCode::NONE);
}

#[test]
fn max_wait_zero_and_stale_follower_high_watermark_answer_at_once() {
    let mut s = Solo::leader(1, &[1, 2, 3]);
    let mut r = fetch_request(2, 1, 1, 1);
    r.max_wait_ms = 0;
    assert!(fetch(&mut s, r).0.is_some());
    assert_eq!(s.node.high_watermark(), Some(1));
    // Fetch v18: the fetcher's HW (0) is behind the leader's (1).
    let mut r = fetch_request(3, 1, 1, 1);
    r.high_watermark = 0;
    let f = fetch(&mut s, r).0.expect("answered at once");
    assert_eq!(f.high_watermark, 1);
}

/// Spec 2.9: leaving leadership fails parked fetches with NOT_LEADER_OR_FOLLOWER.
#[test]
fn resign_fails_parked_fetches() {
    let mut s = Solo::leader(1, &[1, 2, 3]);
    assert!(fetch(&mut s, fetch_request(2, 1, 1, 1)).0.is_none());
    let id = s.last_request_id();
    let out = s.step(Input::Resign { epoch: 1 });
    assert_eq!(s.state(), StateName::Resigned);
    let f = as_fetch(respond_to(&out, id));
    assert_eq!(f.partition_error_code, ErrorCode::NOT_LEADER_OR_FOLLOWER);
    // Resigned: EndQuorumEpoch to the other voters, most caught-up first.
    let ends: Vec<_> = sent(&out)
        .into_iter()
        .filter_map(|(to, r)| match r {
            Request::EndQuorumEpoch(e) => Some((to, e)),
            _ => None,
        })
        .collect();
    assert_eq!(ends.len(), 2);
    assert_eq!(ends[0].1.preferred_successors, vec![2, 3]);
    // A resign for another epoch is ignored.
    let mut s = Solo::leader(1, &[1, 2, 3]);
    s.step(Input::Resign { epoch: 7 });
    assert_eq!(s.state(), StateName::Leader);
}

/// Observers fetch like followers, are listed by DescribeQuorum, never count for the HW.
#[test]
fn observers_are_served_listed_and_not_counted() {
    let mut s = Solo::leader(1, &[1, 2, 3]);
    let mut r = fetch_request(7, 1, 1, 1);
    r.max_wait_ms = 0;
    let f = fetch(&mut s, r).0.unwrap();
    assert_eq!(f.partition_error_code, ErrorCode::NONE);
    assert_eq!(s.node.high_watermark(), None, "an observer is not a voter");
    let mut r = fetch_request(-1, 1, 0, 0);
    r.max_wait_ms = 0;
    let f = fetch(&mut s, r).0.unwrap();
    assert!(matches!(
        f.records,
        Records::LogRange { from_offset: 0, .. }
    ));
    let d = as_describe(s.request(Request::DescribeQuorum(describe_request())).0);
    assert_eq!(d.partition_error_code, ErrorCode::NONE);
    assert_eq!((d.leader_id, d.leader_epoch), (1, 1));
    let voters: Vec<i32> = d.current_voters.iter().map(|v| v.replica_id).collect();
    assert_eq!(voters, vec![1, 2, 3]);
    assert_eq!(d.current_voters[0].log_end_offset, 1);
    let observers: Vec<(i32, i64)> = d
        .observers
        .iter()
        .map(|o| (o.replica_id, o.log_end_offset))
        .collect();
    assert_eq!(
        observers,
        vec![(7, 1)],
        "negative replica ids are not tracked"
    );
    assert_eq!(d.observers[0].last_fetch_timestamp, s.now as i64);
    assert_eq!(d.nodes.len(), 3);
}

fn describe_request() -> DescribeQuorumRequest {
    DescribeQuorumRequest {
        topic_name: TOPIC.into(),
        partition: 0,
    }
}

fn as_describe(r: Option<Response>) -> DescribeQuorumResponse {
    match r {
        Some(Response::DescribeQuorum(d)) => d,
        other => panic!("{other:?}"),
    }
}

#[test]
fn describe_quorum_errors() {
    let mut s = Solo::fresh(1, &[1, 2, 3]);
    let d = as_describe(s.request(Request::DescribeQuorum(describe_request())).0);
    assert_eq!(d.partition_error_code, ErrorCode::NOT_LEADER_OR_FOLLOWER);
    let mut r = describe_request();
    r.topic_name = "x".into();
    let d = as_describe(s.request(Request::DescribeQuorum(r)).0);
    assert_eq!(
        d.partition_error_code,
        ErrorCode::UNKNOWN_TOPIC_OR_PARTITION
    );
    assert_eq!(d.topic_name, "x", "the topic is echoed");
}

/// A follower refuses DescribeQuorum as Kafka does, but names the leader and its endpoint so a
/// tool pointed at any member can ask the leader next.
#[test]
fn describe_quorum_on_a_follower_points_at_the_leader() {
    let mut s = Solo::fresh(1, &[1, 2, 3]);
    s.request(Request::BeginQuorumEpoch(begin_request(2, 1)));
    assert_eq!(s.state(), StateName::Follower);
    let d = as_describe(s.request(Request::DescribeQuorum(describe_request())).0);
    assert_eq!(d.partition_error_code, ErrorCode::NOT_LEADER_OR_FOLLOWER);
    assert_eq!((d.leader_id, d.leader_epoch), (2, 1));
    assert_eq!(d.nodes.len(), 1);
    assert_eq!(d.nodes[0].node_id, 2);
    assert!(!d.nodes[0].listeners.is_empty());
    // Without a known leader there is nobody to point at.
    let mut unattached = Solo::fresh(1, &[1, 2, 3]);
    let d = as_describe(
        unattached
            .request(Request::DescribeQuorum(describe_request()))
            .0,
    );
    assert!(d.nodes.is_empty());
}

/// Check quorum: a leader no majority fetches from resigns after 1.5 x fetch timeout.
#[test]
fn leader_without_fetching_majority_resigns() {
    let mut s = Solo::leader(1, &[1, 2, 3]);
    let elected = s.now;
    // Keep one voter fetching: leader + 2 = majority, the timer keeps resetting.
    let mut t = elected;
    while t < elected + 6_000 {
        t += 500;
        s.tick_to(t);
        let mut r = fetch_request(2, 1, 1, 1);
        r.max_wait_ms = 0;
        fetch(&mut s, r);
    }
    assert_eq!(s.state(), StateName::Leader);
    let quiet = s.now;
    s.tick_to(quiet + 2_999);
    assert_eq!(s.state(), StateName::Leader);
    s.tick_to(quiet + 3_000);
    assert_eq!(s.state(), StateName::Resigned);
}

/// DescribeQuorum timestamps (KIP-836): last fetch, last caught up (Kafka's rule), observer
/// expiry after 5 minutes of silence.
#[test]
fn describe_quorum_tracks_fetch_and_caught_up_times_and_expires_observers() {
    let mut s = Solo::leader(1, &[1, 2, 3]);
    let mut r = fetch_request(2, 1, 1, 1);
    r.max_wait_ms = 0;
    let t1 = s.now;
    fetch(&mut s, r.clone());
    let d = s.node.describe_quorum().unwrap();
    let v2 = &d.current_voters[1];
    assert_eq!((v2.replica_id, v2.log_end_offset), (2, 1));
    assert_eq!(v2.last_fetch_timestamp, t1 as i64);
    assert_eq!(v2.last_caught_up_timestamp, t1 as i64);
    // The leader appends; a fetch from the old end is not caught up now, but was at t1.
    s.node.append(s.now, 1, b"x").unwrap();
    s.tick_to(t1 + 100);
    fetch(&mut s, r);
    let d = s.node.describe_quorum().unwrap();
    let v2 = &d.current_voters[1];
    assert_eq!(v2.last_fetch_timestamp, (t1 + 100) as i64);
    assert_eq!(v2.last_caught_up_timestamp, t1 as i64);
    // Voter 3 never fetched.
    assert_eq!(d.current_voters[2].last_fetch_timestamp, -1);

    let mut o = fetch_request(9, 1, 0, 0);
    o.max_wait_ms = 0;
    fetch(&mut s, o);
    assert_eq!(s.node.describe_quorum().unwrap().observers.len(), 1);
    // Keep the leader alive through check quorum while the observer is silent.
    let start = s.now;
    let mut t = start;
    while t < start + 300_000 {
        t += 1_000;
        s.tick_to(t);
        let mut r = fetch_request(2, 1, 2, 1);
        r.max_wait_ms = 0;
        fetch(&mut s, r);
    }
    assert_eq!(s.state(), StateName::Leader);
    assert!(s.node.describe_quorum().unwrap().observers.is_empty());
}
