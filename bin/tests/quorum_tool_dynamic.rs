//! Issue 16, point 5 on real processes: on a dynamic quorum formatted with `kraft-storage
//! format --standalone`, an observer formatted `--no-initial-controllers` is added as a voter
//! by `kraft-quorum add-controller` and removed again by `remove-controller`; then the same with
//! Kafka's own `kafka-metadata-quorum`. After each change `describe --status` shows the voter
//! set with directory ids and endpoints; adding a voter twice is DUPLICATE_VOTER, removing one
//! that is not a voter VOTER_NOT_FOUND, both at once.
//!
//! Kafka's tool needs Java: that part says so loudly and is skipped without it, and fails
//! instead under `KRAFT_INTEROP_REQUIRED=1`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use kraft_interop::kafka::{run_bounded, versions_under_test};
use kraft_interop::{Kafka, ToolOutput};
use support::{free_ports, poll, Server};

const WAIT: Duration = Duration::from_secs(30);
const LOAD: [&str; 4] = ["--throughput", "2000", "--record-size", "100"];

/// A controller of a dynamic quorum (no static voters) on 127.0.0.1:`port`.
fn write_config(root: &Path, node_id: i32, port: u16, bootstrap_port: u16) -> (PathBuf, PathBuf) {
    let log_dir = root.join(format!("node-{node_id}"));
    let text = format!(
        "node.id={node_id}\nprocess.roles=controller\nlisteners=CONTROLLER://127.0.0.1:{port}\n\
         controller.listener.names=CONTROLLER\n\
         controller.quorum.bootstrap.servers=127.0.0.1:{bootstrap_port}\nlog.dirs={}\n",
        log_dir.display()
    );
    let path = root.join(format!("node-{node_id}.properties"));
    std::fs::write(&path, text).unwrap();
    (path, log_dir)
}

fn run(binary: &str, args: &[&str]) -> ToolOutput {
    let mut command = Command::new(binary);
    command.args(args).env_remove("RUST_LOG");
    let out = run_bounded(command, Duration::from_secs(90));
    assert!(!out.timed_out, "{binary} {args:?} did not finish");
    out
}

fn text(out: &ToolOutput) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.code, out.stdout, out.stderr
    )
}

fn storage(args: &[&str]) -> String {
    let out = run(env!("CARGO_BIN_EXE_kraft-storage"), args);
    assert!(out.success, "kraft-storage {args:?}: {}", text(&out));
    out.stdout
}

fn quorum(args: &[&str]) -> ToolOutput {
    run(env!("CARGO_BIN_EXE_kraft-quorum"), args)
}

fn format(config: &Path, cluster_id: &str, mode: &str) {
    let config = config.to_str().unwrap();
    storage(&[
        "format",
        "--config",
        config,
        "--cluster-id",
        cluster_id,
        mode,
    ]);
}

fn directory_id(log_dir: &Path) -> String {
    let text = std::fs::read_to_string(log_dir.join("meta.properties")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("directory.id="))
        .expect("directory.id in meta.properties")
        .to_string()
}

/// The `CurrentVoters:` value once `describe --status` shows `expected` (polled: a committed
/// change reaches the leader's DescribeQuorum answer at once, but the test does not rely on it).
fn voters_become(bootstrap: &str, expected: &str) -> String {
    let mut last = String::new();
    let found = poll(WAIT, || {
        let out = quorum(&["--bootstrap-controller", bootstrap, "describe", "--status"]);
        last = text(&out);
        out.stdout
            .lines()
            .find_map(|l| l.strip_prefix("CurrentVoters:"))
            .map(str::trim)
            .filter(|v| *v == expected)
            .map(|_| out.stdout.clone())
    });
    found.unwrap_or_else(|| panic!("CurrentVoters never became {expected}; last:\n{last}"))
}

fn voter(id: i32, directory_id: &str, port: u16) -> String {
    format!(
        "{{\"id\": {id}, \"directoryId\": \"{directory_id}\", \"endpoints\": \
         [\"CONTROLLER://127.0.0.1:{port}\"]}}"
    )
}

struct Quorum {
    _root: tempfile::TempDir,
    bootstrap: String,
    leader: Server,
    observers: Vec<(Server, PathBuf, String, u16)>,
    leader_voter: String,
}

/// Node 1 formatted `--standalone` and leading; nodes 2.. formatted `--no-initial-controllers`
/// and observing.
fn start_quorum(observers: usize) -> Quorum {
    let root = tempfile::tempdir().unwrap();
    let ports = free_ports(1 + observers);
    let cluster_id = storage(&["random-uuid"]).trim().to_string();
    let (config, log_dir) = write_config(root.path(), 1, ports[0], ports[0]);
    format(&config, &cluster_id, "--standalone");
    let leader = support::start(1, &config, &log_dir, &LOAD);
    let leading = leader.wait_for_line(WAIT, |l| l.contains("kraft.version 1, voters [1]"));
    assert!(
        leading.is_some(),
        "node 1 did not start:\n{}",
        leader.stderr()
    );
    let leader_voter = voter(1, &directory_id(&log_dir), ports[0]);
    let mut started = Vec::new();
    for (i, &port) in ports.iter().enumerate().skip(1) {
        let id = i as i32 + 1;
        let (config, log_dir) = write_config(root.path(), id, port, ports[0]);
        format(&config, &cluster_id, "--no-initial-controllers");
        let observer = support::start(id, &config, &log_dir, &[]);
        let following = observer.wait_for_line(WAIT, |l| l.starts_with("Following leader 1"));
        assert!(
            following.is_some(),
            "node {id} found no leader:\n{}",
            observer.stderr()
        );
        let dir = directory_id(&log_dir);
        started.push((observer, config, dir, port));
    }
    Quorum {
        _root: root,
        bootstrap: format!("127.0.0.1:{}", ports[0]),
        leader,
        observers: started,
        leader_voter,
    }
}

