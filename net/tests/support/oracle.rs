//! Judges what the server decided for one request frame against the README's rules ("Fuzzing
//! and hostile input"), reading replies with kafka-protocol's own decoders rather than ours.

use bytes::{Buf, Bytes};
use kafka_protocol::messages::{
    AddRaftVoterResponse, ApiKey, ApiVersionsResponse, BeginQuorumEpochResponse,
    DescribeClusterResponse, DescribeQuorumResponse, EndQuorumEpochResponse, FetchResponse,
    FetchSnapshotResponse, RemoveRaftVoterResponse, ResponseHeader, UpdateRaftVoterResponse,
    VoteResponse,
};
use kafka_protocol::protocol::Decodable;
use kraft_net::codec::{
    decode_request, encode_request_frame, supported_range, RequestHeader, SUPPORTED_APIS,
};
use kraft_net::convert;
use kraft_net::error::{DecodeError, RequestDecodeError};
use kraft_net::server::{dispatch, Dispatch, Reply};

const UNSUPPORTED_VERSION: i16 = 35;
const INVALID_REQUEST: i16 = 42;
const API_VERSIONS: i16 = 18;

/// How many frames ended each way.
#[derive(Debug, Default)]
pub struct Tally {
    pub core: u64,
    pub api_versions: u64,
    pub api_versions_fallback: u64,
    pub api_versions_invalid: u64,
    pub wrong_shape: u64,
    pub closed: u64,
}

/// api key, api version, correlation id: the bytes every header starts with.
fn prefix(frame: &[u8]) -> Option<(i16, i16, i32)> {
    let mut b = frame.get(..8)?;
    Some((b.get_i16(), b.get_i16(), b.get_i32()))
}

fn served(api_key: i16, v: i16) -> bool {
    supported_range(api_key).is_some_and(|r| r.contains(v))
}

/// Checks the server's decision for `frame` (without size prefix); `Err` says what is wrong.
pub fn judge(frame: &Bytes, tally: &mut Tally) -> Result<(), String> {
    match dispatch(frame.clone()) {
        Dispatch::Core { header, request } => {
            tally.core += 1;
            let p = prefix(frame).ok_or("a request without a readable prefix reached the core")?;
            if (header.api_key, header.api_version, header.correlation_id) != p {
                return Err(format!(
                    "header {header:?} does not match the frame's {p:?}"
                ));
            }
            round_trips(&header, &request)
        }
        Dispatch::Reply {
            frame: reply,
            reply: kind,
        } => {
            let p = prefix(frame).ok_or("answered a frame without a readable prefix")?;
            check_reply(p, &reply, &kind, tally)
        }
        Dispatch::Close { reason } => {
            tally.closed += 1;
            check_close(frame, &reason)
        }
    }
}

/// A request handed to the core is re-encoded at its version and must decode to itself.
fn round_trips(header: &RequestHeader, request: &kraft_message::Request) -> Result<(), String> {
    let body = convert::request_to_kafka(request, header.api_version);
    let again = encode_request_frame(header, &body).map_err(|e| format!("re-encode: {e}"))?;
    match dispatch(Bytes::copy_from_slice(&again[4..])) {
        Dispatch::Core {
            header: h2,
            request: r2,
        } if &h2 == header && &r2 == request => Ok(()),
        other => Err(format!("{request:?} re-encoded dispatches as {other:?}")),
    }
}

/// Closing is right only when Kafka's processor would throw: the decoder refuses the frame, and
/// it is not ApiVersions at an unserved version with a readable header (that one is answered).
fn check_close(frame: &Bytes, reason: &RequestDecodeError) -> Result<(), String> {
    let decoded = decode_request(frame.clone());
    if decoded.is_ok() {
        return Err(format!("closed on a frame that decodes ({reason})"));
    }
    if let Err(RequestDecodeError::Rejected {
        api_key: API_VERSIONS,
        cause: DecodeError::UnsupportedVersion { .. },
        ..
    }) = decoded
    {
        return Err("closed instead of the ApiVersions fallback".into());
    }
    Ok(())
}

