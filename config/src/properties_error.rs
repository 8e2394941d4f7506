//! Errors of the `.properties` reader.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A `.properties` file could not be read or decoded.
#[derive(Debug)]
pub enum PropertiesError {
    /// The file could not be read.
    Io { path: PathBuf, error: io::Error },
    /// A `\u` escape not followed by four hexadecimal digits. Java's
    /// `Properties.load` rejects the whole file for this ("Malformed \uxxxx
    /// encoding"), so we do too rather than guess what was meant.
    MalformedUnicodeEscape {
        source: String,
        line: usize,
        /// The key of the entry, when the bad escape is in its value.
        key: Option<String>,
        /// The escape as written, e.g. `\u12G4`.
        token: String,
    },
}

impl fmt::Display for PropertiesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PropertiesError::Io { path, error } => {
                write!(f, "{}: cannot read config file: {error}", path.display())
            }
            PropertiesError::MalformedUnicodeEscape {
                source,
                line,
                key,
                token,
            } => {
                write!(f, "{source}:{line}: malformed \\uXXXX escape `{token}`")?;
                match key {
                    Some(key) => write!(f, " in the value of key `{key}`"),
                    None => write!(f, " in a key"),
                }
            }
        }
    }
}

impl std::error::Error for PropertiesError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PropertiesError::Io { error, .. } => Some(error),
            PropertiesError::MalformedUnicodeEscape { .. } => None,
        }
    }
}
