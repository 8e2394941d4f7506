//! The typed server configuration: Kafka's keys and defaults (the subset a
//! KRaft controller and `TestRaftServer` read) plus our CPU placement keys.
//!
//! This file holds the types, the defaults and the assembly of a
//! [`ServerConfig`]; each key family is parsed in its own module below.

mod listeners;
mod placement;
mod reader;
mod warnings;

use std::path::{Path, PathBuf};

use crate::config_error::{ConfigError, ConfigErrorKind};
use crate::keys;
use crate::placement::{HostCpus, Placement};
use crate::properties::Properties;

use listeners::{
    check_raft_listener_protocol, parse_advertised_listeners, parse_bootstrap_servers,
    parse_controller_listener_names, parse_listeners, parse_roles, parse_voters,
};
use placement::{parse_log_dirs, parse_placement};
use reader::Reader;
use warnings::collect_warnings;

/// Kafka's defaults (see the spec, sections 2.3 and 6).
pub mod defaults {
    pub const PROCESS_ROLES: &str = "controller";
    pub const LISTENERS: &str = "PLAINTEXT://:9092";
    pub const LISTENER_SECURITY_PROTOCOL_MAP: &str =
        "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL";
    pub const QUORUM_ELECTION_TIMEOUT_MS: u32 = 1000;
    pub const QUORUM_FETCH_TIMEOUT_MS: u32 = 2000;
    pub const QUORUM_ELECTION_BACKOFF_MAX_MS: u32 = 1000;
    pub const QUORUM_APPEND_LINGER_MS: u32 = 25;
    pub const QUORUM_REQUEST_TIMEOUT_MS: u32 = 2000;
    pub const QUORUM_RETRY_BACKOFF_MS: u32 = 20;
    /// Kafka 4.x `QuorumConfig.DEFAULT_QUORUM_FETCH_SNAPSHOT_MAX_BYTES`.
    pub const QUORUM_FETCH_SNAPSHOT_MAX_BYTES: u32 = 1024 * 1024;
    /// Kafka 4.x `QuorumConfig.DEFAULT_QUORUM_AUTO_JOIN_ENABLE` (KIP-1186).
    pub const QUORUM_AUTO_JOIN_ENABLE: bool = false;
    pub const LOG_DIR: &str = "/tmp/kafka-logs";
    pub const METADATA_LOG_SEGMENT_BYTES: u32 = 1024 * 1024 * 1024;
    pub const METADATA_LOG_SEGMENT_MIN_BYTES: u32 = 8 * 1024 * 1024;
    pub const METADATA_LOG_SEGMENT_MS: i64 = 7 * 24 * 60 * 60 * 1000;
    pub const METADATA_MAX_RETENTION_BYTES: i64 = 100 * 1024 * 1024;
    pub const METADATA_MAX_RETENTION_MS: i64 = 7 * 24 * 60 * 60 * 1000;
    /// Kafka's `MetadataLogConfig.METADATA_SNAPSHOT_MAX_NEW_RECORD_BYTES` (20 MiB).
    pub const METADATA_SNAPSHOT_MAX_NEW_RECORD_BYTES: i64 = 20 * 1024 * 1024;
    /// Kafka's `METADATA_SNAPSHOT_MAX_INTERVAL_MS_DEFAULT` (one hour).
    pub const METADATA_SNAPSHOT_MAX_INTERVAL_MS: i64 = 60 * 60 * 1000;
    pub const SOCKET_REQUEST_MAX_BYTES: u32 = 104_857_600;
    pub const INDEX_INTERVAL_BYTES: u32 = 4096;
    /// `max.connections` and `max.connections.per.ip`: Kafka's `Int.MaxValue`.
    pub const MAX_CONNECTIONS: u32 = i32::MAX as u32;
    pub const CONNECTIONS_MAX_IDLE_MS: i64 = 600_000;
    pub const EXECUTOR_SPIN: bool = false;
}

/// Kafka's `Records.LOG_OVERHEAD` (offset + length): the floor of segment sizes.
const LOG_OVERHEAD_BYTES: i64 = 12;

/// `TestRaftServer`'s topic partition directory under the metadata log dir.
pub const PARTITION_DIR_NAME: &str = "__raft_performance_test-0";

/// Name of the quorum-state file inside the partition directory.
pub const QUORUM_STATE_FILE_NAME: &str = "quorum-state";

/// A member of the static voter set (`controller.quorum.voters`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voter {
    pub id: i32,
    pub host: String,
    pub port: u16,
}

