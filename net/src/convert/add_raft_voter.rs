//! AddRaftVoter (80), versions 0-1 (flexible). v1 adds `AckWhenCommitted` (KIP-1186), which
//! a v0 request means as true.

use kafka_protocol::messages::add_raft_voter_request::Listener as WireListener;
use kafka_protocol::messages::{
    AddRaftVoterRequest as WireRequest, AddRaftVoterResponse as WireResponse,
};
use kraft_message::{AddRaftVoterRequest, AddRaftVoterResponse};

use super::common::*;
use crate::codec::add_raft_voter::{AddRaftVoterWire, ACK_WHEN_COMMITTED_VERSION};

listener_conversions!(WireListener);

pub fn request_from_kafka(m: AddRaftVoterWire, v: i16) -> AddRaftVoterRequest {
    let r = m.request;
    AddRaftVoterRequest {
        cluster_id: opt_from_kafka(&r.cluster_id),
        timeout_ms: r.timeout_ms,
        voter_id: r.voter_id,
        voter_directory_id: uuid_from_kafka(r.voter_directory_id),
        listeners: listeners_from_kafka(&r.listeners),
        ack_when_committed: v < ACK_WHEN_COMMITTED_VERSION || m.ack_when_committed,
    }
}

/// At v0 the request means AckWhenCommitted = true whatever `m` asks: a v0 leader always
/// answers once the change is committed.
pub fn request_to_kafka(m: &AddRaftVoterRequest, v: i16) -> AddRaftVoterWire {
    let mut r = WireRequest::default();
    r.cluster_id = opt_to_kafka(&m.cluster_id);
    r.timeout_ms = m.timeout_ms;
    r.voter_id = m.voter_id;
    r.voter_directory_id = uuid_to_kafka(m.voter_directory_id);
    r.listeners = listeners_to_kafka(&m.listeners);
    AddRaftVoterWire {
        request: r,
        ack_when_committed: v < ACK_WHEN_COMMITTED_VERSION || m.ack_when_committed,
    }
}

pub fn response_to_kafka(m: &AddRaftVoterResponse, _v: i16) -> WireResponse {
    let mut out = WireResponse::default();
    out.error_code = m.error_code.code();
    out.error_message = opt_to_kafka(&m.error_message);
    out
}

pub fn response_from_kafka(m: WireResponse, _v: i16) -> AddRaftVoterResponse {
    AddRaftVoterResponse {
        error_code: code(m.error_code),
        error_message: opt_from_kafka(&m.error_message),
    }
}
