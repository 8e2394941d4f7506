//! Typed server configuration: defaults, helpers, every validation error and
//! every warning.

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
fn missing_node_id_names_key_and_file() {
    let (error, message) = err("listeners=PLAINTEXT://localhost:9092\n");
    assert_eq!(error.key(), Some("node.id"));
    assert_eq!(error.kind(), Some(&ConfigErrorKind::Missing));
    assert!(message.contains("node.id"), "{message}");
    assert!(message.contains("server.properties"), "{message}");
}

#[test]
fn non_numeric_node_id_quotes_the_token_and_line() {
    let (error, message) = err(&BASE.replace("node.id=1", "node.id=one"));
    assert_eq!(
        error.kind(),
        Some(&ConfigErrorKind::NotANumber {
            token: "one".into()
        })
    );
    assert!(message.contains("server.properties:1"), "{message}");
    assert!(message.contains("`one`"), "{message}");
}

#[test]
fn negative_node_id_is_out_of_range() {
    let (error, _) = err(&BASE.replace("node.id=1", "node.id=-1"));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::OutOfRange { value: -1, .. })
    ));
}

#[test]
fn non_numeric_timings_are_rejected_with_key_line_and_token() {
    for key in [
        "controller.quorum.election.timeout.ms",
        "controller.quorum.fetch.timeout.ms",
        "controller.quorum.election.backoff.max.ms",
        "controller.quorum.append.linger.ms",
        "controller.quorum.request.timeout.ms",
        "controller.quorum.retry.backoff.ms",
    ] {
        let (error, message) = err(&with(&format!("{key}=10s")));
        assert_eq!(error.key(), Some(key));
        assert_eq!(
            error.kind(),
            Some(&ConfigErrorKind::NotANumber {
                token: "10s".into()
            })
        );
        assert!(message.contains("server.properties:5"), "{message}");
        assert!(message.contains(key), "{message}");
        assert!(message.contains("`10s`"), "{message}");
    }
}

#[test]
fn timings_out_of_range_are_rejected() {
    let (error, _) = err(&with("controller.quorum.election.timeout.ms=0"));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::OutOfRange {
            value: 0,
            min: 1,
            ..
        })
    ));
    let (error, _) = err(&with("controller.quorum.fetch.timeout.ms=3000000000"));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::OutOfRange { .. })
    ));
    let (error, _) = err(&with("controller.quorum.append.linger.ms=-5"));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::OutOfRange { value: -5, .. })
    ));
}

#[test]
fn snapshot_keys_out_of_range_are_rejected_as_kafka_does() {
    for (line, value) in [
        ("metadata.log.max.record.bytes.between.snapshots=0", 0),
        ("metadata.log.max.snapshot.interval.ms=-1", -1),
        ("controller.quorum.fetch.snapshot.max.bytes=0", 0),
    ] {
        let (error, message) = err(&with(line));
        assert!(
            matches!(error.kind(), Some(ConfigErrorKind::OutOfRange { value: v, .. }) if *v == value),
            "{line}: {message}"
        );
        assert!(
            message.contains(line.split('=').next().unwrap()),
            "{message}"
        );
    }
    let (error, _) = err(&with("metadata.log.max.record.bytes.between.snapshots=1MB"));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::NotANumber { .. })
    ));
    // Kafka's retention LONGs have no validator: every negative value means "no limit".
    let config = ok(&with(
        "metadata.max.retention.bytes=-7\nmetadata.max.retention.ms=-2",
    ));
    assert_eq!(config.metadata_max_retention_bytes, -7);
    assert_eq!(config.metadata_max_retention_ms, -2);
}

