//! Why the spec reader refused a log: the file and the byte position where it stopped making
//! sense, and what it found there.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecFault {
    /// The file read (empty when bytes were parsed without one, e.g. `parse_segment`).
    pub file: PathBuf,
    /// Byte position in `file` of the batch (or header field) that is wrong.
    pub position: usize,
    pub reason: String,
}

impl SpecFault {
    pub fn new(position: usize, reason: impl Into<String>) -> SpecFault {
        SpecFault {
            file: PathBuf::new(),
            position,
            reason: reason.into(),
        }
    }

    pub fn in_file(mut self, file: &std::path::Path) -> SpecFault {
        self.file = file.to_path_buf();
        self
    }
}

impl std::fmt::Display for SpecFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at byte {}: {}",
            self.file.display(),
            self.position,
            self.reason
        )
    }
}

impl std::error::Error for SpecFault {}
