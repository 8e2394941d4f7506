//! The operator of a dynamic quorum: it plans voter changes (grow, shrink, replace a voter whose
//! disk is wiped) and carries them out like `kraft-quorum add-controller` / `remove-controller`:
//! an AddRaftVoter or RemoveRaftVoter to the node it takes for the leader, retried on an error
//! (NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, ...) and on its own timeout. A replacement
//! removes the old replica key, wipes the disk once the removal is committed (the node comes
//! back formatted with a new directory id), and adds the new key. Spare nodes of auto-join seeds
//! add themselves; the operator may remove one, which must not add itself back in that run
//! (KAFKA-19850, our rule: Kafka 4.4 lacks the fix). The operator also judges liveness: a change must finish within the bound
//! while a majority of the old and of the new voter set is up and connected in a calm window.

use std::collections::{BTreeMap, BTreeSet};

use kraft_engine::io::Input;
use kraft_engine::message::{
    AddRaftVoterRequest, RemoveRaftVoterRequest, ReplicaKey, Request, Response,
};

use super::dynamic::{bootstrap_entries, directory_id, endpoint, replica_key};
use super::options::{DynamicOptions, ReconfigCounts};
use super::{Cluster, EventKind};
use crate::checker::Invariant;
use crate::disk::SimDisk;
use crate::network::NodeId;
use crate::snapshots::SnapshotStore;

/// How often the operator looks at the quorum.
pub(super) const OPERATOR_INTERVAL_MS: u64 = 200;
/// The tool's own timeout for one request, after which it tries again.
const TOOL_TIMEOUT_MS: u64 = 5_000;
/// AddRaftVoter's `TimeoutMs`; sometimes a short one, which the leader may reach after
/// appending the new voter set and before committing it (the next request then meets an
/// uncommitted voter set, which the leader must refuse).
const ADD_TIMEOUT_MS: i32 = 4_000;
const SHORT_ADD_TIMEOUT_MS: (u64, u64) = (20, 300);
const SHORT_ADD_TIMEOUT: f64 = 0.3;
/// Odds the tool asks a node other than the leader first (it then retries on
/// NOT_LEADER_OR_FOLLOWER).
const ASK_ANY_NODE: f64 = 0.2;
/// Odds an AddRaftVoter asks to be answered once appended (AckWhenCommitted false, v1), so the
/// next change meets an uncommitted voter set (which the leader must refuse).
const ACK_WHEN_APPENDED: f64 = 0.3;

/// A voter change the operator asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    Add(ReplicaKey),
    Remove(ReplicaKey),
}

#[derive(Clone, Copy, Debug)]
struct InFlight {
    request_id: u64,
    sent_at_ms: u64,
    change: Change,
}

#[derive(Debug)]
pub(super) struct Operator {
    /// The voter ids wanted.
    target: BTreeSet<NodeId>,
    /// Spare nodes that add themselves (the operator leaves them alone).
    auto_join: BTreeSet<NodeId>,
    /// Changes still to plan.
    operations_left: u32,
    /// A replacement: this node's old key is being removed; once it is, the disk is wiped.
    replacing: Option<NodeId>,
    /// Wiped nodes whose new key is not committed yet.
    wiped: BTreeSet<NodeId>,
    /// Requests of the tools running now (at most `tools`).
    in_flight: Vec<InFlight>,
    /// Tools run at once: 1, or 2 (two administrators, each sending its own change: the leader
    /// must take one at a time).
    tools: usize,
    /// Requests sent and not answered: request id -> (node index, its incarnation then).
    outstanding: BTreeMap<u64, (usize, u64)>,
    /// Keys the operator asked to add (a key committed without it added itself).
    requested_adds: Vec<ReplicaKey>,
    /// The committed voter set last seen.
    last_committed: Vec<ReplicaKey>,
    /// Auto-joined replicas the operator removed, with the node's incarnation then: none may add
    /// itself back in that run (KAFKA-19850).
    removed_auto: Vec<(ReplicaKey, u64)>,
    /// Since when a change is owed (calm, majorities connected) without progress.
    owed_since_ms: Option<u64>,
    pub(super) counts: ReconfigCounts,
}

