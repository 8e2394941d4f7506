//! State transitions (Kafka's `QuorumState.transitionTo*`). Every durable transition emits the new
//! election state before anything that depends on it (spec 2.5).

use std::collections::{BTreeMap, BTreeSet};

use kraft_records::{
    append_kraft_control_records, validate_batch, BatchBuilder, BatchIter, ControlRecordType,
    LeaderChangeMessage,
};

use super::RaftNode;
use crate::accumulator::BatchAccumulator;
use crate::election::ElectionState;
use crate::error::RestoreError;
use crate::io::Output;
use crate::message::{ErrorCode, ReplicaKey};
use crate::state::{
    CandidateState, FollowerState, LeaderState, QuorumState, ReplicaProgress, ResignedState,
    UnattachedState, VoteTally,
};
use crate::voters::{VoterSet, BOOTSTRAP_OFFSET};

impl RaftNode {
    /// Startup rules of spec 2.2.
    pub(super) fn initialize(&mut self, stored: ElectionState) -> Result<(), RestoreError> {
        let local_id = self.config.node_id;
        let log_epoch = self.log.last_fetched_epoch();
        let is_voter = self.may_run_for_leader();
        if stored.epoch < log_epoch {
            let deadline = self.voter_election_deadline();
            self.enter_unattached(log_epoch, None, None, deadline);
        } else if stored.leader_id == Some(local_id) {
            // A restarted leader cannot lead (or vote) in its old epoch again: it may have lost
            // unflushed records, so it must not reuse (offset, epoch) pairs.
            self.persist(ElectionState {
                epoch: stored.epoch,
                leader_id: Some(local_id),
                voted_key: None,
            });
            let deadline = self.fresh_election_deadline();
            let unacked: BTreeSet<i32> = self.other_voters().collect();
            self.set_state(QuorumState::Resigned(ResignedState {
                epoch: stored.epoch,
                election_deadline_ms: deadline,
                unacked_voters: unacked,
                preferred_successors: Vec::new(),
            }));
        } else if let Some(voted) = stored.voted_key.filter(|k| k.id == local_id) {
            if voted.directory_id != self.config.directory_id && !voted.directory_id.is_zero() {
                return Err(RestoreError::Inconsistent(format!(
                    "voted for self with directory id {} but this node's is {}",
                    voted.directory_id, self.config.directory_id
                )));
            }
            if is_voter {
                self.persist(ElectionState {
                    epoch: stored.epoch,
                    leader_id: None,
                    voted_key: Some(self.local_key()),
                });
                let deadline = self.fresh_election_deadline();
                let votes = VoteTally::new(self.voter_set().ids().collect(), local_id);
                self.set_state(QuorumState::Candidate(CandidateState {
                    epoch: stored.epoch,
                    retries: 1,
                    votes,
                    election_deadline_ms: deadline,
                    backoff_deadline_ms: None,
                }));
            } else {
                self.enter_unattached(stored.epoch, None, Some(voted), None);
            }
        } else if let Some(voted) = stored.voted_key {
            let deadline = self.voter_election_deadline();
            self.enter_unattached(stored.epoch, None, Some(voted), deadline);
        } else if let Some(leader_id) = stored.leader_id {
            if self.leader_reachable(leader_id) {
                let epoch = stored.epoch - i32::from(planted!(RestartPersistsOlderEpoch));
                self.enter_follower(epoch, leader_id);
            } else {
                let deadline = self.voter_election_deadline();
                self.enter_unattached(stored.epoch, Some(leader_id), None, deadline);
            }
        } else {
            let deadline = self.voter_election_deadline();
            self.enter_unattached(stored.epoch, None, None, deadline);
        }
        // Whatever the branch, write the initial state back (the branches above all persist).
        if self.outputs.is_empty() {
            let election = self.election.clone();
            self.emit(Output::PersistElectionState(election));
        }
        self.maybe_elect_sole_voter();
        Ok(())
    }

    /// The only voter elects itself at once.
    fn maybe_elect_sole_voter(&mut self) {
        if self.voter_set().is_only_voter(self.local_key()) {
            match self.state {
                QuorumState::Candidate(_) => self.maybe_become_leader(),
                QuorumState::Leader(_) => {}
                _ => self.start_election(),
            }
        }
    }

