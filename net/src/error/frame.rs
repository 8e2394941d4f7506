use std::fmt;

/// A frame's 4-byte size prefix cannot be accepted. The stream has lost its framing, so the only
/// safe reaction is to close the connection (Kafka does the same).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// The size prefix is negative.
    NegativeSize { size: i32 },
    /// The size prefix exceeds the configured maximum (`socket.request.max.bytes`).
    Oversize {
        size_bytes: usize,
        max_size_bytes: usize,
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::NegativeSize { size } => {
                write!(f, "frame size prefix is negative ({size})")
            }
            FrameError::Oversize {
                size_bytes,
                max_size_bytes,
            } => write!(
                f,
                "frame of {size_bytes} bytes exceeds the maximum frame size of {max_size_bytes} bytes"
            ),
        }
    }
}

impl std::error::Error for FrameError {}
