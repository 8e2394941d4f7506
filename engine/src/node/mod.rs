//! `RaftNode`: the sans-IO KRaft replica. See the crate docs for the driving contract.

mod describe;
mod describe_cluster;
mod elections;
mod epoch_rpcs;
mod fetch_follower;
mod fetch_leader;
mod listeners;
mod membership;
mod peers;
mod send;
mod snapshot;
mod snapshot_download;
mod timers;
mod transitions;
mod vote;
mod voter_change;
mod voter_change_progress;
mod voter_history;
mod voter_join;

use std::collections::VecDeque;

use crate::config::RaftConfig;
use crate::connections::Connections;
use crate::election::{ElectionState, RestoredState};
use crate::error::{AppendError, RestoreError};
use crate::io::{Input, LeaderAndEpoch, Output, PeerAddress};
use crate::listener::ListenerState;
use crate::log::LogState;
use crate::message::{ReplicaKey, Response, SnapshotId};
use crate::rng::SplitMix64;
use crate::state::{QuorumState, StateName, UnattachedState};
use crate::voters::{VoterHistory, VoterSet};

/// Outputs not yet drained beyond this mean the runtime does not drain after each step: a bug.
pub const MAX_PENDING_OUTPUTS: usize = 1 << 16;

/// A snapshot of the node's status for logging, metrics and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeStatus {
    pub node_id: i32,
    pub state: StateName,
    pub epoch: i32,
    pub leader_id: Option<i32>,
    pub voted_id: Option<i32>,
    pub is_voter: bool,
    pub high_watermark: Option<i64>,
    pub log_start_offset: i64,
    pub log_end_offset: i64,
    pub flushed_end_offset: i64,
    pub last_fetched_epoch: i32,
    /// The log's generation: truncations since the node started (see `Output::Truncate`).
    pub log_generation: u64,
    /// The latest snapshot the log holds (frozen here, downloaded, or restored).
    pub latest_snapshot: Option<SnapshotId>,
    /// A snapshot being downloaded from the leader or loaded by the runtime.
    pub snapshot_download: Option<SnapshotProgress>,
    /// The kraft.version in force (0: static voters; 1: voters in the log, KIP-853).
    pub kraft_version: i16,
    /// The latest voter set (possibly uncommitted), ascending ids.
    pub voters: Vec<ReplicaKey>,
}

/// How far a follower's snapshot download is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotProgress {
    pub snapshot_id: SnapshotId,
    /// Bytes written so far.
    pub position: i64,
    /// The snapshot's size (-1 before the first chunk).
    pub size_bytes: i64,
    /// Fully written; the runtime is checking and loading it.
    pub loading: bool,
}

#[derive(Clone, Copy, Debug)]
struct Shutdown {
    deadline_ms: u64,
    completed: bool,
}

/// One KRaft replica as a pure state machine.
pub struct RaftNode {
    config: RaftConfig,
    now_ms: u64,
    rng: SplitMix64,
    state: QuorumState,
    /// The election state last emitted for persistence.
    election: ElectionState,
    log: LogState,
    /// Monotonic high watermark known to this node (None until learned).
    high_watermark: Option<i64>,
    connections: Connections,
    /// Correlation id of the next outbound request (unique within this node's run).
    next_correlation_id: u64,
    listeners: Vec<ListenerState>,
    outputs: VecDeque<Output>,
    shutdown: Option<Shutdown>,
    /// Reused by the high-watermark computation (voters' end offsets).
    hw_scratch: Vec<i64>,
    /// A downloaded snapshot the runtime is loading (`Output::LoadSnapshot` without its result).
    snapshot_load: Option<snapshot::PendingLoad>,
    /// Voter sets and kraft.versions by offset (static voters when the log holds none).
    history: VoterHistory,
    /// The address book last emitted with `Output::UpdatePeers`.
    peers: Vec<PeerAddress>,
    peers_emitted: bool,
    /// The leader's address learned from a message (NodeEndpoints, LeaderEndpoints) when it is
    /// not a voter this node knows the endpoint of.
    leader_address: Option<PeerAddress>,
    /// A replica the leader must reach before it can add it (AddRaftVoter's ApiVersions).
    pending_voter_address: Option<PeerAddress>,
    /// KAFKA-19850: this replica saw itself removed from the voter set; no auto-join.
    auto_join_stopped: bool,
    /// The leader accepted this replica's auto-join AddRaftVoter and no voter set holding it
    /// has been seen since.
    auto_join_accepted: bool,
}