/// A `host:port` address (`controller.quorum.bootstrap.servers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    pub host: String,
    pub port: u16,
}

/// One `listeners` entry. The name is upper-cased as Kafka normalises it;
/// an empty host means every interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub name: String,
    pub host: String,
    pub port: u16,
}

/// A `process.roles` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessRole {
    Broker,
    Controller,
}

/// The `controller.quorum.*` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumConfig {
    /// Static voters, in file order; empty when only bootstrap servers are set.
    pub voters: Vec<Voter>,
    pub bootstrap_servers: Vec<HostPort>,
    pub election_timeout_ms: u32,
    pub fetch_timeout_ms: u32,
    pub election_backoff_max_ms: u32,
    pub append_linger_ms: u32,
    pub request_timeout_ms: u32,
    pub retry_backoff_ms: u32,
    /// `controller.quorum.fetch.snapshot.max.bytes`: bytes asked for per FetchSnapshot.
    pub fetch_snapshot_max_bytes: u32,
    /// `controller.quorum.auto.join.enable`: an observer of a dynamic quorum adds itself as a
    /// voter (KIP-1186).
    pub auto_join: bool,
}

/// A validated server configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The file the configuration came from.
    pub source: String,
    pub node_id: i32,
    /// As configured. The server always runs the controller role only, as
    /// `TestRaftServer` forces `process.roles=controller`.
    pub process_roles: Vec<ProcessRole>,
    pub listeners: Vec<Listener>,
    /// `advertised.listeners` as configured (empty when unset: the listeners are advertised).
    pub advertised_listeners: Vec<Listener>,
    /// Upper-cased; never empty. The first entry is the Raft listener.
    pub controller_listener_names: Vec<String>,
    pub quorum: QuorumConfig,
    /// `log.dirs`, else `log.dir`; never empty.
    pub log_dirs: Vec<PathBuf>,
    /// `metadata.log.dir`, else the first log dir.
    pub metadata_log_dir: PathBuf,
    pub metadata_log_segment_bytes: u32,
    pub metadata_log_segment_min_bytes: u32,
    pub metadata_log_segment_ms: i64,
    /// Negative (Kafka's -1) means no size limit.
    pub metadata_max_retention_bytes: i64,
    /// Negative (Kafka's -1) means no time limit.
    pub metadata_max_retention_ms: i64,
    /// `metadata.log.max.record.bytes.between.snapshots`: committed log bytes after the latest
    /// snapshot that make the next one due (>= 1).
    pub metadata_snapshot_max_new_record_bytes: i64,
    /// `metadata.log.max.snapshot.interval.ms`: time after the latest snapshot that makes the
    /// next one due when anything new was committed; 0 turns the time trigger off (Kafka's).
    pub metadata_snapshot_max_interval_ms: i64,
    pub socket_request_max_bytes: u32,
    pub index_interval_bytes: u32,
    /// `max.connections`: open connections of the Raft listener, at most.
    pub max_connections: u32,
    /// `max.connections.per.ip`: open connections from one IP address, at most.
    pub max_connections_per_ip: u32,
    /// `connections.max.idle.ms`; `None` (a negative value, as in Kafka) never closes a
    /// connection for idleness.
    pub connections_max_idle_ms: Option<u64>,
    pub placement: Placement,
    /// Things worth logging that do not stop the server: unknown keys,
    /// overridden keys, running as an observer, ignored roles.
    pub warnings: Vec<String>,
}

impl ServerConfig {
    /// Reads, parses and validates the file at `path` against this
    /// process's CPUs.
    pub fn load(path: &Path) -> Result<ServerConfig, ConfigError> {
        ServerConfig::load_with_cpus(path, &HostCpus::detect())
    }

    /// As [`ServerConfig::load`], against the given CPUs.
    pub fn load_with_cpus(path: &Path, cpus: &HostCpus) -> Result<ServerConfig, ConfigError> {
        let properties = Properties::load(path)?;
        ServerConfig::from_properties(&properties, cpus)
    }

    /// Parses and validates config text; `source` names it in messages.
    pub fn parse_str(
        text: &str,
        source: &str,
        cpus: &HostCpus,
    ) -> Result<ServerConfig, ConfigError> {
        let properties = Properties::parse(text, source)?;
        ServerConfig::from_properties(&properties, cpus)
    }

    /// Validates parsed properties.
    pub fn from_properties(
        properties: &Properties,
        cpus: &HostCpus,
    ) -> Result<ServerConfig, ConfigError> {
        let reader = Reader::new(properties);
        build(&reader, cpus)
    }

