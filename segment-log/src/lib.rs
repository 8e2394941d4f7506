//! Kafka's on-disk partition log for a KRaft node: memory-mapped segments of v2 record batches,
//! the sparse offset index, the leader-epoch checkpoint, snapshots, `partition.metadata` and the
//! `quorum-state` file, byte-compatible with what Apache Kafka writes (spec KRAFT.md 2.8, 4).
//!
//! # Writer (one per partition, lives on the log executor)
//! - [`SegmentLog::open`]`(dir, `[`LogConfig`]`) -> (SegmentLog, `[`RecoveryReport`]`)` creates or
//!   recovers the directory like Kafka after an unclean shutdown (recovery point 0): every batch
//!   of every segment is validated (length, magic, CRC-32C, contiguous offsets). A torn or corrupt
//!   tail of the *last* segment is cut off (durably) and reported in
//!   [`RecoveryReport::dropped_tail`]; damage in an earlier segment, or a gap between segments, is
//!   a [`LogError::Corrupt`] naming the file and byte position (never silent loss). Sealed
//!   segments are fdatasynced before the next segment is created, so only the last one can hold a
//!   torn write. Indexes are rebuilt from the scan when missing or different; the epoch cache is
//!   taken from `leader-epoch-checkpoint` when it agrees with the batch headers, else rebuilt from
//!   them; `.part`/`.deleted` snapshots are removed, a newest snapshot ahead of the log restarts
//!   the log at it, and a log starting above 0 without a snapshot reaching it is refused.
//!   (The whole log is scanned rather than trusting the index: CRC-32C runs at ~16 GB/s, and
//!   Kafka's KRaft log also recovers from offset 0.)
//! - [`SegmentLog::append`] (leader: the base offset is set to the log end offset) and
//!   [`SegmentLog::append_fetched`] (follower: one or more concatenated batches that must start
//!   at the log end; validated as a whole before anything is written) copy the bytes once into
//!   the preallocated mmap tail, add index entries every `index_interval_bytes`, update the epoch
//!   cache, then publish the new end to readers. Segments roll at `segment_bytes`.
//! - [`SegmentLog::flush`] fdatasyncs the active segment (plus directory and epoch checkpoint when
//!   they changed) and returns the flushed end offset. Split form for syncing elsewhere:
//!   [`SegmentLog::prepare_flush`] -> [`FlushTicket::sync`] (any thread) or
//!   `FlushTicket::sync_uring` (feature `glommio`, io_uring fdatasync) ->
//!   [`SegmentLog::complete_flush`]; `SegmentLog::flush_uring` does all three on a glommio
//!   executor.
//! - [`SegmentLog::truncate_to`] (divergence: segments, index, epoch cache; durable on return),
//!   [`SegmentLog::truncate_fully_and_start_at`] (snapshot install),
//!   [`SegmentLog::advance_log_start_offset`] (delete segments behind a snapshot),
//!   [`SegmentLog::assign_epoch`] (new leader: epoch starts at the log end),
//!   [`SegmentLog::epoch_cache`], [`SegmentLog::log_end_offset`],
//!   [`SegmentLog::log_start_offset`], [`SegmentLog::flushed_end_offset`], [`SegmentLog::close`].
//!
//! # Readers (any thread)
//! [`SegmentLog::reader`] gives a [`LogReader`] (Clone + Send + Sync). [`LogReader::read`] and
//! [`LogReader::read_below`] (bounded by e.g. the high watermark) return a [`LogSlice`]: whole
//! batches of one segment borrowed from the mapping (no copy, no lock: the segment list is an
//! arc-swap pointer and each segment's end an atomic), starting at the batch holding the offset,
//! at least one batch however large, found through the offset index, never past the published
//! end. A `LogSlice` keeps its mapping alive; it derefs to `[u8]`.
//!
//! Contract: readers must not read above an offset that may still be truncated (Raft truncates
//! only uncommitted entries, which only the leader serves, and a leader never truncates). A slice
//! that outlives a truncation of its bytes sees zeros, never a fault: the writer never shrinks a
//! file below a position it handed out.
//!
//! # Other files
//! [`QuorumStateFile`] / [`QuorumStateData`] (spec 2.8: reads v0 and v1, writes either; atomic
//! replace), [`LeaderEpochCheckpoint`] (spec 4.3 text format), [`SnapshotWriter`] /
//! [`SnapshotReader`] / [`SnapshotId`] / [`list_snapshots`] / [`mark_deleted`] (spec 4.5).
//!
//! Not written: `.timeindex` files (Kafka recreates missing ones; KRaft never reads them).

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
mod shared;
mod snapshot;
mod snapshot_check;
#[cfg(feature = "glommio")]
mod uring_files;

pub use config::{
    LogConfig, DEFAULT_INDEX_INTERVAL_BYTES, DEFAULT_SEGMENT_BYTES, MAX_SEGMENT_BYTES,
    MIN_SEGMENT_BYTES,
};
pub use epoch_checkpoint::{LeaderEpochCheckpoint, LEADER_EPOCH_CHECKPOINT_FILE};
pub use error::LogError;
pub use fsutil::{create_dir_durable, fsync_dir, write_atomically};
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
    delete_snapshot, list_snapshots, mark_deleted, parse_snapshot_file_name, SnapshotFileKind,
    SnapshotId, SnapshotReader, SnapshotWriter,
};
pub use snapshot_check::SnapshotSummary;
#[cfg(feature = "glommio")]
pub use uring_files::UringFiles;

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
