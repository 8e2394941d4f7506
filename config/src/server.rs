//! The typed server configuration: Kafka's keys and defaults (the subset a
//! KRaft controller and `TestRaftServer` read) plus our CPU placement keys.

use std::path::{Path, PathBuf};

use crate::config_error::{ConfigError, ConfigErrorKind, Location};
use crate::keys;
use crate::placement::{CpuSet, HostCpus, Placement, Role};
use crate::properties::Properties;

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

fn parse_roles(reader: &Reader<'_>) -> Result<Vec<ProcessRole>, ConfigError> {
    let mut roles = Vec::new();
    let tokens = match reader.text(keys::PROCESS_ROLES) {
        Some(_) => reader.list(keys::PROCESS_ROLES),
        None => vec![defaults::PROCESS_ROLES.to_string()],
    };
    for token in tokens {
        let role = match token.as_str() {
            "broker" => ProcessRole::Broker,
            "controller" => ProcessRole::Controller,
            _ => {
                return Err(
                    reader.error(keys::PROCESS_ROLES, ConfigErrorKind::UnknownRole { token })
                )
            }
        };
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        roles.push(ProcessRole::Controller);
    }
    Ok(roles)
}

fn parse_listeners(reader: &Reader<'_>) -> Result<Vec<Listener>, ConfigError> {
    let tokens = match reader.text(keys::LISTENERS) {
        Some(_) => reader.list(keys::LISTENERS),
        None => vec![defaults::LISTENERS.to_string()],
    };
    let mut listeners: Vec<Listener> = Vec::with_capacity(tokens.len());
    for token in tokens {
        let malformed = |reason: &str| ConfigErrorKind::MalformedListener {
            token: token.clone(),
            reason: reason.to_string(),
        };
        let Some((name, address)) = token.split_once("://") else {
            return Err(reader.error(keys::LISTENERS, malformed("missing `://`")));
        };
        if name.is_empty() {
            return Err(reader.error(keys::LISTENERS, malformed("empty listener name")));
        }
        let (host, port) = split_host_port(address, 0)
            .map_err(|reason| reader.error(keys::LISTENERS, malformed(&reason)))?;
        let name = name.to_uppercase();
        if listeners.iter().any(|listener| listener.name == name) {
            return Err(reader.error(keys::LISTENERS, ConfigErrorKind::DuplicateListener { name }));
        }
        listeners.push(Listener { name, host, port });
    }
    if listeners.is_empty() {
        return Err(reader.error(keys::LISTENERS, ConfigErrorKind::Missing));
    }
    Ok(listeners)
}

fn parse_controller_listener_names(
    reader: &Reader<'_>,
    listeners: &[Listener],
) -> Result<Vec<String>, ConfigError> {
    let names: Vec<String> = reader
        .list(keys::CONTROLLER_LISTENER_NAMES)
        .into_iter()
        .map(|name| name.to_uppercase())
        .collect();
    if names.is_empty() {
        return Err(reader.error(keys::CONTROLLER_LISTENER_NAMES, ConfigErrorKind::Missing));
    }
    for name in &names {
        if !listeners.iter().any(|listener| &listener.name == name) {
            return Err(reader.error(
                keys::CONTROLLER_LISTENER_NAMES,
                ConfigErrorKind::UnknownControllerListener {
                    name: name.clone(),
                    defined: listeners.iter().map(|l| l.name.clone()).collect(),
                },
            ));
        }
    }
    Ok(names)
}

/// Only PLAINTEXT is served. As Kafka does in KRaft mode, a controller
/// listener name that is not itself a protocol name maps to PLAINTEXT when
/// `listener.security.protocol.map` is not set explicitly.
fn check_raft_listener_protocol(reader: &Reader<'_>, raft: &str) -> Result<(), ConfigError> {
    let key = keys::LISTENER_SECURITY_PROTOCOL_MAP;
    let explicit = reader.text(key).is_some();
    let entries = if explicit {
        reader.list(key)
    } else {
        defaults::LISTENER_SECURITY_PROTOCOL_MAP
            .split(',')
            .map(str::to_string)
            .collect()
    };
    let mut protocol = None;
    for entry in entries {
        let Some((name, value)) = entry.split_once(':') else {
            return Err(reader.error(
                key,
                ConfigErrorKind::MalformedProtocolMapEntry { token: entry },
            ));
        };
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() || value.is_empty() {
            return Err(reader.error(
                key,
                ConfigErrorKind::MalformedProtocolMapEntry { token: entry },
            ));
        }
        if name.to_uppercase() == raft {
            protocol = Some(value.to_uppercase());
        }
    }
    let protocol = match protocol {
        Some(protocol) => protocol,
        None if !explicit => "PLAINTEXT".to_string(),
        None => {
            return Err(reader.error(
                key,
                ConfigErrorKind::NoSecurityProtocol {
                    listener: raft.to_string(),
                },
            ))
        }
    };
    if protocol != "PLAINTEXT" {
        let key = if explicit {
            key
        } else {
            keys::CONTROLLER_LISTENER_NAMES
        };
        return Err(reader.error(
            key,
            ConfigErrorKind::UnsupportedSecurityProtocol {
                listener: raft.to_string(),
                protocol,
            },
        ));
    }
    Ok(())
}

