//! Invariant checker for simulated runs.
//!
//! The cluster reports what it observes (appends, leaders, high watermarks, listener commits, votes
//! leaving a node, crashes) and the checker keeps just enough global history to judge Raft's safety
//! properties after every step, plus a liveness window. It never panics on a broken history: it
//! records a `Violation`, so a test can feed it deliberately broken histories and expect each one
//! to be reported.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::disk::{SimDisk, StoredBatch};
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

/// The part of a persisted quorum-state the checker needs (-1 = none, as in the file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElectionRecord {
    pub epoch: i32,
    pub leader_id: i32,
    pub voted_id: i32,
}

/// What a leader's DescribeQuorum answer said (replica ids only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescribeView {
    pub leader_id: NodeId,
    pub leader_epoch: i32,
    pub high_watermark: i64,
    pub voters: Vec<NodeId>,
    pub observers: Vec<NodeId>,
}

/// What the simulator knows the answer must reflect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DescribeExpectation {
    pub epoch: i32,
    /// The node's high watermark, -1 when unknown (the answer may also say -1).
    pub high_watermark: i64,
    pub voter_set: Vec<NodeId>,
    /// Observers this leader answered a Fetch without error moments ago.
    pub fetching_observers: Vec<NodeId>,
}

/// A batch of the globally committed log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct CommittedBatch {
    base_offset: i64,
    last_offset: i64,
    epoch: i32,
    prefix_hash: u64,
}

impl CommittedBatch {
    fn of(b: &StoredBatch) -> CommittedBatch {
        CommittedBatch {
            base_offset: b.base_offset,
            last_offset: b.last_offset,
            epoch: b.epoch,
            prefix_hash: b.prefix_hash,
        }
    }
}

#[derive(Clone, Debug)]
struct LivenessWindow {
    start_ms: u64,
    deadline_ms: u64,
    /// Smallest offset handed out to a workload append after the window started.
    first_new_offset: Option<i64>,
}

/// Keep at most this many violations in detail (the count stays exact).
const MAX_RECORDED_VIOLATIONS: usize = 32;

#[derive(Debug, Default)]
pub struct Checker {
    violations: Vec<Violation>,
    violation_count: u64,
    /// epoch -> the node seen leading it.
    leaders: BTreeMap<i32, NodeId>,
    /// (epoch, base offset) -> (last offset, prefix hash) of every batch ever appended anywhere.
    /// A leader writes each (offset, epoch) once, so this holds across truncations and crashes.
    batch_identity: BTreeMap<(i32, i64), (i64, u64)>,
    /// The committed log, contiguous from offset 0, as whole batches.
    committed: Vec<CommittedBatch>,
    /// Per committed batch: an upper bound of the epoch in which it became committed (the epoch
    /// of the node that first reported it, raised to be non-decreasing along the log). Leader
    /// completeness binds leaders of later epochs only: a stale leader of an older epoch may
    /// still win an election it started before the commit, and it can never commit anything.
    commit_epochs: Vec<i32>,
    /// Last high watermark seen per live node.
    high_watermarks: BTreeMap<NodeId, i64>,
    /// Next offset each (node, listener) must be handed.
    listener_next_offsets: BTreeMap<(NodeId, u64), i64>,
    /// Per node: (epoch it leads, high watermark it had when first seen leading it).
    leader_hw_baselines: HashMap<NodeId, (i32, i64)>,
    /// Current epoch per node, as last reported by `on_node_epoch`.
    node_epochs: HashMap<NodeId, i32>,
    /// Last persisted epoch per node.
    persisted_epochs: HashMap<NodeId, i32>,
    liveness: Option<LivenessWindow>,
    /// Something that can affect durability (a commit, a truncation, a crash) happened since
    /// the last `check_durability`.
    durability_dirty: bool,
    liveness_windows_passed: u64,
}

impl Checker {
    pub fn new() -> Checker {
        Checker::default()
    }

    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    pub fn violation_count(&self) -> u64 {
        self.violation_count
    }

    pub fn has(&self, invariant: Invariant) -> bool {
        self.violations.iter().any(|v| v.invariant == invariant)
    }

    /// End offset (exclusive) of the committed log seen so far.
    pub fn committed_end_offset(&self) -> i64 {
        self.committed.last().map_or(0, |b| b.last_offset + 1)
    }

    pub fn leaders_seen(&self) -> usize {
        self.leaders.len()
    }

    pub fn liveness_windows_passed(&self) -> u64 {
        self.liveness_windows_passed
    }

    pub fn report(
        &mut self,
        time_ms: u64,
        invariant: Invariant,
        node: Option<NodeId>,
        detail: String,
    ) {
        self.violation_count += 1;
        if self.violations.len() < MAX_RECORDED_VIOLATIONS {
            self.violations.push(Violation {
                time_ms,
                invariant,
                node,
                detail,
            });
        }
    }

    /// Index of the committed batch containing `offset`.
    fn committed_index(&self, offset: i64) -> Option<usize> {
        let idx = self.committed.partition_point(|b| b.last_offset < offset);
        match self.committed.get(idx) {
            Some(b) if b.base_offset <= offset => Some(idx),
            _ => None,
        }
    }

    // ----- log matching ------------------------------------------------------------------------