#[test]
fn malformed_voter_entries_are_quoted() {
    for (voters, token) in [
        ("1@localhost:9092,2localhost:9093", "2localhost:9093"),
        ("1@localhost", "1@localhost"),
        ("x@localhost:9092", "x@localhost:9092"),
        ("-1@localhost:9092", "-1@localhost:9092"),
        ("1@localhost:port", "1@localhost:port"),
        ("1@localhost:0", "1@localhost:0"),
        ("1@localhost:70000", "1@localhost:70000"),
        ("1@:9092", "1@:9092"),
        ("1@a@b:9092", "1@a@b:9092"),
        ("1@::1:9092", "1@::1:9092"),
        ("1@[::1:9092", "1@[::1:9092"),
        ("1@local/host:9092", "1@local/host:9092"),
    ] {
        let (error, message) =
            err(&BASE.replace("1@localhost:9092,2@localhost:9093,3@localhost:9094", voters));
        match error.kind() {
            Some(ConfigErrorKind::MalformedVoter { token: got, .. }) => {
                assert_eq!(got, token, "for {voters}")
            }
            other => panic!("for {voters}: unexpected {other:?}"),
        }
        assert!(message.contains(&format!("`{token}`")), "{message}");
        assert!(message.contains("server.properties:4"), "{message}");
        assert!(message.contains("controller.quorum.voters"), "{message}");
    }
}

#[test]
fn ipv6_voters_in_brackets_parse() {
    let config = ok(&BASE.replace(
        "1@localhost:9092,2@localhost:9093,3@localhost:9094",
        "1@[::1]:9092",
    ));
    assert_eq!(config.voters()[0].host, "::1");
}

#[test]
fn duplicate_voter_ids_are_rejected() {
    let (error, _) = err(&BASE.replace("3@localhost:9094", "2@localhost:9094"));
    assert_eq!(
        error.kind(),
        Some(&ConfigErrorKind::DuplicateVoter { id: 2 })
    );
}

#[test]
fn malformed_listeners_are_quoted() {
    for listener in [
        "localhost:9092",
        "://localhost:9092",
        "PLAINTEXT://localhost",
        "PLAINTEXT://localhost:x",
    ] {
        let (error, message) = err(&BASE.replace("PLAINTEXT://localhost:9092", listener));
        assert!(
            matches!(error.kind(), Some(ConfigErrorKind::MalformedListener { token, .. }) if token == listener),
            "{listener}: {error:?}"
        );
        assert!(message.contains("server.properties:2"), "{message}");
    }
}

#[test]
fn duplicate_listener_names_are_rejected() {
    let (error, _) = err(&BASE.replace(
        "PLAINTEXT://localhost:9092",
        "PLAINTEXT://localhost:9092,plaintext://localhost:9093",
    ));
    assert_eq!(
        error.kind(),
        Some(&ConfigErrorKind::DuplicateListener {
            name: "PLAINTEXT".into()
        })
    );
}

#[test]
fn controller_listener_missing_from_listeners_is_named() {
    let (error, message) = err(&BASE.replace(
        "controller.listener.names=PLAINTEXT",
        "controller.listener.names=CONTROLLER",
    ));
    assert_eq!(
        error.kind(),
        Some(&ConfigErrorKind::UnknownControllerListener {
            name: "CONTROLLER".into(),
            defined: vec!["PLAINTEXT".into()]
        })
    );
    assert!(message.contains("server.properties:3"), "{message}");
    assert!(message.contains("`CONTROLLER`"), "{message}");
    assert!(message.contains("controller.listener.names"), "{message}");
}

#[test]
fn missing_controller_listener_names_is_an_error() {
    let (error, _) = err(&BASE.replace("controller.listener.names=PLAINTEXT\n", ""));
    assert_eq!(error.key(), Some("controller.listener.names"));
    assert_eq!(error.kind(), Some(&ConfigErrorKind::Missing));
}

#[test]
fn default_listener_is_plaintext_on_9092() {
    let config = ok(&BASE.replace("listeners=PLAINTEXT://localhost:9092\n", ""));
    assert_eq!(config.raft_listener(), ("", 9092));
}

