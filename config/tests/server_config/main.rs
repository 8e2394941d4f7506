//! Typed server configuration: defaults, helpers, unknown and repeated keys,
//! and loading; the modules below cover each key family's errors and warnings.

mod numeric;
mod placement;
mod quorum;

use std::path::PathBuf;

use kraft_config::{
    ConfigError, ConfigErrorKind, CpuSet, ExecutorPlan, HostCpus, Placement, ProcessRole, Role,
    ServerConfig, Voter,
};

const BASE: &str = "\
node.id=1
listeners=PLAINTEXT://localhost:9092
controller.listener.names=PLAINTEXT
controller.quorum.voters=1@localhost:9092,2@localhost:9093,3@localhost:9094
";

fn cpus(count: usize) -> HostCpus {
    HostCpus::with_count(count)
}

fn parse(text: &str) -> Result<ServerConfig, ConfigError> {
    ServerConfig::parse_str(text, "server.properties", &cpus(4))
}

fn ok(text: &str) -> ServerConfig {
    parse(text).unwrap_or_else(|error| panic!("config should be valid: {error}"))
}

/// Parses `text` expecting an error; returns it with its message.
fn err(text: &str) -> (ConfigError, String) {
    let error = parse(text).expect_err("config should be rejected");
    let message = error.to_string();
    (error, message)
}

fn with(extra: &str) -> String {
    format!("{BASE}{extra}\n")
}

