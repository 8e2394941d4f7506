//! BeginQuorumEpoch (53), versions 0-1. v1 is flexible and adds voter id/directory id and the
//! leader's endpoints.

use kafka_protocol::messages::begin_quorum_epoch_request::{
    LeaderEndpoint as WireLeaderEndpoint, PartitionData, TopicData,
};
use kafka_protocol::messages::begin_quorum_epoch_response::{
    NodeEndpoint as WireNodeEndpoint, PartitionData as ResponsePartition,
    TopicData as ResponseTopic,
};
use kafka_protocol::messages::{
    BeginQuorumEpochRequest as WireRequest, BeginQuorumEpochResponse as WireResponse,
};
use kraft_message::{BeginQuorumEpochRequest, BeginQuorumEpochResponse};

use super::common::*;

node_endpoint_conversions!(WireNodeEndpoint);
listener_conversions!(WireLeaderEndpoint);

pub fn request_from_kafka(m: WireRequest, _v: i16) -> Result<BeginQuorumEpochRequest, ShapeError> {
    let leader_endpoints = listeners_from_kafka(&m.leader_endpoints);
    let topic = single(m.topics, "topics")?;
    let p = single(topic.partitions, "partitions")?;
    Ok(BeginQuorumEpochRequest {
        cluster_id: opt_from_kafka(&m.cluster_id),
        voter_id: m.voter_id.0,
        topic_name: string_from_kafka(&topic.topic_name.0),
        partition: p.partition_index,
        voter_directory_id: uuid_from_kafka(p.voter_directory_id),
        leader_id: p.leader_id.0,
        leader_epoch: p.leader_epoch,
        leader_endpoints,
    })
}

pub fn request_to_kafka(m: &BeginQuorumEpochRequest, v: i16) -> WireRequest {
    let mut p = PartitionData::default();
    p.partition_index = m.partition;
    if v >= 1 {
        p.voter_directory_id = uuid_to_kafka(m.voter_directory_id);
    }
    p.leader_id = m.leader_id.into();
    p.leader_epoch = m.leader_epoch;
    let mut topic = TopicData::default();
    topic.topic_name = str_to_kafka(&m.topic_name).into();
    topic.partitions = vec![p];
    let mut out = WireRequest::default();
    out.cluster_id = opt_to_kafka(&m.cluster_id);
    out.topics = vec![topic];
    if v >= 1 {
        out.voter_id = m.voter_id.into();
        out.leader_endpoints = listeners_to_kafka(&m.leader_endpoints);
    }
    out
}

quorum_response_conversions!(BeginQuorumEpochResponse);