#[test]
fn kraft_quorum_adds_and_removes_a_controller() {
    let mut q = start_quorum(1);
    let (_, config, dir, port) = &q.observers[0];
    let (config, dir, port) = (config.to_str().unwrap().to_string(), dir.clone(), *port);
    let bootstrap = q.bootstrap.clone();

    let add = quorum(&[
        "--bootstrap-controller",
        &bootstrap,
        "--command-config",
        &config,
        "add-controller",
    ]);
    assert_eq!(add.code, Some(0), "{}", text(&add));
    assert_eq!(
        add.stdout,
        format!("Added controller 2 with directory id {dir} and endpoints: CONTROLLER://127.0.0.1:{port}\n")
    );
    let both = format!("[{}, {}]", q.leader_voter, voter(2, &dir, port));
    let status = voters_become(&bootstrap, &both);
    // The level comes from the leader's ApiVersions FinalizedFeatures: the runtime keeps the
    // server's finalized kraft.version equal to the core's.
    assert!(status.contains("\nKRaftVersion:           1"), "{status}");

    // Adding it again: Kafka's DUPLICATE_VOTER, at once (not retriable).
    let again = quorum(&[
        "--bootstrap-controller",
        &bootstrap,
        "--command-config",
        &config,
        "add-controller",
    ]);
    assert_eq!(again.code, Some(1), "{}", text(&again));
    assert!(
        again
            .stderr
            .contains("add-controller failed: DUPLICATE_VOTER: "),
        "{}",
        text(&again)
    );

    let remove = quorum(&[
        "--bootstrap-controller",
        &bootstrap,
        "remove-controller",
        "--controller-id",
        "2",
        "--controller-directory-id",
        &dir,
    ]);
    assert_eq!(remove.code, Some(0), "{}", text(&remove));
    assert_eq!(
        remove.stdout,
        format!("Removed KRaft controller 2 with directory id {dir}\n")
    );
    voters_become(&bootstrap, &format!("[{}]", q.leader_voter));

    // Removing it again: VOTER_NOT_FOUND.
    let again = quorum(&[
        "--bootstrap-controller",
        &bootstrap,
        "remove-controller",
        "-i",
        "2",
        "-d",
        &dir,
    ]);
    assert_eq!(again.code, Some(1), "{}", text(&again));
    assert!(
        again
            .stderr
            .contains("remove-controller failed: VOTER_NOT_FOUND: "),
        "{}",
        text(&again)
    );
    stop(&mut q);
}

#[test]
fn kafkas_tool_adds_and_removes_our_controller() {
    for version in versions_under_test() {
        let Some(kafka) = Kafka::locate("quorum_tool_dynamic::kafka", &version) else {
            return;
        };
        let mut q = start_quorum(1);
        let (_, config, dir, port) = &q.observers[0];
        let (config, dir, port) = (config.to_str().unwrap().to_string(), dir.clone(), *port);
        let bootstrap = q.bootstrap.clone();
        let add =
            kafka.metadata_quorum(&bootstrap, &["--command-config", &config, "add-controller"]);
        assert!(add.success, "Kafka {version}: {}", text(&add));
        assert_eq!(
            add.stdout.trim_end(),
            format!("Added controller 2 with directory id {dir} and endpoints: CONTROLLER://127.0.0.1:{port}")
        );
        voters_become(
            &bootstrap,
            &format!("[{}, {}]", q.leader_voter, voter(2, &dir, port)),
        );
        let remove = kafka.metadata_quorum(
            &bootstrap,
            &[
                "remove-controller",
                "--controller-id",
                "2",
                "--controller-directory-id",
                &dir,
            ],
        );
        assert!(remove.success, "Kafka {version}: {}", text(&remove));
        assert_eq!(
            remove.stdout.trim_end(),
            format!("Removed KRaft controller 2 with directory id {dir}")
        );
        voters_become(&bootstrap, &format!("[{}]", q.leader_voter));
        stop(&mut q);
    }
}

fn stop(q: &mut Quorum) {
    for (observer, ..) in &mut q.observers {
        let status = observer.terminate(Duration::from_secs(15));
        assert!(status.is_some_and(|s| s.success()), "{}", observer.stderr());
    }
    let status = q.leader.terminate(Duration::from_secs(15));
    assert!(status.is_some_and(|s| s.success()), "{}", q.leader.stderr());
}