    /// Name of the Raft listener (first of `controller.listener.names`).
    pub fn raft_listener_name(&self) -> &str {
        &self.controller_listener_names[0]
    }

    /// Host and port of the Raft listener. An empty host means every
    /// interface.
    pub fn raft_listener(&self) -> (&str, u16) {
        let name = self.raft_listener_name();
        let listener = self
            .listeners
            .iter()
            .find(|listener| listener.name == name)
            .expect("validation guarantees the Raft listener is defined");
        (&listener.host, listener.port)
    }

    /// The Raft listener as other nodes reach it (KIP-853's voter endpoint: AddRaftVoter,
    /// UpdateRaftVoter): its `advertised.listeners` entry, else its `listeners` entry. The host
    /// may be empty (every interface, nothing advertised): the runtime fills it in.
    pub fn advertised_raft_listener(&self) -> &Listener {
        let name = self.raft_listener_name();
        self.advertised_listeners
            .iter()
            .chain(&self.listeners)
            .find(|listener| listener.name == name)
            .expect("validation guarantees the Raft listener is defined")
    }

    /// The static voter set (empty with only bootstrap servers).
    pub fn voters(&self) -> &[Voter] {
        &self.quorum.voters
    }

    /// True when `node.id` is among the voters; otherwise the node runs as
    /// an observer.
    pub fn is_voter(&self) -> bool {
        self.quorum
            .voters
            .iter()
            .any(|voter| voter.id == self.node_id)
    }

    /// `<metadata.log.dir>/__raft_performance_test-0`.
    pub fn partition_dir(&self) -> PathBuf {
        self.metadata_log_dir.join(PARTITION_DIR_NAME)
    }

    /// `<partition dir>/quorum-state`.
    pub fn quorum_state_path(&self) -> PathBuf {
        self.partition_dir().join(QUORUM_STATE_FILE_NAME)
    }
}

