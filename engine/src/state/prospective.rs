use super::VoteTally;
use crate::message::ReplicaKey;

/// Pre-vote phase (KIP-996): same epoch, nothing persisted, keeps the known leader and vote.
#[derive(Clone, Debug)]
pub(crate) struct ProspectiveState {
    pub(crate) epoch: i32,
    pub(crate) leader_id: Option<i32>,
    pub(crate) voted_key: Option<ReplicaKey>,
    pub(crate) votes: VoteTally,
    pub(crate) election_deadline_ms: u64,
    /// Candidate retries carried into the next candidacy (for the backoff).
    pub(crate) retries: u32,
}
