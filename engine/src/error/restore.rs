use std::fmt;

use super::ConfigError;

/// The node cannot start from its configuration and restored state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestoreError {
    Config(ConfigError),
    /// The persisted election state or log metadata contradict each other.
    Inconsistent(String),
}

impl fmt::Display for RestoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestoreError::Config(e) => write!(f, "{e}"),
            RestoreError::Inconsistent(msg) => write!(f, "inconsistent restored raft state: {msg}"),
        }
    }
}

impl std::error::Error for RestoreError {}

impl From<ConfigError> for RestoreError {
    fn from(e: ConfigError) -> Self {
        RestoreError::Config(e)
    }
}
