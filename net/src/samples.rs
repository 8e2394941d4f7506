//! Sample messages of every API and version this crate handles, with non-default values in
//! every field the version has. Shared by the round-trip tests, the randomized hardening test,
//! the fuzz targets' seeds and the benchmarks, so that all of them cover the same surface.

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::ApiVersionsRequest as WireApiVersionsRequest;
use kafka_protocol::protocol::StrBytes;
use kraft_message::*;

use crate::codec::{
    api_versions_response, encode_request_frame, encode_response_frame, KafkaRequest,
    KafkaResponse, RequestHeader, SUPPORTED_APIS,
};
use crate::convert;

pub const TOPIC: &str = "__raft_performance_test";

pub fn topic_id() -> Uuid {
    Uuid::from_parts(0, 2)
}

fn dir(n: u8) -> Uuid {
    Uuid([n; 16])
}

fn endpoint(node_id: i32) -> NodeEndpoint {
    NodeEndpoint {
        node_id,
        host: format!("node-{node_id}.example"),
        port: 9090 + node_id as u16,
    }
}

fn listener(name: &str) -> LeaderEndpoint {
    LeaderEndpoint {
        name: name.into(),
        host: "10.0.0.1".into(),
        port: 9093,
    }
}

/// A Fetch request as Java's raft client sends it (v17 shape).
pub fn fetch_request() -> FetchRequest {
    FetchRequest {
        cluster_id: Some("AAAAAAAAAAAAAAAAAAAAAA".into()),
        replica_id: 2,
        replica_epoch: -1,
        max_wait_ms: 500,
        min_bytes: 0,
        max_bytes: 8 * 1024 * 1024,
        topic_id: topic_id(),
        partition: 0,
        current_leader_epoch: 7,
        fetch_offset: 123_456,
        last_fetched_epoch: 6,
        log_start_offset: -1,
        partition_max_bytes: 0,
        replica_directory_id: dir(9),
        high_watermark: 123_000,
    }
}

/// A Fetch response carrying `records` and a current leader.
pub fn fetch_response(records: Records) -> FetchResponse {
    FetchResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::NONE,
        topic_id: topic_id(),
        partition: 0,
        partition_error_code: ErrorCode::NONE,
        high_watermark: 123_400,
        log_start_offset: 0,
        diverging_epoch: EpochEndOffset::NONE,
        current_leader: LeaderIdAndEpoch {
            leader_id: 1,
            leader_epoch: 7,
        },
        snapshot_id: SnapshotId::NONE,
        records,
        node_endpoints: vec![endpoint(1)],
    }
}

/// Raft requests of every kind, several shapes each.
pub fn raft_requests() -> Vec<Request> {
    let vote = VoteRequest {
        cluster_id: Some("cluster-a".into()),
        voter_id: 3,
        topic_name: TOPIC.into(),
        partition: 0,
        candidate_epoch: 8,
        candidate_id: 1,
        candidate_directory_id: dir(1),
        voter_directory_id: dir(3),
        last_offset_epoch: 7,
        last_offset: 1000,
        pre_vote: true,
    };
    let begin = BeginQuorumEpochRequest {
        cluster_id: Some("cluster-a".into()),
        voter_id: 2,
        topic_name: TOPIC.into(),
        partition: 0,
        voter_directory_id: dir(2),
        leader_id: 1,
        leader_epoch: 8,
        leader_endpoints: vec![listener("CONTROLLER"), listener("OTHER")],
    };
    let end = EndQuorumEpochRequest {
        cluster_id: None,
        topic_name: TOPIC.into(),
        partition: 0,
        leader_id: 1,
        leader_epoch: 8,
        preferred_successors: vec![3, 2],
        preferred_candidates: vec![
            ReplicaKey {
                id: 3,
                directory_id: Uuid::ZERO,
            },
            ReplicaKey {
                id: 2,
                directory_id: Uuid::ZERO,
            },
        ],
        leader_endpoints: vec![listener("CONTROLLER")],
    };
    let snapshot = FetchSnapshotRequest {
        cluster_id: Some("cluster-a".into()),
        replica_id: 2,
        max_bytes: 8 * 1024 * 1024,
        topic_name: TOPIC.into(),
        partition: 0,
        current_leader_epoch: 8,
        snapshot_id: SnapshotId {
            end_offset: 5000,
            epoch: 6,
        },
        position: 4096,
        replica_directory_id: dir(2),
    };
    let mut fetch_observer = fetch_request();
    fetch_observer.replica_id = -1;
    fetch_observer.cluster_id = None;
    vec![
        Request::Vote(vote.clone()),
        Request::Vote(VoteRequest {
            cluster_id: None,
            pre_vote: false,
            ..vote
        }),
        Request::BeginQuorumEpoch(begin),
        Request::EndQuorumEpoch(end),
        Request::Fetch(fetch_request()),
        Request::Fetch(fetch_observer),
        Request::FetchSnapshot(snapshot),
        Request::DescribeQuorum(DescribeQuorumRequest {
            topic_name: TOPIC.into(),
            partition: 0,
        }),
        Request::DescribeCluster(DescribeClusterRequest {
            include_cluster_authorized_operations: true,
            endpoint_type: EndpointType::CONTROLLER,
            include_fenced_brokers: true,
        }),
    ]
    .into_iter()
    .chain(voter_change_requests())
    .collect()
}