fn check_reply(
    (api_key, v, correlation_id): (i16, i16, i32),
    reply: &[u8],
    kind: &Reply,
    tally: &mut Tally,
) -> Result<(), String> {
    let size = reply.get(..4).map(|mut b| b.get_i32() as usize);
    if size != Some(reply.len() - 4) {
        return Err(format!(
            "reply size prefix {size:?} for {} bytes",
            reply.len()
        ));
    }
    // The README's rule for each kind: which api, at which version, with which error code.
    let (expected_version, expected_code) = match kind {
        Reply::ApiVersions if api_key == API_VERSIONS && served(api_key, v) => {
            tally.api_versions += 1;
            (v, 0)
        }
        Reply::ApiVersionsFallback if api_key == API_VERSIONS && !served(api_key, v) => {
            tally.api_versions_fallback += 1;
            (0, UNSUPPORTED_VERSION)
        }
        Reply::ApiVersionsInvalid if api_key == API_VERSIONS && served(api_key, v) && v >= 3 => {
            tally.api_versions_invalid += 1;
            (v, INVALID_REQUEST)
        }
        Reply::WrongShape(_) if api_key != API_VERSIONS && served(api_key, v) => {
            tally.wrong_shape += 1;
            (v, INVALID_REQUEST)
        }
        other => return Err(format!("reply {other:?} to api {api_key} v{v}")),
    };
    let mut body = Bytes::copy_from_slice(&reply[4..]);
    let key = ApiKey::try_from(api_key).map_err(|_| format!("api key {api_key}"))?;
    let header_version = key.response_header_version(expected_version);
    let header = ResponseHeader::decode(&mut body, header_version)
        .map_err(|e| format!("reply header: {e}"))?;
    if header.correlation_id != correlation_id {
        return Err(format!(
            "reply correlation id {} for request {correlation_id}",
            header.correlation_id
        ));
    }
    let code = error_code(api_key, expected_version, &mut body)?;
    if !body.is_empty() {
        return Err(format!("{} bytes after the reply body", body.len()));
    }
    if code != expected_code {
        return Err(format!(
            "{kind:?} carries error {code}, expected {expected_code}"
        ));
    }
    Ok(())
}

/// The top-level error code of a response body, read by kafka-protocol; ApiVersions' listed
/// ranges are checked too (all of ours on success, only its own on the fallback, none else).
fn error_code(api_key: i16, v: i16, body: &mut Bytes) -> Result<i16, String> {
    fn de<T: Decodable>(body: &mut Bytes, v: i16) -> Result<T, String> {
        T::decode(body, v).map_err(|e| format!("reply body: {e}"))
    }
    Ok(match api_key {
        API_VERSIONS => {
            let m: ApiVersionsResponse = de(body, v)?;
            let listed: Vec<(i16, i16, i16)> = m
                .api_keys
                .iter()
                .map(|k| (k.api_key, k.min_version, k.max_version))
                .collect();
            let expected: Vec<(i16, i16, i16)> = SUPPORTED_APIS
                .iter()
                .filter(|r| match m.error_code {
                    0 => true,
                    UNSUPPORTED_VERSION => r.api_key == API_VERSIONS,
                    _ => false,
                })
                .map(|r| (r.api_key, r.min_version, r.max_version))
                .collect();
            if listed != expected {
                return Err(format!(
                    "ApiVersions lists {listed:?}, expected {expected:?}"
                ));
            }
            m.error_code
        }
        1 => de::<FetchResponse>(body, v)?.error_code,
        52 => de::<VoteResponse>(body, v)?.error_code,
        53 => de::<BeginQuorumEpochResponse>(body, v)?.error_code,
        54 => de::<EndQuorumEpochResponse>(body, v)?.error_code,
        55 => de::<DescribeQuorumResponse>(body, v)?.error_code,
        59 => de::<FetchSnapshotResponse>(body, v)?.error_code,
        60 => de::<DescribeClusterResponse>(body, v)?.error_code,
        80 => de::<AddRaftVoterResponse>(body, v)?.error_code,
        81 => de::<RemoveRaftVoterResponse>(body, v)?.error_code,
        82 => de::<UpdateRaftVoterResponse>(body, v)?.error_code,
        other => return Err(format!("reply for api {other}")),
    })
}
