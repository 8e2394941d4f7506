//! Listener notifications (spec 5.3): commits in order and each once, leader changes reconciled
//! after every input, so a listener registered at any time learns the current leader at once
//! (KAFKA-16286).

use super::RaftNode;
use crate::io::{LeaderAndEpoch, ListenerEvent, ListenerId, Output};
use crate::listener::{ListenerState, MAX_LISTENERS};
use crate::state::QuorumState;

impl RaftNode {
    pub(super) fn register_listener(&mut self, id: ListenerId) {
        if self.listeners.iter().any(|l| l.id == id) {
            return; // registering one listener twice counts once
        }
        assert!(
            self.listeners.len() < MAX_LISTENERS,
            "at most {MAX_LISTENERS} listeners"
        );
        self.listeners.push(ListenerState::new(id));
    }

    /// Delivers due commits, then reconciles each listener's last-notified leader.
    pub(super) fn update_listeners(&mut self) {
        if self.listeners.is_empty() {
            return;
        }
        // Events go straight to the output queue (a field apart from `listeners`), so this runs
        // on every commit without allocating.
        let outputs = &mut self.outputs;
        let mut emit = |id: ListenerId, event: ListenerEvent| {
            assert!(
                outputs.len() < super::MAX_PENDING_OUTPUTS,
                "the runtime must drain outputs after every step"
            );
            outputs.push_back(Output::Listener { id, event });
        };
        let snapshot = self.log.latest_snapshot.map(|s| s.snapshot_id);
        let log_start = self.log.start_offset;
        if let Some(hw) = self.high_watermark {
            for l in &mut self.listeners {
                if l.next_offset >= hw {
                    continue;
                }
                if l.next_offset < log_start && !planted!(ListenerMissesLoadSnapshot) {
                    if let Some(id) = snapshot {
                        emit(l.id, ListenerEvent::LoadSnapshot { snapshot_id: id });
                        l.next_offset = id.end_offset;
                    }
                }
                if l.next_offset < hw {
                    emit(
                        l.id,
                        ListenerEvent::Commit {
                            from_offset: l.next_offset,
                            to_offset_exclusive: hw,
                        },
                    );
                    if !planted!(ListenerCommitNotAdvanced) {
                        l.next_offset = hw;
                    }
                }
            }
        }
        let current = LeaderAndEpoch {
            leader_id: self.state.leader_id(self.config.node_id),
            epoch: self.state.epoch(),
        };
        // KAFKA-15345: own leadership only once the listener read past the epoch start;
        // KAFKA-17333: nothing while Resigned.
        let min_next_offset = match &self.state {
            QuorumState::Resigned(_) => None,
            QuorumState::Leader(_) if planted!(ListenerLeaderTooEarly) => Some(i64::MIN),
            QuorumState::Leader(leader) => Some(leader.epoch_start_offset + 1),
            _ => Some(i64::MIN),
        };
        if let Some(min_next_offset) = min_next_offset {
            for l in &mut self.listeners {
                if l.next_offset >= min_next_offset && l.should_fire(current) {
                    l.last_fired = current;
                    emit(l.id, ListenerEvent::LeaderChange(current));
                }
            }
        }
    }
}