    /// Election timeout draw: `T + uniform[0, T)`.
    pub(super) fn fresh_election_deadline(&mut self) -> u64 {
        let t = self.config.election_timeout_ms;
        self.now_ms.saturating_add(t + self.rng.below(t))
    }

    /// A fresh election deadline for voters, none (infinite) for observers.
    pub(super) fn voter_election_deadline(&mut self) -> Option<u64> {
        if self.may_run_for_leader() {
            Some(self.fresh_election_deadline())
        } else {
            None
        }
    }

    pub(super) fn other_voters(&self) -> impl Iterator<Item = i32> + '_ {
        let local_id = self.config.node_id;
        self.voter_set().ids().filter(move |&id| id != local_id)
    }

    /// Emits the election state for persistence if it changed.
    pub(super) fn persist(&mut self, election: ElectionState) {
        if election != self.election {
            self.election = election.clone();
            self.emit(Output::PersistElectionState(election));
        }
    }

    /// Replaces the state. Leaving leadership fails parked fetches (answered with the new state's
    /// epoch and leader) and drops unwritten appends; in-flight requests are forgotten.
    pub(super) fn set_state(&mut self, new_state: QuorumState) {
        let old = std::mem::replace(&mut self.state, new_state);
        self.connections.reset_all();
        if let QuorumState::Leader(leader) = old {
            let leader = *leader;
            if let Some(change) = leader.voter_change {
                // As Kafka's `LeaderState.close`: the change is abandoned.
                super::voter_change_progress::answer_voter_change(
                    self,
                    change,
                    ErrorCode::NOT_LEADER_OR_FOLLOWER,
                    None,
                );
                if self.pending_voter_address.take().is_some() {
                    self.update_peers();
                }
            }
            for parked in leader.parked {
                let response =
                    self.fetch_error_response(&parked.request, ErrorCode::NOT_LEADER_OR_FOLLOWER);
                self.respond(parked.request_id, response);
            }
        }
    }

    pub(super) fn enter_unattached(
        &mut self,
        epoch: i32,
        leader_id: Option<i32>,
        voted_key: Option<ReplicaKey>,
        election_deadline_ms: Option<u64>,
    ) {
        self.persist(ElectionState {
            epoch,
            leader_id,
            voted_key,
        });
        self.set_state(QuorumState::Unattached(UnattachedState {
            epoch,
            leader_id,
            voted_key,
            election_deadline_ms,
        }));
    }

    pub(super) fn enter_follower(&mut self, epoch: i32, leader_id: i32) {
        debug_assert_ne!(leader_id, self.config.node_id);
        self.persist(ElectionState {
            epoch,
            leader_id: Some(leader_id),
            voted_key: None,
        });
        let deadline = self.now_ms.saturating_add(self.config.fetch_timeout_ms);
        self.set_state(QuorumState::Follower(FollowerState {
            epoch,
            leader_id,
            fetch_deadline_ms: deadline,
            has_fetched: false,
            last_fetch_ms: 0,
            rediscover_from: None,
            validated_end_offset: 0,
            snapshot_download: None,
            update_voter_deadline_ms: deadline,
        }));
    }

    /// A higher epoch without a leader (Vote request, or a response naming no leader).
    pub(super) fn transition_to_unattached(&mut self, epoch: i32, leader_id: Option<i32>) {
        debug_assert!(epoch > self.state.epoch());
        // Moving up from a state that is already waiting to elect keeps the remaining time, so a
        // stream of higher-epoch votes cannot postpone this node's own election forever.
        let kept = match &self.state {
            QuorumState::Unattached(s) => s.election_deadline_ms,
            QuorumState::Candidate(s) => Some(s.election_deadline_ms),
            QuorumState::Prospective(s) => Some(s.election_deadline_ms),
            _ => None,
        };
        let deadline = match kept {
            Some(d) if self.may_run_for_leader() => Some(d),
            _ => self.voter_election_deadline(),
        };
        self.enter_unattached(epoch, leader_id, None, deadline);
    }

    /// Records a granted standard vote (durably, before the response is emitted).
    pub(super) fn transition_to_unattached_voted(&mut self, epoch: i32, candidate: ReplicaKey) {
        let deadline = self.voter_election_deadline();
        self.enter_unattached(epoch, None, Some(candidate), deadline);
    }

    /// A Prospective grants a standard vote in its epoch: durable, and it stays Prospective.
    pub(super) fn prospective_add_vote(&mut self, candidate: ReplicaKey) {
        let QuorumState::Prospective(p) = &self.state else {
            return;
        };
        let election = ElectionState {
            epoch: p.epoch,
            leader_id: None,
            voted_key: Some(candidate),
        };
        self.persist(election);
        if let QuorumState::Prospective(p) = &mut self.state {
            p.voted_key = Some(candidate);
        }
    }

    /// Follower of `leader_id` in `epoch`, or Unattached knowing the leader when it has no
    /// endpoint (not a voter).
    pub(super) fn transition_to_follower(&mut self, epoch: i32, leader_id: i32) {
        if planted!(FollowerResetsHighWatermark) {
            self.high_watermark = Some(0);
        }
        if self.leader_reachable(leader_id) {
            self.enter_follower(epoch, leader_id);
        } else {
            let deadline = self.voter_election_deadline();
            self.enter_unattached(epoch, Some(leader_id), None, deadline);
        }
    }

    pub(super) fn transition_to_leader(&mut self) {
        let QuorumState::Candidate(c) = &self.state else {
            return;
        };
        let epoch = c.epoch;
        let granting_voters: Vec<i32> = c.votes.granted().collect();
        let local_id = self.config.node_id;
        self.persist(ElectionState {
            epoch,
            leader_id: Some(local_id),
            voted_key: None,
        });
        let epoch_start_offset = self.log.end_offset;
        let voters: BTreeMap<i32, ReplicaProgress> = self
            .other_voters()
            .map(|id| (id, ReplicaProgress::default()))
            .collect();
        let begin_quorum_pending: BTreeSet<i32> = voters.keys().copied().collect();
        // Check quorum runs unless this leader is the only voter (Kafka's `LeaderState`).
        let check_quorum_deadline_ms = if !self.voter_set().is_only_voter(self.local_key()) {
            Some(self.now_ms.saturating_add(self.check_quorum_timeout_ms()))
        } else {
            None
        };
        let start_batch = self.epoch_start_batch(epoch, epoch_start_offset, granting_voters);
        let header = validate_batch(&start_batch).expect("the leader's own batch is valid");
        let accumulator = BatchAccumulator::new(
            epoch,
            header.last_offset() + 1,
            self.config.append_linger_ms,
            self.config.max_batch_size_bytes,
            self.config.max_queued_batches,
        );
        self.set_state(QuorumState::Leader(Box::new(LeaderState {
            epoch,
            epoch_start_offset,
            voters,
            observers: BTreeMap::new(),
            high_watermark: None,
            begin_quorum_pending,
            begin_quorum_deadline_ms: self.now_ms.saturating_add(self.config.fetch_timeout_ms / 2),
            fetched_voters: BTreeSet::new(),
            check_quorum_deadline_ms,
            parked: Vec::new(),
            accumulator,
            voter_change: None,
            resign_requested: false,
        })));
        let bytes = bytes::Bytes::from(start_batch);
        self.append_to_log(
            header.base_offset,
            header.last_offset(),
            epoch,
            bytes.clone(),
        );
        if let Some(Ok(batch)) = BatchIter::verified(&bytes).next() {
            self.record_control_batch(&batch);
        }
        self.emit(Output::Flush {
            up_to_offset: self.log.end_offset,
            generation: self.log.generation,
        });
    }

    /// The epoch's first batch (Kafka's `appendStartOfEpochControlRecords`): a LeaderChange
    /// record; at kraft.version 1, when the voter set still is the bootstrap checkpoint's or this
    /// leader's own entry is out of date (listeners, supported versions), also a KRaftVersion and
    /// a Voters record with this leader's entry brought up to date, in the same batch.
    /// Committing this batch is what lets the high watermark advance in this epoch.
    fn epoch_start_batch(
        &self,
        epoch: i32,
        base_offset: i64,
        granting_voters: Vec<i32>,
    ) -> Vec<u8> {
        let message = LeaderChangeMessage {
            version: 0,
            leader_id: self.config.node_id + i32::from(planted!(LeaderChangeNamesAnother)),
            voters: self.voter_set().ids().collect(),
            granting_voters,
        };
        let mut value = Vec::with_capacity(64);
        message.encode(&mut value);
        let mut buf = Vec::with_capacity(256);
        let mut builder = BatchBuilder::control(&mut buf, base_offset, epoch, self.now_ms as i64);
        builder.append_control(ControlRecordType::LeaderChange, &value);
        if let Some(voters) = self.epoch_start_voters() {
            let record = voters.to_record();
            append_kraft_control_records(&mut builder, Some(self.kraft_version()), Some(&record));
        }
        builder.finish();
        buf
    }

    /// The voter set a new leader writes at the start of its epoch, if any (see
    /// [`epoch_start_batch`](Self::epoch_start_batch)).
    fn epoch_start_voters(&self) -> Option<VoterSet> {
        if self.kraft_version() < 1 {
            return None;
        }
        let local = self.local_voter_node()?;
        let set = self.voter_set();
        let from_bootstrap = self.history.latest_offset() == Some(BOOTSTRAP_OFFSET);
        if from_bootstrap || set.voter_node_needs_update(&local) {
            set.update_voter(local)
        } else {
            None
        }
    }

    /// 1.5 x fetch timeout (Kafka's check-quorum window).
    pub(super) fn check_quorum_timeout_ms(&self) -> u64 {
        self.config.fetch_timeout_ms.saturating_mul(3) / 2
    }

    /// Leader -> Resigned: tell the voters with EndQuorumEpoch, most caught-up first.
    pub(super) fn transition_to_resigned(&mut self) {
        let QuorumState::Leader(leader) = &self.state else {
            return;
        };
        let epoch = leader.epoch;
        let mut successors: Vec<(i32, i64)> = leader
            .voters
            .iter()
            .map(|(&id, p)| (id, p.end_offset.unwrap_or(-1)))
            .collect();
        successors.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let preferred_successors: Vec<i32> = successors.iter().map(|s| s.0).collect();
        let unacked: BTreeSet<i32> = preferred_successors.iter().copied().collect();
        let deadline = self.fresh_election_deadline();
        self.set_state(QuorumState::Resigned(ResignedState {
            epoch,
            election_deadline_ms: deadline,
            unacked_voters: unacked,
            preferred_successors,
        }));
    }

    /// Kafka's `maybeTransition(leaderId, epoch)` for Begin/EndQuorumEpoch and responses. Returns
    /// false (and changes nothing) when the message contradicts what this node knows: a different
    /// leader for the same epoch, or this node named leader when it is not. Java treats that as
    /// fatal; a bad message must not crash this node, so it is ignored.
    pub(super) fn maybe_transition(&mut self, leader_id: Option<i32>, epoch: i32) -> bool {
        let local_id = self.config.node_id;
        let local_epoch = self.state.epoch();
        let known = self.state.leader_id(local_id);
        if let Some(l) = leader_id {
            if epoch == local_epoch && known.is_some_and(|k| k != l) {
                return false;
            }
            if l == local_id && !(epoch == local_epoch && known == Some(local_id)) {
                return false;
            }
        }
        if epoch > local_epoch {
            match leader_id {
                Some(l) => self.transition_to_follower(epoch, l),
                None => self.transition_to_unattached(epoch, None),
            }
        } else if epoch == local_epoch && known.is_none() {
            if let Some(l) = leader_id {
                self.transition_to_follower(epoch, l);
            }
        } else if epoch == local_epoch
            && matches!(self.state, QuorumState::Unattached(_))
            && leader_id.is_some_and(|l| known == Some(l) && self.leader_reachable(l))
        {
            // Unattached knowing the leader but not where it listens; now it does.
            self.transition_to_follower(epoch, known.expect("checked"));
        }
        true
    }

    /// Appends a whole batch to the log (leader's own batches and validated fetched batches).
    pub(super) fn append_to_log(
        &mut self,
        base_offset: i64,
        last_offset: i64,
        epoch: i32,
        bytes: bytes::Bytes,
    ) {
        self.log.append(base_offset, last_offset, epoch);
        self.emit(Output::AppendBatch {
            base_offset,
            last_offset: last_offset + i64::from(planted!(AppendBatchOffByOne)),
            epoch,
            bytes,
        });
    }
}
