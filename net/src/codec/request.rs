//! Inbound request frames to `kafka-protocol` messages, and outbound requests to frames.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiVersionsRequest, BeginQuorumEpochRequest, DescribeClusterRequest, DescribeQuorumRequest,
    EndQuorumEpochRequest, FetchRequest, FetchSnapshotRequest, RemoveRaftVoterRequest,
    UpdateRaftVoterRequest, VoteRequest,
};
use kafka_protocol::protocol::{Decodable, Encodable};

use super::add_raft_voter::AddRaftVoterWire;
use super::frame::FRAME_SIZE_PREFIX_BYTES;
use super::guard::check_request;
use super::header::{
    decode_request_header, encode_request_header, read_header_prefix, RequestHeader,
};
use super::versions::*;
use crate::error::{DecodeError, EncodeError, RequestDecodeError};

/// A request of one of the APIs this node serves.
#[derive(Clone, Debug, PartialEq)]
pub enum KafkaRequest {
    ApiVersions(ApiVersionsRequest),
    Vote(VoteRequest),
    BeginQuorumEpoch(BeginQuorumEpochRequest),
    EndQuorumEpoch(EndQuorumEpochRequest),
    Fetch(FetchRequest),
    FetchSnapshot(FetchSnapshotRequest),
    DescribeQuorum(DescribeQuorumRequest),
    DescribeCluster(DescribeClusterRequest),
    /// Versions 0-1 (kafka-protocol 0.18 has only 0; see [`AddRaftVoterWire`]).
    AddRaftVoter(AddRaftVoterWire),
    RemoveRaftVoter(RemoveRaftVoterRequest),
    UpdateRaftVoter(UpdateRaftVoterRequest),
}

impl KafkaRequest {
    pub fn api_key(&self) -> i16 {
        match self {
            KafkaRequest::ApiVersions(_) => API_KEY_API_VERSIONS,
            KafkaRequest::Vote(_) => API_KEY_VOTE,
            KafkaRequest::BeginQuorumEpoch(_) => API_KEY_BEGIN_QUORUM_EPOCH,
            KafkaRequest::EndQuorumEpoch(_) => API_KEY_END_QUORUM_EPOCH,
            KafkaRequest::Fetch(_) => API_KEY_FETCH,
            KafkaRequest::FetchSnapshot(_) => API_KEY_FETCH_SNAPSHOT,
            KafkaRequest::DescribeQuorum(_) => API_KEY_DESCRIBE_QUORUM,
            KafkaRequest::DescribeCluster(_) => API_KEY_DESCRIBE_CLUSTER,
            KafkaRequest::AddRaftVoter(_) => API_KEY_ADD_RAFT_VOTER,
            KafkaRequest::RemoveRaftVoter(_) => API_KEY_REMOVE_RAFT_VOTER,
            KafkaRequest::UpdateRaftVoter(_) => API_KEY_UPDATE_RAFT_VOTER,
        }
    }

    fn encode_body(&self, buf: &mut BytesMut, v: i16) -> Result<(), String> {
        match self {
            KafkaRequest::ApiVersions(m) => m.encode(buf, v),
            KafkaRequest::Vote(m) => m.encode(buf, v),
            KafkaRequest::BeginQuorumEpoch(m) => m.encode(buf, v),
            KafkaRequest::EndQuorumEpoch(m) => m.encode(buf, v),
            KafkaRequest::Fetch(m) => m.encode(buf, v),
            KafkaRequest::FetchSnapshot(m) => m.encode(buf, v),
            KafkaRequest::DescribeQuorum(m) => m.encode(buf, v),
            KafkaRequest::DescribeCluster(m) => m.encode(buf, v),
            KafkaRequest::AddRaftVoter(m) => return m.encode(buf, v),
            KafkaRequest::RemoveRaftVoter(m) => m.encode(buf, v),
            KafkaRequest::UpdateRaftVoter(m) => m.encode(buf, v),
        }
        .map_err(|e| e.to_string())
    }
}

/// A decoded inbound request.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedRequest {
    pub header: RequestHeader,
    pub body: KafkaRequest,
}

fn body_of<T: Decodable>(mut body: Bytes, v: i16) -> Result<T, DecodeError> {
    T::decode(&mut body, v).map_err(|e| DecodeError::Codec {
        reason: e.to_string(),
    })
}

