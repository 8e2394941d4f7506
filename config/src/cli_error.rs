//! Errors of the server's command line.

use std::fmt;

/// A command line that cannot be run. Each renders as one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// `--config` was not given.
    MissingConfig,
    /// A flag that takes a value was last on the line.
    MissingValue { flag: String },
    /// A value that does not parse or is out of range.
    BadValue {
        flag: String,
        token: String,
        reason: String,
    },
    /// An argument the server does not know.
    UnknownArgument { token: String },
    /// An argument that is not valid UTF-8.
    NotUnicode { lossy: String },
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::MissingConfig => {
                write!(f, "missing required option --config FILE (try --help)")
            }
            CliError::MissingValue { flag } => write!(f, "option {flag} needs a value"),
            CliError::BadValue {
                flag,
                token,
                reason,
            } => write!(f, "invalid value `{token}` for {flag}: {reason}"),
            CliError::UnknownArgument { token } => {
                write!(f, "unknown argument `{token}` (try --help)")
            }
            CliError::NotUnicode { lossy } => {
                write!(f, "argument `{lossy}` is not valid UTF-8")
            }
        }
    }
}

impl std::error::Error for CliError {}
