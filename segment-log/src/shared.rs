//! What the writer (`SegmentLog`) publishes to every `LogReader`: its own module so that the
//! writer and the readers both depend on it and not on each other (`log` -> `reader` -> `shared`).

use std::sync::atomic::{AtomicI64, AtomicU64};
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::segment::SegmentShared;

/// Readers' view of the whole log, swapped atomically when segments come or go.
pub(crate) struct SegmentList {
    pub log_start_offset: i64,
    pub segments: Vec<Arc<SegmentShared>>,
}

/// State shared between the writer and every `LogReader`.
pub(crate) struct LogShared {
    pub segments: ArcSwap<SegmentList>,
    /// Release-stored after the segment end positions: a reader that sees a log end offset also
    /// sees every byte below it.
    pub log_end_offset: AtomicI64,
    /// The log's generation as its owner numbers it (the Raft core counts its truncations):
    /// stored after the truncation that starts it, so a reader of that generation never sees
    /// the bytes cut by it.
    pub generation: AtomicU64,
}
