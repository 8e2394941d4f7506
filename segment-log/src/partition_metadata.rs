//! `partition.metadata`: `version: 0` / `topic_id: <uuid>`, written once per partition directory.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use kraft_records::Uuid;

use crate::error::LogError;
use crate::fsutil;

pub const PARTITION_METADATA_FILE: &str = "partition.metadata";

/// Exactly what Kafka writes (no trailing newline).
pub fn format(topic_id: &Uuid) -> String {
    format!("version: 0\ntopic_id: {topic_id}")
}

/// Parses the file strictly: version 0 and a valid topic id.
pub fn parse(file: &Path, text: &str) -> Result<Uuid, LogError> {
    let mut lines = text.lines();
    let version = lines.next().unwrap_or("");
    if version.trim() != "version: 0" {
        return Err(LogError::corrupt(
            file,
            0,
            format!("expected \"version: 0\", found {version:?}"),
        ));
    }
    let topic_line = lines.next().unwrap_or("");
    let position = (version.len() + 1) as u64;
    let value = topic_line.trim().strip_prefix("topic_id:").ok_or_else(|| {
        LogError::corrupt(
            file,
            position,
            format!("expected \"topic_id: <uuid>\", found {topic_line:?}"),
        )
    })?;
    Uuid::from_str(value.trim())
        .map_err(|_| LogError::corrupt(file, position, format!("bad topic id {:?}", value.trim())))
}

/// Writes the file if missing; errors if it names another topic.
pub fn ensure(dir: &Path, topic_id: &Uuid) -> Result<(), LogError> {
    let path: PathBuf = dir.join(PARTITION_METADATA_FILE);
    match fsutil::read_optional(&path)? {
        Some(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let stored = parse(&path, &text)?;
            if stored != *topic_id {
                return Err(LogError::InconsistentTopicId {
                    file: path,
                    stored: stored.to_string(),
                    configured: topic_id.to_string(),
                });
            }
            Ok(())
        }
        None => fsutil::write_atomically(&path, format(topic_id).as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let id = Uuid::from_parts(0, 2);
        ensure(dir.path(), &id).unwrap();
        let text = std::fs::read_to_string(dir.path().join(PARTITION_METADATA_FILE)).unwrap();
        assert_eq!(text, format!("version: 0\ntopic_id: {id}"));
        ensure(dir.path(), &id).unwrap();
        let err = ensure(dir.path(), &Uuid::from_parts(0, 3)).unwrap_err();
        assert!(matches!(err, LogError::InconsistentTopicId { .. }), "{err}");
        for bad in [
            "",
            "version: 1\ntopic_id: AAAAAAAAAAAAAAAAAAAAAg\n",
            "version: 0\ntopic: x\n",
            "version: 0\ntopic_id: !!\n",
        ] {
            assert!(
                matches!(parse(Path::new("p"), bad), Err(LogError::Corrupt { .. })),
                "{bad:?}"
            );
        }
    }
}