    /// A batch was appended to `node`'s log. Same (offset, epoch) anywhere, at any time, must mean
    /// the same batch after the same prefix; batches of one epoch must not overlap differently.
    pub fn on_append(&mut self, time_ms: u64, node: NodeId, batch: &StoredBatch) {
        let key = (batch.epoch, batch.base_offset);
        let value = (batch.last_offset, batch.prefix_hash);
        if let Some(&known) = self.batch_identity.get(&key) {
            if known != value {
                let detail = format!(
                    "batch (base offset {}, epoch {}) differs from one seen before: last offset {} vs {}, prefix hash {:#x} vs {:#x}",
                    batch.base_offset, batch.epoch, batch.last_offset, known.0, batch.prefix_hash, known.1
                );
                self.report(time_ms, Invariant::LogMatching, Some(node), detail);
            }
            return;
        }
        let previous = self
            .batch_identity
            .range((batch.epoch, i64::MIN)..key)
            .next_back()
            .map(|(&(_, base), &(last, _))| (base, last));
        let next = self
            .batch_identity
            .range((batch.epoch, batch.base_offset + 1)..=(batch.epoch, i64::MAX))
            .next()
            .map(|(&(_, base), &(last, _))| (base, last));
        for (base, last) in previous.into_iter().chain(next) {
            if base <= batch.last_offset && batch.base_offset <= last {
                let detail = format!(
                    "batch [{}, {}] of epoch {} overlaps a different batch [{base}, {last}] of the same epoch",
                    batch.base_offset, batch.last_offset, batch.epoch
                );
                self.report(time_ms, Invariant::LogMatching, Some(node), detail);
                return;
            }
        }
        self.batch_identity.insert(key, value);
    }

    // ----- elections ---------------------------------------------------------------------------

    /// `node` is now in `epoch` (reported after every step, before its commits are judged).
    pub fn on_node_epoch(&mut self, node: NodeId, epoch: i32) {
        self.node_epochs.insert(node, epoch);
    }

    /// `node` acts as leader of `epoch`; `disk` is its log right now.
    pub fn on_leader<Q: Clone>(
        &mut self,
        time_ms: u64,
        node: NodeId,
        epoch: i32,
        disk: &SimDisk<Q>,
    ) {
        match self.leaders.get(&epoch) {
            Some(&other) if other != node => {
                let detail =
                    format!("node {node} leads epoch {epoch}, which node {other} already led");
                self.report(time_ms, Invariant::ElectionSafety, Some(node), detail);
                return;
            }
            Some(_) => {}
            None => {
                self.leaders.insert(epoch, node);
            }
        }
        // Judged once per (node, epoch), however the epoch's leader was first recorded: its own
        // LeaderChange append (`on_epoch_start`) usually names it before it is observed leading.
        if self
            .leader_hw_baselines
            .get(&node)
            .is_some_and(|&(e, _)| e == epoch)
        {
            return;
        }
        // The high watermark it knew before leading (none after a restart): any advance past it
        // is this leader's own and must cover a batch of its epoch.
        self.leader_hw_baselines
            .insert(node, (epoch, self.leader_baseline(node)));
        self.check_leader_completeness(time_ms, node, epoch, disk);
    }

    fn leader_baseline(&self, node: NodeId) -> i64 {
        self.high_watermarks.get(&node).copied().unwrap_or(-1)
    }

    /// Every record committed in an earlier epoch must be in the log of `epoch`'s new leader.
    fn check_leader_completeness<Q: Clone>(
        &mut self,
        time_ms: u64,
        node: NodeId,
        epoch: i32,
        disk: &SimDisk<Q>,
    ) {
        let binding = self.commit_epochs.partition_point(|&e| e < epoch);
        if binding > 0 {
            let last = self.committed[binding - 1];
            let held = disk
                .batch_containing(last.last_offset)
                .map(CommittedBatch::of);
            if held != Some(last) {
                let detail = format!(
                    "new leader of epoch {epoch} lacks committed batch [{}, {}] (epoch {}); it holds {held:?}",
                    last.base_offset, last.last_offset, last.epoch
                );
                self.report(time_ms, Invariant::LeaderCompleteness, Some(node), detail);
            }
        }
    }

    /// A log of `node` starts `epoch` with a LeaderChange record naming `leader_id`: it must be
    /// the node seen leading that epoch (and becomes it if none was seen yet).
    pub fn on_epoch_start(&mut self, time_ms: u64, node: NodeId, epoch: i32, leader_id: NodeId) {
        match self.leaders.get(&epoch) {
            Some(&leader) if leader != leader_id => {
                let detail = format!(
                    "epoch {epoch} starts with a LeaderChange naming {leader_id}, but node {leader} led it"
                );
                self.report(time_ms, Invariant::LeaderChangeRecord, Some(node), detail);
            }
            Some(_) => {}
            None => {
                self.leaders.insert(epoch, leader_id);
            }
        }
    }

    /// `node` durably wrote `record` to its quorum-state.
    pub fn on_persist_election(&mut self, time_ms: u64, node: NodeId, record: ElectionRecord) {
        if let Some(&previous) = self.persisted_epochs.get(&node) {
            if record.epoch < previous {
                let detail = format!("persisted epoch went from {previous} to {}", record.epoch);
                self.report(time_ms, Invariant::EpochRegression, Some(node), detail);
            }
        }
        self.persisted_epochs.insert(node, record.epoch);
    }

    /// `node` is sending a granted (non-pre-)vote for `candidate_id` in `epoch`; `durable` is what
    /// its quorum-state file holds at this moment.
    pub fn on_vote_granted_sent(
        &mut self,
        time_ms: u64,
        node: NodeId,
        candidate_id: NodeId,
        epoch: i32,
        durable: Option<ElectionRecord>,
    ) {
        let ok = matches!(durable, Some(r) if r.epoch == epoch
            && (r.voted_id == candidate_id || r.leader_id == candidate_id));
        if !ok {
            let detail = format!(
                "vote for {candidate_id} in epoch {epoch} sent while quorum-state holds {durable:?}"
            );
            self.report(time_ms, Invariant::VoteNotDurable, Some(node), detail);
        }
    }

    // ----- commitment --------------------------------------------------------------------------

