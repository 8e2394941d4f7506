//! The segment-log role: the only writer of the log files.
//!
//! Commands arrive in order from the Raft loop. What the log does with them is decided by the
//! shared [`LogPipeline`] (kraft-driver; the simulator runs the same code on its seeded disk):
//! appends are written into the segment file (pwrite into the page cache) as they come, so
//! readers (Fetch responses, commit delivery) see them at once; at most one fdatasync is in
//! flight and one more covers everything that arrived during it (group commit); a truncation
//! waits for the fdatasync in flight, cuts, then starts the core's generation for readers; each
//! completion reports the durable end offset in the generation it flushed. This file keeps the
//! glommio plumbing: the fdatasync through io_uring in its own task, and the links.
//!
//! The Raft loop awaits its sends to this role, so this role never awaits a send to the Raft
//! loop while it takes commands (two bounded links waiting on each other would deadlock): the
//! reports go into one coalescing [`FlushReportSlot`] that a reporter task hands over, beside
//! the latest log start retention reached and the result of a snapshot load (one at a time).
//!
//! Snapshots (`log_snapshots.rs`): retention runs after each frozen snapshot and every
//! [`RETENTION_CHECK_MS`]; a follower's download is written here and the log reset to it.

use super::error::LogRoleError;
use super::link::{Rx, Tx};
use super::log_snapshots::LogSnapshots;
use super::messages::{LogCommand, LogEvent};
use bytes::Bytes;
use futures_lite::future;
use glommio::channels::local_channel::{self, LocalReceiver, LocalSender};
use kraft_driver::{FlushReport, FlushReportSlot, LogPipeline, LogStorage};
use kraft_engine::message::SnapshotId;
use kraft_engine::ControlEntry;
use kraft_segment_log::{FlushTicket, LogError, SegmentLog, UringFiles};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// How often retention runs besides after every frozen snapshot (time-based retention needs a
/// clock tick, not an event).
pub const RETENTION_CHECK_MS: u64 = 1000;

/// A snapshot load's result, waiting for the reporter.
#[derive(Clone, Debug)]
struct LoadResult {
    snapshot_id: SnapshotId,
    generation: u64,
    /// The loaded snapshot's KRaftVersion and Voters entries; `None`: not loaded.
    kraft_control: Option<Vec<ControlEntry>>,
}

/// What waits for the Raft loop: each slot keeps only what matters (the latest flush, the
/// latest log start; one load is in flight at a time).
#[derive(Debug, Default)]
struct Reports {
    flush: FlushReportSlot,
    log_start: Option<i64>,
    load: Option<LoadResult>,
}

impl Reports {
    /// The next event to hand over: a load's result first (the core takes flush reports of the
    /// loaded generation only after it), then the log start, then the durable end.
    fn take(&mut self) -> Option<LogEvent> {
        if let Some(load) = self.load.take() {
            return Some(LogEvent::SnapshotLoad {
                snapshot_id: load.snapshot_id,
                generation: load.generation,
                kraft_control: load.kraft_control,
            });
        }
        if let Some(start_offset) = self.log_start.take() {
            return Some(LogEvent::LogStartAdvanced { start_offset });
        }
        self.flush.take().map(flushed_event)
    }
}

/// The outcome of one background fdatasync, handed back with its ticket.
type FlushDone = (FlushTicket, Result<(), LogError>);

enum Wake {
    Command(Option<LogCommand>),
    FlushDone(Option<FlushDone>),
    RetentionTick,
}

/// The segment log as the pipeline's storage side.
struct RoleLog(SegmentLog);

impl LogStorage for RoleLog {
    type Batch = (i64, Bytes);
    type FlushTicket = FlushTicket;
    type Error = LogRoleError;

    fn append(&mut self, (base_offset, bytes): (i64, Bytes)) -> Result<(), LogRoleError> {
        // Leader batches and fetched batches alike start at the log end offset the core
        // assigned; the log checks that instead of re-stamping it. The core checked the CRCs of
        // fetched batches and computed those of its own.
        self.0
            .append_verified(&bytes)
            .map(|_| ())
            .map_err(|source| LogRoleError::Append {
                base_offset,
                source,
            })
    }

