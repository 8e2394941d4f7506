//! The thread-per-core runtime: three roles (Raft loop, network I/O, segment log), each on a
//! glommio executor pinned to the CPU the config names. Roles configured on one CPU share an
//! executor and talk through local channels; others through shared channels (see `link`).
//!
//! ```text
//!            NetEvent (requests, responses)              LogCommand (append, flush, truncate)
//!  network ───────────────────────────────▶ raft loop ─────────────────────────────────────▶ log
//!          ◀─────────────────────────────── (core,    ◀───────────────────────────────────── (only
//!            NetCommand (send, respond)      workload)   LogEvent (flushed end offset)        writer)
//!  network ── reads Fetch slices from the log's mmap through a LogReader (no copy, no message) ──
//! ```

pub mod bootstrap;
mod clock;
mod error;
mod kraft_control;
mod link;
mod log_role;
mod log_snapshots;
mod messages;
pub mod meta_properties;
mod net_peers;
mod net_role;
mod persist;
mod raft_events;
mod raft_role;
mod signals;
mod snapshots;
mod startup_snapshots;
mod status;
#[cfg(test)]
mod tests;

use clock::Clock;
use error::RuntimeError;
use kraft_config::cli::ServerArgs;
use kraft_config::placement::{CpuSet, Role};
use kraft_config::ServerConfig;
use kraft_engine::message::LeaderEndpoint;
use kraft_engine::{RaftConfig, RaftNode, RestoredState, Voter};
use kraft_perf::{Workload, WorkloadConfig};
use kraft_records::Uuid;
use kraft_segment_log::{LogConfig, SegmentLog};
use link::LinkHalf;
use messages::{LogCommand, LogEvent, NetCommand, NetEvent};
use persist::QuorumStateStore;
use raft_role::{RaftExit, RaftRole};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// Capacity of each link between roles. Bounded, so a slow role pushes back on a fast one.
const LINK_CAPACITY: usize = 4096;

/// Runs the server until a signal stops it (exit 0) or a fatal error (exit 1).
pub fn run(config: ServerConfig, args: ServerArgs) -> ExitCode {
    match start(config, args) {
        Ok(RaftExit::Graceful) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Ok(RaftExit::Fatal(error)) | Err(error) => {
            tracing::error!("{error}");
            eprintln!("kraft-server: {error}");
            ExitCode::FAILURE
        }
    }
}

/// What one executor runs: the parts of the roles placed on its CPU, and its halves of the links.
struct ExecutorParts {
    cpus: CpuSet,
    roles: Vec<Role>,
    raft: Option<RaftParts>,
    log: Option<(SegmentLog, log_snapshots::LogSnapshots)>,
    net: Option<net_role::NetParts>,
    raft_to_log: LinkHalf<LogCommand>,
    log_to_raft: LinkHalf<LogEvent>,
    raft_to_net: LinkHalf<NetCommand>,
    net_to_raft: LinkHalf<NetEvent>,
}

struct RaftParts {
    node: RaftNode,
    node_id: i32,
    clock: Clock,
    workload: Workload,
    state_machine: snapshots::StateMachine,
    quorum_state: QuorumStateStore,
    log_reader: kraft_segment_log::LogReader,
    shutdown: Arc<AtomicBool>,
    histogram_path: std::path::PathBuf,
}

fn seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    nanos ^ (u64::from(std::process::id()) << 32)
}