#[test]
fn defaults_match_kafka() {
    let config = ok(BASE);
    assert_eq!(config.node_id, 1);
    assert_eq!(config.process_roles, [ProcessRole::Controller]);
    assert_eq!(config.quorum.election_timeout_ms, 1000);
    assert_eq!(config.quorum.fetch_timeout_ms, 2000);
    assert_eq!(config.quorum.election_backoff_max_ms, 1000);
    assert_eq!(config.quorum.append_linger_ms, 25);
    assert_eq!(config.quorum.request_timeout_ms, 2000);
    assert_eq!(config.quorum.retry_backoff_ms, 20);
    assert_eq!(config.log_dirs, [PathBuf::from("/tmp/kafka-logs")]);
    assert_eq!(config.metadata_log_dir, PathBuf::from("/tmp/kafka-logs"));
    assert_eq!(config.metadata_log_segment_bytes, 1 << 30);
    assert_eq!(config.metadata_log_segment_min_bytes, 8 << 20);
    assert_eq!(config.metadata_log_segment_ms, 604_800_000);
    assert_eq!(config.metadata_max_retention_bytes, 100 << 20);
    assert_eq!(config.metadata_max_retention_ms, 604_800_000);
    assert_eq!(config.metadata_snapshot_max_new_record_bytes, 20 << 20);
    assert_eq!(config.metadata_snapshot_max_interval_ms, 3_600_000);
    assert_eq!(config.quorum.fetch_snapshot_max_bytes, 1 << 20);
    assert_eq!(config.socket_request_max_bytes, 104_857_600);
    assert_eq!(config.index_interval_bytes, 4096);
    assert!(!config.placement.spin);
    assert!(config.quorum.bootstrap_servers.is_empty());
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn every_setting_can_be_overridden() {
    let config = ok(&with(
        "process.roles=controller
controller.quorum.election.timeout.ms=1500
controller.quorum.fetch.timeout.ms=3000
controller.quorum.election.backoff.max.ms=500
controller.quorum.append.linger.ms=0
controller.quorum.request.timeout.ms=4000
controller.quorum.retry.backoff.ms=50
log.dirs=/data/a, /data/b
metadata.log.dir=/data/meta
metadata.log.segment.min.bytes=1024
metadata.log.segment.bytes=65536
metadata.log.segment.ms=1000
metadata.max.retention.bytes=-1
metadata.max.retention.ms=-1
metadata.log.max.record.bytes.between.snapshots=2097152
metadata.log.max.snapshot.interval.ms=0
controller.quorum.fetch.snapshot.max.bytes=65536
socket.request.max.bytes=1048576
index.interval.bytes=0
kraft.cpu.raft=3
kraft.cpu.network=2
kraft.cpu.log=3
kraft.executor.spin=TRUE",
    ));
    assert_eq!(config.quorum.election_timeout_ms, 1500);
    assert_eq!(config.quorum.fetch_timeout_ms, 3000);
    assert_eq!(config.quorum.election_backoff_max_ms, 500);
    assert_eq!(config.quorum.append_linger_ms, 0);
    assert_eq!(config.quorum.request_timeout_ms, 4000);
    assert_eq!(config.quorum.retry_backoff_ms, 50);
    assert_eq!(
        config.log_dirs,
        [PathBuf::from("/data/a"), PathBuf::from("/data/b")]
    );
    assert_eq!(config.metadata_log_dir, PathBuf::from("/data/meta"));
    assert_eq!(config.metadata_log_segment_min_bytes, 1024);
    assert_eq!(config.metadata_log_segment_bytes, 65536);
    assert_eq!(config.metadata_log_segment_ms, 1000);
    assert_eq!(config.metadata_max_retention_bytes, -1);
    assert_eq!(config.metadata_max_retention_ms, -1);
    assert_eq!(config.metadata_snapshot_max_new_record_bytes, 2 << 20);
    assert_eq!(config.metadata_snapshot_max_interval_ms, 0);
    assert_eq!(config.quorum.fetch_snapshot_max_bytes, 65536);
    assert_eq!(config.socket_request_max_bytes, 1 << 20);
    assert_eq!(config.index_interval_bytes, 0);
    assert_eq!(config.placement.raft_cpus, CpuSet::one(3));
    assert_eq!(config.placement.network_cpus, CpuSet::one(2));
    assert_eq!(config.placement.log_cpus, CpuSet::one(3));
    assert!(config.placement.spin);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn typed_values_are_trimmed() {
    let config = ok("node.id =  5  \nlisteners = PLAINTEXT://h:1 \ncontroller.listener.names= PLAINTEXT \ncontroller.quorum.voters= 5@h:1 , 6@g:2 \n");
    assert_eq!(config.node_id, 5);
    assert_eq!(config.raft_listener(), ("h", 1));
    assert_eq!(config.voters().len(), 2);
}

#[test]
fn helpers_for_the_runtime() {
    let config = ok(&with("log.dirs=/tmp/kraft-logs-1"));
    assert_eq!(config.raft_listener_name(), "PLAINTEXT");
    assert_eq!(config.raft_listener(), ("localhost", 9092));
    assert_eq!(
        config.voters(),
        [
            Voter {
                id: 1,
                host: "localhost".into(),
                port: 9092
            },
            Voter {
                id: 2,
                host: "localhost".into(),
                port: 9093
            },
            Voter {
                id: 3,
                host: "localhost".into(),
                port: 9094
            },
        ]
    );
    assert!(config.is_voter());
    assert_eq!(
        config.partition_dir(),
        PathBuf::from("/tmp/kraft-logs-1/__raft_performance_test-0")
    );
    assert_eq!(
        config.quorum_state_path(),
        PathBuf::from("/tmp/kraft-logs-1/__raft_performance_test-0/quorum-state")
    );
}

#[test]
fn log_dir_is_used_when_log_dirs_is_absent() {
    let config = ok(&with("log.dir=/var/one,/var/two"));
    assert_eq!(
        config.log_dirs,
        [PathBuf::from("/var/one"), PathBuf::from("/var/two")]
    );
    assert_eq!(config.metadata_log_dir, PathBuf::from("/var/one"));
    // log.dirs wins over log.dir.
    let config = ok(&with("log.dir=/var/one\nlog.dirs=/var/three"));
    assert_eq!(config.log_dirs, [PathBuf::from("/var/three")]);
}

#[test]
fn first_controller_listener_is_the_raft_listener() {
    let config = ok("node.id=1
listeners=PLAINTEXT://:9092,CONTROLLER://127.0.0.1:9093,IPV6://[::1]:9094
controller.listener.names=controller,PLAINTEXT
controller.quorum.voters=1@127.0.0.1:9093
");
    assert_eq!(
        config.controller_listener_names,
        ["CONTROLLER", "PLAINTEXT"]
    );
    assert_eq!(config.raft_listener_name(), "CONTROLLER");
    assert_eq!(config.raft_listener(), ("127.0.0.1", 9093));
    assert_eq!(config.listeners[0].host, "");
    assert_eq!(config.listeners[2].host, "::1");
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn unknown_keys_warn_with_line() {
    let config = ok(&with("num.network.threads=3"));
    assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
    assert!(config.warnings[0].contains("server.properties:5"));
    assert!(config.warnings[0].contains("num.network.threads"));
}

#[test]
fn overridden_keys_warn() {
    let config = ok(&with("node.id=3"));
    assert_eq!(config.node_id, 3);
    assert!(
        config
            .warnings
            .iter()
            .any(|w| w.contains("node.id") && w.contains("line 1")),
        "{:?}",
        config.warnings
    );
}

#[test]
fn malformed_escape_surfaces_as_config_error_with_key() {
    let (error, message) = err(&with("log.dirs=/tmp/\\uXYZW"));
    assert_eq!(error.key(), Some("log.dirs"));
    assert!(message.contains("server.properties:5"), "{message}");
}

#[test]
fn missing_file_is_an_error_naming_it() {
    let error =
        ServerConfig::load(std::path::Path::new("/nonexistent/kraft.properties")).unwrap_err();
    assert!(error.to_string().contains("/nonexistent/kraft.properties"));
}