impl RaftNode {
    /// Builds the node from its configuration and what its disk holds (spec 2.2 "Startup"), and
    /// emits the initial election state for persistence. `now_ms` is any monotonic millisecond
    /// clock (batch timestamps use it, so unix-epoch milliseconds are a good choice);
    /// `random_seed` drives every random choice.
    pub fn new(
        config: RaftConfig,
        restored: RestoredState,
        now_ms: u64,
        random_seed: u64,
    ) -> Result<RaftNode, RestoreError> {
        config.validate()?;
        let r = &restored;
        if r.log_start_offset < 0
            || r.log_end_offset < r.log_start_offset
            || r.flushed_end_offset < 0
            || r.election.epoch < 0
        {
            return Err(RestoreError::Inconsistent(format!(
                "log start {}, end {}, flushed {}, epoch {}",
                r.log_start_offset, r.log_end_offset, r.flushed_end_offset, r.election.epoch
            )));
        }
        // The log starts at 0 or at a snapshot's end, never past the latest one, and the latest
        // snapshot is inside the log (a log that lost its tail below it starts over at it).
        let snapshot_end = r.latest_snapshot.map(|s| s.snapshot_id.end_offset);
        let start_ok =
            r.log_start_offset == 0 || snapshot_end.is_some_and(|e| e >= r.log_start_offset);
        if !start_ok || snapshot_end.is_some_and(|e| e > r.log_end_offset) {
            return Err(RestoreError::Inconsistent(format!(
                "log [{}, {}) with latest snapshot ending at {snapshot_end:?}",
                r.log_start_offset, r.log_end_offset
            )));
        }
        let history = restore_voter_history(&config, r)?;
        let log = LogState::new(
            r.log_start_offset,
            r.log_end_offset,
            r.flushed_end_offset,
            &r.epoch_entries,
            r.latest_snapshot,
        );
        let placeholder = QuorumState::Unattached(UnattachedState {
            epoch: 0,
            leader_id: None,
            voted_key: None,
            election_deadline_ms: None,
        });
        let mut node = RaftNode {
            config,
            now_ms,
            rng: SplitMix64::new(random_seed),
            state: placeholder,
            election: ElectionState::initial(),
            log,
            high_watermark: None,
            connections: Connections::default(),
            next_correlation_id: 1,
            listeners: Vec::new(),
            outputs: VecDeque::new(),
            shutdown: None,
            hw_scratch: Vec::new(),
            snapshot_load: None,
            history,
            peers: Vec::new(),
            peers_emitted: false,
            leader_address: None,
            pending_voter_address: None,
            auto_join_stopped: false,
            auto_join_accepted: false,
        };
        // KAFKA-19850: a replica its history shows removed does not auto-join again.
        node.auto_join_stopped = !node.is_voter() && node.history.ever_contained(node.local_key());
        node.initialize(restored.election)?;
        // Before any Send (those come from `after_event`).
        node.update_peers();
        node.after_event();
        Ok(node)
    }

    /// Processes one input at time `now_ms`, then runs due timers.
    pub fn step(&mut self, now_ms: u64, input: Input) {
        self.advance_clock(now_ms);
        match input {
            Input::Request {
                request_id,
                request,
            } => self.handle_request(request_id, request),
            Input::Response {
                from,
                correlation_id,
                response,
            } => self.handle_response(from, correlation_id, response),
            Input::RequestFailed {
                to,
                correlation_id,
                error,
            } => self.handle_request_failed(to, correlation_id, error),
            Input::LogFlushed {
                flushed_end_offset,
                generation,
            } => self.handle_log_flushed(flushed_end_offset, generation),
            Input::RegisterListener(id) => self.register_listener(id),
            Input::UnregisterListener(id) => self.listeners.retain(|l| l.id != id),
            Input::Resign { epoch } => self.handle_resign(epoch),
            Input::SnapshotFrozen { snapshot } => self.handle_snapshot_frozen(snapshot),
            Input::LogStartAdvanced { start_offset } => {
                self.handle_log_start_advanced(start_offset)
            }
            Input::SnapshotLoaded {
                snapshot_id,
                generation,
                kraft_control,
            } => self.handle_snapshot_loaded(snapshot_id, generation, &kraft_control),
            Input::SnapshotLoadFailed {
                snapshot_id,
                generation,
            } => self.handle_snapshot_load_failed(snapshot_id, generation),
            Input::Shutdown => self.handle_shutdown(),
        }
        self.poll_timers();
        self.after_event();
    }

    /// Runs due timers at `now_ms` (call at `next_deadline_ms()` or later).
    pub fn tick(&mut self, now_ms: u64) {
        self.advance_clock(now_ms);
        self.poll_timers();
        self.after_event();
    }

