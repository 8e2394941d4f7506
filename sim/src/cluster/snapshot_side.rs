//! Snapshots in the simulation (issue 15): the workload's state machine freezes a snapshot of
//! its committed state every so many committed bytes (seeded), retention runs through the
//! runtime's own policy (`kraft_driver::plan_retention`), the leader's FetchSnapshot file ranges
//! are read from the snapshot files, and a download's chunks and load run as the runtime's log
//! side does, with seeded delays, stalls and crashes: a crash before the load leaves the old log,
//! after it the new snapshot, never a partial one.

use bytes::Bytes;
use kraft_driver::{plan_retention, RetentionLimits, SegmentInfo};
use kraft_engine::election::SnapshotInfo;
use kraft_engine::io::Input;
use kraft_engine::message::{ErrorCode, FetchSnapshotResponse, SnapshotId, SnapshotRecords};
use kraft_engine::StateName;

use kraft_engine::ControlEntry;

use super::log_side::LogCommand;
use super::{Cluster, EventKind};
use crate::checker::Invariant;
use crate::snapshots::{SimSnapshot, MIN_SNAPSHOT_BYTES};

/// The workload state machine of one node: how far it applied, and the bytes since its last
/// snapshot.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct StateMachine {
    applied_end_offset: i64,
    bytes_since_snapshot: u64,
}

/// A `LoadSnapshot` the simulated log side is executing.
#[derive(Clone, Copy, Debug)]
pub(super) struct PendingLoad {
    snapshot: SnapshotInfo,
    generation: u64,
}

/// Delay before a commit's snapshot is frozen (it is written off the Raft loop).
const FREEZE_DELAY_MS: (u64, u64) = (0, 20);
/// Time a load takes (check, fsync, rename, delete segments), and in chaos sometimes a stall.
const LOAD_DELAY_MS: (u64, u64) = (1, 20);
const LOAD_STALL_PPM: u32 = 100_000;
const LOAD_STALL_MS: (u64, u64) = (200, 3_000);

impl Cluster {
    /// The workload listener of node `i` applied `[from_offset, to_offset_exclusive)`.
    pub(super) fn state_machine_commit(&mut self, i: usize, from_offset: i64, to_offset: i64) {
        // The state machine applies what the core committed (its log may be ahead of the disk).
        let log = &self.nodes[i].core_log;
        let bytes: u64 = log
            .batches()
            .iter()
            .skip_while(|b| b.last_offset < from_offset)
            .take_while(|b| b.base_offset < to_offset)
            .map(|b| b.bytes.len() as u64)
            .sum();
        let machine = &mut self.nodes[i].machine;
        machine.applied_end_offset = to_offset;
        machine.bytes_since_snapshot += bytes;
        let every = self.options.snapshot_every_bytes;
        if every > 0 && machine.bytes_since_snapshot >= every {
            machine.bytes_since_snapshot = 0;
            let incarnation = self.nodes[i].incarnation;
            let delay = self
                .rng
                .range_inclusive(FREEZE_DELAY_MS.0, FREEZE_DELAY_MS.1);
            self.schedule(
                delay,
                EventKind::FreezeSnapshot {
                    node: i,
                    incarnation,
                    end_offset: to_offset,
                },
            );
        }
    }

    /// The workload listener of node `i` loaded the snapshot ending at `end_offset`.
    pub(super) fn state_machine_load(&mut self, i: usize, end_offset: i64) {
        self.nodes[i].machine = StateMachine {
            applied_end_offset: end_offset,
            bytes_since_snapshot: 0,
        };
    }

