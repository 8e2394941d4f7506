//! Vote (52), versions 0-2. v1 adds voter id and directory ids, v2 pre-vote.

use kafka_protocol::messages::vote_request::{PartitionData, TopicData};
use kafka_protocol::messages::vote_response::{
    NodeEndpoint as WireNodeEndpoint, PartitionData as ResponsePartition,
    TopicData as ResponseTopic,
};
use kafka_protocol::messages::{VoteRequest as WireRequest, VoteResponse as WireResponse};
use kraft_engine::message::{VoteRequest, VoteResponse};

use super::common::*;

node_endpoint_conversions!(WireNodeEndpoint);

pub fn request_from_kafka(m: WireRequest, _v: i16) -> Result<VoteRequest, ShapeError> {
    let topic = single(m.topics, "topics")?;
    let p = single(topic.partitions, "partitions")?;
    Ok(VoteRequest {
        cluster_id: opt_from_kafka(&m.cluster_id),
        voter_id: m.voter_id.0,
        topic_name: string_from_kafka(&topic.topic_name.0),
        partition: p.partition_index,
        candidate_epoch: p.replica_epoch,
        candidate_id: p.replica_id.0,
        candidate_directory_id: uuid_from_kafka(p.replica_directory_id),
        voter_directory_id: uuid_from_kafka(p.voter_directory_id),
        last_offset_epoch: p.last_offset_epoch,
        last_offset: p.last_offset,
        pre_vote: p.pre_vote,
    })
}

pub fn request_to_kafka(m: &VoteRequest, v: i16) -> WireRequest {
    let mut p = PartitionData::default();
    p.partition_index = m.partition;
    p.replica_epoch = m.candidate_epoch;
    p.replica_id = m.candidate_id.into();
    if v >= 1 {
        p.replica_directory_id = uuid_to_kafka(m.candidate_directory_id);
        p.voter_directory_id = uuid_to_kafka(m.voter_directory_id);
    }
    p.last_offset_epoch = m.last_offset_epoch;
    p.last_offset = m.last_offset;
    if v >= 2 {
        p.pre_vote = m.pre_vote;
    }
    let mut topic = TopicData::default();
    topic.topic_name = str_to_kafka(&m.topic_name).into();
    topic.partitions = vec![p];
    let mut out = WireRequest::default();
    out.cluster_id = opt_to_kafka(&m.cluster_id);
    if v >= 1 {
        out.voter_id = m.voter_id.into();
    }
    out.topics = vec![topic];
    out
}

pub fn response_from_kafka(m: WireResponse, _v: i16) -> Result<VoteResponse, ShapeError> {
    let node_endpoints = node_endpoints_from_kafka(&m.node_endpoints);
    if m.error_code != 0 && m.topics.is_empty() {
        return Ok(VoteResponse {
            error_code: code(m.error_code),
            topic_name: String::new(),
            partition: -1,
            partition_error_code: code(0),
            leader_id: -1,
            leader_epoch: -1,
            vote_granted: false,
            node_endpoints,
        });
    }
    let topic = single(m.topics, "topics")?;
    let p = single(topic.partitions, "partitions")?;
    Ok(VoteResponse {
        error_code: code(m.error_code),
        topic_name: string_from_kafka(&topic.topic_name.0),
        partition: p.partition_index,
        partition_error_code: code(p.error_code),
        leader_id: p.leader_id.0,
        leader_epoch: p.leader_epoch,
        vote_granted: p.vote_granted,
        node_endpoints,
    })
}

pub fn response_to_kafka(m: &VoteResponse, v: i16) -> WireResponse {
    let mut out = WireResponse::default();
    out.error_code = m.error_code.code();
    if m.error_code.is_none() {
        let mut p = ResponsePartition::default();
        p.partition_index = m.partition;
        p.error_code = m.partition_error_code.code();
        p.leader_id = m.leader_id.into();
        p.leader_epoch = m.leader_epoch;
        p.vote_granted = m.vote_granted;
        let mut topic = ResponseTopic::default();
        topic.topic_name = str_to_kafka(&m.topic_name).into();
        topic.partitions = vec![p];
        out.topics = vec![topic];
    }
    if v >= 1 {
        out.node_endpoints = node_endpoints_to_kafka(&m.node_endpoints);
    }
    out
}
