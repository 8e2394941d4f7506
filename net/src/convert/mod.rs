//! Conversion between `kafka-protocol` wire messages and the Raft core's message types
//! (`kraft_message`), one file per API.
//!
//! Fields are carried over as they are (the core performs Kafka's cluster id, topic and partition
//! checks); fields a version does not have get the schema default when read and are left out when
//! written. The only thing checked here is the shape the engine types can hold: every Raft RPC
//! carries exactly one topic with exactly one partition; anything else is a [`ShapeError`], which
//! the server answers with a top-level INVALID_REQUEST as Java does.

pub mod add_raft_voter;
pub mod api_versions;
pub mod begin_quorum_epoch;
mod common;
pub mod describe_cluster;
pub mod describe_quorum;
pub mod end_quorum_epoch;
pub mod fetch;
pub mod fetch_snapshot;
pub mod remove_raft_voter;
pub mod update_raft_voter;
pub mod vote;

pub use common::ShapeError;

use kafka_protocol::messages::ApiVersionsRequest as WireApiVersionsRequest;
use kraft_message::{Request, Response};

use crate::codec::{KafkaRequest, KafkaResponse};

/// A served request as the core sees it, or ApiVersions, which the core does not handle.
#[derive(Debug)]
pub enum Inbound {
    /// A request for the core (the Raft RPCs, the voter changes, and DescribeCluster, which
    /// needs the known leader).
    Raft(Request),
    /// ApiVersions: net answers it itself.
    ApiVersions(WireApiVersionsRequest),
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
        KafkaRequest::AddRaftVoter(m) => {
            Request::AddRaftVoter(add_raft_voter::request_from_kafka(m, api_version))
        }
        KafkaRequest::RemoveRaftVoter(m) => {
            Request::RemoveRaftVoter(remove_raft_voter::request_from_kafka(m, api_version))
        }
        KafkaRequest::UpdateRaftVoter(m) => {
            Request::UpdateRaftVoter(update_raft_voter::request_from_kafka(m, api_version))
        }
        KafkaRequest::ApiVersions(m) => return Ok(Inbound::ApiVersions(m)),
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
        Request::AddRaftVoter(m) => {
            KafkaRequest::AddRaftVoter(add_raft_voter::request_to_kafka(m, api_version))
        }
        Request::RemoveRaftVoter(m) => {
            KafkaRequest::RemoveRaftVoter(remove_raft_voter::request_to_kafka(m, api_version))
        }
        Request::UpdateRaftVoter(m) => {
            KafkaRequest::UpdateRaftVoter(update_raft_voter::request_to_kafka(m, api_version))
        }
        Request::ApiVersions(m) => {
            KafkaRequest::ApiVersions(api_versions::request_to_kafka(m, api_version))
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
        KafkaResponse::AddRaftVoter(m) => {
            Response::AddRaftVoter(add_raft_voter::response_from_kafka(m, api_version))
        }
        KafkaResponse::RemoveRaftVoter(m) => {
            Response::RemoveRaftVoter(remove_raft_voter::response_from_kafka(m, api_version))
        }
        KafkaResponse::UpdateRaftVoter(m) => {
            Response::UpdateRaftVoter(update_raft_voter::response_from_kafka(m, api_version)?)
        }
        KafkaResponse::ApiVersions(m) => {
            Response::ApiVersions(api_versions::response_from_kafka(m, api_version))
        }
    })
}

/// The core's response to the wire response at `api_version`, for every API but Fetch and
/// FetchSnapshot (whose records the server writes zero-copy; `None` for them).
pub fn response_to_kafka(response: &Response, v: i16) -> Option<KafkaResponse> {
    Some(match response {
        Response::Vote(m) => KafkaResponse::Vote(vote::response_to_kafka(m, v)),
        Response::BeginQuorumEpoch(m) => {
            KafkaResponse::BeginQuorumEpoch(begin_quorum_epoch::response_to_kafka(m, v))
        }
        Response::EndQuorumEpoch(m) => {
            KafkaResponse::EndQuorumEpoch(end_quorum_epoch::response_to_kafka(m, v))
        }
        Response::DescribeQuorum(m) => {
            KafkaResponse::DescribeQuorum(describe_quorum::response_to_kafka(m, v))
        }
        Response::DescribeCluster(m) => {
            KafkaResponse::DescribeCluster(describe_cluster::response_to_kafka(m, v))
        }
        Response::AddRaftVoter(m) => {
            KafkaResponse::AddRaftVoter(add_raft_voter::response_to_kafka(m, v))
        }
        Response::RemoveRaftVoter(m) => {
            KafkaResponse::RemoveRaftVoter(remove_raft_voter::response_to_kafka(m, v))
        }
        Response::UpdateRaftVoter(m) => {
            KafkaResponse::UpdateRaftVoter(update_raft_voter::response_to_kafka(m, v))
        }
        Response::ApiVersions(m) => {
            KafkaResponse::ApiVersions(api_versions::response_to_kafka(m, v))
        }
        Response::Fetch(_) | Response::FetchSnapshot(_) => return None,
    })
}
