//! Seeded randomized runs of dynamic quorums (KIP-853) on the test driver: an operator adds and
//! removes voters at whoever leads while messages are lost, reordered and duplicated, links
//! fail, disks lag and nodes crash (losing unflushed data) and restart. Checked after every
//! slice: one leader per epoch, committed batches never change; after healing: one leader all
//! nodes follow, a new record committed on every node, and every node holding the leader's
//! voter set. (The simulator, `sim/`, runs the same at scale with its own checker.)

mod support;

use std::collections::BTreeMap;

use bytes::Bytes;
use kraft_engine::message::{ErrorCode, Response};
use kraft_engine::StateName;
use support::dynamic::{add_request, bootstrap_entries, config, key, remove_request};
use support::{Chaos, Cluster, Peer};

const NODES: [i32; 5] = [1, 2, 3, 4, 5];
const INITIAL: [i32; 3] = [1, 2, 3];

struct Checker {
    leaders: BTreeMap<i32, i32>,
    committed: BTreeMap<i64, Bytes>,
}

impl Checker {
    fn check(&mut self, c: &Cluster, seed: u64) {
        for (&id, p) in &c.peers {
            let st = p.node.status();
            if st.state == StateName::Leader {
                let prev = self.leaders.insert(st.epoch, id);
                assert!(
                    prev.is_none() || prev == Some(id),
                    "seed {seed}: two leaders in epoch {}: {prev:?} and {id}",
                    st.epoch
                );
            }
            let Some(hw) = st.high_watermark else {
                continue;
            };
            for b in p.log.iter().filter(|b| b.last_offset < hw) {
                let known = self
                    .committed
                    .entry(b.base_offset)
                    .or_insert(b.bytes.clone());
                assert_eq!(
                    known, &b.bytes,
                    "seed {seed}: node {id} changed the committed batch at {}",
                    b.base_offset
                );
            }
        }
    }
}

/// Every node lists all five as bootstrap servers (a voter set may shrink to any of them).
fn restart(c: &mut Cluster, id: i32, peer: Peer, seed: u64) {
    let formatted: &[i32] = if INITIAL.contains(&id) { &INITIAL } else { &[] };
    c.restart_with(
        id,
        peer,
        config(id, &NODES),
        bootstrap_entries(formatted),
        seed,
    );
}

/// One operator action at the node that leads: add a non-voter or remove a voter. Returns the
/// (leader, request id) to read its answer later.
fn operate(c: &mut Cluster, rng: &mut Chaos) -> Option<(i32, u64)> {
    let leader = c.leader()?;
    let voters = c.voters_of(leader);
    let candidates: Vec<i32> = NODES
        .into_iter()
        .filter(|id| !voters.contains(id) && c.peers.contains_key(id))
        .collect();
    let request = if rng.below(2) == 0 && !candidates.is_empty() {
        add_request(
            candidates[rng.below(candidates.len() as u64) as usize],
            true,
        )
    } else if voters.len() > 1 {
        remove_request(key(voters[rng.below(voters.len() as u64) as usize]))
    } else {
        return None;
    };
    Some((leader, c.operator(leader, request)))
}

/// Operator requests answered NONE.
fn accepted(c: &Cluster, requests: &[(i32, u64)]) -> usize {
    requests
        .iter()
        .filter(|&&(at, id)| {
            c.peers.contains_key(&at)
                && matches!(
                    c.answer(at, id),
                    Some(Response::AddRaftVoter(r)) if r.error_code == ErrorCode::NONE
                ) | matches!(
                    c.answer(at, id),
                    Some(Response::RemoveRaftVoter(r)) if r.error_code == ErrorCode::NONE
                )
        })
        .count()
}

