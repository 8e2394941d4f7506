//! EndQuorumEpoch (54), versions 0-1. v0 lists preferred successors by id; v1 (flexible) lists
//! preferred candidates with directory ids and adds the leader's endpoints.
//!
//! Both engine fields are filled from either version (ids from candidates, candidates with an
//! unknown directory id from ids), so the core can read whichever it prefers; when writing, the
//! version's own field is taken from the engine field of that version, or derived from the other
//! one if it is empty.

use kafka_protocol::messages::end_quorum_epoch_request::{
    LeaderEndpoint as WireLeaderEndpoint, PartitionData, ReplicaInfo, TopicData,
};
use kafka_protocol::messages::end_quorum_epoch_response::{
    NodeEndpoint as WireNodeEndpoint, PartitionData as ResponsePartition,
    TopicData as ResponseTopic,
};
use kafka_protocol::messages::{
    EndQuorumEpochRequest as WireRequest, EndQuorumEpochResponse as WireResponse,
};
use kraft_message::{EndQuorumEpochRequest, EndQuorumEpochResponse, ReplicaKey, Uuid};

use super::common::*;

node_endpoint_conversions!(WireNodeEndpoint);
listener_conversions!(WireLeaderEndpoint);

pub fn request_from_kafka(m: WireRequest, v: i16) -> Result<EndQuorumEpochRequest, ShapeError> {
    let leader_endpoints = listeners_from_kafka(&m.leader_endpoints);
    let topic = single(m.topics, "topics")?;
    let p = single(topic.partitions, "partitions")?;
    let (preferred_successors, preferred_candidates) = if v == 0 {
        let candidates = p
            .preferred_successors
            .iter()
            .map(|&id| ReplicaKey {
                id,
                directory_id: Uuid::ZERO,
            })
            .collect();
        (p.preferred_successors, candidates)
    } else {
        let candidates: Vec<ReplicaKey> = p
            .preferred_candidates
            .iter()
            .map(|c| ReplicaKey {
                id: c.candidate_id.0,
                directory_id: uuid_from_kafka(c.candidate_directory_id),
            })
            .collect();
        (candidates.iter().map(|c| c.id).collect(), candidates)
    };
    Ok(EndQuorumEpochRequest {
        cluster_id: opt_from_kafka(&m.cluster_id),
        topic_name: string_from_kafka(&topic.topic_name.0),
        partition: p.partition_index,
        leader_id: p.leader_id.0,
        leader_epoch: p.leader_epoch,
        preferred_successors,
        preferred_candidates,
        leader_endpoints,
    })
}

pub fn request_to_kafka(m: &EndQuorumEpochRequest, v: i16) -> WireRequest {
    let mut p = PartitionData::default();
    p.partition_index = m.partition;
    p.leader_id = m.leader_id.into();
    p.leader_epoch = m.leader_epoch;
    if v == 0 {
        p.preferred_successors = if m.preferred_successors.is_empty() {
            m.preferred_candidates.iter().map(|c| c.id).collect()
        } else {
            m.preferred_successors.clone()
        };
    } else {
        let candidates: Vec<ReplicaKey> = if m.preferred_candidates.is_empty() {
            m.preferred_successors
                .iter()
                .map(|&id| ReplicaKey {
                    id,
                    directory_id: Uuid::ZERO,
                })
                .collect()
        } else {
            m.preferred_candidates.clone()
        };
        p.preferred_candidates = candidates
            .iter()
            .map(|c| {
                let mut info = ReplicaInfo::default();
                info.candidate_id = c.id.into();
                info.candidate_directory_id = uuid_to_kafka(c.directory_id);
                info
            })
            .collect();
    }
    let mut topic = TopicData::default();
    topic.topic_name = str_to_kafka(&m.topic_name).into();
    topic.partitions = vec![p];
    let mut out = WireRequest::default();
    out.cluster_id = opt_to_kafka(&m.cluster_id);
    out.topics = vec![topic];
    if v >= 1 {
        out.leader_endpoints = listeners_to_kafka(&m.leader_endpoints);
    }
    out
}

quorum_response_conversions!(EndQuorumEpochResponse);
