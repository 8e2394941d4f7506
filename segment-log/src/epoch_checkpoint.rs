//! `leader-epoch-checkpoint`: Kafka's text checkpoint of the leader-epoch cache.
//!
//! ```text
//! 0            <- version
//! 2            <- number of entries
//! 1 0          <- "<epoch> <start offset>", one line per entry, ascending
//! 3 120
//! ```
//! The cache logic (assign / truncate / end offset for epoch) lives in
//! `kraft_records::LeaderEpochCache`; this module only reads and writes the file.

use std::path::{Path, PathBuf};

use kraft_records::EpochEntry;

use crate::error::LogError;
use crate::fsutil;

pub const LEADER_EPOCH_CHECKPOINT_FILE: &str = "leader-epoch-checkpoint";
const CHECKPOINT_VERSION: i32 = 0;
/// Bounds what a corrupt count line can make us reserve.
const MAX_ENTRIES: usize = 1 << 20;

/// The checkpoint file of one partition directory.
#[derive(Debug, Clone)]
pub struct LeaderEpochCheckpoint {
    path: PathBuf,
}

impl LeaderEpochCheckpoint {
    pub fn new(partition_dir: &Path) -> Self {
        LeaderEpochCheckpoint {
            path: partition_dir.join(LEADER_EPOCH_CHECKPOINT_FILE),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `Ok(None)` when the file does not exist; `Corrupt` when it is malformed.
    pub fn read(&self) -> Result<Option<Vec<EpochEntry>>, LogError> {
        match fsutil::read_optional(&self.path)? {
            None => Ok(None),
            Some(bytes) => parse(&self.path, &bytes).map(Some),
        }
    }

    /// Atomically replaces the file (temp file, fsync, rename, fsync directory).
    pub fn write(&self, entries: &[EpochEntry]) -> Result<(), LogError> {
        fsutil::write_atomically(&self.path, format(entries).as_bytes())
    }
}

/// Renders the checkpoint text.
pub fn format(entries: &[EpochEntry]) -> String {
    let mut out = format!("{CHECKPOINT_VERSION}\n{}\n", entries.len());
    for entry in entries {
        out.push_str(&format!("{} {}\n", entry.epoch, entry.start_offset));
    }
    out
}

/// Parses checkpoint text strictly: version 0, a count that matches the entry lines, two integers
/// per line, epochs and offsets ascending. `file` is only used in error messages.
pub fn parse(file: &Path, bytes: &[u8]) -> Result<Vec<EpochEntry>, LogError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| LogError::corrupt(file, e.valid_up_to() as u64, "not UTF-8 text"))?;
    let mut lines = Lines { text, position: 0 };
    let (pos, version_line) = lines
        .next()
        .ok_or_else(|| LogError::corrupt(file, 0, "empty file, expected version line"))?;
    let version: i32 = version_line
        .trim()
        .parse()
        .map_err(|_| LogError::corrupt(file, pos, format!("bad version line {version_line:?}")))?;
    if version != CHECKPOINT_VERSION {
        return Err(LogError::corrupt(
            file,
            pos,
            format!("unsupported checkpoint version {version}"),
        ));
    }
    let (pos, count_line) = lines
        .next()
        .ok_or_else(|| LogError::corrupt(file, pos, "missing entry count line"))?;
    let count: usize = count_line
        .trim()
        .parse()
        .map_err(|_| LogError::corrupt(file, pos, format!("bad entry count {count_line:?}")))?;
    if count > MAX_ENTRIES {
        return Err(LogError::corrupt(
            file,
            pos,
            format!("entry count {count} is implausible"),
        ));
    }
    let mut entries: Vec<EpochEntry> = Vec::with_capacity(count);
    for _ in 0..count {
        let (pos, line) = lines.next().ok_or_else(|| {
            LogError::corrupt(
                file,
                text.len() as u64,
                format!("expected {count} entries, found {}", entries.len()),
            )
        })?;
        let mut parts = line.split_whitespace();
        let epoch = parts.next().and_then(|p| p.parse::<i32>().ok());
        let start_offset = parts.next().and_then(|p| p.parse::<i64>().ok());
        let (Some(epoch), Some(start_offset), None) = (epoch, start_offset, parts.next()) else {
            return Err(LogError::corrupt(
                file,
                pos,
                format!("bad entry line {line:?}, expected \"<epoch> <start offset>\""),
            ));
        };
        if epoch < 0 || start_offset < 0 {
            return Err(LogError::corrupt(
                file,
                pos,
                format!("negative value in {line:?}"),
            ));
        }
        if let Some(prev) = entries.last() {
            if epoch <= prev.epoch || start_offset < prev.start_offset {
                return Err(LogError::corrupt(
                    file,
                    pos,
                    format!(
                        "entry {line:?} does not follow ({}, {})",
                        prev.epoch, prev.start_offset
                    ),
                ));
            }
        }
        entries.push(EpochEntry {
            epoch,
            start_offset,
        });
    }
    if let Some((pos, line)) = lines.next() {
        if !line.trim().is_empty() || lines.next().is_some() {
            return Err(LogError::corrupt(
                file,
                pos,
                format!("more than the {count} announced entries"),
            ));
        }
    }
    Ok(entries)
}

/// Line iterator that also yields each line's byte position (for error messages).
struct Lines<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = (u64, &'a str);
    fn next(&mut self) -> Option<(u64, &'a str)> {
        let rest = self.text.get(self.position..)?;
        if rest.is_empty() {
            return None;
        }
        let start = self.position;
        let (line, consumed) = match rest.find('\n') {
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        self.position += consumed;
        Some((start as u64, line.strip_suffix('\r').unwrap_or(line)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(epoch: i32, start_offset: i64) -> EpochEntry {
        EpochEntry {
            epoch,
            start_offset,
        }
    }

    #[test]
    fn round_trip() {
        let entries = vec![e(1, 0), e(3, 120), e(4, 500)];
        let text = format(&entries);
        assert_eq!(text, "0\n3\n1 0\n3 120\n4 500\n");
        assert_eq!(parse(Path::new("x"), text.as_bytes()).unwrap(), entries);
        assert_eq!(parse(Path::new("x"), b"0\n0\n").unwrap(), vec![]);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            &b""[..],
            b"1\n0\n",
            b"0\n2\n1 0\n",
            b"0\n1\n1 0\n2 5\n",
            b"0\n1\n1\n",
            b"0\n1\n1 0 7\n",
            b"0\n2\n3 0\n2 5\n",
            b"0\nx\n",
            b"0\n99999999999\n",
            b"\xff\xfe",
            b"0\n1\n-1 0\n",
        ] {
            let err = parse(Path::new("leader-epoch-checkpoint"), bad).unwrap_err();
            assert!(matches!(err, LogError::Corrupt { .. }), "{bad:?}: {err}");
            assert!(err.to_string().contains("leader-epoch-checkpoint"));
        }
    }

    #[test]
    fn file_round_trip_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let cp = LeaderEpochCheckpoint::new(dir.path());
        assert_eq!(cp.read().unwrap(), None);
        cp.write(&[e(2, 10)]).unwrap();
        assert_eq!(cp.read().unwrap(), Some(vec![e(2, 10)]));
        assert!(!fsutil::tmp_path(cp.path()).exists());
    }
}
