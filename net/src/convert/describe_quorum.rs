//! DescribeQuorum (55), versions 0-2 (flexible). v1 adds fetch/caught-up timestamps, v2 error
//! messages, directory ids and the voters' listeners (`Nodes`).

use kafka_protocol::messages::describe_quorum_request::{PartitionData, TopicData};
use kafka_protocol::messages::describe_quorum_response::{
    Listener as WireListener, Node, PartitionData as ResponsePartition,
    ReplicaState as WireReplicaState, TopicData as ResponseTopic,
};
use kafka_protocol::messages::{
    DescribeQuorumRequest as WireRequest, DescribeQuorumResponse as WireResponse,
};
use kraft_message::{
    DescribeQuorumNode, DescribeQuorumRequest, DescribeQuorumResponse, ReplicaDescription,
};

use super::common::*;

listener_conversions!(WireListener);

pub fn request_from_kafka(m: WireRequest, _v: i16) -> Result<DescribeQuorumRequest, ShapeError> {
    let topic = single(m.topics, "topics")?;
    let p = single(topic.partitions, "partitions")?;
    Ok(DescribeQuorumRequest {
        topic_name: string_from_kafka(&topic.topic_name.0),
        partition: p.partition_index,
    })
}

pub fn request_to_kafka(m: &DescribeQuorumRequest, _v: i16) -> WireRequest {
    let mut p = PartitionData::default();
    p.partition_index = m.partition;
    let mut topic = TopicData::default();
    topic.topic_name = str_to_kafka(&m.topic_name).into();
    topic.partitions = vec![p];
    let mut out = WireRequest::default();
    out.topics = vec![topic];
    out
}

fn replica_from_kafka(r: &WireReplicaState) -> ReplicaDescription {
    ReplicaDescription {
        replica_id: r.replica_id.0,
        replica_directory_id: uuid_from_kafka(r.replica_directory_id),
        log_end_offset: r.log_end_offset,
        last_fetch_timestamp: r.last_fetch_timestamp,
        last_caught_up_timestamp: r.last_caught_up_timestamp,
    }
}

fn replica_to_kafka(r: &ReplicaDescription, v: i16) -> WireReplicaState {
    let mut out = WireReplicaState::default();
    out.replica_id = r.replica_id.into();
    if v >= 2 {
        out.replica_directory_id = uuid_to_kafka(r.replica_directory_id);
    }
    out.log_end_offset = r.log_end_offset;
    if v >= 1 {
        out.last_fetch_timestamp = r.last_fetch_timestamp;
        out.last_caught_up_timestamp = r.last_caught_up_timestamp;
    }
    out
}

pub fn response_from_kafka(m: WireResponse, v: i16) -> Result<DescribeQuorumResponse, ShapeError> {
    let nodes = m
        .nodes
        .iter()
        .map(|n| DescribeQuorumNode {
            node_id: n.node_id.0,
            listeners: listeners_from_kafka(&n.listeners),
        })
        .collect();
    // Absent before v2 (kafka-protocol then reads an empty string).
    let error_message = if v >= 2 {
        opt_from_kafka(&m.error_message)
    } else {
        None
    };
    if m.error_code != 0 && m.topics.is_empty() {
        return Ok(DescribeQuorumResponse {
            error_code: code(m.error_code),
            error_message,
            topic_name: String::new(),
            partition: -1,
            partition_error_code: code(0),
            partition_error_message: None,
            leader_id: -1,
            leader_epoch: -1,
            high_watermark: -1,
            current_voters: Vec::new(),
            observers: Vec::new(),
            nodes,
        });
    }
    let topic = single(m.topics, "topics")?;
    let p = single(topic.partitions, "partitions")?;
    Ok(DescribeQuorumResponse {
        error_code: code(m.error_code),
        error_message,
        topic_name: string_from_kafka(&topic.topic_name.0),
        partition: p.partition_index,
        partition_error_code: code(p.error_code),
        partition_error_message: if v >= 2 {
            opt_from_kafka(&p.error_message)
        } else {
            None
        },
        leader_id: p.leader_id.0,
        leader_epoch: p.leader_epoch,
        high_watermark: p.high_watermark,
        current_voters: p.current_voters.iter().map(replica_from_kafka).collect(),
        observers: p.observers.iter().map(replica_from_kafka).collect(),
        nodes,
    })
}

pub fn response_to_kafka(m: &DescribeQuorumResponse, v: i16) -> WireResponse {
    let mut out = WireResponse::default();
    out.error_code = m.error_code.code();
    if v >= 2 {
        out.error_message = opt_to_kafka(&m.error_message);
    }
    if m.error_code.is_none() {
        let mut p = ResponsePartition::default();
        p.partition_index = m.partition;
        p.error_code = m.partition_error_code.code();
        if v >= 2 {
            p.error_message = opt_to_kafka(&m.partition_error_message);
        }
        p.leader_id = m.leader_id.into();
        p.leader_epoch = m.leader_epoch;
        p.high_watermark = m.high_watermark;
        p.current_voters = m
            .current_voters
            .iter()
            .map(|r| replica_to_kafka(r, v))
            .collect();
        p.observers = m.observers.iter().map(|r| replica_to_kafka(r, v)).collect();
        let mut topic = ResponseTopic::default();
        topic.topic_name = str_to_kafka(&m.topic_name).into();
        topic.partitions = vec![p];
        out.topics = vec![topic];
    }
    if v >= 2 {
        out.nodes = m
            .nodes
            .iter()
            .map(|n| {
                let mut node = Node::default();
                node.node_id = n.node_id.into();
                node.listeners = listeners_to_kafka(&n.listeners);
                node
            })
            .collect();
    }
    out
}
