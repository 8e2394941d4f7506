//! Short text of the core's inputs and outputs for a seed's trace (no topic names, ids or bytes).

use kraft_engine::io::{Input, Output};
use kraft_engine::message::{Records, Request, Response};

/// Short text of a request for traces (no topic names, ids or bytes).
pub(super) fn describe_request(request: &Request) -> String {
    match request {
        Request::Vote(r) => format!(
            "Vote(candidate {} epoch {} last ({}, {}) pre_vote {})",
            r.candidate_id, r.candidate_epoch, r.last_offset_epoch, r.last_offset, r.pre_vote
        ),
        Request::BeginQuorumEpoch(r) => {
            format!(
                "BeginQuorumEpoch(leader {} epoch {})",
                r.leader_id, r.leader_epoch
            )
        }
        Request::EndQuorumEpoch(r) => format!(
            "EndQuorumEpoch(leader {} epoch {} successors {:?})",
            r.leader_id, r.leader_epoch, r.preferred_successors
        ),
        Request::Fetch(r) => format!(
            "Fetch(replica {} epoch {} offset {} last_fetched_epoch {} hw {})",
            r.replica_id,
            r.current_leader_epoch,
            r.fetch_offset,
            r.last_fetched_epoch,
            r.high_watermark
        ),
        other => format!("{:?}", other.kind()),
    }
}

/// Short text of a response for traces.
pub(super) fn describe_response(response: &Response) -> String {
    match response {
        Response::Vote(r) => format!(
            "Vote({:?}/{:?} leader {} epoch {} granted {})",
            r.error_code, r.partition_error_code, r.leader_id, r.leader_epoch, r.vote_granted
        ),
        Response::BeginQuorumEpoch(r) => format!(
            "BeginQuorumEpoch({:?}/{:?} leader {} epoch {})",
            r.error_code, r.partition_error_code, r.leader_id, r.leader_epoch
        ),
        Response::EndQuorumEpoch(r) => format!(
            "EndQuorumEpoch({:?}/{:?} leader {} epoch {})",
            r.error_code, r.partition_error_code, r.leader_id, r.leader_epoch
        ),
        Response::Fetch(r) => {
            let records = match &r.records {
                Records::Empty => "none".to_string(),
                Records::Bytes(b) => format!("{} bytes", b.len()),
                Records::LogRange {
                    from_offset,
                    max_bytes,
                    generation,
                } => {
                    format!("log from {from_offset} max {max_bytes} generation {generation}")
                }
            };
            format!(
                "Fetch({:?}/{:?} hw {} leader {:?} diverging {:?} snapshot {:?} records {records})",
                r.error_code,
                r.partition_error_code,
                r.high_watermark,
                r.current_leader,
                r.diverging_epoch,
                r.snapshot_id
            )
        }
        other => format!("{:?} {:?}", other.kind(), other.error_code()),
    }
}

pub(super) fn describe_input(input: &Input) -> String {
    match input {
        Input::Request {
            request_id,
            request,
        } => {
            format!("request {request_id}: {}", describe_request(request))
        }
        Input::Response {
            from,
            correlation_id,
            response,
        } => {
            format!(
                "response {correlation_id} from {from}: {}",
                describe_response(response)
            )
        }
        other => format!("{other:?}"),
    }
}

pub(super) fn describe_output(output: &Output) -> String {
    match output {
        Output::Send {
            to,
            correlation_id,
            request,
        } => format!(
            "send {correlation_id} to {to}: {}",
            describe_request(request)
        ),
        Output::Respond {
            request_id,
            response,
        } => {
            format!("respond {request_id}: {}", describe_response(response))
        }
        Output::AppendBatch {
            base_offset,
            last_offset,
            epoch,
            bytes,
        } => format!(
            "AppendBatch [{base_offset}, {last_offset}] epoch {epoch} ({} bytes)",
            bytes.len()
        ),
        other => format!("{other:?}"),
    }
}
