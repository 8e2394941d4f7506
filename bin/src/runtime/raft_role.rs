//! The Raft role: drives the sans-IO core with the clock, the network and the log, executes its
//! outputs in order, runs the perf workload as the core's listener, and prints the reports.

mod listener;

use super::clock::Clock;
use super::error::RuntimeError;
use super::link::{Rx, Tx};
use super::messages::{LogCommand, LogEvent, NetCommand, NetEvent};
use super::persist::ElectionWrites;
use super::snapshots::StateMachine;
use super::status::StatusLog;
use futures_lite::future;
use kraft_driver::OutputGate;
use kraft_engine::{Input, ListenerId, Output, RaftNode};
use kraft_perf::{SnapshotKRaftControl, Workload};
use kraft_segment_log::LogReader;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The perf workload is this node's one listener.
const WORKLOAD_LISTENER: ListenerId = 1;
/// Longest sleep: the shutdown flag and the reports are checked at least this often.
const MAX_IDLE_MS: u64 = 100;
/// Wake-up granularity of the workload: due records are appended together (one wake-up per
/// 0.5 ms at most, instead of one per record at high rates).
const WORKLOAD_GRANULARITY_NS: u64 = 500_000;
/// Events handled per wake-up before the core is ticked and its outputs run (bounds latency).
const MAX_EVENTS_PER_WAKE: usize = 256;
/// The log is told where its readers are at most once per this many offsets of progress.
const CACHE_RELEASE_STEP_OFFSETS: i64 = 1024;
/// A graceful shutdown that has not finished by then is cut short (Kafka: 5 s).
const SHUTDOWN_GRACE_MS: u64 = 6000;
/// Events read at most from a role whose command link closed, looking for its final event (the
/// reason it stopped).
pub(super) const MAX_EVENTS_AFTER_CLOSE: usize = 10_000;

pub struct RaftRole {
    pub node: RaftNode,
    pub node_id: i32,
    pub clock: Clock,
    pub workload: Workload,
    /// The workload's replicated state and its snapshots.
    pub state_machine: StateMachine,
    pub quorum_state: ElectionWrites,
    /// Holds the core's outputs after a persist until the quorum state is durable (shared with
    /// the simulator: kraft-driver).
    pub outputs: OutputGate,
    pub log_reader: LogReader,
    pub to_log: Tx<LogCommand>,
    pub from_log: Rx<LogEvent>,
    pub to_net: Tx<NetCommand>,
    pub from_net: Rx<NetEvent>,
    pub shutdown: Arc<AtomicBool>,
    pub histogram_path: PathBuf,
}

enum Wake {
    Net(Option<NetEvent>),
    Log(Option<LogEvent>),
    Timer,
}

/// How the role ended.
#[derive(Debug)]
pub enum RaftExit {
    /// Shutdown requested and done: resigned if leader, log flushed.
    Graceful,
    /// The node cannot go on safely (disk error, a peer role died).
    Fatal(RuntimeError),
}

struct Run {
    commit_next_offset: i64,
    /// Last offset sent in `LogCommand::ReleaseCacheBelow`.
    cache_released_below: i64,
    commit_target_offset: i64,
    commits_seen: bool,
    shutdown_started_ms: Option<u64>,
    shutdown_complete: bool,
    status: StatusLog,
    /// The kraft.version last given to the network role (its ApiVersions answers list it).
    announced_kraft_version: i16,
}

impl RaftRole {
    pub async fn run(mut self) -> RaftExit {
        let mut run = Run {
            commit_next_offset: 0,
            cache_released_below: 0,
            commit_target_offset: 0,
            commits_seen: false,
            shutdown_started_ms: None,
            shutdown_complete: false,
            status: StatusLog::new(self.node_id),
            announced_kraft_version: 0,
        };
        let now_ms = self.clock.now_ms();
        self.node
            .step(now_ms, Input::RegisterListener(WORKLOAD_LISTENER));
        loop {
            if let Err(error) = self.execute_outputs(&mut run).await {
                return RaftExit::Fatal(error);
            }
            run.status.observe(&self.node, self.clock.now_ms());
            if run.shutdown_complete {
                return self.finish().await;
            }
            let now_ms = self.clock.now_ms();
            if self.shutdown.load(Ordering::Acquire) {
                match run.shutdown_started_ms {
                    None => {
                        run.shutdown_started_ms = Some(now_ms);
                        self.workload.stop(self.clock.now_ns());
                        self.node.step(now_ms, Input::Shutdown);
                        continue;
                    }
                    Some(start) if now_ms.saturating_sub(start) > SHUTDOWN_GRACE_MS => {
                        tracing::warn!("graceful shutdown timed out; stopping");
                        return self.finish().await;
                    }
                    Some(_) => {}
                }
            } else {
                self.pump_workload();
                // With linger 0 the batch just appended is due now: close it before sleeping
                // instead of after a zero-length timer (one reactor round trip per batch).
                let now_ms = self.clock.now_ms();
                if self.node.next_deadline_ms() <= now_ms {
                    self.node.tick(now_ms);
                }
                // A batch that filled up during the appends goes out now, not after the sleep.
                if let Err(error) = self.execute_outputs(&mut run).await {
                    return RaftExit::Fatal(error);
                }
            }
            self.report();
            let wake = self.wait().await;
            let mut handled = 0;
            let mut next = Some(wake);
            while let Some(wake) = next.take() {
                match wake {
                    Wake::Net(Some(event)) => {
                        if let Err(error) = self.on_net_event(event) {
                            return RaftExit::Fatal(error);
                        }
                    }
                    Wake::Log(Some(event)) => {
                        if let Err(error) = self.on_log_event(event) {
                            return RaftExit::Fatal(error);
                        }
                    }
                    Wake::Net(None) => return RaftExit::Fatal(RuntimeError::NetworkRoleStopped),
                    Wake::Log(None) => return RaftExit::Fatal(RuntimeError::LogRoleStopped),
                    Wake::Timer => {}
                }
                handled += 1;
                if handled < MAX_EVENTS_PER_WAKE {
                    next = self
                        .from_net
                        .try_recv()
                        .map(|e| Wake::Net(Some(e)))
                        .or_else(|| self.from_log.try_recv().map(|e| Wake::Log(Some(e))));
                }
            }
            self.node.tick(self.clock.now_ms());
        }
    }

