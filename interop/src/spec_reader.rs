//! An independent reader of Kafka's segment, index and leader-epoch-checkpoint files, written from
//! the format alone (../shared/spec/KRAFT.md 4.1, 4.3): it shares no code with the writer, with
//! `kraft-records` or with `kraft-segment-log`, down to its own CRC-32C and varints, so a bug in
//! the server's parsing cannot hide the same bug here. The tests of both the segment log (fault
//! injection) and the real-process harness (`spec_log`) judge the files with it.
//!
//! Batch v2 header, big-endian: base offset i64 @0, length i32 @8 (bytes after this field),
//! partition leader epoch i32 @12, magic i8 @16 (= 2), CRC-32C u32 @17 over [21, end),
//! attributes i16 @21, last offset delta i32 @23, ..., record count i32 @57, records from 61.

use crate::spec_fault::SpecFault;

/// Header bytes up to and including the record count.
pub const HEADER_BYTES: usize = 61;
/// Base offset and length fields: the bytes a batch occupies beyond its `length`.
const LOG_OVERHEAD: usize = 12;
const CRC_FROM: usize = 21;
/// Attribute bits of the compression codec; compressed records are not walked one by one.
const COMPRESSION_MASK: u8 = 0x07;

/// One batch as the spec reader found it in a segment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecBatch {
    /// Byte position of the batch in its segment file.
    pub position: usize,
    pub size: usize,
    pub base_offset: i64,
    pub last_offset: i64,
    pub epoch: i32,
    pub records: i32,
}