    /// `node` claims every offset below `end_offset` is committed; `disk` is its log.
    fn on_committed_up_to<Q: Clone>(
        &mut self,
        time_ms: u64,
        node: NodeId,
        end_offset: i64,
        disk: &SimDisk<Q>,
        source: &str,
    ) {
        if end_offset <= 0 {
            return;
        }
        let Some(claimed) = disk.batch_containing(end_offset - 1) else {
            let detail = format!(
                "{source} says offsets below {end_offset} are committed, but the log ends at {}",
                disk.end_offset()
            );
            self.report(time_ms, Invariant::CommittedLost, Some(node), detail);
            return;
        };
        let committed_end = self.committed_end_offset();
        // The node's log must agree with the committed log where they overlap: compare the batch
        // holding the last offset both cover (prefix hashes cover everything below it).
        let overlap_last = (end_offset - 1).min(committed_end - 1);
        if overlap_last >= 0 {
            let held = disk.batch_containing(overlap_last).map(CommittedBatch::of);
            let expected = self
                .committed_index(overlap_last)
                .map(|i| self.committed[i]);
            if held != expected {
                let detail = format!(
                    "{source} up to {end_offset}: at offset {overlap_last} the log holds {held:?} but the committed log has {expected:?}"
                );
                self.report(time_ms, Invariant::CommittedLost, Some(node), detail);
                return;
            }
        }
        if claimed.last_offset < committed_end {
            return;
        }
        // Unknown epoch: assume the highest, which only ever weakens the completeness check.
        let epoch = self.node_epochs.get(&node).copied().unwrap_or(i32::MAX);
        // Extend the committed log with the node's batches from the committed end on.
        let batches = disk.batches();
        let start = batches.partition_point(|b| b.last_offset < committed_end);
        for b in &batches[start..] {
            if b.base_offset > claimed.base_offset {
                break;
            }
            self.committed.push(CommittedBatch::of(b));
            self.durability_dirty = true;
            let commit_epoch = self.commit_epochs.last().map_or(epoch, |&e| e.max(epoch));
            self.commit_epochs.push(commit_epoch);
        }
    }

    /// `node`'s high watermark is `high_watermark` (-1 / unknown is ignored).
    pub fn on_high_watermark<Q: Clone>(
        &mut self,
        time_ms: u64,
        node: NodeId,
        high_watermark: i64,
        disk: &SimDisk<Q>,
    ) {
        if high_watermark < 0 {
            return;
        }
        if let Some(&previous) = self.high_watermarks.get(&node) {
            if high_watermark < previous {
                let detail = format!("high watermark went from {previous} to {high_watermark}");
                self.report(
                    time_ms,
                    Invariant::HighWatermarkDecrease,
                    Some(node),
                    detail,
                );
            }
            if high_watermark <= previous {
                return;
            }
        }
        self.high_watermarks.insert(node, high_watermark);
        self.on_committed_up_to(time_ms, node, high_watermark, disk, "high watermark");
    }

    /// `node` leads `epoch` with high watermark `high_watermark`. A leader may keep the high
    /// watermark it learned before its election, but any advance it makes itself must cover a
    /// batch of its own epoch.
    pub fn on_leader_high_watermark<Q: Clone>(
        &mut self,
        time_ms: u64,
        node: NodeId,
        epoch: i32,
        high_watermark: i64,
        disk: &SimDisk<Q>,
    ) {
        // `on_leader` records the baseline when it first sees `node` leading `epoch`; a caller
        // that skipped it gets the node's last known high watermark, as `on_leader` would.
        let baseline = match self.leader_hw_baselines.get(&node) {
            Some(&(e, baseline)) if e == epoch => baseline,
            _ => {
                let baseline = self.leader_baseline(node);
                self.leader_hw_baselines.insert(node, (epoch, baseline));
                baseline
            }
        };
        // A high watermark of 0 claims nothing committed.
        if high_watermark <= baseline.max(0) {
            return;
        }
        let batches = disk.batches();
        let first = batches.partition_point(|b| b.epoch < epoch);
        let covered = batches
            .get(first)
            .is_some_and(|b| b.epoch == epoch && b.base_offset < high_watermark);
        if !covered {
            let detail = format!(
                "leader of epoch {epoch} has high watermark {high_watermark} but no batch of its epoch below it"
            );
            self.report(
                time_ms,
                Invariant::HighWatermarkBeforeEpochStart,
                Some(node),
                detail,
            );
        }
    }

    /// `node`, leading, answered DescribeQuorum with `got`.
    pub fn check_describe_quorum(
        &mut self,
        time_ms: u64,
        node: NodeId,
        expected: &DescribeExpectation,
        got: &DescribeView,
    ) {
        let mut problems = Vec::new();
        if got.leader_id != node || got.leader_epoch != expected.epoch {
            problems.push(format!(
                "names leader {} epoch {} (expected {node}, {})",
                got.leader_id, got.leader_epoch, expected.epoch
            ));
        }
        // A new leader reports -1 until it commits in its epoch (Kafka's LeaderState starts
        // without a high watermark), although the node still knows the one it learned before.
        if got.high_watermark != expected.high_watermark && got.high_watermark != -1 {
            problems.push(format!(
                "high watermark {} (expected {})",
                got.high_watermark, expected.high_watermark
            ));
        }
        if !got.voters.contains(&node) || got.voters.iter().any(|v| !expected.voter_set.contains(v))
        {
            problems.push(format!(
                "voters {:?} (voter set {:?})",
                got.voters, expected.voter_set
            ));
        }
        if got.observers.iter().any(|o| expected.voter_set.contains(o)) {
            problems.push(format!("voters listed as observers: {:?}", got.observers));
        }
        let missing: Vec<NodeId> = expected
            .fetching_observers
            .iter()
            .copied()
            .filter(|o| !got.observers.contains(o))
            .collect();
        if !missing.is_empty() {
            problems.push(format!("fetching observers {missing:?} not listed"));
        }
        if !problems.is_empty() {
            let detail = format!("DescribeQuorum: {}", problems.join("; "));
            self.report(time_ms, Invariant::DescribeQuorum, Some(node), detail);
        }
    }

