//! Dynamic quorums (KIP-853) for the core tests: nodes with directory ids and advertised
//! listeners, formatted like `kraft-storage format` does (a bootstrap checkpoint with
//! kraft.version 1 and, for the initial controllers, their Voters record), and finding each
//! other through `controller.quorum.bootstrap.servers`.

use kraft_engine::message::{LeaderEndpoint, ReplicaKey, Uuid};
use kraft_engine::{
    ControlEntry, ControlKind, RaftConfig, RaftNode, RestoredState, VoterNode, VoterSet,
};

use super::Cluster;

/// Node `id`'s directory id (`generation` tells a wiped disk's new one apart).
pub fn directory_id(id: i32, generation: u64) -> Uuid {
    Uuid::from_parts(0x5eed + generation, id as u64)
}

pub fn key(id: i32) -> ReplicaKey {
    ReplicaKey {
        id,
        directory_id: directory_id(id, 0),
    }
}

pub fn endpoint(id: i32) -> LeaderEndpoint {
    LeaderEndpoint {
        name: "CONTROLLER".to_string(),
        host: "127.0.0.1".to_string(),
        port: 9000 + id as u16,
    }
}

pub fn voter_node(id: i32) -> VoterNode {
    VoterNode {
        key: key(id),
        listeners: vec![endpoint(id)],
        kraft_version_min: 0,
        kraft_version_max: 1,
    }
}

pub fn voter_set(ids: &[i32]) -> VoterSet {
    ids.iter().fold(VoterSet::default(), |set, &id| {
        set.add_voter(voter_node(id)).expect("distinct ids")
    })
}

/// A dynamic node: no static voters, the bootstrap servers `bootstrap` (node ids).
pub fn config(id: i32, bootstrap: &[i32]) -> RaftConfig {
    let mut cfg = RaftConfig::new(id, Vec::new());
    cfg.directory_id = directory_id(id, 0);
    cfg.local_listeners = vec![endpoint(id)];
    cfg.bootstrap_servers = bootstrap
        .iter()
        .map(|&b| ("127.0.0.1".to_string(), 9000 + b as u16))
        .collect();
    cfg
}

/// The bootstrap checkpoint's entries: kraft.version 1 and, unless `voters` is empty
/// (`--no-initial-controllers`), the initial voter set.
pub fn bootstrap_entries(voters: &[i32]) -> Vec<ControlEntry> {
    let mut entries = vec![ControlEntry {
        offset: -1,
        kind: ControlKind::KRaftVersion(1),
    }];
    if !voters.is_empty() {
        entries.push(ControlEntry {
            offset: -1,
            kind: ControlKind::Voters(voter_set(voters).to_record()),
        });
    }
    entries
}

pub fn restored(voters: &[i32]) -> RestoredState {
    RestoredState {
        kraft_control: bootstrap_entries(voters),
        ..RestoredState::empty()
    }
}

impl Cluster {
    /// Nodes `node_ids`, formatted with the initial controllers `voter_ids` (the others with
    /// `--no-initial-controllers`), every node's bootstrap servers the initial controllers.
    pub fn new_dynamic(node_ids: &[i32], voter_ids: &[i32]) -> Cluster {
        let mut cluster = Cluster::new(&[], &[]);
        for &id in node_ids {
            cluster.add_dynamic(id, voter_ids, |_| {});
        }
        cluster
    }

    /// Adds dynamic node `id` (bootstrap servers `voter_ids`; formatted with them as initial
    /// controllers when it is one of them); `adjust` edits its config first.
    pub fn add_dynamic(
        &mut self,
        id: i32,
        voter_ids: &[i32],
        adjust: impl FnOnce(&mut RaftConfig),
    ) {
        let mut cfg = config(id, voter_ids);
        adjust(&mut cfg);
        let formatted: &[i32] = if voter_ids.contains(&id) {
            voter_ids
        } else {
            &[]
        };
        let node = RaftNode::new(cfg, restored(formatted), self.now, id as u64 * 7919 + 1)
            .expect("valid dynamic config");
        self.add(id, node);
    }

    /// The voter ids of node `id`'s latest voter set.
    pub fn voters_of(&self, id: i32) -> Vec<i32> {
        self.node(id).voter_set().ids().collect()
    }
}

/// Request ids of operator requests (well above the cluster's own).
const OPERATOR_REQUEST_BASE: u64 = 1 << 40;

impl Cluster {
    /// An operator's request (`kraft-quorum add-controller` and the like) to node `to`; returns
    /// its request id.
    pub fn operator(&mut self, to: i32, request: kraft_engine::message::Request) -> u64 {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let request_id =
            OPERATOR_REQUEST_BASE + NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.step(
            to,
            kraft_engine::Input::Request {
                request_id,
                request,
            },
        );
        request_id
    }

    /// Node `id`'s answer to request `request_id`, if it answered.
    pub fn answer(&self, id: i32, request_id: u64) -> Option<kraft_engine::message::Response> {
        self.peer(id).trace.iter().find_map(|o| match o {
            kraft_engine::Output::Respond {
                request_id: r,
                response,
            } if *r == request_id => Some(response.clone()),
            _ => None,
        })
    }
}

pub fn add_request(id: i32, ack_when_committed: bool) -> kraft_engine::message::Request {
    kraft_engine::message::Request::AddRaftVoter(kraft_engine::message::AddRaftVoterRequest {
        cluster_id: Some(RaftConfig::DEFAULT_CLUSTER_ID.to_string()),
        timeout_ms: 30_000,
        voter_id: id,
        voter_directory_id: directory_id(id, 0),
        listeners: vec![endpoint(id)],
        ack_when_committed,
    })
}

pub fn remove_request(key: ReplicaKey) -> kraft_engine::message::Request {
    kraft_engine::message::Request::RemoveRaftVoter(kraft_engine::message::RemoveRaftVoterRequest {
        cluster_id: None,
        voter_id: key.id,
        voter_directory_id: key.directory_id,
    })
}

/// The (error code, message) of an AddRaftVoter or RemoveRaftVoter answer.
pub fn change_answer(
    response: Option<kraft_engine::message::Response>,
) -> Option<(kraft_engine::message::ErrorCode, Option<String>)> {
    match response? {
        kraft_engine::message::Response::AddRaftVoter(r) => Some((r.error_code, r.error_message)),
        kraft_engine::message::Response::RemoveRaftVoter(r) => {
            Some((r.error_code, r.error_message))
        }
        other => panic!("not a voter-change answer: {other:?}"),
    }
}
