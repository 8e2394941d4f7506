//! The quorum-state write (two fsyncs and a rename) must not stall the executor it is issued
//! from: the 3-node configs put the network and log roles on the Raft loop's executor.

use super::{on_executor, within_watchdog, WATCHDOG};
use crate::runtime::persist::{ElectionWrites, QuorumStateStore, QuorumStateWrite};
use kraft_engine::ElectionState;
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
        let persist = store.persist(&state);
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