    async fn wait(&self) -> Wake {
        let now_ns = self.clock.now_ns();
        let now_ms = now_ns / 1_000_000;
        let mut sleep_ns = self
            .node
            .next_deadline_ms()
            .saturating_sub(now_ms)
            .min(MAX_IDLE_MS)
            * 1_000_000;
        if let Some(due_ns) = self.workload.next_due_ns() {
            let due_in = due_ns.saturating_sub(now_ns).max(WORKLOAD_GRANULARITY_NS);
            sleep_ns = sleep_ns.min(due_in);
        }
        if sleep_ns == 0 {
            // A deadline already due: a zero timer completes without giving up the thread, so a
            // core whose deadline stays in the past would spin here and starve the roles that
            // share this executor (the log role's flush, which a follower's next Fetch waits
            // for). Let them run first; the events they bring are read after the wake-up.
            future::yield_now().await;
            return Wake::Timer;
        }
        let net = async { Wake::Net(self.from_net.recv().await) };
        let log = async { Wake::Log(self.from_log.recv().await) };
        let timer = async {
            glommio::timer::sleep(Duration::from_nanos(sleep_ns)).await;
            Wake::Timer
        };
        future::or(net, future::or(log, timer)).await
    }

    /// Executes every queued output, in order. A persist completes before the next output runs.
    async fn execute_outputs(&mut self, run: &mut Run) -> Result<(), RuntimeError> {
        // Bounded: the core caps its own output queue, and a durable write lets the next run.
        for _ in 0..=kraft_engine::MAX_PENDING_OUTPUTS {
            if self.outputs.must_wait() {
                self.quorum_state
                    .wait_durable()
                    .await
                    .map_err(RuntimeError::PersistQuorumState)?;
                self.outputs.on_durable();
            }
            let Some(output) = self
                .outputs
                .next_output(&mut self.node, &mut self.quorum_state)
            else {
                break;
            };
            match output {
                // The gate began the write; it is waited for before the next output.
                Output::PersistElectionState(_) => {}
                Output::Send {
                    to,
                    correlation_id,
                    request,
                } => {
                    self.net(NetCommand::Send {
                        to,
                        correlation_id,
                        request,
                    })
                    .await?
                }
                Output::Respond {
                    request_id,
                    response,
                } => {
                    self.net(NetCommand::Respond {
                        request_id,
                        response,
                    })
                    .await?
                }
                Output::AppendBatch {
                    base_offset, bytes, ..
                } => self.log(LogCommand::Append { base_offset, bytes }).await?,
                Output::Flush { generation, .. } => {
                    self.log(LogCommand::Flush { generation }).await?
                }
                Output::Truncate {
                    to_offset,
                    generation,
                } => {
                    self.log(LogCommand::Truncate {
                        to_offset,
                        generation,
                    })
                    .await?
                }
                Output::Listener { id, event } => {
                    debug_assert_eq!(id, WORKLOAD_LISTENER);
                    self.on_listener_event(run, event);
                }
                Output::WriteSnapshotChunk {
                    snapshot_id,
                    position,
                    bytes,
                } => {
                    self.log(LogCommand::WriteSnapshotChunk {
                        snapshot_id,
                        position,
                        bytes,
                    })
                    .await?
                }
                Output::LoadSnapshot {
                    snapshot,
                    generation,
                } => {
                    self.log(LogCommand::LoadSnapshot {
                        snapshot,
                        generation,
                    })
                    .await?
                }
                Output::UpdatePeers { peers } => self.net(NetCommand::UpdatePeers(peers)).await?,
                Output::ShutdownComplete => run.shutdown_complete = true,
            }
        }
        self.deliver_commits(run);
        self.announce_kraft_version(run).await?;
        self.snapshot_step().await?;
        self.release_cache(run).await
    }

