//! `--replica-directory-id` on the real binary: the id is the replica's directory id on the wire
//! (its Fetch requests carry it, and the leader's DescribeQuorum lists observers with it; static
//! voters, kraft.version 0, are listed without one, as Kafka's leader lists them) and is kept in
//! `<log dir>/meta.properties` as Kafka keeps it; without the flag a random id is made once and
//! kept across restarts; a flag contradicting the stored id stops the server.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use kraft_interop::kafka::run_bounded;
use support::{describe, free_ports, poll, write_config, Server};

const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// `directory.id` of `<log_dir>/meta.properties`, once the file exists with the v1 keys.
fn stored_directory_id(log_dir: &Path, node_id: i32) -> Option<String> {
    let text = std::fs::read_to_string(log_dir.join("meta.properties")).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.contains(&"version=1"), "{text}");
    assert!(
        lines.contains(&format!("node.id={node_id}").as_str()),
        "{text}"
    );
    assert!(
        lines.contains(&"cluster.id=AAAAAAAAAAAAAAAAAAAAAA"),
        "{text}"
    );
    lines
        .iter()
        .find_map(|l| l.strip_prefix("directory.id="))
        .map(str::to_string)
}

/// The DirectoryId column of `describe --replication` for `node_id`, once the quorum answers.
fn described_directory_id(servers: &[String], node_id: i32) -> Option<String> {
    let text = describe(servers, "--replication")?;
    let row = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&node_id.to_string()))?;
    let id = row.split_whitespace().nth(1)?;
    // A follower's id is known once its first Fetch arrived.
    (id != "AAAAAAAAAAAAAAAAAAAAAA").then(|| id.to_string())
}

/// Config of node `node_id` as an observer (not a voter) of the one-voter quorum `0@voter_port`.
fn observer_config(
    dir: &Path,
    node_id: i32,
    port: u16,
    voter_port: u16,
    log_dir: &Path,
) -> PathBuf {
    let text = format!(
        "node.id={node_id}\nlisteners=PLAINTEXT://127.0.0.1:{port}\ncontroller.listener.names=PLAINTEXT\n\
         controller.quorum.voters=0@127.0.0.1:{voter_port}\nlog.dirs={}\n",
        log_dir.display()
    );
    let path = dir.join(format!("observer-{node_id}.properties"));
    std::fs::write(&path, text).expect("write config");
    path
}

/// The one voter every test's observers fetch from; its DescribeQuorum shows their ids.
fn start_voter(dir: &Path) -> (Server, Vec<String>, u16) {
    let port = free_ports(1)[0];
    let log_dir = dir.join("voter-0");
    let config = write_config(dir, 0, &[(0, port)], &log_dir, "");
    let args = ["--throughput", "100", "--record-size", "16"];
    let server = support::start(0, &config, &log_dir, &args);
    (server, vec![format!("127.0.0.1:{port}")], port)
}

/// Runs the server to its exit (bounded, killed by PID at the deadline); its exit code and stderr.
fn run_to_exit(config: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut command = Command::new(support::server_binary());
    command.arg("--config").arg(config).args(args);
    let output = run_bounded(command, STOP_TIMEOUT);
    assert!(
        !output.timed_out,
        "kraft-server with {args:?} did not exit within {STOP_TIMEOUT:?}:\n{}",
        output.stderr
    );
    (output.code, output.stderr)
}

fn stop(server: &mut Server) {
    let status = server.terminate(STOP_TIMEOUT);
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "stderr:\n{}",
        server.stderr()
    );
}

