//! The `quorum-state` file (spec 2.8): one line of compact JSON with the election state, replaced
//! atomically (temp file, fsync, rename, fsync directory) before the node acts on a vote or an
//! epoch change.
//!
//! Version 0 (kraft.version 0, static voters):
//! `{"clusterId":"","leaderId":2,"leaderEpoch":7,"votedId":-1,"appliedOffset":0,"currentVoters":[{"voterId":1}],"data_version":0}`
//! Version 1: `{"leaderId":-1,"leaderEpoch":5,"votedId":3,"votedDirectoryId":"<uuid>","data_version":1}`

use std::path::{Path, PathBuf};
use std::str::FromStr;

use kraft_records::Uuid;

use crate::error::LogError;
use crate::fsutil;
use crate::json::{self, JsonValue};

pub const QUORUM_STATE_FILE: &str = "quorum-state";

/// The election state. `-1` means "none" for ids; `voted_directory_id` is only stored by version 1
/// and `current_voters` only by version 0 (ignored / written empty in the other version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumStateData {
    pub leader_id: i32,
    pub leader_epoch: i32,
    pub voted_id: i32,
    pub voted_directory_id: Uuid,
    pub current_voters: Vec<i32>,
    /// 0 or 1; follows the finalized kraft.version.
    pub data_version: i16,
}

impl QuorumStateData {
    /// Renders the one-line JSON Kafka writes (field order as Kafka's generated converter).
    pub fn to_json(&self) -> Result<String, LogError> {
        let mut out = String::with_capacity(128);
        match self.data_version {
            0 => {
                out.push_str(&format!(
                    "{{\"clusterId\":\"\",\"leaderId\":{},\"leaderEpoch\":{},\"votedId\":{},\"appliedOffset\":0,\"currentVoters\":[",
                    self.leader_id, self.leader_epoch, self.voted_id
                ));
                for (i, voter) in self.current_voters.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&format!("{{\"voterId\":{voter}}}"));
                }
                out.push_str("],\"data_version\":0}");
            }
            1 => {
                out.push_str(&format!(
                    "{{\"leaderId\":{},\"leaderEpoch\":{},\"votedId\":{},\"votedDirectoryId\":",
                    self.leader_id, self.leader_epoch, self.voted_id
                ));
                json::write_string(&mut out, &self.voted_directory_id.to_string());
                out.push_str(",\"data_version\":1}");
            }
            v => {
                return Err(LogError::InvalidConfig {
                    reason: format!("quorum-state data_version {v} is not 0 or 1"),
                })
            }
        }
        Ok(out)
    }

    /// Parses the file's first line. Every non-tagged field of the stored version must be present,
    /// as Kafka's reader demands; unknown fields are ignored.
    pub fn from_json(file: &Path, text: &str) -> Result<QuorumStateData, LogError> {
        let line = text.lines().next().unwrap_or("");
        let value = json::parse(line).map_err(|e| {
            LogError::corrupt(
                file,
                e.position as u64,
                format!("invalid JSON: {}", e.reason),
            )
        })?;
        if !matches!(value, JsonValue::Object(_)) {
            return Err(LogError::corrupt(file, 0, "expected a JSON object"));
        }
        let bad = |reason: String| LogError::corrupt(file, 0, reason);
        let int_field = |name: &str, min: i64, max: i64| -> Result<i64, LogError> {
            match value.get(name) {
                Some(JsonValue::Int(v)) if (min..=max).contains(v) => Ok(*v),
                Some(other) => Err(bad(format!("field {name:?} has bad value {other:?}"))),
                None => Err(bad(format!("missing field {name:?}"))),
            }
        };
        let i32_field =
            |name: &str| int_field(name, i32::MIN as i64, i32::MAX as i64).map(|v| v as i32);
        let data_version = int_field("data_version", 0, 1)? as i16;
        let leader_id = i32_field("leaderId")?;
        let leader_epoch = i32_field("leaderEpoch")?;
        let voted_id = i32_field("votedId")?;
        let mut state = QuorumStateData {
            leader_id,
            leader_epoch,
            voted_id,
            voted_directory_id: Uuid::ZERO,
            current_voters: Vec::new(),
            data_version,
        };
        if data_version == 0 {
            match value.get("clusterId") {
                Some(JsonValue::String(_)) => {}
                Some(other) => {
                    return Err(bad(format!("field \"clusterId\" has bad value {other:?}")))
                }
                None => return Err(bad("missing field \"clusterId\"".into())),
            }
            int_field("appliedOffset", i64::MIN, i64::MAX)?;
            match value.get("currentVoters") {
                // Kafka declares the v0 voter list nullable.
                Some(JsonValue::Null) => {}
                Some(JsonValue::Array(items)) => {
                    for item in items {
                        match item.get("voterId") {
                            Some(JsonValue::Int(v)) if i32::try_from(*v).is_ok() => {
                                state.current_voters.push(*v as i32)
                            }
                            _ => return Err(bad(format!("bad voter entry {item:?}"))),
                        }
                    }
                }
                Some(other) => {
                    return Err(bad(format!(
                        "field \"currentVoters\" has bad value {other:?}"
                    )))
                }
                None => return Err(bad("missing field \"currentVoters\"".into())),
            }
        } else {
            match value.get("votedDirectoryId") {
                Some(JsonValue::String(s)) => {
                    state.voted_directory_id = Uuid::from_str(s)
                        .map_err(|_| bad(format!("bad votedDirectoryId {s:?}")))?;
                }
                Some(other) => {
                    return Err(bad(format!(
                        "field \"votedDirectoryId\" has bad value {other:?}"
                    )))
                }
                None => return Err(bad("missing field \"votedDirectoryId\"".into())),
            }
        }
        Ok(state)
    }
}

