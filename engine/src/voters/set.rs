//! Kafka's `VoterSet`: the voters of the quorum as replica keys with their listeners and the
//! kraft.version range each supports.

use std::collections::BTreeMap;

use kraft_records::{VoterEndpoint, VoterRecord, VotersRecord};

use crate::config::Voter;
use crate::error::VoterSetError;
use crate::message::{LeaderEndpoint, ReplicaKey, Uuid};

/// The kraft.version a static voter supports (Kafka: `SupportedVersionRange(0, 0)`).
const STATIC_KRAFT_VERSION: i16 = 0;

/// Schema version of the Voters records this node writes (Kafka's `ControlRecordUtils`).
pub const VOTERS_RECORD_VERSION: i16 = 0;

/// One voter: its replica key (a zero directory id = a static voter, matched by id alone), its
/// listeners as advertised, and the kraft.version range it supports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoterNode {
    pub key: ReplicaKey,
    pub listeners: Vec<LeaderEndpoint>,
    pub kraft_version_min: i16,
    pub kraft_version_max: i16,
}

impl VoterNode {
    /// Kafka's `VoterNode.isVoter`: same id, and the same directory id unless this voter has none
    /// (a configured static voter is a voter whatever directory the replica reports).
    pub fn is_voter(&self, replica: ReplicaKey) -> bool {
        self.key.id == replica.id
            && (self.key.directory_id.is_zero() || self.key.directory_id == replica.directory_id)
    }

    /// This voter's endpoint on listener `name`.
    pub fn listener(&self, name: &str) -> Option<&LeaderEndpoint> {
        self.listeners.iter().find(|l| l.name == name)
    }
}

/// The voter set: voters by id (at most one voter per id, as in Kafka).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VoterSet {
    voters: BTreeMap<i32, VoterNode>,
}

impl VoterSet {
    /// The static voters of `controller.quorum.voters` on `listener_name` (kraft.version 0).
    pub fn from_static(voters: &[Voter], listener_name: &str) -> VoterSet {
        let voters = voters
            .iter()
            .map(|v| {
                let node = VoterNode {
                    key: ReplicaKey {
                        id: v.id,
                        directory_id: Uuid::ZERO,
                    },
                    listeners: vec![LeaderEndpoint {
                        name: listener_name.to_string(),
                        host: v.host.clone(),
                        port: v.port,
                    }],
                    kraft_version_min: STATIC_KRAFT_VERSION,
                    kraft_version_max: STATIC_KRAFT_VERSION,
                };
                (v.id, node)
            })
            .collect();
        VoterSet { voters }
    }

    /// Kafka's `VoterSet.fromVotersRecord`; refuses what Kafka could not act on (an empty set, a
    /// negative or repeated id, an inverted version range).
    pub fn from_record(record: &VotersRecord) -> Result<VoterSet, VoterSetError> {
        if record.voters.is_empty() {
            return Err(VoterSetError::new("a Voters record with no voter".into()));
        }
        let mut voters = BTreeMap::new();
        for v in &record.voters {
            if v.voter_id < 0 {
                return Err(VoterSetError::new(format!(
                    "voter id {} is negative",
                    v.voter_id
                )));
            }
            if v.kraft_version_min > v.kraft_version_max || v.kraft_version_min < 0 {
                return Err(VoterSetError::new(format!(
                    "voter {} supports kraft.version {}..{}",
                    v.voter_id, v.kraft_version_min, v.kraft_version_max
                )));
            }
            let node = VoterNode {
                key: ReplicaKey {
                    id: v.voter_id,
                    directory_id: v.voter_directory_id,
                },
                listeners: v
                    .endpoints
                    .iter()
                    .map(|e| LeaderEndpoint {
                        name: e.name.clone(),
                        host: e.host.clone(),
                        port: e.port,
                    })
                    .collect(),
                kraft_version_min: v.kraft_version_min,
                kraft_version_max: v.kraft_version_max,
            };
            if voters.insert(v.voter_id, node).is_some() {
                return Err(VoterSetError::new(format!(
                    "voter id {} is listed twice",
                    v.voter_id
                )));
            }
        }
        Ok(VoterSet { voters })
    }

    /// Kafka's `toVotersRecord` at the version this node writes.
    pub fn to_record(&self) -> VotersRecord {
        VotersRecord {
            version: VOTERS_RECORD_VERSION,
            voters: self
                .voters
                .values()
                .map(|v| VoterRecord {
                    voter_id: v.key.id,
                    voter_directory_id: v.key.directory_id,
                    endpoints: v
                        .listeners
                        .iter()
                        .map(|l| VoterEndpoint {
                            name: l.name.clone(),
                            host: l.host.clone(),
                            port: l.port,
                        })
                        .collect(),
                    kraft_version_min: v.kraft_version_min,
                    kraft_version_max: v.kraft_version_max,
                })
                .collect(),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &VoterNode> + '_ {
        self.voters.values()
    }

    pub fn ids(&self) -> impl Iterator<Item = i32> + '_ {
        self.voters.keys().copied()
    }