#[test]
fn generated_directory_id_is_kept_across_restarts_and_a_given_one_is_used_and_stored() {
    let dir = tempfile::tempdir().unwrap();
    let (_voter, servers, voter_port) = start_voter(dir.path());
    let port = free_ports(1)[0];
    let log_dir = dir.path().join("node-5");
    let config = observer_config(dir.path(), 5, port, voter_port, &log_dir);
    let wait = Duration::from_secs(20);

    // No flag: a random id, stored and sent in Fetch (the leader's DescribeQuorum shows it).
    let mut server = support::start(5, &config, &log_dir, &[]);
    let generated = poll(wait, || described_directory_id(&servers, 5));
    let generated = generated.unwrap_or_else(|| panic!("no DescribeQuorum\n{}", server.stderr()));
    assert_eq!(
        stored_directory_id(&log_dir, 5).as_deref(),
        Some(&*generated)
    );
    stop(&mut server);

    // Restart without the flag: the same id.
    server.restart(&[]);
    let runs_used = || -> Option<Vec<String>> {
        let used: Vec<String> = server
            .stderr()
            .lines()
            .filter_map(|l| l.split("replica directory id directory_id=").nth(1))
            .map(|id| id.trim().to_string())
            .collect();
        (used.len() == 2).then_some(used)
    };
    let used = poll(wait, runs_used).expect("both runs log the directory id they use");
    assert_eq!(
        used,
        [generated.clone(), generated.clone()],
        "restart kept the id"
    );
    assert_eq!(
        poll(wait, || described_directory_id(&servers, 5)),
        Some(generated.clone())
    );
    stop(&mut server);

    // A flag contradicting the stored id: refused, the file untouched.
    let other = "Aa3xMtRnQvKz9bPcLw7yEg";
    let (code, stderr) = run_to_exit(&config, &["--replica-directory-id", other]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("directory.id") && stderr.contains(other),
        "{stderr}"
    );
    assert_eq!(stored_directory_id(&log_dir, 5), Some(generated.clone()));

    // A fresh log directory with the flag: that id is used and stored.
    let given = "Ws0e4Ht9Qk2Jd8xVbN1cPg";
    // (Another node id: the leader keeps listing the stopped observer 5 for a while.)
    let log_dir = dir.path().join("node-7-given");
    let config = observer_config(dir.path(), 7, port, voter_port, &log_dir);
    let mut server = support::start(7, &config, &log_dir, &["--replica-directory-id", given]);
    assert_eq!(
        poll(wait, || described_directory_id(&servers, 7)).as_deref(),
        Some(given)
    );
    assert_eq!(stored_directory_id(&log_dir, 7).as_deref(), Some(given));
    stop(&mut server);
}

/// Replicas send their stored directory id in Fetch (ReplicaDirectoryId): the leader's
/// DescribeQuorum lists each observer with the id its `meta.properties` holds, and the static
/// voter without one (kraft.version 0 voters have no directory id; Kafka's leader reports none).
#[test]
fn observers_present_their_stored_directory_id_and_static_voters_none() {
    let dir = tempfile::tempdir().unwrap();
    let (voter, servers, voter_port) = start_voter(dir.path());
    let ports = free_ports(2);
    let _observers: Vec<Server> = [5, 6]
        .iter()
        .zip(&ports)
        .map(|(&id, &port)| {
            let log_dir = dir.path().join(format!("node-{id}"));
            let config = observer_config(dir.path(), id, port, voter_port, &log_dir);
            support::start(id, &config, &log_dir, &[])
        })
        .collect();
    for id in [5, 6] {
        let log_dir = dir.path().join(format!("node-{id}"));
        let described = poll(Duration::from_secs(20), || {
            described_directory_id(&servers, id)
        });
        let stored = stored_directory_id(&log_dir, id);
        assert!(stored.is_some(), "node {id} stored no directory id");
        assert_eq!(described, stored, "node {id}");
    }
    let voter_row = describe(&servers, "--replication").expect("describe");
    assert!(
        voter_row.lines().any(|l| l
            .split_whitespace()
            .take(2)
            .eq(["0", "AAAAAAAAAAAAAAAAAAAAAA"])),
        "the static voter is listed without a directory id:\n{voter_row}"
    );
    assert!(stored_directory_id(&voter.log_dir, 0).is_some());
    // The servers are dropped here: each process is killed by PID.
}
