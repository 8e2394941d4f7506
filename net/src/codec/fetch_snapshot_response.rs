//! Hand-written FetchSnapshotResponse encoder for the zero-copy path.
//!
//! Like the Fetch encoder (`fetch_response.rs`), the frame is cut around the snapshot chunk:
//! `prefix` = [size | response header v1 | body up to and including UnalignedRecords' compact
//! length], `suffix` = [partition tagged fields (CurrentLeader) | topic tagged fields | top-level
//! tagged fields (NodeEndpoints, v1+)]. The server writes prefix, the snapshot file's mapped
//! bytes and suffix with one vectored write, so the chunk is never copied in user space.
//! Tests check the frame byte for byte against kafka-protocol's encoder.

use bytes::{BufMut, BytesMut};
use kraft_message::{FetchSnapshotResponse, NodeEndpoint};

use super::fetch_response::{compact_records_len, put_uvarint, uvarint_len, FetchResponseFrame};
use super::versions::API_KEY_FETCH_SNAPSHOT;
use crate::error::EncodeError;

/// Last FetchSnapshot version this encoder writes (all are flexible).
pub const MAX_ZERO_COPY_FETCH_SNAPSHOT_VERSION: i16 = 1;

/// Bytes of one FetchSnapshot `NodeEndpoint`: NodeId, Host, Port uint16, tagged fields.
fn node_endpoint_len(e: &NodeEndpoint) -> usize {
    4 + uvarint_len(e.host.len() as u32 + 1) + e.host.len() + 2 + 1
}

fn put_partition_prefix(prefix: &mut BytesMut, r: &FetchSnapshotResponse, records_len: u32) {
    put_uvarint(prefix, r.topic_name.len() as u32 + 1); // Topics[0].Name
    prefix.put_slice(r.topic_name.as_bytes());
    put_uvarint(prefix, 2); // Partitions: one partition
    prefix.put_i32(r.partition);
    prefix.put_i16(r.partition_error_code.code());
    prefix.put_i64(r.snapshot_id.end_offset);
    prefix.put_i32(r.snapshot_id.epoch);
    prefix.put_u8(0); // SnapshotId tagged fields: none
    prefix.put_i64(r.size);
    prefix.put_i64(r.position);
    put_uvarint(prefix, records_len + 1); // UnalignedRecords: compact length
}

fn put_partition_suffix(suffix: &mut BytesMut, r: &FetchSnapshotResponse) {
    // CurrentLeader (tag 0) is written unless it equals the schema default (0, 0).
    let leader = r.current_leader.leader_id != 0 || r.current_leader.leader_epoch != 0;
    put_uvarint(suffix, leader as u32);
    if leader {
        put_uvarint(suffix, 0);
        put_uvarint(suffix, 9); // LeaderId int32, LeaderEpoch int32, tagged fields
        suffix.put_i32(r.current_leader.leader_id);
        suffix.put_i32(r.current_leader.leader_epoch);
        suffix.put_u8(0);
    }
    suffix.put_u8(0); // topic tagged fields: none
}

fn put_node_endpoints(suffix: &mut BytesMut, endpoints: &[NodeEndpoint]) {
    let count = endpoints.len() as u32;
    let size = uvarint_len(count + 1) + endpoints.iter().map(node_endpoint_len).sum::<usize>();
    put_uvarint(suffix, 1); // one top-level tagged field
    put_uvarint(suffix, 0); // tag 0: NodeEndpoints
    put_uvarint(suffix, size as u32);
    put_uvarint(suffix, count + 1);
    for e in endpoints {
        suffix.put_i32(e.node_id);
        put_uvarint(suffix, e.host.len() as u32 + 1);
        suffix.put_slice(e.host.as_bytes());
        suffix.put_u16(e.port);
        suffix.put_u8(0);
    }
}

/// Encodes everything of a FetchSnapshot response except the chunk's bytes. `records_len` is the
/// exact number of bytes the caller writes between prefix and suffix; it is ignored (no topic at
/// all, as kafka-protocol's conversion does) when the response has a top-level error.
pub fn encode_fetch_snapshot_response_frame(
    correlation_id: i32,
    api_version: i16,
    response: &FetchSnapshotResponse,
    records_len: usize,
) -> Result<FetchResponseFrame, EncodeError> {
    let err = |reason: String| EncodeError {
        api_key: API_KEY_FETCH_SNAPSHOT,
        api_version,
        reason,
    };
    if !(0..=MAX_ZERO_COPY_FETCH_SNAPSHOT_VERSION).contains(&api_version) {
        return Err(err(
            "zero-copy FetchSnapshot encoder handles versions 0-1".into()
        ));
    }
    // Longer strings cannot be valid compact strings; reject rather than wrap.
    let too_long = response.topic_name.len() >= i16::MAX as usize
        || response
            .node_endpoints
            .iter()
            .any(|e| e.host.len() >= i16::MAX as usize);
    if too_long {
        return Err(err("topic name or node endpoint host too long".into()));
    }
    let has_topic = response.error_code.is_none();
    let records_len = if has_topic { records_len } else { 0 };
    let records_len_u32 = compact_records_len(records_len, "snapshot").map_err(err)?;

    let mut prefix = BytesMut::with_capacity(96 + response.topic_name.len());
    prefix.put_i32(0); // size, patched below
    prefix.put_i32(correlation_id); // response header v1
    prefix.put_u8(0); // header tagged fields: none
    prefix.put_i32(response.throttle_time_ms);
    prefix.put_i16(response.error_code.code());
    let mut suffix = BytesMut::with_capacity(64);
    if has_topic {
        put_uvarint(&mut prefix, 2); // Topics: one topic
        put_partition_prefix(&mut prefix, response, records_len_u32);
        put_partition_suffix(&mut suffix, response);
    } else {
        put_uvarint(&mut prefix, 1); // Topics: empty array
    }
    if api_version >= 1 && !response.node_endpoints.is_empty() {
        put_node_endpoints(&mut suffix, &response.node_endpoints);
    } else {
        suffix.put_u8(0); // top-level tagged fields: none
    }

    let size = prefix.len() - 4 + records_len + suffix.len();
    let size = i32::try_from(size).map_err(|_| err("frame larger than 2 GiB".into()))?;
    prefix[..4].copy_from_slice(&size.to_be_bytes());
    Ok(FetchResponseFrame {
        prefix,
        records_len,
        suffix,
    })
}
