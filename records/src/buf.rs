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
