//! The segment-log role: the only writer of the log files.
//!
//! Commands arrive in order from the Raft loop. Appends are written into the segment file (pwrite into the page cache) as they
//! come, so readers (Fetch responses, commit delivery) see them at once. Flushes are pipelined:
//! at most one fdatasync is in flight (through io_uring, in its own task), and appends keep being
//! applied meanwhile; when it completes, one more flush covers everything that arrived during it
//! (group commit). The Raft loop learns the durable end offset after each completed flush.
//!
//! The Raft loop awaits its sends to this role, so this role never awaits a send to the Raft
//! loop while it takes commands (two bounded links waiting on each other would deadlock): the
//! durable end offset goes into one slot that a reporter task hands over. Reports coalesce there
//! (only the latest durable end matters; the core takes it as "durable up to"), so the slot is
//! all the memory they need however long the Raft loop is busy.

use super::error::LogRoleError;
use super::link::{Rx, Tx};
use super::messages::{LogCommand, LogEvent};
use futures_lite::future;
use glommio::channels::local_channel::{self, LocalReceiver, LocalSender};
use kraft_segment_log::{FlushTicket, LogError, SegmentLog, UringFiles};
use std::cell::Cell;
use std::rc::Rc;

/// The outcome of one background fdatasync, handed back with its ticket.
type FlushDone = (FlushTicket, Result<(), LogError>);

enum Wake {
    Command(Option<LogCommand>),
    FlushDone(Option<FlushDone>),
}

struct LogRole {
    log: SegmentLog,
    /// The durable end offset not yet handed to the Raft loop (see the module comment).
    flushed_report: Rc<Cell<Option<i64>>>,
    /// Wakes the reporter; one slot, as one wake-up covers every report made before it runs.
    report_wake: LocalSender<()>,
    done_tx: Rc<LocalSender<FlushDone>>,
    /// io_uring handles of the segment files, kept open across flushes.
    uring_files: UringFiles,
    flush_in_flight: bool,
    /// A flush was asked for (or appends arrived) since the in-flight one started.
    flush_wanted: bool,
}

impl LogRole {
    /// Starts a background fdatasync of everything appended so far, unless one is running.
    fn start_flush(&mut self) {
        if self.flush_in_flight || !self.flush_wanted {
            return;
        }
        self.flush_wanted = false;
        self.flush_in_flight = true;
        let ticket = self.log.prepare_flush();
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
        self.flush_in_flight = false;
        result.map_err(LogRoleError::Flush)?;
        let flushed_end_offset = self.log.complete_flush(ticket);
        self.flushed_report.set(Some(flushed_end_offset));
        // Full means the reporter is woken already and will read the slot after this write.
        let _ = self.report_wake.try_send(());
        Ok(())
    }

    /// Waits for the in-flight flush, if any (before a truncation, and at the end).
    async fn drain_flush(
        &mut self,
        done_rx: &LocalReceiver<FlushDone>,
    ) -> Result<(), LogRoleError> {
        if self.flush_in_flight {
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
                // Leader batches and fetched batches alike start at the log end offset the core
                // assigned; the log checks that instead of re-stamping it. The core checked the
                // CRCs of fetched batches and computed those of its own.
                self.log
                    .append_verified(&bytes)
                    .map_err(|source| LogRoleError::Append {
                        base_offset,
                        source,
                    })?;
            }
            LogCommand::Flush => self.flush_wanted = true,
            LogCommand::ReleaseCacheBelow { offset } => self.log.release_page_cache_below(offset),
            LogCommand::Truncate { to_offset } => {
                // A flush racing the truncation must complete first, so that the durable end it
                // reports never includes the bytes cut now.
                self.drain_flush(done_rx).await?;
                self.log
                    .truncate_to(to_offset)
                    .map_err(|source| LogRoleError::Truncate { to_offset, source })?;
                self.flush_wanted = true;
            }
            LogCommand::Stop => return Ok(false),
        }
        Ok(true)
    }
}

pub async fn run(log: SegmentLog, commands: Rx<LogCommand>, events: Tx<LogEvent>) {
    // One flush in flight at most, so one slot is enough.
    let (done_tx, done_rx) = local_channel::new_bounded::<FlushDone>(1);
    let (report_wake, wake_rx) = local_channel::new_bounded::<()>(1);
    let flushed_report = Rc::new(Cell::new(None));
    let reporter = glommio::spawn_local(report_flushed(flushed_report.clone(), wake_rx, events));
    let mut role = LogRole {
        log,
        flushed_report,
        report_wake,
        done_tx: Rc::new(done_tx),
        uring_files: UringFiles::new(),
        flush_in_flight: false,
        flush_wanted: false,
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
    let event = match result.and_then(|()| log.close().map_err(LogRoleError::Close)) {
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
    loop {
        let wake = future::or(async { Wake::Command(commands.recv().await) }, async {
            Wake::FlushDone(done_rx.recv().await)
        })
        .await;
        match wake {
            Wake::Command(Some(command)) => {
                if !role.apply(command, done_rx).await? {
                    break;
                }
            }
            Wake::Command(None) => break,
            Wake::FlushDone(Some(done)) => role.finish_flush(done)?,
            Wake::FlushDone(None) => return Err(LogRoleError::FlushTaskVanished),
        }
        role.start_flush();
    }
    // Stop: the last flush covers everything, then the files are trimmed as Kafka leaves them.
    role.drain_flush(done_rx).await?;
    role.flush_wanted = true;
    role.start_flush();
    role.drain_flush(done_rx).await
}

/// Hands the latest durable end offset to the Raft loop after each wake-up; waiting on the link
/// is fine here, the role does not wait for this task. Returns the link once the role is done.
async fn report_flushed(
    latest: Rc<Cell<Option<i64>>>,
    wake: LocalReceiver<()>,
    events: Tx<LogEvent>,
) -> Tx<LogEvent> {
    // Bounded by the role: it ends (dropping the waker) when it stops taking commands.
    while wake.recv().await.is_some() {
        if let Some(flushed_end_offset) = latest.take() {
            if events
                .send(LogEvent::Flushed { flushed_end_offset })
                .await
                .is_err()
            {
                return events;
            }
        }
    }
    if let Some(flushed_end_offset) = latest.take() {
        let _ = events.send(LogEvent::Flushed { flushed_end_offset }).await;
    }
    events
}
