//! Raft-level request and response types exchanged between the core and the runtime.
//!
//! These mirror the fields of Kafka's KRaft RPCs (spec section 3) in Raft vocabulary, one struct per
//! message, flattened to the single topic/partition every Raft RPC carries. The network layer maps
//! them to and from `kafka-protocol` wire messages; the core never sees wire encodings.
//!
//! Conventions:
//! - `-1` means "unknown / none" for ids, epochs and offsets, exactly as on the wire, so a value
//!   received from the network is carried unchanged and the core decides what it means.
//! - A response whose top-level `error_code` is not [`ErrorCode::NONE`] carries no partition data on
//!   the wire: the codec writes an empty topic list and the partition fields here are ignored.
//! - Requests carry cluster id, topic and partition so the core itself performs Kafka's checks
//!   (`INCONSISTENT_CLUSTER_ID`, `INVALID_REQUEST` / `UNKNOWN_TOPIC_OR_PARTITION`).
//! - Responses echo the topic (name or id) and partition of the request, since Java discards a
//!   response whose topic/partition does not match exactly.
//!
//! A crate of its own (`kraft-message`) so that the network layer (`kraft-net`) depends on these
//! types only and never on the core; `kraft-engine` re-exports it as `kraft_engine::message`.

mod describe;
mod error_code;
mod voter_change;
pub use describe::*;
pub use error_code::ErrorCode;
pub use voter_change::*;

pub use kraft_records::Uuid;

/// A named listener endpoint of a leader (BeginQuorumEpoch / EndQuorumEpoch `LeaderEndpoints`,
/// DescribeQuorum v2 `Nodes[].Listeners`). `name` must equal the Java peer's controller listener
/// name or the Java follower cannot connect (spec 3.4).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LeaderEndpoint {
    pub name: String,
    pub host: String,
    pub port: u16,
}

/// A response's `NodeEndpoints` entry: the endpoint of `node_id` on the listener the request came
/// in on (no name on the wire).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeEndpoint {
    pub node_id: i32,
    pub host: String,
    pub port: u16,
}

/// Replica key (id, directory id); `Uuid::ZERO` = unknown directory id (static voters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReplicaKey {
    pub id: i32,
    pub directory_id: Uuid,
}

/// (epoch, end offset) as in Fetch's `DivergingEpoch`; `-1/-1` = absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EpochEndOffset {
    pub epoch: i32,
    pub end_offset: i64,
}

impl EpochEndOffset {
    pub const NONE: EpochEndOffset = EpochEndOffset {
        epoch: -1,
        end_offset: -1,
    };
}

/// Snapshot id (end offset, epoch) as in Fetch's and FetchSnapshot's `SnapshotId`; `-1/-1` = absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SnapshotId {
    pub end_offset: i64,
    pub epoch: i32,
}

impl SnapshotId {
    pub const NONE: SnapshotId = SnapshotId {
        end_offset: -1,
        epoch: -1,
    };
}

/// `CurrentLeader` of Fetch / FetchSnapshot responses; leader id -1 = unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LeaderIdAndEpoch {
    pub leader_id: i32,
    pub leader_epoch: i32,
}

/// Record bytes of a Fetch response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Records {
    /// No records (also what a null `Records` field is read as).
    Empty,
    /// Batches received from the network (may end in a cut-off batch, which the core ignores).
    Bytes(bytes::Bytes),
    /// Leader side: the runtime reads whole batches of its log starting at the batch containing
    /// `from_offset`, at most `max_bytes` but always at least one whole batch, while writing the
    /// response (zero-copy from the mmap). `generation` is the log's generation when the core
    /// answered (see `Output::Truncate`): the reader refuses the range (the response then goes
    /// out with no records) unless its log is at that very generation, because the log may lag
    /// the core (a truncation not applied yet: the old bytes still sit at those offsets) or be
    /// ahead of it (truncated since: other bytes). Within one generation the log only grows, so
    /// the offsets the core named hold the bytes it meant (or are not written yet: no records).
    LogRange {
        from_offset: i64,
        max_bytes: u32,
        generation: u64,
    },
}