    /// A listener of `node` was registered (again): it starts from offset 0.
    pub fn on_listener_registered(&mut self, node: NodeId, listener_id: u64) {
        self.listener_next_offsets.insert((node, listener_id), 0);
    }

    /// A listener of `node` was handed committed offsets `[from_offset, to_offset_exclusive)`.
    pub fn on_listener_commit<Q: Clone>(
        &mut self,
        time_ms: u64,
        node: NodeId,
        listener_id: u64,
        from_offset: i64,
        to_offset_exclusive: i64,
        disk: &SimDisk<Q>,
    ) {
        let expected = self
            .listener_next_offsets
            .get(&(node, listener_id))
            .copied()
            .unwrap_or(0);
        if from_offset != expected || to_offset_exclusive <= from_offset {
            let detail = format!(
                "listener {listener_id} handed [{from_offset}, {to_offset_exclusive}) but its next offset is {expected}"
            );
            self.report(time_ms, Invariant::ListenerOrder, Some(node), detail);
        } else {
            // handleCommit hands over whole batches.
            let starts_batch = disk
                .batch_containing(from_offset)
                .is_some_and(|b| b.base_offset == from_offset);
            let ends_batch = disk
                .batch_containing(to_offset_exclusive - 1)
                .is_some_and(|b| b.last_offset == to_offset_exclusive - 1);
            if !starts_batch || !ends_batch {
                let detail = format!(
                    "listener {listener_id} handed [{from_offset}, {to_offset_exclusive}), which is not whole batches of the log"
                );
                self.report(time_ms, Invariant::ListenerOrder, Some(node), detail);
            }
        }
        self.listener_next_offsets
            .insert((node, listener_id), to_offset_exclusive.max(expected));
        self.on_committed_up_to(time_ms, node, to_offset_exclusive, disk, "listener commit");
    }

    /// A listener of `node` is told `new` (leader, epoch) after `previous` (spec 5.3): epochs never
    /// go back, at most two calls per epoch (unknown leader, then the leader), and the node's own
    /// leadership only once the listener has passed the epoch's start offset (KAFKA-15345).
    pub fn on_listener_leader_change<Q: Clone>(
        &mut self,
        time_ms: u64,
        node: NodeId,
        listener_id: u64,
        previous: Option<(Option<NodeId>, i32)>,
        new: (Option<NodeId>, i32),
        disk: &SimDisk<Q>,
    ) {
        let (leader, epoch) = new;
        if let Some((previous_leader, previous_epoch)) = previous {
            let ok = epoch > previous_epoch
                || (epoch == previous_epoch && previous_leader.is_none() && leader.is_some());
            if !ok {
                let detail = format!(
                    "listener {listener_id} told (leader {leader:?}, epoch {epoch}) after (leader {previous_leader:?}, epoch {previous_epoch})"
                );
                self.report(time_ms, Invariant::ListenerLeader, Some(node), detail);
                return;
            }
        }
        if leader == Some(node) {
            let next = self
                .listener_next_offsets
                .get(&(node, listener_id))
                .copied()
                .unwrap_or(0);
            let batches = disk.batches();
            let first = batches.partition_point(|b| b.epoch < epoch);
            let start = batches
                .get(first)
                .filter(|b| b.epoch == epoch)
                .map(|b| b.base_offset);
            if start.is_none_or(|start| next <= start) {
                let detail = format!(
                    "listener {listener_id} told of own leadership of epoch {epoch} at next offset {next}, epoch start {start:?}"
                );
                self.report(time_ms, Invariant::ListenerLeader, Some(node), detail);
            }
        }
    }

    /// After a step of `node`: its listener was last told `view` ((leader, epoch), `None` = nothing
    /// yet) while the node is at `current`. Outside Resigned and own leadership (both may hold
    /// notifications back), the listener must know the current epoch and any remote leader.
    pub fn check_listener_view(
        &mut self,
        time_ms: u64,
        node: NodeId,
        listener_id: u64,
        resigned: bool,
        current: (Option<NodeId>, i32),
        view: Option<(Option<NodeId>, i32)>,
    ) {
        let (leader, epoch) = current;
        if resigned || leader == Some(node) || (epoch == 0 && leader.is_none()) {
            return;
        }
        let ok = match view {
            Some((seen_leader, seen_epoch)) => {
                seen_epoch == epoch && (leader.is_none() || seen_leader == leader)
            }
            None => false,
        };
        if !ok {
            let detail = format!(
                "listener {listener_id} was last told {view:?} but the node is at (leader {leader:?}, epoch {epoch})"
            );
            self.report(time_ms, Invariant::ListenerLeader, Some(node), detail);
        }
    }

    /// A listener of `node` loaded a snapshot ending at `end_offset`.
    pub fn on_listener_snapshot(&mut self, node: NodeId, listener_id: u64, end_offset: i64) {
        self.listener_next_offsets
            .insert((node, listener_id), end_offset);
    }

    /// `node` crashed: its high watermark and listeners start over when it restarts.
    pub fn on_crash(&mut self, node: NodeId) {
        self.durability_dirty = true;
        self.high_watermarks.remove(&node);
        self.listener_next_offsets.retain(|&(n, _), _| n != node);
    }

    /// Whether `check_durability` has anything new to judge.
    pub fn durability_check_due(&self) -> bool {
        self.durability_dirty
    }

