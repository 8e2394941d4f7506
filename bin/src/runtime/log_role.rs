//! The segment-log role: the only writer of the log files.
//!
//! Commands arrive in order from the Raft loop. Everything already queued is applied before one
//! flush, so a burst of appends costs one fdatasync (group commit) and the Raft loop learns the
//! durable end offset once per flush. Appends that arrive while a flush is in flight wait for the
//! next one, which then covers all of them.

use super::link::{Rx, Tx};
use super::messages::{LogCommand, LogEvent};
use kraft_segment_log::SegmentLog;

/// Commands applied before a flush is forced, bounding the time between flushes under load.
const MAX_COMMANDS_PER_FLUSH: usize = 1024;

pub async fn run(mut log: SegmentLog, commands: Rx<LogCommand>, events: Tx<LogEvent>) {
    loop {
        let Some(first) = commands.recv().await else {
            break;
        };
        let mut next = Some(first);
        let mut flush = false;
        let mut stop = false;
        let mut applied = 0;
        while let Some(command) = next.take() {
            match command {
                LogCommand::Append { base_offset, bytes } => {
                    // Leader batches and fetched batches alike start at the log end offset the
                    // core assigned; `append_fetched` checks that instead of re-stamping it.
                    if let Err(error) = log.append_fetched(&bytes) {
                        let msg =
                            format!("append of batch at offset {base_offset} failed: {error}");
                        let _ = events.send(LogEvent::Failed(msg)).await;
                        return;
                    }
                }
                LogCommand::Flush => flush = true,
                LogCommand::Truncate { to_offset } => {
                    if let Err(error) = log.truncate_to(to_offset) {
                        let msg = format!("truncation to offset {to_offset} failed: {error}");
                        let _ = events.send(LogEvent::Failed(msg)).await;
                        return;
                    }
                    // A flush completion must never report bytes that were just truncated: the
                    // next Flushed carries the new (lower) durable end.
                    flush = true;
                }
                LogCommand::Stop => {
                    flush = true;
                    stop = true;
                    break;
                }
            }
            applied += 1;
            if applied < MAX_COMMANDS_PER_FLUSH {
                next = commands.try_recv();
            }
        }
        if flush {
            // io_uring fdatasync: while it is in flight, the other roles on this executor (the
            // Raft loop on a 2-CPU machine) keep running instead of blocking on the syscall.
            match log.flush_uring().await {
                Ok(flushed_end_offset) => {
                    if events
                        .send(LogEvent::Flushed { flushed_end_offset })
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                Err(error) => {
                    let _ = events
                        .send(LogEvent::Failed(format!("flush failed: {error}")))
                        .await;
                    return;
                }
            }
        }
        if stop {
            // Trims the preallocated tail so the files look as Kafka leaves them.
            if let Err(error) = log.close() {
                let _ = events
                    .send(LogEvent::Failed(format!("closing the log failed: {error}")))
                    .await;
                return;
            }
            let _ = events.send(LogEvent::Stopped).await;
            return;
        }
    }
}
