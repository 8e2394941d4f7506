//! The describing APIs: DescribeQuorum (55), which the leader answers with its view of the
//! replicas, and DescribeCluster (60), which a controller answers with the controllers and the
//! active one (KIP-919). Operator tools send them; the core never does.

use crate::{ErrorCode, LeaderEndpoint, Uuid};

// ---------------------------------------------------------------------------------------------
// DescribeQuorum (55)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescribeQuorumRequest {
    pub topic_name: String,
    pub partition: i32,
}

/// One voter or observer as seen by the leader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaDescription {
    pub replica_id: i32,
    /// v2+.
    pub replica_directory_id: Uuid,
    /// -1 = unknown.
    pub log_end_offset: i64,
    /// v1+; -1 = unknown. In the clock the runtime passes as `now_ms`.
    pub last_fetch_timestamp: i64,
    /// v1+; -1 = unknown.
    pub last_caught_up_timestamp: i64,
}

/// DescribeQuorum v2 `Nodes` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescribeQuorumNode {
    pub node_id: i32,
    pub listeners: Vec<LeaderEndpoint>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescribeQuorumResponse {
    pub error_code: ErrorCode,
    /// v2+.
    pub error_message: Option<String>,
    pub topic_name: String,
    pub partition: i32,
    pub partition_error_code: ErrorCode,
    /// v2+.
    pub partition_error_message: Option<String>,
    pub leader_id: i32,
    pub leader_epoch: i32,
    pub high_watermark: i64,
    pub current_voters: Vec<ReplicaDescription>,
    pub observers: Vec<ReplicaDescription>,
    /// v2+.
    pub nodes: Vec<DescribeQuorumNode>,
}

// ---------------------------------------------------------------------------------------------
// DescribeCluster (60)
// ---------------------------------------------------------------------------------------------

/// DescribeCluster's `EndpointType` (KIP-919): which kind of node list the client asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EndpointType(pub i8);

impl EndpointType {
    pub const BROKER: EndpointType = EndpointType(1);
    pub const CONTROLLER: EndpointType = EndpointType(2);
}

/// DescribeCluster request. A v0 request has no `EndpointType` and means brokers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescribeClusterRequest {
    pub include_cluster_authorized_operations: bool,
    /// v1+.
    pub endpoint_type: EndpointType,
    /// v2+ (KIP-1073).
    pub include_fenced_brokers: bool,
}

/// One node of a DescribeCluster answer (`Brokers[]`; controllers when the endpoint type is 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterNode {
    pub node_id: i32,
    pub host: String,
    pub port: i32,
    pub rack: Option<String>,
    /// v2+.
    pub is_fenced: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescribeClusterResponse {
    pub error_code: ErrorCode,
    pub error_message: Option<String>,
    /// v1+: the kind of endpoint that answered.
    pub endpoint_type: EndpointType,
    pub cluster_id: String,
    /// The active controller (the Raft leader), -1 when unknown or not among `nodes`.
    pub controller_id: i32,
    pub nodes: Vec<ClusterNode>,
    /// Kafka's "not requested" value is `i32::MIN`.
    pub cluster_authorized_operations: i32,
}
