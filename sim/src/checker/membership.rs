//! Membership (KIP-853): elections judged against the voter set each leader held, the committed
//! voter set followed along the committed log (what durability is judged against), and the
//! rules of voter changes: one uncommitted voter set at a time, a node's voter set equal to the
//! last Voters record of its log, and a voter that knows its removal committed never standing
//! for election.

use std::collections::{BTreeMap, BTreeSet};

use kraft_engine::message::ReplicaKey;

use super::{Checker, Invariant};
use crate::network::NodeId;

/// Vote grants kept for this many epochs below the newest (older ones cannot elect anyone any
/// more: every leader is judged when first seen).
const VOTE_EPOCHS_KEPT: i32 = 64;

/// Whether `granter` counts as voter `voter` (Kafka's `VoterNode.isVoter`: a voter without a
/// directory id is matched by id alone).
fn is_voter(voter: &ReplicaKey, granter: &ReplicaKey) -> bool {
    voter.id == granter.id
        && (voter.directory_id.is_zero() || voter.directory_id == granter.directory_id)
}

#[derive(Debug, Default)]
pub(super) struct Membership {
    /// (epoch, candidate) -> replica keys that sent it a granted (standard) vote.
    grants: BTreeMap<(i32, NodeId), Vec<ReplicaKey>>,
    /// Epochs whose leader was judged against its voter set.
    judged: BTreeSet<i32>,
    /// (epoch, base offset) of every batch holding a Voters record -> the offset and voters of
    /// its last one.
    voters_by_batch: BTreeMap<(i32, i64), (i64, Vec<ReplicaKey>)>,
    /// The voter set in force at the end of the committed log (the bootstrap one, or the last
    /// Voters record committed).
    committed_voters: Vec<ReplicaKey>,
    /// Offset of the Voters record `committed_voters` came from (-1: bootstrap or static).
    committed_voters_offset: i64,
}

impl Checker {
    /// The voter set before any Voters record of the log: the static voters or the bootstrap
    /// checkpoint's.
    pub fn set_initial_voters(&mut self, voters: Vec<ReplicaKey>) {
        self.membership.committed_voters = voters;
        self.membership.committed_voters_offset = -1;
    }

    /// The voters in force at the end of the committed log.
    pub fn committed_voters(&self) -> &[ReplicaKey] {
        &self.membership.committed_voters
    }

    /// Offset of the Voters record the committed voter set came from (-1: the initial one).
    pub fn committed_voters_offset(&self) -> i64 {
        self.membership.committed_voters_offset
    }

    /// `node`'s disk was wiped: it starts over at epoch 0 with a new directory id (its old
    /// epochs and high watermark are not its new replica's).
    pub fn on_wipe(&mut self, node: NodeId) {
        self.persisted_epochs.remove(&node);
        self.node_epochs.remove(&node);
        self.high_watermarks.remove(&node);
        self.leader_hw_baselines.remove(&node);
        self.durability_dirty = true;
    }

    /// `granter` sent a granted standard vote for `candidate` in `epoch`.
    pub fn on_vote_granted_key(&mut self, epoch: i32, candidate: NodeId, granter: ReplicaKey) {
        let m = &mut self.membership;
        let granters = m.grants.entry((epoch, candidate)).or_default();
        if !granters.contains(&granter) {
            granters.push(granter);
        }
        let oldest = epoch.saturating_sub(VOTE_EPOCHS_KEPT);
        while m
            .grants
            .first_key_value()
            .is_some_and(|(k, _)| k.0 < oldest)
        {
            m.grants.pop_first();
        }
    }

    /// `leader` leads `epoch` holding `voters`: it was elected by a majority of them (grants sent
    /// to it in that epoch, its own vote included when it is one of them). Judged once per epoch.
    pub fn check_leader_votes(
        &mut self,
        time_ms: u64,
        leader: ReplicaKey,
        epoch: i32,
        voters: &[ReplicaKey],
    ) {
        if !self.membership.judged.insert(epoch) {
            return;
        }
        let grants = self.membership.grants.get(&(epoch, leader.id));
        let votes = voters
            .iter()
            .filter(|v| {
                is_voter(v, &leader) || grants.is_some_and(|g| g.iter().any(|k| is_voter(v, k)))
            })
            .count();
        let majority = voters.len() / 2 + 1;
        if votes < majority {
            let ids: Vec<NodeId> = voters.iter().map(|v| v.id).collect();
            let detail = format!(
                "leads epoch {epoch} with {votes} votes of its voter set {ids:?} (majority {majority})"
            );
            self.report(time_ms, Invariant::ElectionSafety, Some(leader.id), detail);
        }
    }

    /// A batch `(epoch, base_offset)` holding Voters records was appended somewhere; `voters` are
    /// the last one's.
    pub fn on_voters_appended(
        &mut self,
        epoch: i32,
        base_offset: i64,
        offset: i64,
        voters: Vec<ReplicaKey>,
    ) {
        self.membership
            .voters_by_batch
            .insert((epoch, base_offset), (offset, voters));
    }

    /// Voter sets appended (in some log) after the committed end: not committed, possibly in
    /// force on a leader already.
    pub fn pending_voter_sets(&self) -> impl Iterator<Item = &[ReplicaKey]> + '_ {
        let committed_end = self.committed_end_offset();
        self.membership
            .voters_by_batch
            .values()
            .filter(move |(offset, _)| *offset >= committed_end)
            .map(|(_, voters)| voters.as_slice())
    }

    /// The committed log grew by batch `(epoch, base_offset)`.
    pub(super) fn on_batch_committed(&mut self, epoch: i32, base_offset: i64, last_offset: i64) {
        if let Some((offset, voters)) = self.membership.voters_by_batch.get(&(epoch, base_offset)) {
            debug_assert!(*offset <= last_offset);
            self.membership.committed_voters = voters.clone();
            self.membership.committed_voters_offset = *offset;
        }
    }

    /// Leader `node` appends a Voters record at `offset` changing its voter set while its
    /// previous one (at `previous_offset`) is above its high watermark: two uncommitted voter
    /// sets (KIP-853 allows one change at a time).
    pub fn on_voter_change_appended(
        &mut self,
        time_ms: u64,
        node: NodeId,
        offset: i64,
        previous_offset: i64,
        high_watermark: i64,
    ) {
        if previous_offset >= 0 && previous_offset >= high_watermark {
            let detail = format!(
                "appends a voter change at {offset} while the one at {previous_offset} is uncommitted (high watermark {high_watermark})"
            );
            self.report(time_ms, Invariant::UncommittedVoterSets, Some(node), detail);
        }
    }

    /// A node's voter set differs from the last Voters record of its log.
    pub fn on_voters_disagree(&mut self, time_ms: u64, node: NodeId, detail: String) {
        self.report(time_ms, Invariant::VotersNotFromLog, Some(node), detail);
    }

    /// `node` stands for election (Prospective or Candidate) although it knows its removal
    /// committed.
    pub fn on_removed_voter_election(&mut self, time_ms: u64, node: NodeId, detail: String) {
        self.report(time_ms, Invariant::RemovedVoterDisrupts, Some(node), detail);
    }
}