#[test]
fn security_protocol_map() {
    // Not set: a controller listener name that is not a protocol means PLAINTEXT.
    let text = "node.id=1\nlisteners=CONTROLLER://h:1\ncontroller.listener.names=CONTROLLER\ncontroller.quorum.voters=1@h:1\n";
    ok(text);
    ok(&format!(
        "{text}listener.security.protocol.map=CONTROLLER:PLAINTEXT\n"
    ));
    let (error, _) = err(&format!(
        "{text}listener.security.protocol.map=CONTROLLER:SSL\n"
    ));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::UnsupportedSecurityProtocol { protocol, .. }) if protocol == "SSL"
    ));
    let (error, _) = err(&format!(
        "{text}listener.security.protocol.map=OTHER:PLAINTEXT\n"
    ));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::NoSecurityProtocol { .. })
    ));
    let (error, _) = err(&format!(
        "{text}listener.security.protocol.map=CONTROLLER\n"
    ));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::MalformedProtocolMapEntry { .. })
    ));
    // SSL listener without a map: its protocol is SSL, which is not served.
    let (error, _) = err("node.id=1\nlisteners=SSL://h:1\ncontroller.listener.names=SSL\ncontroller.quorum.voters=1@h:1\n");
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::UnsupportedSecurityProtocol { .. })
    ));
}

#[test]
fn unknown_process_role_is_rejected() {
    let (error, message) = err(&with("process.roles=controller,worker"));
    assert_eq!(
        error.kind(),
        Some(&ConfigErrorKind::UnknownRole {
            token: "worker".into()
        })
    );
    assert!(message.contains("`worker`"), "{message}");
}

#[test]
fn broker_role_is_accepted_with_a_warning() {
    let config = ok(&with("process.roles=broker,controller"));
    assert_eq!(
        config.process_roles,
        [ProcessRole::Broker, ProcessRole::Controller]
    );
    assert!(
        config.warnings.iter().any(|w| w.contains("process.roles")),
        "{:?}",
        config.warnings
    );
}

#[test]
fn no_voters_and_no_bootstrap_servers_is_an_error() {
    let (error, message) = err(&BASE.replace(
        "controller.quorum.voters=1@localhost:9092,2@localhost:9093,3@localhost:9094\n",
        "",
    ));
    assert_eq!(error.kind(), Some(&ConfigErrorKind::NoQuorum));
    assert!(
        message.contains("controller.quorum.bootstrap.servers"),
        "{message}"
    );
}

#[test]
fn bootstrap_servers_only_makes_an_observer() {
    let config = ok("node.id=4\nlisteners=PLAINTEXT://localhost:9095\ncontroller.listener.names=PLAINTEXT\ncontroller.quorum.bootstrap.servers=localhost:9092, [::1]:9093\n");
    assert!(!config.is_voter());
    assert_eq!(config.quorum.bootstrap_servers.len(), 2);
    assert_eq!(config.quorum.bootstrap_servers[1].host, "::1");
    assert_eq!(config.quorum.bootstrap_servers[1].port, 9093);
    assert!(config.warnings.iter().any(|w| w.contains("observer")));
}

#[test]
fn malformed_bootstrap_server_is_quoted() {
    let (error, message) = err(&with("controller.quorum.bootstrap.servers=localhost"));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::MalformedHostPort { token, .. }) if token == "localhost"
    ));
    assert!(message.contains("server.properties:5"), "{message}");
}

#[test]
fn both_voters_and_bootstrap_servers_warn() {
    let config = ok(&with("controller.quorum.bootstrap.servers=localhost:9092"));
    assert!(config.is_voter());
    assert!(config
        .warnings
        .iter()
        .any(|w| w.contains("static voter set is used")));
}

#[test]
fn node_not_among_voters_runs_as_observer() {
    let config = ok(&BASE.replace("node.id=1", "node.id=9"));
    assert!(!config.is_voter());
    let warning = config
        .warnings
        .iter()
        .find(|w| w.contains("observer"))
        .expect("observer warning");
    assert!(warning.contains("node.id 9"), "{warning}");
    assert!(warning.contains("1, 2, 3"), "{warning}");
}

