//! Config key names (Kafka's, plus our `kraft.*` placement keys).

pub const NODE_ID: &str = "node.id";
pub const PROCESS_ROLES: &str = "process.roles";
pub const LISTENERS: &str = "listeners";
pub const CONTROLLER_LISTENER_NAMES: &str = "controller.listener.names";
pub const LISTENER_SECURITY_PROTOCOL_MAP: &str = "listener.security.protocol.map";
pub const QUORUM_VOTERS: &str = "controller.quorum.voters";
pub const QUORUM_BOOTSTRAP_SERVERS: &str = "controller.quorum.bootstrap.servers";
pub const QUORUM_ELECTION_TIMEOUT_MS: &str = "controller.quorum.election.timeout.ms";
pub const QUORUM_FETCH_TIMEOUT_MS: &str = "controller.quorum.fetch.timeout.ms";
pub const QUORUM_ELECTION_BACKOFF_MAX_MS: &str = "controller.quorum.election.backoff.max.ms";
pub const QUORUM_APPEND_LINGER_MS: &str = "controller.quorum.append.linger.ms";
pub const QUORUM_REQUEST_TIMEOUT_MS: &str = "controller.quorum.request.timeout.ms";
pub const QUORUM_RETRY_BACKOFF_MS: &str = "controller.quorum.retry.backoff.ms";
pub const QUORUM_FETCH_SNAPSHOT_MAX_BYTES: &str = "controller.quorum.fetch.snapshot.max.bytes";
pub const QUORUM_AUTO_JOIN_ENABLE: &str = "controller.quorum.auto.join.enable";
pub const ADVERTISED_LISTENERS: &str = "advertised.listeners";
pub const LOG_DIRS: &str = "log.dirs";
pub const LOG_DIR: &str = "log.dir";
pub const METADATA_LOG_DIR: &str = "metadata.log.dir";
pub const METADATA_LOG_SEGMENT_BYTES: &str = "metadata.log.segment.bytes";
pub const METADATA_LOG_SEGMENT_MIN_BYTES: &str = "metadata.log.segment.min.bytes";
pub const METADATA_LOG_SEGMENT_MS: &str = "metadata.log.segment.ms";
pub const METADATA_MAX_RETENTION_BYTES: &str = "metadata.max.retention.bytes";
pub const METADATA_MAX_RETENTION_MS: &str = "metadata.max.retention.ms";
pub const METADATA_SNAPSHOT_MAX_NEW_RECORD_BYTES: &str =
    "metadata.log.max.record.bytes.between.snapshots";
pub const METADATA_SNAPSHOT_MAX_INTERVAL_MS: &str = "metadata.log.max.snapshot.interval.ms";
pub const SOCKET_REQUEST_MAX_BYTES: &str = "socket.request.max.bytes";
pub const INDEX_INTERVAL_BYTES: &str = "index.interval.bytes";
pub const MAX_CONNECTIONS: &str = "max.connections";
pub const MAX_CONNECTIONS_PER_IP: &str = "max.connections.per.ip";
pub const CONNECTIONS_MAX_IDLE_MS: &str = "connections.max.idle.ms";
pub const CPU_RAFT: &str = "kraft.cpu.raft";
pub const CPU_NETWORK: &str = "kraft.cpu.network";
pub const CPU_LOG: &str = "kraft.cpu.log";
pub const EXECUTOR_SPIN: &str = "kraft.executor.spin";

/// Every key this server reads; any other key gets a warning.
pub const KNOWN: &[&str] = &[
    NODE_ID,
    PROCESS_ROLES,
    LISTENERS,
    CONTROLLER_LISTENER_NAMES,
    LISTENER_SECURITY_PROTOCOL_MAP,
    QUORUM_VOTERS,
    QUORUM_BOOTSTRAP_SERVERS,
    QUORUM_ELECTION_TIMEOUT_MS,
    QUORUM_FETCH_TIMEOUT_MS,
    QUORUM_ELECTION_BACKOFF_MAX_MS,
    QUORUM_APPEND_LINGER_MS,
    QUORUM_REQUEST_TIMEOUT_MS,
    QUORUM_RETRY_BACKOFF_MS,
    QUORUM_FETCH_SNAPSHOT_MAX_BYTES,
    QUORUM_AUTO_JOIN_ENABLE,
    ADVERTISED_LISTENERS,
    LOG_DIRS,
    LOG_DIR,
    METADATA_LOG_DIR,
    METADATA_LOG_SEGMENT_BYTES,
    METADATA_LOG_SEGMENT_MIN_BYTES,
    METADATA_LOG_SEGMENT_MS,
    METADATA_MAX_RETENTION_BYTES,
    METADATA_MAX_RETENTION_MS,
    METADATA_SNAPSHOT_MAX_NEW_RECORD_BYTES,
    METADATA_SNAPSHOT_MAX_INTERVAL_MS,
    SOCKET_REQUEST_MAX_BYTES,
    INDEX_INTERVAL_BYTES,
    MAX_CONNECTIONS,
    MAX_CONNECTIONS_PER_IP,
    CONNECTIONS_MAX_IDLE_MS,
    CPU_RAFT,
    CPU_NETWORK,
    CPU_LOG,
    EXECUTOR_SPIN,
];
