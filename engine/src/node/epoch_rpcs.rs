//! BeginQuorumEpoch (53) and EndQuorumEpoch (54).

use super::RaftNode;
use crate::io::PeerAddress;
use crate::message::{
    BeginQuorumEpochRequest, BeginQuorumEpochResponse, EndQuorumEpochRequest,
    EndQuorumEpochResponse, ErrorCode, LeaderEndpoint,
};
use crate::state::QuorumState;

impl RaftNode {
    fn begin_response(&self, top: ErrorCode, partition: ErrorCode) -> BeginQuorumEpochResponse {
        BeginQuorumEpochResponse {
            error_code: top,
            topic_name: self.config.topic_name.clone(),
            partition: self.config.partition,
            partition_error_code: partition,
            leader_id: self.leader_id_or_sentinel(),
            leader_epoch: self.state.epoch(),
            node_endpoints: self.leader_node_endpoints(),
        }
    }

    fn end_response(&self, top: ErrorCode, partition: ErrorCode) -> EndQuorumEpochResponse {
        let b = self.begin_response(top, partition);
        EndQuorumEpochResponse {
            error_code: b.error_code,
            topic_name: b.topic_name,
            partition: b.partition,
            partition_error_code: b.partition_error_code,
            leader_id: b.leader_id,
            leader_epoch: b.leader_epoch,
            node_endpoints: b.node_endpoints,
        }
    }

    /// Kafka's `validateVoterOnlyRequest`: stale epoch or a negative sender id.
    fn validate_voter_only_request(&self, sender_id: i32, epoch: i32) -> Option<ErrorCode> {
        if epoch < self.state.epoch() {
            Some(ErrorCode::FENCED_LEADER_EPOCH)
        } else if sender_id < 0 {
            Some(ErrorCode::INVALID_REQUEST)
        } else {
            None
        }
    }

    /// What BeginQuorumEpoch and EndQuorumEpoch check first, in Kafka's order: cluster id, topic,
    /// epoch and sender, then the leader/epoch news itself (spec 2.4 maybeTransition). On refusal,
    /// the (top-level, partition) error codes of the answer.
    fn accept_epoch_request(
        &mut self,
        cluster_id: &Option<String>,
        topic_name: &str,
        partition: i32,
        leader_id: i32,
        leader_epoch: i32,
        leader_endpoints: &[LeaderEndpoint],
    ) -> Result<(), (ErrorCode, ErrorCode)> {
        if !self.cluster_id_matches(cluster_id) {
            return Err((ErrorCode::INCONSISTENT_CLUSTER_ID, ErrorCode::NONE));
        }
        if !self.api_matches_topic(topic_name, partition) {
            return Err((ErrorCode::INVALID_REQUEST, ErrorCode::NONE));
        }
        if let Some(error) = self.validate_voter_only_request(leader_id, leader_epoch) {
            return Err((ErrorCode::NONE, error));
        }
        // The leader's endpoint on this node's listener: a leader outside this node's voter set
        // (an observer's, or a voter set that is behind) becomes reachable.
        let listener = &self.config.listener_name;
        if let Some(e) = leader_endpoints.iter().find(|e| e.name == *listener) {
            self.learn_leader_endpoint(PeerAddress {
                id: leader_id,
                host: e.host.clone(),
                port: e.port,
            });
        }
        if !self.maybe_transition(Some(leader_id), leader_epoch) {
            // A contradiction (another leader for this epoch, or this node named leader while it
            // is not). Kafka throws IllegalStateException here; its request layer maps such an
            // exception to a top-level error (`Errors.forException`: UNKNOWN_SERVER_ERROR) and a
            // Java sender backs off on any top-level error. A partition-level INVALID_REQUEST
            // would make the Java sender throw in `maybeHandleCommonResponse` and halt, and
            // FENCED_LEADER_EPOCH / NOT_LEADER_OR_FOLLOWER would make it check our leader
            // against its own and halt too; a top-level error carries no leader to check.
            return Err((ErrorCode::UNKNOWN_SERVER_ERROR, ErrorCode::NONE));
        }
        Ok(())
    }

