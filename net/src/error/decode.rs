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