/// Raw snapshot bytes of a FetchSnapshot response (`UnaligedRecords`: not batch-aligned).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotRecords {
    Empty,
    /// Received from the network.
    Bytes(bytes::Bytes),
    /// Leader side: the runtime reads `[position, position + length)` of the snapshot file `id`.
    FileRange {
        snapshot_id: SnapshotId,
        position: i64,
        length: u32,
    },
}

// ---------------------------------------------------------------------------------------------
// Vote (52)
// ---------------------------------------------------------------------------------------------

/// Vote request. v2 renames the candidate fields to `ReplicaEpoch`/`ReplicaId`/
/// `ReplicaDirectoryId` (same wire positions) and adds `PreVote`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteRequest {
    /// `None` = null on the wire (accepted by the receiver).
    pub cluster_id: Option<String>,
    /// v1+: the intended receiver; -1 = whoever receives it.
    pub voter_id: i32,
    pub topic_name: String,
    pub partition: i32,
    /// The candidate's (bumped) epoch; for a pre-vote, the prospective's current epoch.
    pub candidate_epoch: i32,
    pub candidate_id: i32,
    /// v1+.
    pub candidate_directory_id: Uuid,
    /// v1+.
    pub voter_directory_id: Uuid,
    /// Epoch of the candidate's last batch.
    pub last_offset_epoch: i32,
    /// The candidate's log end offset.
    pub last_offset: i64,
    /// v2+ (KIP-996).
    pub pre_vote: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteResponse {
    pub error_code: ErrorCode,
    pub topic_name: String,
    pub partition: i32,
    pub partition_error_code: ErrorCode,
    pub leader_id: i32,
    /// The responder's epoch after any transition caused by the request.
    pub leader_epoch: i32,
    pub vote_granted: bool,
    /// v1+ (tag 0).
    pub node_endpoints: Vec<NodeEndpoint>,
}

// ---------------------------------------------------------------------------------------------
// BeginQuorumEpoch (53)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BeginQuorumEpochRequest {
    pub cluster_id: Option<String>,
    /// v1+; -1 = whoever receives it.
    pub voter_id: i32,
    pub topic_name: String,
    pub partition: i32,
    /// v1+.
    pub voter_directory_id: Uuid,
    pub leader_id: i32,
    pub leader_epoch: i32,
    /// v1+.
    pub leader_endpoints: Vec<LeaderEndpoint>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BeginQuorumEpochResponse {
    pub error_code: ErrorCode,
    pub topic_name: String,
    pub partition: i32,
    pub partition_error_code: ErrorCode,
    pub leader_id: i32,
    pub leader_epoch: i32,
    /// v1+ (tag 0).
    pub node_endpoints: Vec<NodeEndpoint>,
}

// ---------------------------------------------------------------------------------------------
// EndQuorumEpoch (54)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndQuorumEpochRequest {
    pub cluster_id: Option<String>,
    pub topic_name: String,
    pub partition: i32,
    pub leader_id: i32,
    pub leader_epoch: i32,
    /// v0 field: preferred successors in order of preference.
    pub preferred_successors: Vec<i32>,
    /// v1 field: the same list with directory ids.
    pub preferred_candidates: Vec<ReplicaKey>,
    /// v1+.
    pub leader_endpoints: Vec<LeaderEndpoint>,
}

/// Same shape as BeginQuorumEpoch's response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndQuorumEpochResponse {
    pub error_code: ErrorCode,
    pub topic_name: String,
    pub partition: i32,
    pub partition_error_code: ErrorCode,
    pub leader_id: i32,
    pub leader_epoch: i32,
    /// v1+ (tag 0).
    pub node_endpoints: Vec<NodeEndpoint>,
}

// ---------------------------------------------------------------------------------------------
// Fetch (1)
// ---------------------------------------------------------------------------------------------

