//! Issue 7, three nodes in the shape of config/kraft-quorum-{1,2,3}.properties: one leader within
//! 5 s, followers replicate, `kill -9` of the leader elects a new leader with a higher epoch within
//! 5 s and the workload resumes there, the old leader rejoins and catches up (lag 0), and
//! afterwards every committed record is in every node's log at the same offset, byte for byte.

mod support;

use std::time::{Duration, Instant};
use support::{
    describe, free_ports, member_placement, poll, quorum_status, read_log, write_config, Server,
};

const REPORT: &str = "Throughput (bytes/second):";

fn replication_lag(servers: &[String], node_id: i32) -> Option<i64> {
    let text = describe(servers, "--replication")?;
    let row = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&node_id.to_string()))?;
    // Columns as Kafka's tool: NodeId DirectoryId LogEndOffset Lag ...
    row.split_whitespace().nth(3)?.parse().ok()
}

#[test]
fn three_nodes_elect_replicate_fail_over_and_converge() {
    let dir = tempfile::tempdir().unwrap();
    let ports = free_ports(3);
    let ids = [(1, ports[0]), (2, ports[1]), (3, ports[2])];
    let addr = |id: i32| format!("127.0.0.1:{}", ids[(id - 1) as usize].1);
    let all: Vec<String> = (1..=3).map(addr).collect();
    let args = ["--throughput", "1000", "--record-size", "128"];
    let mut servers: Vec<Server> = (1..=3)
        .map(|id| {
            let log_dir = dir.path().join(format!("node-{id}"));
            let config = write_config(dir.path(), id, &ids, &log_dir, &member_placement());
            support::start(id, &config, &log_dir, &args)
        })
        .collect();
    let stderr_all = |servers: &[Server]| -> String {
        servers
            .iter()
            .map(|s| format!("--- node {} ---\n{}", s.node_id, s.stderr()))
            .collect()
    };

    // One leader within 5 s.
    let started = Instant::now();
    let first = poll(Duration::from_secs(5), || {
        quorum_status(&all).filter(|(leader, _, _)| *leader > 0)
    });
    let Some((leader, epoch, _)) = first else {
        panic!("no leader within 5 s\n{}", stderr_all(&servers));
    };
    eprintln!(
        "leader {leader} in epoch {epoch} after {:?}",
        started.elapsed()
    );
    let leader_ix = (leader - 1) as usize;
    assert!(
        servers[leader_ix]
            .wait_for_line(Duration::from_secs(15), |l| l.starts_with(REPORT))
            .is_some(),
        "the leader reports nothing\n{}",
        stderr_all(&servers)
    );
    // Followers replicate: the high watermark moves, so a majority holds the records.
    let (_, _, hw_before) = quorum_status(&all).expect("status");
    assert!(hw_before > 0);

    // kill -9 the leader: a new leader with a higher epoch within 5 s, and the workload resumes.
    servers[leader_ix].kill();
    let killed_at = Instant::now();
    let others: Vec<String> = (1..=3).filter(|&id| id != leader).map(addr).collect();
    let next = poll(Duration::from_secs(5), || {
        quorum_status(&others).filter(|(l, e, _)| *l > 0 && *l != leader && *e > epoch)
    });
    let Some((new_leader, new_epoch, _)) = next else {
        panic!(
            "no new leader within 5 s of kill -9\n{}",
            stderr_all(&servers)
        );
    };
    eprintln!(
        "new leader {new_leader} in epoch {new_epoch} after {:?}",
        killed_at.elapsed()
    );
    let new_ix = (new_leader - 1) as usize;
    let reports_before = servers[new_ix].report_lines();
    assert!(
        poll(Duration::from_secs(15), || (servers[new_ix].report_lines()
            > reports_before)
            .then_some(()))
        .is_some(),
        "the workload did not resume on the new leader\n{}",
        stderr_all(&servers)
    );

    // The old leader rejoins as a follower, truncates any uncommitted tail and catches up.
    let old = &servers[leader_ix];
    let (config, log_dir) = (old.config.clone(), old.log_dir.clone());
    servers[leader_ix] = support::start(leader, &config, &log_dir, &args);
    let caught_up = poll(Duration::from_secs(20), || {
        replication_lag(&all, leader).filter(|&lag| lag == 0)
    });
    assert!(
        caught_up.is_some(),
        "node {leader} never caught up\n{}",
        stderr_all(&servers)
    );
    let (final_leader, _, hw_final) = quorum_status(&all).expect("status");
    assert!(final_leader > 0);

    // Stop everyone gracefully (the leader resigns); each exits 0.
    for server in servers.iter_mut() {
        let status = server.terminate(Duration::from_secs(15));
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(0),
            "node {} did not exit 0",
            server.node_id
        );
    }

    // Every batch below the high watermark seen last is on every node, same offset, same bytes.
    let logs: Vec<_> = servers
        .iter()
        .map(|s| read_log(&s.partition_dir()))
        .collect();
    let committed = |log: &Vec<support::StoredBatch>| -> Vec<support::StoredBatch> {
        log.iter()
            .filter(|b| b.last_offset < hw_final)
            .cloned()
            .collect()
    };
    let reference = committed(&logs[0]);
    assert_eq!(
        reference.last().map(|b| b.last_offset + 1),
        Some(hw_final),
        "node 1 lacks committed batches"
    );
    for (i, log) in logs.iter().enumerate().skip(1) {
        assert_eq!(
            committed(log),
            reference,
            "node {} differs below the high watermark",
            i + 1
        );
    }
}
