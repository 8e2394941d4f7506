use std::fmt;

/// Why a request sent through a [`crate::client::PeerClient`] got no response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientError {
    /// No response within the request timeout; the connection was closed, as Java does.
    Timeout { timeout_ms: u64 },
    /// No connection to the peer (connect failed, or it closed while the request was in flight).
    Disconnected { reason: String },
    /// The peer does not serve this API at any version we can send (Java fails the request locally
    /// with UNSUPPORTED_VERSION in this case).
    UnsupportedVersion { api_key: i16 },
    /// The peer's response could not be decoded or does not match the request.
    BadResponse { reason: String },
    /// The request could not be encoded.
    Encode { reason: String },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Timeout { timeout_ms } => {
                write!(
                    f,
                    "no response within the request timeout of {timeout_ms} ms"
                )
            }
            ClientError::Disconnected { reason } => write!(f, "disconnected: {reason}"),
            ClientError::UnsupportedVersion { api_key } => {
                write!(f, "peer supports no common version of api key {api_key}")
            }
            ClientError::BadResponse { reason } => write!(f, "bad response: {reason}"),
            ClientError::Encode { reason } => write!(f, "cannot encode request: {reason}"),
        }
    }
}

impl std::error::Error for ClientError {}