fn run(seed: u64) -> usize {
    let mut c = Cluster::new_dynamic(&[], &INITIAL);
    for id in NODES {
        c.add_dynamic(id, &INITIAL, |cfg| *cfg = config(id, &NODES));
    }
    c.record_trace = true;
    c.chaos = Some(Chaos {
        rng: seed,
        drop_per_mille: 0,
        reorder_window: 1,
        duplicate_per_mille: 0,
    });
    let mut rng = Chaos {
        rng: seed ^ 0x5EED_F00D,
        drop_per_mille: 0,
        reorder_window: 1,
        duplicate_per_mille: 0,
    };
    let mut checker = Checker {
        leaders: BTreeMap::new(),
        committed: BTreeMap::new(),
    };
    let mut crashed: BTreeMap<i32, Peer> = BTreeMap::new();
    let mut payload = 0u32;
    let mut requests = Vec::new();
    let mut changes = 0;
    for _round in 0..60 {
        let chaos = c.chaos.as_mut().unwrap();
        chaos.drop_per_mille = rng.below(150);
        chaos.reorder_window = 1 + rng.below(3) as usize;
        chaos.duplicate_per_mille = rng.below(50);
        match rng.below(12) {
            0 => {
                c.isolated.insert(NODES[rng.below(5) as usize]);
            }
            1 => {
                c.isolated.clear();
                c.blocked.clear();
            }
            2 if crashed.len() < 2 => {
                let id = NODES[rng.below(5) as usize];
                if c.peers.contains_key(&id) {
                    changes += accepted(&c, &requests);
                    requests.retain(|&(at, _)| at != id);
                    crashed.insert(id, c.crash(id));
                }
            }
            3 => {
                if let Some(&id) = crashed.keys().next() {
                    let peer = crashed.remove(&id).unwrap();
                    restart(&mut c, id, peer, rng.next());
                }
            }
            4 => {
                let from = NODES[rng.below(5) as usize];
                let to = NODES[rng.below(5) as usize];
                c.blocked.insert((from, to));
            }
            5 => {
                c.auto_flush = !c.auto_flush;
                if c.auto_flush {
                    c.flush_all();
                }
            }
            6..=8 => requests.extend(operate(&mut c, &mut rng)),
            _ => {}
        }
        for _ in 0..rng.below(4) {
            if let Some(l) = c.leader() {
                let epoch = c.node(l).status().epoch;
                payload += 1;
                let _ = c.append(l, epoch, &payload.to_be_bytes());
            }
        }
        c.run_for(50 + rng.below(500));
        checker.check(&c, seed);
    }
    // Heal: everyone back, reliable network, working disks.
    c.isolated.clear();
    c.blocked.clear();
    c.auto_flush = true;
    c.flush_all();
    let ids: Vec<i32> = crashed.keys().copied().collect();
    for id in ids {
        let peer = crashed.remove(&id).unwrap();
        restart(&mut c, id, peer, rng.next());
    }
    c.chaos = None;
    let agreed = |c: &Cluster| {
        let l = c.leader()?;
        let epoch = c.node(l).status().epoch;
        NODES
            .iter()
            .all(|&id| {
                let s = c.node(id).status();
                s.epoch == epoch && s.leader_id == Some(l)
            })
            .then_some((l, epoch))
    };
    let deadline = c.now + 40_000;
    let mut committed = false;
    while !committed && c.now < deadline {
        if !c.run_until(deadline - c.now, |c| agreed(c).is_some()) {
            break;
        }
        let (l, epoch) = agreed(&c).unwrap();
        let Ok(offset) = c.append(l, epoch, b"final") else {
            continue;
        };
        committed = c.run_until(5_000, |c| {
            NODES
                .iter()
                .all(|&id| c.node(id).high_watermark().is_some_and(|hw| hw > offset))
        });
    }
    if !committed {
        for id in NODES {
            eprintln!("{:?}", c.node(id).status());
        }
    }
    assert!(
        committed,
        "seed {seed}: nothing committed everywhere within 40 s of healing"
    );
    checker.check(&c, seed);
    // A leader that removed itself resigns once that commits: wait for the quorum to settle.
    assert!(
        c.run_until(20_000, |c| agreed(c).is_some()),
        "seed {seed}: no settled leader"
    );
    let (leader, _) = agreed(&c).unwrap();
    let voters = c.voters_of(leader);
    for id in NODES {
        assert_eq!(
            c.voters_of(id),
            voters,
            "seed {seed}: node {id}'s voter set"
        );
    }
    changes + accepted(&c, &requests)
}

#[test]
fn random_reconfigurations_under_faults() {
    let seeds: u64 = std::env::var("CORE_RANDOM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let start: u64 = std::env::var("CORE_RANDOM_START")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut changes = 0;
    for seed in start..start + seeds {
        changes += run(seed);
    }
    eprintln!("{changes} voter changes accepted in {seeds} seeds");
    assert!(
        changes as u64 >= seeds,
        "too few voter changes happened ({changes} in {seeds} seeds)"
    );
}
