//! Records inside an uncompressed v2 batch.

use crate::varint::{read_varint, read_varlong};
use crate::BatchError;

/// One record, borrowed from its batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    pub attributes: i8,
    pub timestamp_delta: i64,
    pub offset_delta: i32,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers_count: i32,
}

/// Iterates over the records section of a batch; bounded by RecordsCount.
#[derive(Debug, Clone)]
pub struct RecordIter<'a> {
    buf: &'a [u8],
    position: usize,
    remaining: i32,
}

impl<'a> RecordIter<'a> {
    pub(crate) fn new(buf: &'a [u8], records_count: i32) -> Self {
        RecordIter {
            buf,
            position: 0,
            remaining: records_count.max(0),
        }
    }

    fn parse_one(&mut self) -> Result<Record<'a>, BatchError> {
        let buf = self.buf;
        let mut pos = self.position;
        let length = read_varint(buf, &mut pos)?;
        if length < 0 {
            return Err(BatchError::BadRecord("negative record length"));
        }
        let end = pos
            .checked_add(length as usize)
            .filter(|&end| end <= buf.len())
            .ok_or(BatchError::BadRecord("record length beyond batch"))?;
        let body = &buf[..end];
        let attributes = *body
            .get(pos)
            .ok_or(BatchError::BadRecord("missing attributes"))? as i8;
        pos += 1;
        let timestamp_delta = read_varlong(body, &mut pos)?;
        let offset_delta = read_varint(body, &mut pos)?;
        let key = read_bytes(body, &mut pos)?;
        let value = read_bytes(body, &mut pos)?;
        let headers_count = read_varint(body, &mut pos)?;
        if headers_count < 0 {
            return Err(BatchError::BadRecord("negative header count"));
        }
        // Headers are skipped: KRaft writes none, but a foreign writer may.
        for _ in 0..headers_count {
            let header_key_len = read_varint(body, &mut pos)?;
            if header_key_len < 0 {
                return Err(BatchError::BadRecord("null header key"));
            }
            skip(body, &mut pos, header_key_len as usize)?;
            read_bytes(body, &mut pos)?;
        }
        if pos != end {
            return Err(BatchError::BadRecord(
                "record length disagrees with its fields",
            ));
        }
        self.position = end;
        Ok(Record {
            attributes,
            timestamp_delta,
            offset_delta,
            key,
            value,
            headers_count,
        })
    }
}

fn skip(buf: &[u8], pos: &mut usize, len: usize) -> Result<(), BatchError> {
    let end = pos
        .checked_add(len)
        .filter(|&end| end <= buf.len())
        .ok_or(BatchError::BadRecord("field beyond record"))?;
    *pos = end;
    Ok(())
}

fn read_bytes<'a>(buf: &'a [u8], pos: &mut usize) -> Result<Option<&'a [u8]>, BatchError> {
    let len = read_varint(buf, pos)?;
    if len < 0 {
        return Ok(None);
    }
    let start = *pos;
    skip(buf, pos, len as usize)?;
    Ok(Some(&buf[start..*pos]))
}

impl<'a> Iterator for RecordIter<'a> {
    type Item = Result<Record<'a>, BatchError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let result = self.parse_one();
        if result.is_err() {
            self.remaining = 0;
        }
        Some(result)
    }
}
