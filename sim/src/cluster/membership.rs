//! What the cluster tells the checker about voter sets (KIP-853): the Voters records each log
//! holds (followed through appends, truncations, snapshot loads and restarts), the voter set the
//! core reports against them, the votes behind each leader, one voter change at a time, and
//! a node never standing for election once it knows its removal committed.

use kraft_engine::message::ReplicaKey;
use kraft_engine::voters::control_entries;
use kraft_engine::{ControlEntry, ControlKind, StateName, VoterSet};
use kraft_records::{BatchIter, VotersRecord};

use super::{Cluster, SimNode};
use crate::disk::SimDisk;
use crate::network::NodeId;
use kraft_engine::ElectionState;

/// The replica keys of a Voters record.
pub(super) fn record_keys(record: &VotersRecord) -> Vec<ReplicaKey> {
    record
        .voters
        .iter()
        .map(|v| ReplicaKey {
            id: v.voter_id,
            directory_id: v.voter_directory_id,
        })
        .collect()
}

/// The Voters records of `entries`, in order.
pub(super) fn voters_of(entries: &[ControlEntry]) -> Vec<(i64, VotersRecord)> {
    entries
        .iter()
        .filter_map(|e| match &e.kind {
            ControlKind::Voters(record) => Some((e.offset, record.clone())),
            ControlKind::KRaftVersion(_) => None,
        })
        .collect()
}

/// The disks of `voters` among `nodes` (a voter without its replica, e.g. a wiped one, holds
/// nothing: `empty`).
pub(super) fn voter_disks<'a>(
    nodes: &'a [SimNode],
    empty: &'a SimDisk<ElectionState>,
    voters: &[ReplicaKey],
) -> Vec<(NodeId, &'a SimDisk<ElectionState>)> {
    voters
        .iter()
        .map(|v| {
            let replica = nodes.iter().find(|n| {
                n.id == v.id
                    && (v.directory_id.is_zero() || v.directory_id == n.config.directory_id)
            });
            (v.id, replica.map_or(empty, |n| &n.disk))
        })
        .collect()
}

impl Cluster {
    /// Node `i`'s replica key (its current directory id).
    pub(super) fn replica_key_of(&self, i: usize) -> ReplicaKey {
        ReplicaKey {
            id: self.nodes[i].id,
            directory_id: self.nodes[i].config.directory_id,
        }
    }

    /// Whether node `i`, as it is now (its directory id), is a voter of the committed voter set.
    pub(super) fn is_committed_voter(&self, i: usize) -> bool {
        let key = self.replica_key_of(i);
        self.checker.committed_voters().iter().any(|v| {
            v.id == key.id && (v.directory_id.is_zero() || v.directory_id == key.directory_id)
        })
    }

    /// Indexes of the nodes that are voters of the committed voter set.
    pub(super) fn committed_voter_indexes(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.is_committed_voter(i))
            .collect()
    }

    /// Node `i` appended a batch to its log: its Voters records join the log's, and a leader's
    /// voter change is judged (one uncommitted at a time).
    pub(super) fn track_appended_voters(&mut self, i: usize, epoch: i32, bytes: &[u8]) {
        let Some(Ok(batch)) = BatchIter::new(bytes).next() else {
            return;
        };
        if !batch.header.is_control() {
            return;
        }
        let Ok(entries) = control_entries(&batch) else {
            return;
        };
        let appended = voters_of(&entries);
        let Some((last_offset, last_record)) = appended.last() else {
            return;
        };
        let now = self.now_ms;
        let id = self.nodes[i].id;
        self.checker.on_voters_appended(
            epoch,
            batch.header.base_offset,
            *last_offset,
            record_keys(last_record),
        );
        if let Some(core) = self.nodes[i].core.as_ref() {
            let status_leader = core.status().state == StateName::Leader;
            let previous = self.nodes[i].log_voters.last();
            let changed = previous.is_none_or(|(_, p)| {
                VoterSet::from_record(p).ok() != VoterSet::from_record(last_record).ok()
            });
            if status_leader && changed {
                let previous_offset = previous.map_or(-1, |p| p.0);
                let high_watermark = core.high_watermark().unwrap_or(-1);
                self.checker.on_voter_change_appended(
                    now,
                    id,
                    *last_offset,
                    previous_offset,
                    high_watermark,
                );
            }
        }
        self.nodes[i].log_voters.extend(appended);
    }

    /// After a step of node `i`: its voter set is its log's last Voters record, and it stands
    /// for election only as one of its voters.
    pub(super) fn check_membership(&mut self, i: usize) {
        let now = self.now_ms;
        let key = self.replica_key_of(i);
        let node = &self.nodes[i];
        let Some(core) = node.core.as_ref() else {
            return;
        };
        if core.kraft_version() == 0 {
            return;
        }
        let state = core.status().state;
        let in_set = core.voter_set().iter().any(|v| v.is_voter(key));
        // Raft thesis 4.2.2 (and the core): a voter left out by an uncommitted change may still
        // run, to finish it. Once it knows its removal committed (its high watermark passed the
        // Voters record), it never stands again: it must not disturb the quorum (KIP-853).
        let removal_known_committed = node
            .log_voters
            .last()
            .zip(core.high_watermark())
            .is_some_and(|((offset, _), hw)| *offset < hw);
        let standing = matches!(state, StateName::Prospective | StateName::Candidate);
        if standing && !in_set && removal_known_committed {
            let detail = format!(
                "{state:?} outside its voter set {:?}, committed below its high watermark {:?}",
                core.voter_set().ids().collect::<Vec<_>>(),
                core.high_watermark()
            );
            self.checker.on_removed_voter_election(now, key.id, detail);
        }
        if node.outputs.must_wait() {
            // Appends queued behind a quorum-state write have not reached `core_log` yet.
            return;
        }
        let expected = node
            .log_voters
            .last()
            .and_then(|(_, record)| VoterSet::from_record(record).ok());
        let held = (!core.voter_set().is_empty()).then(|| core.voter_set().clone());
        if expected != held {
            let detail = format!(
                "voter set {:?}, its log's last Voters record {:?}",
                held.map(|s| s.keys().collect::<Vec<_>>()),
                node.log_voters.last().map(|(o, r)| (*o, record_keys(r)))
            );
            self.checker.on_voters_disagree(now, key.id, detail);
        }
    }

    /// Judges the votes behind node `i` leading `epoch` (once per epoch).
    pub(super) fn check_leader_votes(&mut self, i: usize, epoch: i32) {
        let key = self.replica_key_of(i);
        let Some(core) = self.nodes[i].core.as_ref() else {
            return;
        };
        let voters: Vec<ReplicaKey> = core.voter_set().keys().collect();
        self.checker
            .check_leader_votes(self.now_ms, key, epoch, &voters);
    }
}