    /// Kafka's `prepareAppend` + `schedulePreparedAppend`: appends one record to the leader's
    /// open batch and returns its offset. The batch reaches the log at linger expiry or when full
    /// (at the next `tick`/`step`).
    pub fn append(&mut self, now_ms: u64, epoch: i32, value: &[u8]) -> Result<i64, AppendError> {
        self.append_with(now_ms, epoch, value.len(), |out| out.copy_from_slice(value))
    }

    /// Like [`append`](Self::append), but `fill` writes the `value_len`-byte value straight into
    /// the open batch: the producer's write is the record's only write before the log copies the
    /// batch (no staging buffer). `fill` is not called when the append is refused.
    pub fn append_with(
        &mut self,
        now_ms: u64,
        epoch: i32,
        value_len: usize,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<i64, AppendError> {
        self.advance_clock(now_ms);
        if self.shutdown.is_some() {
            return Err(AppendError::ShuttingDown);
        }
        let current_epoch = self.state.epoch();
        match &mut self.state {
            QuorumState::Leader(leader) if leader.epoch == epoch => {
                let result = leader.accumulator.append_with(self.now_ms, value_len, fill);
                // A batch that filled up goes to the log at once; a lingering one waits for the
                // next tick or step, so appends made together share a batch even with linger 0.
                if result.is_ok() && leader.accumulator.has_completed() {
                    self.drain_accumulator();
                }
                result
            }
            _ => Err(AppendError::NotLeader {
                epoch,
                current_epoch,
            }),
        }
    }

    /// The next output for the runtime, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When the runtime must call `tick` next, at the latest.
    pub fn next_deadline_ms(&self) -> u64 {
        self.compute_next_deadline()
    }

    pub fn status(&self) -> NodeStatus {
        NodeStatus {
            node_id: self.config.node_id,
            state: self.state.name(),
            epoch: self.state.epoch(),
            leader_id: self.state.leader_id(self.config.node_id),
            voted_id: self.election.voted_key.map(|k| k.id),
            is_voter: self.is_voter(),
            high_watermark: self.high_watermark,
            log_start_offset: self.log.start_offset,
            log_end_offset: self.log.end_offset,
            flushed_end_offset: self.log.flushed_end_offset,
            last_fetched_epoch: self.log.last_fetched_epoch(),
            log_generation: self.log.generation,
            latest_snapshot: self.log.latest_snapshot.map(|s| s.snapshot_id),
            snapshot_download: self.snapshot_progress(),
            kraft_version: self.kraft_version(),
            voters: self.voter_set().keys().collect(),
        }
    }

    fn snapshot_progress(&self) -> Option<SnapshotProgress> {
        if let Some(load) = self.snapshot_load {
            return Some(SnapshotProgress {
                snapshot_id: load.snapshot.snapshot_id,
                position: load.snapshot.size_bytes,
                size_bytes: load.snapshot.size_bytes,
                loading: true,
            });
        }
        match &self.state {
            QuorumState::Follower(f) => f.snapshot_download.map(|d| SnapshotProgress {
                snapshot_id: d.snapshot_id,
                position: d.position,
                size_bytes: d.size_bytes,
                loading: false,
            }),
            _ => None,
        }
    }

    /// On a leader, the lowest fetch offset among the replicas that fetched within the last fetch
    /// timeout: where the furthest-behind live replica will read next. `None` elsewhere or when
    /// none fetched lately. (The runtime lets the log drop cached pages below it; a replica that
    /// stopped fetching, or was never heard from, reads from disk when it comes back.)
    pub fn lowest_replica_fetch_offset(&self) -> Option<i64> {
        let QuorumState::Leader(leader) = &self.state else {
            return None;
        };
        let live_since_ms = self.now_ms.saturating_sub(self.config.fetch_timeout_ms);
        leader
            .voters
            .values()
            .chain(leader.observers.values())
            .filter(|replica| replica.last_fetch_ms.is_some_and(|t| t >= live_since_ms))
            .filter_map(|replica| replica.end_offset)
            .min()
    }

    /// The current leader and epoch (Kafka's `leaderAndEpoch()`).
    pub fn leader_and_epoch(&self) -> LeaderAndEpoch {
        LeaderAndEpoch {
            leader_id: self.state.leader_id(self.config.node_id),
            epoch: self.state.epoch(),
        }
    }

    pub fn high_watermark(&self) -> Option<i64> {
        self.high_watermark
    }

    /// The kraft.version in force at the log end (0 with static voters).
    pub fn kraft_version(&self) -> i16 {
        self.history.kraft_version()
    }

    /// The latest voter set, possibly not committed yet (KIP-853: a change is in force once
    /// appended).
    pub fn voter_set(&self) -> &VoterSet {
        self.history.latest()
    }

    /// For a snapshot frozen at end offset `offset + 1`: the kraft.version in force at `offset`
    /// and, when the log holds one there, the voter set (a snapshot at kraft.version 1 holds
    /// both after its header, as Kafka's `RecordsSnapshotWriter` writes them).
    pub fn kraft_control_at(&self, offset: i64) -> (i16, Option<VoterSet>) {
        (
            self.history.kraft_version_at(offset),
            self.history.voters_at(offset).cloned(),
        )
    }

    pub fn config(&self) -> &RaftConfig {
        &self.config
    }

    /// The persisted election state (last one emitted).
    pub fn election_state(&self) -> &ElectionState {
        &self.election
    }

    pub fn is_shutdown_complete(&self) -> bool {
        self.shutdown.is_some_and(|s| s.completed)
    }

    // ------------------------------------------------------------------------------------------

    fn advance_clock(&mut self, now_ms: u64) {
        // A clock that goes backwards must not move deadlines; keep the latest time seen.
        self.now_ms = self.now_ms.max(now_ms);
    }

    pub(crate) fn emit(&mut self, output: Output) {
        assert!(
            self.outputs.len() < MAX_PENDING_OUTPUTS,
            "the runtime must drain outputs after every step"
        );
        self.outputs.push_back(output);
    }

    pub(crate) fn local_key(&self) -> ReplicaKey {
        ReplicaKey {
            id: self.config.node_id,
            directory_id: self.config.directory_id,
        }
    }

    pub(crate) fn leader_id_or_sentinel(&self) -> i32 {
        self.state.leader_id(self.config.node_id).unwrap_or(-1)
    }

    pub(crate) fn respond(&mut self, request_id: u64, response: Response) {
        self.emit(Output::Respond {
            request_id,
            response,
        });
    }

    /// Cluster id check shared by every handler: null is accepted.
    pub(crate) fn cluster_id_matches(&self, cluster_id: &Option<String>) -> bool {
        match cluster_id {
            None => true,
            Some(id) => *id == self.config.cluster_id,
        }
    }

    /// Work done after every input: send what is due, deliver commits and leader changes.
    fn after_event(&mut self) {
        self.maybe_send_requests();
        self.update_listeners();
        self.maybe_complete_shutdown();
    }

    /// Java's graceful shutdown finishes once the node is an observer or the only voter or sees a
    /// remote leader (a follower at once; a resigned leader once another leader is elected), or at
    /// the timeout.
    fn maybe_complete_shutdown(&mut self) {
        let Some(shutdown) = self.shutdown else {
            return;
        };
        if shutdown.completed {
            return;
        }
        let local_id = self.config.node_id;
        let done = !self.is_voter()
            || self.voter_set().len() == 1
            || self
                .state
                .leader_id(local_id)
                .is_some_and(|l| l != local_id);
        if done || self.now_ms >= shutdown.deadline_ms {
            self.shutdown = Some(Shutdown {
                completed: true,
                ..shutdown
            });
            self.emit(Output::ShutdownComplete);
        }
    }

    fn handle_shutdown(&mut self) {
        if self.shutdown.is_some() {
            return;
        }
        self.shutdown = Some(Shutdown {
            deadline_ms: self
                .now_ms
                .saturating_add(self.config.graceful_shutdown_timeout_ms),
            completed: false,
        });
        if matches!(self.state, QuorumState::Leader(_)) && self.voter_set().len() > 1 {
            self.transition_to_resigned();
        }
    }

    fn handle_resign(&mut self, epoch: i32) {
        if let QuorumState::Leader(leader) = &self.state {
            if leader.epoch == epoch {
                self.transition_to_resigned();
            }
        }
    }
}

/// The voter-set history a node restarts with: the static voters, then its control entries
/// (refused when they contradict each other or lie past the log end), trimmed at the log start.
fn restore_voter_history(
    config: &RaftConfig,
    r: &RestoredState,
) -> Result<VoterHistory, RestoreError> {
    let static_voters = VoterSet::from_static(&config.voters, &config.listener_name);
    let mut history = VoterHistory::new(static_voters);
    for entry in &r.kraft_control {
        history.add(entry).map_err(|e| {
            RestoreError::Inconsistent(format!("control entry at offset {}: {e}", entry.offset))
        })?;
    }
    if let Some(last) = r.kraft_control.last() {
        if last.offset >= r.log_end_offset {
            return Err(RestoreError::Inconsistent(format!(
                "control entry at offset {} past the log end {}",
                last.offset, r.log_end_offset
            )));
        }
    }
    history.trim_below(r.log_start_offset);
    Ok(history)
}
