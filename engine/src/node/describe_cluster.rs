//! DescribeCluster (60) as a KRaft controller answers it (KIP-919): Kafka's admin client, given
//! `--bootstrap-controller`, learns the controllers and the active one from this before it sends
//! DescribeQuorum (to the active controller only).

use super::RaftNode;
use crate::message::{
    ClusterNode, DescribeClusterRequest, DescribeClusterResponse, EndpointType, ErrorCode,
};

/// Kafka's schema default for `ClusterAuthorizedOperations`: not requested.
const AUTHORIZED_OPERATIONS_OMITTED: i32 = i32::MIN;

/// The operations Kafka supports on the CLUSTER resource (ACL operation codes: CREATE 5,
/// ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11,
/// IDEMPOTENT_WRITE 12). Without an authorizer, as here, Kafka reports all of them as allowed.
const CLUSTER_OPERATIONS: [u32; 7] = [5, 7, 8, 9, 10, 11, 12];

fn authorized_operations(requested: bool) -> i32 {
    if !requested {
        return AUTHORIZED_OPERATIONS_OMITTED;
    }
    CLUSTER_OPERATIONS
        .iter()
        .fold(0, |bits, op| bits | (1 << op))
}

impl RaftNode {
    /// An error answer carries the schema defaults in every other field, as Kafka's does.
    fn describe_cluster_error(error: ErrorCode, message: String) -> DescribeClusterResponse {
        DescribeClusterResponse {
            error_code: error,
            error_message: Some(message),
            endpoint_type: EndpointType::BROKER,
            cluster_id: String::new(),
            controller_id: -1,
            nodes: Vec::new(),
            cluster_authorized_operations: AUTHORIZED_OPERATIONS_OMITTED,
        }
    }

    /// This node is a controller: it lists the voters (on the Raft listener, the only one it has)
    /// and names the leader it knows as the active controller. A request for another endpoint
    /// type gets Kafka's errors (the codec turns them into INVALID_REQUEST for v0, which has no
    /// endpoint type).
    pub(super) fn handle_describe_cluster_request(
        &mut self,
        r: DescribeClusterRequest,
    ) -> DescribeClusterResponse {
        if r.endpoint_type != EndpointType::BROKER && r.endpoint_type != EndpointType::CONTROLLER {
            return Self::describe_cluster_error(
                ErrorCode::UNSUPPORTED_ENDPOINT_TYPE,
                format!("unknown endpoint type {}", r.endpoint_type.0),
            );
        }
        if r.endpoint_type != EndpointType::CONTROLLER {
            return Self::describe_cluster_error(
                ErrorCode::MISMATCHED_ENDPOINT_TYPE,
                "brokers asked of a controller endpoint (this node runs only the controller role)"
                    .to_string(),
            );
        }
        let listener = &self.config.listener_name;
        let nodes: Vec<ClusterNode> = self
            .voter_set()
            .iter()
            .filter_map(|v| {
                let endpoint = v.listener(listener)?;
                Some(ClusterNode {
                    node_id: v.key.id,
                    host: endpoint.host.clone(),
                    port: i32::from(endpoint.port),
                    rack: None,
                    is_fenced: false,
                })
            })
            .collect();
        // As Kafka: a leader the node list does not contain (an observer's stale view cannot
        // produce one with static voters, but a leader outside the set could) is reported as -1
        // so the client never waits on a controller it cannot reach.
        let leader = self.leader_id_or_sentinel();
        let controller_id = if nodes.iter().any(|n| n.node_id == leader) {
            leader
        } else {
            -1
        };
        DescribeClusterResponse {
            error_code: ErrorCode::NONE,
            error_message: None,
            endpoint_type: EndpointType::CONTROLLER,
            cluster_id: self.config.cluster_id.clone(),
            controller_id,
            nodes,
            cluster_authorized_operations: authorized_operations(
                r.include_cluster_authorized_operations,
            ),
        }
    }
}
