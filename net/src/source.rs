//! Where the server gets record bytes for responses the core answers by reference
//! (`Records::LogRange`, `SnapshotRecords::FileRange`). The runtime implements this over the
//! segment log; net only needs byte slices, so it does not depend on the log crate.

use std::ops::Deref;

use kraft_message::SnapshotId;

/// Read access to the log and snapshots for building responses.
pub trait RecordSource {
    /// A view of bytes that stays valid while it is alive (for example a slice of an mmap).
    type Slice: Deref<Target = [u8]>;

    /// Whole batches starting with the batch that contains `from_offset`: at most `max_bytes`,
    /// but always at least one whole batch if any exists at that offset, read from the log of
    /// generation `generation` (`Records::LogRange`'s). `None` when there is nothing to send,
    /// including when the log is not at that generation (the response then carries empty
    /// records: bytes of another generation are not the ones the core answered with).
    fn read_log(&self, from_offset: i64, max_bytes: usize, generation: u64) -> Option<Self::Slice>;

    /// Bytes `[position, position + length)` of snapshot `snapshot_id` (fewer at its end).
    /// `None` if the snapshot or the range does not exist.
    fn read_snapshot(
        &self,
        snapshot_id: SnapshotId,
        position: i64,
        length: usize,
    ) -> Option<Self::Slice>;
}

/// A source with no log: every read finds nothing. For tests and for nodes that never lead.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoRecords;

impl RecordSource for NoRecords {
    type Slice = &'static [u8];

    fn read_log(
        &self,
        _from_offset: i64,
        _max_bytes: usize,
        _generation: u64,
    ) -> Option<Self::Slice> {
        None
    }

    fn read_snapshot(
        &self,
        _snapshot_id: SnapshotId,
        _position: i64,
        _length: usize,
    ) -> Option<Self::Slice> {
        None
    }
}