/// AddRaftVoter (acknowledged when committed, and not), RemoveRaftVoter, UpdateRaftVoter, and
/// the ApiVersions a leader sends a would-be voter.
fn voter_change_requests() -> Vec<Request> {
    let add = AddRaftVoterRequest {
        cluster_id: Some("cluster-a".into()),
        timeout_ms: 30_000,
        voter_id: 4,
        voter_directory_id: dir(4),
        listeners: vec![listener("CONTROLLER"), listener("OTHER")],
        ack_when_committed: true,
    };
    vec![
        Request::AddRaftVoter(add.clone()),
        Request::AddRaftVoter(AddRaftVoterRequest {
            cluster_id: None,
            ack_when_committed: false,
            listeners: vec![listener("CONTROLLER")],
            ..add
        }),
        Request::RemoveRaftVoter(RemoveRaftVoterRequest {
            cluster_id: Some("cluster-a".into()),
            voter_id: 4,
            voter_directory_id: dir(4),
        }),
        Request::UpdateRaftVoter(UpdateRaftVoterRequest {
            cluster_id: Some("cluster-a".into()),
            current_leader_epoch: 8,
            voter_id: 2,
            voter_directory_id: dir(2),
            listeners: vec![listener("CONTROLLER")],
            kraft_version_min: 0,
            kraft_version_max: 1,
        }),
        Request::ApiVersions(ApiVersionsRequest),
    ]
}

/// Requests of the APIs net answers itself (ApiVersions as Java sends it), at version `v`.
fn local_requests(api_key: i16, v: i16) -> Vec<KafkaRequest> {
    if api_key != 18 {
        return Vec::new();
    }
    let mut m = WireApiVersionsRequest::default();
    if v >= 3 {
        m.client_software_name = StrBytes::from_static_str("apache-kafka-java");
        m.client_software_version = StrBytes::from_static_str("3.9.0");
    }
    vec![KafkaRequest::ApiVersions(m)]
}

/// Every handled request at every handled version: (api key, version, wire request).
pub fn kafka_requests() -> Vec<(i16, i16, KafkaRequest)> {
    let raft = raft_requests();
    let mut out = Vec::new();
    for range in SUPPORTED_APIS {
        for v in range.min_version..=range.max_version {
            for request in raft.iter().filter(|r| r.kind().api_key() == range.api_key) {
                out.push((range.api_key, v, convert::request_to_kafka(request, v)));
            }
            for request in local_requests(range.api_key, v) {
                out.push((range.api_key, v, request));
            }
        }
    }
    out
}

/// Complete request frames (size prefix included) of [`kafka_requests`].
pub fn request_frames() -> Vec<(i16, i16, BytesMut)> {
    kafka_requests()
        .into_iter()
        .enumerate()
        .map(|(i, (api_key, v, body))| {
            let header = RequestHeader {
                api_key,
                api_version: v,
                correlation_id: i as i32,
                client_id: Some("raft-client-2".into()),
            };
            let frame = encode_request_frame(&header, &body)
                .unwrap_or_else(|e| panic!("sample request encodes: {e}"));
            (api_key, v, frame)
        })
        .collect()
}

