//! A whole simulated quorum: N `RaftNode`s, their disks, the network, a fault schedule and a
//! workload, driven event by event in simulated time from one seed.
//!
//! The cluster plays the runtime for every node: it executes each node's outputs strictly in
//! order (persist, send, respond, append, flush, truncate, notify), resolves `Records::LogRange`
//! against the responding node's simulated log (sometimes late), runs the log side through the
//! runtime's own `kraft_driver::LogPipeline` with seeded fsync and report delays (`log_side`),
//! holds every output after a persist until the seeded quorum-state write is durable through the
//! runtime's own `kraft_driver::OutputGate` (`election_side`), and feeds the results back as
//! inputs. After every step the checker judges the safety invariants; calm phases (network
//! healed, every node up) judge liveness.

use std::collections::{BTreeMap, BinaryHeap, VecDeque};

use bytes::Bytes;
use kraft_records::{parse_control_record, validate_batch, BatchIter, ControlRecord, EpochEntry};

use crate::checker::{
    Checker, DescribeExpectation, DescribeView, ElectionRecord, Invariant, Violation,
};
use crate::disk::{fnv1a64, CrashConfig, SimDisk, FNV_OFFSET_BASIS};
use crate::network::{Network, NetworkConfig, NodeId, SendOutcome};
use crate::rng::SimRng;
use kraft_engine::config::{RaftConfig, Voter};
use kraft_engine::election::{ElectionState, RestoredState};
use kraft_engine::io::{Input, LeaderAndEpoch, ListenerEvent, Output, RequestError};
use kraft_engine::message::{Records, Request, Response};
use kraft_engine::RaftNode;
use kraft_engine::StateName;

use kraft_driver::OutputGate;

mod election_side;
mod log_side;
use log_side::{SimAppend, SimLogSide};

/// Knobs of one simulated run. `SimOptions::for_seed` draws a varied mix from the seed.
#[derive(Clone, Debug)]
pub struct SimOptions {
    pub seed: u64,
    pub voters: usize,
    /// Extra replicas outside the voter set (they fetch like Kafka observers).
    pub observers: usize,
    /// Chaos budget: no new fault phase starts after this simulated time.
    pub duration_ms: u64,
    /// Hard bound on node steps (inputs, ticks and appends).
    pub max_steps: u64,
    /// Inject crashes, partitions, lossy links, resignations, slow disks.
    pub faults: bool,
    /// After the cluster becomes calm, a new record must commit within this bound.
    pub liveness_bound_ms: u64,
    /// Mean gap between workload appends.
    pub append_interval_ms: u64,
    /// Keep a human-readable trace of the last `trace_lines` events (slower; for replaying one
    /// seed). 0 = no trace.
    pub trace_lines: usize,
    pub pre_vote: bool,
    pub append_linger_ms: u64,
    pub election_timeout_ms: u64,
    pub fetch_timeout_ms: u64,
    /// Small batches make the accumulator fill up and fetches return several batches.
    pub max_batch_size_bytes: usize,
    /// Give every process its own clock origin (re-drawn on restart), as separate machines have.
    pub clock_skew: bool,
    /// Deliberately broken runtime behaviour, to show end to end that the checker catches it.
    pub sabotage: Sabotage,
}

/// A runtime bug the simulator can be told to commit, so tests can show that the checker reports
/// what such a bug breaks. `None` in every real run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sabotage {
    None,
    /// Quorum-state writes are dropped (the file never changes): votes are not durable.
    ForgetQuorumState,
    /// `LogFlushed` is reported at once for the whole log, but nothing becomes durable.
    AcknowledgeUnflushed,
    /// `Truncate` outputs are ignored.
    IgnoreTruncate,
}

impl SimOptions {
    /// A mix of 3- and 5-voter quorums, sometimes with an observer, mostly with faults.
    pub fn for_seed(seed: u64) -> SimOptions {
        let mut rng = SimRng::new(seed ^ 0x5EED_0F0F_710E_5EED);
        let voters = if rng.chance(0.5) { 3 } else { 5 };
        let observers = usize::from(rng.chance(0.25));
        let faults = !rng.chance(0.05);
        SimOptions {
            seed,
            voters,
            observers,
            duration_ms: 45_000,
            // Busy seeds take about 100,000 steps; ten times that means a core that spins.
            max_steps: 1_000_000,
            faults,
            // Generous: with 1-4 KiB batches a follower that fell thousands of records behind
            // needs seconds to catch up after the election (seeds 15397, 86783 needed > 12 s).
            liveness_bound_ms: 30_000,
            append_interval_ms: rng.range_inclusive(5, 60),
            trace_lines: 0,
            pre_vote: rng.chance(0.7),
            append_linger_ms: rng.range_inclusive(0, 25),
            election_timeout_ms: rng.range_inclusive(500, 1_500),
            fetch_timeout_ms: rng.range_inclusive(1_000, 3_000),
            max_batch_size_bytes: if rng.chance(0.3) {
                rng.range_inclusive(1_024, 4_096) as usize
            } else {
                8 * 1024 * 1024
            },
            clock_skew: rng.chance(0.5),
            sabotage: Sabotage::None,
        }
    }
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct SimOutcome {
    pub seed: u64,
    pub steps: u64,
    pub simulated_ms: u64,
    pub violation_count: u64,
    pub violations: Vec<Violation>,
    /// Hash over every input, output and append of the run: equal for equal seeds.
    pub trace_hash: u64,
    pub committed_end_offset: i64,
    pub leaders_seen: usize,
    pub crashes: u64,
    /// Quorum-state writes lost to a crash before they were durable.
    pub election_writes_lost: u64,
    /// Quorum-state writes that stalled (a hung disk) with the Raft loop waiting on them.
    pub election_write_stalls: u64,
    pub liveness_windows_passed: u64,
    /// The last events in text form (only with `SimOptions::trace_lines`).
    pub trace_tail: Vec<String>,
}

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
        request: Request,
    },
    Response {
        correlation_id: u64,
        incarnation: u64,
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
    /// A quorum-state write completes.
    ElectionDurable {
        node: usize,
        incarnation: u64,
    },
    Restart {
        node: usize,
    },
    Resume {
        node: usize,
        incarnation: u64,
    },
    Workload,
    Fault,
    BeginCalm,
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
}

