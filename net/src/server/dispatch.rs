//! The server's decision for one inbound request frame, as a pure function (no socket, no core,
//! no clock): the request for the core, or the exact reply frame net sends itself, or closing
//! the connection. The server runs every frame through [`dispatch`], and the hardening test
//! drives the same function, so what it checks is what a peer gets.
//!
//! The rules are Kafka's (4.4.0: `SocketServer`'s `Processor.processCompletedReceives`,
//! `RequestContext.parseRequest`, `ControllerApis.handleApiVersionsRequest`, `KafkaRaftClient`):
//! - a header that cannot be read, an unknown api key, an api this node does not serve, a
//!   version of it that is not served (ApiVersions excepted), or a body that cannot be parsed:
//!   Kafka's processor throws while building the request and closes the connection without an
//!   answer; so do we ([`Dispatch::Close`]);
//! - ApiVersions at a version not served (header still readable): a v0 response with
//!   UNSUPPORTED_VERSION listing ApiVersions' own range (KIP-511);
//! - ApiVersions v3+ whose client software name or version does not match Kafka's pattern:
//!   INVALID_REQUEST at the request's version; otherwise this node's ApiVersions;
//! - a Raft RPC that parses but does not carry exactly one topic with one partition: its
//!   response with top-level INVALID_REQUEST, as `KafkaRaftClient` answers;
//! - everything else (the Raft RPCs, the voter changes, DescribeCluster) goes to the core.

use bytes::{Bytes, BytesMut};
use kraft_message::Request;

use crate::codec::response::{ERROR_INVALID_REQUEST, ERROR_UNSUPPORTED_VERSION};
use crate::codec::versions::API_KEY_API_VERSIONS;
use crate::codec::{
    api_versions_response_finalized, decode_request, encode_response_frame, error_response,
    rejection_frame, KafkaResponse, RequestHeader,
};
use crate::convert::{self, Inbound, ShapeError};
use crate::error::{DecodeError, RequestDecodeError};

/// Kafka's UNKNOWN_SERVER_ERROR: a response net could not encode (never expected).
pub const ERROR_UNKNOWN_SERVER_ERROR: i16 = -1;

/// What the server does with one frame.
#[derive(Debug)]
pub enum Dispatch {
    /// A Raft request for the core; the response is written at `header.api_version`.
    Core {
        header: RequestHeader,
        request: Request,
    },
    /// Answered by net itself with this complete frame (size prefix included).
    Reply { frame: BytesMut, reply: Reply },
    /// Close the connection without answering.
    Close { reason: RequestDecodeError },
}

/// Why net answered a request itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// This node's ApiVersions.
    ApiVersions,
    /// ApiVersions at a version not served: the v0 fallback with UNSUPPORTED_VERSION.
    ApiVersionsFallback,
    /// ApiVersions whose client software name or version Kafka refuses: INVALID_REQUEST.
    ApiVersionsInvalid,
    /// A Raft RPC of another shape than one topic with one partition: INVALID_REQUEST.
    WrongShape(ShapeError),
}

impl Reply {
    /// Whether the request was refused (counted in `ServerStats::rejected_requests`).
    pub fn is_rejection(&self) -> bool {
        !matches!(self, Reply::ApiVersions)
    }
}

/// Decides what to do with one request frame (without its size prefix) on a node whose
/// finalized kraft.version is 0. Never panics.
pub fn dispatch(frame: Bytes) -> Dispatch {
    dispatch_with(frame, 0)
}

/// [`dispatch`] on a node whose finalized kraft.version is `finalized_kraft_version` (what its
/// ApiVersions answer reports). Never panics.
pub fn dispatch_with(frame: Bytes, finalized_kraft_version: i16) -> Dispatch {
    let decoded = match decode_request(frame) {
        Ok(decoded) => decoded,
        Err(RequestDecodeError::Rejected {
            api_key: API_KEY_API_VERSIONS,
            api_version,
            correlation_id,
            cause: DecodeError::UnsupportedVersion { .. },
        }) => {
            let frame = rejection_frame(
                API_KEY_API_VERSIONS,
                api_version,
                correlation_id,
                ERROR_UNSUPPORTED_VERSION,
            );
            return Dispatch::Reply {
                frame,
                reply: Reply::ApiVersionsFallback,
            };
        }
        Err(reason) => return Dispatch::Close { reason },
    };
    let header = decoded.header;
    let (api_key, v, correlation_id) = (header.api_key, header.api_version, header.correlation_id);
    let (response, reply) = match convert::request_from_kafka(decoded.body, v) {
        Ok(Inbound::Raft(request)) => return Dispatch::Core { header, request },
        Ok(Inbound::ApiVersions(request)) => {
            if client_software_is_valid(&request, v) {
                let body = KafkaResponse::ApiVersions(api_versions_response_finalized(
                    0,
                    finalized_kraft_version,
                ));
                (Some(body), Reply::ApiVersions)
            } else {
                let body = error_response(api_key, ERROR_INVALID_REQUEST);
                (body, Reply::ApiVersionsInvalid)
            }
        }
        Err(shape) => (
            error_response(api_key, ERROR_INVALID_REQUEST),
            Reply::WrongShape(shape),
        ),
    };
    let frame = response
        .and_then(|body| encode_response_frame(correlation_id, v, &body).ok())
        .unwrap_or_else(|| rejection_frame(api_key, v, correlation_id, ERROR_UNKNOWN_SERVER_ERROR));
    Dispatch::Reply { frame, reply }
}

/// Kafka's `ApiVersionsRequest.isValid` for the versions we serve (v5's cluster and node ids are
/// not among them): from v3 on, client software name and version each match
/// `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`.
fn client_software_is_valid(
    request: &kafka_protocol::messages::ApiVersionsRequest,
    v: i16,
) -> bool {
    v < 3
        || (software_token_is_valid(&request.client_software_name)
            && software_token_is_valid(&request.client_software_version))
}

fn software_token_is_valid(token: &str) -> bool {
    let bytes = token.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'.')
}

#[cfg(test)]
mod tests {
    use super::software_token_is_valid;

    #[test]
    fn software_tokens_follow_kafkas_pattern() {
        for ok in ["a", "9", "apache-kafka-java", "3.9.0", "a.b-c", "A1"] {
            assert!(software_token_is_valid(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", ".", "a b", "a_b", "é", "3.9.0-"] {
            assert!(!software_token_is_valid(bad), "{bad}");
        }
    }
}
