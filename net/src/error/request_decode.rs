use std::fmt;

use super::DecodeError;

/// Why an inbound request frame could not be turned into a request, and whether the peer can be
/// answered: every variant except [`RequestDecodeError::HeaderUnreadable`] carries the correlation
/// id, so the server answers with Kafka's error response; without it the connection is closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestDecodeError {
    /// Not even api key, api version and correlation id could be read.
    HeaderUnreadable { frame_size_bytes: usize },
    /// Correlation id readable; the rest of the header, or the body, is not acceptable.
    Rejected {
        api_key: i16,
        api_version: i16,
        correlation_id: i32,
        cause: DecodeError,
    },
}

impl fmt::Display for RequestDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestDecodeError::HeaderUnreadable { frame_size_bytes } => write!(
                f,
                "request frame of {frame_size_bytes} bytes is too short for a request header"
            ),
            RequestDecodeError::Rejected {
                api_key,
                api_version,
                correlation_id,
                cause,
            } => write!(
                f,
                "request (api key {api_key}, version {api_version}, correlation id {correlation_id}) rejected: {cause}"
            ),
        }
    }
}

impl std::error::Error for RequestDecodeError {}
