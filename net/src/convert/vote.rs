//! Vote (52), versions 0-2. v1 adds voter id and directory ids, v2 pre-vote.

use kafka_protocol::messages::vote_request::{PartitionData, TopicData};
use kafka_protocol::messages::vote_response::{
    NodeEndpoint as WireNodeEndpoint, PartitionData as ResponsePartition,
    TopicData as ResponseTopic,
};
use kafka_protocol::messages::{VoteRequest as WireRequest, VoteResponse as WireResponse};
use kraft_message::{VoteRequest, VoteResponse};

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

quorum_response_conversions!(VoteResponse, vote_granted = false);