    pub(super) fn handle_begin_quorum_epoch_request(
        &mut self,
        r: BeginQuorumEpochRequest,
    ) -> BeginQuorumEpochResponse {
        if let Err((top, partition)) = self.accept_epoch_request(
            &r.cluster_id,
            &r.topic_name,
            r.partition,
            r.leader_id,
            r.leader_epoch,
            &r.leader_endpoints,
        ) {
            return self.begin_response(top, partition);
        }
        // As Kafka: the epoch/leader news is applied even when the voter key does not match.
        if !self.is_intended_voter(r.voter_id, r.voter_directory_id) {
            return self.begin_response(ErrorCode::NONE, ErrorCode::INVALID_VOTER_KEY);
        }
        self.begin_response(ErrorCode::NONE, ErrorCode::NONE)
    }

    pub(super) fn handle_begin_quorum_epoch_response(
        &mut self,
        _from: i32,
        r: BeginQuorumEpochResponse,
    ) -> bool {
        if let Some(handled) = self.handle_named_response(
            &r.topic_name,
            r.partition,
            r.partition_error_code,
            r.leader_id,
            r.leader_epoch,
        ) {
            return handled;
        }
        // Success needs no bookkeeping: the leader resends every period anyway.
        r.partition_error_code.is_none()
    }

    pub(super) fn handle_end_quorum_epoch_request(
        &mut self,
        r: EndQuorumEpochRequest,
    ) -> EndQuorumEpochResponse {
        if let Err((top, partition)) = self.accept_epoch_request(
            &r.cluster_id,
            &r.topic_name,
            r.partition,
            r.leader_id,
            r.leader_epoch,
            &r.leader_endpoints,
        ) {
            return self.end_response(top, partition);
        }
        let is_voter = self.may_run_for_leader();
        let successors: Vec<i32> = if r.preferred_candidates.is_empty() {
            r.preferred_successors.clone()
        } else {
            r.preferred_candidates.iter().map(|k| k.id).collect()
        };
        let backoff_ms = self.end_epoch_election_backoff_ms(&successors);
        if let QuorumState::Follower(f) = &mut self.state {
            if f.leader_id == r.leader_id && is_voter {
                // The leader is going away: elect sooner, the most caught-up voter first.
                f.fetch_deadline_ms = self.now_ms.saturating_add(backoff_ms);
            }
        }
        self.end_response(ErrorCode::NONE, ErrorCode::NONE)
    }

    /// Spec 2.3 "After EndQuorumEpoch": 0 when first, `min(max, (max >> (n-1)) << (pos-1))` at
    /// position pos of n, `max` when absent.
    fn end_epoch_election_backoff_ms(&self, successors: &[i32]) -> u64 {
        let max = self.config.election_backoff_max_ms;
        match successors.iter().position(|&id| id == self.config.node_id) {
            Some(0) => 0,
            Some(pos) => {
                let n = successors.len() as u32;
                let shifted = max.checked_shr(n - 1).unwrap_or(0);
                shifted.checked_shl(pos as u32 - 1).unwrap_or(max).min(max)
            }
            None => max,
        }
    }

    pub(super) fn handle_end_quorum_epoch_response(
        &mut self,
        from: i32,
        r: EndQuorumEpochResponse,
    ) -> bool {
        if let Some(handled) = self.handle_named_response(
            &r.topic_name,
            r.partition,
            r.partition_error_code,
            r.leader_id,
            r.leader_epoch,
        ) {
            return handled;
        }
        if !r.partition_error_code.is_none() {
            return false;
        }
        if let QuorumState::Resigned(s) = &mut self.state {
            s.unacked_voters.remove(&from);
        }
        true
    }
}
