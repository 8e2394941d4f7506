//! The election state as Kafka's `quorum-state` file (version 0: static voters, kraft.version 0).

use kraft_engine::message::ReplicaKey;
use kraft_engine::{ElectionState, Uuid};
use kraft_segment_log::{LogError, QuorumStateData, QuorumStateFile};
use std::path::Path;
use std::sync::Arc;

/// Makes one quorum state durable, blocking the calling thread until it is: the file in
/// production (temp file, fsync, rename, fsync of the directory); tests put a writer they hold
/// back in its place, to see what runs while a write is in progress.
pub trait QuorumStateWrite: Send + Sync + 'static {
    fn write(&self, data: &QuorumStateData) -> Result<(), LogError>;
}

impl QuorumStateWrite for QuorumStateFile {
    fn write(&self, data: &QuorumStateData) -> Result<(), LogError> {
        QuorumStateFile::write(self, data)
    }
}

pub struct QuorumStateStore {
    file: QuorumStateFile,
    writer: Arc<dyn QuorumStateWrite>,
    voters: Vec<i32>,
}

impl QuorumStateStore {
    pub fn new(partition_dir: &Path, voters: Vec<i32>) -> Self {
        let file = QuorumStateFile::new(partition_dir);
        QuorumStateStore {
            writer: Arc::new(file.clone()),
            file,
            voters,
        }
    }

    /// As [`QuorumStateStore::new`], writing through `writer` instead of the file.
    #[cfg(test)]
    pub fn with_writer(
        partition_dir: &Path,
        voters: Vec<i32>,
        writer: Arc<dyn QuorumStateWrite>,
    ) -> Self {
        QuorumStateStore {
            file: QuorumStateFile::new(partition_dir),
            writer,
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

    /// Durable on completion: temp file, fsync, rename, fsync of the directory.
    pub async fn persist(&self, state: &ElectionState) -> Result<(), LogError> {
        let data = QuorumStateData {
            leader_id: state.leader_id.unwrap_or(-1),
            leader_epoch: state.epoch,
            voted_id: state.voted_key.map_or(-1, |k| k.id),
            voted_directory_id: state.voted_key.map_or(Uuid::ZERO, |k| k.directory_id),
            current_voters: self.voters.clone(),
            data_version: 0,
        };
        let writer = self.writer.clone();
        // Two fsyncs and a rename block for milliseconds: they run on the executor's blocking
        // thread, so the roles sharing the executor (network, log) keep running meanwhile. The
        // Raft loop awaits this before it runs any later output (persist before act).
        glommio::executor()
            .spawn_blocking(move || writer.write(&data))
            .await
    }
}
