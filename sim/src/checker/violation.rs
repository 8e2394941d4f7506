//! What the checker reports: the property broken, where and when.

use std::fmt;

use crate::network::NodeId;

/// Which property a violation breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Invariant {
    /// Two leaders in one epoch.
    ElectionSafety,
    /// Same (offset, epoch) in two logs but different bytes or prefixes.
    LogMatching,
    /// A leader whose log lacks a committed record.
    LeaderCompleteness,
    /// A committed record is changed, not held by a node claiming it committed, or no longer
    /// durable on a majority of voters.
    CommittedLost,
    /// A live node's high watermark went backwards.
    HighWatermarkDecrease,
    /// A leader's high watermark does not cover a batch of its own epoch (spec 5.1: adopted only
    /// above `epochStartOffset`; the Raft rule that protects against the "figure 8" loss).
    HighWatermarkBeforeEpochStart,
    /// A vote was granted before it was durable in the granting node's quorum-state.
    VoteNotDurable,
    /// A persisted epoch went backwards.
    EpochRegression,
    /// A listener got committed batches out of order, twice, or with a gap.
    ListenerOrder,
    /// After a step, a listener does not know the epoch or the (remote) leader the node knows
    /// (spec 5.3: registration and every poll reconcile each listener; KAFKA-16286).
    ListenerLeader,
    /// The core broke the runtime contract (non-contiguous append, cut inside a batch, a batch
    /// that does not match its offsets, an answer to an unknown request, ...).
    Contract,
    /// A node truncated below its own high watermark (spec 7.1 #8).
    TruncatedCommitted,
    /// No leader / no new commit within the bound after the cluster became calm.
    Liveness,
    /// The first batch of an epoch is not a LeaderChange record naming that epoch's leader.
    LeaderChangeRecord,
    /// The leader's DescribeQuorum answer contradicts its state or omits a fetching observer.
    DescribeQuorum,
    /// The core panicked.
    CorePanic,
    /// The log side reported a durable end offset the disk has not made durable in the
    /// generation it named (a runtime-ordering bug: the core would count unflushed bytes).
    FlushReportNotDurable,
    /// A Fetch response carried records other than the responder's core meant: its log range
    /// read in another generation than the one it named (a runtime-ordering bug: the network
    /// side read a log the log side had not truncated yet).
    FetchRecordsNotInLog,
    /// A snapshot ends past the high watermark of the node that froze it (Kafka: snapshots hold
    /// committed data only).
    SnapshotPastHighWatermark,
    /// A snapshot's state (the checksum of the committed prefix it stands for) differs from the
    /// committed log's at its end offset: snapshot plus log is not the committed data.
    SnapshotDiverges,
    /// A log starts at an offset that is neither 0 nor a snapshot's end offset.
    LogStartNotSnapshot,
    /// A leader loaded a snapshot (replaced its log).
    LeaderLoadedSnapshot,
    /// A leader appended a voter change while an earlier one was uncommitted (KIP-853: one
    /// voter-set change at a time).
    UncommittedVoterSets,
    /// A node's voter set is not the last Voters record of its log (or snapshot, or bootstrap
    /// checkpoint), or two snapshots of one committed prefix hold different voter sets.
    VotersNotFromLog,
    /// A node stood for election after it knew its removal committed (its high watermark past
    /// the Voters record without it): a removed voter must not disturb the quorum.
    RemovedVoterDisrupts,
    /// A voter change did not finish although a majority of the old and the new voter set was
    /// up and connected for the whole liveness bound.
    ReconfigurationStuck,
    /// An auto-joining controller the operator removed added itself back (KAFKA-19850).
    AutoJoinAfterRemoval,
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub time_ms: u64,
    pub invariant: Invariant,
    pub node: Option<NodeId>,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.node {
            Some(node) => write!(
                f,
                "t={}ms node {node}: {}: {}",
                self.time_ms, self.invariant, self.detail
            ),
            None => write!(
                f,
                "t={}ms: {}: {}",
                self.time_ms, self.invariant, self.detail
            ),
        }
    }
}