/// Fetch as used by KRaft (v13+, one topic by id, one partition). Consumer-only fields
/// (`IsolationLevel`, sessions, forgotten topics, rack) are not represented: the codec writes
/// Java's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchRequest {
    /// Tag 0; `None` = null.
    pub cluster_id: Option<String>,
    /// `ReplicaId` (v <= 14) or `ReplicaState.ReplicaId` (v15+); -1 for a non-replica.
    pub replica_id: i32,
    /// `ReplicaState.ReplicaEpoch`, -1.
    pub replica_epoch: i64,
    pub max_wait_ms: i32,
    pub min_bytes: i32,
    pub max_bytes: i32,
    pub topic_id: Uuid,
    pub partition: i32,
    pub current_leader_epoch: i32,
    pub fetch_offset: i64,
    pub last_fetched_epoch: i32,
    /// -1 when sent by a replica.
    pub log_start_offset: i64,
    /// Ignored by KRaft.
    pub partition_max_bytes: i32,
    /// v17+ (tag 0).
    pub replica_directory_id: Uuid,
    /// v18+ (tag 1): the fetcher's high watermark, `i64::MAX` when absent (KAFKA-14145).
    pub high_watermark: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchResponse {
    pub throttle_time_ms: i32,
    pub error_code: ErrorCode,
    pub topic_id: Uuid,
    pub partition: i32,
    pub partition_error_code: ErrorCode,
    /// -1 = unknown.
    pub high_watermark: i64,
    pub log_start_offset: i64,
    /// Tag 0; `EpochEndOffset::NONE` when absent.
    pub diverging_epoch: EpochEndOffset,
    /// Tag 1; always set by a KRaft responder.
    pub current_leader: LeaderIdAndEpoch,
    /// Tag 2; `SnapshotId::NONE` when absent.
    pub snapshot_id: SnapshotId,
    pub records: Records,
    /// v16+ (top-level tag 0).
    pub node_endpoints: Vec<NodeEndpoint>,
}

// ---------------------------------------------------------------------------------------------
// FetchSnapshot (59)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchSnapshotRequest {
    /// Tag 0; `None` = null.
    pub cluster_id: Option<String>,
    pub replica_id: i32,
    pub max_bytes: i32,
    pub topic_name: String,
    pub partition: i32,
    pub current_leader_epoch: i32,
    pub snapshot_id: SnapshotId,
    /// Bytes of the snapshot the fetcher already holds.
    pub position: i64,
    /// v1+ (tag 0).
    pub replica_directory_id: Uuid,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchSnapshotResponse {
    pub throttle_time_ms: i32,
    pub error_code: ErrorCode,
    pub topic_name: String,
    pub partition: i32,
    pub partition_error_code: ErrorCode,
    pub snapshot_id: SnapshotId,
    /// Tag 0.
    pub current_leader: LeaderIdAndEpoch,
    /// Total size of the snapshot in bytes.
    pub size: i64,
    pub position: i64,
    pub unaligned_records: SnapshotRecords,
    /// v1+ (top-level tag 0).
    pub node_endpoints: Vec<NodeEndpoint>,
}

// ---------------------------------------------------------------------------------------------
// Envelopes
// ---------------------------------------------------------------------------------------------

/// Any Raft request, inbound or outbound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    Vote(VoteRequest),
    BeginQuorumEpoch(BeginQuorumEpochRequest),
    EndQuorumEpoch(EndQuorumEpochRequest),
    Fetch(FetchRequest),
    FetchSnapshot(FetchSnapshotRequest),
    DescribeQuorum(DescribeQuorumRequest),
    DescribeCluster(DescribeClusterRequest),
    AddRaftVoter(AddRaftVoterRequest),
    RemoveRaftVoter(RemoveRaftVoterRequest),
    UpdateRaftVoter(UpdateRaftVoterRequest),
    /// Outbound only: the leader asks a would-be voter (see [`ApiVersionsRequest`]).
    ApiVersions(ApiVersionsRequest),
}

