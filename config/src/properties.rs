//! A reader of Java `.properties` files with the semantics of
//! `java.util.Properties.load`, which is how Kafka reads its server configs.
//!
//! Rules (all covered by tests):
//! - Natural lines end at `\n`, `\r` or `\r\n`.
//! - Blank lines and lines whose first non-white-space character is `#` or
//!   `!` are comments. White space is space, tab and form feed.
//! - A line ending in an odd number of backslashes continues on the next
//!   line; that backslash, the line terminator and the leading white space
//!   of the next line are dropped. A comment line never continues. While a
//!   logical line is still empty (a line holding only a backslash), the next
//!   line is read as a fresh one: it may be a comment or blank (JDK 9+).
//! - The key ends at the first unescaped `=`, `:` or white space. White
//!   space around the separator is skipped, and one `=` or `:` after white
//!   space is still the separator (`key = value`, `key value`, `key:value`).
//! - Escapes in keys and values: `\t`, `\n`, `\r`, `\f`, `\uXXXX`; any other
//!   escaped character stands for itself (`\=`, `\:`, `\ `, `\#`, `\\`).
//!   A malformed `\uXXXX` is an error, as in Java.
//! - Trailing white space of a value is kept (Kafka trims typed values).
//! - The last occurrence of a duplicate key wins.
//! - Files are decoded as ISO-8859-1, as `Properties.load(InputStream)` does.

use std::collections::HashMap;
use std::path::Path;

pub use crate::properties_error::PropertiesError;

/// Upper bound on the size of a config file we read, so a wrong path (say a
/// log segment) cannot make us allocate gigabytes.
pub const MAX_FILE_SIZE_BYTES: u64 = 16 * 1024 * 1024;

/// One key/value pair and the (1-based) line its logical line starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// A key set more than once: the later value wins, as in Java.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub key: String,
    pub first_line: usize,
    pub winning_line: usize,
}

/// The parsed contents of a `.properties` file.
#[derive(Debug, Clone, Default)]
pub struct Properties {
    source: String,
    /// In order of first appearance; values and lines are those of the last
    /// appearance.
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
    overrides: Vec<Override>,
}

impl Properties {
    /// Reads and parses the file at `path`. `source` in errors and entries is
    /// the path as given.
    pub fn load(path: &Path) -> Result<Properties, PropertiesError> {
        use std::io::Read;
        let io_error = |error| PropertiesError::Io {
            path: path.to_path_buf(),
            error,
        };
        let file = std::fs::File::open(path).map_err(io_error)?;
        let mut bytes = Vec::new();
        // Read one byte past the limit to detect an oversized file.
        file.take(MAX_FILE_SIZE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io_error)?;
        if bytes.len() as u64 > MAX_FILE_SIZE_BYTES {
            return Err(io_error(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("file is larger than {MAX_FILE_SIZE_BYTES} bytes"),
            )));
        }
        Properties::parse_latin1(&bytes, &path.display().to_string())
    }

    /// Parses bytes decoded as ISO-8859-1 (every byte is one character).
    pub fn parse_latin1(bytes: &[u8], source: &str) -> Result<Properties, PropertiesError> {
        let chars: Vec<char> = bytes.iter().map(|&b| char::from(b)).collect();
        Properties::parse_chars(&chars, source)
    }

    /// Parses text already decoded.
    pub fn parse(text: &str, source: &str) -> Result<Properties, PropertiesError> {
        let chars: Vec<char> = text.chars().collect();
        Properties::parse_chars(&chars, source)
    }

    fn parse_chars(chars: &[char], source: &str) -> Result<Properties, PropertiesError> {
        let mut properties = Properties {
            source: source.to_string(),
            ..Properties::default()
        };
        for logical in logical_lines(chars) {
            let (key_chars, value_chars) = split_key_value(&logical.text);
            let key =
                unescape(key_chars).map_err(|token| PropertiesError::MalformedUnicodeEscape {
                    source: source.to_string(),
                    line: logical.line,
                    key: None,
                    token,
                })?;
            let value =
                unescape(value_chars).map_err(|token| PropertiesError::MalformedUnicodeEscape {
                    source: source.to_string(),
                    line: logical.line,
                    key: Some(key.clone()),
                    token,
                })?;
            properties.insert(key, value, logical.line);
        }
        Ok(properties)
    }

    fn insert(&mut self, key: String, value: String, line: usize) {
        match self.index.get(&key) {
            Some(&at) => {
                let entry = &mut self.entries[at];
                self.overrides.push(Override {
                    key,
                    first_line: entry.line,
                    winning_line: line,
                });
                entry.value = value;
                entry.line = line;
            }
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push(Entry { key, value, line });
            }
        }
    }

    /// The file name (or other label) the properties came from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entry(key).map(|entry| entry.value.as_str())
    }

    /// The entry of `key` with its line number, if set.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.index.get(key).map(|&at| &self.entries[at])
    }

    /// All entries, in order of the first appearance of each key.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// Number of distinct keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Keys that were set more than once, in file order.
    pub fn overrides(&self) -> &[Override] {
        &self.overrides
    }
}

/// Escapes `text` so that [`Properties::parse`] reads it back unchanged, as
/// Java's `Properties.store` does: backslash, separators, comment characters,
/// tabs, line breaks and form feeds are escaped, spaces too in keys but only
/// a leading one in values, and characters outside printable ASCII become
/// `\uXXXX` (UTF-16 code units). The result is plain ASCII.
pub fn escape(text: &str, is_key: bool) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for (index, c) in text.chars().enumerate() {
        match c {
            ' ' if is_key || index == 0 => out.push_str("\\ "),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{c}' => out.push_str("\\f"),
            '=' | ':' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
        }
    }
    out
}

