//! Who this replica is in the voter set and where nodes listen: voter membership, the right
//! to run for leader, this node's voter entry and the endpoints responses carry.

use super::RaftNode;
use crate::message::{LeaderEndpoint, NodeEndpoint};
use crate::voters::{VoterNode, SUPPORTED_KRAFT_VERSION_MAX, SUPPORTED_KRAFT_VERSION_MIN};

impl RaftNode {
    /// This replica (id and directory id) is in the latest voter set.
    pub(crate) fn is_voter(&self) -> bool {
        self.voter_set().contains(self.local_key())
    }

    /// This node's endpoints as a leader announces them (BeginQuorumEpoch, EndQuorumEpoch):
    /// its entry of the static voters, or in a dynamic quorum its own advertised listeners
    /// (Kafka's `localListeners`).
    pub(crate) fn local_leader_endpoints(&self) -> Vec<LeaderEndpoint> {
        if self.config.is_dynamic() {
            return self.config.local_listeners.clone();
        }
        self.voter_endpoint(self.config.node_id)
            .into_iter()
            .collect()
    }

    /// This replica as a voter node of a dynamic quorum (its key, advertised listeners and
    /// supported kraft.versions); `None` without advertised listeners.
    pub(crate) fn local_voter_node(&self) -> Option<VoterNode> {
        if self.config.local_listeners.is_empty() {
            return None;
        }
        Some(VoterNode {
            key: self.local_key(),
            listeners: self.config.local_listeners.clone(),
            kraft_version_min: SUPPORTED_KRAFT_VERSION_MIN,
            kraft_version_max: SUPPORTED_KRAFT_VERSION_MAX,
        })
    }

    /// Whether this replica runs elections: a voter of its latest voter set, or (Raft thesis
    /// 4.2.2) a voter of the committed set that its latest, uncommitted set left out. Until that
    /// change commits it may still be needed to elect a leader (a leader that removed itself
    /// and lost leadership before the commit, with the remaining voters behind it); its own vote
    /// does not count (`VoteTally`), and once leader it resigns when the change commits.
    pub(crate) fn may_run_for_leader(&self) -> bool {
        if self.is_voter() {
            return true;
        }
        // Unknown (after a restart) counts as uncommitted. The set before the latest was
        // committed when the latest was appended (one change at a time).
        let hw = self.high_watermark.unwrap_or(0);
        let latest_uncommitted = self.history.latest_offset().is_some_and(|o| o >= hw);
        latest_uncommitted
            && self
                .history
                .previous()
                .is_some_and(|committed| committed.contains(self.local_key()))
    }

    /// Voter `id`'s endpoint on this node's listener.
    pub(crate) fn voter_endpoint(&self, id: i32) -> Option<LeaderEndpoint> {
        self.voter_set()
            .endpoint(id, &self.config.listener_name)
            .cloned()
    }

    /// NodeEndpoints for responses: the known leader's endpoint on our listener.
    pub(crate) fn leader_node_endpoints(&self) -> Vec<NodeEndpoint> {
        let Some(id) = self.state.leader_id(self.config.node_id) else {
            return Vec::new();
        };
        self.endpoint_of(id)
            .map(|e| NodeEndpoint {
                node_id: id,
                host: e.host,
                port: e.port,
            })
            .into_iter()
            .collect()
    }

    /// Where `id` listens on this node's listener: this node's own advertised endpoint, a
    /// voter's, or the endpoint learned for the leader.
    pub(crate) fn endpoint_of(&self, id: i32) -> Option<LeaderEndpoint> {
        let listener = &self.config.listener_name;
        if id == self.config.node_id {
            return self
                .local_leader_endpoints()
                .into_iter()
                .find(|e| e.name == *listener);
        }
        self.voter_endpoint(id).or_else(|| {
            self.leader_address
                .as_ref()
                .filter(|a| a.id == id)
                .map(|a| LeaderEndpoint {
                    name: listener.clone(),
                    host: a.host.clone(),
                    port: a.port,
                })
        })
    }
}
