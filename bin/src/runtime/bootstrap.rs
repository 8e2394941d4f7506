//! What a formatted directory gives the server at start (KIP-853, Kafka's `kafka-storage format`):
//! the cluster id of `meta.properties`, and the initial voter set of the bootstrap checkpoint
//! `00000000000000000000-0000000000.checkpoint` in the partition directory.
//!
//! A dynamic quorum (no `controller.quorum.voters`) cannot start without them: an unformatted
//! metadata log directory is an error naming the command to run. A static quorum starts as
//! before: an unformatted directory gets `meta.properties` with the default cluster id, a
//! formatted one keeps the cluster id it was formatted with.

use std::path::Path;

use kraft_config::ServerConfig;
use kraft_engine::RaftConfig;
use kraft_records::ControlRecord;
use kraft_segment_log::LogError;

use super::meta_properties::{self, MetaPropertiesError};

/// Offset of the bootstrap checkpoint's control records (interface-16 `ControlEntry`): before
/// every offset of the log.
pub const BOOTSTRAP_CONTROL_OFFSET: i64 = -1;

/// The cluster id this node runs with: the formatted one, else (static quorum only) Kafka's
/// `TestRaftServer` default. `config_path` is named in the not-formatted error.
pub fn cluster_id(
    config: &ServerConfig,
    config_path: &Path,
) -> Result<String, MetaPropertiesError> {
    match meta_properties::read(&config.metadata_log_dir)? {
        Some(stored) => Ok(stored.cluster_id),
        None if !config.voters().is_empty() => Ok(RaftConfig::DEFAULT_CLUSTER_ID.to_string()),
        None => Err(MetaPropertiesError::NotFormatted {
            dir: config.metadata_log_dir.clone(),
            config: config_path.to_path_buf(),
        }),
    }
}

/// The KRaftVersion and Voters records of the bootstrap checkpoint in `partition_dir`, each at
/// offset [`BOOTSTRAP_CONTROL_OFFSET`], in file order; empty without a checkpoint (a static
/// quorum, or a node formatted with `--no-initial-controllers`). A damaged checkpoint is an
/// error: the voter set it holds cannot be guessed.
///
/// Returns `(offset, record)` pairs rather than the core's `ControlEntry` so this lands before
/// the engine's types; each record is `ControlRecord::KRaftVersion` or
/// `ControlRecord::KRaftVoters`.
pub fn read_bootstrap_control(partition_dir: &Path) -> Result<Vec<(i64, ControlRecord)>, LogError> {
    let records = kraft_perf::read_bootstrap_checkpoint(partition_dir)?.unwrap_or_default();
    Ok(records
        .into_iter()
        .map(|(_, record)| (BOOTSTRAP_CONTROL_OFFSET, record))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kraft_config::placement::HostCpus;
    use kraft_records::{Uuid, VoterEndpoint, VoterRecord, VotersRecord};

    fn config(dir: &Path, voters: bool) -> ServerConfig {
        let quorum = if voters {
            "controller.quorum.voters=1@localhost:19093"
        } else {
            "controller.quorum.bootstrap.servers=localhost:19093"
        };
        let text = format!(
            "node.id=1\nprocess.roles=controller\nlisteners=CONTROLLER://:19093\n\
             controller.listener.names=CONTROLLER\n{quorum}\nlog.dirs={}\n",
            dir.display()
        );
        ServerConfig::parse_str(&text, "test.properties", &HostCpus::with_count(4)).unwrap()
    }

    #[test]
    fn cluster_id_is_the_formatted_one_and_unformatted_dynamic_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("logs");
        let config_path = Path::new("conf/server.properties");
        let err = cluster_id(&config(&dir, false), config_path).unwrap_err();
        let message = err.to_string();
        for part in [
            "is not formatted",
            "run bin/kraft-storage.sh format --config conf/server.properties --cluster-id",
            "--standalone | --initial-controllers",
        ] {
            assert!(message.contains(part), "{part} missing from: {message}");
        }
        assert_eq!(
            cluster_id(&config(&dir, true), config_path).unwrap(),
            RaftConfig::DEFAULT_CLUSTER_ID
        );
        meta_properties::write(&dir, 1, "MkU3OEVBNTcwNTJENDM2Qk", Uuid::from_parts(9, 9)).unwrap();
        for voters in [false, true] {
            assert_eq!(
                cluster_id(&config(&dir, voters), config_path).unwrap(),
                "MkU3OEVBNTcwNTJENDM2Qk"
            );
        }
    }

    #[test]
    fn bootstrap_control_records_sit_before_the_log() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(read_bootstrap_control(root.path()).unwrap(), []);
        let voters = VotersRecord {
            version: 0,
            voters: vec![VoterRecord {
                voter_id: 1,
                voter_directory_id: Uuid::from_parts(1, 2),
                endpoints: vec![VoterEndpoint {
                    name: "CONTROLLER".into(),
                    host: "localhost".into(),
                    port: 19093,
                }],
                kraft_version_min: 0,
                kraft_version_max: 1,
            }],
        };
        kraft_perf::write_bootstrap_checkpoint(root.path(), 1, &voters, 7).unwrap();
        assert_eq!(
            read_bootstrap_control(root.path()).unwrap(),
            [
                (
                    -1,
                    ControlRecord::KRaftVersion {
                        version: 0,
                        kraft_version: 1
                    }
                ),
                (-1, ControlRecord::KRaftVoters(voters)),
            ]
        );
    }
}
