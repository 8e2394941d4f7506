//! Keeping the voter-set history in step with the log (Kafka's
//! `KRaftControlRecordStateMachine`): control batches appended, truncations, snapshot loads, and
//! what follows when the voter set changes (address book, the leader's replica states, whether
//! this replica acts as a voter).

use kraft_records::Batch;

use super::RaftNode;
use crate::message::ReplicaKey;
use crate::state::QuorumState;
use crate::voters::{control_entries, ControlEntry, VoterSet};

impl RaftNode {
    /// A control batch reached the log (fetched, or the leader's own): its KRaftVersion and
    /// Voters records are in force from their offsets on (KIP-853). A record that does not
    /// decode or describe a voter set is skipped: the batch passed its CRC, so only a buggy
    /// leader writes one, and refusing the batch would stop this replica for good.
    pub(super) fn record_control_batch(&mut self, batch: &Batch<'_>) {
        if !batch.header.is_control() {
            return;
        }
        let Ok(entries) = control_entries(batch) else {
            return;
        };
        if entries.is_empty() {
            return;
        }
        let before = self.history.latest().clone();
        for entry in &entries {
            let _ = self.history.add(entry);
        }
        self.on_voter_set_changed(&before);
    }

    /// The leader appended a voter-set change at `offset`.
    pub(super) fn record_own_voter_set(&mut self, offset: i64, voters: &VoterSet) {
        let before = self.history.latest().clone();
        let entry = ControlEntry {
            offset,
            kind: crate::voters::ControlKind::Voters(voters.to_record()),
        };
        self.history
            .add(&entry)
            .expect("the leader's own voter set is valid and appended at the log end");
        self.on_voter_set_changed(&before);
    }

    /// The log was truncated to `end_offset`: changes at or above it are rolled back.
    pub(super) fn truncate_voter_history(&mut self, end_offset: i64) {
        if self.history.latest_offset().is_none_or(|o| o < end_offset)
            && self.history.kraft_version_at(end_offset - 1) == self.history.kraft_version()
        {
            return;
        }
        let before = self.history.latest().clone();
        self.history.truncate_from(end_offset);
        self.on_voter_set_changed(&before);
    }

    /// The log was replaced by a snapshot ending at `end_offset` holding `entries`. Entries
    /// that are not the snapshot's (offset `end_offset - 1`) or do not describe a voter set are
    /// skipped (the runtime checked the file; only a buggy leader writes such a snapshot).
    pub(super) fn replace_voter_history(&mut self, entries: &[ControlEntry], end_offset: i64) {
        let before = self.history.latest().clone();
        let _ = self.history.replace(&[]);
        for entry in entries.iter().filter(|e| e.offset == end_offset - 1) {
            let _ = self.history.add(entry);
        }
        self.on_voter_set_changed(&before);
    }

    /// What follows a change of the latest voter set.
    fn on_voter_set_changed(&mut self, before: &VoterSet) {
        if self.history.latest() == before {
            return;
        }
        self.note_local_voter_removed(before.contains(self.local_key()));
        self.update_peers();
        self.leader_sync_voters();
        self.sync_local_voter_role();
    }

    /// The leader's replica states follow the latest voter set (Kafka's
    /// `LeaderState.updateLocalState`): a removed voter becomes an observer, an added one a voter
    /// (keeping its progress when its directory id matches) that gets a BeginQuorumEpoch.
    fn leader_sync_voters(&mut self) {
        let local_id = self.config.node_id;
        let now = self.now_ms;
        let check_quorum_timeout_ms = self.check_quorum_timeout_ms();
        let local_key = self.local_key();
        let set = self.history.latest();
        let QuorumState::Leader(l) = &mut self.state else {
            return;
        };
        let removed: Vec<i32> = l
            .voters
            .keys()
            .copied()
            .filter(|&id| !set.contains_id(id))
            .collect();
        for id in removed {
            if let Some(progress) = l.voters.remove(&id) {
                l.observers.insert(id, progress);
            }
            l.begin_quorum_pending.remove(&id);
            l.fetched_voters.remove(&id);
        }
        for node in set.iter().filter(|v| v.key.id != local_id) {
            let id = node.key.id;
            if l.voters.contains_key(&id) {
                continue;
            }
            let progress = l
                .observers
                .remove(&id)
                .filter(|p| {
                    set.contains(ReplicaKey {
                        id,
                        directory_id: p.directory_id,
                    })
                })
                .unwrap_or_default();
            l.voters.insert(id, progress);
            l.begin_quorum_pending.insert(id);
        }
        l.check_quorum_deadline_ms = if !set.is_only_voter(local_key) {
            Some(
                l.check_quorum_deadline_ms
                    .unwrap_or(now.saturating_add(check_quorum_timeout_ms)),
            )
        } else {
            None
        };
        self.maybe_update_leader_high_watermark();
    }

    /// A replica that joined the voter set arms its election timer; one that left it stops
    /// (an observer never starts an election).
    fn sync_local_voter_role(&mut self) {
        let is_voter = self.may_run_for_leader();
        let armed = match &self.state {
            QuorumState::Unattached(u) => Some(u.election_deadline_ms.is_some()),
            _ => None,
        };
        match armed {
            Some(false) if is_voter => {
                let deadline = self.fresh_election_deadline();
                if let QuorumState::Unattached(u) = &mut self.state {
                    u.election_deadline_ms = Some(deadline);
                }
            }
            Some(true) if !is_voter => {
                if let QuorumState::Unattached(u) = &mut self.state {
                    u.election_deadline_ms = None;
                }
            }
            _ => {}
        }
    }
}
