//! The leader's one voter-set change in progress (Kafka's `AddVoterHandlerState` and
//! `RemoveVoterHandlerState`): at most one at a time, answered when done or at its deadline.

use crate::voters::VoterNode;

#[derive(Clone, Debug)]
pub(crate) enum VoterOp {
    /// AddRaftVoter: the leader asked the new voter ApiVersions (its kraft.version range is
    /// filled in from the answer) and, once answered, appends the new voter set.
    Add {
        voter: VoterNode,
        ack_when_committed: bool,
    },
    /// RemoveRaftVoter: the new voter set is appended at once.
    Remove,
}

#[derive(Clone, Debug)]
pub(crate) struct PendingVoterChange {
    pub(crate) op: VoterOp,
    /// The inbound request to answer; `None` once answered (an AddRaftVoter with
    /// AckWhenCommitted=false is answered when appended, but stays pending until committed).
    pub(crate) request_id: Option<u64>,
    /// Offset of the appended Voters record; `None` while an AddRaftVoter waits for ApiVersions.
    pub(crate) last_offset: Option<i64>,
    /// REQUEST_TIMED_OUT after this.
    pub(crate) deadline_ms: u64,
}