    pub fn keys(&self) -> impl Iterator<Item = ReplicaKey> + '_ {
        self.voters.values().map(|v| v.key)
    }

    pub fn get(&self, id: i32) -> Option<&VoterNode> {
        self.voters.get(&id)
    }

    pub fn contains_id(&self, id: i32) -> bool {
        self.voters.contains_key(&id)
    }

    /// Kafka's `isVoter(ReplicaKey)`.
    pub fn contains(&self, replica: ReplicaKey) -> bool {
        self.voters
            .get(&replica.id)
            .is_some_and(|v| v.is_voter(replica))
    }

    /// Kafka's `isOnlyVoter`.
    pub fn is_only_voter(&self, replica: ReplicaKey) -> bool {
        self.voters.len() == 1 && self.contains(replica)
    }

    pub fn len(&self) -> usize {
        self.voters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.voters.is_empty()
    }

    /// `voters / 2 + 1`.
    pub fn majority(&self) -> usize {
        self.voters.len() / 2 + 1
    }

    /// Voter `id`'s endpoint on listener `listener_name`.
    pub fn endpoint(&self, id: i32, listener_name: &str) -> Option<&LeaderEndpoint> {
        self.voters.get(&id).and_then(|v| v.listener(listener_name))
    }

    /// Kafka's `addVoter`: `None` when a voter with that id exists.
    pub fn add_voter(&self, voter: VoterNode) -> Option<VoterSet> {
        if self.voters.contains_key(&voter.key.id) {
            return None;
        }
        let mut voters = self.voters.clone();
        voters.insert(voter.key.id, voter);
        Some(VoterSet { voters })
    }

    /// Kafka's `removeVoter`: `None` unless exactly that key is a voter and others remain.
    pub fn remove_voter(&self, key: ReplicaKey) -> Option<VoterSet> {
        let old = self.voters.get(&key.id)?;
        if old.key != key || self.voters.len() <= 1 {
            return None;
        }
        let mut voters = self.voters.clone();
        voters.remove(&key.id);
        Some(VoterSet { voters })
    }

    /// Kafka's `updateVoter`: `None` unless the voter's key is a voter.
    pub fn update_voter(&self, voter: VoterNode) -> Option<VoterSet> {
        let old = self.voters.get(&voter.key.id)?;
        if !old.is_voter(voter.key) {
            return None;
        }
        let mut voters = self.voters.clone();
        voters.insert(voter.key.id, voter);
        Some(VoterSet { voters })
    }

    /// Kafka's `voterNodeNeedsUpdate`: `node` is a voter here and differs from its entry.
    pub fn voter_node_needs_update(&self, node: &VoterNode) -> bool {
        self.voters
            .get(&node.key.id)
            .is_some_and(|old| old.is_voter(node.key) && old != node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: i32, dir: u64) -> ReplicaKey {
        ReplicaKey {
            id,
            directory_id: if dir == 0 {
                Uuid::ZERO
            } else {
                Uuid::from_parts(0, dir)
            },
        }
    }

    fn node(id: i32, dir: u64) -> VoterNode {
        VoterNode {
            key: key(id, dir),
            listeners: vec![LeaderEndpoint {
                name: "CONTROLLER".into(),
                host: "localhost".into(),
                port: 9000 + id as u16,
            }],
            kraft_version_min: 0,
            kraft_version_max: 1,
        }
    }

    #[test]
    fn record_round_trip_and_directory_matching() {
        let set = VoterSet::default()
            .add_voter(node(1, 11))
            .and_then(|s| s.add_voter(node(2, 0)))
            .expect("distinct ids");
        let back = VoterSet::from_record(&set.to_record()).expect("valid");
        assert_eq!(back, set);
        assert!(set.contains(key(1, 11)));
        assert!(
            !set.contains(key(1, 12)),
            "another directory of voter 1 is not a voter"
        );
        assert!(
            set.contains(key(2, 5)),
            "a voter without directory id matches any"
        );
        assert_eq!(set.majority(), 2);
        assert!(set.add_voter(node(1, 12)).is_none(), "one voter per id");
        assert!(
            set.remove_voter(key(1, 12)).is_none(),
            "remove needs the exact key"
        );
        let one = set.remove_voter(key(1, 11)).expect("exact key");
        assert!(
            one.remove_voter(key(2, 0)).is_none(),
            "the last voter stays"
        );
        assert!(one.is_only_voter(key(2, 9)));
    }

    #[test]
    fn bad_records_are_refused() {
        let mut record = VoterSet::default()
            .add_voter(node(1, 1))
            .unwrap()
            .to_record();
        record.voters.push(record.voters[0].clone());
        assert!(VoterSet::from_record(&record).is_err(), "repeated id");
        record.voters.clear();
        assert!(VoterSet::from_record(&record).is_err(), "empty");
    }
}
