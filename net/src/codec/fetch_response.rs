//! Hand-written FetchResponse encoder for the zero-copy path.
//!
//! kafka-protocol's encoder copies `Records` into its output buffer. Here the response is cut in
//! two around the records bytes: `prefix` = [size | response header v1 | body up to and including
//! the records' compact length], `suffix` = [partition tagged fields | topic tagged fields |
//! top-level tagged fields]. The server writes prefix, the log's own batch bytes, suffix with one
//! vectored write, so record bytes are never copied in user space.
//!
//! Only the KRaft shape (versions 13+: flexible, topic id, one topic with one partition) is
//! produced; tests check it byte for byte against kafka-protocol's encoder.

use bytes::{BufMut, BytesMut};
use kraft_message::{FetchResponse, NodeEndpoint};

use super::versions::API_KEY_FETCH;
use crate::error::EncodeError;

/// First Fetch version this encoder writes (topic ids).
pub const MIN_ZERO_COPY_FETCH_VERSION: i16 = 13;
/// Last Fetch version this encoder writes.
pub const MAX_ZERO_COPY_FETCH_VERSION: i16 = 18;

/// A Fetch response frame minus its records bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchResponseFrame {
    /// Size prefix, header and body up to and including the records' length.
    pub prefix: BytesMut,
    /// Number of records bytes that must follow `prefix` (the length written into it).
    pub records_len: usize,
    /// Everything after the records bytes.
    pub suffix: BytesMut,
}

impl FetchResponseFrame {
    /// Total bytes on the wire, size prefix included.
    pub fn wire_len(&self) -> usize {
        self.prefix.len() + self.records_len + self.suffix.len()
    }
}

pub(crate) fn put_uvarint(buf: &mut impl BufMut, mut value: u32) {
    while value >= 0x80 {
        buf.put_u8((value as u8) | 0x80);
        value >>= 7;
    }
    buf.put_u8(value as u8);
}

pub(crate) fn uvarint_len(value: u32) -> usize {
    match value {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        0x4000..=0x1f_ffff => 3,
        0x20_0000..=0xfff_ffff => 4,
        _ => 5,
    }
}

/// `records_len` as the length a compact-bytes field carries (length + 1 must fit a u32).
pub(super) fn compact_records_len(records_len: usize, what: &str) -> Result<u32, String> {
    u32::try_from(records_len)
        .ok()
        .filter(|&l| l < u32::MAX)
        .ok_or_else(|| format!("{records_len} {what} bytes do not fit a compact length"))
}

fn compact_string_len(s: &str) -> usize {
    uvarint_len(s.len() as u32 + 1) + s.len()
}

fn put_compact_string(buf: &mut impl BufMut, s: &str) {
    put_uvarint(buf, s.len() as u32 + 1);
    buf.put_slice(s.as_bytes());
}

/// Bytes of one `NodeEndpoints` entry: NodeId, Host, Port int32, Rack (null), tagged fields.
fn node_endpoint_len(e: &NodeEndpoint) -> usize {
    4 + compact_string_len(&e.host) + 4 + 1 + 1
}

