use std::fmt;

/// Why `kraft-storage` stopped with exit code 1 (Kafka's `kafka-storage` exits 1 on every
/// failure: argparse errors, `TerseFailure`, `FormatterException`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageToolError {
    /// A bad command line, worded as argparse4j words it.
    Usage(String),
    /// The `--config` file is unreadable or invalid.
    Config(String),
    /// Kafka's `FormatterException` / `TerseFailure` (or `IllegalArgumentException` of
    /// `--initial-controllers`): printed as is, as Kafka prints it.
    Refused(String),
    /// Writing a directory failed.
    Write { dir: String, reason: String },
}

impl fmt::Display for StorageToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageToolError::Usage(message) => write!(f, "kraft-storage: error: {message}"),
            StorageToolError::Config(message) => {
                write!(f, "kraft-storage: invalid configuration: {message}")
            }
            StorageToolError::Refused(message) => f.write_str(message),
            StorageToolError::Write { dir, reason } => {
                write!(
                    f,
                    "Error while writing meta.properties file {dir}: {reason}"
                )
            }
        }
    }
}

impl std::error::Error for StorageToolError {}
