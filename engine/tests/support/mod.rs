//! A tiny deterministic driver for the core tests: executes outputs in order against an in-memory
//! log, delivers messages FIFO between nodes, and advances a virtual clock to the next deadline.
//! (The randomized fault-injecting simulator is the `kraft-sim` crate, `sim/`; this one is for
//! exact scenarios.)
#![allow(dead_code)]

mod chaos;
mod delivery;
pub mod dynamic;
mod outputs;
mod peer;
pub mod solo;

pub use chaos::Chaos;
pub use peer::{LogBatch, Peer};

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use kraft_engine::message::{Request, Response};
use kraft_engine::{ElectionState, Input, RaftConfig, RaftNode, RestoredState, Voter};

#[derive(Clone)]
enum Event {
    Request {
        from: i32,
        to: i32,
        request_id: u64,
        request: Request,
    },
    Response {
        from: i32,
        to: i32,
        /// The id the requester sent to (a bootstrap server's -2, -3, ... or `from`).
        as_id: i32,
        correlation_id: u64,
        response: Response,
    },
    Flushed {
        node: i32,
        offset: i64,
        generation: u64,
    },
}

pub struct Cluster {
    pub now: u64,
    pub peers: BTreeMap<i32, Peer>,
    events: VecDeque<Event>,
    next_request_id: u64,
    /// request id -> (requester, responder, requester's correlation id, id it sent to)
    pending: BTreeMap<u64, (i32, i32, u64, i32)>,
    /// Nodes whose messages are dropped (both directions).
    pub isolated: BTreeSet<i32>,
    /// Directed links (from, to) whose messages are dropped (asymmetric partitions).
    pub blocked: BTreeSet<(i32, i32)>,
    /// When false, Flush outputs are not completed (tests complete them by hand).
    pub auto_flush: bool,
    pub record_trace: bool,
    /// Seeded message loss and reordering (None = reliable FIFO).
    pub chaos: Option<Chaos>,
    /// What every node's network layer advertises for kraft.version in ApiVersions.
    pub api_versions_kraft_range: Option<(i16, i16)>,
}

pub fn voters(ids: &[i32]) -> Vec<Voter> {
    ids.iter()
        .map(|&id| Voter {
            id,
            host: "127.0.0.1".to_string(),
            port: 9000 + id as u16,
        })
        .collect()
}

pub fn config(node_id: i32, voter_ids: &[i32]) -> RaftConfig {
    RaftConfig::new(node_id, voters(voter_ids))
}

impl Cluster {
    /// Nodes `node_ids` with voter set `voter_ids`, fresh disks.
    pub fn new(node_ids: &[i32], voter_ids: &[i32]) -> Cluster {
        let mut cluster = Cluster {
            now: 1_000,
            peers: BTreeMap::new(),
            events: VecDeque::new(),
            next_request_id: 1,
            pending: BTreeMap::new(),
            isolated: BTreeSet::new(),
            blocked: BTreeSet::new(),
            auto_flush: true,
            record_trace: true,
            chaos: None,
            api_versions_kraft_range: Some((0, 1)),
        };
        for &id in node_ids {
            let node = RaftNode::new(
                config(id, voter_ids),
                RestoredState::empty(),
                cluster.now,
                id as u64 * 7919 + 1,
            )
            .expect("valid config");
            cluster.add(id, node);
        }
        cluster
    }

    pub fn add(&mut self, id: i32, node: RaftNode) {
        self.peers.insert(
            id,
            Peer {
                node,
                log: Vec::new(),
                persisted: Vec::new(),
                events: Vec::new(),
                trace: Vec::new(),
                flushed: 0,
                address_book: Vec::new(),
            },
        );
        self.drain(id);
    }

    /// Crash: the node disappears with its in-flight messages; unflushed data is lost.
    pub fn crash(&mut self, id: i32) -> Peer {
        let mut peer = self.peers.remove(&id).expect("running");
        let flushed = peer.flushed;
        peer.log.retain(|b| b.last_offset < flushed);
        self.events.retain(|e| match e {
            Event::Request { from, to, .. } | Event::Response { from, to, .. } => {
                *from != id && *to != id
            }
            Event::Flushed { node, .. } => *node != id,
        });
        peer
    }

    /// Restarts a crashed node from its durable state (last persisted election state, flushed
    /// log).
    pub fn restart(&mut self, id: i32, peer: Peer, voter_ids: &[i32], seed: u64) {
        self.restart_with(id, peer, config(id, voter_ids), Vec::new(), seed);
    }