/// Encodes everything of a Fetch response except the records bytes. `records_len` is the exact
/// number of bytes the caller will write between prefix and suffix; it is ignored (no partition
/// data at all) when the response has a top-level error.
pub fn encode_fetch_response_frame(
    correlation_id: i32,
    api_version: i16,
    response: &FetchResponse,
    records_len: usize,
) -> Result<FetchResponseFrame, EncodeError> {
    let err = |reason: String| EncodeError {
        api_key: API_KEY_FETCH,
        api_version,
        reason,
    };
    if !(MIN_ZERO_COPY_FETCH_VERSION..=MAX_ZERO_COPY_FETCH_VERSION).contains(&api_version) {
        return Err(err("zero-copy Fetch encoder handles versions 13-18".into()));
    }
    // Host names longer than this cannot be a valid compact string; reject rather than wrap.
    if response
        .node_endpoints
        .iter()
        .any(|e| e.host.len() >= i16::MAX as usize)
    {
        return Err(err("node endpoint host too long".into()));
    }
    let has_partition = response.error_code.is_none();
    let records_len = if has_partition { records_len } else { 0 };
    let records_len_u32 = compact_records_len(records_len, "records").map_err(err)?;

    let mut prefix = BytesMut::with_capacity(96);
    prefix.put_i32(0); // size, patched below
    prefix.put_i32(correlation_id); // response header v1
    prefix.put_u8(0); // header tagged fields: none
    prefix.put_i32(response.throttle_time_ms);
    prefix.put_i16(response.error_code.code());
    prefix.put_i32(0); // SessionId: KRaft fetches are sessionless

    let mut suffix = BytesMut::with_capacity(64);
    if has_partition {
        put_uvarint(&mut prefix, 2); // Responses: one topic
        prefix.put_slice(&response.topic_id.0);
        put_uvarint(&mut prefix, 2); // Partitions: one partition
        prefix.put_i32(response.partition);
        prefix.put_i16(response.partition_error_code.code());
        prefix.put_i64(response.high_watermark);
        prefix.put_i64(-1); // LastStableOffset: no transactions in KRaft
        prefix.put_i64(response.log_start_offset);
        put_uvarint(&mut prefix, 1); // AbortedTransactions: empty array
        prefix.put_i32(-1); // PreferredReadReplica: none
        put_uvarint(&mut prefix, records_len_u32 + 1); // Records: compact length

        // Partition tagged fields, ascending tags, each only when not the schema default.
        let diverging =
            response.diverging_epoch.epoch != -1 || response.diverging_epoch.end_offset != -1;
        let leader =
            response.current_leader.leader_id != -1 || response.current_leader.leader_epoch != -1;
        let snapshot = response.snapshot_id.end_offset != -1 || response.snapshot_id.epoch != -1;
        put_uvarint(
            &mut suffix,
            diverging as u32 + leader as u32 + snapshot as u32,
        );
        if diverging {
            put_uvarint(&mut suffix, 0);
            put_uvarint(&mut suffix, 13); // Epoch int32, EndOffset int64, tagged fields
            suffix.put_i32(response.diverging_epoch.epoch);
            suffix.put_i64(response.diverging_epoch.end_offset);
            suffix.put_u8(0);
        }
        if leader {
            put_uvarint(&mut suffix, 1);
            put_uvarint(&mut suffix, 9); // LeaderId int32, LeaderEpoch int32, tagged fields
            suffix.put_i32(response.current_leader.leader_id);
            suffix.put_i32(response.current_leader.leader_epoch);
            suffix.put_u8(0);
        }
        if snapshot {
            put_uvarint(&mut suffix, 2);
            put_uvarint(&mut suffix, 13); // EndOffset int64, Epoch int32, tagged fields
            suffix.put_i64(response.snapshot_id.end_offset);
            suffix.put_i32(response.snapshot_id.epoch);
            suffix.put_u8(0);
        }
        suffix.put_u8(0); // topic tagged fields: none
    } else {
        put_uvarint(&mut prefix, 1); // Responses: empty array
    }

    // Top-level tagged fields: NodeEndpoints (tag 0) from v16 when not empty.
    if api_version >= 16 && !response.node_endpoints.is_empty() {
        let count = response.node_endpoints.len() as u32;
        let size = uvarint_len(count + 1)
            + response
                .node_endpoints
                .iter()
                .map(node_endpoint_len)
                .sum::<usize>();
        put_uvarint(&mut suffix, 1);
        put_uvarint(&mut suffix, 0);
        put_uvarint(&mut suffix, size as u32);
        put_uvarint(&mut suffix, count + 1);
        for e in &response.node_endpoints {
            suffix.put_i32(e.node_id);
            put_compact_string(&mut suffix, &e.host);
            suffix.put_i32(i32::from(e.port));
            put_uvarint(&mut suffix, 0); // Rack: null
            suffix.put_u8(0);
        }
    } else {
        suffix.put_u8(0);
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