    /// Freezes the state at `end_offset` (a committed batch boundary the state machine applied),
    /// tells the core, then applies retention.
    pub(super) fn freeze_snapshot(&mut self, i: usize, end_offset: i64) {
        let now = self.now_ms;
        let node = &self.nodes[i];
        let id = node.id;
        let Some(core) = node.core.as_ref() else {
            return;
        };
        let newer = node
            .snapshots
            .latest()
            .is_none_or(|s| s.snapshot_id.end_offset < end_offset);
        let (Some(prefix_hash), Some(epoch)) = (
            node.core_log.prefix_hash_at(end_offset),
            node.core_log.epoch_before(end_offset),
        ) else {
            // A snapshot loaded since replaced that part of the log.
            return;
        };
        if !newer {
            return;
        }
        let high_watermark = core.high_watermark().unwrap_or(-1);
        let (kraft_version, voters) = core.kraft_control_at(end_offset - 1);
        let control = super::dynamic::snapshot_entries(end_offset, kraft_version, voters.as_ref());
        self.checker
            .on_snapshot(now, id, end_offset, prefix_hash, Some(high_watermark));
        self.record_snapshot_control(i, end_offset, prefix_hash, control);
        let size_bytes = self.rng.range_inclusive(MIN_SNAPSHOT_BYTES as u64, 4_096) as i64;
        let snapshot = SimSnapshot {
            snapshot_id: SnapshotId { end_offset, epoch },
            size_bytes,
            prefix_hash,
            frozen_at_ms: now,
        };
        self.nodes[i].snapshots.add(snapshot);
        self.snapshots_frozen += 1;
        self.hash_words(&[30, end_offset as u64, size_bytes as u64]);
        self.trace_line(|| format!("node {id} froze snapshot {snapshot:?}"));
        self.step_node(
            i,
            Input::SnapshotFrozen {
                snapshot: snapshot.info(),
            },
        );
        self.apply_retention(i);
    }

    /// Kafka's metadata-log retention through the runtime's policy: each batch is a segment.
    /// Planned on the log the core knows; the disk deletes the prefix in order with the other
    /// log commands (it may still be behind the core).
    fn apply_retention(&mut self, i: usize) {
        let now = self.now_ms;
        let node = &self.nodes[i];
        if node.core.is_none() || node.core_log.batches().is_empty() {
            return;
        }
        let segments: Vec<SegmentInfo> = node
            .core_log
            .batches()
            .iter()
            .map(|b| SegmentInfo {
                base_offset: b.base_offset,
                size_bytes: b.bytes.len() as u64,
            })
            .collect();
        let limits = RetentionLimits {
            max_bytes: self.options.retention_bytes,
            max_ms: self.options.retention_ms,
        };
        let retained = node.snapshots.retained();
        let start = node.core_log.start_offset();
        let Some(plan) = plan_retention(start, &segments, &retained, limits, now as i64) else {
            return;
        };
        let id = node.id;
        if node
            .core_log
            .prefix_hash_at(plan.log_start_offset)
            .is_none()
        {
            // The snapshot's end is no longer a batch boundary of the log: the node truncated
            // below a snapshot of committed data (only a broken core does).
            let detail = format!(
                "retention moves the log start to snapshot end {}, but the log [{start}, {}) was truncated past it",
                plan.log_start_offset,
                node.core_log.end_offset()
            );
            self.violation(Invariant::TruncatedCommitted, Some(id), detail);
            return;
        }
        let node = &mut self.nodes[i];
        node.core_log.delete_before(plan.log_start_offset);
        node.snapshots.delete_oldest(plan.snapshots_deleted);
        self.check_log_start(i, plan.log_start_offset);
        self.hash_words(&[31, plan.log_start_offset as u64]);
        self.trace_line(|| format!("node {id} log starts at {}", plan.log_start_offset));
        let delete = LogCommand::DeleteBefore {
            start_offset: plan.log_start_offset,
        };
        self.log_command(i, delete);
        let input = Input::LogStartAdvanced {
            start_offset: plan.log_start_offset,
        };
        self.step_node(i, input);
    }

