//! RemoveRaftVoter (81), version 0 (flexible).

use kafka_protocol::messages::{
    RemoveRaftVoterRequest as WireRequest, RemoveRaftVoterResponse as WireResponse,
};
use kraft_message::{RemoveRaftVoterRequest, RemoveRaftVoterResponse};

use super::common::*;

pub fn request_from_kafka(m: WireRequest, _v: i16) -> RemoveRaftVoterRequest {
    RemoveRaftVoterRequest {
        cluster_id: opt_from_kafka(&m.cluster_id),
        voter_id: m.voter_id,
        voter_directory_id: uuid_from_kafka(m.voter_directory_id),
    }
}

pub fn request_to_kafka(m: &RemoveRaftVoterRequest, _v: i16) -> WireRequest {
    let mut out = WireRequest::default();
    out.cluster_id = opt_to_kafka(&m.cluster_id);
    out.voter_id = m.voter_id;
    out.voter_directory_id = uuid_to_kafka(m.voter_directory_id);
    out
}

pub fn response_to_kafka(m: &RemoveRaftVoterResponse, _v: i16) -> WireResponse {
    let mut out = WireResponse::default();
    out.error_code = m.error_code.code();
    out.error_message = opt_to_kafka(&m.error_message);
    out
}

pub fn response_from_kafka(m: WireResponse, _v: i16) -> RemoveRaftVoterResponse {
    RemoveRaftVoterResponse {
        error_code: code(m.error_code),
        error_message: opt_from_kafka(&m.error_message),
    }
}
