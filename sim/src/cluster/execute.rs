//! Executing a node's outputs in order as the runtime does: quorum-state writes (through the
//! gate), sends and responses (`net_side`), appends, flushes and truncations (`log_side`), and
//! listener events, each checked against the core's contract.

use bytes::Bytes;
use kraft_engine::io::{ListenerEvent, Output};
use kraft_records::{parse_control_record, validate_batch, BatchIter, ControlRecord};

use super::log_side::{LogCommand, SimAppend};
use super::trace::describe_output;
use super::{Cluster, EventKind, Sabotage};
use crate::checker::Invariant;
use crate::disk::fnv1a64;

/// The leader named by `bytes` if it is a control batch holding a LeaderChange record.
pub(super) fn leader_change_of(bytes: &[u8]) -> Option<i32> {
    let batch = BatchIter::new(bytes).next()?.ok()?;
    if !batch.header.is_control() {
        return None;
    }
    let record = batch.records().next()?.ok()?;
    match parse_control_record(&record).ok()? {
        ControlRecord::LeaderChange(message) => Some(message.leader_id),
        _ => None,
    }
}

impl Cluster {
    pub(super) fn execute(&mut self, i: usize, output: Output) {
        if self.options.trace_lines > 0 {
            let id = self.nodes[i].id;
            self.trace_line(|| format!("node {id} -> {}", describe_output(&output)));
        }
        let touches_log = matches!(
            output,
            Output::AppendBatch { .. } | Output::Flush { .. } | Output::Truncate { .. }
        );
        if touches_log && self.nodes[i].pending_load.is_some() {
            let id = self.nodes[i].id;
            let detail = format!("{} while a snapshot load runs", describe_output(&output));
            self.violation(Invariant::Contract, Some(id), detail);
        }
        match output {
            // The gate began the write; it completes later (`election_side`).
            Output::PersistElectionState(state) => self.election_write_begun(i, &state),
            Output::Send {
                to,
                correlation_id,
                request,
            } => self.send_request(i, to, correlation_id, request),
            Output::Respond {
                request_id,
                response,
            } => self.respond(i, request_id, response),
            Output::AppendBatch {
                base_offset,
                last_offset,
                epoch,
                bytes,
            } => self.append_batch(i, base_offset, last_offset, epoch, bytes),
            Output::Flush {
                up_to_offset,
                generation,
            } => self.execute_flush(i, up_to_offset, generation),
            Output::Truncate {
                to_offset,
                generation,
            } => self.execute_truncate(i, to_offset, generation),
            Output::Listener {
                id: listener,
                event,
            } => self.execute_listener_event(i, listener, event),
            Output::WriteSnapshotChunk {
                snapshot_id,
                position,
                bytes,
            } => self.write_snapshot_chunk(i, snapshot_id, position, &bytes),
            Output::LoadSnapshot {
                snapshot,
                generation,
            } => self.begin_snapshot_load(i, snapshot, generation),
            Output::UpdatePeers { peers } => {
                self.hash_words(&[30, peers.len() as u64]);
                self.update_address_book(i, &peers);
            }
            Output::ShutdownComplete => {
                self.hash_words(&[29]);
                // A clean stop: the log side finishes its commands, the process exits, the page
                // cache keeps every write.
                self.finish_log_commands(i);
                let node = &mut self.nodes[i];
                node.disk.complete_flush(i64::MAX);
                node.core = None;
                self.after_node_down(i);
            }
        }
    }

    fn execute_flush(&mut self, i: usize, up_to_offset: i64, generation: u64) {
        let id = self.nodes[i].id;
        self.hash_words(&[24, up_to_offset as u64]);
        let log_generation = self.nodes[i].log.core_generation;
        if generation != log_generation {
            self.violation(
                Invariant::Contract,
                Some(id),
                format!("Flush names generation {generation}, the log is at {log_generation}"),
            );
        }
        if self.options.sabotage == Sabotage::AcknowledgeUnflushed {
            let claimed = self.nodes[i].disk.end_offset().min(up_to_offset);
            self.schedule_lie_flush(i, claimed, generation);
            return;
        }
        self.log_command(i, LogCommand::Flush { generation });
    }

    fn execute_truncate(&mut self, i: usize, to_offset: i64, generation: u64) {
        let now = self.now_ms;
        let id = self.nodes[i].id;
        self.hash_words(&[25, to_offset as u64]);
        let expected = self.nodes[i].log.core_generation + 1;
        if generation != expected {
            self.violation(
                Invariant::Contract,
                Some(id),
                format!("Truncate starts generation {generation}, expected {expected}"),
            );
        }
        self.nodes[i].log.core_generation = generation;
        if self.options.sabotage == Sabotage::IgnoreTruncate {
            return;
        }
        self.checker.on_truncate(now, id, to_offset);
        // Voter sets are rolled back with the log (KIP-853).
        self.nodes[i].log_voters.retain(|(o, _)| *o < to_offset);
        // The cut is judged by the log side against the disk (a cut inside a batch).
        let _ = self.nodes[i].core_log.truncate(to_offset);
        self.log_command(
            i,
            LogCommand::Truncate {
                to_offset,
                generation,
            },
        );
    }

