//! DescribeQuorum (55): the leader's view of voters and observers.

use super::RaftNode;
use crate::message::{
    DescribeQuorumNode, DescribeQuorumRequest, DescribeQuorumResponse, ErrorCode,
    ReplicaDescription,
};
use crate::state::{QuorumState, ReplicaProgress};

/// The partition Kafka's admin client (`describeMetadataQuorum`, hence `kafka-metadata-quorum`)
/// always asks about; it rejects an answer that names any other topic. This node has one Raft
/// partition, the quorum the client means, so a request for this name is answered with that
/// partition's state and the requested name echoed.
pub const METADATA_TOPIC_NAME: &str = "__cluster_metadata";
const METADATA_PARTITION: i32 = 0;

impl RaftNode {
    fn describe_response(&self, error: ErrorCode) -> DescribeQuorumResponse {
        DescribeQuorumResponse {
            error_code: ErrorCode::NONE,
            error_message: None,
            topic_name: self.config.topic_name.clone(),
            partition: self.config.partition,
            partition_error_code: error,
            partition_error_message: None,
            leader_id: self.leader_id_or_sentinel(),
            leader_epoch: self.state.epoch(),
            high_watermark: -1,
            current_voters: Vec::new(),
            observers: Vec::new(),
            nodes: Vec::new(),
        }
    }

    pub(super) fn handle_describe_quorum_request(
        &mut self,
        r: DescribeQuorumRequest,
    ) -> DescribeQuorumResponse {
        let metadata_alias =
            r.topic_name == METADATA_TOPIC_NAME && r.partition == METADATA_PARTITION;
        if !metadata_alias && !self.api_matches_topic(&r.topic_name, r.partition) {
            let mut response = self.describe_response(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION);
            response.topic_name = r.topic_name;
            response.partition = r.partition;
            return response;
        }
        let mut response = self.describe_quorum().unwrap_or_else(|| {
            // Not the leader: Kafka's error, plus (v2) the known leader's endpoint so a tool
            // pointed at any member can ask the leader next. Java clients ignore the extra node.
            let mut response = self.describe_response(ErrorCode::NOT_LEADER_OR_FOLLOWER);
            response.nodes = self
                .state
                .leader_id(self.config.node_id)
                .and_then(|id| {
                    let endpoint = self.endpoint_of(id)?;
                    Some(DescribeQuorumNode {
                        node_id: id,
                        listeners: vec![endpoint],
                    })
                })
                .into_iter()
                .collect();
            response
        });
        response.topic_name = r.topic_name;
        response
    }

    /// The leader's DescribeQuorum answer; `None` when this node is not the leader.
    /// Timestamps are in the runtime's `now_ms` clock.
    pub fn describe_quorum(&self) -> Option<DescribeQuorumResponse> {
        let QuorumState::Leader(l) = &self.state else {
            return None;
        };
        let now = self.now_ms as i64;
        let describe = describe_replica;
        let local_id = self.config.node_id;
        let mut current_voters = Vec::with_capacity(self.voter_set().len());
        // A voter is described by its key in the voter set, as Kafka's leader does; static
        // voters (`controller.quorum.voters`) carry no directory id, so none is reported, even
        // for this node or when a voter's Fetch names one. Observers keep their Fetch's.
        for key in self.voter_set().keys() {
            let id = key.id;
            if id == local_id {
                current_voters.push(ReplicaDescription {
                    replica_id: id,
                    replica_directory_id: key.directory_id,
                    log_end_offset: self.log.end_offset,
                    last_fetch_timestamp: now,
                    last_caught_up_timestamp: now,
                });
            } else if let Some(p) = l.voters.get(&id) {
                current_voters.push(ReplicaDescription {
                    replica_directory_id: key.directory_id,
                    ..describe(id, p)
                });
            }
        }
        let observers = self.described_observers(&l.observers);
        // Every voter with all its listeners, as Kafka 4.x lists them.
        let nodes = self
            .voter_set()
            .iter()
            .filter(|v| !v.listeners.is_empty())
            .map(|v| DescribeQuorumNode {
                node_id: v.key.id,
                listeners: v.listeners.clone(),
            })
            .collect();
        let mut response = self.describe_response(ErrorCode::NONE);
        response.high_watermark =
            l.high_watermark.unwrap_or(-1) + i64::from(planted!(DescribeHighWatermarkOffByOne));
        response.current_voters = current_voters;
        response.observers = observers;
        response.nodes = nodes;
        Some(response)
    }

    /// Observers that fetched within Kafka's expiry, and this leader itself while it leads
    /// outside the voter set (it removed itself and the change is not committed yet), as
    /// Kafka's `LeaderState` describes it.
    fn described_observers(
        &self,
        observers: &std::collections::BTreeMap<i32, ReplicaProgress>,
    ) -> Vec<ReplicaDescription> {
        let now = self.now_ms as i64;
        let mut described: Vec<ReplicaDescription> = observers
            .iter()
            .filter(|(_, p)| {
                p.last_fetch_ms.is_some_and(|t| {
                    self.now_ms.saturating_sub(t) < super::fetch_leader::OBSERVER_EXPIRY_MS
                })
            })
            .map(|(&id, p)| describe_replica(id, p))
            .collect();
        if !self.is_voter() {
            described.push(ReplicaDescription {
                replica_id: self.config.node_id,
                replica_directory_id: self.config.directory_id,
                log_end_offset: self.log.end_offset,
                last_fetch_timestamp: now,
                last_caught_up_timestamp: now,
            });
        }
        described
    }
}

fn describe_replica(id: i32, p: &ReplicaProgress) -> ReplicaDescription {
    ReplicaDescription {
        replica_id: id,
        replica_directory_id: p.directory_id,
        log_end_offset: p.end_offset.unwrap_or(-1),
        last_fetch_timestamp: p.last_fetch_ms.map_or(-1, |t| t as i64),
        last_caught_up_timestamp: p.last_caught_up_ms.map_or(-1, |t| t as i64),
    }
}
