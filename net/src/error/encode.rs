use std::fmt;

/// A message could not be encoded (a field too long for its length prefix, a version the message
/// does not have). Always a bug of the caller or of the data it was given, never of the peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeError {
    pub api_key: i16,
    pub api_version: i16,
    pub reason: String,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot encode api key {} version {}: {}",
            self.api_key, self.api_version, self.reason
        )
    }
}

impl std::error::Error for EncodeError {}
