use std::fmt;

/// Bytes that do not form a valid message of the expected schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended inside `field`.
    Truncated { field: &'static str },
    /// `field` holds a value the schema does not allow (negative length, count larger than the
    /// remaining input, tag not valid for the version, ...).
    Invalid { field: &'static str, reason: String },
    /// The API key is not one this node handles.
    UnknownApiKey { api_key: i16 },
    /// The API is known but not at this version.
    UnsupportedVersion { api_key: i16, api_version: i16 },
    /// The structure was accepted by our bounds check but `kafka-protocol` rejected it (for
    /// example invalid UTF-8 in a string).
    Codec { reason: String },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated { field } => write!(f, "input ends inside field {field}"),
            DecodeError::Invalid { field, reason } => {
                write!(f, "invalid value in field {field}: {reason}")
            }
            DecodeError::UnknownApiKey { api_key } => write!(f, "unknown api key {api_key}"),
            DecodeError::UnsupportedVersion {
                api_key,
                api_version,
            } => write!(
                f,
                "api key {api_key} is not supported at version {api_version}"
            ),
            DecodeError::Codec { reason } => write!(f, "message rejected by the codec: {reason}"),
        }
    }
}

impl std::error::Error for DecodeError {}

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