    /// Restarts a crashed node with `cfg`; its control entries are `bootstrap` (a bootstrap
    /// checkpoint's) then the KRaftVersion and Voters records of its durable log, as the
    /// runtime collects them.
    pub fn restart_with(
        &mut self,
        id: i32,
        mut peer: Peer,
        cfg: RaftConfig,
        bootstrap: Vec<kraft_engine::ControlEntry>,
        seed: u64,
    ) {
        let end = peer.log_end_offset();
        let mut kraft_control = bootstrap;
        for b in &peer.log {
            let batch = kraft_records::BatchIter::new(&b.bytes)
                .next()
                .expect("one batch")
                .expect("valid batch");
            kraft_control.extend(kraft_engine::voters::control_entries(&batch).expect("valid"));
        }
        let mut entries: Vec<kraft_engine::EpochEntry> = Vec::new();
        for b in &peer.log {
            if entries.last().is_none_or(|e| b.epoch > e.epoch) {
                entries.push(kraft_engine::EpochEntry {
                    epoch: b.epoch,
                    start_offset: b.base_offset,
                });
            }
        }
        let election = peer
            .persisted
            .last()
            .cloned()
            .unwrap_or_else(ElectionState::initial);
        let restored = RestoredState {
            election,
            log_start_offset: 0,
            log_end_offset: end,
            flushed_end_offset: end,
            epoch_entries: entries,
            latest_snapshot: None,
            kraft_control,
        };
        peer.node = RaftNode::new(cfg, restored, self.now, seed).expect("restart");
        peer.flushed = end;
        peer.events.clear();
        peer.address_book.clear();
        self.peers.insert(id, peer);
        self.drain(id);
    }

    /// Completes every outstanding flush (a slow disk catching up).
    pub fn flush_all(&mut self) {
        for (&id, p) in &self.peers {
            self.events.push_back(Event::Flushed {
                node: id,
                offset: p.log_end_offset(),
                generation: p.node.status().log_generation,
            });
        }
    }

    fn link_up(&self, from: i32, to: i32) -> bool {
        !self.isolated.contains(&from)
            && !self.isolated.contains(&to)
            && !self.blocked.contains(&(from, to))
    }

    pub fn peer(&self, id: i32) -> &Peer {
        &self.peers[&id]
    }

    pub fn node(&self, id: i32) -> &RaftNode {
        &self.peers[&id].node
    }

    pub fn step(&mut self, id: i32, input: Input) {
        let now = self.now;
        if std::env::var("CORE_TRACE_NODE")
            .ok()
            .and_then(|v| v.parse::<i32>().ok())
            == Some(id)
        {
            let text = format!("{input:?}");
            eprintln!("t={now} node {id} <- {}", &text[..text.len().min(200)]);
        }
        self.peers.get_mut(&id).unwrap().node.step(now, input);
        self.drain(id);
    }

    pub fn append(
        &mut self,
        id: i32,
        epoch: i32,
        value: &[u8],
    ) -> Result<i64, kraft_engine::AppendError> {
        let now = self.now;
        let r = self
            .peers
            .get_mut(&id)
            .unwrap()
            .node
            .append(now, epoch, value);
        self.drain(id);
        r
    }

    /// Delivers messages and advances time deadline by deadline until `until_ms`.
    pub fn run_for(&mut self, duration_ms: u64) {
        let until = self.now + duration_ms;
        for _ in 0..1_000_000 {
            self.deliver_all();
            let next = self
                .peers
                .values()
                .map(|p| p.node.next_deadline_ms())
                .min()
                .unwrap_or(u64::MAX)
                .max(self.now);
            if next > until {
                self.now = until;
                return;
            }
            self.now = next;
            let ids: Vec<i32> = self.peers.keys().copied().collect();
            for id in ids {
                if self.peers[&id].node.next_deadline_ms() <= self.now {
                    let now = self.now;
                    self.peers.get_mut(&id).unwrap().node.tick(now);
                    self.drain(id);
                }
            }
        }
        panic!("time never reached {until}");
    }

    /// Runs until `cond` holds, at most `max_ms`; returns whether it held.
    pub fn run_until(&mut self, max_ms: u64, mut cond: impl FnMut(&Cluster) -> bool) -> bool {
        let until = self.now + max_ms;
        while self.now < until {
            if cond(self) {
                return true;
            }
            self.run_for(10);
        }
        cond(self)
    }

    pub fn leader(&self) -> Option<i32> {
        let leaders: Vec<i32> = self
            .peers
            .iter()
            .filter(|(_, p)| p.node.status().state == kraft_engine::StateName::Leader)
            .map(|(&id, _)| id)
            .collect();
        leaders
            .iter()
            .copied()
            .max_by_key(|&id| self.node(id).status().epoch)
    }
}
