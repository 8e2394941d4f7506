use crate::message::ReplicaKey;

/// No usable leader: a voter waits for its election timeout, an observer looks for the leader.
#[derive(Clone, Debug)]
pub(crate) struct UnattachedState {
    pub(crate) epoch: i32,
    /// Leader id known without a usable endpoint.
    pub(crate) leader_id: Option<i32>,
    pub(crate) voted_key: Option<ReplicaKey>,
    /// `None` for observers (infinite election timeout).
    pub(crate) election_deadline_ms: Option<u64>,
}
