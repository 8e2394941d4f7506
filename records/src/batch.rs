//! Batch header parsing, validation and iteration.

use crate::record::RecordIter;
use crate::BatchError;

/// BaseOffset (8) + BatchLength (4): the bytes not counted in BatchLength.
pub const LOG_OVERHEAD: usize = 12;
/// Size of the v2 header, up to the first record.
pub const BATCH_HEADER_LEN: usize = 61;
pub const MAGIC_V2: i8 = 2;
/// Attribute bit 5: the batch holds only control records.
pub const ATTRIBUTE_CONTROL: i16 = 0x20;
/// Bits 0-2 of the attributes: compression codec (KRaft writes none).
const ATTRIBUTE_COMPRESSION_MASK: i16 = 0x07;

const OFFSET_BATCH_LENGTH: usize = 8;
const OFFSET_LEADER_EPOCH: usize = 12;
const OFFSET_MAGIC: usize = 16;
const OFFSET_CRC: usize = 17;
/// The CRC covers everything from the attributes on, so offset, length and epoch can be stamped
/// without recomputing it.
pub(crate) const OFFSET_ATTRIBUTES: usize = 21;
/// Kafka refuses anything larger than a segment; 1 GiB bounds a corrupt length field.
const MAX_BATCH_LENGTH: i32 = 1 << 30;

/// The fixed 61-byte header of a v2 record batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    pub base_offset: i64,
    pub batch_length: i32,
    pub partition_leader_epoch: i32,
    pub magic: i8,
    pub crc: u32,
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub records_count: i32,
}

fn be_i64(buf: &[u8], at: usize) -> i64 {
    i64::from_be_bytes(buf[at..at + 8].try_into().expect("8 bytes"))
}
fn be_i32(buf: &[u8], at: usize) -> i32 {
    i32::from_be_bytes(buf[at..at + 4].try_into().expect("4 bytes"))
}
fn be_i16(buf: &[u8], at: usize) -> i16 {
    i16::from_be_bytes(buf[at..at + 2].try_into().expect("2 bytes"))
}

impl BatchHeader {
    /// Parses the header at the start of `buf`. Checks magic and that the length is plausible;
    /// does not check that the whole batch is present nor its CRC (see [`validate_batch`]).
    pub fn parse(buf: &[u8]) -> Result<BatchHeader, BatchError> {
        if buf.len() < BATCH_HEADER_LEN {
            return Err(BatchError::Truncated {
                needed: BATCH_HEADER_LEN,
                available: buf.len(),
            });
        }
        let header = BatchHeader {
            base_offset: be_i64(buf, 0),
            batch_length: be_i32(buf, OFFSET_BATCH_LENGTH),
            partition_leader_epoch: be_i32(buf, OFFSET_LEADER_EPOCH),
            magic: buf[OFFSET_MAGIC] as i8,
            crc: u32::from_be_bytes(buf[OFFSET_CRC..OFFSET_CRC + 4].try_into().expect("4 bytes")),
            attributes: be_i16(buf, 21),
            last_offset_delta: be_i32(buf, 23),
            base_timestamp: be_i64(buf, 27),
            max_timestamp: be_i64(buf, 35),
            producer_id: be_i64(buf, 43),
            producer_epoch: be_i16(buf, 51),
            base_sequence: be_i32(buf, 53),
            records_count: be_i32(buf, 57),
        };
        if header.magic != MAGIC_V2 {
            return Err(BatchError::BadMagic(header.magic));
        }
        let min_length = (BATCH_HEADER_LEN - LOG_OVERHEAD) as i32;
        if header.batch_length < min_length || header.batch_length > MAX_BATCH_LENGTH {
            return Err(BatchError::BadLength(header.batch_length));
        }
        if header.last_offset_delta < 0
            || header.records_count < 0
            || (header.attributes & ATTRIBUTE_COMPRESSION_MASK == 0
                && header.records_count > 0
                && header.records_count - 1 != header.last_offset_delta)
        {
            return Err(BatchError::BadCount {
                records_count: header.records_count,
                last_offset_delta: header.last_offset_delta,
            });
        }
        if header.base_offset < 0
            || header
                .base_offset
                .checked_add(i64::from(header.last_offset_delta))
                .is_none()
        {
            return Err(BatchError::BadRecord("negative or overflowing base offset"));
        }
        Ok(header)
    }

