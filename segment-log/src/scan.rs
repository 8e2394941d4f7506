//! Walking batch headers inside bytes that the log already validated (reads and truncation), and
//! validating them from scratch (recovery).

use kraft_records::{
    collect_kraft_control, validate_batch, Batch, ControlRecord, BATCH_HEADER_LEN, LOG_OVERHEAD,
};

use crate::index::IndexEntry;

/// The header fields the log itself needs, read without re-checking the CRC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawBatch {
    pub base_offset: i64,
    pub size_bytes: usize,
    pub last_offset: i64,
    pub partition_leader_epoch: i32,
}

fn be_i64(b: &[u8]) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    i64::from_be_bytes(a)
}

fn be_i32(b: &[u8]) -> i32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    i32::from_be_bytes(a)
}

/// Header of the batch at `pos` if the whole batch lies inside `data` and the header is sane.
pub(crate) fn raw_batch_at(data: &[u8], pos: usize) -> Option<RawBatch> {
    let header = data.get(pos..pos.checked_add(BATCH_HEADER_LEN)?)?;
    let batch_length = be_i32(&header[8..12]);
    let size_bytes = usize::try_from(batch_length)
        .ok()?
        .checked_add(LOG_OVERHEAD)?;
    if size_bytes < BATCH_HEADER_LEN || pos.checked_add(size_bytes)? > data.len() {
        return None;
    }
    let base_offset = be_i64(&header[0..8]);
    let last_offset_delta = be_i32(&header[23..27]);
    if last_offset_delta < 0 {
        return None;
    }
    Some(RawBatch {
        base_offset,
        size_bytes,
        last_offset: base_offset.checked_add(i64::from(last_offset_delta))?,
        partition_leader_epoch: be_i32(&header[12..16]),
    })
}

/// From `start` (a batch boundary), the position and header of the first batch whose last offset
/// is >= `target`. `Ok(None)` when all batches in `data[start..]` end before `target`.
/// `Err(position)` when the bytes at `position` are not a batch (should not happen in a
/// validated log; reported as corruption).
pub(crate) fn find_batch(
    data: &[u8],
    start: usize,
    target: i64,
) -> Result<Option<(usize, RawBatch)>, usize> {
    let mut pos = start;
    // Every batch is at least BATCH_HEADER_LEN bytes, which bounds the loop.
    while pos < data.len() {
        let batch = raw_batch_at(data, pos).ok_or(pos)?;
        if batch.last_offset >= target {
            return Ok(Some((pos, batch)));
        }
        pos += batch.size_bytes;
    }
    Ok(None)
}

/// What a recovery scan of one segment found.
#[derive(Debug, Default)]
pub(crate) struct SegmentScan {
    /// Bytes of whole valid batches from the start of the segment.
    pub valid_bytes: usize,
    /// Offset after the last valid batch (the segment base offset if none).
    pub next_offset: i64,
    pub batches: u64,
    /// The rebuilt offset index.
    pub index: Vec<IndexEntry>,
    /// (epoch, base offset) of each valid batch whose epoch differs from the previous batch's.
    pub epoch_starts: Vec<(i32, i64)>,
    /// Why scanning stopped before the end of `data`, if it did.
    pub stop_reason: Option<String>,
    /// The KRaftVersion and Voters records of the valid control batches with their offsets,
    /// ascending (KIP-853: only control batches are opened, by their attributes flag).
    pub kraft_control: Vec<(i64, ControlRecord)>,
    /// A valid control batch whose records did not decode: (its position, its base offset, why).
    /// Not a torn write (the CRC matched): recovery refuses the log.
    pub bad_control: Option<(usize, i64, String)>,
}

/// Validates every batch of a segment (length, magic, CRC-32C, offsets contiguous from
/// `base_offset`) and rebuilds its index with Kafka's rule: an entry (last offset, position)
/// whenever more than `index_interval_bytes` were written since the previous entry.
pub(crate) fn scan_segment(
    data: &[u8],
    base_offset: i64,
    index_interval_bytes: usize,
    max_index_entries: usize,
) -> SegmentScan {
    let mut scan = SegmentScan {
        next_offset: base_offset,
        ..SegmentScan::default()
    };
    let mut last_index_position = 0usize;
    let mut last_epoch: Option<i32> = None;
    let mut pos = 0usize;
    while pos < data.len() {
        let header = match validate_batch(&data[pos..]) {
            Ok(h) => h,
            Err(e) => {
                scan.stop_reason = Some(e.to_string());
                break;
            }
        };
        let size = header.size_bytes();
        if header.base_offset != scan.next_offset {
            scan.stop_reason = Some(format!(
                "batch base offset {} where {} was expected",
                header.base_offset, scan.next_offset
            ));
            break;
        }
        if header.last_offset_delta < 0 || header.last_offset() - base_offset > i64::from(i32::MAX)
        {
            scan.stop_reason = Some(format!(
                "last offset delta {} out of range",
                header.last_offset_delta
            ));
            break;
        }
        if size < BATCH_HEADER_LEN || pos + size > data.len() || pos + size > i32::MAX as usize {
            scan.stop_reason = Some(format!("batch size {size} out of range"));
            break;
        }
        if pos - last_index_position > index_interval_bytes && scan.index.len() < max_index_entries
        {
            scan.index.push(IndexEntry {
                relative_offset: (header.last_offset() - base_offset) as u32,
                position: pos as u32,
            });
            last_index_position = pos;
        }
        if last_epoch != Some(header.partition_leader_epoch) {
            scan.epoch_starts
                .push((header.partition_leader_epoch, header.base_offset));
            last_epoch = Some(header.partition_leader_epoch);
        }
        if header.is_control() && scan.bad_control.is_none() {
            let batch = Batch {
                header,
                bytes: &data[pos..pos + size],
            };
            if let Err(error) = collect_kraft_control(&batch, &mut scan.kraft_control) {
                scan.bad_control = Some((pos, header.base_offset, error.to_string()));
            }
        }
        pos += size;
        scan.batches += 1;
        scan.valid_bytes = pos;
        scan.next_offset = header.next_offset();
    }
    scan
}
