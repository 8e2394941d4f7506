//! A whole simulated quorum: N `RaftNode`s, their disks, the network, a fault schedule and a
//! workload, driven event by event in simulated time from one seed.
//!
//! The cluster plays the runtime for every node: it executes each node's outputs strictly in
//! order (persist, send, respond, append, flush, truncate, notify), runs the log side through the
//! runtime's own `kraft_driver::LogPipeline` with seeded fsync and report delays and stalls that
//! leave the disk behind the core (`log_side`), holds every output after a persist until the
//! seeded quorum-state write is durable through the runtime's own `kraft_driver::OutputGate`
//! (`election_side`), sends requests through the runtime's own `kraft_driver::PeerQueue`s
//! (`peers`), resolves `Records::LogRange` against the responding node's disk by the runtime's
//! rule (sometimes late; `net_side`), and feeds the results back as inputs. After every step the checker judges the safety invariants; calm phases (network
//! healed, every node up) judge liveness.
//!
//! Layout: this file holds the cluster, its per-node state and the main loop; `options` the
//! knobs and the outcome; `node` a node's life (start, crash, stepping its core, the checks after
//! each step); `execute` running its outputs; `peers` the outbound requests (the driver's peer
//! queues and failure queue); `net_side` delivery, responses and Fetch reads; `log_side` and
//! `election_side` the driver-run log and quorum-state sides; `events` timers and completions;
//! `faults` chaos and calm phases; `workload` the appends; `trace` trace text.

use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use crate::checker::{Checker, ElectionRecord, Invariant};
use crate::disk::{fnv1a64, CrashConfig, SimDisk, FNV_OFFSET_BASIS};
use crate::network::{Network, NodeId};
use crate::rng::SimRng;
use crate::snapshots::SnapshotStore;
use kraft_engine::config::{RaftConfig, Voter};
use kraft_engine::election::ElectionState;
use kraft_engine::io::LeaderAndEpoch;
use kraft_engine::message::{Request, Response};
use kraft_engine::{ControlEntry, RaftNode};
use kraft_records::VotersRecord;

use kraft_driver::{FailureQueue, OutputGate, PeerQueue};

mod dynamic;
mod election_side;
mod events;
mod execute;
mod faults;
mod log_side;
mod membership;
mod net_side;
mod node;
mod operator;
mod options;
mod peers;
mod run;
mod snapshot_side;
mod trace;
mod workload;

use faults::calm_network;
use log_side::SimLogSide;
pub use options::{
    DynamicOptions, NetSideCounts, ReconfigCounts, Sabotage, SimOptions, SimOutcome,
};
pub use run::run_seed;

