//! `--replica-directory-id` on the real binary: the id is the replica's directory id on the wire
//! (DescribeQuorum shows the leader's own and, from their Fetch requests, the followers') and is
//! kept in `<log dir>/meta.properties` as Kafka keeps it; without the flag a random id is made
//! once and kept across restarts; a flag contradicting the stored id stops the server.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{describe, free_ports, member_placement, poll, write_config, Server};

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

/// Runs the server to its exit (bounded); its exit code and stderr.
fn run_to_exit(config: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(support::server_binary())
        .arg("--config")
        .arg(config)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kraft-server");
    let deadline = Instant::now() + STOP_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            let output = child.wait_with_output().expect("output");
            let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
            return (output.status.code(), stderr);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("kraft-server with {args:?} did not exit within {STOP_TIMEOUT:?}");
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
    let port = free_ports(1)[0];
    let servers = [format!("127.0.0.1:{port}")];
    let log_dir = dir.path().join("node-0");
    let config = write_config(dir.path(), 0, &[(0, port)], &log_dir, "");
    let wait = Duration::from_secs(20);

    // No flag: a random id, stored and used in DescribeQuorum.
    let mut server = support::start(0, &config, &log_dir, &[]);
    let generated = poll(wait, || described_directory_id(&servers, 0));
    let generated = generated.unwrap_or_else(|| panic!("no DescribeQuorum\n{}", server.stderr()));
    assert_eq!(
        stored_directory_id(&log_dir, 0).as_deref(),
        Some(&*generated)
    );
    stop(&mut server);

    // Restart without the flag: the same id.
    server.restart(&[]);
    assert_eq!(
        poll(wait, || described_directory_id(&servers, 0)),
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
    assert_eq!(stored_directory_id(&log_dir, 0), Some(generated.clone()));

    // A fresh log directory with the flag: that id is used and stored.
    let given = "Ws0e4Ht9Qk2Jd8xVbN1cPg";
    let log_dir = dir.path().join("node-0-given");
    let config = write_config(dir.path(), 0, &[(0, port)], &log_dir, "");
    let mut server = support::start(0, &config, &log_dir, &["--replica-directory-id", given]);
    assert_eq!(
        poll(wait, || described_directory_id(&servers, 0)).as_deref(),
        Some(given)
    );
    assert_eq!(stored_directory_id(&log_dir, 0).as_deref(), Some(given));
    stop(&mut server);
}

/// Followers send their directory id in Fetch (ReplicaDirectoryId): the leader's DescribeQuorum
/// lists every voter with the id its own `meta.properties` holds.
#[test]
fn every_voter_presents_its_stored_directory_id() {
    let dir = tempfile::tempdir().unwrap();
    let ports = free_ports(3);
    let ids = [(1, ports[0]), (2, ports[1]), (3, ports[2])];
    let all: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let args = ["--throughput", "100", "--record-size", "16"];
    let _servers: Vec<Server> = (1..=3)
        .map(|id| {
            let log_dir = dir.path().join(format!("node-{id}"));
            let config = write_config(dir.path(), id, &ids, &log_dir, &member_placement());
            support::start(id, &config, &log_dir, &args)
        })
        .collect();
    for id in 1..=3 {
        let log_dir = dir.path().join(format!("node-{id}"));
        let described = poll(Duration::from_secs(20), || described_directory_id(&all, id));
        let stored = stored_directory_id(&log_dir, id);
        assert!(stored.is_some(), "node {id} stored no directory id");
        assert_eq!(described, stored, "node {id}");
    }
    // `_servers` is dropped here: each process is killed by PID.
}
