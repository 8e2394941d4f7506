//! The address book (`Output::UpdatePeers`): every node the core may send to.

use super::RaftNode;
use crate::io::{Output, PeerAddress};
use crate::state::QuorumState;

/// Kafka numbers the bootstrap servers -2, -3, ... in their configured order
/// (`RequestManager`'s bootstrap nodes).
pub(crate) fn bootstrap_id(index: usize) -> i32 {
    -2 - index as i32
}

impl RaftNode {
    /// Recomputes the address book and emits it when it changed. Called at start and whenever
    /// the voter set or an extra peer (learned leader, would-be voter) changes: rare events.
    pub(super) fn update_peers(&mut self) {
        let local_id = self.config.node_id;
        let listener = &self.config.listener_name;
        let mut peers: Vec<PeerAddress> = self
            .voter_set()
            .iter()
            .filter(|v| v.key.id != local_id)
            .filter_map(|v| {
                v.listener(listener).map(|e| PeerAddress {
                    id: v.key.id,
                    host: e.host.clone(),
                    port: e.port,
                })
            })
            .collect();
        for extra in self.extra_peers() {
            if extra.id != local_id && !peers.iter().any(|p| p.id == extra.id) {
                peers.push(extra);
            }
        }
        // The current state may still address a node that just left the voter set (the leader
        // it follows, a voter its election or resignation counts): keep its known address.
        for id in self.state_targets() {
            if !peers.iter().any(|p| p.id == id) {
                if let Some(known) = self.peers.iter().find(|p| p.id == id) {
                    peers.push(known.clone());
                }
            }
        }
        for (i, (host, port)) in self.config.bootstrap_servers.iter().enumerate() {
            peers.push(PeerAddress {
                id: bootstrap_id(i),
                host: host.clone(),
                port: *port,
            });
        }
        if !self.peers_emitted || peers != self.peers {
            self.peers = peers.clone();
            self.peers_emitted = true;
            self.emit(Output::UpdatePeers { peers });
        }
    }

    /// Whether this node knows where `leader_id` listens: a voter's endpoint on its listener, or
    /// the endpoint a message named for it.
    pub(crate) fn leader_reachable(&self, leader_id: i32) -> bool {
        self.voter_endpoint(leader_id).is_some()
            || self
                .leader_address
                .as_ref()
                .is_some_and(|a| a.id == leader_id)
    }

    /// A message named `endpoint` as the leader's (Fetch NodeEndpoints, BeginQuorumEpoch
    /// LeaderEndpoints): keep it so this node can fetch from a leader outside its voter set (an
    /// observer of a dynamic quorum, a replica whose voter set is behind).
    pub(crate) fn learn_leader_endpoint(&mut self, endpoint: PeerAddress) {
        if endpoint.id < 0 || endpoint.id == self.config.node_id {
            return;
        }
        if self.leader_address.as_ref() == Some(&endpoint) {
            return;
        }
        self.leader_address = Some(endpoint);
        self.update_peers();
    }

    /// Whether `id` is in the address book (the core never sends elsewhere).
    pub(crate) fn is_known_peer(&self, id: i32) -> bool {
        self.peers.iter().any(|p| p.id == id)
    }

    /// The nodes the current epoch state sends to.
    fn state_targets(&self) -> Vec<i32> {
        match &self.state {
            QuorumState::Follower(f) => vec![f.leader_id],
            QuorumState::Unattached(u) => u.leader_id.into_iter().collect(),
            QuorumState::Prospective(p) => p.votes.unrecorded().chain(p.leader_id).collect(),
            QuorumState::Candidate(c) => c.votes.unrecorded().collect(),
            QuorumState::Resigned(r) => r.unacked_voters.iter().copied().collect(),
            QuorumState::Leader(_) => Vec::new(),
        }
    }

    /// Peers outside the voter set: the leader learned from a response or BeginQuorumEpoch,
    /// and a would-be voter the leader asks ApiVersions.
    fn extra_peers(&self) -> Vec<PeerAddress> {
        let mut extra = Vec::new();
        if let Some(leader) = &self.leader_address {
            extra.push(leader.clone());
        }
        if let Some(candidate) = &self.pending_voter_address {
            extra.push(candidate.clone());
        }
        extra
    }
}