    /// Tells the network role the core's kraft.version when it changed: a Kafka controller's
    /// ApiVersions answer lists it in FinalizedFeatures (`describe --status` prints it).
    async fn announce_kraft_version(&mut self, run: &mut Run) -> Result<(), RuntimeError> {
        let level = self.node.kraft_version();
        if level == run.announced_kraft_version {
            return Ok(());
        }
        run.announced_kraft_version = level;
        self.net(NetCommand::KRaftVersion(level)).await
    }

    /// Starts a snapshot when one is due, and announces one that was frozen: to the core first
    /// (it serves it and answers Fetches below the log start with it), then to the log role
    /// (whose retention may then move the log start up to it).
    async fn snapshot_step(&mut self) -> Result<(), RuntimeError> {
        let node = &self.node;
        self.state_machine
            .maybe_freeze(self.clock.now_ms(), |offset| snapshot_kraft(node, offset));
        let Some(frozen) = self.state_machine.poll_frozen(self.node.high_watermark()) else {
            return Ok(());
        };
        self.node.step(
            self.clock.now_ms(),
            Input::SnapshotFrozen {
                snapshot: frozen.info,
            },
        );
        self.log(LogCommand::SnapshotFrozen(frozen.retained)).await
    }

    /// Tells the log how far every reader of this node has read: the commit reader, and on a
    /// leader the furthest-behind replica that fetched (none fetched yet: nothing is released).
    async fn release_cache(&mut self, run: &mut Run) -> Result<(), RuntimeError> {
        let leading = self.node.leader_and_epoch().leader_id == Some(self.node_id);
        let replicas = self.node.lowest_replica_fetch_offset();
        let lowest = match (leading, replicas) {
            (true, None) => return Ok(()),
            (true, Some(replicas)) => replicas.min(run.commit_next_offset),
            (false, _) => run.commit_next_offset,
        };
        if lowest < run.cache_released_below + CACHE_RELEASE_STEP_OFFSETS {
            return Ok(());
        }
        run.cache_released_below = lowest;
        self.log(LogCommand::ReleaseCacheBelow { offset: lowest })
            .await
    }

    async fn net(&self, command: NetCommand) -> Result<(), RuntimeError> {
        match self.to_net.send(command).await {
            Ok(()) => Ok(()),
            Err(_) => Err(self.why_net_stopped().await),
        }
    }

    async fn log(&self, command: LogCommand) -> Result<(), RuntimeError> {
        match self.to_log.send(command).await {
            Ok(()) => Ok(()),
            Err(_) => Err(self.why_log_stopped().await),
        }
    }

    /// Stops the log (final flush) and the network, prints the summary and saves the histogram.
    async fn finish(mut self) -> RaftExit {
        let _ = self.to_log.send(LogCommand::Stop).await;
        // Bounded: the log answers Stop after its final flush.
        for _ in 0..10_000 {
            match self.from_log.recv().await {
                Some(LogEvent::Stopped) | None => break,
                Some(LogEvent::Flushed {
                    flushed_end_offset,
                    generation,
                }) => {
                    self.node.step(
                        self.clock.now_ms(),
                        Input::LogFlushed {
                            flushed_end_offset,
                            generation,
                        },
                    );
                }
                Some(LogEvent::Failed(error)) => {
                    return RaftExit::Fatal(RuntimeError::LogFailed(error))
                }
                // The node is stopping: retention and loads no longer matter to the core.
                Some(LogEvent::LogStartAdvanced { .. } | LogEvent::SnapshotLoad { .. }) => {}
            }
        }
        let _ = self.to_net.send(NetCommand::Stop).await;
        // Every member's replicated state, so that replicas can be compared after a run.
        println!("Workload state: {}", self.state_machine.state());
        let now_ns = self.clock.now_ns();
        if let Some(summary) = self.workload.summary(now_ns) {
            println!("Summary: {summary}");
            match std::fs::File::create(&self.histogram_path).and_then(|mut f| {
                kraft_perf::write_percentile_distribution(
                    self.workload.stats().total_histogram(),
                    &mut f,
                )
            }) {
                Ok(()) => println!(
                    "Commit latency histogram written to {}",
                    self.histogram_path.display()
                ),
                Err(error) => tracing::warn!(%error, "cannot write the latency histogram"),
            }
        }
        RaftExit::Graceful
    }
}

/// What a snapshot whose last offset is `offset` holds after its header: the kraft.version in
/// force there and, from kraft.version 1 on, the voter set (Kafka's `RecordsSnapshotWriter`).
fn snapshot_kraft(node: &RaftNode, offset: i64) -> SnapshotKRaftControl {
    let (kraft_version, voters) = node.kraft_control_at(offset);
    SnapshotKRaftControl {
        kraft_version,
        voters: voters
            .filter(|_| kraft_version >= 1)
            .map(|set| set.to_record()),
    }
}
