//! Dynamic quorums (KIP-853, kraft.version 1) in the core, each scenario against Kafka's rules:
//! the voter set from the bootstrap checkpoint and the log, the leader's start-of-epoch records,
//! observers finding the leader through the bootstrap servers, and the voter-set history
//! following the log (effective when appended, rolled back on truncation).

mod support;

use kraft_engine::StateName;
use kraft_records::{parse_control_record, BatchIter, ControlRecord};
use support::dynamic::{key, voter_set};
use support::Cluster;

/// The control record types of the batch at `index` of node `id`'s log.
fn control_types(c: &Cluster, id: i32, index: usize) -> Vec<&'static str> {
    let bytes = c.peer(id).log[index].bytes.clone();
    let batch = BatchIter::new(&bytes).next().unwrap().unwrap();
    assert!(batch.header.is_control());
    batch
        .records()
        .map(|r| match parse_control_record(&r.unwrap()).unwrap() {
            ControlRecord::LeaderChange(_) => "LeaderChange",
            ControlRecord::KRaftVersion { .. } => "KRaftVersion",
            ControlRecord::KRaftVoters(_) => "Voters",
            _ => "other",
        })
        .collect()
}

/// Kafka's `appendStartOfEpochControlRecords` (4.4): the first leader of a quorum formatted
/// with `--standalone` writes LeaderChange, KRaftVersion and Voters in one batch (the voter set
/// came from the bootstrap checkpoint, offset -1), then commits.
#[test]
fn standalone_leader_writes_kraft_version_and_voters_at_epoch_start() {
    let mut c = Cluster::new_dynamic(&[1], &[1]);
    assert!(c.run_until(5_000, |c| c.node(1).high_watermark().is_some()));
    let status = c.node(1).status();
    assert_eq!(status.state, StateName::Leader);
    assert_eq!(status.kraft_version, 1);
    assert_eq!(status.voters, vec![key(1)]);
    assert_eq!(
        control_types(&c, 1, 0),
        vec!["LeaderChange", "KRaftVersion", "Voters"]
    );
    assert_eq!(c.node(1).kraft_control_at(2), (1, Some(voter_set(&[1]))));
    assert_eq!(c.node(1).kraft_control_at(-1).1, Some(voter_set(&[1])));
    assert_eq!(c.node(1).kraft_control_at(-2), (0, None));
    let epoch = status.epoch;
    let offset = c.append(1, epoch, b"x").unwrap();
    assert_eq!(offset, 3, "the epoch's batch holds three records");
    assert!(c.run_until(1_000, |c| c.node(1).high_watermark() == Some(4)));
}

/// A later epoch whose voter set is already in the log (and up to date) writes only the
/// LeaderChange, as Kafka does.
#[test]
fn a_restarted_leader_with_voters_in_the_log_writes_only_leader_change() {
    let mut c = Cluster::new_dynamic(&[1], &[1]);
    assert!(c.run_until(5_000, |c| c.node(1).high_watermark().is_some()));
    let peer = c.crash(1);
    let cfg = support::dynamic::config(1, &[1]);
    c.restart_with(1, peer, cfg, support::dynamic::bootstrap_entries(&[1]), 99);
    assert!(c.run_until(5_000, |c| c.node(1).status().state == StateName::Leader));
    let last = c.peer(1).log.len() - 1;
    assert_eq!(control_types(&c, 1, last), vec!["LeaderChange"]);
    assert_eq!(c.node(1).status().voters, vec![key(1)]);
}

/// Three initial controllers elect a leader over the bootstrap voter set; an observer formatted
/// with `--no-initial-controllers` finds the leader through the bootstrap servers (ids -2,
/// -3, ...), fetches from it and learns the voter set from the replicated Voters record.
#[test]
fn observer_finds_the_leader_through_bootstrap_servers_and_learns_the_voters() {
    let mut c = Cluster::new_dynamic(&[1, 2, 3, 4], &[1, 2, 3]);
    assert!(c.run_until(10_000, |c| c.leader().is_some()));
    let leader = c.leader().unwrap();
    assert!(c.run_until(5_000, |c| {
        let s = c.node(4).status();
        s.state == StateName::Follower && s.leader_id == Some(leader) && s.high_watermark.is_some()
    }));
    let observer = c.node(4).status();
    assert!(!observer.is_voter);
    assert_eq!(observer.kraft_version, 1);
    assert_eq!(c.voters_of(4), vec![1, 2, 3]);
    let epoch = c.node(leader).status().epoch;
    let offset = c.append(leader, epoch, b"v").unwrap();
    assert!(c.run_until(2_000, |c| c.peer(4).log_end_offset() > offset));
    assert_eq!(
        c.node(4).status().state,
        StateName::Follower,
        "an observer never elects"
    );
}

