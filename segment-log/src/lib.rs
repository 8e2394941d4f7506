//! Kafka's on-disk partition log for a KRaft node: memory-mapped segments of v2 record batches,
//! the sparse offset index, the leader-epoch checkpoint, snapshots, `partition.metadata` and the
//! `quorum-state` file, byte-compatible with what Apache Kafka writes.
//!
//! # Writer
//! [`SegmentLog`] is the one writer of a partition directory (it lives on the log executor):
//! - [`SegmentLog::open`]`(dir, `[`LogConfig`]`) -> (SegmentLog, `[`RecoveryReport`]`)` creates or
//!   recovers the directory (every batch validated; a torn/corrupt tail of the last segment is
//!   dropped and reported; damage in an earlier segment is a [`LogError::Corrupt`]).
//! - [`SegmentLog::append`] (leader: base offset set to the log end offset) and
//!   [`SegmentLog::append_fetched`] (follower: concatenated batches that must start at the log
//!   end) validate, copy the bytes once into the preallocated mmap tail, update the index and the
//!   epoch cache, and publish the new end to readers. Segments roll at `segment_bytes`.
//! - [`SegmentLog::flush`] fdatasyncs and returns the flushed end offset. To run the sync
//!   elsewhere (another thread, or an io_uring fdatasync on the same file): [`SegmentLog::prepare_flush`]
//!   -> [`FlushTicket::sync`] (or sync [`FlushTicket::files`] yourself) -> [`SegmentLog::complete_flush`].
//! - [`SegmentLog::truncate_to`], [`SegmentLog::truncate_fully_and_start_at`],
//!   [`SegmentLog::assign_epoch`], [`SegmentLog::epoch_cache`].
//!
//! # Readers
//! [`SegmentLog::reader`] gives a [`LogReader`] (Clone + Send + Sync). [`LogReader::read`] returns
//! a [`LogSlice`]: whole batches borrowed from the mapping (no copy, no lock), found through the
//! offset index, never past the atomically published end.
//!
//! # Other files
//! [`QuorumStateFile`] / [`QuorumStateData`] (spec 2.8), [`LeaderEpochCheckpoint`] (spec 4.3),
//! [`SnapshotWriter`] / [`SnapshotReader`] / [`SnapshotId`] (spec 4.5).

mod config;
mod epoch_checkpoint;
mod error;
mod fsutil;
mod index;
pub mod json;
mod log;
mod partition_metadata;
mod quorum_state;
mod reader;
mod scan;
mod segment;
mod snapshot;

pub use config::{
    LogConfig, DEFAULT_INDEX_INTERVAL_BYTES, DEFAULT_SEGMENT_BYTES, MAX_SEGMENT_BYTES,
    MIN_SEGMENT_BYTES,
};
pub use epoch_checkpoint::{LeaderEpochCheckpoint, LEADER_EPOCH_CHECKPOINT_FILE};
pub use error::LogError;
pub use fsutil::{fsync_dir, write_atomically};
pub use index::{IndexEntry, INDEX_ENTRY_BYTES};
pub use kraft_records::{EpochEntry, LeaderEpochCache, Uuid};
pub use log::{
    AppendInfo, DroppedTail, EpochCacheRecovery, FlushTicket, RecoveryReport, SegmentLog,
};
pub use partition_metadata::PARTITION_METADATA_FILE;
pub use quorum_state::{QuorumStateData, QuorumStateFile, QUORUM_STATE_FILE};
pub use reader::{LogReader, LogSlice};
pub use segment::{index_file_name, log_file_name};
pub use snapshot::{
    list_snapshots, mark_deleted, parse_snapshot_file_name, SnapshotFileKind, SnapshotId,
    SnapshotReader, SnapshotWriter,
};

#[cfg(test)]
mod assert_traits {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    #[test]
    fn reader_is_send_sync_and_writer_is_send() {
        send_sync::<super::LogReader>();
        send_sync::<super::LogSlice>();
        send::<super::SegmentLog>();
        send::<super::FlushTicket>();
    }
}
