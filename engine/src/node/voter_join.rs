//! The follower's side of the voter changes (Kafka 4.x `pollFollowerAsVoter` /
//! `pollFollowerAsObserver`): a voter whose entry in the voter set differs from its own
//! listeners or supported kraft.versions sends UpdateRaftVoter; with `auto_join`, an observer
//! sends AddRaftVoter for itself (ack when appended, as Kafka's auto-join) or first
//! RemoveRaftVoter for an older replica of its id (a replaced disk). Both at most once per
//! update period (one fetch timeout), in place of that period's Fetch.
//!
//! KAFKA-19850 (not fixed in Kafka 4.4: a Kafka node re-adds itself right after an operator
//! removed it): this node does not. Once it sees its own replica key leave the voter set (a
//! Voters record appended without it, or at start a history that held it and a latest set that
//! does not), it stops auto-joining for the rest of its run; a restart with the removal still
//! in its history keeps it stopped. Adding it back is then the operator's choice
//! (`add-controller`). Known gap: the rule lives in memory and in the voter-set history, so a
//! node that restarts after retention trimmed its removal out of that history (or that only
//! ever saw a snapshot without itself) may auto-join again; a durable marker (e.g. in the
//! quorum-state file) would close it.

use super::RaftNode;
use crate::message::{
    AddRaftVoterRequest, AddRaftVoterResponse, ErrorCode, RemoveRaftVoterRequest,
    RemoveRaftVoterResponse, ReplicaKey, Request, UpdateRaftVoterRequest, UpdateRaftVoterResponse,
};
use crate::state::QuorumState;
use crate::voters::{SUPPORTED_KRAFT_VERSION_MAX, SUPPORTED_KRAFT_VERSION_MIN};

/// What a follower sends the leader this update period instead of a Fetch.
enum VoterRequest {
    Update,
    Add,
    Remove(ReplicaKey),
}

impl RaftNode {
    /// Sends this period's voter request to `leader_id`, if one is due; returns whether it did
    /// (the Fetch then waits: one request in flight per destination).
    pub(super) fn maybe_send_voter_request(&mut self, leader_id: i32) -> bool {
        let due = match &self.state {
            QuorumState::Follower(f) => self.now_ms >= f.update_voter_deadline_ms,
            _ => false,
        };
        if !due || self.shutdown.is_some() || !self.connections.is_ready(leader_id, self.now_ms) {
            return false;
        }
        let Some(request) = self.voter_request_due() else {
            return false;
        };
        let request = match request {
            VoterRequest::Update => Request::UpdateRaftVoter(self.update_raft_voter_request()),
            VoterRequest::Add => Request::AddRaftVoter(self.add_self_request()),
            VoterRequest::Remove(key) => Request::RemoveRaftVoter(RemoveRaftVoterRequest {
                cluster_id: Some(self.config.cluster_id.clone()),
                voter_id: key.id,
                voter_directory_id: key.directory_id,
            }),
        };
        let deadline = self.now_ms.saturating_add(self.config.fetch_timeout_ms);
        if let QuorumState::Follower(f) = &mut self.state {
            f.update_voter_deadline_ms = deadline;
        }
        self.send(leader_id, request);
        true
    }

    /// Kafka's `shouldSendUpdateVoteRequest` (kraft.version 1: this voter's entry needs an
    /// update) and `shouldSendAddOrRemoveVoterRequest` (auto-join observer).
    fn voter_request_due(&self) -> Option<VoterRequest> {
        if self.kraft_version() < 1 {
            return None;
        }
        let local = self.local_voter_node()?;
        let voters = self.voter_set();
        if self.is_voter() {
            return voters
                .voter_node_needs_update(&local)
                .then_some(VoterRequest::Update);
        }
        if !self.config.auto_join || self.auto_join_stopped {
            return None;
        }
        match voters.get(local.key.id) {
            Some(old) => Some(VoterRequest::Remove(old.key)),
            None => Some(VoterRequest::Add),
        }
    }

    /// The update period's end, while a voter request is due and the period still runs. Once it
    /// has passed, the request goes out from the next `maybe_send_requests` that finds the
    /// leader's connection free, and every event runs that (the Fetch's answer or timeout, a
    /// flush, a connection's backoff deadline): a past deadline here would only make the
    /// runtime tick again at once, spinning while a Fetch is in flight.
    pub(super) fn voter_request_deadline_ms(&self) -> Option<u64> {
        match &self.state {
            QuorumState::Follower(f)
                if f.update_voter_deadline_ms > self.now_ms
                    && self.voter_request_due().is_some() =>
            {
                Some(f.update_voter_deadline_ms)
            }
            _ => None,
        }
    }

    fn update_raft_voter_request(&self) -> UpdateRaftVoterRequest {
        UpdateRaftVoterRequest {
            cluster_id: Some(self.config.cluster_id.clone()),
            current_leader_epoch: self.state.epoch(),
            voter_id: self.config.node_id,
            voter_directory_id: self.config.directory_id,
            listeners: self.config.local_listeners.clone(),
            kraft_version_min: SUPPORTED_KRAFT_VERSION_MIN,
            kraft_version_max: SUPPORTED_KRAFT_VERSION_MAX,
        }
    }

    fn add_self_request(&self) -> AddRaftVoterRequest {
        AddRaftVoterRequest {
            cluster_id: Some(self.config.cluster_id.clone()),
            timeout_ms: self.config.request_timeout_ms.min(i32::MAX as u64) as i32,
            voter_id: self.config.node_id,
            voter_directory_id: self.config.directory_id,
            listeners: self.config.local_listeners.clone(),
            ack_when_committed: false,
        }
    }

    /// Kafka's `handleAddVoterResponse`: NONE, REQUEST_TIMED_OUT and DUPLICATE_VOTER wait for
    /// the next period; anything else backs off like a failed request.
    pub(super) fn handle_add_raft_voter_response(&mut self, r: AddRaftVoterResponse) -> bool {
        if r.error_code.is_none() {
            self.auto_join_accepted = true;
        }
        expected_voter_change_error(r.error_code)
    }

    pub(super) fn handle_remove_raft_voter_response(&mut self, r: RemoveRaftVoterResponse) -> bool {
        expected_voter_change_error(r.error_code)
    }

    /// Kafka's `handleUpdateVoterResponse`: the leader and epoch it names are handled like any
    /// response's; the next period sends again if still needed.
    pub(super) fn handle_update_raft_voter_response(&mut self, r: UpdateRaftVoterResponse) -> bool {
        let leader = r.current_leader;
        if let Some(handled) =
            self.handle_common_response(r.error_code, leader.leader_id, leader.leader_epoch)
        {
            return handled;
        }
        expected_voter_change_error(r.error_code)
    }

    /// KAFKA-19850: this replica's key left the voter set; it does not add itself back. Its
    /// add accepted and then a new voter set without it counts too: a snapshot download can
    /// skip both the add and the operator's removal, so the set holding it is never seen (an
    /// add the leader lost before committing it stops auto-join as well: the operator adds it).
    pub(super) fn note_local_voter_removed(&mut self, was_voter: bool) {
        if self.is_voter() {
            self.auto_join_accepted = false;
        } else if was_voter || self.auto_join_accepted {
            self.auto_join_stopped = true;
        }
    }
}

fn expected_voter_change_error(error: ErrorCode) -> bool {
    error.is_none() || error == ErrorCode::REQUEST_TIMED_OUT || error == ErrorCode::DUPLICATE_VOTER
}
