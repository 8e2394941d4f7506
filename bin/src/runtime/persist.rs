//! The election state as Kafka's `quorum-state` file, in the shape Kafka's `FileQuorumStateStore`
//! writes for the kraft.version in force (`KRaftVersion.quorumStateVersion`): version 0 with the
//! static voter ids at kraft.version 0, version 1 with the voted directory id (and no voters) at
//! kraft.version 1. Both shapes are read.

use kraft_driver::ElectionStore;
use kraft_engine::message::ReplicaKey;
use kraft_engine::{ElectionState, Uuid};
use kraft_segment_log::{LogError, QuorumStateData, QuorumStateFile};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
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

/// A write running on the executor's blocking pool, durable when it resolves.
type PendingWrite = Pin<Box<dyn Future<Output = Result<(), LogError>>>>;

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

    fn data_of(&self, state: &ElectionState, kraft_version: i16) -> QuorumStateData {
        assert!(
            (0..=1).contains(&kraft_version),
            "kraft.version {kraft_version} has no quorum-state shape"
        );
        let data_version = kraft_version;
        QuorumStateData {
            leader_id: state.leader_id.unwrap_or(-1),
            leader_epoch: state.epoch,
            voted_id: state.voted_key.map_or(-1, |k| k.id),
            voted_directory_id: state.voted_key.map_or(Uuid::ZERO, |k| k.directory_id),
            // Version 1 keeps no voters: the voter set lives in the log (KIP-853).
            current_voters: if data_version == 0 {
                self.voters.clone()
            } else {
                Vec::new()
            },
            data_version,
        }
    }
}

/// The Raft loop's quorum-state side on its executor: writes begun by the `OutputGate`, each
/// waited for before the next output runs. Built on the executor (a write in flight is a local
/// future, not sendable).
pub struct ElectionWrites {
    store: QuorumStateStore,
    /// The write begun and not yet waited for (the gate allows one).
    pending: Option<PendingWrite>,
}

impl ElectionWrites {
    pub fn new(store: QuorumStateStore) -> ElectionWrites {
        ElectionWrites {
            store,
            pending: None,
        }
    }

    /// Durable on completion: temp file, fsync, rename, fsync of the directory (the gate's two
    /// steps in one, for tests).
    #[cfg(test)]
    pub async fn persist(
        &mut self,
        state: &ElectionState,
        kraft_version: i16,
    ) -> Result<(), LogError> {
        self.begin_write_at(state, kraft_version);
        self.wait_durable().await
    }

    /// Resolves when the write begun by [`ElectionStore::begin_write`] is durable.
    pub async fn wait_durable(&mut self) -> Result<(), LogError> {
        let write = self
            .pending
            .take()
            .expect("waiting for a quorum-state write that was not begun");
        write.await
    }
}

impl ElectionStore for ElectionWrites {
    fn begin_write(&mut self, state: &ElectionState) {
        self.begin_write_at(state, 0);
    }

    fn begin_write_at(&mut self, state: &ElectionState, kraft_version: i16) {
        assert!(
            self.pending.is_none(),
            "a quorum-state write begun before the previous one was waited for"
        );
        let data = self.store.data_of(state, kraft_version);
        let writer = self.store.writer.clone();
        // Two fsyncs and a rename block for milliseconds: they run on the executor's blocking
        // thread, so the roles sharing the executor (network, log) keep running meanwhile. The
        // Raft loop's gate holds every later output until this is durable (persist before act).
        self.pending = Some(Box::pin(
            glommio::executor().spawn_blocking(move || writer.write(&data)),
        ));
    }
}
