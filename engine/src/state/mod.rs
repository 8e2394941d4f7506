//! The epoch states of a replica (Kafka's `EpochState` classes), one file each.

mod candidate;
mod follower;
mod leader;
mod prospective;
mod resigned;
mod unattached;
mod voter_change;
mod votes;

pub(crate) use candidate::CandidateState;
pub(crate) use follower::{FollowerState, SnapshotDownload};
pub(crate) use leader::{LeaderState, ParkedFetch, ReplicaProgress};
pub(crate) use prospective::ProspectiveState;
pub(crate) use resigned::ResignedState;
pub(crate) use unattached::UnattachedState;
pub(crate) use voter_change::{PendingVoterChange, VoterOp};
pub(crate) use votes::VoteTally;

/// Name of a state, for status and logging.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StateName {
    Unattached,
    Prospective,
    Candidate,
    Leader,
    Follower,
    Resigned,
}

#[derive(Debug)]
pub(crate) enum QuorumState {
    Unattached(UnattachedState),
    Prospective(ProspectiveState),
    Candidate(CandidateState),
    Leader(Box<LeaderState>),
    Follower(FollowerState),
    Resigned(ResignedState),
}

impl QuorumState {
    pub(crate) fn epoch(&self) -> i32 {
        match self {
            QuorumState::Unattached(s) => s.epoch,
            QuorumState::Prospective(s) => s.epoch,
            QuorumState::Candidate(s) => s.epoch,
            QuorumState::Leader(s) => s.epoch,
            QuorumState::Follower(s) => s.epoch,
            QuorumState::Resigned(s) => s.epoch,
        }
    }

    /// The known leader of the current epoch (a resigned leader still names itself, as Java).
    pub(crate) fn leader_id(&self, local_id: i32) -> Option<i32> {
        match self {
            QuorumState::Unattached(s) => s.leader_id,
            QuorumState::Prospective(s) => s.leader_id,
            QuorumState::Candidate(_) => None,
            QuorumState::Leader(_) | QuorumState::Resigned(_) => Some(local_id),
            QuorumState::Follower(s) => Some(s.leader_id),
        }
    }

    pub(crate) fn name(&self) -> StateName {
        match self {
            QuorumState::Unattached(_) => StateName::Unattached,
            QuorumState::Prospective(_) => StateName::Prospective,
            QuorumState::Candidate(_) => StateName::Candidate,
            QuorumState::Leader(_) => StateName::Leader,
            QuorumState::Follower(_) => StateName::Follower,
            QuorumState::Resigned(_) => StateName::Resigned,
        }
    }
}