impl Operator {
    pub(super) fn new(options: DynamicOptions, initial_voters: usize, nodes: usize) -> Operator {
        let target: BTreeSet<NodeId> = (1..=initial_voters as NodeId).collect();
        let spares = (initial_voters as NodeId + 1)..=(nodes as NodeId);
        let auto_join: BTreeSet<NodeId> = if options.auto_join {
            spares.collect()
        } else {
            BTreeSet::new()
        };
        Operator {
            target: target.union(&auto_join).copied().collect(),
            auto_join,
            operations_left: options.operations,
            replacing: None,
            wiped: BTreeSet::new(),
            in_flight: Vec::new(),
            tools: if options.concurrent_tools { 2 } else { 1 },
            outstanding: BTreeMap::new(),
            requested_adds: Vec::new(),
            last_committed: (1..=initial_voters as NodeId)
                .map(|id| replica_key(id, 0))
                .collect(),
            owed_since_ms: None,
            removed_auto: Vec::new(),
            counts: ReconfigCounts {
                dynamic_runs: 1,
                ..ReconfigCounts::default()
            },
        }
    }
}

impl Cluster {
    pub(super) fn is_operator_request(&self, request_id: u64) -> bool {
        self.operator
            .as_ref()
            .is_some_and(|o| o.outstanding.contains_key(&request_id))
    }

    /// The operator's periodic look at the quorum.
    pub(super) fn operator_tick(&mut self) {
        if self.settle_until_ms.is_some() {
            // The final phase: the voter set stays as it is.
            return;
        }
        let Some(mut op) = self.operator.take() else {
            return;
        };
        self.follow_committed_voters(&mut op);
        let now = self.now_ms;
        // Answers of processes that ended never come.
        let nodes = &self.nodes;
        op.outstanding.retain(|_, &mut (i, incarnation)| {
            nodes[i].incarnation == incarnation && nodes[i].core.is_some()
        });
        let before = op.in_flight.len();
        let outstanding = &op.outstanding;
        op.in_flight.retain(|f| {
            now < f.sent_at_ms + TOOL_TIMEOUT_MS && outstanding.contains_key(&f.request_id)
        });
        op.counts.retries += (before - op.in_flight.len()) as u64;
        self.maybe_wipe(&mut op);
        let changes = self.next_changes(&mut op);
        self.judge_reconfiguration_liveness(&mut op, changes.first().copied());
        let mut sends = Vec::new();
        for change in changes {
            if op.in_flight.len() >= op.tools || op.in_flight.iter().any(|f| f.change == change) {
                continue;
            }
            // With voters held out, a change that would leave the new set without a connected
            // majority waits (the operator would take the quorum down itself).
            if !self.held_out.is_empty() && !self.change_is_owed(&op, Some(change)) {
                continue;
            }
            sends.extend(self.prepare_change(&mut op, change));
        }
        // Back before the steps: the core may answer at once (`on_operator_response`).
        self.operator = Some(op);
        for (i, request_id, request) in sends {
            self.step_node(
                i,
                Input::Request {
                    request_id,
                    request,
                },
            );
        }
    }

    /// Counts what the committed voter set gained and lost since the last look.
    fn follow_committed_voters(&mut self, op: &mut Operator) {
        let committed = self.checker.committed_voters();
        if committed == op.last_committed.as_slice() {
            return;
        }
        let mut rejoined = Vec::new();
        for key in committed.iter().filter(|k| !op.last_committed.contains(k)) {
            if op.requested_adds.contains(key) {
                op.counts.adds += 1;
            } else if let Some(&(_, incarnation)) = op.removed_auto.iter().find(|(k, _)| k == key) {
                let same_run = self
                    .node_index(key.id)
                    .is_some_and(|i| self.nodes[i].incarnation == incarnation);
                if same_run {
                    rejoined.push(key.id);
                }
                op.counts.auto_joins += 1;
            } else {
                op.counts.auto_joins += 1;
            }
            if op.wiped.remove(&key.id) {
                op.counts.replacements_with_wipe += 1;
            }
        }
        op.counts.removals += op
            .last_committed
            .iter()
            .filter(|k| !committed.contains(k))
            .count() as u64;
        op.last_committed = committed.to_vec();
        op.owed_since_ms = None;
        for id in rejoined {
            let detail = "added itself back after the operator removed it (KAFKA-19850)";
            self.violation(
                Invariant::AutoJoinAfterRemoval,
                Some(id),
                detail.to_string(),
            );
        }
    }

    /// A replaced node whose old key left the committed voter set loses its disk: it comes back
    /// formatted (`--no-initial-controllers`) with a new directory id.
    fn maybe_wipe(&mut self, op: &mut Operator) {
        let Some(x) = op.replacing else {
            return;
        };
        if op.last_committed.iter().any(|k| k.id == x) {
            return;
        }
        let i = self.node_index(x).expect("operator nodes exist");
        self.crash(i);
        let wipes = self.nodes[i].wipes + 1;
        let mut config = self.nodes[i].config.clone();
        config.directory_id = directory_id(x, wipes);
        // The new controller's configuration names the quorum as it is now (the initial
        // controllers may be gone, or be this node itself).
        config.bootstrap_servers = op
            .last_committed
            .iter()
            .map(|k| {
                let e = endpoint(k.id);
                (e.host, e.port)
            })
            .collect();
        let node = &mut self.nodes[i];
        node.wipes = wipes;
        node.config = config;
        node.disk = SimDisk::new();
        node.core_log = SimDisk::new();
        node.snapshots = SnapshotStore::default();
        node.bootstrap_control = bootstrap_entries(&[]);
        self.checker.on_wipe(x);
        self.trace_line(|| {
            format!("operator wipes node {x}'s disk (directory generation {wipes})")
        });
        op.replacing = None;
        op.wiped.insert(x);
        op.target.insert(x);
    }

