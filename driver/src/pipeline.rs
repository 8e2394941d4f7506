//! The log pipeline: the log side's decisions between the Raft loop's commands, the storage and
//! fsync completions.

use crate::report::FlushReport;
use crate::storage::LogStorage;

/// Commands from the Raft loop are applied in order. Appends go to the storage at once (readers
/// see them); flushes are pipelined: at most one fsync is in flight, and one requested while it
/// runs starts when it completes, covering everything appended by then (group commit). A
/// truncation waits for the fsync in flight ([`truncation_must_wait`]): the driver completes it
/// first, so its report names the generation it flushed, then the cut starts the new generation.
///
/// [`truncation_must_wait`]: LogPipeline::truncation_must_wait
#[derive(Debug, Default)]
pub struct LogPipeline {
    /// The generation the fsync in flight started in, if one is.
    flush_in_flight: Option<u64>,
    /// A flush was asked for since the fsync in flight started.
    flush_wanted: bool,
}

impl LogPipeline {
    pub fn new() -> LogPipeline {
        LogPipeline::default()
    }

    pub fn flush_in_flight(&self) -> bool {
        self.flush_in_flight.is_some()
    }

    pub fn append<S: LogStorage>(
        &mut self,
        storage: &mut S,
        batch: S::Batch,
    ) -> Result<(), S::Error> {
        storage.append(batch)
    }

    /// The Raft loop asks for everything appended so far to become durable; `generation` is the
    /// core's, which the log is at (commands run in order).
    pub fn request_flush<S: LogStorage>(&mut self, storage: &S, generation: u64) {
        assert_eq!(
            generation,
            storage.generation(),
            "a flush names the log's generation"
        );
        self.flush_wanted = true;
    }

    /// A truncation may not cut while an fsync is in flight: the driver first completes that
    /// fsync ([`complete_flush`](Self::complete_flush)), then calls [`truncate`](Self::truncate).
    pub fn truncation_must_wait(&self) -> bool {
        self.flush_in_flight.is_some()
    }

    /// Cuts the log at `to_offset` and only then starts `generation` for readers (a reader of
    /// the new generation must not see the cut bytes); the first flush of it follows.
    pub fn truncate<S: LogStorage>(
        &mut self,
        storage: &mut S,
        to_offset: i64,
        generation: u64,
    ) -> Result<(), S::Error> {
        assert!(
            !self.truncation_must_wait(),
            "truncation to {to_offset} with an fsync in flight"
        );
        assert!(
            generation > storage.generation(),
            "a truncation starts a generation"
        );
        storage.truncate_to(to_offset)?;
        storage.start_generation(generation);
        self.flush_wanted = true;
        Ok(())
    }

    /// The fsync to start now, if any: one was asked for and none is in flight.
    pub fn next_flush<S: LogStorage>(&mut self, storage: &mut S) -> Option<S::FlushTicket> {
        if self.flush_in_flight.is_some() || !self.flush_wanted {
            return None;
        }
        self.flush_wanted = false;
        self.flush_in_flight = Some(storage.generation());
        Some(storage.prepare_flush())
    }

    /// The fsync in flight completed: what it reports, in the generation it started in.
    pub fn complete_flush<S: LogStorage>(
        &mut self,
        storage: &mut S,
        ticket: S::FlushTicket,
    ) -> FlushReport {
        let generation = self
            .flush_in_flight
            .take()
            .expect("a completion for the fsync in flight");
        // Truncations wait for the fsync in flight, so the log is still in its generation.
        assert_eq!(
            generation,
            storage.generation(),
            "fsync outlived its generation"
        );
        // Planted: the ticket is taken at completion, covering appends made during the fsync.
        let ticket = match planted_bug!(FlushCoversLaterAppends) {
            true => storage.prepare_flush(),
            false => ticket,
        };
        FlushReport {
            flushed_end_offset: storage.complete_flush(ticket),
            generation,
        }
    }
}

#[cfg(test)]
mod tests;
