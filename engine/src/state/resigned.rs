use std::collections::BTreeSet;

/// A former leader of `epoch`: never votes in it, tells the voters with EndQuorumEpoch.
#[derive(Clone, Debug)]
pub(crate) struct ResignedState {
    pub(crate) epoch: i32,
    pub(crate) election_deadline_ms: u64,
    /// Voters that have not acknowledged the EndQuorumEpoch yet.
    pub(crate) unacked_voters: BTreeSet<i32>,
    /// Other voters by descending fetch offset (most caught up first).
    pub(crate) preferred_successors: Vec<i32>,
}
