//! Errors of the typed server configuration.

use std::fmt;

use crate::properties_error::PropertiesError;

/// Where a bad setting is: file, line (when the key is present) and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub source: String,
    pub line: Option<usize>,
    pub key: String,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: `{}`", self.source, self.key),
            None => write!(f, "{}: `{}`", self.source, self.key),
        }
    }
}

/// What is wrong with a setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// A required key is absent or empty.
    Missing,
    /// An integer setting whose value is not an integer.
    NotANumber { token: String },
    /// An integer outside the accepted range.
    OutOfRange { value: i64, min: i64, max: i64 },
    /// A boolean setting that is neither `true` nor `false`.
    NotABoolean { token: String },
    /// A `controller.quorum.voters` entry that is not `id@host:port`.
    MalformedVoter { token: String, reason: String },
    /// Two voter entries with the same id.
    DuplicateVoter { id: i32 },
    /// A `listeners` entry that is not `NAME://host:port`.
    MalformedListener { token: String, reason: String },
    /// Two listeners with the same name.
    DuplicateListener { name: String },
    /// A `host:port` entry (bootstrap servers) that is malformed.
    MalformedHostPort { token: String, reason: String },
    /// A `controller.listener.names` entry that `listeners` does not define.
    UnknownControllerListener { name: String, defined: Vec<String> },
    /// A `process.roles` entry other than `broker` or `controller`.
    UnknownRole { token: String },
    /// A `listener.security.protocol.map` entry that is not `NAME:PROTOCOL`.
    MalformedProtocolMapEntry { token: String },
    /// The Raft listener has no security protocol in the map.
    NoSecurityProtocol { listener: String },
    /// The Raft listener uses a protocol this server does not speak.
    UnsupportedSecurityProtocol { listener: String, protocol: String },
    /// Neither `controller.quorum.voters` nor
    /// `controller.quorum.bootstrap.servers` is set.
    NoQuorum,
    /// A CPU id the machine (or this process's affinity mask) lacks.
    CpuNotAvailable { cpu: usize, available: Vec<usize> },
    /// A CPU placement that is neither a CPU id nor a list of ids and ranges.
    InvalidCpuSet { token: String, reason: String },
}

/// A configuration that cannot be used.
#[derive(Debug)]
pub enum ConfigError {
    /// The file could not be read or has a malformed escape.
    Properties(PropertiesError),
    /// A setting is missing or invalid.
    Invalid {
        location: Location,
        kind: ConfigErrorKind,
    },
}

impl ConfigError {
    /// The key at fault, if the error is about one setting.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Properties(PropertiesError::MalformedUnicodeEscape { key, .. }) => {
                key.as_deref()
            }
            ConfigError::Properties(PropertiesError::Io { .. }) => None,
            ConfigError::Invalid { location, .. } => Some(&location.key),
        }
    }

    /// The typed reason, if the error is about one setting.
    pub fn kind(&self) -> Option<&ConfigErrorKind> {
        match self {
            ConfigError::Invalid { kind, .. } => Some(kind),
            ConfigError::Properties(_) => None,
        }
    }
}

impl From<PropertiesError> for ConfigError {
    fn from(error: PropertiesError) -> Self {
        ConfigError::Properties(error)
    }
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|item| item.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for ConfigErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigErrorKind::Missing => write!(f, "required setting is missing"),
            ConfigErrorKind::NotANumber { token } => {
                write!(f, "`{token}` is not an integer")
            }
            ConfigErrorKind::OutOfRange { value, min, max } => {
                write!(f, "{value} is out of range [{min}, {max}]")
            }
            ConfigErrorKind::NotABoolean { token } => {
                write!(f, "`{token}` is not a boolean (expected true or false)")
            }
            ConfigErrorKind::MalformedVoter { token, reason } => {
                write!(f, "malformed voter `{token}`: {reason} (expected id@host:port)")
            }
            ConfigErrorKind::DuplicateVoter { id } => {
                write!(f, "voter id {id} appears more than once")
            }
            ConfigErrorKind::MalformedListener { token, reason } => {
                write!(
                    f,
                    "malformed listener `{token}`: {reason} (expected NAME://host:port)"
                )
            }
            ConfigErrorKind::DuplicateListener { name } => {
                write!(f, "listener name `{name}` appears more than once")
            }
            ConfigErrorKind::MalformedHostPort { token, reason } => {
                write!(f, "malformed address `{token}`: {reason} (expected host:port)")
            }
            ConfigErrorKind::UnknownControllerListener { name, defined } => {
                write!(
                    f,
                    "listener `{name}` is not defined in `listeners` (defined: {})",
                    if defined.is_empty() {
                        "none".to_string()
                    } else {
                        join(defined)
                    }
                )
            }
            ConfigErrorKind::UnknownRole { token } => {
                write!(f, "unknown role `{token}` (expected broker or controller)")
            }
            ConfigErrorKind::MalformedProtocolMapEntry { token } => {
                write!(f, "malformed entry `{token}` (expected NAME:PROTOCOL)")
            }
            ConfigErrorKind::NoSecurityProtocol { listener } => {
                write!(f, "no security protocol defined for listener `{listener}`")
            }
            ConfigErrorKind::UnsupportedSecurityProtocol { listener, protocol } => {
                write!(
                    f,
                    "listener `{listener}` uses security protocol `{protocol}`; only PLAINTEXT is supported"
                )
            }
            ConfigErrorKind::NoQuorum => write!(
                f,
                "set controller.quorum.voters (id@host:port,...) or controller.quorum.bootstrap.servers (host:port,...)"
            ),
            ConfigErrorKind::CpuNotAvailable { cpu, available } => {
                write!(
                    f,
                    "CPU {cpu} is not available to this process (available CPUs: {})",
                    join(available)
                )
            }
            ConfigErrorKind::InvalidCpuSet { token, reason } => write!(
                f,
                "`{token}` is not a CPU placement ({reason}); expected a CPU id like `3` or a set like `0,1` or `0-3`"
            ),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Properties(error) => write!(f, "{error}"),
            ConfigError::Invalid { location, kind } => write!(f, "{location}: {kind}"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Properties(error) => Some(error),
            ConfigError::Invalid { .. } => None,
        }
    }
}
