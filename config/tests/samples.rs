//! The sample configs shipped in config/ parse into the expected values.

use std::path::{Path, PathBuf};

use kraft_config::{HostCpus, ServerConfig, Voter};

fn load(name: &str) -> ServerConfig {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    ServerConfig::load_with_cpus(&path, &HostCpus::with_count(2))
        .unwrap_or_else(|error| panic!("{name}: {error}"))
}

fn voter(id: i32, port: u16) -> Voter {
    Voter {
        id,
        host: "localhost".into(),
        port,
    }
}

#[test]
fn single_node_sample() {
    let config = load("kraft.properties");
    assert_eq!(config.node_id, 0);
    assert_eq!(config.raft_listener_name(), "PLAINTEXT");
    assert_eq!(config.raft_listener(), ("localhost", 9092));
    assert_eq!(config.voters(), [voter(0, 9092)]);
    assert!(config.is_voter());
    assert_eq!(config.log_dirs, [PathBuf::from("/tmp/kraft-logs")]);
    assert_eq!(
        config.partition_dir(),
        PathBuf::from("/tmp/kraft-logs/__raft_performance_test-0")
    );
    assert_eq!(config.quorum.election_timeout_ms, 1000);
    assert_eq!(config.quorum.fetch_timeout_ms, 2000);
    assert_eq!(
        (
            config.placement.raft_cpus.single(),
            config.placement.network_cpus.single(),
            config.placement.log_cpus.single()
        ),
        (Some(0), Some(1), Some(0))
    );
    assert!(!config.placement.spin);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn three_node_samples() {
    for n in 1..=3 {
        let config = load(&format!("kraft-quorum-{n}.properties"));
        assert_eq!(config.node_id, n);
        let port = 9091 + n as u16;
        assert_eq!(config.raft_listener(), ("localhost", port));
        assert_eq!(
            config.voters(),
            [voter(1, 9092), voter(2, 9093), voter(3, 9094)]
        );
        assert!(config.is_voter());
        assert_eq!(
            config.log_dirs,
            [PathBuf::from(format!("/tmp/kraft-logs-{n}"))]
        );
        // Every member: one executor, free to run on both CPUs of this machine.
        let plans = config.placement.executors();
        assert_eq!(plans.len(), 1, "{plans:?}");
        assert_eq!(plans[0].cpus.ids(), &[0, 1]);
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    }
}