fn build(reader: &Reader<'_>, cpus: &HostCpus) -> Result<ServerConfig, ConfigError> {
    let node_id = match reader.text(keys::NODE_ID) {
        Some(_) => reader.int(keys::NODE_ID, 0, 0, i64::from(i32::MAX))? as i32,
        None => return Err(reader.error(keys::NODE_ID, ConfigErrorKind::Missing)),
    };

    let process_roles = parse_roles(reader)?;
    let listeners = parse_listeners(reader)?;
    let advertised_listeners = parse_advertised_listeners(reader)?;
    let controller_listener_names = parse_controller_listener_names(reader, &listeners)?;
    check_raft_listener_protocol(reader, &controller_listener_names[0])?;

    let voters = parse_voters(reader)?;
    let bootstrap_servers = parse_bootstrap_servers(reader)?;
    if voters.is_empty() && bootstrap_servers.is_empty() {
        return Err(reader.error(keys::QUORUM_VOTERS, ConfigErrorKind::NoQuorum));
    }
    let quorum = QuorumConfig {
        voters,
        bootstrap_servers,
        election_timeout_ms: reader.int_u32(
            keys::QUORUM_ELECTION_TIMEOUT_MS,
            defaults::QUORUM_ELECTION_TIMEOUT_MS,
            1,
        )?,
        fetch_timeout_ms: reader.int_u32(
            keys::QUORUM_FETCH_TIMEOUT_MS,
            defaults::QUORUM_FETCH_TIMEOUT_MS,
            1,
        )?,
        election_backoff_max_ms: reader.int_u32(
            keys::QUORUM_ELECTION_BACKOFF_MAX_MS,
            defaults::QUORUM_ELECTION_BACKOFF_MAX_MS,
            0,
        )?,
        append_linger_ms: reader.int_u32(
            keys::QUORUM_APPEND_LINGER_MS,
            defaults::QUORUM_APPEND_LINGER_MS,
            0,
        )?,
        request_timeout_ms: reader.int_u32(
            keys::QUORUM_REQUEST_TIMEOUT_MS,
            defaults::QUORUM_REQUEST_TIMEOUT_MS,
            1,
        )?,
        retry_backoff_ms: reader.int_u32(
            keys::QUORUM_RETRY_BACKOFF_MS,
            defaults::QUORUM_RETRY_BACKOFF_MS,
            0,
        )?,
        fetch_snapshot_max_bytes: reader.int_u32(
            keys::QUORUM_FETCH_SNAPSHOT_MAX_BYTES,
            defaults::QUORUM_FETCH_SNAPSHOT_MAX_BYTES,
            1,
        )?,
        auto_join: reader.bool(
            keys::QUORUM_AUTO_JOIN_ENABLE,
            defaults::QUORUM_AUTO_JOIN_ENABLE,
        )?,
    };

    let (log_dirs, metadata_log_dir) = parse_log_dirs(reader);

    let metadata_log_segment_min_bytes = reader.int_u32(
        keys::METADATA_LOG_SEGMENT_MIN_BYTES,
        defaults::METADATA_LOG_SEGMENT_MIN_BYTES,
        LOG_OVERHEAD_BYTES,
    )?;
    // Kafka refuses segments below the (internal, testing-only) minimum.
    let metadata_log_segment_bytes = reader.int_u32(
        keys::METADATA_LOG_SEGMENT_BYTES,
        defaults::METADATA_LOG_SEGMENT_BYTES,
        i64::from(metadata_log_segment_min_bytes),
    )?;
    let metadata_log_segment_ms = reader.int(
        keys::METADATA_LOG_SEGMENT_MS,
        defaults::METADATA_LOG_SEGMENT_MS,
        1,
        i64::MAX,
    )?;
    // Kafka's LONGs without a validator: any negative value turns the limit off.
    let metadata_max_retention_bytes = reader.int(
        keys::METADATA_MAX_RETENTION_BYTES,
        defaults::METADATA_MAX_RETENTION_BYTES,
        i64::MIN,
        i64::MAX,
    )?;
    let metadata_max_retention_ms = reader.int(
        keys::METADATA_MAX_RETENTION_MS,
        defaults::METADATA_MAX_RETENTION_MS,
        i64::MIN,
        i64::MAX,
    )?;
    // Kafka: LONG, atLeast(1) and atLeast(0).
    let metadata_snapshot_max_new_record_bytes = reader.int(
        keys::METADATA_SNAPSHOT_MAX_NEW_RECORD_BYTES,
        defaults::METADATA_SNAPSHOT_MAX_NEW_RECORD_BYTES,
        1,
        i64::MAX,
    )?;
    let metadata_snapshot_max_interval_ms = reader.int(
        keys::METADATA_SNAPSHOT_MAX_INTERVAL_MS,
        defaults::METADATA_SNAPSHOT_MAX_INTERVAL_MS,
        0,
        i64::MAX,
    )?;
    let socket_request_max_bytes = reader.int_u32(
        keys::SOCKET_REQUEST_MAX_BYTES,
        defaults::SOCKET_REQUEST_MAX_BYTES,
        1,
    )?;
    let index_interval_bytes = reader.int_u32(
        keys::INDEX_INTERVAL_BYTES,
        defaults::INDEX_INTERVAL_BYTES,
        0,
    )?;

    // Kafka accepts 0 for both; with no `max.connections.per.ip.overrides` (not read here) a 0
    // would refuse every connection, the quorum's own included, so it is rejected.
    let max_connections = reader.int_u32(keys::MAX_CONNECTIONS, defaults::MAX_CONNECTIONS, 1)?;
    let max_connections_per_ip =
        reader.int_u32(keys::MAX_CONNECTIONS_PER_IP, defaults::MAX_CONNECTIONS, 1)?;
    // Kafka's Selector: a negative value turns idle expiry off.
    let connections_max_idle_ms = reader.int(
        keys::CONNECTIONS_MAX_IDLE_MS,
        defaults::CONNECTIONS_MAX_IDLE_MS,
        i64::MIN,
        i64::MAX,
    )?;
    let connections_max_idle_ms = u64::try_from(connections_max_idle_ms).ok();

    let placement = parse_placement(reader, cpus)?;

    let mut config = ServerConfig {
        source: reader.source().to_string(),
        node_id,
        process_roles,
        listeners,
        advertised_listeners,
        controller_listener_names,
        quorum,
        log_dirs,
        metadata_log_dir,
        metadata_log_segment_bytes,
        metadata_log_segment_min_bytes,
        metadata_log_segment_ms,
        metadata_max_retention_bytes,
        metadata_max_retention_ms,
        metadata_snapshot_max_new_record_bytes,
        metadata_snapshot_max_interval_ms,
        socket_request_max_bytes,
        index_interval_bytes,
        max_connections,
        max_connections_per_ip,
        connections_max_idle_ms,
        placement,
        warnings: Vec::new(),
    };
    config.warnings = collect_warnings(reader, &config);
    Ok(config)
}
