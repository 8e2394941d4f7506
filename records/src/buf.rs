//! The growable buffers a batch can be written into.

use bytes::{BufMut, BytesMut};
use std::ops::DerefMut;

/// A growable byte buffer: `Vec<u8>`, or `BytesMut`, whose `split().freeze()` hands a finished
/// batch out as `Bytes` without allocating and whose space is reused once those `Bytes` are gone.
pub trait BatchBuf: DerefMut<Target = [u8]> {
    fn reserve_bytes(&mut self, additional: usize);
    /// Grows to `new_len`, the new bytes zeroed (callers overwrite them at once).
    fn grow_zeroed(&mut self, new_len: usize);
    fn put_slice_bytes(&mut self, bytes: &[u8]);
    fn put_byte(&mut self, byte: u8);
}

impl BatchBuf for Vec<u8> {
    fn reserve_bytes(&mut self, additional: usize) {
        self.reserve(additional);
    }
    fn grow_zeroed(&mut self, new_len: usize) {
        debug_assert!(new_len >= self.len());
        self.resize(new_len, 0);
    }
    fn put_slice_bytes(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    fn put_byte(&mut self, byte: u8) {
        self.push(byte);
    }
}

impl BatchBuf for BytesMut {
    fn reserve_bytes(&mut self, additional: usize) {
        self.reserve(additional);
    }
    fn grow_zeroed(&mut self, new_len: usize) {
        debug_assert!(new_len >= self.len());
        self.resize(new_len, 0);
    }
    fn put_slice_bytes(&mut self, bytes: &[u8]) {
        self.put_slice(bytes);
    }
    fn put_byte(&mut self, byte: u8) {
        self.put_u8(byte);
    }
}

/// A fixed-capacity buffer on the stack, for the few bytes of a record's prefix: the varints are
/// written here and reach the batch in one copy. Writing them byte by byte into a `BytesMut`
/// (a capacity check per byte) cost the core ~15 ns per record.
pub(crate) struct StackBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> StackBuf<N> {
    pub(crate) fn new() -> Self {
        StackBuf {
            bytes: [0; N],
            len: 0,
        }
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }
}

impl<const N: usize> std::ops::Deref for StackBuf<N> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl<const N: usize> DerefMut for StackBuf<N> {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[..self.len]
    }
}

impl<const N: usize> BatchBuf for StackBuf<N> {
    fn reserve_bytes(&mut self, additional: usize) {
        assert!(additional <= N - self.len, "stack buffer too small");
    }
    fn grow_zeroed(&mut self, new_len: usize) {
        assert!(
            new_len <= N && new_len >= self.len,
            "stack buffer too small"
        );
        self.bytes[self.len..new_len].fill(0);
        self.len = new_len;
    }
    fn put_slice_bytes(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        assert!(end <= N, "stack buffer too small");
        self.bytes[self.len..end].copy_from_slice(bytes);
        self.len = end;
    }
    fn put_byte(&mut self, byte: u8) {
        assert!(self.len < N, "stack buffer too small");
        self.bytes[self.len] = byte;
        self.len += 1;
    }
}
