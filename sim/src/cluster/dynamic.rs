//! Dynamic quorums (KIP-853, kraft.version 1) in the simulator: each node's configuration
//! (directory id, advertised listener, bootstrap servers, auto-join), what formatting its disk
//! writes (the bootstrap checkpoint's control entries), the control entries a restart restores
//! from the disk (`RestoredState::kraft_control`, as the runtime's segment recovery collects
//! them), and the address book the network follows (`Output::UpdatePeers`).

use kraft_engine::config::RaftConfig;
use kraft_engine::message::{LeaderEndpoint, ReplicaKey, Uuid};
use kraft_engine::voters::BOOTSTRAP_OFFSET;
use kraft_engine::{ControlEntry, ControlKind, PeerAddress, VoterNode, VoterSet};
use kraft_records::BatchIter;

use super::Cluster;
use crate::disk::SimDisk;
use crate::network::NodeId;

/// Node `id`'s directory id after `wipes` wiped disks (`meta.properties`' `directory.id`).
pub(super) fn directory_id(id: NodeId, wipes: u64) -> Uuid {
    Uuid::from_parts(0x5eed_0000 + wipes, id as u64)
}

pub(super) fn replica_key(id: NodeId, wipes: u64) -> ReplicaKey {
    ReplicaKey {
        id,
        directory_id: directory_id(id, wipes),
    }
}

/// Node `id`'s Raft listener as it advertises it (and the address the network routes to it).
pub(super) fn endpoint(id: NodeId) -> LeaderEndpoint {
    LeaderEndpoint {
        name: "CONTROLLER".to_string(),
        host: format!("node{id}"),
        port: port_of(id),
    }
}

fn port_of(id: NodeId) -> u16 {
    9000 + id as u16
}

/// The node a (host, port) of an address book names, if any.
pub(super) fn node_at(host: &str, port: u16) -> Option<NodeId> {
    let id = NodeId::from(port.checked_sub(9000)?);
    (host == format!("node{id}")).then_some(id)
}

/// The voter node formatting writes for `key` (this node supports kraft.version 0..1).
pub(super) fn voter_node(key: ReplicaKey) -> VoterNode {
    VoterNode {
        key,
        listeners: vec![endpoint(key.id)],
        kraft_version_min: kraft_engine::voters::SUPPORTED_KRAFT_VERSION_MIN,
        kraft_version_max: kraft_engine::voters::SUPPORTED_KRAFT_VERSION_MAX,
    }
}

/// A dynamic node's configuration: no static voters, the initial controllers `1..=initial` as
/// bootstrap servers.
pub(super) fn dynamic_config(
    id: NodeId,
    initial: usize,
    wipes: u64,
    auto_join: bool,
) -> RaftConfig {
    let mut config = RaftConfig::new(id, Vec::new());
    config.directory_id = directory_id(id, wipes);
    config.local_listeners = vec![endpoint(id)];
    config.bootstrap_servers = (1..=initial as NodeId)
        .map(|b| (format!("node{b}"), port_of(b)))
        .collect();
    config.auto_join = auto_join;
    config
}

/// The bootstrap checkpoint `kraft-storage format` writes: kraft.version 1 and, for an initial
/// controller, the initial voter set (`--initial-controllers`); only kraft.version 1 for the
/// others (`--no-initial-controllers`).
pub(super) fn bootstrap_entries(initial_voters: &[ReplicaKey]) -> Vec<ControlEntry> {
    let mut entries = vec![ControlEntry {
        offset: BOOTSTRAP_OFFSET,
        kind: ControlKind::KRaftVersion(1),
    }];
    if !initial_voters.is_empty() {
        let set = initial_voters
            .iter()
            .fold(VoterSet::default(), |set, &key| {
                set.add_voter(voter_node(key)).expect("distinct voter ids")
            });
        entries.push(ControlEntry {
            offset: BOOTSTRAP_OFFSET,
            kind: ControlKind::Voters(set.to_record()),
        });
    }
    entries
}

/// The control entries a snapshot frozen at `end_offset` holds (Kafka's RecordsSnapshotWriter
/// at kraft.version 1: KRaftVersion then Voters, at `end_offset - 1`).
pub(super) fn snapshot_entries(
    end_offset: i64,
    kraft_version: i16,
    voters: Option<&VoterSet>,
) -> Vec<ControlEntry> {
    if kraft_version == 0 {
        return Vec::new();
    }
    let offset = end_offset - 1;
    let mut entries = vec![ControlEntry {
        offset,
        kind: ControlKind::KRaftVersion(kraft_version),
    }];
    if let Some(set) = voters {
        entries.push(ControlEntry {
            offset,
            kind: ControlKind::Voters(set.to_record()),
        });
    }
    entries
}

/// Every KRaftVersion and Voters record of `disk`'s batches at or above `from_offset` (the
/// runtime's recovery scan of control batches).
pub(super) fn log_entries<Q: Clone>(disk: &SimDisk<Q>, from_offset: i64) -> Vec<ControlEntry> {
    let batches = disk.batches();
    let first = batches.partition_point(|b| b.last_offset < from_offset);
    let mut entries = Vec::new();
    for stored in &batches[first..] {
        let Some(Ok(batch)) = BatchIter::new(&stored.bytes).next() else {
            continue;
        };
        if let Ok(found) = kraft_engine::voters::control_entries(&batch) {
            entries.extend(found.into_iter().filter(|e| e.offset >= from_offset));
        }
    }
    entries
}

impl Cluster {
    /// `Output::UpdatePeers`: the ids node `i` may send to, each resolved to the node its address
    /// names (a bootstrap server's -2, -3, ... included); an address naming no node stays in the
    /// book unresolved (a send there fails as a refused connection).
    pub(super) fn update_address_book(&mut self, i: usize, peers: &[PeerAddress]) {
        let node = &mut self.nodes[i];
        node.address_book = peers
            .iter()
            .map(|p| (p.id, node_at(&p.host, p.port)))
            .collect();
        // Queues of peers that left the book end with them, as the runtime's tasks do.
        let book = &node.address_book;
        node.peers.retain(|id, _| book.contains_key(id));
    }

    /// The control entries node `i`'s restart restores: the bootstrap checkpoint's (when no
    /// snapshot is newer), the latest snapshot's, then the log's after it.
    pub(super) fn restored_kraft_control(&self, i: usize) -> Vec<ControlEntry> {
        let node = &self.nodes[i];
        let mut entries = Vec::new();
        let from_offset = match node.snapshots.latest() {
            Some(snapshot) => {
                let end_offset = snapshot.snapshot_id.end_offset;
                if let Some(held) = self
                    .snapshot_control
                    .get(&(end_offset, snapshot.prefix_hash))
                {
                    entries.extend(held.iter().cloned());
                }
                end_offset
            }
            None => {
                entries.extend(node.bootstrap_control.iter().cloned());
                0
            }
        };
        entries.extend(log_entries(&node.disk, from_offset));
        entries
    }
}