fn raft_config(config: &ServerConfig, directory_id: Uuid) -> RaftConfig {
    let voters = config
        .voters()
        .iter()
        .map(|v| Voter {
            id: v.id,
            host: v.host.clone(),
            port: v.port,
        })
        .collect();
    let mut raft = RaftConfig::new(config.node_id, voters);
    raft.listener_name = config.raft_listener_name().to_string();
    raft.local_listeners = vec![local_listener(config)];
    // The replica key's directory id: Fetch ReplicaDirectoryId, Vote CandidateDirectoryId,
    // the own entry of DescribeQuorum, and the self-vote of a candidate.
    raft.directory_id = directory_id;
    let quorum = &config.quorum;
    raft.bootstrap_servers = quorum
        .bootstrap_servers
        .iter()
        .map(|s| (s.host.clone(), s.port))
        .collect();
    raft.auto_join = quorum.auto_join;
    raft.election_timeout_ms = u64::from(quorum.election_timeout_ms);
    raft.fetch_timeout_ms = u64::from(quorum.fetch_timeout_ms);
    raft.election_backoff_max_ms = u64::from(quorum.election_backoff_max_ms);
    raft.append_linger_ms = u64::from(quorum.append_linger_ms);
    raft.request_timeout_ms = u64::from(quorum.request_timeout_ms);
    raft.retry_backoff_ms = u64::from(quorum.retry_backoff_ms);
    raft.fetch_snapshot_max_bytes = quorum.fetch_snapshot_max_bytes;
    // A batch must fit in one segment (the log refuses a larger one and the node stops): with
    // segments below Kafka's 8 MiB batch (`metadata.log.segment.min.bytes` lowered, for tests)
    // the accumulator builds smaller batches.
    raft.max_batch_size_bytes = raft
        .max_batch_size_bytes
        .min(config.metadata_log_segment_bytes as usize);
    raft
}

/// This node's Raft listener as other nodes reach it (what AddRaftVoter and UpdateRaftVoter
/// carry): the advertised listener; an empty host (bind every interface) is advertised as this
/// node's static voter entry's host, else the machine's host name (Kafka: the canonical host
/// name).
fn local_listener(config: &ServerConfig) -> LeaderEndpoint {
    let advertised = config.advertised_raft_listener();
    let host = if !advertised.host.is_empty() {
        advertised.host.clone()
    } else if let Some(me) = config.voters().iter().find(|v| v.id == config.node_id) {
        me.host.clone()
    } else {
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        match name.trim() {
            "" => "localhost".to_string(),
            name => name.to_string(),
        }
    };
    LeaderEndpoint {
        name: config.raft_listener_name().to_string(),
        host,
        port: advertised.port,
    }
}

fn snapshot_triggers(config: &ServerConfig) -> snapshots::SnapshotTriggers {
    snapshots::SnapshotTriggers {
        max_new_bytes: config.metadata_snapshot_max_new_record_bytes as u64,
        max_interval_ms: config.metadata_snapshot_max_interval_ms as u64,
    }
}

/// Kafka keeps the cluster id and the directory id in `meta.properties` of the metadata log
/// directory (the parent of the partition directory) and checks them, with the node id, at every
/// start; `kraft-storage format` writes it (see `bootstrap`). Returns (directory id, cluster id).
fn replica_identity(
    config: &ServerConfig,
    args: &ServerArgs,
) -> Result<(Uuid, String), RuntimeError> {
    let cluster_id =
        bootstrap::cluster_id(config, &args.config).map_err(RuntimeError::LogDirectory)?;
    let directory_id = meta_properties::ensure_directory_id(
        &config.metadata_log_dir,
        config.node_id,
        &cluster_id,
        args.replica_directory_id,
    )
    .map_err(RuntimeError::LogDirectory)?;
    tracing::info!(%directory_id, "replica directory id");
    tracing::info!(%cluster_id, "cluster id");
    Ok((directory_id, cluster_id))
}