/// Raft responses of every kind, several shapes each.
pub fn raft_responses() -> Vec<Response> {
    let vote = VoteResponse {
        error_code: ErrorCode::NONE,
        topic_name: TOPIC.into(),
        partition: 0,
        partition_error_code: ErrorCode::FENCED_LEADER_EPOCH,
        leader_id: 1,
        leader_epoch: 8,
        vote_granted: true,
        node_endpoints: vec![endpoint(1), endpoint(3)],
    };
    let begin = BeginQuorumEpochResponse {
        error_code: ErrorCode::NONE,
        topic_name: TOPIC.into(),
        partition: 0,
        partition_error_code: ErrorCode::NONE,
        leader_id: 1,
        leader_epoch: 8,
        node_endpoints: vec![endpoint(1)],
    };
    let end = EndQuorumEpochResponse {
        error_code: ErrorCode::NONE,
        topic_name: TOPIC.into(),
        partition: 0,
        partition_error_code: ErrorCode::NOT_LEADER_OR_FOLLOWER,
        leader_id: 2,
        leader_epoch: 9,
        node_endpoints: vec![endpoint(2)],
    };
    let mut diverging = fetch_response(Records::Empty);
    diverging.diverging_epoch = EpochEndOffset {
        epoch: 5,
        end_offset: 900,
    };
    let mut snapshot = fetch_response(Records::Empty);
    snapshot.snapshot_id = SnapshotId {
        end_offset: 5000,
        epoch: 6,
    };
    let snapshot_chunk = FetchSnapshotResponse {
        throttle_time_ms: 0,
        error_code: ErrorCode::NONE,
        topic_name: TOPIC.into(),
        partition: 0,
        partition_error_code: ErrorCode::NONE,
        snapshot_id: SnapshotId {
            end_offset: 5000,
            epoch: 6,
        },
        current_leader: LeaderIdAndEpoch {
            leader_id: 1,
            leader_epoch: 8,
        },
        size: 10_000,
        position: 4096,
        unaligned_records: SnapshotRecords::Bytes(Bytes::from_static(b"snapshot bytes")),
        node_endpoints: vec![endpoint(1)],
    };
    let replica = |id: i32| ReplicaDescription {
        replica_id: id,
        replica_directory_id: dir(id as u8),
        log_end_offset: 1000 + id as i64,
        last_fetch_timestamp: 1_700_000_000_000,
        last_caught_up_timestamp: 1_700_000_000_001,
    };
    let describe = DescribeQuorumResponse {
        error_code: ErrorCode::NONE,
        error_message: None,
        topic_name: TOPIC.into(),
        partition: 0,
        partition_error_code: ErrorCode::NONE,
        partition_error_message: Some("fine".into()),
        leader_id: 1,
        leader_epoch: 8,
        high_watermark: 1000,
        current_voters: vec![replica(1), replica(2), replica(3)],
        observers: vec![replica(7)],
        nodes: vec![DescribeQuorumNode {
            node_id: 1,
            listeners: vec![listener("CONTROLLER")],
        }],
    };
    vec![
        Response::Vote(vote),
        Response::Vote(VoteResponse {
            error_code: ErrorCode::INCONSISTENT_CLUSTER_ID,
            topic_name: String::new(),
            partition: -1,
            partition_error_code: ErrorCode::NONE,
            leader_id: -1,
            leader_epoch: -1,
            vote_granted: false,
            node_endpoints: Vec::new(),
        }),
        Response::BeginQuorumEpoch(begin),
        Response::EndQuorumEpoch(end),
        Response::Fetch(fetch_response(Records::Bytes(Bytes::from_static(
            b"batch bytes stand-in",
        )))),
        Response::Fetch(diverging),
        Response::Fetch(snapshot),
        Response::FetchSnapshot(snapshot_chunk),
        Response::DescribeQuorum(describe),
        Response::DescribeCluster(describe_cluster_response()),
        Response::DescribeCluster(DescribeClusterResponse {
            error_code: ErrorCode::MISMATCHED_ENDPOINT_TYPE,
            error_message: Some("brokers asked of a controller".into()),
            endpoint_type: EndpointType::BROKER,
            cluster_id: String::new(),
            controller_id: -1,
            nodes: Vec::new(),
            cluster_authorized_operations: i32::MIN,
        }),
    ]
    .into_iter()
    .chain(voter_change_responses())
    .collect()
}

