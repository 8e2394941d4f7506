//! FetchSnapshot (59), versions 0-1 (flexible). v1 adds `ReplicaDirectoryId` and the response's
//! `NodeEndpoints`.

use bytes::Bytes;
use kafka_protocol::messages::fetch_snapshot_request::{
    PartitionSnapshot, SnapshotId as WireSnapshotId, TopicSnapshot,
};
use kafka_protocol::messages::fetch_snapshot_response::{
    LeaderIdAndEpoch as WireLeaderIdAndEpoch, NodeEndpoint as WireNodeEndpoint,
    PartitionSnapshot as ResponsePartition, SnapshotId as WireResponseSnapshotId,
    TopicSnapshot as ResponseTopic,
};
use kafka_protocol::messages::{
    FetchSnapshotRequest as WireRequest, FetchSnapshotResponse as WireResponse,
};
use kraft_message::{
    FetchSnapshotRequest, FetchSnapshotResponse, LeaderIdAndEpoch, SnapshotId, SnapshotRecords,
};

use super::common::*;

node_endpoint_conversions!(WireNodeEndpoint);

pub fn request_from_kafka(m: WireRequest, _v: i16) -> Result<FetchSnapshotRequest, ShapeError> {
    let topic = single(m.topics, "topics")?;
    let p = single(topic.partitions, "partitions")?;
    Ok(FetchSnapshotRequest {
        cluster_id: opt_from_kafka(&m.cluster_id),
        replica_id: m.replica_id.0,
        max_bytes: m.max_bytes,
        topic_name: string_from_kafka(&topic.name.0),
        partition: p.partition,
        current_leader_epoch: p.current_leader_epoch,
        snapshot_id: SnapshotId {
            end_offset: p.snapshot_id.end_offset,
            epoch: p.snapshot_id.epoch,
        },
        position: p.position,
        replica_directory_id: uuid_from_kafka(p.replica_directory_id),
    })
}

pub fn request_to_kafka(m: &FetchSnapshotRequest, v: i16) -> WireRequest {
    let mut id = WireSnapshotId::default();
    id.end_offset = m.snapshot_id.end_offset;
    id.epoch = m.snapshot_id.epoch;
    let mut p = PartitionSnapshot::default();
    p.partition = m.partition;
    p.current_leader_epoch = m.current_leader_epoch;
    p.snapshot_id = id;
    p.position = m.position;
    if v >= 1 {
        p.replica_directory_id = uuid_to_kafka(m.replica_directory_id);
    }
    let mut topic = TopicSnapshot::default();
    topic.name = str_to_kafka(&m.topic_name).into();
    topic.partitions = vec![p];
    let mut out = WireRequest::default();
    out.cluster_id = opt_to_kafka(&m.cluster_id);
    out.replica_id = m.replica_id.into();
    out.max_bytes = m.max_bytes;
    out.topics = vec![topic];
    out
}

pub fn response_from_kafka(m: WireResponse, _v: i16) -> Result<FetchSnapshotResponse, ShapeError> {
    let node_endpoints = node_endpoints_from_kafka(&m.node_endpoints);
    if m.error_code != 0 && m.topics.is_empty() {
        return Ok(FetchSnapshotResponse {
            throttle_time_ms: m.throttle_time_ms,
            error_code: code(m.error_code),
            topic_name: String::new(),
            partition: -1,
            partition_error_code: code(0),
            snapshot_id: SnapshotId::NONE,
            current_leader: LeaderIdAndEpoch {
                leader_id: -1,
                leader_epoch: -1,
            },
            size: -1,
            position: -1,
            unaligned_records: SnapshotRecords::Empty,
            node_endpoints,
        });
    }
    let topic = single(m.topics, "topics")?;
    let p = single(topic.partitions, "partitions")?;
    let unaligned_records = if p.unaligned_records.is_empty() {
        SnapshotRecords::Empty
    } else {
        SnapshotRecords::Bytes(p.unaligned_records)
    };
    Ok(FetchSnapshotResponse {
        throttle_time_ms: m.throttle_time_ms,
        error_code: code(m.error_code),
        topic_name: string_from_kafka(&topic.name.0),
        partition: p.index,
        partition_error_code: code(p.error_code),
        snapshot_id: SnapshotId {
            end_offset: p.snapshot_id.end_offset,
            epoch: p.snapshot_id.epoch,
        },
        current_leader: LeaderIdAndEpoch {
            leader_id: p.current_leader.leader_id.0,
            leader_epoch: p.current_leader.leader_epoch,
        },
        size: p.size,
        position: p.position,
        unaligned_records,
        node_endpoints,
    })
}

/// `records` = the snapshot bytes (the caller resolves `SnapshotRecords::FileRange` first).
pub fn response_to_kafka(m: &FetchSnapshotResponse, records: Bytes, v: i16) -> WireResponse {
    let mut out = WireResponse::default();
    out.throttle_time_ms = m.throttle_time_ms;
    out.error_code = m.error_code.code();
    if m.error_code.is_none() {
        let mut id = WireResponseSnapshotId::default();
        id.end_offset = m.snapshot_id.end_offset;
        id.epoch = m.snapshot_id.epoch;
        let mut leader = WireLeaderIdAndEpoch::default();
        leader.leader_id = m.current_leader.leader_id.into();
        leader.leader_epoch = m.current_leader.leader_epoch;
        let mut p = ResponsePartition::default();
        p.index = m.partition;
        p.error_code = m.partition_error_code.code();
        p.snapshot_id = id;
        p.current_leader = leader;
        p.size = m.size;
        p.position = m.position;
        p.unaligned_records = records;
        let mut topic = ResponseTopic::default();
        topic.name = str_to_kafka(&m.topic_name).into();
        topic.partitions = vec![p];
        out.topics = vec![topic];
    }
    if v >= 1 {
        out.node_endpoints = node_endpoints_to_kafka(&m.node_endpoints);
    }
    out
}