fn start(config: ServerConfig, args: ServerArgs) -> Result<RaftExit, RuntimeError> {
    let shutdown = Arc::new(AtomicBool::new(false));
    signals::install(shutdown.clone()).map_err(RuntimeError::SignalHandling)?;

    let (directory_id, cluster_id) = replica_identity(&config, &args)?;
    let mut raft = raft_config(&config, directory_id);
    raft.cluster_id = cluster_id;
    let partition_dir = config.partition_dir();
    let log_config = LogConfig {
        segment_bytes: u64::from(config.metadata_log_segment_bytes),
        index_interval_bytes: config.index_interval_bytes as usize,
        topic_id: raft.topic_id,
        ..LogConfig::default()
    };
    // Before the log: a snapshot that fails its checks is deleted, so recovery never follows it.
    let state = startup_snapshots::load_state(&partition_dir).map_err(RuntimeError::Snapshots)?;
    let (log, recovery) =
        SegmentLog::open(&partition_dir, log_config).map_err(|source| RuntimeError::OpenLog {
            dir: partition_dir.clone(),
            source,
        })?;
    tracing::info!(?recovery, "log opened in {}", partition_dir.display());
    startup_snapshots::report_deleted_parts(&recovery.removed_files);
    let retained = startup_snapshots::retained(&partition_dir, &recovery.snapshots)
        .map_err(RuntimeError::Snapshots)?;
    let latest_snapshot = startup_snapshots::latest_info(&retained);
    let kraft_control = kraft_control::restored_entries(
        &partition_dir,
        latest_snapshot.map(|s| log_snapshots::to_log_id(s.snapshot_id)),
        recovery.kraft_control,
    )
    .map_err(RuntimeError::ReadKRaftControl)?;

    let voter_ids: Vec<i32> = config.voters().iter().map(|v| v.id).collect();
    let quorum_state = QuorumStateStore::new(&partition_dir, voter_ids);
    let election = quorum_state.load().map_err(RuntimeError::ReadQuorumState)?;
    let restored = RestoredState {
        election,
        log_start_offset: log.log_start_offset(),
        log_end_offset: log.log_end_offset(),
        flushed_end_offset: log.flushed_end_offset(),
        epoch_entries: log.epoch_cache().entries().to_vec(),
        latest_snapshot,
        kraft_control,
    };
    tracing::info!(
        epoch = restored.election.epoch,
        log_end_offset = restored.log_end_offset,
        kraft_control_entries = restored.kraft_control.len(),
        "restored state"
    );
    let clock = Clock::new();
    let node = RaftNode::new(raft, restored, clock.now_ms(), seed())
        .map_err(RuntimeError::StartRaftNode)?;
    let workload = Workload::new(
        WorkloadConfig::new(
            config.node_id,
            args.throughput_records_per_sec,
            args.record_size_bytes,
        ),
        seed() ^ 0x5eed,
    );
    let state_machine = snapshots::StateMachine::new(
        partition_dir.clone(),
        snapshot_triggers(&config),
        state,
        clock.now_ms(),
    );
    let log_snapshots = log_snapshots::LogSnapshots::new(
        partition_dir.clone(),
        retained,
        kraft_driver::RetentionLimits {
            max_bytes: config.metadata_max_retention_bytes,
            max_ms: config.metadata_max_retention_ms,
        },
    );
    let log_reader = log.reader();
    let net = net_role::NetParts::new(&config, log_reader.clone(), partition_dir.clone());

    let plans = config.placement.executors();
    let executor_of = |role: Role| {
        plans
            .iter()
            .position(|p| p.roles.contains(&role))
            .expect("every role is placed")
    };
    let (raft_ix, log_ix, net_ix) = (
        executor_of(Role::Raft),
        executor_of(Role::Log),
        executor_of(Role::Network),
    );
    let n = plans.len();
    let mut raft_to_log = link::plan::<LogCommand>(raft_ix, log_ix, n, LINK_CAPACITY);
    let mut log_to_raft = link::plan::<LogEvent>(log_ix, raft_ix, n, LINK_CAPACITY);
    let mut raft_to_net = link::plan::<NetCommand>(raft_ix, net_ix, n, LINK_CAPACITY);
    let mut net_to_raft = link::plan::<NetEvent>(net_ix, raft_ix, n, LINK_CAPACITY);

    let mut raft_parts = Some(RaftParts {
        node,
        node_id: config.node_id,
        clock,
        workload,
        state_machine,
        quorum_state,
        log_reader,
        shutdown,
        histogram_path: partition_dir.join("commit-latency.hgrm"),
    });
    let mut log = Some((log, log_snapshots));
    let mut net = Some(net);
    let mut handles = Vec::with_capacity(n);
    // Drain back to front so each executor takes its own halves by index.
    let mut parts: Vec<ExecutorParts> = Vec::with_capacity(n);
    for (ix, plan) in plans.iter().enumerate().rev() {
        parts.push(ExecutorParts {
            cpus: plan.cpus.clone(),
            roles: plan.roles.clone(),
            raft: if ix == raft_ix {
                raft_parts.take()
            } else {
                None
            },
            log: if ix == log_ix { log.take() } else { None },
            net: if ix == net_ix { net.take() } else { None },
            raft_to_log: raft_to_log.pop().expect("one half per executor"),
            log_to_raft: log_to_raft.pop().expect("one half per executor"),
            raft_to_net: raft_to_net.pop().expect("one half per executor"),
            net_to_raft: net_to_raft.pop().expect("one half per executor"),
        });
    }
    parts.reverse();
    let spin = config.placement.spin;
    for part in parts {
        let name = format!(
            "kraft-{}",
            part.roles
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join("+")
        );
        let placement = match part.cpus.single() {
            Some(cpu) => glommio::Placement::Fixed(cpu),
            // Several CPUs: the kernel schedules the executor on any of them. Measured with three
            // members on two CPUs: a member pinned to the CPU it shares with another starves
            // when both are busy, while the kernel balances a set (maximum 1.17-1.63 million
            // records/s pinned, with the leader on a shared CPU; 1.59-1.77 million on {0,1}).
            None => {
                let ids = part.cpus.ids().to_vec();
                let online = glommio::CpuSet::online().map_err(RuntimeError::ListCpus)?;
                glommio::Placement::Fenced(online.filter(|l| ids.contains(&l.cpu)))
            }
        };
        let mut builder = glommio::LocalExecutorBuilder::new(placement).name(&name);
        if spin {
            builder = builder.spin_before_park(Duration::from_millis(10));
        }
        let cpus = part.cpus.to_string();
        let handle = builder
            .spawn(move || run_executor(part))
            .map_err(|source| RuntimeError::StartExecutor { name, cpus, source })?;
        handles.push(handle);
    }
    let mut exit = RaftExit::Fatal(RuntimeError::NoRaftResult);
    for handle in handles {
        match handle.join() {
            Ok(Some(result)) => exit = result,
            Ok(None) => {}
            Err(e) => return Err(RuntimeError::ExecutorFailed(e)),
        }
    }
    Ok(exit)
}