struct SimNode {
    id: NodeId,
    is_voter: bool,
    config: RaftConfig,
    disk: SimDisk<ElectionState>,
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
    /// Correlation id (the core's) of the request last sent to each peer and not answered: a
    /// connection reset fails that one.
    outstanding: BTreeMap<NodeId, u64>,
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

/// The leader named by `bytes` if it is a control batch holding a LeaderChange record.
fn leader_change_of(bytes: &[u8]) -> Option<i32> {
    let batch = BatchIter::new(bytes).next()?.ok()?;
    if !batch.header.is_control() {
        return None;
    }
    let record = batch.records().next()?.ok()?;
    match parse_control_record(&record).ok()? {
        ControlRecord::LeaderChange(message) => Some(message.leader_id),
        _ => None,
    }
}

/// Leading bytes of `buf` that are whole, valid batches: what segment recovery keeps.
fn valid_prefix_len(buf: &[u8]) -> usize {
    let mut iter = BatchIter::new(buf);
    for item in iter.by_ref() {
        if item.is_err() {
            break;
        }
    }
    iter.position()
}

/// Short text of a request for traces (no topic names, ids or bytes).
fn describe_request(request: &Request) -> String {
    match request {
        Request::Vote(r) => format!(
            "Vote(candidate {} epoch {} last ({}, {}) pre_vote {})",
            r.candidate_id, r.candidate_epoch, r.last_offset_epoch, r.last_offset, r.pre_vote
        ),
        Request::BeginQuorumEpoch(r) => {
            format!(
                "BeginQuorumEpoch(leader {} epoch {})",
                r.leader_id, r.leader_epoch
            )
        }
        Request::EndQuorumEpoch(r) => format!(
            "EndQuorumEpoch(leader {} epoch {} successors {:?})",
            r.leader_id, r.leader_epoch, r.preferred_successors
        ),
        Request::Fetch(r) => format!(
            "Fetch(replica {} epoch {} offset {} last_fetched_epoch {} hw {})",
            r.replica_id,
            r.current_leader_epoch,
            r.fetch_offset,
            r.last_fetched_epoch,
            r.high_watermark
        ),
        other => format!("{:?}", other.kind()),
    }
}

/// Short text of a response for traces.
fn describe_response(response: &Response) -> String {
    match response {
        Response::Vote(r) => format!(
            "Vote({:?}/{:?} leader {} epoch {} granted {})",
            r.error_code, r.partition_error_code, r.leader_id, r.leader_epoch, r.vote_granted
        ),
        Response::BeginQuorumEpoch(r) => format!(
            "BeginQuorumEpoch({:?}/{:?} leader {} epoch {})",
            r.error_code, r.partition_error_code, r.leader_id, r.leader_epoch
        ),
        Response::EndQuorumEpoch(r) => format!(
            "EndQuorumEpoch({:?}/{:?} leader {} epoch {})",
            r.error_code, r.partition_error_code, r.leader_id, r.leader_epoch
        ),
        Response::Fetch(r) => {
            let records = match &r.records {
                Records::Empty => "none".to_string(),
                Records::Bytes(b) => format!("{} bytes", b.len()),
                Records::LogRange {
                    from_offset,
                    max_bytes,
                    generation,
                } => {
                    format!("log from {from_offset} max {max_bytes} generation {generation}")
                }
            };
            format!(
                "Fetch({:?}/{:?} hw {} leader {:?} diverging {:?} snapshot {:?} records {records})",
                r.error_code,
                r.partition_error_code,
                r.high_watermark,
                r.current_leader,
                r.diverging_epoch,
                r.snapshot_id
            )
        }
        other => format!("{:?} {:?}", other.kind(), other.error_code()),
    }
}

fn describe_input(input: &Input) -> String {
    match input {
        Input::Request {
            request_id,
            request,
        } => {
            format!("request {request_id}: {}", describe_request(request))
        }
        Input::Response {
            from,
            correlation_id,
            response,
        } => {
            format!(
                "response {correlation_id} from {from}: {}",
                describe_response(response)
            )
        }
        other => format!("{other:?}"),
    }
}

fn describe_output(output: &Output) -> String {
    match output {
        Output::Send {
            to,
            correlation_id,
            request,
        } => format!(
            "send {correlation_id} to {to}: {}",
            describe_request(request)
        ),
        Output::Respond {
            request_id,
            response,
        } => {
            format!("respond {request_id}: {}", describe_response(response))
        }
        Output::AppendBatch {
            base_offset,
            last_offset,
            epoch,
            bytes,
        } => format!(
            "AppendBatch [{base_offset}, {last_offset}] epoch {epoch} ({} bytes)",
            bytes.len()
        ),
        other => format!("{other:?}"),
    }
}

fn calm_network() -> NetworkConfig {
    NetworkConfig {
        min_delay_ms: 1,
        max_delay_ms: 5,
        drop_ppm: 0,
        duplicate_ppm: 0,
        slow_ppm: 0,
        slow_delay_ms: 0,
        max_in_flight: 100_000,
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
        let mut nodes = Vec::with_capacity(total);
        for i in 0..total {
            let id = i as NodeId + 1;
            let mut config = RaftConfig::new(id, voter_list.clone());
            config.pre_vote = options.pre_vote;
            config.append_linger_ms = options.append_linger_ms;
            config.election_timeout_ms = options.election_timeout_ms;
            config.fetch_timeout_ms = options.fetch_timeout_ms;
            config.max_batch_size_bytes = options.max_batch_size_bytes;
            nodes.push(SimNode {
                id,
                is_voter: i < options.voters,
                config,
                disk: SimDisk::new(),
                core: None,
                outputs: OutputGate::new(),
                incarnation: 0,
                scheduled_tick_ms: None,
                same_instant_ticks: 0,
                last_tick_ms: 0,
                log: SimLogSide::default(),
                fetch_reads: BTreeMap::new(),
                outstanding: BTreeMap::new(),
                inbound: BTreeMap::new(),
                listeners: Vec::new(),
                stopping: false,
                paused_until_ms: 0,
                deferred: VecDeque::new(),
                clock_offset_ms: 0,
            });
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
            rng,
            options,
        };
        for i in 0..total {
            cluster.start_node(i);
        }
        cluster.schedule(1, EventKind::Workload);
        if cluster.options.faults {
            cluster.begin_chaos();
        } else {
            cluster.schedule(0, EventKind::BeginCalm);
        }
        cluster
    }

    // ----- plumbing ----------------------------------------------------------------------------

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

    // ----- node lifecycle ----------------------------------------------------------------------

    fn start_node(&mut self, i: usize) {
        let seed = self.rng.next_u64();
        if self.options.clock_skew {
            self.nodes[i].clock_offset_ms = self.rng.below(1 << 40);
        }
        let now = self.node_clock(i);
        let node = &mut self.nodes[i];
        node.disk.recover(valid_prefix_len);
        let restored = RestoredState {
            election: node
                .disk
                .quorum_state()
                .cloned()
                .unwrap_or_else(ElectionState::initial),
            log_start_offset: node.disk.start_offset(),
            log_end_offset: node.disk.end_offset(),
            flushed_end_offset: node.disk.flushed_end_offset(),
            epoch_entries: node
                .disk
                .epoch_start_offsets()
                .into_iter()
                .map(|(epoch, start_offset)| EpochEntry {
                    epoch,
                    start_offset,
                })
                .collect(),
            latest_snapshot: None,
        };
        node.incarnation += 1;
        node.scheduled_tick_ms = None;
        node.same_instant_ticks = 0;
        node.log = SimLogSide::default();
        node.outputs = OutputGate::new();
        node.disk.reopen();
        node.outstanding.clear();
        node.inbound.clear();
        node.fetch_reads.clear();
        node.listeners.clear();
        node.stopping = false;
        node.paused_until_ms = 0;
        node.deferred.clear();
        let id = node.id;
        let config = node.config.clone();
        self.hash_words(&[1, now, id as u64, seed]);
        self.trace_line(|| format!("node {id} starts: {restored:?}"));
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            RaftNode::new(config, restored, now, seed)
        })) {
            Ok(Ok(core)) => {
                self.nodes[i].core = Some(core);
                self.drain(i);
                self.register_listener(i);
            }
            Ok(Err(e)) => {
                self.violation(
                    Invariant::Contract,
                    Some(id),
                    format!("restart refused: {e}"),
                );
            }
            Err(panic) => self.core_panicked(i, panic),
        }
    }

    fn register_listener(&mut self, i: usize) {
        let listener_id = self.next_listener_id;
        self.next_listener_id += 1;
        let id = self.nodes[i].id;
        self.nodes[i].listeners.push((listener_id, None));
        self.checker.on_listener_registered(id, listener_id);
        self.step_node(i, Input::RegisterListener(listener_id));
    }

    /// What the workload's listener on node `i` was last told.
    fn listener_view(&self, i: usize) -> Option<LeaderAndEpoch> {
        self.nodes[i].listeners.first().and_then(|l| l.1)
    }

    fn core_panicked(&mut self, i: usize, panic: Box<dyn std::any::Any + Send>) {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "non-string panic".to_string());
        let id = self.nodes[i].id;
        self.violation(Invariant::CorePanic, Some(id), message);
        // The node is unusable; stop the run (its state may be half-updated).
        self.nodes[i].core = None;
        self.stop = true;
    }

    /// Power loss on node `i`.
    fn crash(&mut self, i: usize) {
        if !self.is_up(i) {
            return;
        }
        self.crashes += 1;
        let id = self.nodes[i].id;
        let report = {
            let node = &mut self.nodes[i];
            node.core = None;
            node.disk.crash(&mut self.rng, &self.crash_config)
        };
        self.election_writes_lost += u64::from(report.lost_quorum_state_write);
        self.hash_words(&[2, self.now_ms, id as u64, report.lost_batches as u64]);
        self.trace_line(|| format!("node {id} crashes: {report:?}"));
        self.after_node_down(i);
    }

    fn after_node_down(&mut self, i: usize) {
        let id = self.nodes[i].id;
        self.checker.on_crash(id);
        self.network.drop_node_traffic(id);
        self.nodes[i].log = SimLogSide::default();
        self.nodes[i].outputs = OutputGate::new();
        self.nodes[i].inbound.clear();
        self.nodes[i].fetch_reads.clear();
        self.nodes[i].deferred.clear();
        self.nodes[i].paused_until_ms = 0;
        // Peers waiting on this node see their connection reset.
        for j in 0..self.nodes.len() {
            if j == i || !self.is_up(j) {
                continue;
            }
            if let Some(&correlation_id) = self.nodes[j].outstanding.get(&id) {
                let incarnation = self.nodes[j].incarnation;
                let delay = self.rng.range_inclusive(1, 5);
                self.schedule(
                    delay,
                    EventKind::Disconnected {
                        node: j,
                        incarnation,
                        to: id,
                        correlation_id,
                    },
                );
            }
        }
        let restart_ms = self.rng.range_inclusive(50, 4_000);
        self.schedule(restart_ms, EventKind::Restart { node: i });
    }

    // ----- driving a node ----------------------------------------------------------------------

    fn step_node(&mut self, i: usize, input: Input) {
        let now = self.now_ms;
        let code = match &input {
            Input::Request { .. } => 10,
            Input::Response { .. } => 11,
            Input::RequestFailed { .. } => 12,
            Input::LogFlushed {
                flushed_end_offset,
                generation,
            } => 13 + (*flushed_end_offset as u64).wrapping_mul(100) + (*generation << 48),
            Input::RegisterListener(_) => 14,
            Input::UnregisterListener(_) => 15,
            Input::Resign { .. } => 16,
            Input::Shutdown => 17,
            Input::SnapshotFrozen { snapshot } => {
                18 + (snapshot.snapshot_id.end_offset as u64).wrapping_mul(100)
            }
            Input::LogStartAdvanced { start_offset } => {
                19 + (*start_offset as u64).wrapping_mul(100)
            }
            Input::SnapshotLoaded { generation, .. } => 20 + (*generation << 48),
            Input::SnapshotLoadFailed { generation, .. } => 21 + (*generation << 48),
        };
        self.hash_words(&[3, now, i as u64, code]);
        if self.options.trace_lines > 0 {
            let id = self.nodes[i].id;
            self.trace_line(|| format!("node {id} <- {}", describe_input(&input)));
        }
        let clock = self.node_clock(i);
        let Some(core) = self.nodes[i].core.as_mut() else {
            return;
        };
        self.steps += 1;
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| core.step(clock, input)));
        match result {
            Ok(()) => self.after_core_call(i),
            Err(panic) => self.core_panicked(i, panic),
        }
    }

    fn tick_node(&mut self, i: usize) {
        let now = self.now_ms;
        self.hash_words(&[4, now, i as u64]);
        let clock = self.node_clock(i);
        let Some(core) = self.nodes[i].core.as_mut() else {
            return;
        };
        self.steps += 1;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| core.tick(clock)));
        match result {
            Ok(()) => self.after_core_call(i),
            Err(panic) => self.core_panicked(i, panic),
        }
    }

    /// Drains outputs, observes the node, reschedules its tick, then checks the invariants.
    fn after_core_call(&mut self, i: usize) {
        // The epoch at the end of the step bounds every epoch the node passed through while
        // producing these outputs (commits it reports are attributed to it).
        if let Some(core) = self.nodes[i].core.as_ref() {
            let status = core.status();
            let node = &self.nodes[i];
            self.checker.on_node_epoch(node.id, status.epoch);
            // A new leader is judged on the log it was elected with, and recorded as its epoch's
            // leader before its own LeaderChange append names one (`on_epoch_start`).
            if status.state == StateName::Leader {
                self.checker
                    .on_leader(self.now_ms, node.id, status.epoch, &node.disk);
            }
        }
        self.drain(i);
        self.observe(i);
        self.reschedule_tick(i);
        self.check_global();
    }

    fn drain(&mut self, i: usize) {
        // Bounded: the core caps its own output queue.
        for _ in 0..kraft_engine::MAX_PENDING_OUTPUTS + 1 {
            let node = &mut self.nodes[i];
            let Some(core) = node.core.as_mut() else {
                return;
            };
            let Some(output) = node.outputs.next_output(core, &mut node.disk) else {
                return;
            };
            self.execute(i, output);
        }
    }

    fn observe(&mut self, i: usize) {
        let now = self.now_ms;
        let node = &self.nodes[i];
        let Some(core) = node.core.as_ref() else {
            return;
        };
        let status = core.status();
        if status.state == StateName::Leader {
            self.checker
                .on_leader(now, node.id, status.epoch, &node.disk);
        }
        // Appends and listener events queued behind a quorum-state write have not run yet: the
        // node is judged on them once they have (`election_side`).
        if node.outputs.must_wait() {
            return;
        }
        if let Some(hw) = status.high_watermark {
            self.checker.on_high_watermark(now, node.id, hw, &node.disk);
            if status.state == StateName::Leader {
                self.checker
                    .on_leader_high_watermark(now, node.id, status.epoch, hw, &node.disk);
            }
        }
        if status.state == StateName::Leader {
            self.describe_countdown -= 1;
            if self.describe_countdown == 0 {
                self.describe_countdown = DESCRIBE_EVERY;
                self.check_describe(i);
            }
        }
        let node = &self.nodes[i];
        let resigned = status.state == StateName::Resigned;
        for &(listener_id, view) in &node.listeners {
            self.checker.check_listener_view(
                now,
                node.id,
                listener_id,
                resigned,
                (status.leader_id, status.epoch),
                view.map(|v| (v.leader_id, v.epoch)),
            );
        }
    }

    /// Compares the leader's DescribeQuorum answer with what the simulation knows.
    fn check_describe(&mut self, i: usize) {
        let now = self.now_ms;
        let id = self.nodes[i].id;
        let Some(core) = self.nodes[i].core.as_ref() else {
            return;
        };
        let status = core.status();
        let Some(answer) = core.describe_quorum() else {
            self.violation(
                Invariant::DescribeQuorum,
                Some(id),
                "the leader has no DescribeQuorum answer".to_string(),
            );
            return;
        };
        let got = DescribeView {
            leader_id: answer.leader_id,
            leader_epoch: answer.leader_epoch,
            high_watermark: answer.high_watermark,
            voters: answer.current_voters.iter().map(|r| r.replica_id).collect(),
            observers: answer.observers.iter().map(|r| r.replica_id).collect(),
        };
        let fetching_observers = self
            .observer_fetches
            .range((id, status.epoch, NodeId::MIN)..=(id, status.epoch, NodeId::MAX))
            .filter(|(_, &at)| now.saturating_sub(at) <= OBSERVER_RECENT_MS)
            .map(|(&(_, _, observer), _)| observer)
            .collect();
        let expected = DescribeExpectation {
            epoch: status.epoch,
            high_watermark: status.high_watermark.unwrap_or(-1),
            voter_set: self
                .nodes
                .iter()
                .filter(|n| n.is_voter)
                .map(|n| n.id)
                .collect(),
            fetching_observers,
        };
        self.checker.check_describe_quorum(now, id, &expected, &got);
    }

    fn reschedule_tick(&mut self, i: usize) {
        let now = self.now_ms;
        let Some(core) = self.nodes[i].core.as_ref() else {
            return;
        };
        // The core's deadline is in its own clock.
        let offset = self.nodes[i].clock_offset_ms;
        let mut deadline = core.next_deadline_ms().saturating_sub(offset).max(now);
        let node = &mut self.nodes[i];
        if deadline == now {
            if node.last_tick_ms == now {
                node.same_instant_ticks += 1;
            } else {
                node.same_instant_ticks = 0;
            }
            if node.same_instant_ticks >= MAX_SAME_INSTANT_TICKS {
                deadline = now + 1;
                node.same_instant_ticks = 0;
                let id = node.id;
                self.violation(
                    Invariant::Contract,
                    Some(id),
                    "next_deadline_ms stays at the current time after repeated ticks".to_string(),
                );
            }
        }
        let node = &mut self.nodes[i];
        node.last_tick_ms = now;
        if node.scheduled_tick_ms == Some(deadline) {
            return;
        }
        node.scheduled_tick_ms = Some(deadline);
        let incarnation = node.incarnation;
        self.schedule(
            deadline - now,
            EventKind::Tick {
                node: i,
                incarnation,
            },
        );
    }

    fn check_global(&mut self) {
        if self.checker.durability_check_due() {
            let voters: Vec<(NodeId, &SimDisk<ElectionState>)> = self
                .nodes
                .iter()
                .filter(|n| n.is_voter)
                .map(|n| (n.id, &n.disk))
                .collect();
            self.checker.check_durability(self.now_ms, &voters);
        }
        self.checker.check_liveness(self.now_ms);
    }

    // ----- executing outputs -------------------------------------------------------------------

    fn execute(&mut self, i: usize, output: Output) {
        let now = self.now_ms;
        let id = self.nodes[i].id;
        if self.options.trace_lines > 0 {
            self.trace_line(|| format!("node {id} -> {}", describe_output(&output)));
        }
        match output {
            // The gate began the write; it completes later (`election_side`).
            Output::PersistElectionState(state) => self.election_write_begun(i, &state),
            Output::Send {
                to,
                correlation_id,
                request,
            } => self.send_request(i, to, correlation_id, request),
            Output::Respond {
                request_id,
                response,
            } => self.respond(i, request_id, response),
            Output::AppendBatch {
                base_offset,
                last_offset,
                epoch,
                bytes,
            } => self.append_batch(i, base_offset, last_offset, epoch, bytes),
            Output::Flush {
                up_to_offset,
                generation,
            } => {
                self.hash_words(&[24, up_to_offset as u64]);
                let log_generation = self.nodes[i].log.core_generation;
                if generation != log_generation {
                    self.violation(
                        Invariant::Contract,
                        Some(id),
                        format!(
                            "Flush names generation {generation}, the log is at {log_generation}"
                        ),
                    );
                }
                if self.options.sabotage == Sabotage::AcknowledgeUnflushed {
                    let claimed = self.nodes[i].disk.end_offset().min(up_to_offset);
                    self.schedule_lie_flush(i, claimed, generation);
                    return;
                }
                self.flush_log(i, generation);
            }
            Output::Truncate {
                to_offset,
                generation,
            } => {
                self.hash_words(&[25, to_offset as u64]);
                let expected = self.nodes[i].log.core_generation + 1;
                if generation != expected {
                    self.violation(
                        Invariant::Contract,
                        Some(id),
                        format!("Truncate starts generation {generation}, expected {expected}"),
                    );
                }
                self.nodes[i].log.core_generation = generation;
                if self.options.sabotage == Sabotage::IgnoreTruncate {
                    return;
                }
                self.checker.on_truncate(now, id, to_offset);
                self.truncate_log(i, to_offset, generation);
            }
            Output::Listener {
                id: listener,
                event,
            } => {
                let Some(slot) = self.nodes[i].listeners.iter().position(|l| l.0 == listener)
                else {
                    self.violation(
                        Invariant::Contract,
                        Some(id),
                        format!("event for unknown listener {listener}: {event:?}"),
                    );
                    return;
                };
                match event {
                    ListenerEvent::LeaderChange(leader) => {
                        self.hash_words(&[
                            26,
                            leader.epoch as u64,
                            leader.leader_id.unwrap_or(-1) as u64,
                        ]);
                        let previous = self.nodes[i].listeners[slot]
                            .1
                            .map(|v| (v.leader_id, v.epoch));
                        self.checker.on_listener_leader_change(
                            now,
                            id,
                            listener,
                            previous,
                            (leader.leader_id, leader.epoch),
                            &self.nodes[i].disk,
                        );
                        self.nodes[i].listeners[slot].1 = Some(leader);
                    }
                    ListenerEvent::Commit {
                        from_offset,
                        to_offset_exclusive,
                    } => {
                        self.hash_words(&[27, from_offset as u64, to_offset_exclusive as u64]);
                        let node = &self.nodes[i];
                        self.checker.on_listener_commit(
                            now,
                            id,
                            listener,
                            from_offset,
                            to_offset_exclusive,
                            &node.disk,
                        );
                    }
                    ListenerEvent::LoadSnapshot { snapshot_id } => {
                        self.hash_words(&[28, snapshot_id.end_offset as u64]);
                        self.checker
                            .on_listener_snapshot(id, listener, snapshot_id.end_offset);
                    }
                }
            }
            Output::WriteSnapshotChunk { snapshot_id, .. }
            | Output::LoadSnapshot {
                snapshot: kraft_engine::SnapshotInfo { snapshot_id, .. },
                ..
            } => {
                // The simulated state machine freezes no snapshot yet, so no leader can offer one.
                self.violation(
                    Invariant::Contract,
                    Some(id),
                    format!("snapshot download of {snapshot_id:?} though no snapshot exists"),
                );
            }
            Output::ShutdownComplete => {
                self.hash_words(&[29]);
                // A clean stop: the process exits, the page cache keeps every write.
                let node = &mut self.nodes[i];
                node.disk.complete_flush(i64::MAX);
                node.core = None;
                self.after_node_down(i);
            }
        }
    }

    /// Sabotage: claims `claimed` is durable right away (nothing is).
    fn schedule_lie_flush(&mut self, i: usize, claimed: i64, generation: u64) {
        let incarnation = self.nodes[i].incarnation;
        self.schedule(
            0,
            EventKind::LieFlushed {
                node: i,
                incarnation,
                flushed_end_offset: claimed,
                generation,
            },
        );
    }

    fn send_request(&mut self, i: usize, to: NodeId, correlation_id: u64, request: Request) {
        let now = self.now_ms;
        let from = self.nodes[i].id;
        self.hash_words(&[21, to as u64, request.kind().api_key() as u64]);
        if self.node_index(to).is_none() {
            self.violation(
                Invariant::Contract,
                Some(from),
                format!("request to unknown node {to}: {request:?}"),
            );
            return;
        }
        let incarnation = self.nodes[i].incarnation;
        if let Some(&previous) = self.nodes[i].outstanding.get(&to) {
            if correlation_id <= previous {
                self.violation(
                    Invariant::Contract,
                    Some(from),
                    format!("correlation id {correlation_id} after {previous}: ids must be unique"),
                );
            }
        }
        self.nodes[i].outstanding.insert(to, correlation_id);
        let outcome = self.network.send(
            now,
            from,
            to,
            Box::new(Wire::Request {
                correlation_id,
                incarnation,
                request,
            }),
            &mut self.rng,
        );
        if outcome == SendOutcome::Overloaded {
            self.violation(
                Invariant::Contract,
                Some(from),
                "network flooded: too many messages in flight".to_string(),
            );
        }
    }

    fn respond(&mut self, i: usize, request_id: u64, response: Response) {
        let now = self.now_ms;
        let id = self.nodes[i].id;
        let Some(inbound) = self.nodes[i].inbound.remove(&request_id) else {
            self.violation(
                Invariant::Contract,
                Some(id),
                format!("response to unknown request {request_id}: {response:?}"),
            );
            return;
        };
        let mut response = response;
        if let Response::Vote(vote) = &response {
            self.hash_words(&[22, vote.vote_granted as u64, vote.leader_epoch as u64]);
            if let (true, Some((candidate, epoch))) = (vote.vote_granted, inbound.vote) {
                let durable = self.nodes[i].disk.quorum_state().map(election_record);
                self.checker
                    .on_vote_granted_sent(now, id, candidate, epoch, durable);
            }
        }
        if let Response::Fetch(fetch) = &mut response {
            let from_observer = self
                .node_index(inbound.from)
                .is_some_and(|c| !self.nodes[c].is_voter);
            // Only a fetch at a valid position updates the leader's replica state (Kafka skips it
            // for a diverging epoch or a snapshot redirect).
            if from_observer
                && fetch.error_code.is_none()
                && fetch.partition_error_code.is_none()
                && fetch.current_leader.leader_id == id
                && fetch.diverging_epoch.epoch < 0
                && fetch.snapshot_id.end_offset < 0
            {
                self.observer_fetches
                    .insert((id, fetch.current_leader.leader_epoch, inbound.from), now);
            }
            if let Records::LogRange { generation, .. } = fetch.records {
                let core_generation = self.nodes[i].log.core_generation;
                if generation != core_generation {
                    self.violation(
                        Invariant::Contract,
                        Some(id),
                        format!(
                            "LogRange of generation {generation}, the core is at {core_generation}"
                        ),
                    );
                }
                if self.net_side_lags() {
                    self.defer_fetch_response(i, inbound, response);
                    return;
                }
                fetch.records = self.read_log_range(i, fetch.records.clone());
            }
        }
        self.send_response(i, inbound, response);
    }

    fn send_response(&mut self, i: usize, inbound: Inbound, response: Response) {
        let id = self.nodes[i].id;
        self.network.send(
            self.now_ms,
            id,
            inbound.from,
            Box::new(Wire::Response {
                correlation_id: inbound.correlation_id,
                incarnation: inbound.incarnation,
                response,
            }),
            &mut self.rng,
        );
    }

    fn append_batch(
        &mut self,
        i: usize,
        base_offset: i64,
        last_offset: i64,
        epoch: i32,
        bytes: Bytes,
    ) {
        let now = self.now_ms;
        let id = self.nodes[i].id;
        self.hash_words(&[
            23,
            base_offset as u64,
            last_offset as u64,
            epoch as u64,
            bytes.len() as u64,
        ]);
        match validate_batch(&bytes) {
            Ok(header)
                if header.base_offset == base_offset
                    && header.last_offset() == last_offset
                    && header.partition_leader_epoch == epoch
                    && header.size_bytes() == bytes.len() => {}
            Ok(header) => {
                self.violation(
                    Invariant::Contract,
                    Some(id),
                    format!(
                        "AppendBatch [{base_offset}, {last_offset}] epoch {epoch} ({} bytes) carries batch {header:?}",
                        bytes.len()
                    ),
                );
                return;
            }
            Err(e) => {
                self.violation(
                    Invariant::Contract,
                    Some(id),
                    format!(
                        "AppendBatch [{base_offset}, {last_offset}] carries an invalid batch: {e}"
                    ),
                );
                return;
            }
        }
        if let Some(core) = self.nodes[i].core.as_ref() {
            let node_epoch = core.status().epoch;
            if epoch > node_epoch {
                self.violation(
                    Invariant::Contract,
                    Some(id),
                    format!("appends a batch of epoch {epoch} while in epoch {node_epoch}"),
                );
            }
        }
        let disk = &self.nodes[i].disk;
        if disk.end_offset() == 0 || disk.last_epoch() != epoch {
            // The first batch of an epoch in any log is its leader's LeaderChange record.
            match leader_change_of(&bytes) {
                Some(leader_id) => self.checker.on_epoch_start(now, id, epoch, leader_id),
                None => self.violation(
                    Invariant::LeaderChangeRecord,
                    Some(id),
                    format!(
                        "batch [{base_offset}, {last_offset}] starts epoch {epoch} in the log but is not a LeaderChange record"
                    ),
                ),
            }
        }
        let node = &mut self.nodes[i];
        let append = SimAppend {
            base_offset,
            last_offset,
            epoch,
            bytes,
        };
        match node.log.pipeline.append(&mut node.disk, append) {
            Ok(()) => {
                let stored = node.disk.batches().last().expect("just appended");
                self.trace_hash = fnv1a64(self.trace_hash, &stored.prefix_hash.to_le_bytes());
                self.checker.on_append(now, id, stored);
            }
            Err(e) => self.violation(Invariant::Contract, Some(id), e.to_string()),
        }
    }

    // ----- events ------------------------------------------------------------------------------

    fn deliver(&mut self, from: NodeId, to: NodeId, wire: Wire) {
        let Some(j) = self.node_index(to) else {
            return;
        };
        if self.is_up(j) && self.is_paused(j) {
            if self.nodes[j].deferred.len() < MAX_DEFERRED {
                self.nodes[j].deferred.push_back((from, wire));
            }
            return;
        }
        match wire {
            Wire::Request {
                correlation_id,
                incarnation,
                request,
            } => {
                if !self.is_up(j) {
                    // Connection refused: the sender learns at once.
                    if let Some(c) = self.node_index(from) {
                        if self.is_up(c)
                            && self.nodes[c].outstanding.get(&to) == Some(&correlation_id)
                        {
                            let incarnation = self.nodes[c].incarnation;
                            self.schedule(
                                1,
                                EventKind::Disconnected {
                                    node: c,
                                    incarnation,
                                    to,
                                    correlation_id,
                                },
                            );
                        }
                    }
                    return;
                }
                if self.nodes[j].inbound.len() >= MAX_INBOUND {
                    self.violation(
                        Invariant::Contract,
                        Some(to),
                        format!("more than {MAX_INBOUND} requests left unanswered"),
                    );
                    return;
                }
                let request_id = self.next_request_id;
                self.next_request_id += 1;
                let vote = match &request {
                    Request::Vote(v) if !v.pre_vote => Some((v.candidate_id, v.candidate_epoch)),
                    _ => None,
                };
                self.nodes[j].inbound.insert(
                    request_id,
                    Inbound {
                        from,
                        correlation_id,
                        incarnation,
                        vote,
                    },
                );
                self.step_node(
                    j,
                    Input::Request {
                        request_id,
                        request,
                    },
                );
            }
            Wire::Response {
                correlation_id,
                incarnation,
                mut response,
            } => {
                // The connection of an earlier process is gone with it.
                if !self.is_up(j) || self.nodes[j].incarnation != incarnation {
                    return;
                }
                if self.corrupt_ppm > 0 {
                    self.maybe_corrupt(&mut response);
                }
                if self.nodes[j].outstanding.get(&from) == Some(&correlation_id) {
                    self.nodes[j].outstanding.remove(&from);
                }
                // Late, duplicated and reordered responses reach the core too: it must refuse
                // every one that does not answer its request in flight.
                self.step_node(
                    j,
                    Input::Response {
                        from,
                        correlation_id,
                        response,
                    },
                );
            }
        }
    }

    fn handle_event(&mut self, event: Event) {
        // A paused node's timers and I/O completions wait for it to resume.
        match event.kind {
            EventKind::Tick { node, .. } if self.is_paused(node) => {
                self.nodes[node].scheduled_tick_ms = None;
                return;
            }
            // The log and network sides run on while only the Raft loop waits for a write.
            EventKind::FlushDone { node, .. } | EventKind::FetchResponseRead { node, .. }
                if self.is_process_paused(node) =>
            {
                let wait = self.nodes[node].paused_until_ms - self.now_ms;
                self.schedule(wait, event.kind);
                return;
            }
            EventKind::FlushReport { node, .. }
            | EventKind::LieFlushed { node, .. }
            | EventKind::Disconnected { node, .. }
                if self.is_paused(node) =>
            {
                let wait = self.nodes[node].paused_until_ms.saturating_sub(self.now_ms);
                self.schedule(wait.max(1), event.kind);
                return;
            }
            _ => {}
        }
        match event.kind {
            EventKind::Tick { node, incarnation } => {
                let n = &self.nodes[node];
                if n.core.is_some()
                    && n.incarnation == incarnation
                    && n.scheduled_tick_ms == Some(event.at_ms)
                {
                    self.nodes[node].scheduled_tick_ms = None;
                    self.tick_node(node);
                }
            }
            EventKind::FlushDone {
                node,
                incarnation,
                seq,
            } => {
                if self.nodes[node].incarnation == incarnation && self.is_up(node) {
                    self.flush_done(node, seq);
                }
            }
            EventKind::FlushReport { node, incarnation } => {
                if self.nodes[node].incarnation == incarnation && self.is_up(node) {
                    self.hand_over_flush_report(node);
                }
            }
            EventKind::FetchResponseRead {
                node,
                incarnation,
                key,
            } => {
                if self.nodes[node].incarnation == incarnation && self.is_up(node) {
                    self.read_deferred_fetch_response(node, key);
                }
            }
            EventKind::LieFlushed {
                node,
                incarnation,
                flushed_end_offset,
                generation,
            } => {
                if self.nodes[node].incarnation == incarnation && self.is_up(node) {
                    let input = Input::LogFlushed {
                        flushed_end_offset,
                        generation,
                    };
                    self.step_node(node, input);
                }
            }
            EventKind::Disconnected {
                node,
                incarnation,
                to,
                correlation_id,
            } => {
                let n = &self.nodes[node];
                if n.core.is_some()
                    && n.incarnation == incarnation
                    && n.outstanding.get(&to) == Some(&correlation_id)
                {
                    self.nodes[node].outstanding.remove(&to);
                    self.step_node(
                        node,
                        Input::RequestFailed {
                            to,
                            correlation_id,
                            error: RequestError::Disconnected,
                        },
                    );
                }
            }
            EventKind::ElectionDurable { node, incarnation } => {
                if self.nodes[node].incarnation == incarnation && self.is_up(node) {
                    self.election_write_durable(node);
                }
            }
            EventKind::Restart { node } => {
                if !self.is_up(node) && !self.held_out.contains(&node) {
                    self.start_node(node);
                }
            }
            EventKind::Resume { node, incarnation } => {
                if self.nodes[node].incarnation == incarnation && self.is_up(node) {
                    self.resume(node);
                }
            }
            EventKind::Workload => {
                self.workload();
                let gap = self
                    .rng
                    .range_inclusive(1, 2 * self.options.append_interval_ms);
                self.schedule(gap, EventKind::Workload);
            }
            EventKind::Fault => {
                if self.now_ms < self.chaos_until_ms {
                    self.inject_fault();
                    let gap = self.rng.range_inclusive(100, 1_500);
                    self.schedule(gap, EventKind::Fault);
                } else {
                    self.schedule(0, EventKind::BeginCalm);
                }
            }
            EventKind::BeginCalm => self.begin_calm(),
        }
    }

    /// Flips one bit of one fetched batch in the part its CRC covers, so the follower must notice
    /// and must not append it. Bytes outside the CRC (base offset, length, leader epoch) are left
    /// alone: nothing, in Kafka either, can detect damage there. (An earlier version picked the
    /// byte over the whole response and so could hit a later batch's epoch: seeds 25346, 60679.)
    fn maybe_corrupt(&mut self, response: &mut Response) {
        const CRC_COVERED_FROM: usize = 21;
        let Response::Fetch(fetch) = response else {
            return;
        };
        let Records::Bytes(bytes) = &fetch.records else {
            return;
        };
        if bytes.is_empty() || !self.rng.chance_ppm(self.corrupt_ppm) {
            return;
        }
        // Whole batches of the response: (start, length).
        let mut batches: Vec<(usize, usize)> = Vec::new();
        let mut iter = BatchIter::new(bytes);
        loop {
            let start = iter.position();
            match iter.next() {
                Some(Ok(batch)) if batch.bytes.len() > CRC_COVERED_FROM => {
                    batches.push((start, batch.bytes.len()));
                }
                _ => break,
            }
        }
        if batches.is_empty() {
            return;
        }
        let (start, length) = batches[self.rng.index(batches.len())];
        let mut damaged = bytes.to_vec();
        let position = start + CRC_COVERED_FROM + self.rng.index(length - CRC_COVERED_FROM);
        damaged[position] ^= 1 << self.rng.below(8);
        self.hash_words(&[8, position as u64]);
        self.trace_line(|| format!("corrupting fetched byte {position}"));
        fetch.records = Records::Bytes(Bytes::from(damaged));
    }

    /// Ends a pause: messages that arrived meanwhile are processed in order, then due timers.
    fn resume(&mut self, i: usize) {
        self.nodes[i].paused_until_ms = 0;
        let to = self.nodes[i].id;
        let deferred = std::mem::take(&mut self.nodes[i].deferred);
        self.trace_line(|| format!("node {to} resumes with {} messages", deferred.len()));
        for (from, wire) in deferred {
            self.deliver(from, to, wire);
        }
        // Messages delivered above may have begun another quorum-state write.
        if !self.is_paused(i) {
            self.tick_node(i);
        }
    }

    fn pause(&mut self, i: usize, duration_ms: u64) {
        if !self.is_running(i) {
            return;
        }
        self.nodes[i].paused_until_ms = self.now_ms + duration_ms;
        let incarnation = self.nodes[i].incarnation;
        self.schedule(
            duration_ms,
            EventKind::Resume {
                node: i,
                incarnation,
            },
        );
    }

    /// Local appends on whichever node believes it leads (and now and then on a node that does
    /// not, which must be refused).
    fn workload(&mut self) {
        let leader = (0..self.nodes.len())
            .filter(|&i| self.is_running(i))
            .filter_map(|i| {
                let view = self.listener_view(i)?;
                (view.leader_id == Some(self.nodes[i].id)).then_some((view.epoch, i))
            })
            .max();
        let stray = self.rng.chance(0.05);
        let target = match leader {
            Some(leader) if !stray => leader,
            _ => {
                let up: Vec<usize> = (0..self.nodes.len())
                    .filter(|&i| self.is_running(i))
                    .collect();
                if up.is_empty() {
                    return;
                }
                let i = up[self.rng.index(up.len())];
                let epoch = self.listener_view(i).map_or(0, |v| v.epoch);
                (epoch, i)
            }
        };
        let (epoch, i) = target;
        // Mostly single records, sometimes a burst that fills batches and the append queue.
        let records = if self.rng.chance(0.1) {
            self.rng.range_inclusive(2, 60)
        } else {
            1
        };
        for _ in 0..records {
            if !self.is_running(i) {
                return;
            }
            self.append_one(i, epoch);
        }
    }

    fn append_one(&mut self, i: usize, epoch: i32) {
        let now = self.now_ms;
        let size = self.rng.range_inclusive(8, 200) as usize;
        let mut value = vec![0u8; size];
        self.rng.fill_bytes(&mut value);
        self.hash_words(&[5, now, i as u64, epoch as u64, size as u64]);
        let clock = self.node_clock(i);
        let Some(core) = self.nodes[i].core.as_mut() else {
            return;
        };
        self.steps += 1;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            core.append(clock, epoch, &value)
        }));
        match result {
            Ok(Ok(offset)) => {
                self.hash_words(&[6, offset as u64]);
                let id = self.nodes[i].id;
                self.trace_line(|| format!("node {id} appended {size} bytes at offset {offset}"));
                self.checker.on_workload_append(offset);
                self.after_core_call(i);
            }
            Ok(Err(e)) => {
                let id = self.nodes[i].id;
                self.trace_line(|| format!("node {id} refused append: {e}"));
                self.after_core_call(i);
            }
            Err(panic) => self.core_panicked(i, panic),
        }
    }

    // ----- faults and phases -------------------------------------------------------------------

    fn all_ids(&self) -> Vec<NodeId> {
        self.nodes.iter().map(|n| n.id).collect()
    }

    /// The node with the highest epoch that believes it leads, if any.
    fn current_leader(&self) -> Option<usize> {
        (0..self.nodes.len())
            .filter_map(|i| {
                let status = self.nodes[i].core.as_ref()?.status();
                (status.state == StateName::Leader).then_some((status.epoch, i))
            })
            .max()
            .map(|(_, i)| i)
    }

    fn begin_chaos(&mut self) {
        let length = self.rng.range_inclusive(2_000, 8_000);
        self.chaos_until_ms = self.now_ms + length;
        self.checker.end_calm();
        let profile = self.random_network();
        self.network.set_config(profile);
        self.corrupt_ppm = if self.rng.chance(0.3) {
            self.rng.range_inclusive(1_000, 30_000) as u32
        } else {
            0
        };
        self.crash_config = CrashConfig {
            torn_write_probability: 0.5,
            unflushed_survive_probability: if self.rng.chance(0.3) { 0.3 } else { 0.0 },
        };
        self.flush_delay_max_ms = if self.rng.chance(0.2) {
            self.rng.range_inclusive(50, 400)
        } else {
            self.rng.range_inclusive(1, 10)
        };
        self.trace_line(|| format!("chaos for {length} ms"));
        let gap = self.rng.range_inclusive(0, 1_000);
        self.schedule(gap, EventKind::Fault);
    }

    fn random_network(&mut self) -> NetworkConfig {
        let max_delay_ms = self.rng.range_inclusive(1, 60);
        NetworkConfig {
            min_delay_ms: self.rng.range_inclusive(0, max_delay_ms.min(3)),
            max_delay_ms,
            drop_ppm: if self.rng.chance(0.5) {
                self.rng.below(60_000) as u32
            } else {
                0
            },
            duplicate_ppm: if self.rng.chance(0.5) {
                self.rng.below(30_000) as u32
            } else {
                0
            },
            slow_ppm: if self.rng.chance(0.3) {
                self.rng.below(20_000) as u32
            } else {
                0
            },
            slow_delay_ms: self.rng.range_inclusive(100, 2_500),
            max_in_flight: 100_000,
        }
    }

    fn inject_fault(&mut self) {
        let ids = self.all_ids();
        let n = self.nodes.len();
        let pick = self.rng.below(110);
        let action;
        match pick {
            0..=11 => {
                let i = self.rng.index(n);
                action = format!("crash node {}", self.nodes[i].id);
                self.crash(i);
            }
            12..=14 => {
                // Power loss in a whole rack: several nodes, possibly all, at once.
                let count = self.rng.range_inclusive(2, n as u64) as usize;
                let mut victims: Vec<usize> = (0..n).collect();
                for k in (1..victims.len()).rev() {
                    let j = self.rng.index(k + 1);
                    victims.swap(k, j);
                }
                victims.truncate(count);
                action = format!("crash nodes {victims:?} (indexes)");
                for i in victims {
                    self.crash(i);
                }
            }
            15..=29 => {
                action = match self.current_leader() {
                    Some(i) => {
                        let s = format!("crash leader {}", self.nodes[i].id);
                        self.crash(i);
                        s
                    }
                    None => "crash leader (none)".to_string(),
                };
            }
            30..=44 => {
                let mut shuffled = ids.clone();
                for k in (1..shuffled.len()).rev() {
                    let j = self.rng.index(k + 1);
                    shuffled.swap(k, j);
                }
                let cut = 1 + self.rng.index(shuffled.len() - 1);
                let groups = vec![shuffled[..cut].to_vec(), shuffled[cut..].to_vec()];
                action = format!("partition {groups:?}");
                self.network.heal();
                self.network.partition(&ids, &groups);
            }
            45..=54 => {
                action = match self.current_leader() {
                    Some(i) => {
                        let id = self.nodes[i].id;
                        self.network.isolate(&ids, id);
                        format!("isolate leader {id}")
                    }
                    None => "isolate leader (none)".to_string(),
                };
            }
            55..=62 => {
                let a = ids[self.rng.index(n)];
                let b = ids[self.rng.index(n)];
                self.network.cut_one_way(a, b);
                action = format!("cut {a} -> {b}");
            }
            63..=72 => {
                self.network.heal();
                action = "heal".to_string();
            }
            73..=80 => {
                let profile = self.random_network();
                action = format!("network {profile:?}");
                self.network.set_config(profile);
            }
            81..=86 => {
                let i = self.rng.index(n);
                action = format!("graceful shutdown of node {}", self.nodes[i].id);
                if self.is_running(i) && !self.nodes[i].stopping {
                    self.nodes[i].stopping = true;
                    self.step_node(i, Input::Shutdown);
                }
            }
            87..=92 => {
                action = match self.current_leader() {
                    Some(i) if self.is_running(i) => {
                        let epoch = self.nodes[i].core.as_ref().map_or(0, |c| c.status().epoch);
                        self.step_node(i, Input::Resign { epoch });
                        format!("leader {} resigns epoch {epoch}", self.nodes[i].id)
                    }
                    _ => "resign (no running leader)".to_string(),
                };
            }
            93..=96 => {
                let down: Vec<usize> = (0..n).filter(|&i| !self.is_up(i)).collect();
                action = format!("restart {} nodes", down.len());
                for i in down {
                    self.start_node(i);
                }
            }
            97..=99 => {
                // A second listener registered late (KAFKA-16286 path).
                let i = self.rng.index(n);
                action = format!("late listener on node {}", self.nodes[i].id);
                if self.is_running(i) && self.nodes[i].listeners.len() < 4 {
                    self.register_listener(i);
                }
            }
            _ => {
                // A process freeze (GC pause, stalled VM), often of the leader: it wakes up
                // believing it still leads, with a backlog of stale messages.
                let i = match self.current_leader() {
                    Some(leader) if self.rng.chance(0.5) => leader,
                    _ => self.rng.index(n),
                };
                let duration_ms = self.rng.range_inclusive(100, 4_000);
                action = format!("pause node {} for {duration_ms} ms", self.nodes[i].id);
                self.pause(i, duration_ms);
            }
        }
        self.hash_words(&[7, self.now_ms, pick]);
        self.trace_line(|| format!("fault: {action}"));
    }

    /// Heal everything, bring every node up, and demand progress within the liveness bound.
    fn begin_calm(&mut self) {
        self.corrupt_ppm = 0;
        self.network.heal();
        self.network.set_config(calm_network());
        self.flush_delay_max_ms = self.flush_delay_max_ms.min(10);
        for i in 0..self.nodes.len() {
            if self.is_up(i) && self.nodes[i].stopping {
                // A graceful shutdown in progress would take the node away during the window
                // (seed 71172): power it off and bring it back at once instead.
                self.crash(i);
            }
            if !self.is_up(i) {
                self.start_node(i);
            } else if self.is_paused(i) {
                self.resume(i);
            }
        }
        // Liveness is owed to a connected majority: often keep a minority of voters out
        // (crashed, or running but cut off) for the whole calm window.
        let minority = (self.options.voters - 1) / 2;
        if self.options.faults && minority > 0 && self.rng.chance(0.4) {
            let count = self.rng.range_inclusive(1, minority as u64) as usize;
            let mut voters: Vec<usize> = (0..self.options.voters).collect();
            for k in (1..voters.len()).rev() {
                let j = self.rng.index(k + 1);
                voters.swap(k, j);
            }
            voters.truncate(count);
            let ids = self.all_ids();
            for &i in &voters {
                if self.rng.chance(0.5) {
                    self.crash(i);
                } else {
                    self.network.isolate(&ids, self.nodes[i].id);
                }
            }
            let held: Vec<NodeId> = voters.iter().map(|&i| self.nodes[i].id).collect();
            self.trace_line(|| format!("calm, voters {held:?} held out"));
            self.held_out = voters;
        } else {
            self.trace_line(|| "calm".to_string());
        }
        self.checker
            .begin_calm(self.now_ms, self.options.liveness_bound_ms);
    }

    /// After a calm window is judged: start the next chaos phase, or stop.
    fn after_calm(&mut self) {
        self.network.heal();
        for i in std::mem::take(&mut self.held_out) {
            if !self.is_up(i) {
                self.start_node(i);
            }
        }
        if self.options.faults && self.now_ms < self.options.duration_ms {
            self.begin_chaos();
        } else if self.now_ms >= self.options.duration_ms {
            self.stop = true;
        } else {
            // No faults: keep demanding progress until the duration is over.
            self.checker
                .begin_calm(self.now_ms, self.options.liveness_bound_ms);
        }
    }

    // ----- main loop ---------------------------------------------------------------------------

    pub fn run(mut self) -> SimOutcome {
        // Hard bound on simulated time: the chaos budget plus one full liveness window and slack.
        let horizon_ms = self.options.duration_ms + self.options.liveness_bound_ms + 8_000 + 10_000;
        let mut was_calm = false;
        while !self.stop && self.steps < self.options.max_steps {
            let next_event = self.events.peek().map(|e| e.at_ms);
            let next_message = self.network.next_delivery_ms();
            let next = match (next_event, next_message) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => break,
            };
            if next > horizon_ms {
                break;
            }
            self.now_ms = self.now_ms.max(next);
            if next_message == Some(next) && next_event.is_none_or(|e| e >= next) {
                if let Some(message) = self.network.pop_due(self.now_ms) {
                    self.deliver(message.from, message.to, *message.message);
                }
            } else if let Some(event) = self.events.pop() {
                self.handle_event(event);
            }
            self.checker.check_liveness(self.now_ms);
            let calm = self.checker.in_calm();
            if was_calm && !calm {
                self.after_calm();
            }
            was_calm = self.checker.in_calm();
        }
        if self.steps >= self.options.max_steps {
            let detail = format!(
                "step budget of {} exhausted at {} ms simulated: far more work than the workload explains",
                self.options.max_steps, self.now_ms
            );
            self.violation(Invariant::Contract, None, detail);
        }
        SimOutcome {
            seed: self.options.seed,
            steps: self.steps,
            simulated_ms: self.now_ms,
            violation_count: self.checker.violation_count(),
            violations: self.checker.violations().to_vec(),
            trace_hash: self.trace_hash,
            committed_end_offset: self.checker.committed_end_offset(),
            leaders_seen: self.checker.leaders_seen(),
            crashes: self.crashes,
            election_writes_lost: self.election_writes_lost,
            election_write_stalls: self.election_write_stalls,
            liveness_windows_passed: self.checker.liveness_windows_passed(),
            trace_tail: self.trace_tail.into_iter().collect(),
        }
    }
}

/// Runs one seed with the default mix of options, keeping the last `trace_lines` trace lines.
pub fn run_seed(seed: u64, trace_lines: usize) -> SimOutcome {
    let mut options = SimOptions::for_seed(seed);
    options.trace_lines = trace_lines;
    Cluster::new(options).run()
}
