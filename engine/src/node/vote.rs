//! Vote (52): granting (spec 2.6, 2.7) and counting.

use super::RaftNode;
use crate::message::{ErrorCode, ReplicaKey, VoteRequest, VoteResponse};
use crate::state::QuorumState;

impl RaftNode {
    fn vote_response(&self, error: ErrorCode, granted: bool) -> VoteResponse {
        VoteResponse {
            error_code: ErrorCode::NONE,
            topic_name: self.config.topic_name.clone(),
            partition: self.config.partition,
            partition_error_code: error,
            leader_id: self.leader_id_or_sentinel(),
            leader_epoch: self.state.epoch(),
            vote_granted: granted,
            node_endpoints: self.leader_node_endpoints(),
        }
    }

    fn vote_top_level_error(&self, error: ErrorCode) -> VoteResponse {
        VoteResponse {
            error_code: error,
            topic_name: String::new(),
            partition: -1,
            partition_error_code: ErrorCode::NONE,
            leader_id: -1,
            leader_epoch: -1,
            vote_granted: false,
            node_endpoints: Vec::new(),
        }
    }

    pub(super) fn handle_vote_request(&mut self, r: VoteRequest) -> VoteResponse {
        if !self.cluster_id_matches(&r.cluster_id) {
            return self.vote_top_level_error(ErrorCode::INCONSISTENT_CLUSTER_ID);
        }
        if !self.api_matches_topic(&r.topic_name, r.partition) {
            return self.vote_top_level_error(ErrorCode::INVALID_REQUEST);
        }
        let epoch_too_high = if r.pre_vote {
            r.last_offset_epoch > r.candidate_epoch
        } else {
            r.last_offset_epoch >= r.candidate_epoch
        };
        if r.last_offset < 0 || r.last_offset_epoch < 0 || epoch_too_high {
            return self.vote_response(ErrorCode::INVALID_REQUEST, false);
        }
        // Kafka's order: epoch first, then the sender id.
        if r.candidate_epoch < self.state.epoch() {
            return self.vote_response(ErrorCode::FENCED_LEADER_EPOCH, false);
        }
        if r.candidate_id < 0 {
            return self.vote_response(ErrorCode::INVALID_REQUEST, false);
        }
        if r.candidate_epoch > self.state.epoch() {
            // Even a refused vote moves this node to the higher epoch (durably, first).
            self.transition_to_unattached(r.candidate_epoch, None);
        }
        if !self.is_intended_voter(r.voter_id, r.voter_directory_id) {
            return self.vote_response(ErrorCode::INVALID_VOTER_KEY, false);
        }
        let candidate = ReplicaKey {
            id: r.candidate_id,
            directory_id: r.candidate_directory_id,
        };
        let up_to_date = (r.last_offset_epoch, r.last_offset)
            >= (self.log.last_fetched_epoch(), self.log.end_offset)
            || planted!(VoteWithoutLogCheck);
        let granted = self.can_grant_vote(candidate, up_to_date, r.pre_vote);
        if granted && !r.pre_vote && !planted!(VoteNotPersisted) {
            match &self.state {
                QuorumState::Unattached(u) if u.voted_key.is_none() => {
                    // Durable before the response that carries the grant.
                    self.transition_to_unattached_voted(r.candidate_epoch, candidate);
                }
                QuorumState::Prospective(p) if p.voted_key.is_none() => {
                    self.prospective_add_vote(candidate);
                }
                _ => {}
            }
        }
        self.vote_response(ErrorCode::NONE, granted)
    }

    /// v1 `VoterId`/`VoterDirectoryId`: the request must be meant for this replica.
    pub(super) fn is_intended_voter(&self, voter_id: i32, voter_directory_id: crate::Uuid) -> bool {
        if voter_id < 0 {
            return true;
        }
        voter_id == self.config.node_id
            && (voter_directory_id.is_zero() || voter_directory_id == self.config.directory_id)
    }

    /// Kafka's `EpochState.canGrantVote` for the request's epoch (already equal to ours).
    fn can_grant_vote(&self, candidate: ReplicaKey, up_to_date: bool, pre_vote: bool) -> bool {
        if candidate.id == self.config.node_id {
            return false;
        }
        match &self.state {
            QuorumState::Unattached(u) => {
                if pre_vote {
                    up_to_date
                } else if let Some(voted) = u.voted_key {
                    same_voted(voted, candidate)
                } else if u.leader_id.is_some() {
                    false
                } else {
                    up_to_date
                }
            }
            QuorumState::Prospective(p) => {
                if pre_vote {
                    up_to_date
                } else if let Some(voted) = p.voted_key {
                    same_voted(voted, candidate)
                } else if p.leader_id.is_some() {
                    false
                } else {
                    up_to_date
                }
            }
            // KIP-996: a follower refuses pre-votes while it fetches from its leader. A voter
            // leaves this state when that stops for a fetch timeout; an observer stays (it asks
            // the bootstrap servers), so for it the fetch timeout decides: a new voter that has
            // not fetched the Voters record adding it must still help elect a successor of a
            // dead leader (Kafka's `hasFetchedFromLeader` alone would refuse forever).
            QuorumState::Follower(f) => {
                let fetched_lately = f.has_fetched
                    && self.now_ms < f.last_fetch_ms.saturating_add(self.config.fetch_timeout_ms);
                pre_vote && !fetched_lately && up_to_date
            }
            QuorumState::Candidate(_) => pre_vote && up_to_date,
            // Kafka's ResignedState and LeaderState refuse every vote, pre-vote or standard: an
            // ex-leader of this epoch must not help another replica start an election in it.
            QuorumState::Resigned(_) | QuorumState::Leader(_) => false,
        }
    }

    pub(super) fn handle_vote_response(&mut self, from: i32, r: VoteResponse) -> bool {
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
        let epoch = self.state.epoch();
        match &mut self.state {
            QuorumState::Candidate(c) if r.leader_epoch == epoch => {
                c.votes.record(from, r.vote_granted);
                self.maybe_become_leader();
            }
            QuorumState::Prospective(p) if r.leader_epoch == epoch => {
                p.votes.record(from, r.vote_granted);
                self.maybe_finish_prevote();
            }
            _ => {}
        }
        true
    }
}

/// A stored vote matches the candidate: same id, and same directory id when both are known.
fn same_voted(voted: ReplicaKey, candidate: ReplicaKey) -> bool {
    voted.id == candidate.id
        && (voted.directory_id.is_zero() || voted.directory_id == candidate.directory_id)
}