/// Body of one executor: opens its link halves (in one global order, so two executors never
/// wait on each other's second link), then runs its roles to completion.
async fn run_executor(parts: ExecutorParts) -> Option<RaftExit> {
    let (raft_to_log_tx, raft_to_log_rx) = parts.raft_to_log.open().await;
    let (log_to_raft_tx, log_to_raft_rx) = parts.log_to_raft.open().await;
    let (raft_to_net_tx, raft_to_net_rx) = parts.raft_to_net.open().await;
    let (net_to_raft_tx, net_to_raft_rx) = parts.net_to_raft.open().await;

    let log_task = parts.log.map(|(log, snapshots)| {
        glommio::spawn_local(log_role::run(
            log,
            snapshots,
            raft_to_log_rx.expect("log executor holds the command receiver"),
            log_to_raft_tx.expect("log executor holds the event sender"),
        ))
    });
    let net_task = parts.net.map(|net| {
        glommio::spawn_local(net.run(
            raft_to_net_rx.expect("network executor holds the command receiver"),
            net_to_raft_tx.expect("network executor holds the event sender"),
        ))
    });
    let raft_result = match parts.raft {
        Some(raft) => {
            let role = RaftRole {
                node: raft.node,
                node_id: raft.node_id,
                clock: raft.clock,
                workload: raft.workload,
                state_machine: raft.state_machine,
                quorum_state: persist::ElectionWrites::new(raft.quorum_state),
                outputs: kraft_driver::OutputGate::new(),
                log_reader: raft.log_reader,
                to_log: raft_to_log_tx.expect("raft executor holds the log command sender"),
                from_log: log_to_raft_rx.expect("raft executor holds the log event receiver"),
                to_net: raft_to_net_tx.expect("raft executor holds the net command sender"),
                from_net: net_to_raft_rx.expect("raft executor holds the net event receiver"),
                shutdown: raft.shutdown,
                histogram_path: raft.histogram_path,
            };
            Some(role.run().await)
        }
        None => None,
    };
    if let Some(task) = log_task {
        task.await;
    }
    if let Some(task) = net_task {
        task.await;
    }
    raft_result
}