#[test]
fn voter_entry_on_another_port_than_the_listener_warns() {
    let config = ok(&BASE.replace("node.id=1", "node.id=2"));
    assert!(config.is_voter());
    assert!(
        config.warnings.iter().any(|w| w.contains("another port")),
        "{:?}",
        config.warnings
    );
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
fn segment_bytes_below_the_minimum_are_rejected() {
    let (error, _) = err(&with("metadata.log.segment.bytes=1048576"));
    assert_eq!(error.key(), Some("metadata.log.segment.bytes"));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::OutOfRange { min: 8388608, .. })
    ));
    // The default is checked against a raised minimum too.
    let (error, _) = err(&with("metadata.log.segment.min.bytes=2000000000"));
    assert_eq!(error.key(), Some("metadata.log.segment.bytes"));
    let (error, _) = err(&with("metadata.log.segment.min.bytes=4"));
    assert_eq!(error.key(), Some("metadata.log.segment.min.bytes"));
}

#[test]
fn cpu_the_machine_lacks_is_rejected() {
    let text = with("kraft.cpu.network=7");
    let error = ServerConfig::parse_str(&text, "server.properties", &cpus(2)).unwrap_err();
    assert_eq!(
        error.kind(),
        Some(&ConfigErrorKind::CpuNotAvailable {
            cpu: 7,
            available: vec![0, 1]
        })
    );
    let message = error.to_string();
    assert!(message.contains("kraft.cpu.network"), "{message}");
    assert!(message.contains("server.properties:5"), "{message}");
    assert!(message.contains("CPU 7"), "{message}");
    // A CPU outside the affinity mask counts as missing even if lower.
    let error = ServerConfig::parse_str(&with("kraft.cpu.raft=1"), "f", &HostCpus::new(vec![2, 3]))
        .unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::CpuNotAvailable { cpu: 1, .. })
    ));
}

#[test]
fn non_numeric_cpu_and_spin_are_rejected() {
    for bad in ["first", "0-", "2-1", "0,,1", "-1", "99999"] {
        let (error, message) = err(&with(&format!("kraft.cpu.log={bad}")));
        assert!(
            matches!(error.kind(), Some(ConfigErrorKind::InvalidCpuSet { token, .. }) if token == bad),
            "{bad}: {message}"
        );
        assert!(message.contains("kraft.cpu.log"), "{message}");
    }
    let (error, _) = err(&with("kraft.executor.spin=yes"));
    assert_eq!(
        error.kind(),
        Some(&ConfigErrorKind::NotABoolean {
            token: "yes".into()
        })
    );
}

#[test]
fn default_placement_shares_cpus_when_there_are_few() {
    let one = ServerConfig::parse_str(BASE, "f", &cpus(1))
        .unwrap()
        .placement;
    assert_eq!(singles(&one), (0, 0, 0));
    assert_eq!(
        one.executors(),
        [ExecutorPlan {
            cpus: CpuSet::one(0),
            roles: vec![Role::Raft, Role::Network, Role::Log]
        }]
    );

    let two = ServerConfig::parse_str(BASE, "f", &cpus(2))
        .unwrap()
        .placement;
    assert_eq!(singles(&two), (0, 1, 0));
    assert!(two.shares_executor(Role::Raft, Role::Log));
    assert_eq!(
        two.executors(),
        [
            ExecutorPlan {
                cpus: CpuSet::one(0),
                roles: vec![Role::Raft, Role::Log]
            },
            ExecutorPlan {
                cpus: CpuSet::one(1),
                roles: vec![Role::Network]
            }
        ]
    );

    let four = ServerConfig::parse_str(BASE, "f", &cpus(4))
        .unwrap()
        .placement;
    assert_eq!(singles(&four), (0, 1, 2));
    assert_eq!(four.executors().len(), 3);

    // Defaults follow the affinity mask, not CPU 0.
    let masked = ServerConfig::parse_str(BASE, "f", &HostCpus::new(vec![5, 3]))
        .unwrap()
        .placement;
    assert_eq!(singles(&masked), (3, 5, 3));
}

/// The single CPU of each role (raft, network, log).
fn singles(p: &Placement) -> (usize, usize, usize) {
    let one = |set: &CpuSet| set.single().expect("one CPU");
    (one(&p.raft_cpus), one(&p.network_cpus), one(&p.log_cpus))
}

