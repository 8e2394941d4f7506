//! Issue 7, single node: from the shape of config/kraft.properties, the node elects itself and
//! commits, prints report lines, exits 0 on SIGTERM, and a restart (also after `kill -9`) keeps
//! every committed record at the same offset, byte for byte.

mod support;

use std::time::Duration;
use support::{free_ports, quorum_status, read_log, read_log_to, write_config};

const REPORT: &str = "Throughput (bytes/second):";

#[test]
fn single_node_commits_reports_and_survives_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_ports(1)[0];
    let log_dir = dir.path().join("node-0");
    let config = write_config(dir.path(), 0, &[(0, port)], &log_dir, "");

    // First run: elects itself, commits, reports; SIGTERM -> exit 0 with a summary.
    let mut server = support::start(
        0,
        &config,
        &log_dir,
        &["--throughput", "2000", "--record-size", "100"],
    );
    let line = server.wait_for_line(Duration::from_secs(20), |l| l.starts_with(REPORT));
    assert!(
        line.is_some(),
        "no report line; stderr:\n{}",
        server.stderr()
    );
    let line = line.unwrap();
    assert!(
        line.contains(" p75 ") && line.contains(" p99 ") && line.contains(" p999"),
        "{line}"
    );
    let status = server.terminate(Duration::from_secs(15));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "stderr:\n{}",
        server.stderr()
    );
    assert!(
        server
            .stdout_lines()
            .iter()
            .any(|l| l.starts_with("Summary:")),
        "no summary"
    );
    assert!(server.partition_dir().join("commit-latency.hgrm").exists());
    assert!(server.partition_dir().join("quorum-state").exists());
    let first = read_log(&server.partition_dir());
    assert!(first.len() > 10, "only {} batches", first.len());
    let data_records: i64 = first
        .iter()
        .map(|b| b.last_offset - b.base_offset + 1)
        .sum();
    assert!(data_records > 1000, "only {data_records} records");

    // Second run, killed with SIGKILL once it has committed more.
    let mut server = support::start(
        0,
        &config,
        &log_dir,
        &["--throughput", "2000", "--record-size", "100"],
    );
    assert!(
        server
            .wait_for_line(Duration::from_secs(20), |l| l.starts_with(REPORT))
            .is_some(),
        "no report after restart; stderr:\n{}",
        server.stderr()
    );
    // The high watermark it reports just before the kill: the log must hold every offset below
    // it intact afterwards (only past it may a batch the kill cut end the log).
    let (leader, _, high_watermark) =
        quorum_status(&[format!("127.0.0.1:{port}")]).expect("DescribeQuorum");
    assert_eq!(leader, 0);
    server.kill();
    let second = read_log_to(&server.partition_dir(), high_watermark);
    assert!(second.len() > first.len());
    assert!(high_watermark > first.last().unwrap().last_offset + 1);
    assert_eq!(
        &second[..first.len()],
        &first[..],
        "a restart changed committed batches"
    );
    // Offsets are contiguous and epochs never go down along the log.
    for pair in second.windows(2) {
        assert_eq!(pair[1].base_offset, pair[0].last_offset + 1);
        assert!(pair[1].epoch >= pair[0].epoch);
    }
    assert!(
        second.last().unwrap().epoch > first.last().unwrap().epoch,
        "a restart starts a new epoch"
    );

    // Third run after the kill: recovers and keeps everything the second run flushed. With one
    // voter the high watermark is the flushed end, so everything flushed was committed.
    let mut server = support::start(0, &config, &log_dir, &["--throughput", "500"]);
    assert!(
        server
            .wait_for_line(Duration::from_secs(20), |l| l.starts_with(REPORT))
            .is_some(),
        "no report after kill -9; stderr:\n{}",
        server.stderr()
    );
    let status = server.terminate(Duration::from_secs(15));
    assert_eq!(status.and_then(|s| s.code()), Some(0));
    let third = read_log(&server.partition_dir());
    assert_eq!(
        &third[..second.len()],
        &second[..],
        "recovery after kill -9 lost committed batches"
    );
}
