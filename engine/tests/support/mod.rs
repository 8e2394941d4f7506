//! A tiny deterministic driver for the core tests: executes outputs in order against an in-memory
//! log, delivers messages FIFO between nodes, and advances a virtual clock to the next deadline.
//! (The randomized fault-injecting simulator is the `kraft-sim` crate, `sim/`; this one is for
//! exact scenarios.)
#![allow(dead_code)]

pub mod solo;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bytes::Bytes;
use kraft_engine::message::{Records, Request, Response};
use kraft_engine::{
    ElectionState, Input, ListenerEvent, ListenerId, Output, RaftConfig, RaftNode, RestoredState,
    Voter,
};

#[derive(Clone, Debug)]
pub struct LogBatch {
    pub base_offset: i64,
    pub last_offset: i64,
    pub epoch: i32,
    pub bytes: Bytes,
}

pub struct Peer {
    pub node: RaftNode,
    pub log: Vec<LogBatch>,
    pub persisted: Vec<ElectionState>,
    pub events: Vec<(ListenerId, ListenerEvent)>,
    /// Every output in execution order, for ordering checks (when `Cluster::record_trace`).
    pub trace: Vec<Output>,
    /// Durable end of `log` (what survives a crash).
    pub flushed: i64,
}

impl Peer {
    pub fn log_end_offset(&self) -> i64 {
        self.log.last().map_or(0, |b| b.last_offset + 1)
    }

    /// Concatenated batches from the one containing `from_offset`, at most `max_bytes` but at
    /// least one batch, as a leader's runtime would read them from its log.
    pub fn read(&self, from_offset: i64, max_bytes: u32) -> Bytes {
        let mut out = Vec::new();
        for b in self.log.iter().filter(|b| b.last_offset >= from_offset) {
            if !out.is_empty() && out.len() + b.bytes.len() > max_bytes as usize {
                break;
            }
            out.extend_from_slice(&b.bytes);
        }
        Bytes::from(out)
    }

    pub fn commits(&self, id: ListenerId) -> Vec<(i64, i64)> {
        self.events
            .iter()
            .filter(|(l, _)| *l == id)
            .filter_map(|(_, e)| match e {
                ListenerEvent::Commit {
                    from_offset,
                    to_offset_exclusive,
                } => Some((*from_offset, *to_offset_exclusive)),
                _ => None,
            })
            .collect()
    }

    pub fn leader_changes(&self, id: ListenerId) -> Vec<kraft_engine::LeaderAndEpoch> {
        self.events
            .iter()
            .filter(|(l, _)| *l == id)
            .filter_map(|(_, e)| match e {
                ListenerEvent::LeaderChange(le) => Some(*le),
                _ => None,
            })
            .collect()
    }
}

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
    /// request id -> (requester, responder, requester's correlation id)
    pending: BTreeMap<u64, (i32, i32, u64)>,
    /// Nodes whose messages are dropped (both directions).
    pub isolated: BTreeSet<i32>,
    /// Directed links (from, to) whose messages are dropped (asymmetric partitions).
    pub blocked: BTreeSet<(i32, i32)>,
    /// When false, Flush outputs are not completed (tests complete them by hand).
    pub auto_flush: bool,
    pub record_trace: bool,
    /// Seeded message loss and reordering (None = reliable FIFO).
    pub chaos: Option<Chaos>,
}

/// Seeded network faults for the randomized tests.
pub struct Chaos {
    pub rng: u64,
    /// Probability in 1/1000 that a message is lost.
    pub drop_per_mille: u64,
    /// Deliver a random one of the first `reorder_window` queued events.
    pub reorder_window: usize,
    /// Probability in 1/1000 that a delivered message is delivered again later.
    pub duplicate_per_mille: u64,
}