/// Any Raft response, inbound or outbound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    Vote(VoteResponse),
    BeginQuorumEpoch(BeginQuorumEpochResponse),
    EndQuorumEpoch(EndQuorumEpochResponse),
    Fetch(FetchResponse),
    FetchSnapshot(FetchSnapshotResponse),
    DescribeQuorum(DescribeQuorumResponse),
    DescribeCluster(DescribeClusterResponse),
    AddRaftVoter(AddRaftVoterResponse),
    RemoveRaftVoter(RemoveRaftVoterResponse),
    UpdateRaftVoter(UpdateRaftVoterResponse),
    ApiVersions(ApiVersionsResponse),
}

/// The Kafka API of a request or response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ApiKind {
    Vote,
    BeginQuorumEpoch,
    EndQuorumEpoch,
    Fetch,
    FetchSnapshot,
    DescribeQuorum,
    DescribeCluster,
    AddRaftVoter,
    RemoveRaftVoter,
    UpdateRaftVoter,
    ApiVersions,
}

impl ApiKind {
    /// Kafka's api key.
    pub fn api_key(self) -> i16 {
        match self {
            ApiKind::Fetch => 1,
            ApiKind::Vote => 52,
            ApiKind::BeginQuorumEpoch => 53,
            ApiKind::EndQuorumEpoch => 54,
            ApiKind::DescribeQuorum => 55,
            ApiKind::FetchSnapshot => 59,
            ApiKind::DescribeCluster => 60,
            ApiKind::ApiVersions => 18,
            ApiKind::AddRaftVoter => 80,
            ApiKind::RemoveRaftVoter => 81,
            ApiKind::UpdateRaftVoter => 82,
        }
    }
}

impl Request {
    pub fn kind(&self) -> ApiKind {
        match self {
            Request::Vote(_) => ApiKind::Vote,
            Request::BeginQuorumEpoch(_) => ApiKind::BeginQuorumEpoch,
            Request::EndQuorumEpoch(_) => ApiKind::EndQuorumEpoch,
            Request::Fetch(_) => ApiKind::Fetch,
            Request::FetchSnapshot(_) => ApiKind::FetchSnapshot,
            Request::DescribeQuorum(_) => ApiKind::DescribeQuorum,
            Request::DescribeCluster(_) => ApiKind::DescribeCluster,
            Request::AddRaftVoter(_) => ApiKind::AddRaftVoter,
            Request::RemoveRaftVoter(_) => ApiKind::RemoveRaftVoter,
            Request::UpdateRaftVoter(_) => ApiKind::UpdateRaftVoter,
            Request::ApiVersions(_) => ApiKind::ApiVersions,
        }
    }
}

impl Response {
    pub fn kind(&self) -> ApiKind {
        match self {
            Response::Vote(_) => ApiKind::Vote,
            Response::BeginQuorumEpoch(_) => ApiKind::BeginQuorumEpoch,
            Response::EndQuorumEpoch(_) => ApiKind::EndQuorumEpoch,
            Response::Fetch(_) => ApiKind::Fetch,
            Response::FetchSnapshot(_) => ApiKind::FetchSnapshot,
            Response::DescribeQuorum(_) => ApiKind::DescribeQuorum,
            Response::DescribeCluster(_) => ApiKind::DescribeCluster,
            Response::AddRaftVoter(_) => ApiKind::AddRaftVoter,
            Response::RemoveRaftVoter(_) => ApiKind::RemoveRaftVoter,
            Response::UpdateRaftVoter(_) => ApiKind::UpdateRaftVoter,
            Response::ApiVersions(_) => ApiKind::ApiVersions,
        }
    }

    /// Top-level error code.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Response::Vote(r) => r.error_code,
            Response::BeginQuorumEpoch(r) => r.error_code,
            Response::EndQuorumEpoch(r) => r.error_code,
            Response::Fetch(r) => r.error_code,
            Response::FetchSnapshot(r) => r.error_code,
            Response::DescribeQuorum(r) => r.error_code,
            Response::DescribeCluster(r) => r.error_code,
            Response::AddRaftVoter(r) => r.error_code,
            Response::RemoveRaftVoter(r) => r.error_code,
            Response::UpdateRaftVoter(r) => r.error_code,
            Response::ApiVersions(r) => r.error_code,
        }
    }
}
