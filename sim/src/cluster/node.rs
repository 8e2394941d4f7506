//! A simulated node's life: start and restart from its disk, crash and clean stop, and driving its
//! core (inputs, ticks, draining outputs) with the checks made after every step.

use kraft_engine::election::{ElectionState, RestoredState};
use kraft_engine::io::{Input, LeaderAndEpoch};
use kraft_engine::RaftNode;
use kraft_engine::StateName;
use kraft_records::{BatchIter, EpochEntry};

use kraft_driver::{FailureQueue, OutputGate};

use super::log_side::SimLogSide;
use super::membership::voter_disks;
use super::trace::describe_input;
use super::{Cluster, EventKind, DESCRIBE_EVERY, MAX_SAME_INSTANT_TICKS, OBSERVER_RECENT_MS};
use crate::checker::{DescribeExpectation, DescribeView, Invariant};
use crate::network::NodeId;

/// Leading bytes of `buf` that are whole, valid batches: what segment recovery keeps.
pub(super) fn valid_prefix_len(buf: &[u8]) -> usize {
    let mut iter = BatchIter::new(buf);
    for item in iter.by_ref() {
        if item.is_err() {
            break;
        }
    }
    iter.position()
}

impl Cluster {
    pub(super) fn start_node(&mut self, i: usize) {
        let seed = self.rng.next_u64();
        if self.options.clock_skew {
            self.nodes[i].clock_offset_ms = self.rng.below(1 << 40);
        }
        let now = self.node_clock(i);
        let node = &mut self.nodes[i];
        node.disk.recover(valid_prefix_len);
        // Startup deletes a download's `.part`; a log that ends below the latest snapshot (its
        // unflushed tail lost) starts over at it, as Kafka's metadata log does when it opens.
        node.snapshots.drop_part();
        node.pending_load = None;
        node.machine = Default::default();
        if let Some(latest) = node.snapshots.latest().copied() {
            let id = latest.snapshot_id;
            if id.end_offset > node.disk.end_offset() {
                node.disk
                    .reset_to_snapshot(id.end_offset, id.epoch, latest.prefix_hash);
            }
        }
        let restored = RestoredState {
            election: node
                .disk
                .quorum_state()
                .cloned()
                .unwrap_or_else(ElectionState::initial),
            log_start_offset: node.disk.start_offset(),
            log_end_offset: node.disk.end_offset(),
            flushed_end_offset: node.disk.flushed_end_offset(),
            epoch_entries: node
                .disk
                .epoch_start_offsets()
                .into_iter()
                .map(|(epoch, start_offset)| EpochEntry {
                    epoch,
                    start_offset,
                })
                .collect(),
            latest_snapshot: node.snapshots.latest().map(|s| s.info()),
            kraft_control: Vec::new(),
        };
        let mut restored = restored;
        restored.kraft_control = self.restored_kraft_control(i);
        let node = &mut self.nodes[i];
        node.log_voters = super::membership::voters_of(&restored.kraft_control);
        node.incarnation += 1;
        node.scheduled_tick_ms = None;
        node.same_instant_ticks = 0;
        node.log = SimLogSide::default();
        node.outputs = OutputGate::new();
        node.disk.reopen();
        node.core_log = node.disk.clone();
        node.peers.clear();
        node.address_book.clear();
        node.failures = FailureQueue::new();
        node.failure_report_scheduled = false;
        node.last_correlation_id = 0;
        node.inbound.clear();
        node.fetch_reads.clear();
        node.listeners.clear();
        node.stopping = false;
        node.paused_until_ms = 0;
        node.deferred.clear();
        let id = node.id;
        let config = node.config.clone();
        self.hash_words(&[1, now, id as u64, seed]);
        self.trace_line(|| format!("node {id} starts: {restored:?}"));
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            RaftNode::new(config, restored, now, seed)
        })) {
            Ok(Ok(core)) => {
                self.nodes[i].core = Some(core);
                self.drain(i);
                self.register_listener(i);
            }
            Ok(Err(e)) => {
                self.violation(
                    Invariant::Contract,
                    Some(id),
                    format!("restart refused: {e}"),
                );
            }
            Err(panic) => self.core_panicked(i, panic),
        }
    }

    pub(super) fn register_listener(&mut self, i: usize) {
        let listener_id = self.next_listener_id;
        self.next_listener_id += 1;
        let id = self.nodes[i].id;
        self.nodes[i].listeners.push((listener_id, None));
        self.checker.on_listener_registered(id, listener_id);
        self.step_node(i, Input::RegisterListener(listener_id));
    }

    /// What the workload's listener on node `i` was last told.
    pub(super) fn listener_view(&self, i: usize) -> Option<LeaderAndEpoch> {
        self.nodes[i].listeners.first().and_then(|l| l.1)
    }

    pub(super) fn core_panicked(&mut self, i: usize, panic: Box<dyn std::any::Any + Send>) {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "non-string panic".to_string());
        let id = self.nodes[i].id;
        self.violation(Invariant::CorePanic, Some(id), message);
        // The node is unusable; stop the run (its state may be half-updated).
        self.nodes[i].core = None;
        self.stop = true;
    }

    /// Power loss on node `i`.
    pub(super) fn crash(&mut self, i: usize) {
        if !self.is_up(i) {
            return;
        }
        self.crashes += 1;
        let node = &self.nodes[i];
        self.downloads_interrupted +=
            u64::from(node.snapshots.has_part() || node.pending_load.is_some());
        let id = self.nodes[i].id;
        let report = {
            let node = &mut self.nodes[i];
            node.core = None;
            node.disk.crash(&mut self.rng, &self.crash_config)
        };
        self.election_writes_lost += u64::from(report.lost_quorum_state_write);
        self.hash_words(&[2, self.now_ms, id as u64, report.lost_batches as u64]);
        self.trace_line(|| format!("node {id} crashes: {report:?}"));
        self.after_node_down(i);
    }

    pub(super) fn after_node_down(&mut self, i: usize) {
        let id = self.nodes[i].id;
        self.checker.on_crash(id);
        self.network.drop_node_traffic(id);
        self.nodes[i].log = SimLogSide::default();
        self.nodes[i].outputs = OutputGate::new();
        self.nodes[i].inbound.clear();
        self.nodes[i].fetch_reads.clear();
        self.nodes[i].deferred.clear();
        self.nodes[i].paused_until_ms = 0;
        self.nodes[i].pending_load = None;
        // Peers waiting on this node see their connection reset.
        for j in 0..self.nodes.len() {
            if j == i || !self.is_up(j) {
                continue;
            }
            for to in self.book_ids_of(j, id) {
                let Some(correlation_id) = self.in_flight_to(j, to) else {
                    continue;
                };
                let incarnation = self.nodes[j].incarnation;
                let delay = self.rng.range_inclusive(1, 5);
                self.schedule(
                    delay,
                    EventKind::Disconnected {
                        node: j,
                        incarnation,
                        to,
                        correlation_id,
                    },
                );
            }
        }
        let restart_ms = self.rng.range_inclusive(50, 4_000);
        self.schedule(restart_ms, EventKind::Restart { node: i });
    }

    pub(super) fn step_node(&mut self, i: usize, input: Input) {
        let now = self.now_ms;
        let code = match &input {
            Input::Request { .. } => 10,
            Input::Response { .. } => 11,
            Input::RequestFailed { .. } => 12,
            Input::LogFlushed {
                flushed_end_offset,
                generation,
            } => 13 + (*flushed_end_offset as u64).wrapping_mul(100) + (*generation << 48),
            Input::RegisterListener(_) => 14,
            Input::UnregisterListener(_) => 15,
            Input::Resign { .. } => 16,
            Input::Shutdown => 17,
            Input::SnapshotFrozen { snapshot } => {
                18 + (snapshot.snapshot_id.end_offset as u64).wrapping_mul(100)
            }
            Input::LogStartAdvanced { start_offset } => {
                19 + (*start_offset as u64).wrapping_mul(100)
            }
            Input::SnapshotLoaded { generation, .. } => 20 + (*generation << 48),
            Input::SnapshotLoadFailed { generation, .. } => 21 + (*generation << 48),
        };
        self.hash_words(&[3, now, i as u64, code]);
        if self.options.trace_lines > 0 {
            let id = self.nodes[i].id;
            self.trace_line(|| format!("node {id} <- {}", describe_input(&input)));
        }
        let clock = self.node_clock(i);
        let Some(core) = self.nodes[i].core.as_mut() else {
            return;
        };
        self.steps += 1;
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| core.step(clock, input)));
        match result {
            Ok(()) => self.after_core_call(i),
            Err(panic) => self.core_panicked(i, panic),
        }
    }

    pub(super) fn tick_node(&mut self, i: usize) {
        let now = self.now_ms;
        self.hash_words(&[4, now, i as u64]);
        let clock = self.node_clock(i);
        let Some(core) = self.nodes[i].core.as_mut() else {
            return;
        };
        self.steps += 1;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| core.tick(clock)));
        match result {
            Ok(()) => self.after_core_call(i),
            Err(panic) => self.core_panicked(i, panic),
        }
    }

    /// Drains outputs, observes the node, reschedules its tick, then checks the invariants.
    pub(super) fn after_core_call(&mut self, i: usize) {
        // The epoch at the end of the step bounds every epoch the node passed through while
        // producing these outputs (commits it reports are attributed to it).
        if let Some(core) = self.nodes[i].core.as_ref() {
            let status = core.status();
            let node = &self.nodes[i];
            self.checker.on_node_epoch(node.id, status.epoch);
            // A new leader is judged on the log it was elected with, and recorded as its epoch's
            // leader before its own LeaderChange append names one (`on_epoch_start`).
            if status.state == StateName::Leader {
                self.checker
                    .on_leader(self.now_ms, node.id, status.epoch, &node.core_log);
                self.check_leader_votes(i, status.epoch);
            }
        }
        self.drain(i);
        self.check_membership(i);
        self.observe(i);
        self.reschedule_tick(i);
        self.check_global();
    }

    pub(super) fn drain(&mut self, i: usize) {
        // Bounded: the core caps its own output queue.
        for _ in 0..kraft_engine::MAX_PENDING_OUTPUTS + 1 {
            let node = &mut self.nodes[i];
            let Some(core) = node.core.as_mut() else {
                return;
            };
            let Some(output) = node.outputs.next_output(core, &mut node.disk) else {
                return;
            };
            self.execute(i, output);
        }
    }

    pub(super) fn observe(&mut self, i: usize) {
        let now = self.now_ms;
        let node = &self.nodes[i];
        let Some(core) = node.core.as_ref() else {
            return;
        };
        let status = core.status();
        if status.state == StateName::Leader {
            self.checker
                .on_leader(now, node.id, status.epoch, &node.core_log);
        }
        // Appends and listener events queued behind a quorum-state write have not run yet: the
        // node is judged on them once they have (`election_side`).
        if node.outputs.must_wait() {
            return;
        }
        if let Some(hw) = status.high_watermark {
            self.checker
                .on_high_watermark(now, node.id, hw, &node.core_log);
            if status.state == StateName::Leader {
                self.checker.on_leader_high_watermark(
                    now,
                    node.id,
                    status.epoch,
                    hw,
                    &node.core_log,
                );
            }
        }
        if status.state == StateName::Leader {
            self.describe_countdown -= 1;
            if self.describe_countdown == 0 {
                self.describe_countdown = DESCRIBE_EVERY;
                self.check_describe(i);
            }
        }
        let node = &self.nodes[i];
        let resigned = status.state == StateName::Resigned;
        for &(listener_id, view) in &node.listeners {
            self.checker.check_listener_view(
                now,
                node.id,
                listener_id,
                resigned,
                (status.leader_id, status.epoch),
                view.map(|v| (v.leader_id, v.epoch)),
            );
        }
    }

    /// Compares the leader's DescribeQuorum answer with what the simulation knows.
    pub(super) fn check_describe(&mut self, i: usize) {
        let now = self.now_ms;
        let id = self.nodes[i].id;
        let Some(core) = self.nodes[i].core.as_ref() else {
            return;
        };
        let status = core.status();
        let Some(answer) = core.describe_quorum() else {
            self.violation(
                Invariant::DescribeQuorum,
                Some(id),
                "the leader has no DescribeQuorum answer".to_string(),
            );
            return;
        };
        let got = DescribeView {
            leader_id: answer.leader_id,
            leader_epoch: answer.leader_epoch,
            high_watermark: answer.high_watermark,
            voters: answer.current_voters.iter().map(|r| r.replica_id).collect(),
            observers: answer.observers.iter().map(|r| r.replica_id).collect(),
        };
        let fetching_observers = self
            .observer_fetches
            .range((id, status.epoch, NodeId::MIN)..=(id, status.epoch, NodeId::MAX))
            .filter(|(_, &at)| now.saturating_sub(at) <= OBSERVER_RECENT_MS)
            .map(|(&(_, _, observer), _)| observer)
            // One it has made a voter since is listed as a voter (its latest voter set).
            .filter(|&observer| !core.voter_set().contains_id(observer))
            .collect();
        let expected = DescribeExpectation {
            epoch: status.epoch,
            high_watermark: status.high_watermark.unwrap_or(-1),
            voter_set: core.voter_set().ids().collect(),
            fetching_observers,
        };
        self.checker.check_describe_quorum(now, id, &expected, &got);
    }

    pub(super) fn reschedule_tick(&mut self, i: usize) {
        let now = self.now_ms;
        let Some(core) = self.nodes[i].core.as_ref() else {
            return;
        };
        // The core's deadline is in its own clock.
        let offset = self.nodes[i].clock_offset_ms;
        let mut deadline = core.next_deadline_ms().saturating_sub(offset).max(now);
        let node = &mut self.nodes[i];
        if deadline == now {
            if node.last_tick_ms == now {
                node.same_instant_ticks += 1;
            } else {
                node.same_instant_ticks = 0;
            }
            if node.same_instant_ticks >= MAX_SAME_INSTANT_TICKS {
                deadline = now + 1;
                node.same_instant_ticks = 0;
                let id = node.id;
                self.violation(
                    Invariant::Contract,
                    Some(id),
                    "next_deadline_ms stays at the current time after repeated ticks".to_string(),
                );
            }
        }
        let node = &mut self.nodes[i];
        node.last_tick_ms = now;
        if node.scheduled_tick_ms == Some(deadline) {
            return;
        }
        node.scheduled_tick_ms = Some(deadline);
        let incarnation = node.incarnation;
        self.schedule(
            deadline - now,
            EventKind::Tick {
                node: i,
                incarnation,
            },
        );
    }

    pub(super) fn check_global(&mut self) {
        if self.checker.durability_check_due() {
            let mut keys = vec![self.checker.committed_voters().to_vec()];
            keys.extend(self.checker.pending_voter_sets().map(<[_]>::to_vec));
            let sets: Vec<_> = keys
                .iter()
                .map(|k| voter_disks(&self.nodes, &self.empty_disk, k))
                .collect();
            self.checker.check_durability_any(self.now_ms, &sets);
        }
        self.checker.check_liveness(self.now_ms);
    }
}
