//! The voter-change APIs of KIP-853: AddRaftVoter (80), RemoveRaftVoter (81) and
//! UpdateRaftVoter (82), which operators (and, for UpdateRaftVoter, the voters themselves) send
//! to the leader of a dynamic quorum (kraft.version 1); and ApiVersions (18) as the leader sends
//! it to a would-be voter to learn which kraft.version range it supports (Kafka's
//! `AddVoterHandler`).

use crate::{ErrorCode, LeaderEndpoint, LeaderIdAndEpoch, NodeEndpoint, Uuid};

// ---------------------------------------------------------------------------------------------
// AddRaftVoter (80)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddRaftVoterRequest {
    /// `None` = null on the wire.
    pub cluster_id: Option<String>,
    /// How long the leader may take before answering REQUEST_TIMED_OUT.
    pub timeout_ms: i32,
    pub voter_id: i32,
    pub voter_directory_id: Uuid,
    /// The new voter's endpoints (its controller listeners).
    pub listeners: Vec<LeaderEndpoint>,
    /// v1+ (KIP-1186): answer once the new voter set is committed (`true`), or once the leader
    /// has appended it (`false`, what an auto-joining controller asks). Always `true` in v0.
    pub ack_when_committed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddRaftVoterResponse {
    pub error_code: ErrorCode,
    /// `None` = null: the client shows the error code's default message.
    pub error_message: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// RemoveRaftVoter (81)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoveRaftVoterRequest {
    pub cluster_id: Option<String>,
    pub voter_id: i32,
    pub voter_directory_id: Uuid,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoveRaftVoterResponse {
    pub error_code: ErrorCode,
    pub error_message: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// UpdateRaftVoter (82)
// ---------------------------------------------------------------------------------------------

/// What a voter sends the leader when its endpoints or supported kraft.version range differ
/// from what the voter set records for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateRaftVoterRequest {
    pub cluster_id: Option<String>,
    /// -1 = unknown.
    pub current_leader_epoch: i32,
    pub voter_id: i32,
    pub voter_directory_id: Uuid,
    pub listeners: Vec<LeaderEndpoint>,
    /// `KRaftVersionFeature.MinSupportedVersion`.
    pub kraft_version_min: i16,
    /// `KRaftVersionFeature.MaxSupportedVersion`.
    pub kraft_version_max: i16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateRaftVoterResponse {
    pub error_code: ErrorCode,
    /// Tag 0 `CurrentLeader` (leader id -1 = unknown).
    pub current_leader: LeaderIdAndEpoch,
    /// Tag 0 `CurrentLeader`'s host and port: the leader's endpoint on the listener the request
    /// came in on; `None` writes Kafka's defaults (empty host, port 0).
    pub node_endpoint: Option<NodeEndpoint>,
}

// ---------------------------------------------------------------------------------------------
// ApiVersions (18), outbound only
// ---------------------------------------------------------------------------------------------

/// ApiVersions as the core sends it: the network layer fills in the client software name and
/// version. Inbound ApiVersions never reach the core (the network layer answers them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiVersionsRequest;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiVersionsResponse {
    pub error_code: ErrorCode,
    /// `SupportedFeatures["kraft.version"]` (min, max); `None` when the peer lists no such
    /// feature (a node that only knows kraft.version 0, or ApiVersions before v3).
    pub kraft_version: Option<(i16, i16)>,
}
