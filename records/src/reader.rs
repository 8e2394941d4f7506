//! A cursor over a flexible-encoded (KIP-482) message, as control record values are written, and
//! the matching writers. Every read is bounds-checked and every length is checked against the
//! bytes left before anything is allocated, so a malformed record can neither panic nor make a
//! node allocate more than the record's own size.

use crate::varint::{read_unsigned, write_unsigned};
use crate::{BatchError, Uuid};

pub(crate) struct Reader<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], BatchError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.buf.len())
            .ok_or(BatchError::Truncated {
                needed: self.pos.saturating_add(n),
                available: self.buf.len(),
            })?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    pub(crate) fn i16(&mut self) -> Result<i16, BatchError> {
        Ok(i16::from_be_bytes(
            self.take(2)?.try_into().expect("2 bytes"),
        ))
    }

    pub(crate) fn u16(&mut self) -> Result<u16, BatchError> {
        Ok(u16::from_be_bytes(
            self.take(2)?.try_into().expect("2 bytes"),
        ))
    }

    pub(crate) fn i32(&mut self) -> Result<i32, BatchError> {
        Ok(i32::from_be_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }

    pub(crate) fn i64(&mut self) -> Result<i64, BatchError> {
        Ok(i64::from_be_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }

    pub(crate) fn uuid(&mut self) -> Result<Uuid, BatchError> {
        Ok(Uuid(self.take(16)?.try_into().expect("16 bytes")))
    }

    pub(crate) fn uvarint(&mut self) -> Result<u64, BatchError> {
        read_unsigned(self.buf, &mut self.pos, 5)
    }

    /// A non-nullable compact string (length + 1 as an unsigned varint, then UTF-8).
    pub(crate) fn compact_string(&mut self) -> Result<String, BatchError> {
        let len_plus_one = self.uvarint()?;
        if len_plus_one == 0 {
            return Err(BatchError::BadControlRecord("null string"));
        }
        let bytes = self.take((len_plus_one - 1) as usize)?;
        std::str::from_utf8(bytes)
            .map(str::to_string)
            .map_err(|_| BatchError::BadControlRecord("string is not UTF-8"))
    }

    /// The length of a non-nullable compact array whose elements take at least
    /// `min_element_bytes` each: checked against the bytes left, so the caller may allocate it.
    pub(crate) fn compact_array_len(
        &mut self,
        min_element_bytes: usize,
    ) -> Result<usize, BatchError> {
        let len_plus_one = self.uvarint()?;
        if len_plus_one == 0 {
            return Err(BatchError::BadControlRecord("null array"));
        }
        let len = (len_plus_one - 1) as usize;
        if len > self.remaining() / min_element_bytes.max(1) {
            return Err(BatchError::BadControlRecord("array longer than message"));
        }
        Ok(len)
    }

    /// Skips a tagged-field section: count, then (tag, size, bytes) each. Unknown tags are ignored,
    /// as the flexible encoding requires.
    pub(crate) fn skip_tagged_fields(&mut self) -> Result<(), BatchError> {
        let count = self.uvarint()?;
        if count > self.buf.len() as u64 {
            return Err(BatchError::BadControlRecord(
                "tagged field count beyond message",
            ));
        }
        for _ in 0..count {
            self.uvarint()?;
            let size = self.uvarint()? as usize;
            self.take(size)?;
        }
        Ok(())
    }

    /// A compact array of `{ int32, tagged fields }` structs.
    pub(crate) fn voter_ids(&mut self) -> Result<Vec<i32>, BatchError> {
        let len_plus_one = self.uvarint()?;
        if len_plus_one == 0 {
            return Ok(Vec::new());
        }
        let len = (len_plus_one - 1) as usize;
        // Each element takes at least 5 bytes: bounds the allocation by the input size.
        if len > self.remaining() / 5 {
            return Err(BatchError::BadControlRecord(
                "voter array longer than message",
            ));
        }
        let mut ids = Vec::with_capacity(len);
        for _ in 0..len {
            ids.push(self.i32()?);
            self.skip_tagged_fields()?;
        }
        Ok(ids)
    }
}

/// Writes a compact string (length + 1, then the bytes).
pub(crate) fn write_compact_string(out: &mut Vec<u8>, text: &str) {
    write_unsigned(out, text.len() as u64 + 1);
    out.extend_from_slice(text.as_bytes());
}

/// Writes a compact array's length (length + 1).
pub(crate) fn write_compact_array_len(out: &mut Vec<u8>, len: usize) {
    write_unsigned(out, len as u64 + 1);
}
