//! Fetch (1) as KRaft uses it: versions 13+ (topic ids), one topic, one partition.
//! v15 moves the replica id into the `ReplicaState` tag, v17 adds `ReplicaDirectoryId`, v18 the
//! fetcher's high watermark. Responses are written by the server's zero-copy encoder
//! ([`crate::codec::fetch_response`]); [`response_to_kafka`] is the same mapping through
//! kafka-protocol, used to check that encoder and for record bytes already in memory.

use bytes::Bytes;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic, ReplicaState};
use kafka_protocol::messages::fetch_response::{
    EpochEndOffset as WireEpochEndOffset, FetchableTopicResponse,
    LeaderIdAndEpoch as WireLeaderIdAndEpoch, NodeEndpoint as WireNodeEndpoint, PartitionData,
    SnapshotId as WireSnapshotId,
};
use kafka_protocol::messages::{FetchRequest as WireRequest, FetchResponse as WireResponse};
use kraft_message::{
    EpochEndOffset, FetchRequest, FetchResponse, LeaderIdAndEpoch, NodeEndpoint, Records,
    SnapshotId, Uuid,
};

use super::common::*;

pub fn request_from_kafka(m: WireRequest, _v: i16) -> Result<FetchRequest, ShapeError> {
    let topic = single(m.topics, "topics")?;
    let p = single(topic.partitions, "partitions")?;
    // Kafka: the top-level ReplicaId (v <= 14) wins unless it is -1, then ReplicaState's.
    let replica_id = if m.replica_id.0 != -1 {
        m.replica_id.0
    } else {
        m.replica_state.replica_id.0
    };
    Ok(FetchRequest {
        cluster_id: opt_from_kafka(&m.cluster_id),
        replica_id,
        replica_epoch: m.replica_state.replica_epoch,
        max_wait_ms: m.max_wait_ms,
        min_bytes: m.min_bytes,
        max_bytes: m.max_bytes,
        topic_id: uuid_from_kafka(topic.topic_id),
        partition: p.partition,
        current_leader_epoch: p.current_leader_epoch,
        fetch_offset: p.fetch_offset,
        last_fetched_epoch: p.last_fetched_epoch,
        log_start_offset: p.log_start_offset,
        partition_max_bytes: p.partition_max_bytes,
        replica_directory_id: uuid_from_kafka(p.replica_directory_id),
        high_watermark: p.high_watermark,
    })
}

pub fn request_to_kafka(m: &FetchRequest, v: i16) -> WireRequest {
    let mut p = FetchPartition::default();
    p.partition = m.partition;
    p.current_leader_epoch = m.current_leader_epoch;
    p.fetch_offset = m.fetch_offset;
    p.last_fetched_epoch = m.last_fetched_epoch;
    p.log_start_offset = m.log_start_offset;
    p.partition_max_bytes = m.partition_max_bytes;
    if v >= 17 {
        p.replica_directory_id = uuid_to_kafka(m.replica_directory_id);
    }
    if v >= 18 {
        p.high_watermark = m.high_watermark;
    }
    let mut topic = FetchTopic::default();
    topic.topic_id = uuid_to_kafka(m.topic_id);
    topic.partitions = vec![p];
    let mut out = WireRequest::default();
    out.cluster_id = opt_to_kafka(&m.cluster_id);
    if v <= 14 {
        out.replica_id = m.replica_id.into();
    } else {
        let mut state = ReplicaState::default();
        state.replica_id = m.replica_id.into();
        state.replica_epoch = m.replica_epoch;
        out.replica_state = state;
    }
    out.max_wait_ms = m.max_wait_ms;
    out.min_bytes = m.min_bytes;
    out.max_bytes = m.max_bytes;
    out.isolation_level = 0;
    out.session_id = 0;
    out.session_epoch = -1;
    out.topics = vec![topic];
    out
}

fn node_endpoints_from_kafka(endpoints: &[WireNodeEndpoint]) -> Vec<NodeEndpoint> {
    endpoints
        .iter()
        .map(|e| NodeEndpoint {
            node_id: e.node_id.0,
            host: string_from_kafka(&e.host),
            // Fetch declares Port int32 where the other APIs use uint16; a value outside the
            // port range cannot be a real endpoint, so it becomes 0 (unknown).
            port: u16::try_from(e.port).unwrap_or(0),
        })
        .collect()
}

