//! The election state as Kafka's `quorum-state` file (version 0: static voters, kraft.version 0).

use kraft_engine::message::ReplicaKey;
use kraft_engine::{ElectionState, Uuid};
use kraft_segment_log::{LogError, QuorumStateData, QuorumStateFile};
use std::path::Path;

pub struct QuorumStateStore {
    file: QuorumStateFile,
    voters: Vec<i32>,
}

impl QuorumStateStore {
    pub fn new(partition_dir: &Path, voters: Vec<i32>) -> Self {
        QuorumStateStore {
            file: QuorumStateFile::new(partition_dir),
            voters,
        }
    }

    /// The stored state, or Kafka's initial state when there is no file yet.
    pub fn load(&self) -> Result<ElectionState, LogError> {
        Ok(match self.file.read()? {
            None => ElectionState::initial(),
            Some(data) => ElectionState {
                epoch: data.leader_epoch,
                leader_id: (data.leader_id >= 0).then_some(data.leader_id),
                voted_key: (data.voted_id >= 0).then_some(ReplicaKey {
                    id: data.voted_id,
                    directory_id: data.voted_directory_id,
                }),
            },
        })
    }

    /// Durable on return: temp file, fsync, rename, fsync of the directory.
    pub fn persist(&self, state: &ElectionState) -> Result<(), LogError> {
        let data = QuorumStateData {
            leader_id: state.leader_id.unwrap_or(-1),
            leader_epoch: state.epoch,
            voted_id: state.voted_key.map_or(-1, |k| k.id),
            voted_directory_id: state.voted_key.map_or(Uuid::ZERO, |k| k.directory_id),
            current_voters: self.voters.clone(),
            data_version: 0,
        };
        self.file.write(&data)
    }
}