/// Answers to the voter changes and to the leader's ApiVersions, with and without messages.
fn voter_change_responses() -> Vec<Response> {
    vec![
        Response::AddRaftVoter(AddRaftVoterResponse {
            error_code: ErrorCode::NONE,
            error_message: None,
        }),
        Response::AddRaftVoter(AddRaftVoterResponse {
            error_code: ErrorCode::DUPLICATE_VOTER,
            error_message: Some("The voter id for ReplicaKey(id=4) is already a voter".into()),
        }),
        Response::RemoveRaftVoter(RemoveRaftVoterResponse {
            error_code: ErrorCode::VOTER_NOT_FOUND,
            error_message: Some("not a voter".into()),
        }),
        Response::RemoveRaftVoter(RemoveRaftVoterResponse {
            error_code: ErrorCode::NONE,
            error_message: None,
        }),
        Response::UpdateRaftVoter(UpdateRaftVoterResponse {
            error_code: ErrorCode::NONE,
            current_leader: LeaderIdAndEpoch {
                leader_id: 1,
                leader_epoch: 8,
            },
            node_endpoint: Some(endpoint(1)),
        }),
        Response::UpdateRaftVoter(UpdateRaftVoterResponse {
            error_code: ErrorCode::NOT_LEADER_OR_FOLLOWER,
            current_leader: LeaderIdAndEpoch {
                leader_id: -1,
                leader_epoch: 9,
            },
            node_endpoint: None,
        }),
        Response::ApiVersions(ApiVersionsResponse {
            error_code: ErrorCode::NONE,
            kraft_version: Some((0, 1)),
        }),
    ]
}

/// A controller's DescribeCluster answer (KIP-919): the voters, node 2 active.
pub fn describe_cluster_response() -> DescribeClusterResponse {
    let node = |id: i32| ClusterNode {
        node_id: id,
        host: format!("node-{id}.example"),
        port: 9090 + id,
        rack: (id == 3).then(|| "rack-c".to_string()),
        is_fenced: id == 3,
    };
    DescribeClusterResponse {
        error_code: ErrorCode::NONE,
        error_message: None,
        endpoint_type: EndpointType::CONTROLLER,
        cluster_id: "AAAAAAAAAAAAAAAAAAAAAA".into(),
        controller_id: 2,
        nodes: vec![node(1), node(2), node(3)],
        cluster_authorized_operations: 0x1fa0,
    }
}

/// A Raft response as kafka-protocol's message at version `v` (records resolved to bytes).
pub fn response_to_kafka(response: &Response, v: i16) -> KafkaResponse {
    match response {
        Response::Fetch(m) => {
            let records = match &m.records {
                Records::Bytes(b) => b.clone(),
                _ => Bytes::new(),
            };
            KafkaResponse::Fetch(convert::fetch::response_to_kafka(m, records, v))
        }
        Response::FetchSnapshot(m) => {
            let records = match &m.unaligned_records {
                SnapshotRecords::Bytes(b) => b.clone(),
                _ => Bytes::new(),
            };
            KafkaResponse::FetchSnapshot(convert::fetch_snapshot::response_to_kafka(m, records, v))
        }
        other => convert::response_to_kafka(other, v)
            .expect("every response but Fetch and FetchSnapshot converts"),
    }
}

/// Every response the client decodes, at every version: (api key, version, frame without its
/// size prefix).
pub fn response_frames() -> Vec<(i16, i16, Bytes)> {
    let responses = raft_responses();
    let mut out = Vec::new();
    for range in SUPPORTED_APIS {
        for v in range.min_version..=range.max_version {
            let mut bodies: Vec<KafkaResponse> = responses
                .iter()
                .filter(|r| r.kind().api_key() == range.api_key)
                .map(|r| response_to_kafka(r, v))
                .collect();
            if range.api_key == 18 {
                bodies.push(KafkaResponse::ApiVersions(api_versions_response(0)));
            }
            for (i, body) in bodies.iter().enumerate() {
                let frame = encode_response_frame(i as i32, v, body)
                    .unwrap_or_else(|e| panic!("sample response encodes: {e}"));
                out.push((range.api_key, v, frame.freeze().slice(4..)));
            }
        }
    }
    out
}
