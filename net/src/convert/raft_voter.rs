//! AddRaftVoter (80), RemoveRaftVoter (81), UpdateRaftVoter (82), version 0.
//!
//! This node runs a static voter set (kraft.version 0), so like a Java leader at kraft.version 0
//! it refuses voter changes with UNSUPPORTED_VERSION. These requests never reach the core.

use kafka_protocol::messages::{
    AddRaftVoterResponse, RemoveRaftVoterResponse, UpdateRaftVoterResponse,
};
use kafka_protocol::protocol::StrBytes;

use crate::codec::response::ERROR_UNSUPPORTED_VERSION;
use crate::codec::{KafkaRequest, KafkaResponse};

const STATIC_VOTERS_MESSAGE: &str =
    "the voter set is static (kraft.version 0): voters cannot be added, removed or updated";

/// The answer to a voter-change request, or `None` for any other request.
pub fn refuse_voter_change(request: &KafkaRequest) -> Option<KafkaResponse> {
    Some(match request {
        KafkaRequest::AddRaftVoter(_) => {
            let mut m = AddRaftVoterResponse::default();
            m.error_code = ERROR_UNSUPPORTED_VERSION;
            m.error_message = Some(StrBytes::from_static_str(STATIC_VOTERS_MESSAGE));
            KafkaResponse::AddRaftVoter(m)
        }
        KafkaRequest::RemoveRaftVoter(_) => {
            let mut m = RemoveRaftVoterResponse::default();
            m.error_code = ERROR_UNSUPPORTED_VERSION;
            m.error_message = Some(StrBytes::from_static_str(STATIC_VOTERS_MESSAGE));
            KafkaResponse::RemoveRaftVoter(m)
        }
        KafkaRequest::UpdateRaftVoter(_) => {
            let mut m = UpdateRaftVoterResponse::default();
            m.error_code = ERROR_UNSUPPORTED_VERSION;
            KafkaResponse::UpdateRaftVoter(m)
        }
        _ => return None,
    })
}
