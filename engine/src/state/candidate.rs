use super::VoteTally;

/// Standard election in `epoch` (self-vote persisted).
#[derive(Clone, Debug)]
pub(crate) struct CandidateState {
    pub(crate) epoch: i32,
    /// Elections this node ran in a row (1 for the first), grows the backoff.
    pub(crate) retries: u32,
    pub(crate) votes: VoteTally,
    pub(crate) election_deadline_ms: u64,
    /// Set once the election is lost or timed out: a new election starts when it passes.
    pub(crate) backoff_deadline_ms: Option<u64>,
}
