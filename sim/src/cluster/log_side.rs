//! The simulated node's log side, driven through the runtime's own [`LogPipeline`]
//! (kraft-driver): the decisions of the real log role (one fsync in flight, group commit, a
//! truncation waits for the fsync in flight, reports in the generation flushed, one coalescing
//! report slot) run here against the simulated disk. What the simulator adds is timing, seeded:
//! fsyncs that take milliseconds or, in chaos, stall for seconds (a log role whose disk hangs),
//! a log side that stalls when a truncation reaches it (its commands wait, in order, while the
//! Raft loop and the network side go on: the disk lags the core, and a Fetch response may name
//! a generation the log has not started yet), and a report hand-over from the slot to the core
//! that may lag (a busy Raft loop), so reports coalesce as they do in the runtime.

use std::collections::VecDeque;

use bytes::Bytes;
use kraft_driver::{FlushReportSlot, LogPipeline, LogStorage};
use kraft_engine::election::{ElectionState, SnapshotInfo};

use super::{Cluster, EventKind};
use crate::checker::Invariant;
use crate::disk::{SimDisk, SimFlushTicket, StorageError};

/// One `Output::AppendBatch` as the log side takes it.
#[derive(Debug)]
pub struct SimAppend {
    pub base_offset: i64,
    pub last_offset: i64,
    pub epoch: i32,
    pub bytes: Bytes,
}

impl LogStorage for SimDisk<ElectionState> {
    type Batch = SimAppend;
    type FlushTicket = SimFlushTicket;
    type Error = StorageError;

    fn append(&mut self, batch: SimAppend) -> Result<(), StorageError> {
        SimDisk::append(
            self,
            batch.base_offset,
            batch.last_offset,
            batch.epoch,
            batch.bytes,
        )
        .map(|_| ())
    }

    fn truncate_to(&mut self, to_offset: i64) -> Result<(), StorageError> {
        self.truncate(to_offset)
    }

    fn prepare_flush(&mut self) -> SimFlushTicket {
        SimDisk::prepare_flush(self)
    }

    fn complete_flush(&mut self, ticket: SimFlushTicket) -> i64 {
        self.record_flush(ticket)
    }

    fn generation(&self) -> u64 {
        SimDisk::generation(self)
    }

    fn start_generation(&mut self, generation: u64) {
        SimDisk::start_generation(self, generation);
    }
}

/// Per node: the pipeline, the fsync it has in flight, and the report slot.
#[derive(Debug, Default)]
pub(super) struct SimLogSide {
    pub pipeline: LogPipeline,
    /// The fsync in flight and its sequence number (its completion event names it).
    in_flight: Option<(u64, SimFlushTicket)>,
    next_flush_seq: u64,
    reports: FlushReportSlot,
    handover_scheduled: bool,
    /// The generation the core's outputs are at (the last `Output::Truncate`'s).
    pub core_generation: u64,
    /// Log commands behind a truncation that waits for the fsync in flight, or behind a stall,
    /// in order.
    waiting: VecDeque<LogCommand>,
    /// The log side takes nothing before this time (a stall).
    stalled_until_ms: u64,
    /// A snapshot load the log side is executing: it takes no other command until it ends.
    pub loading: bool,
}

/// A log command of the Raft loop as the log side takes it (the runtime's log link, FIFO).
#[derive(Debug)]
pub enum LogCommand {
    Append(SimAppend),
    Flush {
        generation: u64,
    },
    Truncate {
        to_offset: i64,
        generation: u64,
    },
    /// `Output::LoadSnapshot`: replaces the whole log, so like a truncation it waits for the
    /// fsync in flight, and it runs for a while (`snapshot_side`).
    LoadSnapshot {
        snapshot: SnapshotInfo,
        generation: u64,
    },
    /// Retention: the log starts at `start_offset` (a snapshot's end offset the core's log
    /// already starts at; the disk deletes the prefix in order with the other commands).
    DeleteBefore {
        start_offset: i64,
    },
}