/// A message on the simulated wire. `correlation_id` is the one the requester's core chose
/// (`Output::Send`), echoed by the response; the core itself refuses a response that is not the
/// answer to its request in flight (late, duplicated or reordered ones all reach it here).
/// `incarnation` is the requester's: a response to an earlier process is dropped, as a TCP
/// connection does not outlive its process.
#[derive(Clone, Debug)]
enum Wire {
    Request {
        correlation_id: u64,
        incarnation: u64,
        /// The id the requester's core sent it to (a bootstrap server's -2, -3, ... or a node
        /// id): its peer queue's key, echoed by the response.
        addressed_as: NodeId,
        request: Request,
    },
    Response {
        correlation_id: u64,
        incarnation: u64,
        addressed_as: NodeId,
        response: Response,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum EventKind {
    Tick {
        node: usize,
        incarnation: u64,
    },
    FlushDone {
        node: usize,
        incarnation: u64,
        seq: u64,
    },
    /// The log side resumes after a stall.
    LogResume {
        node: usize,
        incarnation: u64,
    },
    /// The Raft loop takes the node's flush report slot.
    FlushReport {
        node: usize,
        incarnation: u64,
    },
    /// The network side reads a deferred Fetch response's log range and sends it.
    FetchResponseRead {
        node: usize,
        incarnation: u64,
        key: u64,
    },
    /// Sabotage `AcknowledgeUnflushed`: a report of a flush that never happened.
    LieFlushed {
        node: usize,
        incarnation: u64,
        flushed_end_offset: i64,
        generation: u64,
    },
    Disconnected {
        node: usize,
        incarnation: u64,
        to: NodeId,
        correlation_id: u64,
    },
    /// A request's timeout (the runtime's request timeout, `request_timeout_ms`).
    RequestTimeout {
        node: usize,
        incarnation: u64,
        to: NodeId,
        correlation_id: u64,
    },
    /// The Raft loop takes the failures queued by the network side.
    FailureReport {
        node: usize,
        incarnation: u64,
    },
    /// A quorum-state write completes.
    ElectionDurable {
        node: usize,
        incarnation: u64,
    },
    Restart {
        node: usize,
    },
    /// The state machine freezes its state at `end_offset` (off the Raft loop).
    FreezeSnapshot {
        node: usize,
        incarnation: u64,
        end_offset: i64,
    },
    /// The log side finishes a `LoadSnapshot` (checks, renames, replaces the log).
    SnapshotLoad {
        node: usize,
        incarnation: u64,
    },
    Resume {
        node: usize,
        incarnation: u64,
    },
    Workload,
    /// The operator looks at the quorum and sends its next voter change (dynamic quorums).
    Operator,
    Fault,
    BeginCalm,
    /// The final phase checks whether every final voter holds the committed log.
    Settle,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Event {
    at_ms: u64,
    seq: u64,
    kind: EventKind,
}

impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Event {
    /// Earliest first out of the max-heap.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.at_ms, other.seq).cmp(&(self.at_ms, self.seq))
    }
}

/// A request received by a node and not answered yet.
#[derive(Clone, Debug)]
struct Inbound {
    from: NodeId,
    correlation_id: u64,
    /// The requester's incarnation when it sent the request.
    incarnation: u64,
    /// (candidate id, candidate epoch) of a standard (non-pre-) Vote request.
    vote: Option<(NodeId, i32)>,
    /// The id the requester addressed this node as (see `Wire::Request`).
    addressed_as: NodeId,
}

struct SimNode {
    id: NodeId,
    config: RaftConfig,
    /// The node's disk as its log side has made it: behind the core while log commands wait
    /// (`log_side`); crashes, durability and reads of Fetch responses are judged here.
    disk: SimDisk<ElectionState>,
    /// The log as the core's outputs describe it (every append and truncation applied at once):
    /// what the checker judges elections, commits and listener events on. Rebuilt from `disk`
    /// on restart.
    core_log: SimDisk<ElectionState>,
    core: Option<RaftNode>,
    /// Runs the core's outputs in order, holding them after a persist until it is durable (the
    /// runtime's own gate; see `election_side`).
    outputs: OutputGate,
    /// Bumped on every restart; events of older incarnations are stale.
    incarnation: u64,
    scheduled_tick_ms: Option<u64>,
    /// Ticks at one instant in a row (a deadline that never moves forward is a core bug).
    same_instant_ticks: u32,
    last_tick_ms: u64,
    /// The log side: the runtime's log pipeline and its report slot (see `log_side`).
    log: SimLogSide,
    /// Fetch responses whose log range the network side reads later (see `log_side`).
    fetch_reads: BTreeMap<u64, (Inbound, Response)>,
    /// Per peer, the core's requests queued and in flight (the runtime's own queue; `peers`).
    peers: BTreeMap<NodeId, PeerQueue<Request>>,
    /// The core's address book (`Output::UpdatePeers`): the ids it may send to, each with the
    /// node its address names (`None`: no node listens there); a request to another id fails as
    /// the runtime fails it (Disconnected).
    address_book: BTreeMap<NodeId, Option<NodeId>>,
    /// The bootstrap checkpoint formatting wrote (dynamic quorums; empty for static ones).
    bootstrap_control: Vec<ControlEntry>,
    /// Disks wiped so far (each wipe formats a new directory id).
    wipes: u64,
    /// The Voters records of `core_log` (with the bootstrap checkpoint's and a loaded or restored
    /// snapshot's), ascending offsets: the log the node's voter set must agree with.
    log_voters: Vec<(i64, VotersRecord)>,
    /// Requests that failed before reaching the wire, waiting for the Raft loop.
    failures: FailureQueue,
    failure_report_scheduled: bool,
    /// The last correlation id the core used (they must grow).
    last_correlation_id: u64,
    inbound: BTreeMap<u64, Inbound>,
    /// Registered listeners and what each was last told; the first is the workload's.
    listeners: Vec<(u64, Option<LeaderAndEpoch>)>,
    /// A graceful shutdown was requested.
    stopping: bool,
    /// The process is frozen (GC pause, stalled VM) until this time: nothing it receives is
    /// processed and none of its timers fire before then.
    paused_until_ms: u64,
    /// Messages that arrived while paused, delivered in order on resume.
    deferred: VecDeque<(NodeId, Wire)>,
    /// This process's clock reads simulated time plus this offset.
    clock_offset_ms: u64,
    /// Snapshot files (durable) and the `.part` of a download (lost in a crash).
    snapshots: SnapshotStore,
    /// The workload's state machine (its snapshots' source).
    machine: snapshot_side::StateMachine,
    /// A `LoadSnapshot` being executed by the log side.
    pending_load: Option<snapshot_side::PendingLoad>,
}

impl SimNode {
    /// A node that has not started yet (`start_node` boots it from its empty disk).
    fn new(id: NodeId, config: RaftConfig) -> SimNode {
        SimNode {
            id,
            config,
            disk: SimDisk::new(),
            core_log: SimDisk::new(),
            core: None,
            outputs: OutputGate::new(),
            incarnation: 0,
            scheduled_tick_ms: None,
            same_instant_ticks: 0,
            last_tick_ms: 0,
            log: SimLogSide::default(),
            fetch_reads: BTreeMap::new(),
            peers: BTreeMap::new(),
            address_book: BTreeMap::new(),
            bootstrap_control: Vec::new(),
            wipes: 0,
            log_voters: Vec::new(),
            failures: FailureQueue::new(),
            failure_report_scheduled: false,
            last_correlation_id: 0,
            inbound: BTreeMap::new(),
            listeners: Vec::new(),
            stopping: false,
            paused_until_ms: 0,
            deferred: VecDeque::new(),
            clock_offset_ms: 0,
            snapshots: SnapshotStore::default(),
            machine: snapshot_side::StateMachine::default(),
            pending_load: None,
        }
    }
}

/// Messages held for a paused node; beyond this they are lost (a full socket buffer).
const MAX_DEFERRED: usize = 10_000;

/// Bound on requests a node holds unanswered (parked fetches included).
const MAX_INBOUND: usize = 10_000;
/// Ticks at one instant before the run reports a spinning deadline.
const MAX_SAME_INSTANT_TICKS: u32 = 1_000;

pub struct Cluster {
    options: SimOptions,
    now_ms: u64,
    rng: SimRng,
    nodes: Vec<SimNode>,
    /// Messages are boxed: the network's heap moves its elements, and requests are large.
    network: Network<Box<Wire>>,
    events: BinaryHeap<Event>,
    next_event_seq: u64,
    next_request_id: u64,
    next_listener_id: u64,
    checker: Checker,
    steps: u64,
    crashes: u64,
    election_writes_lost: u64,
    election_write_stalls: u64,
    net_counts: NetSideCounts,
    snapshots_frozen: u64,
    snapshots_loaded: u64,
    snapshot_load_failures: u64,
    downloads_interrupted: u64,
    snapshot_loads_behind_log: u64,
    retention_behind_log: u64,
    crash_config: CrashConfig,
    /// Longest simulated fsync.
    flush_delay_max_ms: u64,
    chaos_until_ms: u64,
    stop: bool,
    trace_hash: u64,
    trace_tail: VecDeque<String>,
    /// (leader, epoch, observer) -> when the leader last answered the observer's Fetch without
    /// error.
    observer_fetches: BTreeMap<(NodeId, i32, NodeId), u64>,
    /// Probability (per million) that a fetched batch is damaged in flight (chaos only).
    corrupt_ppm: u32,
    /// Voters kept crashed or cut off during the current calm window.
    held_out: Vec<usize>,
    /// Leader observations since the last DescribeQuorum check.
    describe_countdown: u32,
    /// The control entries of every snapshot frozen, by (end offset, prefix hash): a snapshot's
    /// content follows from the committed prefix it stands for, so the simulated snapshot file
    /// (generated from its identity) carries them by reference.
    snapshot_control: BTreeMap<(i64, u64), Vec<ControlEntry>>,
    /// Changes the voters of a dynamic quorum (`None` for static ones).
    operator: Option<operator::Operator>,
    /// What a voter without a replica holds (nothing).
    empty_disk: SimDisk<ElectionState>,
    /// The final phase (no faults, no workload, no voter changes) ends by this time: every
    /// voter of the final voter set must hold the whole committed log by then.
    settle_until_ms: Option<u64>,
}

/// A leader's DescribeQuorum answer is checked every this many leader observations.
const DESCRIBE_EVERY: u32 = 64;
/// An observer answered this recently must be listed by DescribeQuorum.
const OBSERVER_RECENT_MS: u64 = 1_000;

fn election_record(state: &ElectionState) -> ElectionRecord {
    ElectionRecord {
        epoch: state.epoch,
        leader_id: state.leader_id.unwrap_or(-1),
        voted_id: state.voted_key.map_or(-1, |k| k.id),
    }
}

impl Cluster {
    pub fn new(options: SimOptions) -> Cluster {
        assert!(options.voters > 0, "a quorum needs at least one voter");
        let mut rng = SimRng::new(options.seed);
        let voter_list: Vec<Voter> = (1..=options.voters as i32)
            .map(|id| Voter {
                id,
                host: format!("node{id}"),
                port: 9000 + id as u16,
            })
            .collect();
        let total = options.voters + options.observers;
        let initial_keys: Vec<_> = (1..=options.voters as NodeId)
            .map(|id| dynamic::replica_key(id, 0))
            .collect();
        let mut nodes = Vec::with_capacity(total);
        for i in 0..total {
            let id = i as NodeId + 1;
            let mut config = match options.dynamic {
                None => RaftConfig::new(id, voter_list.clone()),
                Some(d) => {
                    let auto_join = d.auto_join && i >= options.voters;
                    dynamic::dynamic_config(id, options.voters, 0, auto_join)
                }
            };
            config.pre_vote = options.pre_vote;
            config.append_linger_ms = options.append_linger_ms;
            config.election_timeout_ms = options.election_timeout_ms;
            config.fetch_timeout_ms = options.fetch_timeout_ms;
            config.max_batch_size_bytes = options.max_batch_size_bytes;
            config.fetch_snapshot_max_bytes = options.fetch_snapshot_max_bytes;
            let mut node = SimNode::new(id, config);
            if options.dynamic.is_some() {
                let formatted: &[_] = if i < options.voters {
                    &initial_keys
                } else {
                    &[]
                };
                node.bootstrap_control = dynamic::bootstrap_entries(formatted);
            }
            nodes.push(node);
        }
        let network_rng_draw = rng.next_u64();
        let mut cluster = Cluster {
            now_ms: 0,
            nodes,
            network: Network::new(calm_network()),
            events: BinaryHeap::new(),
            next_event_seq: 0,
            next_request_id: 1,
            next_listener_id: 1,
            checker: Checker::new(),
            steps: 0,
            crashes: 0,
            election_writes_lost: 0,
            election_write_stalls: 0,
            net_counts: NetSideCounts::default(),
            snapshots_frozen: 0,
            snapshots_loaded: 0,
            snapshot_load_failures: 0,
            downloads_interrupted: 0,
            snapshot_loads_behind_log: 0,
            retention_behind_log: 0,
            crash_config: CrashConfig::default(),
            flush_delay_max_ms: 3 + network_rng_draw % 8,
            chaos_until_ms: 0,
            stop: false,
            trace_hash: FNV_OFFSET_BASIS,
            trace_tail: VecDeque::new(),
            observer_fetches: BTreeMap::new(),
            held_out: Vec::new(),
            corrupt_ppm: 0,
            describe_countdown: DESCRIBE_EVERY,
            snapshot_control: BTreeMap::new(),
            empty_disk: SimDisk::new(),
            settle_until_ms: None,
            operator: options
                .dynamic
                .map(|d| operator::Operator::new(d, options.voters, total)),
            rng,
            options,
        };
        let initial_voters = match cluster.options.dynamic {
            Some(_) => initial_keys,
            None => (1..=cluster.options.voters as NodeId)
                .map(|id| kraft_engine::message::ReplicaKey {
                    id,
                    directory_id: kraft_engine::Uuid::ZERO,
                })
                .collect(),
        };
        cluster.checker.set_initial_voters(initial_voters);
        for i in 0..total {
            cluster.start_node(i);
        }
        if cluster.operator.is_some() {
            cluster.schedule(operator::OPERATOR_INTERVAL_MS, EventKind::Operator);
        }
        cluster.schedule(1, EventKind::Workload);
        if cluster.options.faults {
            cluster.begin_chaos();
        } else {
            cluster.schedule(0, EventKind::BeginCalm);
        }
        cluster
    }

    fn schedule(&mut self, delay_ms: u64, kind: EventKind) {
        let seq = self.next_event_seq;
        self.next_event_seq += 1;
        self.events.push(Event {
            at_ms: self.now_ms + delay_ms,
            seq,
            kind,
        });
    }

    fn hash_words(&mut self, words: &[u64]) {
        for w in words {
            self.trace_hash = fnv1a64(self.trace_hash, &w.to_le_bytes());
        }
    }

    fn trace_line(&mut self, line: impl FnOnce() -> String) {
        if self.options.trace_lines > 0 {
            if self.trace_tail.len() >= self.options.trace_lines {
                self.trace_tail.pop_front();
            }
            let text = format!("t={:>6} {}", self.now_ms, line());
            self.trace_tail.push_back(text);
        }
    }

    fn violation(&mut self, invariant: Invariant, node: Option<NodeId>, detail: String) {
        self.checker.report(self.now_ms, invariant, node, detail);
    }

    fn node_index(&self, id: NodeId) -> Option<usize> {
        let i = usize::try_from(id).ok()?.checked_sub(1)?;
        (i < self.nodes.len()).then_some(i)
    }

    fn is_up(&self, i: usize) -> bool {
        self.nodes[i].core.is_some()
    }

    /// What node `i`'s clock reads now.
    fn node_clock(&self, i: usize) -> u64 {
        self.now_ms + self.nodes[i].clock_offset_ms
    }

    /// The Raft loop cannot take inputs: the process is paused, or it waits for a quorum-state
    /// write.
    fn is_paused(&self, i: usize) -> bool {
        self.is_process_paused(i) || self.nodes[i].outputs.must_wait()
    }

    fn is_process_paused(&self, i: usize) -> bool {
        self.now_ms < self.nodes[i].paused_until_ms
    }

    /// Up and not paused: able to take an input now.
    fn is_running(&self, i: usize) -> bool {
        self.is_up(i) && !self.is_paused(i)
    }
}
