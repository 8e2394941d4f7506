//! Writing a v2 batch once, in place, at the end of a buffer.

use crate::batch::{
    ATTRIBUTE_CONTROL, BATCH_HEADER_LEN, LOG_OVERHEAD, MAGIC_V2, OFFSET_ATTRIBUTES,
};
use crate::buf::StackBuf;
use crate::control::{ControlRecordType, LeaderChangeMessage};
use crate::varint::{varint_size, write_varint};
use crate::{BatchBuf, BatchHeader};

/// A batch being written at `start` of some buffer. It holds no borrow, so an accumulator can keep
/// it beside the buffer it owns across many appends; [`BatchBuilder`] is the borrowing convenience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenBatch {
    start: usize,
    base_offset: i64,
    partition_leader_epoch: i32,
    timestamp_ms: i64,
    control: bool,
    records_count: i32,
}

impl OpenBatch {
    /// Reserves the header at the end of `buf`.
    pub fn begin<B: BatchBuf>(
        buf: &mut B,
        base_offset: i64,
        partition_leader_epoch: i32,
        timestamp_ms: i64,
        control: bool,
    ) -> OpenBatch {
        assert!(base_offset >= 0, "base offset must not be negative");
        let start = buf.len();
        buf.grow_zeroed(start + BATCH_HEADER_LEN);
        OpenBatch {
            start,
            base_offset,
            partition_leader_epoch,
            timestamp_ms,
            control,
            records_count: 0,
        }
    }

    pub fn records_count(&self) -> i32 {
        self.records_count
    }

    pub fn base_offset(&self) -> i64 {
        self.base_offset
    }

    /// Offset the next appended record gets.
    pub fn next_offset(&self) -> i64 {
        self.base_offset + i64::from(self.records_count)
    }

    pub fn size_bytes(&self, buf: &[u8]) -> usize {
        buf.len() - self.start
    }

    /// Bytes a data record with a `value_len`-byte value adds to the batch.
    pub fn record_size_bytes(&self, value_len: usize) -> usize {
        let body = self.body_len(None, value_len);
        varint_size(body as i32) + body
    }

    fn body_len(&self, key_len: Option<usize>, value_len: usize) -> usize {
        let key = match key_len {
            None => varint_size(-1),
            Some(len) => varint_size(len as i32) + len,
        };
        // attributes + timestamp delta (0) + offset delta + key + value + header count (0)
        1 + 1
            + varint_size(self.records_count)
            + key
            + varint_size(value_len as i32)
            + value_len
            + 1
    }

    fn append<B: BatchBuf>(&mut self, buf: &mut B, key: Option<&[u8]>, value: &[u8]) {
        self.append_with(buf, key, value.len(), |out| out.copy_from_slice(value));
    }

    /// Writes the record around a value of `value_len` bytes that `fill` writes in place.
    fn append_with<B: BatchBuf>(
        &mut self,
        buf: &mut B,
        key: Option<&[u8]>,
        value_len: usize,
        fill: impl FnOnce(&mut [u8]),
    ) {
        assert!(!self.control || key.is_some(), "control records have keys");
        assert!(value_len < i32::MAX as usize / 2, "record too large");
        let body = self.body_len(key.map(<[u8]>::len), value_len);
        buf.reserve_bytes(varint_size(body as i32) + body);
        // The prefix is at most 5 (length) + 2 + 5 (offset delta) + 5 (key length) + 5 (value
        // length) bytes; it goes to the batch in at most two copies.
        let mut head = StackBuf::<24>::new();
        write_varint(&mut head, body as i32);
        head.put_byte(0); // attributes
        head.put_byte(0); // timestamp delta 0, zig-zag
        write_varint(&mut head, self.records_count);
        match key {
            None => write_varint(&mut head, -1),
            Some(key) => {
                write_varint(&mut head, key.len() as i32);
                buf.put_slice_bytes(&head);
                head.clear();
                buf.put_slice_bytes(key);
            }
        }
        write_varint(&mut head, value_len as i32);
        buf.put_slice_bytes(&head);
        let value_start = buf.len();
        // Capacity was reserved above, so this only zeroes the bytes `fill` overwrites and the
        // final byte, the header count (0: no headers).
        buf.grow_zeroed(value_start + value_len + 1);
        fill(&mut buf[value_start..value_start + value_len]);
        self.records_count += 1;
    }

    /// Appends a data record (null key, no headers).
    pub fn append_value<B: BatchBuf>(&mut self, buf: &mut B, value: &[u8]) {
        assert!(!self.control, "data record in a control batch");
        self.append(buf, None, value);
    }