    /// The network side reads a FetchSnapshot answer's file range; a snapshot retention deleted
    /// since is answered SNAPSHOT_NOT_FOUND (the fetcher starts over).
    pub(super) fn read_snapshot_range(&mut self, i: usize, response: &mut FetchSnapshotResponse) {
        let SnapshotRecords::FileRange {
            snapshot_id,
            position,
            length,
        } = response.unaligned_records
        else {
            return;
        };
        let range = self.nodes[i].snapshots.find(snapshot_id).and_then(|s| {
            let end = position.checked_add(i64::from(length))?;
            (position >= 0 && end <= s.size_bytes).then(|| (s.bytes(), position, end))
        });
        match range {
            Some((bytes, from, to)) => {
                let mut chunk = bytes.slice(from as usize..to as usize);
                if self.corrupt_ppm > 0 && self.rng.chance_ppm(self.corrupt_ppm) {
                    let mut damaged = chunk.to_vec();
                    let at = self.rng.index(damaged.len());
                    damaged[at] ^= 1;
                    chunk = Bytes::from(damaged);
                }
                response.unaligned_records = SnapshotRecords::Bytes(chunk);
            }
            None => {
                response.partition_error_code = ErrorCode::SNAPSHOT_NOT_FOUND;
                response.size = -1;
                response.position = -1;
                response.unaligned_records = SnapshotRecords::Empty;
            }
        }
    }

    /// `Output::WriteSnapshotChunk`.
    pub(super) fn write_snapshot_chunk(
        &mut self,
        i: usize,
        snapshot_id: SnapshotId,
        position: i64,
        bytes: &[u8],
    ) {
        self.hash_words(&[32, position as u64, bytes.len() as u64]);
        if let Err(detail) = self.nodes[i]
            .snapshots
            .write_chunk(snapshot_id, position, bytes)
        {
            let id = self.nodes[i].id;
            self.violation(Invariant::Contract, Some(id), detail);
        }
    }

    /// `Output::LoadSnapshot`: from now on the core expects no log command until it hears back;
    /// the log side takes the load in order with the commands before it.
    pub(super) fn begin_snapshot_load(
        &mut self,
        i: usize,
        snapshot: SnapshotInfo,
        generation: u64,
    ) {
        self.hash_words(&[33, snapshot.snapshot_id.end_offset as u64, generation]);
        self.check_not_leading(i, snapshot.snapshot_id.end_offset);
        let id = self.nodes[i].id;
        if self.nodes[i].pending_load.is_some() {
            self.violation(Invariant::Contract, Some(id), "two loads at once".into());
        }
        let expected = self.nodes[i].log.core_generation + 1;
        if generation != expected {
            let detail =
                format!("LoadSnapshot starts generation {generation}, expected {expected}");
            self.violation(Invariant::Contract, Some(id), detail);
        }
        // The core's log enters `generation` only when the load succeeds (`reset_log_to_snapshot`).
        let node = &mut self.nodes[i];
        node.pending_load = Some(PendingLoad {
            snapshot,
            generation,
        });
        self.log_command(
            i,
            LogCommand::LoadSnapshot {
                snapshot,
                generation,
            },
        );
    }

    /// The log side took the load: it checks and loads the `.part` after a seeded delay.
    pub(super) fn schedule_snapshot_load(
        &mut self,
        i: usize,
        snapshot: SnapshotInfo,
        generation: u64,
    ) {
        self.hash_words(&[35, snapshot.snapshot_id.end_offset as u64, generation]);
        let incarnation = self.nodes[i].incarnation;
        let mut delay = self.rng.range_inclusive(LOAD_DELAY_MS.0, LOAD_DELAY_MS.1);
        if self.now_ms < self.chaos_until_ms && self.rng.chance_ppm(LOAD_STALL_PPM) {
            delay += self.rng.range_inclusive(LOAD_STALL_MS.0, LOAD_STALL_MS.1);
        }
        self.schedule(
            delay,
            EventKind::SnapshotLoad {
                node: i,
                incarnation,
            },
        );
    }

