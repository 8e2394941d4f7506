//! Kafka framing: every request and response is `int32 size` (big-endian, not counting itself)
//! followed by `size` bytes of header and body.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::FrameError;

/// Kafka's `socket.request.max.bytes` default.
pub const DEFAULT_MAX_FRAME_SIZE_BYTES: usize = 104_857_600;

/// Bytes of the size prefix.
pub const FRAME_SIZE_PREFIX_BYTES: usize = 4;

/// Validates a size prefix before anything is allocated for the frame body.
pub fn read_frame_size(prefix: [u8; 4], max_frame_size_bytes: usize) -> Result<usize, FrameError> {
    let size = i32::from_be_bytes(prefix);
    if size < 0 {
        return Err(FrameError::NegativeSize { size });
    }
    let size_bytes = size as usize;
    if size_bytes > max_frame_size_bytes {
        return Err(FrameError::Oversize {
            size_bytes,
            max_size_bytes: max_frame_size_bytes,
        });
    }
    Ok(size_bytes)
}

/// Splits complete frames off the front of a receive buffer.
#[derive(Clone, Copy, Debug)]
pub struct FrameDecoder {
    max_frame_size_bytes: usize,
}

impl FrameDecoder {
    pub fn new(max_frame_size_bytes: usize) -> Self {
        FrameDecoder {
            max_frame_size_bytes,
        }
    }

    pub fn max_frame_size_bytes(&self) -> usize {
        self.max_frame_size_bytes
    }

    /// Bytes the caller should have buffered before calling [`FrameDecoder::decode`] again: the
    /// prefix, or prefix plus the (already validated) body. The caller reserves at most this
    /// much, so an oversize prefix never causes an allocation.
    pub fn bytes_needed(&self, buf: &[u8]) -> Result<usize, FrameError> {
        if buf.len() < FRAME_SIZE_PREFIX_BYTES {
            return Ok(FRAME_SIZE_PREFIX_BYTES);
        }
        let prefix = [buf[0], buf[1], buf[2], buf[3]];
        Ok(FRAME_SIZE_PREFIX_BYTES + read_frame_size(prefix, self.max_frame_size_bytes)?)
    }

    /// Removes and returns the first complete frame body (without its prefix), or `None` if more
    /// bytes are needed.
    pub fn decode(&self, buf: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        let needed = self.bytes_needed(buf)?;
        if buf.len() < needed {
            return Ok(None);
        }
        let mut frame = buf.split_to(needed);
        frame.advance(FRAME_SIZE_PREFIX_BYTES);
        Ok(Some(frame.freeze()))
    }
}

impl Default for FrameDecoder {
    fn default() -> Self {
        FrameDecoder::new(DEFAULT_MAX_FRAME_SIZE_BYTES)
    }
}

/// Writes the 4-byte size prefix for a frame whose header and body are `size_bytes` long.
pub fn frame_size_prefix(size_bytes: usize) -> Option<[u8; 4]> {
    i32::try_from(size_bytes).ok().map(i32::to_be_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_frames_and_waits_for_more() {
        let decoder = FrameDecoder::new(16);
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&[0, 0, 0, 3, b'a', b'b']);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        buf.extend_from_slice(&[b'c', 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            decoder.decode(&mut buf),
            Ok(Some(Bytes::from_static(b"abc")))
        );
        assert_eq!(decoder.decode(&mut buf), Ok(Some(Bytes::new())));
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert_eq!(&buf[..], &[0, 0]);
    }

    #[test]
    fn rejects_oversize_and_negative_before_the_body_arrives() {
        let decoder = FrameDecoder::new(16);
        let mut buf = BytesMut::from(&[0u8, 0, 0, 17][..]);
        assert_eq!(
            decoder.decode(&mut buf),
            Err(FrameError::Oversize {
                size_bytes: 17,
                max_size_bytes: 16
            })
        );
        let mut buf = BytesMut::from(&[0xffu8, 0xff, 0xff, 0xfe][..]);
        assert_eq!(
            decoder.decode(&mut buf),
            Err(FrameError::NegativeSize { size: -2 })
        );
        assert_eq!(
            FrameDecoder::default().bytes_needed(&[0x06, 0x40, 0x00, 0x00]),
            Ok(4 + DEFAULT_MAX_FRAME_SIZE_BYTES)
        );
        assert!(FrameDecoder::default()
            .bytes_needed(&[0x06, 0x40, 0x00, 0x01])
            .is_err());
    }
}