fn parse_voters(reader: &Reader<'_>) -> Result<Vec<Voter>, ConfigError> {
    let mut voters: Vec<Voter> = Vec::new();
    for token in reader.list(keys::QUORUM_VOTERS) {
        let malformed = |reason: String| ConfigErrorKind::MalformedVoter {
            token: token.clone(),
            reason,
        };
        let Some((id, address)) = token.split_once('@') else {
            return Err(reader.error(keys::QUORUM_VOTERS, malformed("missing `@`".into())));
        };
        if address.contains('@') {
            return Err(reader.error(keys::QUORUM_VOTERS, malformed("more than one `@`".into())));
        }
        let id: i32 = match id.parse() {
            Ok(id) if id >= 0 => id,
            _ => {
                return Err(reader.error(
                    keys::QUORUM_VOTERS,
                    malformed(format!("`{id}` is not a non-negative integer id")),
                ))
            }
        };
        let (host, port) = split_host_port(address, 1)
            .map_err(|reason| reader.error(keys::QUORUM_VOTERS, malformed(reason)))?;
        if host.is_empty() {
            return Err(reader.error(keys::QUORUM_VOTERS, malformed("empty host".into())));
        }
        if voters.iter().any(|voter| voter.id == id) {
            return Err(reader.error(keys::QUORUM_VOTERS, ConfigErrorKind::DuplicateVoter { id }));
        }
        voters.push(Voter { id, host, port });
    }
    Ok(voters)
}

fn parse_bootstrap_servers(reader: &Reader<'_>) -> Result<Vec<HostPort>, ConfigError> {
    let key = keys::QUORUM_BOOTSTRAP_SERVERS;
    let mut servers = Vec::new();
    for token in reader.list(key) {
        let malformed = |reason: String| ConfigErrorKind::MalformedHostPort {
            token: token.clone(),
            reason,
        };
        let (host, port) =
            split_host_port(&token, 1).map_err(|reason| reader.error(key, malformed(reason)))?;
        if host.is_empty() {
            return Err(reader.error(key, malformed("empty host".into())));
        }
        servers.push(HostPort { host, port });
    }
    Ok(servers)
}

/// Splits `host:port` or `[v6-host]:port`; the port must be at least
/// `min_port`.
fn split_host_port(address: &str, min_port: u16) -> Result<(String, u16), String> {
    let Some((host, port)) = address.rsplit_once(':') else {
        return Err("missing `:port`".to_string());
    };
    let host = if let Some(inner) = host.strip_prefix('[') {
        match inner.strip_suffix(']') {
            Some(inner) => inner,
            None => return Err("unclosed `[` in host".to_string()),
        }
    } else if host.contains(':') {
        return Err("IPv6 hosts must be written in brackets, e.g. [::1]:9092".to_string());
    } else {
        host
    };
    if let Some(bad) = host
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || "-._:%".contains(c)))
    {
        return Err(format!("invalid character `{bad}` in host"));
    }
    let port: u16 = match port.parse() {
        Ok(port) if port >= min_port => port,
        _ => {
            return Err(format!(
                "port `{port}` is not an integer in [{min_port}, 65535]"
            ))
        }
    };
    Ok((host.to_string(), port))
}

fn parse_log_dirs(reader: &Reader<'_>) -> (Vec<PathBuf>, PathBuf) {
    // Kafka: log.dirs when set, else log.dir; both are comma-separated.
    let mut dirs = reader.list(keys::LOG_DIRS);
    let log_dir = reader.list(keys::LOG_DIR);
    if dirs.is_empty() {
        dirs = log_dir;
    }
    if dirs.is_empty() {
        dirs.push(defaults::LOG_DIR.to_string());
    }
    let log_dirs: Vec<PathBuf> = dirs.into_iter().map(PathBuf::from).collect();
    let metadata_log_dir = match reader.text(keys::METADATA_LOG_DIR) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => log_dirs[0].clone(),
    };
    (log_dirs, metadata_log_dir)
}

fn parse_placement(reader: &Reader<'_>, cpus: &HostCpus) -> Result<Placement, ConfigError> {
    let cpus_of = |role: Role| -> Result<CpuSet, ConfigError> {
        let key = role.cpu_key();
        let set = match reader.text(key) {
            None => CpuSet::one(cpus.default_cpu(role)),
            Some(token) => CpuSet::parse(token).map_err(|reason| {
                reader.error(
                    key,
                    ConfigErrorKind::InvalidCpuSet {
                        token: token.to_string(),
                        reason,
                    },
                )
            })?,
        };
        if let Some(&cpu) = set.ids().iter().find(|&&cpu| !cpus.contains(cpu)) {
            return Err(reader.error(
                key,
                ConfigErrorKind::CpuNotAvailable {
                    cpu,
                    available: cpus.ids().to_vec(),
                },
            ));
        }
        Ok(set)
    };
    let raft_cpus = cpus_of(Role::Raft)?;
    let network_cpus = cpus_of(Role::Network)?;
    let log_cpus = cpus_of(Role::Log)?;
    let spin = reader.bool(keys::EXECUTOR_SPIN, defaults::EXECUTOR_SPIN)?;
    Ok(Placement {
        raft_cpus,
        network_cpus,
        log_cpus,
        spin,
    })
}

