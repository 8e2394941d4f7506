//! What Kafka's admin client asks a controller before and while describing the quorum
//! (KIP-919): DescribeCluster (60) for the controller endpoints and the active controller, then
//! DescribeQuorum (55) for the metadata partition `__cluster_metadata`-0.

mod support;

use kraft_engine::message::*;
use kraft_engine::{RaftConfig, StateName};
use support::solo::*;

fn cluster_request(endpoint_type: EndpointType) -> DescribeClusterRequest {
    DescribeClusterRequest {
        include_cluster_authorized_operations: false,
        endpoint_type,
        include_fenced_brokers: false,
    }
}

fn describe_cluster(s: &mut Solo, r: DescribeClusterRequest) -> DescribeClusterResponse {
    match s.request(Request::DescribeCluster(r)).0 {
        Some(Response::DescribeCluster(d)) => d,
        other => panic!("{other:?}"),
    }
}

fn describe_quorum(s: &mut Solo, topic: &str, partition: i32) -> DescribeQuorumResponse {
    let r = DescribeQuorumRequest {
        topic_name: topic.into(),
        partition,
    };
    match s.request(Request::DescribeQuorum(r)).0 {
        Some(Response::DescribeQuorum(d)) => d,
        other => panic!("{other:?}"),
    }
}

#[test]
fn describe_cluster_lists_the_voters_and_names_the_leader() {
    let mut s = Solo::leader(2, &[1, 2, 3]);
    let d = describe_cluster(&mut s, cluster_request(EndpointType::CONTROLLER));
    assert_eq!(d.error_code, ErrorCode::NONE);
    assert_eq!(d.endpoint_type, EndpointType::CONTROLLER);
    assert_eq!(d.cluster_id, RaftConfig::DEFAULT_CLUSTER_ID);
    assert_eq!(d.controller_id, 2);
    let nodes: Vec<(i32, &str, i32)> = d
        .nodes
        .iter()
        .map(|n| (n.node_id, n.host.as_str(), n.port))
        .collect();
    assert_eq!(
        nodes,
        vec![
            (1, "127.0.0.1", 9001),
            (2, "127.0.0.1", 9002),
            (3, "127.0.0.1", 9003)
        ]
    );
    assert!(d.nodes.iter().all(|n| n.rack.is_none() && !n.is_fenced));
    assert_eq!(d.cluster_authorized_operations, i32::MIN, "not requested");
}

/// A follower names the leader it knows; a node that knows none answers -1 (and still lists the
/// controllers, so the client can ask again).
#[test]
fn describe_cluster_on_a_follower_and_without_a_leader() {
    let mut s = Solo::fresh(1, &[1, 2, 3]);
    let d = describe_cluster(&mut s, cluster_request(EndpointType::CONTROLLER));
    assert_eq!((d.error_code, d.controller_id), (ErrorCode::NONE, -1));
    assert_eq!(d.nodes.len(), 3);
    s.request(Request::BeginQuorumEpoch(begin_request(3, 1)));
    assert_eq!(s.state(), StateName::Follower);
    let d = describe_cluster(&mut s, cluster_request(EndpointType::CONTROLLER));
    assert_eq!(d.controller_id, 3);
}

#[test]
fn describe_cluster_refuses_other_endpoint_types() {
    let mut s = Solo::leader(1, &[1, 2, 3]);
    let d = describe_cluster(&mut s, cluster_request(EndpointType::BROKER));
    assert_eq!(d.error_code, ErrorCode::MISMATCHED_ENDPOINT_TYPE);
    assert!(d.nodes.is_empty() && d.error_message.is_some());
    let d = describe_cluster(&mut s, cluster_request(EndpointType(7)));
    assert_eq!(d.error_code, ErrorCode::UNSUPPORTED_ENDPOINT_TYPE);
    let mut r = cluster_request(EndpointType::CONTROLLER);
    r.include_cluster_authorized_operations = true;
    let d = describe_cluster(&mut s, r);
    // No authorizer: every operation Kafka supports on CLUSTER is allowed, and only those.
    let ops = d.cluster_authorized_operations;
    assert_eq!(ops & (1 << 8), 1 << 8, "DESCRIBE");
    assert_eq!(ops & (1 << 7), 1 << 7, "ALTER");
    assert_eq!(
        ops & ((1 << 3) | (1 << 4) | (1 << 6)),
        0,
        "READ/WRITE/DELETE"
    );
}

/// The admin client asks for `__cluster_metadata`-0 and rejects an answer naming another topic:
/// the node answers for its one partition and echoes the name; any other name stays unknown.
#[test]
fn describe_quorum_answers_for_the_metadata_partition_name() {
    let mut s = Solo::leader(1, &[1, 2, 3]);
    let ours = describe_quorum(&mut s, "__raft_performance_test", 0);
    let metadata = describe_quorum(&mut s, "__cluster_metadata", 0);
    assert_eq!(metadata.partition_error_code, ErrorCode::NONE);
    assert_eq!(metadata.topic_name, "__cluster_metadata");
    assert_eq!(metadata.partition, 0);
    assert_eq!(
        DescribeQuorumResponse {
            topic_name: ours.topic_name.clone(),
            ..metadata
        },
        ours
    );
    let d = describe_quorum(&mut s, "__cluster_metadata", 1);
    assert_eq!(
        d.partition_error_code,
        ErrorCode::UNKNOWN_TOPIC_OR_PARTITION
    );
    let mut follower = Solo::fresh(1, &[1, 2, 3]);
    follower.request(Request::BeginQuorumEpoch(begin_request(2, 1)));
    let d = describe_quorum(&mut follower, "__cluster_metadata", 0);
    assert_eq!(d.partition_error_code, ErrorCode::NOT_LEADER_OR_FOLLOWER);
    assert_eq!(
        (d.topic_name.as_str(), d.leader_id),
        ("__cluster_metadata", 2)
    );
}

/// Voters are described by their key in the (static) voter set, which has no directory id, as
/// Kafka's leader does; an observer keeps the directory id its Fetch named.
#[test]
fn describe_quorum_reports_static_voters_without_directory_ids() {
    let mut config = support::config(1, &[1, 2, 3]);
    config.pre_vote = false;
    config.directory_id = Uuid([9; 16]);
    let mut s = Solo::leader_with(config);
    for replica in [2, 7] {
        let mut r = fetch_request(replica, 1, 0, 0);
        r.replica_directory_id = Uuid([replica as u8; 16]);
        r.max_wait_ms = 0;
        s.request(Request::Fetch(r));
    }
    let d = describe_quorum(&mut s, "__raft_performance_test", 0);
    assert_eq!(d.current_voters.len(), 3);
    assert!(d
        .current_voters
        .iter()
        .all(|v| v.replica_directory_id == Uuid::ZERO));
    let observer = &d.observers[0];
    assert_eq!(
        (observer.replica_id, observer.replica_directory_id),
        (7, Uuid([7; 16]))
    );
}