    /// Durability: the committed log must be durable on a majority of `voters`. Judged after every
    /// step in which something that can break it happened (a commit, a truncation, a crash).
    pub fn check_durability<Q: Clone>(&mut self, time_ms: u64, voters: &[(NodeId, &SimDisk<Q>)]) {
        if !std::mem::take(&mut self.durability_dirty) {
            return;
        }
        let Some(last) = self.committed.last().copied() else {
            return;
        };
        let holders = voters
            .iter()
            .filter(|(_, disk)| {
                disk.durable_batch_containing(last.last_offset)
                    .map(CommittedBatch::of)
                    == Some(last)
            })
            .count();
        let majority = voters.len() / 2 + 1;
        if holders < majority {
            let detail = format!(
                "committed batch [{}, {}] (epoch {}) is durable on {holders} of {} voters",
                last.base_offset,
                last.last_offset,
                last.epoch,
                voters.len()
            );
            self.report(time_ms, Invariant::CommittedLost, None, detail);
        }
    }

    // ----- liveness ----------------------------------------------------------------------------

    /// A majority is connected and stable from `time_ms` on: by `time_ms + bound_ms` a leader must
    /// exist and a record appended after `time_ms` must be committed.
    pub fn begin_calm(&mut self, time_ms: u64, bound_ms: u64) {
        self.liveness = Some(LivenessWindow {
            start_ms: time_ms,
            deadline_ms: time_ms + bound_ms,
            first_new_offset: None,
        });
    }

    /// `node` is about to remove every offset >= `to_offset`. Cutting below its own high
    /// watermark is a violation (spec 7.1 #8). A node that never learned that a batch is committed
    /// may still cut it: a restarted follower of a stale leader does exactly that, legitimately,
    /// while a majority keeps the batch (which `check_durability` watches).
    pub fn on_truncate(&mut self, time_ms: u64, node: NodeId, to_offset: i64) {
        self.durability_dirty = true;
        if let Some(&hw) = self.high_watermarks.get(&node) {
            if to_offset < hw {
                let detail = format!("truncation to {to_offset} below the high watermark {hw}");
                self.report(time_ms, Invariant::TruncatedCommitted, Some(node), detail);
            }
        }
    }

    /// A fault ends the calm period; nothing is owed for it.
    pub fn end_calm(&mut self) {
        self.liveness = None;
    }

    pub fn in_calm(&self) -> bool {
        self.liveness.is_some()
    }

    /// The workload appended a record at `offset` (accepted by a leader).
    pub fn on_workload_append(&mut self, offset: i64) {
        if let Some(window) = &mut self.liveness {
            if window.first_new_offset.is_none_or(|o| offset < o) {
                window.first_new_offset = Some(offset);
            }
        }
    }

    /// Checks the liveness window at `time_ms`.
    pub fn check_liveness(&mut self, time_ms: u64) {
        let Some(window) = self.liveness.clone() else {
            return;
        };
        let progressed = window
            .first_new_offset
            .is_some_and(|o| self.committed_end_offset() > o);
        if progressed {
            self.liveness = None;
            self.liveness_windows_passed += 1;
        } else if time_ms > window.deadline_ms {
            self.liveness = None;
            let detail = format!(
                "calm since {}ms, but by {}ms no record appended after that was committed (appended from {:?}, committed end {})",
                window.start_ms,
                window.deadline_ms,
                window.first_new_offset,
                self.committed_end_offset()
            );
            self.report(time_ms, Invariant::Liveness, None, detail);
        }
    }
}

#[cfg(test)]
mod tests {
    //! Hand-built histories: each broken one must be reported, each sound twin must not.

    use bytes::Bytes;

    use super::*;

    type Disk = SimDisk<ElectionRecord>;

    fn log(batches: &[(i64, i64, i32, u8)]) -> Disk {
        let mut disk = Disk::new();
        for &(base, last, epoch, tag) in batches {
            disk.append(base, last, epoch, Bytes::from(vec![tag; 16]))
                .unwrap();
        }
        disk.complete_flush(i64::MAX);
        disk
    }

    fn append_all(checker: &mut Checker, node: NodeId, disk: &Disk) {
        for b in disk.batches() {
            checker.on_append(0, node, b);
        }
    }

    #[test]
    fn two_leaders_in_one_epoch_are_reported() {
        let disk = log(&[]);
        let mut checker = Checker::new();
        checker.on_leader(10, 1, 3, &disk);
        checker.on_leader(11, 1, 3, &disk);
        checker.on_leader(12, 2, 4, &disk);
        assert_eq!(checker.violation_count(), 0, "{:?}", checker.violations());
        checker.on_leader(13, 2, 3, &disk);
        assert!(checker.has(Invariant::ElectionSafety));
        assert_eq!(checker.violation_count(), 1);
    }

    #[test]
    fn same_offset_and_epoch_with_different_prefix_is_reported() {
        let a = log(&[(0, 4, 1, 1), (5, 9, 2, 2)]);
        let same = log(&[(0, 4, 1, 1), (5, 9, 2, 2)]);
        let mut checker = Checker::new();
        append_all(&mut checker, 1, &a);
        append_all(&mut checker, 2, &same);
        assert_eq!(checker.violation_count(), 0);

        // Same last batch bytes, but a different first batch: prefixes differ.
        let b = log(&[(0, 4, 1, 7), (5, 9, 2, 2)]);
        append_all(&mut checker, 3, &b);
        assert!(checker.has(Invariant::LogMatching));
    }

    #[test]
    fn overlapping_batches_of_one_epoch_are_reported() {
        let mut checker = Checker::new();
        append_all(&mut checker, 1, &log(&[(0, 4, 1, 1), (5, 9, 1, 2)]));
        assert_eq!(checker.violation_count(), 0);
        append_all(
            &mut checker,
            2,
            &log(&[(0, 4, 1, 1), (5, 6, 1, 3), (7, 9, 1, 4)]),
        );
        assert!(checker.has(Invariant::LogMatching));
    }

