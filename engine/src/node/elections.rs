//! Starting and winning elections (Kafka's `QuorumState.transitionToProspective`, `...Candidate`
//! and the path to leader): pre-vote, the candidate's vote tally and the randomised backoff
//! after a lost election.

use super::RaftNode;
use crate::election::ElectionState;
use crate::state::{CandidateState, ProspectiveState, QuorumState, VoteTally};

/// Base of the candidate backoff (Kafka's `RETRY_BACKOFF_BASE_MS`).
const ELECTION_BACKOFF_BASE_MS: u64 = 100;

impl RaftNode {
    /// Starts an election: pre-vote first when enabled, else a standard one.
    pub(super) fn start_election(&mut self) {
        if !self.may_run_for_leader() {
            self.stand_down_as_observer();
            return;
        }
        if self.is_loading_snapshot() {
            self.defer_election_while_loading();
            return;
        }
        if self.config.pre_vote {
            self.transition_to_prospective();
        } else {
            self.transition_to_candidate();
        }
    }

    /// An election timer fired on a replica that is not (or no longer) a voter: an observer
    /// never runs for leader, so the timer is disarmed (a Candidate or Prospective that left the
    /// voter set waits Unattached, keeping its vote).
    fn stand_down_as_observer(&mut self) {
        let fetch_deadline_ms = self.now_ms.saturating_add(self.config.fetch_timeout_ms);
        match &mut self.state {
            QuorumState::Unattached(u) => u.election_deadline_ms = None,
            QuorumState::Follower(f) => f.fetch_deadline_ms = fetch_deadline_ms,
            QuorumState::Candidate(c) => {
                let epoch = c.epoch;
                let voted = Some(self.local_key());
                self.enter_unattached(epoch, None, voted, None);
            }
            QuorumState::Prospective(p) => {
                let (epoch, leader_id, voted) = (p.epoch, p.leader_id, p.voted_key);
                self.enter_unattached(epoch, leader_id, voted, None);
            }
            QuorumState::Leader(_) | QuorumState::Resigned(_) => {}
        }
    }

    /// The runtime is replacing the log with a downloaded snapshot: a leader never loads one and
    /// a candidate would win on the old log, so the timer that fired is re-armed and the
    /// election waits for the load's result (the runtime's load is bounded in time).
    fn defer_election_while_loading(&mut self) {
        let retry_ms = self
            .now_ms
            .saturating_add(self.config.retry_backoff_ms.max(1));
        match &mut self.state {
            QuorumState::Follower(f) => f.fetch_deadline_ms = retry_ms,
            QuorumState::Unattached(u) => u.election_deadline_ms = Some(retry_ms),
            state => unreachable!(
                "a load starts on a follower and blocks elections, so {:?} cannot hold one",
                state.name()
            ),
        }
    }

    /// Prospective (in memory only): same epoch, keeps leader and vote.
    fn transition_to_prospective(&mut self) {
        let local_id = self.config.node_id;
        let epoch = self.state.epoch();
        let (leader_id, voted_key, retries) = match &self.state {
            QuorumState::Unattached(s) => (s.leader_id, s.voted_key, 0),
            QuorumState::Follower(s) => (Some(s.leader_id), None, 0),
            QuorumState::Candidate(s) => (None, Some(self.local_key()), s.retries),
            QuorumState::Prospective(s) => (s.leader_id, s.voted_key, s.retries),
            QuorumState::Leader(_) | QuorumState::Resigned(_) => (Some(local_id), None, 0),
        };
        let deadline = self.fresh_election_deadline();
        let votes = VoteTally::new(self.voter_set().ids().collect(), local_id);
        self.set_state(QuorumState::Prospective(ProspectiveState {
            epoch,
            leader_id,
            voted_key,
            votes,
            election_deadline_ms: deadline,
            retries,
        }));
        self.maybe_finish_prevote();
    }

    /// Pre-vote won -> Candidate; lost -> back to Follower/Unattached in the same epoch.
    pub(super) fn maybe_finish_prevote(&mut self) {
        let QuorumState::Prospective(p) = &self.state else {
            return;
        };
        if p.votes.is_won() {
            self.transition_to_candidate();
        } else if p.votes.is_lost() {
            self.prospective_give_up();
        }
    }

    /// Prospective lost or timed out: back to the same epoch's Follower (leader known) or
    /// Unattached with the vote kept.
    pub(super) fn prospective_give_up(&mut self) {
        let QuorumState::Prospective(p) = &self.state else {
            return;
        };
        let (epoch, leader_id, voted_key) = (p.epoch, p.leader_id, p.voted_key);
        match leader_id {
            Some(l) if l != self.config.node_id && self.leader_reachable(l) => {
                self.enter_follower(epoch, l)
            }
            _ => {
                let deadline = self.voter_election_deadline();
                let leader_id = leader_id.filter(|&l| l != self.config.node_id);
                self.enter_unattached(epoch, leader_id, voted_key, deadline);
            }
        }
    }

    /// Candidate in the next epoch with a durable self-vote.
    pub(super) fn transition_to_candidate(&mut self) {
        let local_id = self.config.node_id;
        // Epochs come from the network; at i32::MAX no further election is possible (Java's
        // int would wrap). Refuse rather than overflow.
        let Some(epoch) = self.state.epoch().checked_add(1) else {
            return;
        };
        let retries = match &self.state {
            QuorumState::Candidate(c) => c.retries + 1,
            QuorumState::Prospective(p) => p.retries + 1,
            _ => 1,
        };
        self.persist(ElectionState {
            epoch,
            leader_id: None,
            voted_key: Some(self.local_key()),
        });
        let deadline = self.fresh_election_deadline();
        let votes = VoteTally::new(self.voter_set().ids().collect(), local_id);
        self.set_state(QuorumState::Candidate(CandidateState {
            epoch,
            retries,
            votes,
            election_deadline_ms: deadline,
            backoff_deadline_ms: None,
        }));
        self.maybe_become_leader();
    }

    /// Candidate decided: won -> Leader; lost -> start the backoff.
    pub(super) fn maybe_become_leader(&mut self) {
        let QuorumState::Candidate(c) = &mut self.state else {
            return;
        };
        if c.votes.is_won() {
            self.transition_to_leader();
        } else if c.votes.is_lost() && c.backoff_deadline_ms.is_none() && !self.config.pre_vote {
            let retries = c.retries;
            let backoff = self.election_backoff_ms(retries);
            if let QuorumState::Candidate(c) = &mut self.state {
                c.backoff_deadline_ms = Some(self.now_ms.saturating_add(backoff));
            }
        }
    }

    /// `min(100 * uniform_int[0, 2^retries), max)`.
    pub(super) fn election_backoff_ms(&mut self, retries: u32) -> u64 {
        let range = 1u64 << retries.clamp(1, 20);
        (ELECTION_BACKOFF_BASE_MS * self.rng.below(range)).min(self.config.election_backoff_max_ms)
    }
}