/// Decodes one request frame (without its size prefix). Never panics on any input.
pub fn decode_request(frame: Bytes) -> Result<DecodedRequest, RequestDecodeError> {
    let prefix = read_header_prefix(&frame).ok_or(RequestDecodeError::HeaderUnreadable {
        frame_size_bytes: frame.len(),
    })?;
    let reject = |cause: DecodeError| RequestDecodeError::Rejected {
        api_key: prefix.api_key,
        api_version: prefix.api_version,
        correlation_id: prefix.correlation_id,
        cause,
    };
    let range = supported_range(prefix.api_key).ok_or_else(|| {
        reject(DecodeError::UnknownApiKey {
            api_key: prefix.api_key,
        })
    })?;
    let unsupported = DecodeError::UnsupportedVersion {
        api_key: prefix.api_key,
        api_version: prefix.api_version,
    };
    // ApiVersions at any version still has a header to read (Kafka's `RequestHeader.parse`
    // reads it for every version of ApiVersions, and only then falls back to v0).
    if !range.contains(prefix.api_version) && prefix.api_key != API_KEY_API_VERSIONS {
        return Err(reject(unsupported));
    }
    let (header, header_len) = decode_request_header(&frame).map_err(reject)?;
    if !range.contains(prefix.api_version) {
        return Err(reject(unsupported));
    }
    let v = header.api_version;
    let body = frame.slice(header_len..);
    check_request(header.api_key, v, &body).map_err(reject)?;
    let body = match header.api_key {
        API_KEY_API_VERSIONS => KafkaRequest::ApiVersions(body_of(body, v).map_err(reject)?),
        API_KEY_VOTE => KafkaRequest::Vote(body_of(body, v).map_err(reject)?),
        API_KEY_BEGIN_QUORUM_EPOCH => {
            KafkaRequest::BeginQuorumEpoch(body_of(body, v).map_err(reject)?)
        }
        API_KEY_END_QUORUM_EPOCH => KafkaRequest::EndQuorumEpoch(body_of(body, v).map_err(reject)?),
        API_KEY_FETCH => KafkaRequest::Fetch(body_of(body, v).map_err(reject)?),
        API_KEY_FETCH_SNAPSHOT => KafkaRequest::FetchSnapshot(body_of(body, v).map_err(reject)?),
        API_KEY_DESCRIBE_QUORUM => KafkaRequest::DescribeQuorum(body_of(body, v).map_err(reject)?),
        API_KEY_DESCRIBE_CLUSTER => {
            KafkaRequest::DescribeCluster(body_of(body, v).map_err(reject)?)
        }
        API_KEY_ADD_RAFT_VOTER => {
            KafkaRequest::AddRaftVoter(AddRaftVoterWire::decode(body, v).map_err(reject)?)
        }
        API_KEY_REMOVE_RAFT_VOTER => {
            KafkaRequest::RemoveRaftVoter(body_of(body, v).map_err(reject)?)
        }
        API_KEY_UPDATE_RAFT_VOTER => {
            KafkaRequest::UpdateRaftVoter(body_of(body, v).map_err(reject)?)
        }
        api_key => return Err(reject(DecodeError::UnknownApiKey { api_key })),
    };
    Ok(DecodedRequest { header, body })
}

/// Encodes a complete request frame (size prefix, header, body) at `header.api_version`.
pub fn encode_request_frame(
    header: &RequestHeader,
    body: &KafkaRequest,
) -> Result<BytesMut, EncodeError> {
    let err = |reason: String| EncodeError {
        api_key: header.api_key,
        api_version: header.api_version,
        reason,
    };
    if header.api_key != body.api_key() {
        return Err(err(format!(
            "header api key {} does not match body api key {}",
            header.api_key,
            body.api_key()
        )));
    }
    let mut buf = BytesMut::with_capacity(64);
    buf.put_i32(0);
    encode_request_header(&mut buf, header).map_err(err)?;
    body.encode_body(&mut buf, header.api_version)
        .map_err(err)?;
    let size = i32::try_from(buf.len() - FRAME_SIZE_PREFIX_BYTES)
        .map_err(|_| err("frame larger than 2 GiB".into()))?;
    buf[..FRAME_SIZE_PREFIX_BYTES].copy_from_slice(&size.to_be_bytes());
    Ok(buf)
}