    #[test]
    fn leader_change_record_naming_another_leader_is_reported() {
        let disk = log(&[]);
        let mut checker = Checker::new();
        checker.on_leader(0, 1, 3, &disk);
        checker.on_epoch_start(1, 2, 3, 1);
        checker.on_epoch_start(1, 2, 4, 2);
        assert_eq!(checker.violation_count(), 0);
        checker.on_epoch_start(2, 3, 3, 2);
        // The record's leader counts as the epoch's leader for election safety too.
        checker.on_leader(3, 3, 4, &disk);
        assert_eq!(checker.violation_count(), 2);
        assert!(checker.has(Invariant::LeaderChangeRecord));
        assert!(checker.has(Invariant::ElectionSafety));
    }

    #[test]
    fn leader_without_committed_record_is_reported() {
        let full = log(&[(0, 4, 1, 1), (5, 9, 1, 2)]);
        let short = log(&[(0, 4, 1, 1)]);
        let mut checker = Checker::new();
        checker.on_leader(0, 1, 1, &full);
        checker.on_node_epoch(1, 1);
        checker.on_high_watermark(5, 1, 10, &full);
        assert_eq!(checker.committed_end_offset(), 10);
        checker.on_leader(6, 2, 2, &full);
        // A stale leader of the commit's own epoch (or older) is not bound by it.
        checker.on_leader(6, 4, 0, &short);
        assert_eq!(checker.violation_count(), 0);
        checker.on_leader(7, 3, 3, &short);
        assert!(checker.has(Invariant::LeaderCompleteness));
    }

    #[test]
    fn committed_record_changed_is_reported() {
        let a = log(&[(0, 4, 1, 1), (5, 9, 1, 2)]);
        let b = log(&[(0, 4, 1, 1), (5, 9, 2, 9)]);
        let mut checker = Checker::new();
        checker.on_high_watermark(0, 1, 10, &a);
        checker.on_listener_registered(2, 0);
        checker.on_listener_commit(1, 2, 0, 0, 5, &b);
        assert_eq!(checker.violation_count(), 0, "agreeing prefix is fine");
        checker.on_listener_commit(2, 2, 0, 5, 10, &b);
        assert!(checker.has(Invariant::CommittedLost));
    }

    #[test]
    fn high_watermark_beyond_the_log_is_reported() {
        let a = log(&[(0, 4, 1, 1)]);
        let mut checker = Checker::new();
        checker.on_high_watermark(0, 1, 5, &a);
        assert_eq!(checker.violation_count(), 0);
        checker.on_high_watermark(1, 1, 8, &a);
        assert!(checker.has(Invariant::CommittedLost));
    }

    #[test]
    fn committed_record_lost_in_a_crash_is_reported() {
        let mut rng = crate::rng::SimRng::new(1);
        let crash = crate::disk::CrashConfig {
            torn_write_probability: 0.0,
            unflushed_survive_probability: 0.0,
        };
        // Node 1 reports HW 10 while only it has flushed offsets 5..9: nodes 2 and 3 hold them
        // unflushed (they acknowledged before fsync). Fine until they crash.
        let n1 = log(&[(0, 4, 1, 1), (5, 9, 1, 2)]);
        let mut n2 = log(&[(0, 4, 1, 1)]);
        let mut n3 = log(&[(0, 4, 1, 1)]);
        for d in [&mut n2, &mut n3] {
            d.append(5, 9, 1, Bytes::from(vec![2u8; 16])).unwrap();
        }
        let mut checker = Checker::new();
        checker.on_high_watermark(0, 1, 5, &n1);
        checker.check_durability(0, &[(1, &n1), (2, &n2), (3, &n3)]);
        assert_eq!(checker.violation_count(), 0);
        checker.on_high_watermark(1, 1, 10, &n1);
        n2.crash(&mut rng, &crash);
        n3.crash(&mut rng, &crash);
        checker.on_crash(2);
        checker.on_crash(3);
        checker.check_durability(2, &[(1, &n1), (2, &n2), (3, &n3)]);
        assert!(checker.has(Invariant::CommittedLost));
    }

    #[test]
    fn truncating_below_the_high_watermark_is_reported() {
        let a = log(&[(0, 4, 1, 1), (5, 9, 1, 2)]);
        let mut checker = Checker::new();
        checker.on_high_watermark(0, 1, 5, &a);
        checker.on_truncate(1, 1, 5);
        // Node 3 never learned the commit (seed 26944: a restarted follower of a stale leader).
        checker.on_truncate(2, 3, 0);
        assert_eq!(checker.violation_count(), 0);
        checker.on_truncate(3, 1, 3);
        assert!(checker.has(Invariant::TruncatedCommitted));
    }

    /// What the cluster reports after a step of `node` leading `epoch` (see `Cluster::observe`).
    fn observe_leader(checker: &mut Checker, node: NodeId, epoch: i32, hw: i64, disk: &Disk) {
        checker.on_leader(0, node, epoch, disk);
        checker.on_high_watermark(0, node, hw, disk);
        checker.on_leader_high_watermark(0, node, epoch, hw, disk);
    }