    fn truncate_to(&mut self, to_offset: i64) -> Result<(), LogRoleError> {
        self.0
            .truncate_to(to_offset)
            .map(|_| ())
            .map_err(|source| LogRoleError::Truncate { to_offset, source })
    }

    fn prepare_flush(&mut self) -> FlushTicket {
        self.0.prepare_flush()
    }

    fn complete_flush(&mut self, ticket: FlushTicket) -> i64 {
        self.0.complete_flush(ticket)
    }

    fn generation(&self) -> u64 {
        self.0.generation()
    }

    fn start_generation(&mut self, generation: u64) {
        self.0.start_generation(generation);
    }
}

struct LogRole {
    log: RoleLog,
    pipeline: LogPipeline,
    /// Reports not yet handed to the Raft loop (see the module comment).
    reports: Rc<RefCell<Reports>>,
    snapshots: LogSnapshots,
    /// Wakes the reporter; one slot, as one wake-up covers every report made before it runs.
    report_wake: LocalSender<()>,
    done_tx: Rc<LocalSender<FlushDone>>,
    /// io_uring handles of the segment files, kept open across flushes.
    uring_files: UringFiles,
}

impl LogRole {
    /// Starts a background fdatasync if the pipeline says one is due.
    fn start_flush(&mut self) {
        let Some(ticket) = self.pipeline.next_flush(&mut self.log) else {
            return;
        };
        let done = self.done_tx.clone();
        let files = self.uring_files.clone();
        glommio::spawn_local(async move {
            let result = ticket.sync_uring(&files).await;
            // The role owns the receiver for as long as it runs; if it is gone, so is the log.
            let _ = done.send((ticket, result)).await;
        })
        .detach();
    }

    fn finish_flush(&mut self, (ticket, result): FlushDone) -> Result<(), LogRoleError> {
        result.map_err(LogRoleError::Flush)?;
        let report = self.pipeline.complete_flush(&mut self.log, ticket);
        self.reports.borrow_mut().flush.put(report);
        self.wake_reporter();
        Ok(())
    }

    fn wake_reporter(&self) {
        // Full means the reporter is woken already and will read the slots after this write.
        let _ = self.report_wake.try_send(());
    }

    fn run_retention(&mut self) -> Result<(), LogRoleError> {
        if let Some(start_offset) = self.snapshots.run_retention(&mut self.log.0)? {
            self.reports.borrow_mut().log_start = Some(start_offset);
            self.wake_reporter();
        }
        Ok(())
    }

    /// Waits for the in-flight flush, if any (before a truncation, and at the end).
    async fn drain_flush(
        &mut self,
        done_rx: &LocalReceiver<FlushDone>,
    ) -> Result<(), LogRoleError> {
        if self.pipeline.flush_in_flight() {
            let done = done_rx
                .recv()
                .await
                .ok_or(LogRoleError::FlushTaskVanished)?;
            self.finish_flush(done)?;
        }
        Ok(())
    }

    async fn apply(
        &mut self,
        command: LogCommand,
        done_rx: &LocalReceiver<FlushDone>,
    ) -> Result<bool, LogRoleError> {
        match command {
            LogCommand::Append { base_offset, bytes } => {
                self.pipeline.append(&mut self.log, (base_offset, bytes))?;
            }
            LogCommand::Flush { generation } => self.pipeline.request_flush(&self.log, generation),
            LogCommand::ReleaseCacheBelow { offset } => self.log.0.release_page_cache_below(offset),
            LogCommand::Truncate {
                to_offset,
                generation,
            } => {
                if self.pipeline.truncation_must_wait() {
                    self.drain_flush(done_rx).await?;
                }
                self.pipeline
                    .truncate(&mut self.log, to_offset, generation)?;
            }
            LogCommand::SnapshotFrozen(snapshot) => {
                self.snapshots.on_frozen(snapshot);
                self.run_retention()?;
            }
            LogCommand::WriteSnapshotChunk {
                snapshot_id,
                position,
                bytes,
            } => self.snapshots.write_chunk(snapshot_id, position, &bytes),
            LogCommand::LoadSnapshot {
                snapshot,
                generation,
            } => {
                // Like a truncation: the fsync in flight finishes in the old generation first.
                self.drain_flush(done_rx).await?;
                let kraft_control = self.snapshots.load(&mut self.log.0, snapshot, generation)?;
                let previous = self.reports.borrow_mut().load.replace(LoadResult {
                    snapshot_id: snapshot.snapshot_id,
                    generation,
                    kraft_control,
                });
                assert!(previous.is_none(), "one snapshot load at a time");
                self.wake_reporter();
            }
            LogCommand::Stop => return Ok(false),
        }
        Ok(true)
    }
}