/// KIP-853 DescribeQuorum and KIP-919 DescribeCluster describe the voter set in force: voters
/// by replica key (directory ids), their listeners, and an added voter once appended.
#[test]
fn describe_quorum_and_cluster_follow_the_voter_set() {
    use kraft_engine::message::{DescribeClusterRequest, EndpointType, Request, Response};
    let mut c = Cluster::new_dynamic(&[1, 2, 3, 4], &[1, 2, 3]);
    assert!(c.run_until(10_000, |c| c
        .leader()
        .is_some_and(|l| c.node(l).high_watermark().is_some())));
    let leader = c.leader().unwrap();
    let end = c.peer(leader).log_end_offset();
    assert!(c.run_until(5_000, |c| c.node(4).high_watermark() == Some(end)));
    let describe = c.node(leader).describe_quorum().unwrap();
    let voters: Vec<_> = describe
        .current_voters
        .iter()
        .map(|v| (v.replica_id, v.replica_directory_id))
        .collect();
    let expected: Vec<_> = [1, 2, 3].map(|id| (id, key(id).directory_id)).to_vec();
    assert_eq!(voters, expected);
    assert_eq!(describe.observers.len(), 1);
    assert_eq!(
        describe.observers[0].replica_directory_id,
        key(4).directory_id
    );
    assert_eq!(describe.nodes.len(), 3);
    assert_eq!(
        describe.nodes[0].listeners,
        vec![support::dynamic::endpoint(1)]
    );
    let request = c.operator(leader, support::dynamic::add_request(4, true));
    assert!(c.run_until(5_000, |c| c.answer(leader, request).is_some()));
    let describe = c.node(leader).describe_quorum().unwrap();
    assert_eq!(describe.current_voters.len(), 4);
    let cluster = c.operator(
        4,
        Request::DescribeCluster(DescribeClusterRequest {
            include_cluster_authorized_operations: false,
            endpoint_type: EndpointType::CONTROLLER,
            include_fenced_brokers: false,
        }),
    );
    let Some(Response::DescribeCluster(r)) = c.answer(4, cluster) else {
        panic!("no DescribeCluster answer")
    };
    let ids: Vec<i32> = r.nodes.iter().map(|n| n.node_id).collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);
    assert_eq!(r.controller_id, leader);
}

/// The history follows the log's start: retention keeps the entry in force at the log start
/// (Kafka's `truncateOldEntries`).
#[test]
fn history_keeps_the_entry_in_force_at_the_log_start() {
    use kraft_engine::message::SnapshotId;
    use kraft_engine::{Input, SnapshotInfo};
    let mut c = Cluster::new_dynamic(&[1], &[1]);
    assert!(c.run_until(5_000, |c| c.node(1).high_watermark().is_some()));
    let epoch = c.node(1).status().epoch;
    c.append(1, epoch, b"a").unwrap();
    assert!(c.run_until(1_000, |c| c.node(1).high_watermark() == Some(4)));
    let snapshot = SnapshotInfo {
        snapshot_id: SnapshotId {
            end_offset: 4,
            epoch,
        },
        size_bytes: 100,
    };
    c.step(1, Input::SnapshotFrozen { snapshot });
    c.step(1, Input::LogStartAdvanced { start_offset: 4 });
    // The Voters record at offset 2 is below the log start but still in force.
    assert_eq!(c.node(1).kraft_control_at(3), (1, Some(voter_set(&[1]))));
    assert_eq!(c.node(1).status().voters, vec![key(1)]);
}

/// A downloaded snapshot replaces the history with the KRaftVersion and Voters records it
/// holds (`Input::SnapshotLoaded.kraft_control`): observer 4 learns that it is a voter now.
#[test]
fn a_loaded_snapshot_replaces_the_voter_history() {
    use bytes::Bytes;
    use kraft_engine::message::*;
    use kraft_engine::{ControlEntry, ControlKind, ElectionState, Input, Output};
    use support::solo::{fetch_response, Solo, TOPIC};
    const SNAPSHOT: SnapshotId = SnapshotId {
        end_offset: 500,
        epoch: 3,
    };
    let restored = kraft_engine::RestoredState {
        election: ElectionState {
            epoch: 4,
            leader_id: Some(2),
            voted_key: None,
        },
        ..support::dynamic::restored(&[1, 2, 3])
    };
    let (mut s, _) = Solo::new(support::dynamic::config(4, &[1, 2, 3]), restored);
    assert_eq!(s.state(), StateName::Follower);
    assert!(!s.node.status().is_voter);
    let mut offer = fetch_response(2, 4, 600, Records::Empty);
    offer.snapshot_id = SNAPSHOT;
    let correlation_id = s.in_flight_id(2);
    s.step(Input::Response {
        from: 2,
        correlation_id,
        response: Response::Fetch(offer),
    });
    let chunk = FetchSnapshotResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::NONE,
        topic_name: TOPIC.to_string(),
        partition: 0,
        partition_error_code: ErrorCode::NONE,
        snapshot_id: SNAPSHOT,
        current_leader: LeaderIdAndEpoch {
            leader_id: 2,
            leader_epoch: 4,
        },
        size: 10,
        position: 0,
        unaligned_records: SnapshotRecords::Bytes(Bytes::from(vec![7u8; 10])),
        node_endpoints: Vec::new(),
    };
    let correlation_id = s.in_flight_id(2);
    let out = s.step(Input::Response {
        from: 2,
        correlation_id,
        response: Response::FetchSnapshot(chunk),
    });
    assert!(out.iter().any(|o| matches!(o, Output::LoadSnapshot { .. })));
    let grown = voter_set(&[1, 2, 3, 4]);
    s.step(Input::SnapshotLoaded {
        snapshot_id: SNAPSHOT,
        generation: 1,
        kraft_control: vec![
            ControlEntry {
                offset: 499,
                kind: ControlKind::KRaftVersion(1),
            },
            ControlEntry {
                offset: 499,
                kind: ControlKind::Voters(grown.to_record()),
            },
        ],
    });
    let status = s.node.status();
    assert!(status.is_voter, "the snapshot's voter set holds node 4");
    assert_eq!(status.voters.len(), 4);
    assert_eq!(s.node.kraft_control_at(499), (1, Some(grown)));
    assert_eq!(
        s.node.kraft_control_at(498).1,
        None,
        "older entries are gone"
    );
}