    /// Appends a data record whose `value_len`-byte value `fill` writes straight into the batch,
    /// so a producer writes each record byte exactly once.
    pub fn append_value_with<B: BatchBuf>(
        &mut self,
        buf: &mut B,
        value_len: usize,
        fill: impl FnOnce(&mut [u8]),
    ) {
        assert!(!self.control, "data record in a control batch");
        self.append_with(buf, None, value_len, fill);
    }

    /// Appends a control record: key = version 0 + type, value = the encoded message.
    pub fn append_control<B: BatchBuf>(
        &mut self,
        buf: &mut B,
        control_type: ControlRecordType,
        value: &[u8],
    ) {
        assert!(self.control, "control record in a data batch");
        let mut key = [0u8; 4];
        key[2..4].copy_from_slice(&(control_type as i16).to_be_bytes());
        self.append(buf, Some(&key), value);
    }

    /// Fills in the header and CRC. The batch must hold at least one record.
    pub fn finish(self, buf: &mut [u8]) -> BatchHeader {
        assert!(self.records_count > 0, "empty batch");
        let batch = &mut buf[self.start..];
        let header = BatchHeader {
            base_offset: self.base_offset,
            batch_length: (batch.len() - LOG_OVERHEAD) as i32,
            partition_leader_epoch: self.partition_leader_epoch,
            magic: MAGIC_V2,
            crc: 0,
            attributes: if self.control { ATTRIBUTE_CONTROL } else { 0 },
            last_offset_delta: self.records_count - 1,
            base_timestamp: self.timestamp_ms,
            max_timestamp: self.timestamp_ms,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            records_count: self.records_count,
        };
        batch[0..8].copy_from_slice(&header.base_offset.to_be_bytes());
        batch[8..12].copy_from_slice(&header.batch_length.to_be_bytes());
        batch[12..16].copy_from_slice(&header.partition_leader_epoch.to_be_bytes());
        batch[16] = MAGIC_V2 as u8;
        batch[21..23].copy_from_slice(&header.attributes.to_be_bytes());
        batch[23..27].copy_from_slice(&header.last_offset_delta.to_be_bytes());
        batch[27..35].copy_from_slice(&header.base_timestamp.to_be_bytes());
        batch[35..43].copy_from_slice(&header.max_timestamp.to_be_bytes());
        batch[43..51].copy_from_slice(&header.producer_id.to_be_bytes());
        batch[51..53].copy_from_slice(&header.producer_epoch.to_be_bytes());
        batch[53..57].copy_from_slice(&header.base_sequence.to_be_bytes());
        batch[57..61].copy_from_slice(&header.records_count.to_be_bytes());
        let crc = crc32c::crc32c(&batch[OFFSET_ATTRIBUTES..]);
        batch[17..21].copy_from_slice(&crc.to_be_bytes());
        BatchHeader { crc, ..header }
    }
}

/// Writes one uncompressed v2 batch at the end of a borrowed buffer.
#[derive(Debug)]
pub struct BatchBuilder<'a> {
    buf: &'a mut Vec<u8>,
    open: OpenBatch,
}

impl<'a> BatchBuilder<'a> {
    pub fn new(
        buf: &'a mut Vec<u8>,
        base_offset: i64,
        partition_leader_epoch: i32,
        timestamp_ms: i64,
    ) -> Self {
        let open = OpenBatch::begin(
            buf,
            base_offset,
            partition_leader_epoch,
            timestamp_ms,
            false,
        );
        BatchBuilder { buf, open }
    }

    pub fn control(
        buf: &'a mut Vec<u8>,
        base_offset: i64,
        partition_leader_epoch: i32,
        timestamp_ms: i64,
    ) -> Self {
        let open = OpenBatch::begin(buf, base_offset, partition_leader_epoch, timestamp_ms, true);
        BatchBuilder { buf, open }
    }

    pub fn append_value(&mut self, value: &[u8]) {
        self.open.append_value(self.buf, value);
    }

    pub fn append_control(&mut self, control_type: ControlRecordType, value: &[u8]) {
        self.open.append_control(self.buf, control_type, value);
    }

    pub fn records_count(&self) -> i32 {
        self.open.records_count()
    }

    pub fn size_bytes(&self) -> usize {
        self.open.size_bytes(self.buf)
    }

    pub fn finish(self) -> BatchHeader {
        self.open.finish(self.buf)
    }
}

