//! The Raft role's listener side: the perf workload is the core's one listener. Leader changes
//! and commits reach it here, committed batches are read back from the log and applied to the
//! state machine, due records are appended, and the reports are printed.

use kraft_engine::ListenerEvent;
use kraft_records::BatchIter;

use super::{RaftRole, Run};

/// Records appended per wake-up at most (bounds the loop; the throttle carries the rest).
const MAX_APPENDS_PER_WAKE: usize = 20_000;
/// Bytes read from the log per handleCommit delivery step (Kafka's max batch size).
const MAX_COMMIT_READ_BYTES: usize = 8 << 20;

impl RaftRole {
    pub(super) fn on_listener_event(&mut self, run: &mut Run, event: ListenerEvent) {
        let now_ns = self.clock.now_ns();
        match event {
            ListenerEvent::LeaderChange(leader) => {
                run.status.leader_change(leader);
                self.workload
                    .on_leader_change(leader.leader_id, leader.epoch, now_ns);
            }
            ListenerEvent::Commit {
                from_offset,
                to_offset_exclusive,
            } => {
                // The core hands each listener contiguous ranges, the first one starting where
                // the listener starts reading (the log start).
                if run.commits_seen {
                    debug_assert_eq!(
                        from_offset, run.commit_target_offset,
                        "commit ranges are contiguous"
                    );
                } else {
                    run.commit_next_offset = from_offset;
                    run.commits_seen = true;
                }
                debug_assert!(
                    to_offset_exclusive >= run.commit_target_offset,
                    "commits never go back"
                );
                run.commit_target_offset = to_offset_exclusive;
            }
            ListenerEvent::LoadSnapshot { snapshot_id } => {
                // handleLoadSnapshot: the state becomes the snapshot's; commits continue after it.
                if let Err(error) = self.state_machine.load(snapshot_id) {
                    tracing::error!(?snapshot_id, %error, "cannot load the workload state from the snapshot");
                }
                run.commit_next_offset = snapshot_id.end_offset;
                run.commit_target_offset = run.commit_target_offset.max(snapshot_id.end_offset);
            }
        }
    }

    /// handleCommit: reads committed batches from the log (zero-copy) and hands each record to
    /// the workload. Stops early when the log has not published a batch yet; the next call resumes.
    pub(super) fn deliver_commits(&mut self, run: &mut Run) {
        let now_ns = self.clock.now_ns();
        // Bounded: each round advances by at least one batch or stops.
        for _ in 0..64 {
            if run.commit_next_offset >= run.commit_target_offset {
                return;
            }
            let slice = match self
                .log_reader
                .read(run.commit_next_offset, MAX_COMMIT_READ_BYTES)
            {
                Ok(Some(slice)) => slice,
                Ok(None) => return,
                Err(error) => {
                    tracing::warn!(%error, offset = run.commit_next_offset, "cannot read committed batches");
                    return;
                }
            };
            let before = run.commit_next_offset;
            // Every batch in the log was CRC-checked on its way in (append or recovery).
            for batch in BatchIter::verified(&slice) {
                let Ok(batch) = batch else {
                    tracing::error!(
                        offset = run.commit_next_offset,
                        "corrupt batch in committed log range"
                    );
                    return;
                };
                let header = batch.header;
                if header.next_offset() <= run.commit_next_offset {
                    continue;
                }
                if header.base_offset >= run.commit_target_offset {
                    break;
                }
                self.state_machine.apply(&header, batch.bytes);
                // Only the leading workload's own epoch has appends to match; parsing the records
                // of any other batch (every batch, on a follower) would time nothing (measured at
                // the maximum rate: the varint decoding was 15% of the quorum's CPU).
                let ours = self.workload.leader_epoch() == Some(header.partition_leader_epoch);
                if ours && !header.is_control() {
                    for record in batch.records() {
                        let Ok(record) = record else { break };
                        let offset = header.base_offset + i64::from(record.offset_delta);
                        let size = record.value.map_or(0, <[u8]>::len) as u64;
                        if let Err(mismatch) = self.workload.on_committed_record(
                            header.partition_leader_epoch,
                            offset,
                            size,
                            now_ns,
                        ) {
                            tracing::error!(%mismatch, "workload and log disagree");
                        }
                    }
                }
                run.commit_next_offset = header.next_offset();
            }
            if run.commit_next_offset == before {
                return;
            }
        }
    }

    pub(super) fn pump_workload(&mut self) {
        let now_ns = self.clock.now_ns();
        let Some(epoch) = self.workload.leader_epoch() else {
            return;
        };
        let due = self.workload.due(now_ns).min(MAX_APPENDS_PER_WAKE);
        let now_ms = now_ns / 1_000_000;
        let size = self.workload.config().record_size_bytes as usize;
        for _ in 0..due {
            let workload = &mut self.workload;
            match self
                .node
                .append_with(now_ms, epoch, size, |out| workload.fill_payload(out))
            {
                Ok(offset) => self.workload.on_appended(offset, now_ns),
                Err(_) => self.workload.on_append_refused(),
            }
        }
    }

    pub(super) fn report(&mut self) {
        let now_ns = self.clock.now_ns();
        if let Some(report) = self.workload.maybe_report(now_ns) {
            println!("{report}");
        }
    }
}