/// What a segment's bytes hold: the valid batches from the start, then either a clean end
/// (end of file, or only zeros: preallocated space) or the first fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentScan {
    pub batches: Vec<SpecBatch>,
    pub fault: Option<SpecFault>,
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), one table lookup per byte.
pub fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc = CRC_TABLE[((crc ^ u32::from(byte)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

static CRC_TABLE: [u32; 256] = crc_table();

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

fn i64_at(b: &[u8], at: usize) -> i64 {
    i64::from_be_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn i32_at(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// Walks a whole segment whose first batch must start at `expected_base`; never panics.
pub fn parse_segment(bytes: &[u8], expected_base: i64) -> SegmentScan {
    let mut batches = Vec::new();
    let mut position = 0;
    let mut next_offset = expected_base;
    // Each batch is at least HEADER_BYTES long, which bounds the loop.
    while position < bytes.len() {
        if bytes[position..].iter().all(|&b| b == 0) {
            break;
        }
        match parse_batch(&bytes[position..], next_offset) {
            Ok(mut batch) => {
                batch.position = position;
                next_offset = batch.last_offset + 1;
                position += batch.size;
                batches.push(batch);
            }
            Err(reason) => {
                return SegmentScan {
                    batches,
                    fault: Some(SpecFault::new(position, reason)),
                }
            }
        }
    }
    SegmentScan {
        batches,
        fault: None,
    }
}

/// Parses and checks the batch at the start of `bytes` (its position is left 0).
fn parse_batch(bytes: &[u8], expected_base: i64) -> Result<SpecBatch, String> {
    if bytes.len() < HEADER_BYTES {
        return Err(format!(
            "{} bytes left, short of a {HEADER_BYTES}-byte batch header",
            bytes.len()
        ));
    }
    let base_offset = i64_at(bytes, 0);
    let length = i32_at(bytes, 8);
    if length < (HEADER_BYTES - LOG_OVERHEAD) as i32 {
        return Err(format!("batch length {length} is below the header's"));
    }
    let size = length as usize + LOG_OVERHEAD;
    if size > bytes.len() {
        return Err(format!(
            "batch of {size} bytes runs past the end ({} bytes left)",
            bytes.len()
        ));
    }
    let batch = &bytes[..size];
    if batch[16] != 2 {
        return Err(format!("magic {} instead of 2", batch[16]));
    }
    let stored_crc = u32::from_be_bytes(batch[17..21].try_into().expect("4 bytes"));
    let computed_crc = crc32c(&batch[CRC_FROM..]);
    if stored_crc != computed_crc {
        return Err(format!(
            "CRC-32C {computed_crc:#010x} of the batch differs from its stored {stored_crc:#010x}"
        ));
    }
    if base_offset != expected_base {
        return Err(format!(
            "base offset {base_offset} where offset {expected_base} comes next"
        ));
    }
    let last_offset_delta = i32_at(batch, 23);
    let records = i32_at(batch, 57);
    if records < 1 || i64::from(last_offset_delta) + 1 != i64::from(records) {
        return Err(format!(
            "{records} records against last offset delta {last_offset_delta}"
        ));
    }
    if batch[22] & COMPRESSION_MASK == 0 {
        walk_records(batch, records)?;
    }
    Ok(SpecBatch {
        position: 0,
        size,
        base_offset,
        last_offset: base_offset + i64::from(last_offset_delta),
        epoch: i32_at(batch, 12),
        records,
    })
}

/// Checks that `records` length-prefixed records fill the batch after its header exactly.
fn walk_records(batch: &[u8], records: i32) -> Result<(), String> {
    let mut at = HEADER_BYTES;
    for index in 0..records {
        let (length, used) = zigzag_varint(&batch[at..])
            .ok_or_else(|| format!("record {index}: unterminated length varint"))?;
        if length < 0 {
            return Err(format!("record {index}: negative length {length}"));
        }
        at += used;
        if length as usize > batch.len() - at {
            return Err(format!(
                "record {index} of {length} bytes runs past the batch"
            ));
        }
        at += length as usize;
    }
    if at != batch.len() {
        return Err(format!(
            "{records} records end at byte {at} of a {}-byte batch",
            batch.len()
        ));
    }
    Ok(())
}

/// A zigzag varint (as Kafka's `ByteUtils.readVarint`): its value and the bytes it took.
fn zigzag_varint(b: &[u8]) -> Option<(i64, usize)> {
    let mut value: u64 = 0;
    for (i, &byte) in b.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((((value >> 1) as i64) ^ -((value & 1) as i64), i + 1));
        }
    }
    None
}

/// Parses a whole segment that must hold nothing but valid batches (and a zero tail); panics
/// with the position and the reason otherwise.
pub fn read_segment(bytes: &[u8], expected_base: i64) -> Vec<SpecBatch> {
    let scan = parse_segment(bytes, expected_base);
    if let Some(fault) = scan.fault {
        panic!("segment with base offset {expected_base}: {fault}");
    }
    scan.batches
}

/// Parses an offset index and checks each entry points at a batch whose last offset is the
/// entry's offset, ascending. Trailing all-zero entries (preallocated) are ignored; entries after
/// them must be zero too. Returns the number of entries.
pub fn check_index(index: &[u8], base: i64, batches: &[SpecBatch]) -> usize {
    assert_eq!(index.len() % 8, 0, "index length");
    let mut count = 0;
    let mut prev: Option<(u32, u32)> = None;
    for (i, entry) in index.chunks(8).enumerate() {
        // No entry ever points at position 0 (one is added only after more than
        // index.interval.bytes), so an all-zero entry is preallocated space: the end.
        if entry.iter().all(|&b| b == 0) {
            assert!(
                index[i * 8..].iter().all(|&b| b == 0),
                "entries after the end of the index"
            );
            break;
        }
        let rel = u32::from_be_bytes(entry[..4].try_into().expect("4 bytes"));
        let pos = u32::from_be_bytes(entry[4..].try_into().expect("4 bytes"));
        if let Some((pr, pp)) = prev {
            assert!(rel > pr && pos > pp, "index not ascending");
        }
        let batch = batches
            .iter()
            .find(|b| b.position == pos as usize)
            .unwrap_or_else(|| panic!("index entry position {pos} is not a batch start"));
        assert_eq!(
            batch.last_offset,
            base + i64::from(rel),
            "index entry offset"
        );
        prev = Some((rel, pos));
        count += 1;
    }
    count
}

/// Parses `leader-epoch-checkpoint` text: version 0, count, "<epoch> <offset>" lines.
pub fn read_epoch_checkpoint(dir: &std::path::Path) -> Vec<(i32, i64)> {
    let path = dir.join("leader-epoch-checkpoint");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("0"), "{}: version", path.display());
    let count: usize = lines
        .next()
        .and_then(|l| l.parse().ok())
        .unwrap_or_else(|| panic!("{}: no entry count", path.display()));
    let entries: Vec<(i32, i64)> = lines
        .map(|l| {
            let (e, o) = l
                .split_once(' ')
                .unwrap_or_else(|| panic!("{}: entry {l:?}", path.display()));
            (e.parse().expect("epoch"), o.parse().expect("offset"))
        })
        .collect();
    assert_eq!(entries.len(), count, "{}: entry count", path.display());
    entries
}
