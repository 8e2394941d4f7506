//! The storage side of the log pipeline.

/// What the log pipeline needs of a log: appends, truncation, two-phase flushes and the log's
/// generation (the core's count of truncations, which readers check ranges against).
pub trait LogStorage {
    /// One append as the Raft loop hands it over (whole, CRC-checked batches).
    type Batch;
    /// What an fsync needs to run away from the log and what its completion hands back.
    type FlushTicket;
    type Error;

    /// Writes `batch` at the log end offset (visible to readers at once, durable after a flush
    /// that starts later completes).
    fn append(&mut self, batch: Self::Batch) -> Result<(), Self::Error>;
    /// Removes every offset at or after `to_offset`.
    fn truncate_to(&mut self, to_offset: i64) -> Result<(), Self::Error>;
    /// Captures what a flush started now covers (everything appended so far).
    fn prepare_flush(&mut self) -> Self::FlushTicket;
    /// Records that the fsync of `ticket` completed; returns the log's durable end offset. A
    /// ticket from before a truncation makes nothing of the current log durable.
    fn complete_flush(&mut self, ticket: Self::FlushTicket) -> i64;
    fn generation(&self) -> u64;
    /// Publishes `generation` (greater than the current one) to the log's readers.
    fn start_generation(&mut self, generation: u64);
}
