//! Kafka's record batch format (magic v2), as KRaft writes it.
//!
//! One crate shared by the Raft core (which builds batches once and validates the ones it fetches),
//! the segment log (which validates on append and on recovery) and the tools that read log files.
//! Everything here works on borrowed byte slices: parsing never copies a record, and a batch is built
//! in place at the end of the caller's buffer so it is written exactly once.
//!
//! Layout of a batch (all integers big-endian), see Kafka's `DefaultRecordBatch`:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | BaseOffset |
//! | 8 | 4 | BatchLength (bytes after this field) |
//! | 12 | 4 | PartitionLeaderEpoch |
//! | 16 | 1 | Magic (2) |
//! | 17 | 4 | CRC-32C of bytes [21, end) |
//! | 21 | 2 | Attributes |
//! | 23 | 4 | LastOffsetDelta |
//! | 27 | 8 | BaseTimestamp |
//! | 35 | 8 | MaxTimestamp |
//! | 43 | 8 | ProducerId |
//! | 51 | 2 | ProducerEpoch |
//! | 53 | 4 | BaseSequence |
//! | 57 | 4 | RecordsCount |
//! | 61 | .. | Records |

mod batch;
mod buf;
mod builder;
mod control;
mod epoch_cache;
mod error;
mod kraft_control_scan;
mod reader;
mod record;
mod snapshot_control;
mod uuid;
mod varint;
mod voters;

pub use batch::{
    frame_batch, set_base_offset, set_partition_leader_epoch, validate_batch, Batch, BatchHeader,
    BatchIter, ATTRIBUTE_CONTROL, BATCH_HEADER_LEN, LOG_OVERHEAD, MAGIC_V2,
};
pub use buf::BatchBuf;
pub use builder::{build_leader_change_batch, BatchBuilder, OpenBatch};
pub use control::{parse_control_record, ControlRecord, ControlRecordType, LeaderChangeMessage};
pub use epoch_cache::{EpochEntry, LeaderEpochCache};
pub use error::BatchError;
pub use kraft_control_scan::{collect_kraft_control, scan_kraft_control};
pub use record::{Record, RecordIter};
pub use snapshot_control::{
    build_snapshot_footer_batch, build_snapshot_header_batch,
    build_snapshot_header_batch_with_kraft_control, SNAPSHOT_CONTROL_VERSION,
};
pub use uuid::{Uuid, UuidParseError};
pub use voters::{
    append_kraft_control_records, build_kraft_control_batch, encode_kraft_version_value,
    VoterEndpoint, VoterRecord, VotersRecord, KRAFT_CONTROL_VERSION,
};