impl LogCommand {
    /// Whether the command changes bytes already in the log, so it waits for the fsync in
    /// flight (an fsync must not report bytes of another generation).
    fn is_barrier(&self) -> bool {
        matches!(
            self,
            LogCommand::Truncate { .. } | LogCommand::LoadSnapshot { .. }
        )
    }
}

/// Bound on log commands waiting behind a truncation (the runtime's log link is bounded too; a
/// core that fills this one is flooding its log).
const MAX_WAITING_LOG_COMMANDS: usize = 100_000;
/// In chaos, the odds (per million) that the log side is stalled when a truncation reaches it
/// (the Raft loop and the network side go on without it), and for how long.
const LOG_STALL_PPM: u32 = 500_000;
const LOG_STALL_MS: (u64, u64) = (500, 5_000);

/// In chaos, the odds (per million) that an fsync stalls, and how long (a hung disk).
const FSYNC_STALL_PPM: u32 = 5_000;
const FSYNC_STALL_MS: (u64, u64) = (1_000, 4_000);
/// In chaos, the odds (per million) that the report hand-over lags (a busy Raft loop).
const HANDOVER_LAG_PPM: u32 = 50_000;
const HANDOVER_LAG_MS: (u64, u64) = (5, 800);

impl Cluster {
    /// Starts the fsync the pipeline says is due, completing after a seeded delay.
    pub(super) fn start_flush(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        let Some(ticket) = node.log.pipeline.next_flush(&mut node.disk) else {
            return;
        };
        let seq = node.log.next_flush_seq;
        node.log.next_flush_seq += 1;
        node.log.in_flight = Some((seq, ticket));
        let incarnation = node.incarnation;
        let mut delay = self.rng.range_inclusive(0, self.flush_delay_max_ms);
        if self.now_ms < self.chaos_until_ms && self.rng.chance_ppm(FSYNC_STALL_PPM) {
            delay += self.rng.range_inclusive(FSYNC_STALL_MS.0, FSYNC_STALL_MS.1);
        }
        self.schedule(
            delay,
            EventKind::FlushDone {
                node: i,
                incarnation,
                seq,
            },
        );
    }

    /// The fsync `seq` completed (a stale one, drained before a truncation, is skipped).
    pub(super) fn flush_done(&mut self, i: usize, seq: u64) {
        if self.nodes[i].log.in_flight.is_some_and(|(s, _)| s == seq) {
            let stalled_until_ms = self.nodes[i].log.stalled_until_ms;
            if self.now_ms < stalled_until_ms {
                // A stalled log side sees the completion when it resumes.
                let incarnation = self.nodes[i].incarnation;
                let wait = stalled_until_ms - self.now_ms;
                self.schedule(
                    wait,
                    EventKind::FlushDone {
                        node: i,
                        incarnation,
                        seq,
                    },
                );
                return;
            }
            self.complete_flush_in_flight(i);
            self.apply_waiting_log_commands(i);
            self.start_flush(i);
        }
    }

    /// Completes the fsync in flight: its report goes to the slot, handed over later.
    fn complete_flush_in_flight(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        let (_, ticket) = node.log.in_flight.take().expect("an fsync in flight");
        // The disk makes durable what the fsync started with covered; the pipeline then records
        // the completion and says what it reports.
        node.disk.sync(ticket);
        let report = node.log.pipeline.complete_flush(&mut node.disk, ticket);
        node.log.reports.put(report);
        if !node.log.handover_scheduled {
            node.log.handover_scheduled = true;
            let incarnation = node.incarnation;
            let mut delay = self.rng.range_inclusive(0, 1);
            if self.now_ms < self.chaos_until_ms && self.rng.chance_ppm(HANDOVER_LAG_PPM) {
                delay += self
                    .rng
                    .range_inclusive(HANDOVER_LAG_MS.0, HANDOVER_LAG_MS.1);
            }
            self.schedule(
                delay,
                EventKind::FlushReport {
                    node: i,
                    incarnation,
                },
            );
        }
    }