    /// Total bytes of the batch including offset and length fields.
    pub fn size_bytes(&self) -> usize {
        self.batch_length as usize + LOG_OVERHEAD
    }

    pub fn last_offset(&self) -> i64 {
        self.base_offset + i64::from(self.last_offset_delta)
    }

    pub fn next_offset(&self) -> i64 {
        self.last_offset() + 1
    }

    pub fn is_control(&self) -> bool {
        self.attributes & ATTRIBUTE_CONTROL != 0
    }

    pub fn compression(&self) -> i16 {
        self.attributes & ATTRIBUTE_COMPRESSION_MASK
    }
}

/// Validates the batch starting at `buf[0]` (the slice may continue past it): header, the whole
/// batch present, CRC-32C.
pub fn validate_batch(buf: &[u8]) -> Result<BatchHeader, BatchError> {
    let header = frame_batch(buf)?;
    let size = header.size_bytes();
    let computed = crc32c::crc32c(&buf[OFFSET_ATTRIBUTES..size]);
    if computed != header.crc {
        return Err(BatchError::CrcMismatch {
            stored: header.crc,
            computed,
        });
    }
    Ok(header)
}

/// Overwrites BaseOffset in place (not covered by the CRC).
pub fn set_base_offset(batch: &mut [u8], base_offset: i64) {
    assert!(batch.len() >= BATCH_HEADER_LEN, "not a batch");
    batch[0..8].copy_from_slice(&base_offset.to_be_bytes());
}

/// Overwrites PartitionLeaderEpoch in place (not covered by the CRC).
pub fn set_partition_leader_epoch(batch: &mut [u8], epoch: i32) {
    assert!(batch.len() >= BATCH_HEADER_LEN, "not a batch");
    batch[OFFSET_LEADER_EPOCH..OFFSET_LEADER_EPOCH + 4].copy_from_slice(&epoch.to_be_bytes());
}

/// Like [`validate_batch`] without the CRC: for bytes whose CRC this process already checked or
/// computed (a fetched batch the core verified, a batch it built, the log it recovered), where a
/// second pass over every byte would only cost CPU (measured at the maximum rate: each byte went
/// through CRC-32C seven times across the quorum; 14% of all CPU).
pub fn frame_batch(buf: &[u8]) -> Result<BatchHeader, BatchError> {
    let header = BatchHeader::parse(buf)?;
    let size = header.size_bytes();
    if buf.len() < size {
        return Err(BatchError::Truncated {
            needed: size,
            available: buf.len(),
        });
    }
    Ok(header)
}

/// One whole batch borrowed from a larger buffer (CRC-checked unless it came from
/// [`BatchIter::verified`]).
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub header: BatchHeader,
    /// The whole batch, header included.
    pub bytes: &'a [u8],
}

impl<'a> Batch<'a> {
    /// The records of an uncompressed batch.
    pub fn records(&self) -> RecordIter<'a> {
        RecordIter::new(&self.bytes[BATCH_HEADER_LEN..], self.header.records_count)
    }
}

/// Iterates over concatenated batches (a segment, a Fetch response's records).
///
/// Stops with `None` at the end or at a trailing partial batch (Kafka allows a fetch response to end
/// in a cut-off batch); yields an error for a corrupt batch and then stops.
#[derive(Debug, Clone)]
pub struct BatchIter<'a> {
    buf: &'a [u8],
    position: usize,
    failed: bool,
    check_crc: bool,
}

impl<'a> BatchIter<'a> {
    /// Checks every batch's CRC-32C.
    pub fn new(buf: &'a [u8]) -> Self {
        BatchIter {
            buf,
            position: 0,
            failed: false,
            check_crc: true,
        }
    }

    /// For bytes whose CRCs were already checked in this process (see [`frame_batch`]): the
    /// framing and headers are still checked, the CRC is not.
    pub fn verified(buf: &'a [u8]) -> Self {
        BatchIter {
            check_crc: false,
            ..BatchIter::new(buf)
        }
    }