pub async fn run(
    log: SegmentLog,
    snapshots: LogSnapshots,
    commands: Rx<LogCommand>,
    events: Tx<LogEvent>,
) {
    // One flush in flight at most, so one slot is enough.
    let (done_tx, done_rx) = local_channel::new_bounded::<FlushDone>(1);
    let (report_wake, wake_rx) = local_channel::new_bounded::<()>(1);
    let reports = Rc::new(RefCell::new(Reports::default()));
    let reporter = glommio::spawn_local(report_events(reports.clone(), wake_rx, events));
    let mut role = LogRole {
        log: RoleLog(log),
        pipeline: LogPipeline::new(),
        reports,
        snapshots,
        report_wake,
        done_tx: Rc::new(done_tx),
        uring_files: UringFiles::new(),
    };
    let result = take_commands(&mut role, &commands, &done_rx).await;
    // No command is taken from here on: close the link first, so a Raft loop blocked on sending
    // to it wakes up (and reads the reason below) instead of waiting while this role waits.
    drop(commands);
    let LogRole {
        log, report_wake, ..
    } = role;
    drop(report_wake);
    // The reporter hands over the last durable end offset, then the link: the final event comes
    // after every report.
    let events = reporter.await;
    let event = match result.and_then(|()| log.0.close().map_err(LogRoleError::Close)) {
        Ok(()) => LogEvent::Stopped,
        Err(error) => {
            tracing::error!("segment log failed: {error}");
            LogEvent::Failed(error)
        }
    };
    let _ = events.send(event).await;
}

/// Applies commands until `Stop` (or the Raft loop is gone), then makes everything durable.
async fn take_commands(
    role: &mut LogRole,
    commands: &Rx<LogCommand>,
    done_rx: &LocalReceiver<FlushDone>,
) -> Result<(), LogRoleError> {
    // Bounded by the Raft loop: it ends with Stop (or by dropping the link).
    loop {
        let command = async { Wake::Command(commands.recv().await) };
        let flush_done = async { Wake::FlushDone(done_rx.recv().await) };
        let tick = async {
            glommio::timer::sleep(Duration::from_millis(RETENTION_CHECK_MS)).await;
            Wake::RetentionTick
        };
        let wake = future::or(command, future::or(flush_done, tick)).await;
        match wake {
            Wake::Command(Some(command)) => {
                if !role.apply(command, done_rx).await? {
                    break;
                }
            }
            Wake::Command(None) => break,
            Wake::FlushDone(Some(done)) => role.finish_flush(done)?,
            Wake::FlushDone(None) => return Err(LogRoleError::FlushTaskVanished),
            Wake::RetentionTick => role.run_retention()?,
        }
        role.start_flush();
    }
    // Stop: the last flush covers everything, then the files are trimmed as Kafka leaves them.
    role.drain_flush(done_rx).await?;
    let generation = role.log.generation();
    role.pipeline.request_flush(&role.log, generation);
    role.start_flush();
    role.drain_flush(done_rx).await
}

/// Hands the reports to the Raft loop after each wake-up; waiting on the link is fine here, the
/// role does not wait for this task. Returns the link once the role is done.
async fn report_events(
    reports: Rc<RefCell<Reports>>,
    wake: LocalReceiver<()>,
    events: Tx<LogEvent>,
) -> Tx<LogEvent> {
    // Bounded by the role: it ends (dropping the waker) when it stops taking commands.
    while wake.recv().await.is_some() {
        // At most one event per slot; each borrow ends before the send is awaited.
        for _ in 0..3 {
            let event = reports.borrow_mut().take();
            let Some(event) = event else { break };
            if events.send(event).await.is_err() {
                return events;
            }
        }
    }
    for _ in 0..3 {
        let event = reports.borrow_mut().take();
        let Some(event) = event else { break };
        let _ = events.send(event).await;
    }
    events
}