    fn execute_listener_event(&mut self, i: usize, listener: u64, event: ListenerEvent) {
        let now = self.now_ms;
        let id = self.nodes[i].id;
        let Some(slot) = self.nodes[i].listeners.iter().position(|l| l.0 == listener) else {
            self.violation(
                Invariant::Contract,
                Some(id),
                format!("event for unknown listener {listener}: {event:?}"),
            );
            return;
        };
        match event {
            ListenerEvent::LeaderChange(leader) => {
                self.hash_words(&[
                    26,
                    leader.epoch as u64,
                    leader.leader_id.unwrap_or(-1) as u64,
                ]);
                let previous = self.nodes[i].listeners[slot]
                    .1
                    .map(|v| (v.leader_id, v.epoch));
                self.checker.on_listener_leader_change(
                    now,
                    id,
                    listener,
                    previous,
                    (leader.leader_id, leader.epoch),
                    &self.nodes[i].core_log,
                );
                self.nodes[i].listeners[slot].1 = Some(leader);
            }
            ListenerEvent::Commit {
                from_offset,
                to_offset_exclusive,
            } => {
                self.hash_words(&[27, from_offset as u64, to_offset_exclusive as u64]);
                self.checker.on_listener_commit(
                    now,
                    id,
                    listener,
                    from_offset,
                    to_offset_exclusive,
                    &self.nodes[i].core_log,
                );
                if slot == 0 {
                    self.state_machine_commit(i, from_offset, to_offset_exclusive);
                }
            }
            ListenerEvent::LoadSnapshot { snapshot_id } => {
                self.hash_words(&[28, snapshot_id.end_offset as u64]);
                self.checker
                    .on_listener_snapshot(id, listener, snapshot_id.end_offset);
                if slot == 0 {
                    self.state_machine_load(i, snapshot_id.end_offset);
                }
            }
        }
    }

    /// Sabotage: claims `claimed` is durable right away (nothing is).
    pub(super) fn schedule_lie_flush(&mut self, i: usize, claimed: i64, generation: u64) {
        let incarnation = self.nodes[i].incarnation;
        self.schedule(
            0,
            EventKind::LieFlushed {
                node: i,
                incarnation,
                flushed_end_offset: claimed,
                generation,
            },
        );
    }

    pub(super) fn append_batch(
        &mut self,
        i: usize,
        base_offset: i64,
        last_offset: i64,
        epoch: i32,
        bytes: Bytes,
    ) {
        let now = self.now_ms;
        let id = self.nodes[i].id;
        self.hash_words(&[
            23,
            base_offset as u64,
            last_offset as u64,
            epoch as u64,
            bytes.len() as u64,
        ]);
        if !self.append_is_well_formed(i, base_offset, last_offset, epoch, &bytes) {
            return;
        }
        if let Some(core) = self.nodes[i].core.as_ref() {
            let node_epoch = core.status().epoch;
            if epoch > node_epoch {
                self.violation(
                    Invariant::Contract,
                    Some(id),
                    format!("appends a batch of epoch {epoch} while in epoch {node_epoch}"),
                );
            }
        }
        let log = &self.nodes[i].core_log;
        if log.end_offset() == 0 || log.last_epoch() != epoch {
            // The first batch of an epoch in any log is its leader's LeaderChange record.
            match leader_change_of(&bytes) {
                Some(leader_id) => self.checker.on_epoch_start(now, id, epoch, leader_id),
                None => self.violation(
                    Invariant::LeaderChangeRecord,
                    Some(id),
                    format!(
                        "batch [{base_offset}, {last_offset}] starts epoch {epoch} in the log but is not a LeaderChange record"
                    ),
                ),
            }
        }
        let node = &mut self.nodes[i];
        match node
            .core_log
            .append(base_offset, last_offset, epoch, bytes.clone())
        {
            Ok(stored) => {
                self.trace_hash = fnv1a64(self.trace_hash, &stored.prefix_hash.to_le_bytes());
                self.checker.on_append(now, id, stored);
                self.track_appended_voters(i, epoch, &bytes);
            }
            Err(e) => {
                self.violation(Invariant::Contract, Some(id), e.to_string());
                return;
            }
        }
        let append = SimAppend {
            base_offset,
            last_offset,
            epoch,
            bytes,
        };
        self.log_command(i, LogCommand::Append(append));
    }

    /// Whether an `AppendBatch` output carries one valid batch with the offsets and epoch it
    /// names (reported as a contract violation if not).
    fn append_is_well_formed(
        &mut self,
        i: usize,
        base_offset: i64,
        last_offset: i64,
        epoch: i32,
        bytes: &Bytes,
    ) -> bool {
        let id = self.nodes[i].id;
        match validate_batch(bytes) {
            Ok(header)
                if header.base_offset == base_offset
                    && header.last_offset() == last_offset
                    && header.partition_leader_epoch == epoch
                    && header.size_bytes() == bytes.len() => {}
            Ok(header) => {
                self.violation(
                    Invariant::Contract,
                    Some(id),
                    format!(
                        "AppendBatch [{base_offset}, {last_offset}] epoch {epoch} ({} bytes) carries batch {header:?}",
                        bytes.len()
                    ),
                );
                return false;
            }
            Err(e) => {
                self.violation(
                    Invariant::Contract,
                    Some(id),
                    format!(
                        "AppendBatch [{base_offset}, {last_offset}] carries an invalid batch: {e}"
                    ),
                );
                return false;
            }
        }
        true
    }
}