fn is_white_space(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\u{c}'
}

struct LogicalLine {
    /// 1-based number of the natural line the logical line starts on.
    line: usize,
    /// The text with continuations joined, escapes still in place.
    text: Vec<char>,
}

/// Splits `chars` into natural lines (without terminators), numbered from 1.
fn natural_lines(chars: &[char]) -> Vec<&[char]> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at < chars.len() {
        match chars[at] {
            '\n' => {
                lines.push(&chars[start..at]);
                at += 1;
                start = at;
            }
            '\r' => {
                lines.push(&chars[start..at]);
                at += 1;
                if chars.get(at) == Some(&'\n') {
                    at += 1;
                }
                start = at;
            }
            _ => at += 1,
        }
    }
    if start < chars.len() {
        lines.push(&chars[start..]);
    }
    lines
}

fn logical_lines(chars: &[char]) -> Vec<LogicalLine> {
    let mut logical = Vec::new();
    let mut current: Option<LogicalLine> = None;
    for (index, natural) in natural_lines(chars).into_iter().enumerate() {
        let line = index + 1;
        let start = natural
            .iter()
            .position(|&c| !is_white_space(c))
            .unwrap_or(natural.len());
        let segment = &natural[start..];
        // Java (9+) treats a line as the start of a logical line while
        // nothing has been gathered yet, even after a continuation: so a
        // line holding only a backslash followed by a comment, or by a blank
        // line, yields no entry.
        let mut building = match current.take() {
            Some(continued) if !continued.text.is_empty() => continued,
            _ => {
                if segment.is_empty() || segment[0] == '#' || segment[0] == '!' {
                    continue;
                }
                LogicalLine {
                    line,
                    text: Vec::new(),
                }
            }
        };
        building.text.extend_from_slice(segment);
        let trailing_backslashes = segment.iter().rev().take_while(|&&c| c == '\\').count();
        if trailing_backslashes % 2 == 1 {
            // Continuation: drop the backslash and keep reading.
            building.text.pop();
            current = Some(building);
        } else {
            logical.push(building);
        }
    }
    // A continuation at end of input ends the line (Java drops the
    // backslash). When nothing else was gathered, Java yields an entry with
    // an empty key and value, except when the input ends in `\r\n` (its
    // reader consumes the `\n` before it sees the end). Mirrored so that both
    // readers agree on every input.
    if let Some(last) = current {
        let ends_in_crlf = chars.ends_with(&['\r', '\n']);
        if !(last.text.is_empty() && ends_in_crlf) {
            logical.push(last);
        }
    }
    logical
}

/// Splits a logical line into the raw (still escaped) key and value.
fn split_key_value(line: &[char]) -> (&[char], &[char]) {
    let mut key_end = 0;
    let mut value_start = line.len();
    let mut has_separator = false;
    let mut preceding_backslash = false;
    while key_end < line.len() {
        let c = line[key_end];
        if !preceding_backslash && (c == '=' || c == ':') {
            value_start = key_end + 1;
            has_separator = true;
            break;
        }
        if !preceding_backslash && is_white_space(c) {
            value_start = key_end + 1;
            break;
        }
        preceding_backslash = c == '\\' && !preceding_backslash;
        key_end += 1;
    }
    while value_start < line.len() {
        let c = line[value_start];
        if !is_white_space(c) {
            if !has_separator && (c == '=' || c == ':') {
                has_separator = true;
            } else {
                break;
            }
        }
        value_start += 1;
    }
    (&line[..key_end], &line[value_start.min(line.len())..])
}

/// Resolves escapes. On a malformed `\uXXXX` returns the escape as written.
fn unescape(raw: &[char]) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut at = 0;
    while at < raw.len() {
        let c = raw[at];
        at += 1;
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&escaped) = raw.get(at) else {
            // A lone trailing backslash cannot survive line joining; if it
            // ever does, drop it like Java drops a final continuation.
            break;
        };
        at += 1;
        match escaped {
            'u' => {
                let digits = &raw[at..(at + 4).min(raw.len())];
                let code = if digits.len() == 4 {
                    digits
                        .iter()
                        .try_fold(0u32, |acc, d| d.to_digit(16).map(|v| acc * 16 + v))
                } else {
                    None
                };
                let Some(code) = code else {
                    let token: String = ['\\', 'u'].iter().chain(digits).collect();
                    return Err(token);
                };
                at += 4;
                // Java strings are UTF-16: a lone surrogate has no Rust
                // `char`, so it becomes U+FFFD. A surrogate pair written as
                // two escapes is joined into one character.
                if (0xD800..0xDC00).contains(&code) {
                    if let Some(low) = low_surrogate_at(raw, at) {
                        let joined = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                        out.push(char::from_u32(joined).unwrap_or('\u{FFFD}'));
                        at += 6;
                        continue;
                    }
                }
                out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
            }
            't' => out.push('\t'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            'f' => out.push('\u{c}'),
            other => out.push(other),
        }
    }
    Ok(out)
}

/// The code unit of a `\uDCxx` low-surrogate escape starting at `at`.
fn low_surrogate_at(raw: &[char], at: usize) -> Option<u32> {
    if raw.get(at) != Some(&'\\') || raw.get(at + 1) != Some(&'u') {
        return None;
    }
    let digits = raw.get(at + 2..at + 6)?;
    let code = digits
        .iter()
        .try_fold(0u32, |acc, d| d.to_digit(16).map(|v| acc * 16 + v))?;
    (0xDC00..0xE000).contains(&code).then_some(code)
}
