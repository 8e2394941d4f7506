//! Typed reads of property values (text, lists, ranged integers, booleans)
//! with errors that name the file, line and key.

use crate::config_error::{ConfigError, ConfigErrorKind, Location};
use crate::properties::Properties;

/// Reads typed values out of properties, naming file, line and key in errors.
pub(super) struct Reader<'a> {
    pub(super) properties: &'a Properties,
}

impl<'a> Reader<'a> {
    pub(super) fn new(properties: &'a Properties) -> Reader<'a> {
        Reader { properties }
    }

    pub(super) fn source(&self) -> &str {
        self.properties.source()
    }

    pub(super) fn error(&self, key: &str, kind: ConfigErrorKind) -> ConfigError {
        ConfigError::Invalid {
            location: Location {
                source: self.source().to_string(),
                line: self.properties.entry(key).map(|entry| entry.line),
                key: key.to_string(),
            },
            kind,
        }
    }

    /// The trimmed value of `key` (Kafka trims typed values), if set.
    pub(super) fn text(&self, key: &'static str) -> Option<&'a str> {
        self.properties.get(key).map(str::trim)
    }

    /// A comma-separated list; white space around entries and empty entries
    /// are dropped.
    pub(super) fn list(&self, key: &'static str) -> Vec<String> {
        match self.text(key) {
            Some(value) => value
                .split(',')
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .map(str::to_string)
                .collect(),
            None => Vec::new(),
        }
    }

    pub(super) fn int(
        &self,
        key: &'static str,
        default: i64,
        min: i64,
        max: i64,
    ) -> Result<i64, ConfigError> {
        // The default is range-checked too: a lower bound can come from
        // another setting (segment bytes >= segment min bytes).
        let value: i64 = match self.text(key) {
            None => default,
            Some(token) => token.parse().map_err(|_| {
                self.error(
                    key,
                    ConfigErrorKind::NotANumber {
                        token: token.to_string(),
                    },
                )
            })?,
        };
        if value < min || value > max {
            return Err(self.error(key, ConfigErrorKind::OutOfRange { value, min, max }));
        }
        Ok(value)
    }

    /// A Kafka INT (at most `i32::MAX`) of at least `min`.
    pub(super) fn int_u32(
        &self,
        key: &'static str,
        default: u32,
        min: i64,
    ) -> Result<u32, ConfigError> {
        let value = self.int(key, i64::from(default), min, i64::from(i32::MAX))?;
        Ok(u32::try_from(value).expect("range checked above"))
    }

    pub(super) fn bool(&self, key: &'static str, default: bool) -> Result<bool, ConfigError> {
        let Some(token) = self.text(key) else {
            return Ok(default);
        };
        if token.eq_ignore_ascii_case("true") {
            Ok(true)
        } else if token.eq_ignore_ascii_case("false") {
            Ok(false)
        } else {
            Err(self.error(
                key,
                ConfigErrorKind::NotABoolean {
                    token: token.to_string(),
                },
            ))
        }
    }
}