    #[test]
    fn leader_high_watermark_before_its_epoch_start_is_reported() {
        let a = log(&[(0, 4, 1, 1), (5, 5, 3, 2), (6, 9, 3, 3)]);
        let mut checker = Checker::new();
        // Node 1 leads epoch 3 keeping the high watermark 2 it learned as a follower.
        checker.on_high_watermark(0, 1, 2, &a);
        observe_leader(&mut checker, 1, 3, 2, &a);
        observe_leader(&mut checker, 1, 3, 6, &a);
        observe_leader(&mut checker, 1, 3, 10, &a);
        assert_eq!(checker.violation_count(), 0, "{:?}", checker.violations());
        // Node 2 leads epoch 3 from 2 and commits epoch-1 entries by counting replicas before
        // its epoch-3 LeaderChange is replicated (another run: one leader per epoch).
        let mut other = Checker::new();
        other.on_high_watermark(1, 2, 2, &a);
        observe_leader(&mut other, 2, 3, 2, &a);
        observe_leader(&mut other, 2, 3, 5, &a);
        assert_eq!(other.violation_count(), 1);
        assert!(other.has(Invariant::HighWatermarkBeforeEpochStart));
        // Node 1 leads epoch 4 from 6: nothing owed until it advances, then it has no batch.
        let mut checker = Checker::new();
        checker.on_high_watermark(2, 1, 6, &a);
        observe_leader(&mut checker, 1, 4, 6, &a);
        assert_eq!(checker.violation_count(), 0);
        observe_leader(&mut checker, 1, 4, 10, &a);
        assert_eq!(checker.violation_count(), 1);
        assert!(checker.has(Invariant::HighWatermarkBeforeEpochStart));
    }

    #[test]
    fn first_high_watermark_of_a_leader_without_one_is_judged() {
        // Figure 8: node 3 restarted (no high watermark), leads epoch 4 and its first high
        // watermark, 5, covers only epoch-1 records; its epoch-4 LeaderChange is at 10.
        let a = log(&[(0, 4, 1, 1), (5, 9, 2, 2), (10, 10, 4, 3)]);
        let mut checker = Checker::new();
        checker.on_leader(0, 3, 4, &a);
        observe_leader(&mut checker, 3, 4, 5, &a);
        assert!(checker.has(Invariant::HighWatermarkBeforeEpochStart));
        // A first high watermark of 0 claims nothing committed; the advance after it is judged.
        let mut checker = Checker::new();
        observe_leader(&mut checker, 3, 4, 0, &a);
        assert_eq!(checker.violation_count(), 0, "0 claims nothing");
        observe_leader(&mut checker, 3, 4, 5, &a);
        assert!(checker.has(Invariant::HighWatermarkBeforeEpochStart));
        // Past the epoch start it is fine.
        let mut checker = Checker::new();
        checker.on_leader(0, 3, 4, &a);
        observe_leader(&mut checker, 3, 4, 11, &a);
        assert_eq!(checker.violation_count(), 0, "{:?}", checker.violations());
    }

    #[test]
    fn leader_named_by_its_leader_change_first_is_still_judged_complete() {
        // The run's order: the new leader appends its LeaderChange (naming it the epoch's
        // leader) before the step ends and it is observed leading.
        let full = log(&[(0, 4, 1, 1), (5, 9, 1, 2)]);
        let short = log(&[(0, 4, 1, 1), (5, 5, 3, 3)]);
        let mut checker = Checker::new();
        checker.on_leader(0, 1, 1, &full);
        checker.on_node_epoch(1, 1);
        checker.on_high_watermark(5, 1, 10, &full);
        checker.on_epoch_start(6, 3, 3, 3);
        assert_eq!(checker.violation_count(), 0);
        checker.on_leader(7, 3, 3, &short);
        assert!(checker.has(Invariant::LeaderCompleteness));
        // Judged once per epoch.
        checker.on_leader(8, 3, 3, &short);
        assert_eq!(checker.violation_count(), 1);
    }

    #[test]
    fn high_watermark_decrease_on_live_node_is_reported() {
        let a = log(&[(0, 9, 1, 1)]);
        let mut checker = Checker::new();
        checker.on_high_watermark(0, 1, 10, &a);
        checker.on_crash(1);
        checker.on_high_watermark(1, 1, 0, &a);
        checker.on_high_watermark(2, 1, -1, &a);
        assert_eq!(checker.violation_count(), 0, "a restarted node starts over");
        checker.on_high_watermark(3, 1, 10, &a);
        checker.on_high_watermark(4, 1, 5, &a);
        assert!(checker.has(Invariant::HighWatermarkDecrease));
    }

    #[test]
    fn vote_sent_before_it_is_durable_is_reported() {
        let voted = ElectionRecord {
            epoch: 3,
            leader_id: -1,
            voted_id: 2,
        };
        let mut checker = Checker::new();
        checker.on_vote_granted_sent(0, 1, 2, 3, Some(voted));
        assert_eq!(checker.violation_count(), 0);
        checker.on_vote_granted_sent(1, 1, 3, 3, Some(voted));
        checker.on_vote_granted_sent(2, 1, 2, 4, Some(voted));
        checker.on_vote_granted_sent(3, 1, 2, 3, None);
        assert_eq!(checker.violation_count(), 3);
        assert!(checker.has(Invariant::VoteNotDurable));
    }

    #[test]
    fn persisted_epoch_going_back_is_reported() {
        let mut checker = Checker::new();
        checker.on_persist_election(
            0,
            1,
            ElectionRecord {
                epoch: 2,
                leader_id: -1,
                voted_id: -1,
            },
        );
        checker.on_persist_election(
            1,
            1,
            ElectionRecord {
                epoch: 2,
                leader_id: 1,
                voted_id: -1,
            },
        );
        assert_eq!(checker.violation_count(), 0);
        checker.on_persist_election(
            2,
            1,
            ElectionRecord {
                epoch: 1,
                leader_id: -1,
                voted_id: -1,
            },
        );
        assert!(checker.has(Invariant::EpochRegression));
    }

    #[test]
    fn listener_gap_or_repeat_is_reported() {
        let a = log(&[(0, 4, 1, 1), (5, 9, 1, 2)]);
        let mut checker = Checker::new();
        checker.on_listener_registered(1, 7);
        checker.on_listener_commit(0, 1, 7, 0, 5, &a);
        checker.on_listener_commit(1, 1, 7, 5, 10, &a);
        assert_eq!(checker.violation_count(), 0);
        checker.on_listener_commit(2, 1, 7, 5, 10, &a);
        assert!(checker.has(Invariant::ListenerOrder));
        // Part of a batch.
        checker.on_listener_registered(2, 8);
        checker.on_listener_commit(3, 2, 8, 0, 3, &a);
        assert_eq!(checker.violation_count(), 2);
    }