/// The quorum-state file of one partition directory.
#[derive(Debug, Clone)]
pub struct QuorumStateFile {
    path: PathBuf,
}

impl QuorumStateFile {
    pub fn new(partition_dir: &Path) -> Self {
        QuorumStateFile {
            path: partition_dir.join(QUORUM_STATE_FILE),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `Ok(None)` when the file does not exist (a fresh node); `Corrupt` naming the file when it
    /// cannot be parsed.
    pub fn read(&self) -> Result<Option<QuorumStateData>, LogError> {
        let Some(bytes) = fsutil::read_optional(&self.path)? else {
            return Ok(None);
        };
        let text = std::str::from_utf8(&bytes)
            .map_err(|e| LogError::corrupt(&self.path, e.valid_up_to() as u64, "not UTF-8 text"))?;
        QuorumStateData::from_json(&self.path, text).map(Some)
    }

    /// Durably replaces the file; returns only after the new state survives a crash.
    pub fn write(&self, state: &QuorumStateData) -> Result<(), LogError> {
        let text = state.to_json()?;
        fsutil::write_atomically(&self.path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V0: &str = r#"{"clusterId":"","leaderId":2,"leaderEpoch":7,"votedId":-1,"appliedOffset":0,"currentVoters":[{"voterId":1},{"voterId":2},{"voterId":3}],"data_version":0}"#;
    const V1: &str = r#"{"leaderId":-1,"leaderEpoch":5,"votedId":3,"votedDirectoryId":"PyqcHntNTgqcVR0uP0BRYg","data_version":1}"#;

    #[test]
    fn reads_and_writes_kafka_examples_byte_for_byte() {
        let p = Path::new("quorum-state");
        let v0 = QuorumStateData::from_json(p, V0).unwrap();
        assert_eq!((v0.leader_id, v0.leader_epoch, v0.voted_id), (2, 7, -1));
        assert_eq!(v0.current_voters, vec![1, 2, 3]);
        assert_eq!(v0.to_json().unwrap(), V0);
        let v1 = QuorumStateData::from_json(p, V1).unwrap();
        assert_eq!((v1.leader_id, v1.leader_epoch, v1.voted_id), (-1, 5, 3));
        assert_eq!(v1.voted_directory_id.to_string(), "PyqcHntNTgqcVR0uP0BRYg");
        assert_eq!(v1.to_json().unwrap(), V1);
    }

    #[test]
    fn missing_or_bad_fields_are_typed_errors() {
        let p = Path::new("/d/quorum-state");
        for bad in [
            V0.replace("\"appliedOffset\":0,", ""),
            V0.replace("\"clusterId\":\"\",", ""),
            V0.replace(",\"data_version\":0", ""),
            V0.replace("\"data_version\":0", "\"data_version\":2"),
            V0.replace("\"leaderId\":2", "\"leaderId\":4294967296"),
            V0.replace("{\"voterId\":1}", "{\"id\":1}"),
            V1.replace(",\"votedDirectoryId\":\"PyqcHntNTgqcVR0uP0BRYg\"", ""),
            V1.replace("PyqcHntNTgqcVR0uP0BRYg", "not-a-uuid!"),
            "[1]".to_string(),
            "".to_string(),
            V0[..40].to_string(),
        ] {
            let err = QuorumStateData::from_json(p, &bad).unwrap_err();
            assert!(matches!(err, LogError::Corrupt { .. }), "{bad}");
            assert!(err.to_string().contains("/d/quorum-state"), "{err}");
        }
    }

    #[test]
    fn file_is_atomic_and_missing_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let f = QuorumStateFile::new(dir.path());
        assert_eq!(f.read().unwrap(), None);
        let state = QuorumStateData {
            leader_id: 1,
            leader_epoch: 3,
            voted_id: 1,
            voted_directory_id: Uuid::ZERO,
            current_voters: vec![1, 2],
            data_version: 0,
        };
        f.write(&state).unwrap();
        assert_eq!(f.read().unwrap(), Some(state.clone()));
        let next = QuorumStateData {
            leader_epoch: 4,
            ..state
        };
        f.write(&next).unwrap();
        assert_eq!(f.read().unwrap(), Some(next));
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("quorum-state")]);
        std::fs::write(f.path(), b"{garbage").unwrap();
        assert!(matches!(f.read(), Err(LogError::Corrupt { .. })));
    }
}
