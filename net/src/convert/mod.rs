//! Conversion between `kafka-protocol` wire messages and the Raft core's message types
//! (`kraft_message`), one file per API.
//!
//! Fields are carried over as they are (the core performs Kafka's cluster id, topic and partition
//! checks); fields a version does not have get the schema default when read and are left out when
//! written. The only thing checked here is the shape the engine types can hold: every Raft RPC
//! carries exactly one topic with exactly one partition; anything else is a [`ShapeError`], which
//! the server answers with a top-level INVALID_REQUEST as Java does.

pub mod begin_quorum_epoch;
mod common;
pub mod describe_cluster;
pub mod describe_quorum;
pub mod end_quorum_epoch;
pub mod fetch;
pub mod fetch_snapshot;
pub mod raft_voter;
pub mod vote;

pub use common::ShapeError;

use kraft_message::{Request, Response};

use crate::codec::{KafkaRequest, KafkaResponse};

/// A served request as the core sees it, or the wire request if the core does not handle it.
#[derive(Debug)]
pub enum Inbound {
    /// A request for the core (the Raft RPCs, and DescribeCluster, which needs the known leader).
    Raft(Request),
    /// Not a Raft RPC (ApiVersions, the voter-change APIs): net answers it itself.
    Local(KafkaRequest),
}

/// Wire request to the core's request.
pub fn request_from_kafka(request: KafkaRequest, api_version: i16) -> Result<Inbound, ShapeError> {
    Ok(Inbound::Raft(match request {
        KafkaRequest::Vote(m) => Request::Vote(vote::request_from_kafka(m, api_version)?),
        KafkaRequest::BeginQuorumEpoch(m) => {
            Request::BeginQuorumEpoch(begin_quorum_epoch::request_from_kafka(m, api_version)?)
        }
        KafkaRequest::EndQuorumEpoch(m) => {
            Request::EndQuorumEpoch(end_quorum_epoch::request_from_kafka(m, api_version)?)
        }
        KafkaRequest::Fetch(m) => Request::Fetch(fetch::request_from_kafka(m, api_version)?),
        KafkaRequest::FetchSnapshot(m) => {
            Request::FetchSnapshot(fetch_snapshot::request_from_kafka(m, api_version)?)
        }
        KafkaRequest::DescribeQuorum(m) => {
            Request::DescribeQuorum(describe_quorum::request_from_kafka(m, api_version)?)
        }
        KafkaRequest::DescribeCluster(m) => {
            Request::DescribeCluster(describe_cluster::request_from_kafka(m, api_version))
        }
        other => return Ok(Inbound::Local(other)),
    }))
}

/// The core's request to the wire request at `api_version`.
pub fn request_to_kafka(request: &Request, api_version: i16) -> KafkaRequest {
    match request {
        Request::Vote(m) => KafkaRequest::Vote(vote::request_to_kafka(m, api_version)),
        Request::BeginQuorumEpoch(m) => {
            KafkaRequest::BeginQuorumEpoch(begin_quorum_epoch::request_to_kafka(m, api_version))
        }
        Request::EndQuorumEpoch(m) => {
            KafkaRequest::EndQuorumEpoch(end_quorum_epoch::request_to_kafka(m, api_version))
        }
        Request::Fetch(m) => KafkaRequest::Fetch(fetch::request_to_kafka(m, api_version)),
        Request::FetchSnapshot(m) => {
            KafkaRequest::FetchSnapshot(fetch_snapshot::request_to_kafka(m, api_version))
        }
        Request::DescribeQuorum(m) => {
            KafkaRequest::DescribeQuorum(describe_quorum::request_to_kafka(m, api_version))
        }
        Request::DescribeCluster(m) => {
            KafkaRequest::DescribeCluster(describe_cluster::request_to_kafka(m, api_version))
        }
    }
}

/// Wire response to the core's response (client side). Fetch records stay a slice of the frame.
pub fn response_from_kafka(
    response: KafkaResponse,
    api_version: i16,
) -> Result<Response, ShapeError> {
    Ok(match response {
        KafkaResponse::Vote(m) => Response::Vote(vote::response_from_kafka(m, api_version)?),
        KafkaResponse::BeginQuorumEpoch(m) => {
            Response::BeginQuorumEpoch(begin_quorum_epoch::response_from_kafka(m, api_version)?)
        }
        KafkaResponse::EndQuorumEpoch(m) => {
            Response::EndQuorumEpoch(end_quorum_epoch::response_from_kafka(m, api_version)?)
        }
        KafkaResponse::Fetch(m) => Response::Fetch(fetch::response_from_kafka(m, api_version)?),
        KafkaResponse::FetchSnapshot(m) => {
            Response::FetchSnapshot(fetch_snapshot::response_from_kafka(m, api_version)?)
        }
        KafkaResponse::DescribeQuorum(m) => {
            Response::DescribeQuorum(describe_quorum::response_from_kafka(m, api_version)?)
        }
        KafkaResponse::DescribeCluster(m) => {
            Response::DescribeCluster(describe_cluster::response_from_kafka(m, api_version))
        }
        other => {
            return Err(ShapeError::new(format!(
                "api key {} is not a Raft response",
                other.api_key()
            )))
        }
    })
}