fn collect_warnings(reader: &Reader<'_>, config: &ServerConfig) -> Vec<String> {
    let source = reader.source();
    let mut warnings = Vec::new();
    for entry in reader.properties.iter() {
        if !keys::KNOWN.contains(&entry.key.as_str()) {
            warnings.push(format!(
                "{source}:{}: unknown setting `{}` is ignored",
                entry.line, entry.key
            ));
        }
    }
    for duplicate in reader.properties.overrides() {
        warnings.push(format!(
            "{source}:{}: `{}` is set again; the value on this line replaces the one on line {}",
            duplicate.winning_line, duplicate.key, duplicate.first_line
        ));
    }
    if config.process_roles != [ProcessRole::Controller] {
        warnings.push(format!(
            "{source}: `process.roles` is overridden to `controller`, as TestRaftServer does"
        ));
    }
    if !config.quorum.voters.is_empty() && !config.quorum.bootstrap_servers.is_empty() {
        warnings.push(format!(
            "{source}: both `controller.quorum.voters` and `controller.quorum.bootstrap.servers` are set; the static voter set is used"
        ));
    }
    if config.quorum.voters.is_empty() {
        warnings.push(format!(
            "{source}: no static voters (only `controller.quorum.bootstrap.servers`): node {} runs as an observer",
            config.node_id
        ));
    } else if !config.is_voter() {
        let ids: Vec<String> = config
            .quorum
            .voters
            .iter()
            .map(|v| v.id.to_string())
            .collect();
        warnings.push(format!(
            "{source}: node.id {} is not among the voters ({}) of `controller.quorum.voters`: running as an observer",
            config.node_id,
            ids.join(", ")
        ));
    }
    if let Some(me) = config.voters().iter().find(|v| v.id == config.node_id) {
        let (_, port) = config.raft_listener();
        if me.port != port {
            warnings.push(format!(
                "{source}: this node's voter entry {}@{}:{} has another port than its Raft listener `{}` (port {port}); other voters will not reach it there",
                me.id,
                me.host,
                me.port,
                config.raft_listener_name()
            ));
        }
    }
    warnings
}

/// Reads typed values out of properties, naming file, line and key in errors.
struct Reader<'a> {
    properties: &'a Properties,
}

impl<'a> Reader<'a> {
    fn new(properties: &'a Properties) -> Reader<'a> {
        Reader { properties }
    }

    fn source(&self) -> &str {
        self.properties.source()
    }

    fn error(&self, key: &str, kind: ConfigErrorKind) -> ConfigError {
        ConfigError::Invalid {
            location: Location {
                source: self.source().to_string(),
                line: self.properties.entry(key).map(|entry| entry.line),
                key: key.to_string(),
            },
            kind,
        }
    }

    /// The trimmed value of `key` (Kafka trims typed values), if set.
    fn text(&self, key: &'static str) -> Option<&'a str> {
        self.properties.get(key).map(str::trim)
    }

    /// A comma-separated list; white space around entries and empty entries
    /// are dropped.
    fn list(&self, key: &'static str) -> Vec<String> {
        match self.text(key) {
            Some(value) => value
                .split(',')
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .map(str::to_string)
                .collect(),
            None => Vec::new(),
        }
    }

    fn int(&self, key: &'static str, default: i64, min: i64, max: i64) -> Result<i64, ConfigError> {
        // The default is range-checked too: a lower bound can come from
        // another setting (segment bytes >= segment min bytes).
        let value: i64 = match self.text(key) {
            None => default,
            Some(token) => token.parse().map_err(|_| {
                self.error(
                    key,
                    ConfigErrorKind::NotANumber {
                        token: token.to_string(),
                    },
                )
            })?,
        };
        if value < min || value > max {
            return Err(self.error(key, ConfigErrorKind::OutOfRange { value, min, max }));
        }
        Ok(value)
    }

    /// A Kafka INT (at most `i32::MAX`) of at least `min`.
    fn int_u32(&self, key: &'static str, default: u32, min: i64) -> Result<u32, ConfigError> {
        let value = self.int(key, i64::from(default), min, i64::from(i32::MAX))?;
        Ok(u32::try_from(value).expect("range checked above"))
    }

    fn bool(&self, key: &'static str, default: bool) -> Result<bool, ConfigError> {
        let Some(token) = self.text(key) else {
            return Ok(default);
        };
        if token.eq_ignore_ascii_case("true") {
            Ok(true)
        } else if token.eq_ignore_ascii_case("false") {
            Ok(false)
        } else {
            Err(self.error(
                key,
                ConfigErrorKind::NotABoolean {
                    token: token.to_string(),
                },
            ))
        }
    }
}