impl Chaos {
    pub fn next(&mut self) -> u64 {
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
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
    pub fn restart(&mut self, id: i32, mut peer: Peer, voter_ids: &[i32], seed: u64) {
        let end = peer.log_end_offset();
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
        };
        peer.node =
            RaftNode::new(config(id, voter_ids), restored, self.now, seed).expect("restart");
        peer.flushed = end;
        peer.events.clear();
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

    /// Executes `id`'s outputs in order.
    pub fn drain(&mut self, id: i32) {
        loop {
            let peer = self.peers.get_mut(&id).unwrap();
            let Some(output) = peer.node.poll_output() else {
                break;
            };
            if self.record_trace {
                peer.trace.push(output.clone());
            }
            if std::env::var("CORE_TRACE_NODE")
                .ok()
                .and_then(|v| v.parse::<i32>().ok())
                == Some(id)
            {
                let text = format!("{output:?}");
                eprintln!(
                    "t={} node {id} -> {}",
                    self.now,
                    &text[..text.len().min(200)]
                );
            }
            match output {
                Output::PersistElectionState(e) => peer.persisted.push(e),
                Output::Send {
                    to,
                    correlation_id,
                    request,
                } => {
                    let request_id = self.next_request_id;
                    self.next_request_id += 1;
                    if self.link_up(id, to) {
                        self.pending.insert(request_id, (id, to, correlation_id));
                        self.events.push_back(Event::Request {
                            from: id,
                            to,
                            request_id,
                            request,
                        });
                    }
                }
                Output::Respond {
                    request_id,
                    mut response,
                } => {
                    if let Response::Fetch(f) = &mut response {
                        if let Records::LogRange {
                            from_offset,
                            max_bytes,
                            generation,
                        } = f.records
                        {
                            // Outputs run in order here, so the log is at the core's generation.
                            assert_eq!(generation, peer.node.status().log_generation);
                            f.records = Records::Bytes(peer.read(from_offset, max_bytes));
                        }
                    }
                    if let Some((requester, responder, correlation_id)) =
                        self.pending.remove(&request_id)
                    {
                        assert_eq!(responder, id);
                        if self.link_up(id, requester) {
                            self.events.push_back(Event::Response {
                                from: id,
                                to: requester,
                                correlation_id,
                                response,
                            });
                        }
                    }
                }
                Output::AppendBatch {
                    base_offset,
                    last_offset,
                    epoch,
                    bytes,
                } => {
                    assert_eq!(base_offset, peer.log_end_offset(), "appends are contiguous");
                    peer.log.push(LogBatch {
                        base_offset,
                        last_offset,
                        epoch,
                        bytes,
                    });
                }
                Output::Flush {
                    up_to_offset,
                    generation,
                } => {
                    if self.auto_flush {
                        let offset = up_to_offset.min(peer.log_end_offset());
                        self.events.push_back(Event::Flushed {
                            node: id,
                            offset,
                            generation,
                        });
                    }
                }
                Output::Truncate { to_offset, .. } => {
                    // An fsync in progress covers only what was written before the cut (the
                    // durable end modelled here); its report keeps the old generation, which
                    // the core refuses.
                    peer.flushed = peer.flushed.min(to_offset);
                    for e in self.events.iter_mut() {
                        if let Event::Flushed { node, offset, .. } = e {
                            if *node == id {
                                *offset = (*offset).min(to_offset);
                            }
                        }
                    }
                    peer.log.retain(|b| b.base_offset < to_offset);
                    assert_eq!(
                        peer.log_end_offset(),
                        to_offset,
                        "truncation at a batch boundary"
                    );
                }
                Output::Listener { id: lid, event } => peer.events.push((lid, event)),
                Output::ShutdownComplete => {}
                Output::WriteSnapshotChunk { .. } | Output::LoadSnapshot { .. } => {
                    panic!("node {id} downloads a snapshot, but this cluster freezes none")
                }
            }
        }
    }

    /// Delivers queued events until none are left (bounded).
    pub fn deliver_all(&mut self) {
        for _ in 0..100_000 {
            let event = match &mut self.chaos {
                Some(chaos) if !self.events.is_empty() => {
                    let window = chaos.reorder_window.clamp(1, self.events.len());
                    let i = chaos.below(window as u64) as usize;
                    let event = self.events.remove(i).expect("in range");
                    let is_message = !matches!(event, Event::Flushed { .. });
                    if is_message && chaos.below(1000) < chaos.drop_per_mille {
                        if let Event::Request { request_id, .. } = event {
                            self.pending.remove(&request_id);
                        }
                        continue;
                    }
                    // Responses are duplicated too, beyond the runtime contract (at most one
                    // response per request): the core must stay safe anyway.
                    if is_message && chaos.below(1000) < chaos.duplicate_per_mille {
                        self.events.push_back(event.clone());
                    }
                    event
                }
                _ => match self.events.pop_front() {
                    Some(event) => event,
                    None => return,
                },
            };
            match event {
                Event::Request {
                    from,
                    to,
                    request_id,
                    request,
                } => {
                    if !self.link_up(from, to) {
                        self.pending.remove(&request_id);
                        continue;
                    }
                    if std::env::var("CORE_TRACE_FETCH").is_ok() {
                        if let Request::Fetch(f) = &request {
                            eprintln!(
                                "t={} fetch {from}->{to} replica {} offset {} epoch {} last {}",
                                self.now,
                                f.replica_id,
                                f.fetch_offset,
                                f.current_leader_epoch,
                                f.last_fetched_epoch
                            );
                        }
                    }
                    if self.peers.contains_key(&to) {
                        self.step(
                            to,
                            Input::Request {
                                request_id,
                                request,
                            },
                        );
                    }
                }
                Event::Response {
                    from,
                    to,
                    correlation_id,
                    response,
                } => {
                    if !self.link_up(from, to) {
                        continue;
                    }
                    if self.peers.contains_key(&to) {
                        self.step(
                            to,
                            Input::Response {
                                from,
                                correlation_id,
                                response,
                            },
                        );
                    }
                }
                Event::Flushed {
                    node,
                    offset,
                    generation,
                } => {
                    let Some(peer) = self.peers.get_mut(&node) else {
                        continue;
                    };
                    let end = peer.log_end_offset();
                    peer.flushed = peer.flushed.max(offset.min(end));
                    self.step(
                        node,
                        Input::LogFlushed {
                            flushed_end_offset: offset.min(end),
                            generation,
                        },
                    );
                }
            }
        }
        let sample: Vec<String> = self
            .events
            .iter()
            .take(6)
            .map(|e| match e {
                Event::Request {
                    from, to, request, ..
                } => format!("req {from}->{to} {request:?}"),
                Event::Response {
                    from, to, response, ..
                } => format!("resp {from}->{to} {response:?}"),
                Event::Flushed { node, offset, .. } => format!("flushed {node} {offset}"),
            })
            .collect();
        let statuses: Vec<_> = self.peers.values().map(|p| p.node.status()).collect();
        panic!(
            "message storm: events never settle at {}: {sample:#?} {statuses:#?}",
            self.now
        );
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