#[test]
fn cpu_sets_let_roles_share_a_fenced_executor() {
    let text = with(
        "kraft.cpu.raft=0-1
kraft.cpu.network=1, 0
kraft.cpu.log=0-1",
    );
    let placement = ServerConfig::parse_str(&text, "f", &cpus(2))
        .unwrap()
        .placement;
    assert_eq!(placement.raft_cpus.ids(), &[0, 1]);
    assert_eq!(
        placement.network_cpus, placement.raft_cpus,
        "order does not matter"
    );
    assert_eq!(
        placement.executors(),
        [ExecutorPlan {
            cpus: CpuSet::parse("0,1").unwrap(),
            roles: vec![Role::Raft, Role::Network, Role::Log]
        }]
    );
    assert_eq!(placement.raft_cpus.single(), None);
    // Every CPU of a set must be available.
    let error = ServerConfig::parse_str(&with("kraft.cpu.raft=0-2"), "f", &cpus(2)).unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::CpuNotAvailable { cpu: 2, .. })
    ));
}

#[test]
fn cpu_sets_print_canonically() {
    for (text, shown) in [
        ("3", "3"),
        ("1,0", "0,1"),
        ("0-3,6", "0-3,6"),
        ("5, 4, 6, 6", "4-6"),
        ("0,2-3,7", "0,2,3,7"),
    ] {
        let set = CpuSet::parse(text).unwrap();
        assert_eq!(set.to_string(), shown, "{text}");
        assert_eq!(CpuSet::parse(shown).unwrap(), set, "{text} round trip");
    }
}

#[test]
fn detected_cpus_are_usable() {
    let detected = HostCpus::detect();
    assert!(!detected.ids().is_empty());
    let config = ServerConfig::parse_str(BASE, "f", &detected).unwrap();
    assert!(config
        .placement
        .raft_cpus
        .ids()
        .iter()
        .all(|&cpu| detected.contains(cpu)));
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

#[test]
fn connection_limits_default_to_kafkas_and_can_be_set() {
    let config = ok(BASE);
    assert_eq!(config.max_connections, 2_147_483_647);
    assert_eq!(config.max_connections_per_ip, 2_147_483_647);
    assert_eq!(config.connections_max_idle_ms, Some(600_000));
    let config = ok(&with(
        "max.connections=10\nmax.connections.per.ip=3\nconnections.max.idle.ms=1500",
    ));
    assert_eq!(config.max_connections, 10);
    assert_eq!(config.max_connections_per_ip, 3);
    assert_eq!(config.connections_max_idle_ms, Some(1500));
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    // A negative idle time turns idle expiry off, as in Kafka's Selector.
    let config = ok(&with("connections.max.idle.ms=-1"));
    assert_eq!(config.connections_max_idle_ms, None);
}

#[test]
fn connection_limits_out_of_range_or_not_numbers_are_rejected() {
    for key in ["max.connections", "max.connections.per.ip"] {
        let (error, message) = err(&with(&format!("{key}=0")));
        assert_eq!(error.key(), Some(key));
        assert!(matches!(
            error.kind(),
            Some(ConfigErrorKind::OutOfRange {
                value: 0,
                min: 1,
                max: 2_147_483_647
            })
        ));
        assert!(message.contains("server.properties:5"), "{message}");
        let (error, _) = err(&with(&format!("{key}=2147483648")));
        assert!(matches!(
            error.kind(),
            Some(ConfigErrorKind::OutOfRange { .. })
        ));
        let (error, _) = err(&with(&format!("{key}=many")));
        assert!(matches!(
            error.kind(),
            Some(ConfigErrorKind::NotANumber { .. })
        ));
    }
    let (error, _) = err(&with("connections.max.idle.ms=10m"));
    assert_eq!(error.key(), Some("connections.max.idle.ms"));
    assert!(matches!(
        error.kind(),
        Some(ConfigErrorKind::NotANumber { .. })
    ));
}