fn flushed_event(report: FlushReport) -> LogEvent {
    LogEvent::Flushed {
        flushed_end_offset: report.flushed_end_offset,
        generation: report.generation,
    }
}

#[cfg(test)]
mod tests {
    //! The log role's part of the ordering contract, on a real log in a temp dir: a flush in
    //! flight when a truncation arrives is reported under the old generation, the truncation
    //! starts the core's generation for readers, and later flushes report it.

    use super::*;
    use crate::runtime::link;
    use crate::runtime::tests::batch;
    use kraft_records::BatchIter;
    use kraft_segment_log::{LogConfig, LogReader};

    /// Epoch of the first batch a Fetch response of `generation` would carry from `offset`.
    fn served_epoch(reader: &LogReader, offset: i64, generation: u64) -> Option<i32> {
        let slice = reader
            .read_in_generation(offset, 1 << 20, generation)
            .ok()??;
        let batch = BatchIter::new(&slice).next()?.ok()?;
        Some(batch.header.partition_leader_epoch)
    }

    async fn next_flush(events: &Rx<LogEvent>) -> (i64, u64) {
        match events.recv().await {
            Some(LogEvent::Flushed {
                flushed_end_offset,
                generation,
            }) => (flushed_end_offset, generation),
            other => panic!("expected a flush report, got {other:?}"),
        }
    }

    #[test]
    fn flush_racing_a_truncation_reports_the_old_generation() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("__raft_performance_test-0");
        glommio::LocalExecutorBuilder::new(glommio::Placement::Unbound)
            .spawn(move || async move {
                let (log, _) = SegmentLog::open(&dir, LogConfig::default()).unwrap();
                let reader = log.reader();
                let (command_tx, command_rx) = link::plan(0, 0, 1, 16).remove(0).open().await;
                let (event_tx, event_rx) = link::plan(0, 0, 1, 16).remove(0).open().await;
                let (commands, events) = (command_tx.unwrap(), event_rx.unwrap());
                let snapshots = LogSnapshots::none(log.dir().to_path_buf());
                let role = glommio::spawn_local(run(
                    log,
                    snapshots,
                    command_rx.unwrap(),
                    event_tx.unwrap(),
                ));
                // Queued before the role runs (the link holds them all): it starts the fsync of
                // [0, 6) on Flush and meets the Truncate while that fsync is in flight.
                for base in 0..6 {
                    let bytes = batch(base, 3);
                    let append = LogCommand::Append {
                        base_offset: base,
                        bytes,
                    };
                    commands.send(append).await.unwrap();
                }
                commands
                    .send(LogCommand::Flush { generation: 0 })
                    .await
                    .unwrap();
                let truncate = LogCommand::Truncate {
                    to_offset: 3,
                    generation: 1,
                };
                commands.send(truncate).await.unwrap();
                let bytes = batch(3, 5);
                commands
                    .send(LogCommand::Append {
                        base_offset: 3,
                        bytes,
                    })
                    .await
                    .unwrap();
                commands
                    .send(LogCommand::Flush { generation: 1 })
                    .await
                    .unwrap();
                // Reports coalesce in one slot, so the raced flush's report (6, generation 0)
                // may be replaced by a later one before it is handed over; what must never be
                // seen is the raced flush under generation 1 (it covers the cut bytes).
                let mut last = (0, 0);
                for _ in 0..6 {
                    let report = next_flush(&events).await;
                    match report {
                        (6, 0) => {}
                        (offset, 1) => assert!(offset <= 4, "{report:?} covers cut bytes"),
                        other => panic!("unexpected flush report {other:?}"),
                    }
                    assert!(report.1 >= last.1, "generation went back: {report:?}");
                    last = report;
                    if last == (4, 1) {
                        break;
                    }
                }
                assert_eq!(last, (4, 1));
                assert_eq!(reader.generation(), 1);
                assert_eq!(served_epoch(&reader, 3, 1), Some(5));
                assert_eq!(served_epoch(&reader, 3, 0), None, "a range of generation 0");
                commands.send(LogCommand::Stop).await.unwrap();
                role.await;
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