    /// The Raft loop takes the slot's report. It may claim only what the disk has made durable
    /// in the generation it names.
    pub(super) fn hand_over_flush_report(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        node.log.handover_scheduled = false;
        let Some(report) = node.log.reports.take() else {
            return;
        };
        let durable = node.disk.flushed_end_offset();
        if report.generation == node.disk.generation() && report.flushed_end_offset > durable {
            let id = node.id;
            self.violation(
                Invariant::FlushReportNotDurable,
                Some(id),
                format!(
                    "flush report {} in generation {} but the log is durable below {durable}",
                    report.flushed_end_offset, report.generation
                ),
            );
        }
        self.step_node(i, report.into_input());
    }

    /// A log command from the Raft loop (`AppendBatch`, `Flush`, `Truncate`), in output order:
    /// applied now, or queued behind a truncation that waits for the fsync in flight. Meanwhile
    /// the core and the network side run ahead of the disk (a Fetch response may name a
    /// generation the log has not started yet).
    pub(super) fn log_command(&mut self, i: usize, command: LogCommand) {
        let is_barrier = command.is_barrier();
        if is_barrier && self.now_ms < self.chaos_until_ms && self.rng.chance_ppm(LOG_STALL_PPM) {
            self.stall_log_side(i);
        }
        let node = &mut self.nodes[i];
        let waits = (is_barrier && node.log.pipeline.truncation_must_wait())
            || node.log.loading
            || self.now_ms < node.log.stalled_until_ms
            || !node.log.waiting.is_empty();
        if waits {
            if node.log.waiting.len() >= MAX_WAITING_LOG_COMMANDS {
                let id = node.id;
                let detail = format!("more than {MAX_WAITING_LOG_COMMANDS} log commands waiting");
                self.violation(Invariant::Contract, Some(id), detail);
                return;
            }
            match command {
                LogCommand::LoadSnapshot { .. } => self.snapshot_loads_behind_log += 1,
                LogCommand::DeleteBefore { .. } => self.retention_behind_log += 1,
                _ => {}
            }
            self.nodes[i].log.waiting.push_back(command);
            return;
        }
        self.apply_log_command(i, command);
    }

    /// The log side stalls (its executor blocked in a multi-second fdatasync, page faults on a
    /// segment roll): it takes no command and no fsync completion until it resumes.
    fn stall_log_side(&mut self, i: usize) {
        let delay = self.rng.range_inclusive(LOG_STALL_MS.0, LOG_STALL_MS.1);
        let node = &mut self.nodes[i];
        node.log.stalled_until_ms = node.log.stalled_until_ms.max(self.now_ms + delay);
        let incarnation = node.incarnation;
        let wait = node.log.stalled_until_ms - self.now_ms;
        self.schedule(
            wait,
            EventKind::LogResume {
                node: i,
                incarnation,
            },
        );
    }

    /// The log side resumes after a stall or a snapshot load: the commands that waited run, in
    /// order.
    pub(super) fn log_side_resumes(&mut self, i: usize) {
        if self.now_ms < self.nodes[i].log.stalled_until_ms || self.nodes[i].log.loading {
            return;
        }
        self.apply_waiting_log_commands(i);
        self.start_flush(i);
    }

    /// Applies the commands that waited, in order, until a truncation must wait again.
    fn apply_waiting_log_commands(&mut self, i: usize) {
        for _ in 0..MAX_WAITING_LOG_COMMANDS {
            let node = &mut self.nodes[i];
            if self.now_ms < node.log.stalled_until_ms || node.log.loading {
                return;
            }
            let must_wait = node.log.pipeline.truncation_must_wait();
            match node.log.waiting.front() {
                None => return,
                Some(command) if command.is_barrier() && must_wait => return,
                Some(_) => {}
            }
            let command = node.log.waiting.pop_front().expect("a waiting command");
            self.apply_log_command(i, command);
        }
    }

