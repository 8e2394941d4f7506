//! The address book the core hands over in `Output::UpdatePeers` (KIP-853: voters come and go,
//! the leader an observer learned, a would-be voter, bootstrap servers under ids -2, -3, ...),
//! turned into what the network side does to its per-peer connections: start one for a new id,
//! close and reconnect one whose address changed, stop one whose id left. Shared by the runtime
//! (one kraft-net client task per peer) and the simulator (its seeded wire).

use std::collections::BTreeMap;

/// Peers a node keeps connections to at most (a task, a queue and a socket each); ids of a
/// larger book are refused, highest first, and the refusal reported.
pub const MAX_PEERS: usize = 64;

/// One change to the network side's peers; addresses are `host:port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerChange {
    Start {
        id: i32,
        address: String,
    },
    /// The id's endpoint changed: its connection is closed (requests in flight fail) and a new
    /// one made to `address`.
    Readdress {
        id: i32,
        address: String,
    },
    Stop {
        id: i32,
    },
}

/// What changes turn the peers `current` (id to address) into the book `wanted`; the own id
/// `node_id` is never a peer. Returns the changes (stops first, so a full book makes room) and
/// the ids refused beyond [`MAX_PEERS`].
pub fn plan_peer_changes(
    node_id: i32,
    current: &BTreeMap<i32, String>,
    wanted: &[(i32, String)],
) -> (Vec<PeerChange>, Vec<i32>) {
    let mut book: BTreeMap<i32, &str> = BTreeMap::new();
    for (id, address) in wanted {
        if *id != node_id {
            // A repeated id: the last entry wins, as a map would have it.
            book.insert(*id, address);
        }
    }
    let mut refused = Vec::new();
    while book.len() > MAX_PEERS {
        let (id, _) = book.pop_last().expect("more than MAX_PEERS entries");
        refused.push(id);
    }
    let mut changes = Vec::with_capacity(current.len() + book.len());
    for id in current.keys() {
        if !book.contains_key(id) {
            changes.push(PeerChange::Stop { id: *id });
        }
    }
    for (id, address) in &book {
        match current.get(id) {
            None => changes.push(PeerChange::Start {
                id: *id,
                address: address.to_string(),
            }),
            Some(old) if old != address => changes.push(PeerChange::Readdress {
                id: *id,
                address: address.to_string(),
            }),
            Some(_) => {}
        }
    }
    (changes, refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current(entries: &[(i32, &str)]) -> BTreeMap<i32, String> {
        entries.iter().map(|(i, a)| (*i, a.to_string())).collect()
    }

    fn wanted(entries: &[(i32, &str)]) -> Vec<(i32, String)> {
        entries.iter().map(|(i, a)| (*i, a.to_string())).collect()
    }

    #[test]
    fn new_ids_start_moved_ids_reconnect_gone_ids_stop_and_self_is_skipped() {
        let (changes, refused) = plan_peer_changes(
            1,
            &current(&[(2, "h:2"), (3, "h:3"), (-2, "b:9")]),
            &wanted(&[(1, "h:1"), (2, "h:2"), (3, "x:3"), (4, "h:4")]),
        );
        assert!(refused.is_empty());
        assert_eq!(
            changes,
            [
                PeerChange::Stop { id: -2 },
                PeerChange::Readdress {
                    id: 3,
                    address: "x:3".into()
                },
                PeerChange::Start {
                    id: 4,
                    address: "h:4".into()
                },
            ]
        );
        let same = current(&[(2, "h:2")]);
        assert_eq!(
            plan_peer_changes(1, &same, &wanted(&[(2, "h:2")])),
            (vec![], vec![])
        );
    }

    #[test]
    fn a_book_beyond_the_bound_is_cut_and_the_rest_refused() {
        let book: Vec<(i32, String)> = (0..(MAX_PEERS as i32 + 3))
            .map(|id| (id + 10, format!("h:{id}")))
            .collect();
        let (changes, refused) = plan_peer_changes(1, &BTreeMap::new(), &book);
        assert_eq!(changes.len(), MAX_PEERS);
        assert_eq!(refused.len(), 3);
        let top = MAX_PEERS as i32 + 12;
        assert_eq!(refused, [top, top - 1, top - 2]);
    }
}
