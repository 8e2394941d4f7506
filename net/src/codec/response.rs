//! Responses: `kafka-protocol` messages to frames (server side) and frames to messages (client
//! side), plus the error responses the server sends for requests it cannot serve.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::api_versions_response::{
    ApiVersion, FinalizedFeatureKey, SupportedFeatureKey,
};
use kafka_protocol::messages::{
    AddRaftVoterResponse, ApiVersionsResponse, BeginQuorumEpochResponse, DescribeClusterResponse,
    DescribeQuorumResponse, EndQuorumEpochResponse, FetchResponse, FetchSnapshotResponse,
    RemoveRaftVoterResponse, UpdateRaftVoterResponse, VoteResponse,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

use super::frame::FRAME_SIZE_PREFIX_BYTES;
use super::guard::check_response;
use super::header::{decode_response_header, encode_response_header};
use super::versions::*;
use crate::error::{DecodeError, EncodeError};

/// Kafka error codes the codec itself produces.
pub const ERROR_UNSUPPORTED_VERSION: i16 = 35;
pub const ERROR_INVALID_REQUEST: i16 = 42;

/// The feature this node reports in ApiVersions v3+ `SupportedFeatures`, as a Kafka 4.x
/// controller does: kraft.version 0 (static voters) to 1 (dynamic quorum, KIP-853).
pub const KRAFT_VERSION_FEATURE: &str = "kraft.version";
pub const KRAFT_VERSION_SUPPORTED_MIN: i16 = 0;
pub const KRAFT_VERSION_SUPPORTED_MAX: i16 = 1;

/// A response of one of the APIs this node serves.
#[derive(Clone, Debug, PartialEq)]
pub enum KafkaResponse {
    ApiVersions(ApiVersionsResponse),
    Vote(VoteResponse),
    BeginQuorumEpoch(BeginQuorumEpochResponse),
    EndQuorumEpoch(EndQuorumEpochResponse),
    Fetch(FetchResponse),
    FetchSnapshot(FetchSnapshotResponse),
    DescribeQuorum(DescribeQuorumResponse),
    DescribeCluster(DescribeClusterResponse),
    AddRaftVoter(AddRaftVoterResponse),
    RemoveRaftVoter(RemoveRaftVoterResponse),
    UpdateRaftVoter(UpdateRaftVoterResponse),
}

impl KafkaResponse {
    pub fn api_key(&self) -> i16 {
        match self {
            KafkaResponse::ApiVersions(_) => API_KEY_API_VERSIONS,
            KafkaResponse::Vote(_) => API_KEY_VOTE,
            KafkaResponse::BeginQuorumEpoch(_) => API_KEY_BEGIN_QUORUM_EPOCH,
            KafkaResponse::EndQuorumEpoch(_) => API_KEY_END_QUORUM_EPOCH,
            KafkaResponse::Fetch(_) => API_KEY_FETCH,
            KafkaResponse::FetchSnapshot(_) => API_KEY_FETCH_SNAPSHOT,
            KafkaResponse::DescribeQuorum(_) => API_KEY_DESCRIBE_QUORUM,
            KafkaResponse::DescribeCluster(_) => API_KEY_DESCRIBE_CLUSTER,
            KafkaResponse::AddRaftVoter(_) => API_KEY_ADD_RAFT_VOTER,
            KafkaResponse::RemoveRaftVoter(_) => API_KEY_REMOVE_RAFT_VOTER,
            KafkaResponse::UpdateRaftVoter(_) => API_KEY_UPDATE_RAFT_VOTER,
        }
    }

    /// Top-level error code.
    pub fn error_code(&self) -> i16 {
        match self {
            KafkaResponse::ApiVersions(m) => m.error_code,
            KafkaResponse::Vote(m) => m.error_code,
            KafkaResponse::BeginQuorumEpoch(m) => m.error_code,
            KafkaResponse::EndQuorumEpoch(m) => m.error_code,
            KafkaResponse::Fetch(m) => m.error_code,
            KafkaResponse::FetchSnapshot(m) => m.error_code,
            KafkaResponse::DescribeQuorum(m) => m.error_code,
            KafkaResponse::DescribeCluster(m) => m.error_code,
            KafkaResponse::AddRaftVoter(m) => m.error_code,
            KafkaResponse::RemoveRaftVoter(m) => m.error_code,
            KafkaResponse::UpdateRaftVoter(m) => m.error_code,
        }
    }

    pub(crate) fn encode_body(&self, buf: &mut BytesMut, v: i16) -> Result<(), String> {
        match self {
            KafkaResponse::ApiVersions(m) => m.encode(buf, v),
            KafkaResponse::Vote(m) => m.encode(buf, v),
            KafkaResponse::BeginQuorumEpoch(m) => m.encode(buf, v),
            KafkaResponse::EndQuorumEpoch(m) => m.encode(buf, v),
            KafkaResponse::Fetch(m) => m.encode(buf, v),
            KafkaResponse::FetchSnapshot(m) => m.encode(buf, v),
            KafkaResponse::DescribeQuorum(m) => m.encode(buf, v),
            KafkaResponse::DescribeCluster(m) => m.encode(buf, v),
            // Versions 0 and 1 share one layout; kafka-protocol 0.18 knows it as version 0.
            KafkaResponse::AddRaftVoter(m) => m.encode(buf, 0),
            KafkaResponse::RemoveRaftVoter(m) => m.encode(buf, v),
            KafkaResponse::UpdateRaftVoter(m) => m.encode(buf, v),
        }
        .map_err(|e| e.to_string())
    }
}

/// Encodes a complete response frame (size prefix, header v0/v1, body at `api_version`).
pub fn encode_response_frame(
    correlation_id: i32,
    api_version: i16,
    body: &KafkaResponse,
) -> Result<BytesMut, EncodeError> {
    let api_key = body.api_key();
    let err = |reason: String| EncodeError {
        api_key,
        api_version,
        reason,
    };
    let mut buf = BytesMut::with_capacity(128);
    buf.put_i32(0);
    encode_response_header(&mut buf, api_key, api_version, correlation_id);
    body.encode_body(&mut buf, api_version).map_err(err)?;
    let size = i32::try_from(buf.len() - FRAME_SIZE_PREFIX_BYTES)
        .map_err(|_| err("frame larger than 2 GiB".into()))?;
    buf[..FRAME_SIZE_PREFIX_BYTES].copy_from_slice(&size.to_be_bytes());
    Ok(buf)
}

fn body_of<T: Decodable>(mut body: Bytes, v: i16) -> Result<T, DecodeError> {
    T::decode(&mut body, v).map_err(|e| DecodeError::Codec {
        reason: e.to_string(),
    })
}

/// Decodes a response frame (without size prefix) to a request of `api_key` sent at
/// `api_version`. Returns the correlation id and the body. Never panics on any input.
pub fn decode_response(
    frame: Bytes,
    api_key: i16,
    api_version: i16,
) -> Result<(i32, KafkaResponse), DecodeError> {
    let (correlation_id, body) = decode_response_header(&frame, api_key, api_version)?;
    check_response(api_key, api_version, &body)?;
    let v = api_version;
    let response = match api_key {
        API_KEY_API_VERSIONS => KafkaResponse::ApiVersions(body_of(body, v)?),
        API_KEY_VOTE => KafkaResponse::Vote(body_of(body, v)?),
        API_KEY_BEGIN_QUORUM_EPOCH => KafkaResponse::BeginQuorumEpoch(body_of(body, v)?),
        API_KEY_END_QUORUM_EPOCH => KafkaResponse::EndQuorumEpoch(body_of(body, v)?),
        API_KEY_FETCH => KafkaResponse::Fetch(body_of(body, v)?),
        API_KEY_FETCH_SNAPSHOT => KafkaResponse::FetchSnapshot(body_of(body, v)?),
        API_KEY_DESCRIBE_QUORUM => KafkaResponse::DescribeQuorum(body_of(body, v)?),
        API_KEY_DESCRIBE_CLUSTER => KafkaResponse::DescribeCluster(body_of(body, v)?),
        // Versions 0 and 1 share one layout; kafka-protocol 0.18 knows it as version 0.
        API_KEY_ADD_RAFT_VOTER => KafkaResponse::AddRaftVoter(body_of(body, 0)?),
        API_KEY_REMOVE_RAFT_VOTER => KafkaResponse::RemoveRaftVoter(body_of(body, v)?),
        API_KEY_UPDATE_RAFT_VOTER => KafkaResponse::UpdateRaftVoter(body_of(body, v)?),
        _ => return Err(DecodeError::UnknownApiKey { api_key }),
    };
    Ok((correlation_id, response))
}

/// This node's ApiVersions response (also the body of the KIP-511 fallback reply).
pub fn api_versions_response(error_code: i16) -> ApiVersionsResponse {
    let mut response = ApiVersionsResponse::default();
    response.error_code = error_code;
    response.api_keys = SUPPORTED_APIS
        .iter()
        .map(|r| {
            let mut key = ApiVersion::default();
            key.api_key = r.api_key;
            key.min_version = r.min_version;
            key.max_version = r.max_version;
            key
        })
        .collect();
    let mut kraft = SupportedFeatureKey::default();
    kraft.name = StrBytes::from_static_str(KRAFT_VERSION_FEATURE);
    kraft.min_version = KRAFT_VERSION_SUPPORTED_MIN;
    kraft.max_version = KRAFT_VERSION_SUPPORTED_MAX;
    response.supported_features = vec![kraft];
    response
}

/// This node's ApiVersions when its finalized kraft.version is `finalized_kraft_version`: as a
/// Kafka controller (`KRaftMetadataCache.features`), level 0 is not listed and level 1 and up
/// is listed in `FinalizedFeatures`; this node tracks no metadata image, so the epoch of the
/// finalized features is -1 ("unknown" in the schema).
pub fn api_versions_response_finalized(
    error_code: i16,
    finalized_kraft_version: i16,
) -> ApiVersionsResponse {
    let mut response = api_versions_response(error_code);
    if finalized_kraft_version > 0 {
        let mut kraft = FinalizedFeatureKey::default();
        kraft.name = StrBytes::from_static_str(KRAFT_VERSION_FEATURE);
        kraft.min_version_level = finalized_kraft_version;
        kraft.max_version_level = finalized_kraft_version;
        response.finalized_features = vec![kraft];
        response.finalized_features_epoch = -1;
    }
    response
}

/// ApiVersions' error response as Kafka's `ApiVersionsRequest.getErrorResponse` builds it: the
/// error code, and, for UNSUPPORTED_VERSION only, the range of ApiVersions itself (KIP-511: the
/// client retries at the highest version both sides speak; the other ranges come with that
/// retry's answer).
pub fn api_versions_error_response(error_code: i16) -> ApiVersionsResponse {
    let mut response = ApiVersionsResponse::default();
    response.error_code = error_code;
    if error_code == ERROR_UNSUPPORTED_VERSION {
        let range = supported_range(API_KEY_API_VERSIONS).expect("ApiVersions is served");
        let mut key = ApiVersion::default();
        key.api_key = range.api_key;
        key.min_version = range.min_version;
        key.max_version = range.max_version;
        response.api_keys = vec![key];
    }
    response
}

/// The response to a request of a served `api_key` at a served `api_version` that this node
/// rejects with `error_code` as a whole (top-level error code, no partition data).
pub fn error_response(api_key: i16, error_code: i16) -> Option<KafkaResponse> {
    Some(match api_key {
        API_KEY_API_VERSIONS => KafkaResponse::ApiVersions(api_versions_error_response(error_code)),
        API_KEY_VOTE => {
            let mut m = VoteResponse::default();
            m.error_code = error_code;
            KafkaResponse::Vote(m)
        }
        API_KEY_BEGIN_QUORUM_EPOCH => {
            let mut m = BeginQuorumEpochResponse::default();
            m.error_code = error_code;
            KafkaResponse::BeginQuorumEpoch(m)
        }
        API_KEY_END_QUORUM_EPOCH => {
            let mut m = EndQuorumEpochResponse::default();
            m.error_code = error_code;
            KafkaResponse::EndQuorumEpoch(m)
        }
        API_KEY_FETCH => {
            let mut m = FetchResponse::default();
            m.error_code = error_code;
            KafkaResponse::Fetch(m)
        }
        API_KEY_FETCH_SNAPSHOT => {
            let mut m = FetchSnapshotResponse::default();
            m.error_code = error_code;
            KafkaResponse::FetchSnapshot(m)
        }
        API_KEY_DESCRIBE_QUORUM => {
            let mut m = DescribeQuorumResponse::default();
            m.error_code = error_code;
            KafkaResponse::DescribeQuorum(m)
        }
        API_KEY_DESCRIBE_CLUSTER => {
            let mut m = DescribeClusterResponse::default();
            m.error_code = error_code;
            KafkaResponse::DescribeCluster(m)
        }
        API_KEY_ADD_RAFT_VOTER => {
            let mut m = AddRaftVoterResponse::default();
            m.error_code = error_code;
            KafkaResponse::AddRaftVoter(m)
        }
        API_KEY_REMOVE_RAFT_VOTER => {
            let mut m = RemoveRaftVoterResponse::default();
            m.error_code = error_code;
            KafkaResponse::RemoveRaftVoter(m)
        }
        API_KEY_UPDATE_RAFT_VOTER => {
            let mut m = UpdateRaftVoterResponse::default();
            m.error_code = error_code;
            KafkaResponse::UpdateRaftVoter(m)
        }
        _ => return None,
    })
}

/// The frame answering a request with an error as a whole (which requests are answered and
/// which close the connection is decided in `server::dispatch`):
/// - ApiVersions at a version we do not know: UNSUPPORTED_VERSION in a v0 response listing the
///   range of ApiVersions (KIP-511), so the client can retry at a version we both speak;
/// - any served api at a served version: its response with the top-level error;
/// - anything else has no schema to answer in: a minimal frame of header v0 and the error code
///   (the server never sends it for a request it reads: those close the connection, as
///   Kafka's do).
pub fn rejection_frame(
    api_key: i16,
    api_version: i16,
    correlation_id: i32,
    error_code: i16,
) -> BytesMut {
    if api_key == API_KEY_API_VERSIONS {
        let v = match supported_range(api_key) {
            Some(range) if range.contains(api_version) => api_version,
            _ => 0,
        };
        let code = if v == api_version {
            error_code
        } else {
            ERROR_UNSUPPORTED_VERSION
        };
        let body = KafkaResponse::ApiVersions(api_versions_error_response(code));
        if let Ok(frame) = encode_response_frame(correlation_id, v, &body) {
            return frame;
        }
    }
    if let Some(range) = supported_range(api_key) {
        if range.contains(api_version) {
            if let Some(body) = error_response(api_key, error_code) {
                if let Ok(frame) = encode_response_frame(correlation_id, api_version, &body) {
                    return frame;
                }
            }
        }
    }
    let mut buf = BytesMut::with_capacity(10);
    buf.put_i32(6);
    buf.put_i32(correlation_id);
    buf.put_i16(error_code);
    buf
}