    #[test]
    fn listener_that_missed_the_leader_is_reported() {
        let mut checker = Checker::new();
        // Nothing owed: initial state, resigned, own leadership.
        checker.check_listener_view(0, 1, 1, false, (None, 0), None);
        checker.check_listener_view(0, 1, 1, true, (Some(1), 4), Some((None, 3)));
        checker.check_listener_view(0, 1, 1, false, (Some(1), 4), Some((None, 4)));
        // Up to date.
        checker.check_listener_view(0, 1, 1, false, (Some(2), 4), Some((Some(2), 4)));
        checker.check_listener_view(0, 1, 1, false, (None, 5), Some((None, 5)));
        assert_eq!(checker.violation_count(), 0);
        // KAFKA-16286: registered on a follower, never told the leader.
        checker.check_listener_view(1, 1, 2, false, (Some(2), 4), None);
        // Told an old epoch.
        checker.check_listener_view(2, 1, 1, false, (None, 6), Some((Some(2), 4)));
        assert_eq!(checker.violation_count(), 2);
        assert!(checker.has(Invariant::ListenerLeader));
    }

    #[test]
    fn wrong_describe_quorum_is_reported() {
        let expected = DescribeExpectation {
            epoch: 4,
            high_watermark: 10,
            voter_set: vec![1, 2, 3],
            fetching_observers: vec![4],
        };
        let good = DescribeView {
            leader_id: 1,
            leader_epoch: 4,
            high_watermark: 10,
            voters: vec![1, 2, 3],
            observers: vec![4],
        };
        let mut checker = Checker::new();
        checker.check_describe_quorum(0, 1, &expected, &good);
        assert_eq!(checker.violation_count(), 0);
        let broken = [
            DescribeView {
                leader_id: 2,
                ..good.clone()
            },
            DescribeView {
                high_watermark: 9,
                ..good.clone()
            },
            DescribeView {
                high_watermark: 11,
                ..good.clone()
            },
            DescribeView {
                voters: vec![2, 3],
                ..good.clone()
            },
            DescribeView {
                observers: vec![],
                ..good.clone()
            },
            DescribeView {
                observers: vec![4, 2],
                ..good.clone()
            },
        ];
        for (k, view) in broken.iter().enumerate() {
            checker.check_describe_quorum(1, 1, &expected, view);
            assert_eq!(checker.violation_count(), k as u64 + 1, "{view:?}");
        }
        assert!(checker.has(Invariant::DescribeQuorum));
    }

    #[test]
    fn listener_leader_change_out_of_order_or_early_is_reported() {
        // Epoch 2 starts at offset 5 with node 1's LeaderChange.
        let a = log(&[(0, 4, 1, 1), (5, 5, 2, 2), (6, 9, 2, 3)]);
        let mut checker = Checker::new();
        checker.on_listener_registered(2, 1);
        checker.on_listener_leader_change(0, 2, 1, None, (None, 1), &a);
        checker.on_listener_leader_change(0, 2, 1, Some((None, 1)), (Some(3), 1), &a);
        checker.on_listener_leader_change(0, 2, 1, Some((Some(3), 1)), (None, 2), &a);
        checker.on_listener_registered(1, 1);
        checker.on_listener_commit(0, 1, 1, 0, 6, &a);
        checker.on_listener_leader_change(0, 1, 1, None, (Some(1), 2), &a);
        assert_eq!(checker.violation_count(), 0, "{:?}", checker.violations());
        // Back to an older epoch; the same epoch twice with a leader; a leader replaced.
        checker.on_listener_leader_change(1, 2, 1, Some((None, 2)), (None, 1), &a);
        checker.on_listener_leader_change(1, 2, 1, Some((Some(3), 2)), (Some(3), 2), &a);
        checker.on_listener_leader_change(1, 2, 1, Some((Some(3), 2)), (Some(1), 2), &a);
        assert_eq!(checker.violation_count(), 3);
        // Own leadership before the listener passed the epoch start (KAFKA-15345).
        checker.on_listener_registered(1, 2);
        checker.on_listener_commit(2, 1, 2, 0, 5, &a);
        checker.on_listener_leader_change(2, 1, 2, None, (Some(1), 2), &a);
        assert_eq!(checker.violation_count(), 4);
        assert!(checker.has(Invariant::ListenerLeader));
    }

    #[test]
    fn no_progress_while_calm_is_reported() {
        let a = log(&[(0, 4, 1, 1), (5, 9, 1, 2)]);
        let mut checker = Checker::new();
        checker.begin_calm(1_000, 5_000);
        checker.on_workload_append(5);
        checker.check_liveness(2_000);
        checker.on_high_watermark(2_500, 1, 10, &a);
        checker.check_liveness(2_500);
        assert_eq!(checker.violation_count(), 0);
        assert_eq!(checker.liveness_windows_passed(), 1);

        checker.begin_calm(10_000, 5_000);
        checker.on_workload_append(10);
        checker.check_liveness(15_000);
        assert_eq!(checker.violation_count(), 0, "deadline not passed yet");
        checker.check_liveness(15_001);
        assert!(checker.has(Invariant::Liveness));
    }

    #[test]
    fn a_fault_cancels_the_liveness_window() {
        let mut checker = Checker::new();
        checker.begin_calm(0, 100);
        checker.end_calm();
        checker.check_liveness(1_000);
        assert_eq!(checker.violation_count(), 0);
    }
}
