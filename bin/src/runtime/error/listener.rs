use std::fmt;
use std::io;

/// The Raft listener could not be opened: without it the node cannot take part in the quorum.
#[derive(Debug)]
pub struct ListenerError {
    /// `host:port` as configured.
    pub address: String,
    pub source: io::Error,
}

impl fmt::Display for ListenerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot listen on {}: {}", self.address, self.source)
    }
}

impl std::error::Error for ListenerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}