    /// The requests the target asks for: removals first, then additions; new operations planned
    /// (one per tool) when the target is reached.
    fn next_changes(&mut self, op: &mut Operator) -> Vec<Change> {
        for _ in 0..2 {
            let changes = self.changes_to_target(op);
            let auto_pending = op
                .auto_join
                .iter()
                .any(|id| !op.last_committed.iter().any(|k| k.id == *id));
            if !changes.is_empty()
                || op.replacing.is_some()
                || auto_pending
                || op.operations_left == 0
            {
                return changes;
            }
            for _ in 0..op.tools.min(op.operations_left as usize) {
                self.plan_operation(op);
            }
        }
        Vec::new()
    }

    fn changes_to_target(&self, op: &Operator) -> Vec<Change> {
        let mut changes = Vec::new();
        for key in &op.last_committed {
            let Some(i) = self.node_index(key.id) else {
                continue;
            };
            let stale = key.directory_id != self.nodes[i].config.directory_id;
            if !op.target.contains(&key.id) || (stale && !op.wiped.contains(&key.id)) {
                changes.push(Change::Remove(*key));
            }
        }
        for &id in &op.target {
            let voter = op.last_committed.iter().any(|k| k.id == id);
            if let (false, false, Some(i)) =
                (voter, op.auto_join.contains(&id), self.node_index(id))
            {
                changes.push(Change::Add(replica_key(id, self.nodes[i].wipes)));
            }
        }
        changes
    }

    /// Draws the next operation: add a spare, remove a voter, or replace one (wiped disk).
    fn plan_operation(&mut self, op: &mut Operator) {
        op.operations_left -= 1;
        let managed: Vec<NodeId> = op
            .target
            .iter()
            .copied()
            .filter(|id| !op.auto_join.contains(id))
            .collect();
        let spares: Vec<NodeId> = (1..=self.nodes.len() as NodeId)
            .filter(|id| !op.target.contains(id) && !op.auto_join.contains(id))
            .collect();
        let can_shrink = op.target.len() >= 2 && !managed.is_empty();
        let pick = self.rng.below(3);
        let joined_auto: Vec<ReplicaKey> = op
            .last_committed
            .iter()
            .copied()
            .filter(|k| op.auto_join.contains(&k.id))
            .collect();
        let action = if !joined_auto.is_empty() && op.target.len() >= 2 && self.rng.chance(0.5) {
            // KAFKA-19850: an auto-joined controller the operator removes must not add itself
            // back; it becomes a spare the operator may add again.
            let key = joined_auto[self.rng.index(joined_auto.len())];
            op.target.remove(&key.id);
            op.auto_join.remove(&key.id);
            op.requested_adds.retain(|k| *k != key);
            let incarnation = self
                .node_index(key.id)
                .map_or(0, |i| self.nodes[i].incarnation);
            op.removed_auto.push((key, incarnation));
            format!("remove auto-joined node {}", key.id)
        } else if pick == 0 && !spares.is_empty() || !can_shrink && !spares.is_empty() {
            let id = spares[self.rng.index(spares.len())];
            op.target.insert(id);
            format!("add node {id}")
        } else if can_shrink {
            let id = managed[self.rng.index(managed.len())];
            op.target.remove(&id);
            if pick == 1 || op.replacing.is_some() {
                format!("remove node {id}")
            } else {
                op.replacing = Some(id);
                format!("replace node {id} (wiped disk)")
            }
        } else {
            "nothing to change".to_string()
        };
        self.hash_words(&[40, pick]);
        self.trace_line(|| format!("operator plans: {action}"));
    }