    /// A clean stop: the log side completes its fsync and applies every waiting command.
    pub(super) fn finish_log_commands(&mut self, i: usize) {
        for _ in 0..MAX_WAITING_LOG_COMMANDS {
            if self.nodes[i].log.waiting.is_empty() || self.nodes[i].log.loading {
                return;
            }
            if self.nodes[i].log.pipeline.truncation_must_wait() {
                self.complete_flush_in_flight(i);
            }
            self.apply_waiting_log_commands(i);
        }
    }

    fn apply_log_command(&mut self, i: usize, command: LogCommand) {
        match command {
            LogCommand::Append(append) => {
                let node = &mut self.nodes[i];
                if let Err(e) = node.log.pipeline.append(&mut node.disk, append) {
                    let id = node.id;
                    self.violation(Invariant::Contract, Some(id), e.to_string());
                }
            }
            LogCommand::Flush { generation } => self.flush_log(i, generation),
            LogCommand::Truncate {
                to_offset,
                generation,
            } => self.truncate_log(i, to_offset, generation),
            LogCommand::LoadSnapshot {
                snapshot,
                generation,
            } => {
                self.nodes[i].log.loading = true;
                self.schedule_snapshot_load(i, snapshot, generation);
            }
            LogCommand::DeleteBefore { start_offset } => self.delete_log_before(i, start_offset),
        }
    }

    /// Retention reaches the disk: the prefix below `start_offset` goes (unless a snapshot
    /// loaded since already replaced the log beyond it).
    fn delete_log_before(&mut self, i: usize, start_offset: i64) {
        let id = self.nodes[i].id;
        let disk = &mut self.nodes[i].disk;
        if start_offset <= disk.start_offset() {
            return;
        }
        if disk.prefix_hash_at(start_offset).is_none() {
            let detail = format!(
                "retention to {start_offset} but the log [{}, {}) has no batch boundary there",
                disk.start_offset(),
                disk.end_offset()
            );
            self.violation(Invariant::Contract, Some(id), detail);
            return;
        }
        disk.delete_before(start_offset);
    }

    /// `Output::Truncate`, as the log role applies it: once no fsync is in flight.
    fn truncate_log(&mut self, i: usize, to_offset: i64, generation: u64) {
        let id = self.nodes[i].id;
        let node = &mut self.nodes[i];
        if generation <= node.disk.generation() {
            // Reported as a contract violation by the caller; the log cannot go back.
            return;
        }
        if let Err(e) = node
            .log
            .pipeline
            .truncate(&mut node.disk, to_offset, generation)
        {
            // The cut happened anyway (at a batch boundary); readers still need the generation.
            node.disk.start_generation(generation);
            self.violation(Invariant::Contract, Some(id), e.to_string());
        }
        self.start_flush(i);
    }

    /// A downloaded snapshot replaces the log at `generation` (as the log role does: after the
    /// fsync in flight completes, like a truncation), on the disk and in what the core believes.
    pub(super) fn reset_log_to_snapshot(
        &mut self,
        i: usize,
        snapshot: &crate::snapshots::SimSnapshot,
        generation: u64,
    ) {
        if self.nodes[i].log.pipeline.truncation_must_wait() {
            self.complete_flush_in_flight(i);
        }
        let node = &mut self.nodes[i];
        node.log.core_generation = generation;
        let id = snapshot.snapshot_id;
        node.core_log
            .reset_to_snapshot(id.end_offset, id.epoch, snapshot.prefix_hash);
        if generation <= node.disk.generation() {
            return; // reported as a contract violation by the caller
        }
        node.disk
            .reset_to_snapshot(id.end_offset, id.epoch, snapshot.prefix_hash);
        node.disk.start_generation(generation);
    }

    /// `Output::Flush`: the next fsync covers everything appended so far.
    fn flush_log(&mut self, i: usize, generation: u64) {
        let node = &mut self.nodes[i];
        if generation == node.disk.generation() {
            node.log.pipeline.request_flush(&node.disk, generation);
            self.start_flush(i);
        }
    }
}