/// The control batch a new leader writes at the start of its epoch.
pub fn build_leader_change_batch(
    buf: &mut Vec<u8>,
    base_offset: i64,
    epoch: i32,
    timestamp_ms: i64,
    msg: &LeaderChangeMessage,
) -> BatchHeader {
    let mut value = Vec::with_capacity(16 + 5 * (msg.voters.len() + msg.granting_voters.len()));
    msg.encode(&mut value);
    let mut builder = BatchBuilder::control(buf, base_offset, epoch, timestamp_ms);
    builder.append_control(ControlRecordType::LeaderChange, &value);
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse_control_record, validate_batch, BatchIter, ControlRecord};

    #[test]
    fn data_batch_round_trips() {
        let mut buf = vec![0xAA; 3]; // unrelated prefix must be left alone
        let mut builder = BatchBuilder::new(&mut buf, 100, 7, 1_700_000_000_000);
        let predicted = OpenBatch::begin(&mut Vec::new(), 0, 0, 0, false).record_size_bytes(5);
        builder.append_value(b"hello");
        assert_eq!(builder.size_bytes(), BATCH_HEADER_LEN + predicted);
        builder.append_value(&[7u8; 300]);
        let header = builder.finish();
        assert_eq!(&buf[..3], &[0xAA; 3]);
        let parsed = validate_batch(&buf[3..]).unwrap();
        assert_eq!(parsed, header);
        assert_eq!(parsed.base_offset, 100);
        assert_eq!(parsed.last_offset(), 101);
        assert_eq!(parsed.partition_leader_epoch, 7);
        assert_eq!(parsed.size_bytes(), buf.len() - 3);
        let batch = BatchIter::new(&buf[3..]).next().unwrap().unwrap();
        let records: Vec<_> = batch.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].value, Some(&b"hello"[..]));
        assert_eq!(records[0].key, None);
        assert_eq!(records[1].offset_delta, 1);
        assert_eq!(records[1].value.unwrap().len(), 300);
    }

    #[test]
    fn bytes_mut_arena_builds_the_same_batch_as_a_vec() {
        let mut vec = Vec::new();
        let mut open = OpenBatch::begin(&mut vec, 3, 4, 5, false);
        open.append_value(&mut vec, b"abc");
        open.finish(&mut vec);
        let mut arena = bytes::BytesMut::with_capacity(1024);
        let mut open = OpenBatch::begin(&mut arena, 3, 4, 5, false);
        open.append_value_with(&mut arena, 3, |out| out.copy_from_slice(b"abc"));
        open.finish(&mut arena);
        let frozen = arena.split().freeze();
        assert_eq!(&frozen[..], &vec[..]);
        assert!(arena.is_empty(), "the arena keeps only its spare capacity");
    }

    #[test]
    fn value_written_in_place_equals_copied_value() {
        let mut copied = Vec::new();
        let mut open = OpenBatch::begin(&mut copied, 5, 2, 9, false);
        open.append_value(&mut copied, b"in place");
        open.finish(&mut copied);
        let mut in_place = Vec::new();
        let mut open = OpenBatch::begin(&mut in_place, 5, 2, 9, false);
        open.append_value_with(&mut in_place, 8, |out| out.copy_from_slice(b"in place"));
        open.finish(&mut in_place);
        assert_eq!(copied, in_place);
    }

    #[test]
    fn crc_covers_records_but_not_offset_or_epoch() {
        let mut buf = Vec::new();
        let mut builder = BatchBuilder::new(&mut buf, 0, 1, 0);
        builder.append_value(b"x");
        builder.finish();
        crate::set_base_offset(&mut buf, 42);
        crate::set_partition_leader_epoch(&mut buf, 9);
        assert_eq!(validate_batch(&buf).unwrap().base_offset, 42);
        let last = buf.len() - 2;
        buf[last] ^= 1;
        assert!(matches!(
            validate_batch(&buf),
            Err(crate::BatchError::CrcMismatch { .. })
        ));
    }

    #[test]
    fn leader_change_batch_matches_spec_example() {
        let msg = LeaderChangeMessage {
            version: 0,
            leader_id: 1,
            voters: vec![1, 2, 3],
            granting_voters: vec![1, 2],
        };
        let mut buf = Vec::new();
        let header = build_leader_change_batch(&mut buf, 0, 1, 5, &msg);
        assert!(header.is_control());
        let batch = BatchIter::new(&buf).next().unwrap().unwrap();
        let record = batch.records().next().unwrap().unwrap();
        assert_eq!(record.key, Some(&[0u8, 0, 0, 2][..]));
        // The 34-byte value from KRAFT.md 4.2, written out by hand.
        let expected: [u8; 34] = [
            0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 3, 0, 0, 0, 1, 0, 0,
            0, 0, 2, 0, 0,
        ];
        assert_eq!(record.value.unwrap(), &expected[..]);
        assert_eq!(
            parse_control_record(&record).unwrap(),
            ControlRecord::LeaderChange(msg)
        );
    }
}