    /// AddRaftVoter / RemoveRaftVoter for the node the tool takes for the leader: (node index,
    /// request id, request), recorded as in flight.
    fn prepare_change(
        &mut self,
        op: &mut Operator,
        change: Change,
    ) -> Option<(usize, u64, Request)> {
        let running: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| self.is_running(i))
            .collect();
        if running.is_empty() {
            return None;
        }
        let i = match self.current_leader() {
            Some(l) if self.is_running(l) && !self.rng.chance(ASK_ANY_NODE) => l,
            _ => running[self.rng.index(running.len())],
        };
        let cluster_id = Some(self.nodes[i].config.cluster_id.clone());
        let ack_when_committed = !self.rng.chance(ACK_WHEN_APPENDED);
        let timeout_ms = if self.rng.chance(SHORT_ADD_TIMEOUT) {
            let (low, high) = SHORT_ADD_TIMEOUT_MS;
            self.rng.range_inclusive(low, high) as i32
        } else {
            ADD_TIMEOUT_MS
        };
        let request = match change {
            Change::Add(key) => {
                if !op.requested_adds.contains(&key) {
                    op.requested_adds.push(key);
                }
                Request::AddRaftVoter(AddRaftVoterRequest {
                    cluster_id,
                    timeout_ms,
                    voter_id: key.id,
                    voter_directory_id: key.directory_id,
                    listeners: vec![endpoint(key.id)],
                    ack_when_committed,
                })
            }
            Change::Remove(key) => Request::RemoveRaftVoter(RemoveRaftVoterRequest {
                cluster_id,
                voter_id: key.id,
                voter_directory_id: key.directory_id,
            }),
        };
        let request_id = self.next_request_id;
        self.next_request_id += 1;
        op.outstanding
            .insert(request_id, (i, self.nodes[i].incarnation));
        op.in_flight.push(InFlight {
            request_id,
            sent_at_ms: self.now_ms,
            change,
        });
        let id = self.nodes[i].id;
        self.hash_words(&[41, id as u64, request_id]);
        self.trace_line(|| format!("operator -> node {id}: {change:?}"));
        Some((i, request_id, request))
    }

    /// Node `i` answered the operator's request `request_id`.
    pub(super) fn on_operator_response(&mut self, i: usize, request_id: u64, response: Response) {
        let id = self.nodes[i].id;
        let Some(op) = self.operator.as_mut() else {
            return;
        };
        op.outstanding.remove(&request_id);
        let before = op.in_flight.len();
        op.in_flight.retain(|f| f.request_id != request_id);
        let current = op.in_flight.len() < before;
        let error = match &response {
            Response::AddRaftVoter(r) => (r.error_code, r.error_message.clone()),
            Response::RemoveRaftVoter(r) => (r.error_code, r.error_message.clone()),
            other => {
                let detail = format!("answers the operator's voter change with {other:?}");
                self.violation(Invariant::Contract, Some(id), detail);
                return;
            }
        };
        if current && !error.0.is_none() {
            op.counts.retries += 1;
        }
        self.trace_line(|| format!("operator <- node {id}: {error:?}"));
    }

    /// A change owed (calm, a majority of the committed and of the wanted voter set up and
    /// connected, the node to add up) must finish within the liveness bound.
    fn judge_reconfiguration_liveness(&mut self, op: &mut Operator, change: Option<Change>) {
        let owed = change.is_some() && self.checker.in_calm() && self.change_is_owed(op, change);
        if !owed {
            op.owed_since_ms = None;
            return;
        }
        let now = self.now_ms;
        let since = *op.owed_since_ms.get_or_insert(now);
        if now > since + self.options.liveness_bound_ms {
            let detail = format!(
                "voter change {change:?} owed since {since} ms has not finished (committed voters {:?}, wanted {:?})",
                op.last_committed.iter().map(|k| k.id).collect::<Vec<_>>(),
                op.target
            );
            self.violation(Invariant::ReconfigurationStuck, None, detail);
            op.owed_since_ms = Some(now);
        }
    }

    fn change_is_owed(&self, op: &Operator, change: Option<Change>) -> bool {
        let connected = |id: NodeId| {
            self.node_index(id)
                .is_some_and(|i| self.is_running(i) && !self.held_out.contains(&i))
        };
        let old: Vec<NodeId> = op.last_committed.iter().map(|k| k.id).collect();
        let new: Vec<NodeId> = match change {
            Some(Change::Add(key)) => old.iter().copied().chain([key.id]).collect(),
            Some(Change::Remove(key)) => old.iter().copied().filter(|&id| id != key.id).collect(),
            None => return false,
        };
        let majority_up =
            |set: &[NodeId]| set.iter().filter(|&&id| connected(id)).count() > set.len() / 2;
        let adding_up = match change {
            Some(Change::Add(key)) => connected(key.id),
            _ => true,
        };
        adding_up && majority_up(&old) && majority_up(&new)
    }

    /// Schedules the operator's next look.
    pub(super) fn schedule_operator(&mut self) {
        if self.operator.is_some() {
            self.schedule(OPERATOR_INTERVAL_MS, EventKind::Operator);
        }
    }
}
