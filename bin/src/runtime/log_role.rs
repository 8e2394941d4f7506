//! The segment-log role: the only writer of the log files.
//!
//! Commands arrive in order from the Raft loop. Appends are written into the segment file (pwrite into the page cache) as they
//! come, so readers (Fetch responses, commit delivery) see them at once. Flushes are pipelined:
//! at most one fdatasync is in flight (through io_uring, in its own task), and appends keep being
//! applied meanwhile; when it completes, one more flush covers everything that arrived during it
//! (group commit). The Raft loop learns the durable end offset once per completed flush, with the
//! log's generation (the core's count of truncations): a flush that completes around a
//! truncation reports the generation before it, so the core can refuse it.

use super::link::{Rx, Tx};
use super::messages::{LogCommand, LogEvent};
use futures_lite::future;
use glommio::channels::local_channel::{self, LocalReceiver, LocalSender};
use kraft_segment_log::{FlushTicket, LogError, SegmentLog, UringFiles};
use std::rc::Rc;

/// The outcome of one background fdatasync, handed back with its ticket.
type FlushDone = (FlushTicket, Result<(), LogError>);

enum Wake {
    Command(Option<LogCommand>),
    FlushDone(Option<FlushDone>),
}

struct LogRole {
    log: SegmentLog,
    events: Tx<LogEvent>,
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

    async fn finish_flush(&mut self, (ticket, result): FlushDone) -> Result<(), String> {
        self.flush_in_flight = false;
        result.map_err(|e| format!("flush failed: {e}"))?;
        let flushed_end_offset = self.log.complete_flush(ticket);
        // A truncation drains the flush in flight before it cuts and starts its generation, so
        // the ticket and the log are of this generation.
        let generation = self.log.generation();
        self.events
            .send(LogEvent::Flushed {
                flushed_end_offset,
                generation,
            })
            .await
            .map_err(|_| "the Raft loop stopped".to_string())
    }

    /// Waits for the in-flight flush, if any (before a truncation, and at the end).
    async fn drain_flush(&mut self, done_rx: &LocalReceiver<FlushDone>) -> Result<(), String> {
        if self.flush_in_flight {
            let done = done_rx.recv().await.ok_or("flush task vanished")?;
            self.finish_flush(done).await?;
        }
        Ok(())
    }

    async fn apply(
        &mut self,
        command: LogCommand,
        done_rx: &LocalReceiver<FlushDone>,
    ) -> Result<bool, String> {
        match command {
            LogCommand::Append { base_offset, bytes } => {
                // Leader batches and fetched batches alike start at the log end offset the core
                // assigned; the log checks that instead of re-stamping it. The core checked the
                // CRCs of fetched batches and computed those of its own.
                self.log
                    .append_verified(&bytes)
                    .map_err(|e| format!("append of batch at offset {base_offset} failed: {e}"))?;
            }
            LogCommand::Flush { generation } => {
                debug_assert_eq!(generation, self.log.generation(), "commands run in order");
                self.flush_wanted = true;
            }
            LogCommand::ReleaseCacheBelow { offset } => self.log.release_page_cache_below(offset),
            LogCommand::Truncate {
                to_offset,
                generation,
            } => {
                // A flush racing the truncation completes first, reported under the old
                // generation (the core refuses it: it says nothing of bytes written since).
                self.drain_flush(done_rx).await?;
                self.log
                    .truncate_to(to_offset)
                    .map_err(|e| format!("truncation to offset {to_offset} failed: {e}"))?;
                // Only now: a Fetch response of the new generation must not read the cut bytes.
                self.log.start_generation(generation);
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
    let mut role = LogRole {
        log,
        events,
        done_tx: Rc::new(done_tx),
        uring_files: UringFiles::new(),
        flush_in_flight: false,
        flush_wanted: false,
    };
    let result = async {
        loop {
            let wake = future::or(async { Wake::Command(commands.recv().await) }, async {
                Wake::FlushDone(done_rx.recv().await)
            })
            .await;
            match wake {
                Wake::Command(Some(command)) => {
                    if !role.apply(command, &done_rx).await? {
                        break;
                    }
                }
                Wake::Command(None) => break,
                Wake::FlushDone(Some(done)) => role.finish_flush(done).await?,
                Wake::FlushDone(None) => return Err("flush task vanished".to_string()),
            }
            role.start_flush();
        }
        // Stop: the last flush covers everything, then the files are trimmed as Kafka leaves them.
        role.drain_flush(&done_rx).await?;
        role.flush_wanted = true;
        role.start_flush();
        role.drain_flush(&done_rx).await?;
        Ok::<(), String>(())
    }
    .await;
    let LogRole { log, events, .. } = role;
    match result.and_then(|()| {
        log.close()
            .map_err(|e| format!("closing the log failed: {e}"))
    }) {
        Ok(()) => {
            let _ = events.send(LogEvent::Stopped).await;
        }
        Err(error) => {
            let _ = events.send(LogEvent::Failed(error)).await;
        }
    }
}