    /// Tells the checker node `i`'s new log start and the snapshots it still holds (the start
    /// must sit at or below one of them).
    fn check_log_start(&mut self, i: usize, start_offset: i64) {
        let node = &self.nodes[i];
        let ends: Vec<i64> = node
            .snapshots
            .snapshots()
            .iter()
            .map(|s| s.snapshot_id.end_offset)
            .collect();
        self.checker
            .on_log_start(self.now_ms, node.id, start_offset, &ends);
    }

    fn check_not_leading(&mut self, i: usize, end_offset: i64) {
        let leading = self.nodes[i]
            .core
            .as_ref()
            .is_some_and(|c| c.status().state == StateName::Leader);
        if leading {
            let id = self.nodes[i].id;
            self.checker
                .on_leader_loaded_snapshot(self.now_ms, id, end_offset);
        }
    }

    /// The load completes: an intact `.part` replaces the log (after the fsync in flight, like
    /// a truncation), a damaged one is deleted; the core is told either way.
    pub(super) fn finish_snapshot_load(&mut self, i: usize) {
        let Some(load) = self.nodes[i].pending_load.take() else {
            return;
        };
        // The log side is free again once this load ends (the core sends nothing meanwhile).
        self.nodes[i].log.loading = false;
        let id = self.nodes[i].id;
        let snapshot_id = load.snapshot.snapshot_id;
        let generation = load.generation;
        let Some(mut snapshot) = self.nodes[i].snapshots.take_part(load.snapshot) else {
            self.snapshot_load_failures += 1;
            self.trace_line(|| format!("node {id} snapshot {snapshot_id:?} fails its check"));
            let input = Input::SnapshotLoadFailed {
                snapshot_id,
                generation,
            };
            self.log_side_resumes(i);
            self.step_node(i, input);
            return;
        };
        self.check_not_leading(i, snapshot_id.end_offset);
        self.reset_log_to_snapshot(i, &snapshot, generation);
        snapshot.frozen_at_ms = self.now_ms;
        let now = self.now_ms;
        self.checker
            .on_snapshot(now, id, snapshot_id.end_offset, snapshot.prefix_hash, None);
        // Like a truncation, the load removes log data: durability is judged again.
        self.checker.on_truncate(now, id, snapshot_id.end_offset);
        self.nodes[i].snapshots.add(snapshot);
        self.check_log_start(i, snapshot_id.end_offset);
        self.snapshots_loaded += 1;
        self.hash_words(&[34, snapshot_id.end_offset as u64]);
        self.trace_line(|| format!("node {id} loaded snapshot {snapshot_id:?}"));
        let kraft_control = self
            .snapshot_control
            .get(&(snapshot_id.end_offset, snapshot.prefix_hash))
            .cloned()
            .unwrap_or_default();
        self.nodes[i].log_voters = super::membership::voters_of(&kraft_control);
        let input = Input::SnapshotLoaded {
            snapshot_id,
            generation,
            kraft_control,
        };
        self.log_side_resumes(i);
        self.step_node(i, input);
    }

    /// The control entries a snapshot frozen at `end_offset` holds; every snapshot of one
    /// committed prefix must hold the same (the voter set follows from the log).
    fn record_snapshot_control(
        &mut self,
        i: usize,
        end_offset: i64,
        prefix_hash: u64,
        control: Vec<ControlEntry>,
    ) {
        let key = (end_offset, prefix_hash);
        match self.snapshot_control.get(&key) {
            Some(held) if *held != control => {
                let id = self.nodes[i].id;
                let detail = format!(
                    "snapshot at {end_offset} holds {control:?}, another of the same prefix {held:?}"
                );
                self.violation(Invariant::VotersNotFromLog, Some(id), detail);
            }
            Some(_) => {}
            None => {
                self.snapshot_control.insert(key, control);
            }
        }
    }
}
