//! Scheduled events: timers and I/O completions of each node (held while it is paused) and the
//! run's workload, fault and calm phases.

use kraft_engine::io::Input;

use super::{Cluster, Event, EventKind};

impl Cluster {
    pub(super) fn handle_event(&mut self, event: Event) {
        if self.held_while_paused(&event) {
            return;
        }
        match event.kind {
            EventKind::Operator => {
                self.operator_tick();
                self.schedule_operator();
            }
            EventKind::Workload => {
                self.workload();
                let gap = self
                    .rng
                    .range_inclusive(1, 2 * self.options.append_interval_ms);
                self.schedule(gap, EventKind::Workload);
            }
            EventKind::Fault => {
                if self.now_ms < self.chaos_until_ms {
                    self.inject_fault();
                    let gap = self.rng.range_inclusive(100, 1_500);
                    self.schedule(gap, EventKind::Fault);
                } else {
                    self.schedule(0, EventKind::BeginCalm);
                }
            }
            EventKind::BeginCalm => self.begin_calm(),
            EventKind::Settle => self.check_settled(),
            _ => self.handle_node_event(event),
        }
    }

    /// A paused node's timers and I/O completions wait for it to resume: whether `event` was put
    /// off (rescheduled or dropped) for that reason.
    fn held_while_paused(&mut self, event: &Event) -> bool {
        match event.kind {
            EventKind::Tick { node, .. } if self.is_paused(node) => {
                self.nodes[node].scheduled_tick_ms = None;
                true
            }
            // The log and network sides run on while only the Raft loop waits for a write.
            EventKind::FlushDone { node, .. }
            | EventKind::FetchResponseRead { node, .. }
            | EventKind::LogResume { node, .. }
            | EventKind::FreezeSnapshot { node, .. }
            | EventKind::SnapshotLoad { node, .. }
                if self.is_process_paused(node) =>
            {
                let wait = self.nodes[node].paused_until_ms - self.now_ms;
                self.schedule(wait, event.kind);
                true
            }
            EventKind::FlushReport { node, .. }
            | EventKind::LieFlushed { node, .. }
            | EventKind::Disconnected { node, .. }
            | EventKind::RequestTimeout { node, .. }
            | EventKind::FailureReport { node, .. }
                if self.is_paused(node) =>
            {
                let wait = self.nodes[node].paused_until_ms.saturating_sub(self.now_ms);
                self.schedule(wait.max(1), event.kind);
                true
            }
            _ => false,
        }
    }

    /// A timer or I/O completion of one node (stale ones, of an earlier process, are skipped).
    fn handle_node_event(&mut self, event: Event) {
        match event.kind {
            EventKind::Tick { node, incarnation } => {
                let n = &self.nodes[node];
                if n.core.is_some()
                    && n.incarnation == incarnation
                    && n.scheduled_tick_ms == Some(event.at_ms)
                {
                    self.nodes[node].scheduled_tick_ms = None;
                    self.tick_node(node);
                }
            }
            EventKind::ElectionDurable { node, incarnation } => {
                if self.nodes[node].incarnation == incarnation && self.is_up(node) {
                    self.election_write_durable(node);
                }
            }
            EventKind::FreezeSnapshot {
                node,
                incarnation,
                end_offset,
            } => {
                if self.nodes[node].incarnation == incarnation && self.is_up(node) {
                    self.freeze_snapshot(node, end_offset);
                }
            }
            EventKind::SnapshotLoad { node, incarnation } => {
                if self.nodes[node].incarnation == incarnation && self.is_up(node) {
                    self.finish_snapshot_load(node);
                }
            }
            EventKind::Restart { node } => {
                if !self.is_up(node) && !self.held_out.contains(&node) {
                    self.start_node(node);
                }
            }
            EventKind::Resume { node, incarnation } => {
                if self.nodes[node].incarnation == incarnation && self.is_up(node) {
                    self.resume(node);
                }
            }
            // Run events are handled by `handle_event`; log and network ones here:
            _ => self.handle_io_event(event.kind),
        }
    }

    /// A completion of a node's log or network side; those of an earlier process are stale.
    fn handle_io_event(&mut self, kind: EventKind) {
        let (node, incarnation) = match kind {
            EventKind::FlushDone {
                node, incarnation, ..
            }
            | EventKind::LogResume { node, incarnation }
            | EventKind::FlushReport { node, incarnation }
            | EventKind::FetchResponseRead {
                node, incarnation, ..
            }
            | EventKind::LieFlushed {
                node, incarnation, ..
            }
            | EventKind::Disconnected {
                node, incarnation, ..
            }
            | EventKind::RequestTimeout {
                node, incarnation, ..
            }
            | EventKind::FailureReport { node, incarnation } => (node, incarnation),
            // Timers, restarts and run events: `handle_node_event`, `handle_event`.
            _ => return,
        };
        if self.nodes[node].incarnation != incarnation || !self.is_up(node) {
            return;
        }
        match kind {
            EventKind::FlushDone { seq, .. } => self.flush_done(node, seq),
            EventKind::LogResume { .. } => self.log_side_resumes(node),
            EventKind::FlushReport { .. } => self.hand_over_flush_report(node),
            EventKind::FetchResponseRead { key, .. } => {
                self.read_deferred_fetch_response(node, key)
            }
            EventKind::LieFlushed {
                flushed_end_offset,
                generation,
                ..
            } => {
                let input = Input::LogFlushed {
                    flushed_end_offset,
                    generation,
                };
                self.step_node(node, input);
            }
            EventKind::Disconnected {
                to, correlation_id, ..
            } => self.on_peer_disconnected(node, to, correlation_id),
            EventKind::RequestTimeout {
                to, correlation_id, ..
            } => self.on_request_timeout(node, to, correlation_id),
            EventKind::FailureReport { .. } => self.report_failures(node),
            _ => {}
        }
    }
}
