//! Issue 15 on real processes: a follower killed with `kill -9` in the middle of a snapshot
//! download restarts without loading the partial snapshot (its `.checkpoint.part` is deleted and
//! reported), downloads the snapshot again and ends with the leader's workload state.
//!
//! The snapshot is a few hundred bytes; with `controller.quorum.fetch.snapshot.max.bytes=1` the
//! download takes one FetchSnapshot round trip per byte, a window of tens to hundreds of
//! milliseconds in which the `.part` exists and the test kills the follower.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::snapshot_state::{compare_states, part_files, snapshot_files};
use support::{
    free_ports, member_placement, poll, quorum_status, stderr_tails, stop_followers_then_leader,
    write_config, Server,
};

/// Attempts at hitting the download window before the test gives up (each one lets the leader
/// run past the follower's log again).
const MAX_KILL_ATTEMPTS: usize = 4;

const CONFIG: &str = "metadata.log.segment.min.bytes=1048576\nmetadata.log.segment.bytes=4194304\n\
     metadata.max.retention.bytes=8388608\n\
     metadata.log.max.record.bytes.between.snapshots=2097152\n\
     controller.quorum.append.linger.ms=0\n\
     controller.quorum.fetch.snapshot.max.bytes=1\n";

const ARGS: [&str; 4] = ["--throughput", "20000", "--record-size", "256"];

fn stderr_all(servers: &[Server]) -> String {
    stderr_tails(servers, 30)
}

fn restart(servers: &mut [Server], id: i32) {
    let old = &servers[(id - 1) as usize];
    let (config, log_dir) = (old.config.clone(), old.log_dir.clone());
    servers[(id - 1) as usize] = support::start(id, &config, &log_dir, &ARGS);
}

/// Runs the leader until its log starts well past the (dead) follower's log end.
fn outrun(servers: &[Server], leader: i32, follower_dir: &Path) -> i64 {
    let dead_end = support::read_live_log(follower_dir)
        .last()
        .map_or(0, |b| b.last_offset + 1);
    let leader_dir = servers[(leader - 1) as usize].partition_dir();
    let passed = poll(Duration::from_secs(60), || {
        let start = support::read_live_log(&leader_dir).first()?.base_offset;
        (start > dead_end + 100_000).then_some(start)
    });
    passed.unwrap_or_else(|| {
        panic!(
            "the leader's log never started past {dead_end}\n{}",
            stderr_all(servers)
        )
    })
}

/// Polls the restarted follower's directory for a `.part` and kills it at once. `Some(names)`
/// when it died with a `.part` on disk; `None` when the download finished first.
/// `loads_before`: "downloaded snapshot loaded" lines in the stderr file before this run.
fn kill_during_download(
    servers: &mut [Server],
    follower: i32,
    dir: &Path,
    loads_before: usize,
) -> Option<Vec<String>> {
    let deadline = Instant::now() + Duration::from_secs(30);
    // Bounded by the deadline; readdir of a small directory takes microseconds.
    while Instant::now() < deadline {
        if !part_files(dir).is_empty() {
            servers[(follower - 1) as usize].kill();
            return Some(part_files(dir)).filter(|parts| !parts.is_empty());
        }
        if servers[(follower - 1) as usize]
            .stderr()
            .matches("downloaded snapshot loaded")
            .count()
            > loads_before
        {
            servers[(follower - 1) as usize].kill();
            return None;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    panic!(
        "follower {follower} neither wrote a .part nor loaded a snapshot in 30 s\n{}",
        stderr_all(servers)
    );
}

#[test]
fn kill_9_during_a_snapshot_download_never_loads_the_partial_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let free = free_ports(3);
    let ports = [(1, free[0]), (2, free[1]), (3, free[2])];
    let extra = format!("{}{CONFIG}", member_placement());
    let mut servers: Vec<Server> = (1..=3)
        .map(|id| {
            let log_dir = dir.path().join(format!("node-{id}"));
            let config = write_config(dir.path(), id, &ports, &log_dir, &extra);
            support::start(id, &config, &log_dir, &ARGS)
        })
        .collect();
    let all: Vec<String> = ports
        .iter()
        .map(|(_, p)| format!("127.0.0.1:{p}"))
        .collect();
    let leader = poll(Duration::from_secs(20), || {
        quorum_status(&all).filter(|&(leader, _, _)| leader > 0)
    })
    .unwrap_or_else(|| panic!("no leader within 20 s\n{}", stderr_all(&servers)))
    .0;
    let follower = if leader == 1 { 2 } else { 1 };
    let follower_dir = servers[(follower - 1) as usize].partition_dir();
    servers[(follower - 1) as usize].kill();

    let loads = |servers: &[Server]| {
        let stderr = servers[(follower - 1) as usize].stderr();
        stderr.matches("downloaded snapshot loaded").count()
    };
    let mut torn: Option<Vec<String>> = None;
    for attempt in 1..=MAX_KILL_ATTEMPTS {
        let leader_start = outrun(&servers, leader, &follower_dir);
        let loads_before = loads(&servers);
        restart(&mut servers, follower);
        torn = kill_during_download(&mut servers, follower, &follower_dir, loads_before);
        eprintln!("attempt {attempt}: leader's log starts at {leader_start}; torn: {torn:?}");
        if torn.is_some() {
            break;
        }
    }
    let torn = torn.unwrap_or_else(|| {
        panic!("the download window was missed {MAX_KILL_ATTEMPTS} times (window too short)")
    });
    let torn_paths: Vec<PathBuf> = torn.iter().map(|name| follower_dir.join(name)).collect();

    // The stderr file keeps earlier runs' lines: wait for one more load than they logged.
    let loads_before = loads(&servers);
    restart(&mut servers, follower);
    let caught_up = poll(Duration::from_secs(60), || {
        (loads(&servers) > loads_before).then_some(())
    });
    assert!(
        caught_up.is_some(),
        "follower {follower} did not download the snapshot again\n{}",
        stderr_all(&servers)
    );
    let stderr = servers[(follower - 1) as usize].stderr();
    for path in &torn_paths {
        assert!(!path.exists(), "{} survived the restart", path.display());
        let reported = stderr.lines().any(|line| {
            line.contains("partial snapshot deleted at start, not loaded")
                && line.contains(&path.display().to_string())
        });
        assert!(reported, "{} was not reported\n{stderr}", path.display());
    }
    assert!(
        !stderr.contains("snapshot failed its checks"),
        "the restart met a damaged snapshot (a partial one was taken for whole)\n{stderr}"
    );
    // It keeps following past the downloaded snapshot, then followers stop before the leader.
    std::thread::sleep(Duration::from_secs(3));
    stop_followers_then_leader(&mut servers, leader);
    let leader_dir = servers
        .iter()
        .find(|s| s.node_id == leader)
        .expect("the leader")
        .partition_dir();
    assert!(!snapshot_files(&follower_dir).is_empty());
    let (offset, ours, theirs) = compare_states(&leader_dir, &follower_dir);
    eprintln!("follower {follower} vs leader {leader} at offset {offset}: {theirs:?} / {ours:?}");
    assert_eq!(
        theirs, ours,
        "the follower's state differs at offset {offset}"
    );
    assert!(ours.records > 0);
}