fn node_endpoints_to_kafka(endpoints: &[NodeEndpoint]) -> Vec<WireNodeEndpoint> {
    endpoints
        .iter()
        .map(|e| {
            let mut out = WireNodeEndpoint::default();
            out.node_id = e.node_id.into();
            out.host = str_to_kafka(&e.host);
            out.port = i32::from(e.port);
            out.rack = None;
            out
        })
        .collect()
}

/// Client side: the records stay a slice of the received frame (no copy).
pub fn response_from_kafka(m: WireResponse, v: i16) -> Result<FetchResponse, ShapeError> {
    let node_endpoints = if v >= 16 {
        node_endpoints_from_kafka(&m.node_endpoints)
    } else {
        Vec::new()
    };
    if m.error_code != 0 && m.responses.is_empty() {
        return Ok(FetchResponse {
            throttle_time_ms: m.throttle_time_ms,
            error_code: code(m.error_code),
            topic_id: Uuid::ZERO,
            partition: -1,
            partition_error_code: code(0),
            high_watermark: -1,
            log_start_offset: -1,
            diverging_epoch: EpochEndOffset::NONE,
            current_leader: LeaderIdAndEpoch {
                leader_id: -1,
                leader_epoch: -1,
            },
            snapshot_id: SnapshotId::NONE,
            records: Records::Empty,
            node_endpoints,
        });
    }
    let topic = single(m.responses, "topics")?;
    let p = single(topic.partitions, "partitions")?;
    let records = match p.records {
        Some(bytes) if !bytes.is_empty() => Records::Bytes(bytes),
        _ => Records::Empty,
    };
    Ok(FetchResponse {
        throttle_time_ms: m.throttle_time_ms,
        error_code: code(m.error_code),
        topic_id: uuid_from_kafka(topic.topic_id),
        partition: p.partition_index,
        partition_error_code: code(p.error_code),
        high_watermark: p.high_watermark,
        log_start_offset: p.log_start_offset,
        diverging_epoch: EpochEndOffset {
            epoch: p.diverging_epoch.epoch,
            end_offset: p.diverging_epoch.end_offset,
        },
        current_leader: LeaderIdAndEpoch {
            leader_id: p.current_leader.leader_id.0,
            leader_epoch: p.current_leader.leader_epoch,
        },
        snapshot_id: SnapshotId {
            end_offset: p.snapshot_id.end_offset,
            epoch: p.snapshot_id.epoch,
        },
        records,
        node_endpoints,
    })
}

/// The same response through kafka-protocol, with `records` as the record bytes (the caller
/// resolves `Records::LogRange` first).
pub fn response_to_kafka(m: &FetchResponse, records: Bytes, v: i16) -> WireResponse {
    let mut out = WireResponse::default();
    out.throttle_time_ms = m.throttle_time_ms;
    out.error_code = m.error_code.code();
    out.session_id = 0;
    if m.error_code.is_none() {
        let mut p = PartitionData::default();
        p.partition_index = m.partition;
        p.error_code = m.partition_error_code.code();
        p.high_watermark = m.high_watermark;
        p.last_stable_offset = -1;
        p.log_start_offset = m.log_start_offset;
        let mut diverging = WireEpochEndOffset::default();
        diverging.epoch = m.diverging_epoch.epoch;
        diverging.end_offset = m.diverging_epoch.end_offset;
        p.diverging_epoch = diverging;
        let mut leader = WireLeaderIdAndEpoch::default();
        leader.leader_id = m.current_leader.leader_id.into();
        leader.leader_epoch = m.current_leader.leader_epoch;
        p.current_leader = leader;
        let mut snapshot = WireSnapshotId::default();
        snapshot.end_offset = m.snapshot_id.end_offset;
        snapshot.epoch = m.snapshot_id.epoch;
        p.snapshot_id = snapshot;
        p.aborted_transactions = Some(Vec::new());
        p.preferred_read_replica = (-1).into();
        p.records = Some(records);
        let mut topic = FetchableTopicResponse::default();
        topic.topic_id = uuid_to_kafka(m.topic_id);
        topic.partitions = vec![p];
        out.responses = vec![topic];
    }
    if v >= 16 {
        out.node_endpoints = node_endpoints_to_kafka(&m.node_endpoints);
    }
    out
}
