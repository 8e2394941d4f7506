//! The quorum-state write (two fsyncs and a rename) must not stall the executor it is issued
//! from: the 3-node configs put the network and log roles on the Raft loop's executor.

use super::{on_executor, within_watchdog, WATCHDOG};
use crate::runtime::persist::{ElectionWrites, QuorumStateStore, QuorumStateWrite};
use kraft_engine::message::ReplicaKey;
use kraft_engine::{ElectionState, Uuid};
use kraft_segment_log::{LogError, QuorumStateData, QuorumStateFile};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

/// A write that completes only once another task of the executor has opened its gate (or, so
/// that a stalled executor fails the test instead of hanging it, after the watchdog).
struct GatedWrite {
    file: QuorumStateFile,
    gate: Mutex<Receiver<()>>,
    opened_by_peer: AtomicBool,
}

impl QuorumStateWrite for GatedWrite {
    fn write(&self, data: &QuorumStateData) -> Result<(), LogError> {
        let opened = self.gate.lock().unwrap().recv_timeout(WATCHDOG).is_ok();
        self.opened_by_peer.store(opened, Ordering::Release);
        self.file.write(data)
    }
}

#[test]
fn other_tasks_of_the_executor_run_while_the_quorum_state_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let (opened_by_peer, stored) = on_executor(move || async move {
        let (open_gate, gate): (SyncSender<()>, _) = sync_channel(1);
        let writer = Arc::new(GatedWrite {
            file: QuorumStateFile::new(&path),
            gate: Mutex::new(gate),
            opened_by_peer: AtomicBool::new(false),
        });
        let mut store = ElectionWrites::new(QuorumStateStore::with_writer(
            &path,
            vec![1, 2, 3],
            writer.clone(),
        ));
        let state = ElectionState {
            epoch: 7,
            leader_id: Some(2),
            voted_key: None,
        };
        let persist = store.persist(&state, 0);
        futures_lite::pin!(persist);
        // The first poll issues the write; a write on the executor's thread finishes (by the
        // gate's watchdog) inside it.
        let first = futures_lite::future::poll_once(&mut persist).await;
        // Another role's task on the same executor: it can run while the write is pending only
        // if the write does not hold the executor's thread.
        let peer = glommio::spawn_local(async move { open_gate.send(()).unwrap() });
        match first {
            Some(result) => result.unwrap(),
            None => within_watchdog("persisting the quorum state", persist)
                .await
                .unwrap()
                .unwrap(),
        }
        within_watchdog("the peer task", peer).await.unwrap();
        let opened_by_peer = writer.opened_by_peer.load(Ordering::Acquire);
        (
            opened_by_peer,
            QuorumStateStore::new(&path, vec![1, 2, 3]).load().unwrap(),
        )
    });
    assert!(
        opened_by_peer,
        "no other task ran during the quorum-state write: it blocked the executor"
    );
    assert_eq!(
        (stored.epoch, stored.leader_id),
        (7, Some(2)),
        "durable when persist completes"
    );
}

/// Kafka's `FileQuorumStateStore` writes the shape of the kraft.version in force: version 0 with
/// the static voter ids, version 1 with the voted directory id and no voters. Both read back.
#[test]
fn the_quorum_state_shape_follows_the_kraft_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let directory_id = Uuid([7; 16]);
    let state = ElectionState {
        epoch: 4,
        leader_id: None,
        voted_key: Some(ReplicaKey {
            id: 2,
            directory_id,
        }),
    };
    let files = on_executor(move || async move {
        let mut texts = Vec::new();
        for kraft_version in [0, 1] {
            let mut store = ElectionWrites::new(QuorumStateStore::new(&path, vec![1, 2, 3]));
            store.persist(&state, kraft_version).await.unwrap();
            let text = std::fs::read_to_string(path.join("quorum-state")).unwrap();
            let loaded = QuorumStateStore::new(&path, vec![1, 2, 3]).load().unwrap();
            texts.push((text, loaded));
        }
        texts
    });
    let (v0, loaded_v0) = &files[0];
    assert!(
        v0.contains("\"currentVoters\":[{\"voterId\":1},{\"voterId\":2},{\"voterId\":3}]"),
        "{v0}"
    );
    assert!(
        v0.ends_with("\"data_version\":0}") && !v0.contains("votedDirectoryId"),
        "{v0}"
    );
    assert_eq!(loaded_v0.voted_key.map(|k| k.id), Some(2));
    let (v1, loaded_v1) = &files[1];
    assert_eq!(
        v1,
        &format!(
            "{{\"leaderId\":-1,\"leaderEpoch\":4,\"votedId\":2,\"votedDirectoryId\":\"{directory_id}\",\"data_version\":1}}"
        )
    );
    assert_eq!(
        loaded_v1.voted_key,
        Some(ReplicaKey {
            id: 2,
            directory_id
        })
    );
    assert_eq!(loaded_v1.epoch, 4);
}