    /// Bytes of whole valid batches consumed so far.
    pub fn position(&self) -> usize {
        self.position
    }

    /// True when the bytes after `position` are a prefix of a batch (or nothing).
    pub fn at_partial_tail(&self) -> bool {
        let rest = &self.buf[self.position..];
        match BatchHeader::parse(rest) {
            Ok(header) => rest.len() < header.size_bytes(),
            Err(BatchError::Truncated { .. }) => true,
            Err(_) => false,
        }
    }
}

impl<'a> Iterator for BatchIter<'a> {
    type Item = Result<Batch<'a>, BatchError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.position >= self.buf.len() {
            return None;
        }
        let rest = &self.buf[self.position..];
        let checked = if self.check_crc {
            validate_batch(rest)
        } else {
            frame_batch(rest)
        };
        match checked {
            Ok(header) => {
                let size = header.size_bytes();
                self.position += size;
                Some(Ok(Batch {
                    header,
                    bytes: &rest[..size],
                }))
            }
            // A cut-off batch at the end is not corruption, just the end of what was sent.
            Err(BatchError::Truncated { .. }) => None,
            Err(error) => {
                self.failed = true;
                Some(Err(error))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BatchBuilder;

    fn two_batches() -> Vec<u8> {
        let mut buf = Vec::new();
        let mut b = BatchBuilder::new(&mut buf, 0, 1, 0);
        b.append_value(b"a");
        b.append_value(b"b");
        b.finish();
        let mut b = BatchBuilder::new(&mut buf, 2, 1, 0);
        b.append_value(b"c");
        b.finish();
        buf
    }

    #[test]
    fn iterator_stops_at_partial_tail_at_every_cut() {
        let buf = two_batches();
        let first = BatchHeader::parse(&buf).unwrap().size_bytes();
        for cut in 0..=buf.len() {
            let mut iter = BatchIter::new(&buf[..cut]);
            let whole: Vec<_> = iter.by_ref().map(Result::unwrap).collect();
            let expected = if cut == buf.len() {
                2
            } else {
                usize::from(cut >= first)
            };
            assert_eq!(whole.len(), expected, "cut at {cut}");
            assert!(iter.at_partial_tail());
        }
    }

    #[test]
    fn corrupt_bytes_never_panic_and_are_reported() {
        let buf = two_batches();
        let first = BatchHeader::parse(&buf).unwrap().size_bytes();
        for i in 0..buf.len() {
            for bit in 0..8 {
                let mut copy = buf.clone();
                copy[i] ^= 1 << bit;
                let results: Vec<_> = BatchIter::new(&copy).collect();
                for batch in results.iter().flatten() {
                    for record in batch.records() {
                        let _ = record;
                    }
                }
                // Each batch's offset (0..8) and epoch (12..16) are outside the CRC by design.
                let rel = if i >= first { i - first } else { i };
                if (8..12).contains(&rel) || rel >= 16 {
                    let all_ok = results.len() == 2 && results.iter().all(Result::is_ok);
                    assert!(!all_ok, "flip at byte {i} bit {bit} went unnoticed");
                }
            }
        }
    }

    #[test]
    fn verified_iteration_skips_only_the_crc() {
        let mut buf = two_batches();
        let first = BatchHeader::parse(&buf).unwrap().size_bytes();
        // A flipped value byte: only the CRC can notice.
        let last = buf.len() - 1;
        buf[last] ^= 0x40;
        assert!(matches!(
            validate_batch(&buf[first..]),
            Err(BatchError::CrcMismatch { .. })
        ));
        assert_eq!(frame_batch(&buf[first..]).unwrap().base_offset, 2);
        assert_eq!(BatchIter::verified(&buf).filter(Result::is_ok).count(), 2);
        assert!(BatchIter::new(&buf).any(|b| b.is_err()));
        // Framing is still checked: a cut-off batch and a bad magic byte.
        assert!(matches!(
            frame_batch(&buf[..first - 1]),
            Err(BatchError::Truncated { .. })
        ));
        let mut bad_magic = two_batches();
        bad_magic[16] = 1;
        assert!(frame_batch(&bad_magic).is_err());
        assert!(BatchIter::verified(&bad_magic).next().unwrap().is_err());
    }
}
