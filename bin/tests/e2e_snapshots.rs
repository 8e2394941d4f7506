//! Issue 15 on real processes: three members with small segments (4 MiB), small retention
//! (8 MiB) and a snapshot every 2 MiB of committed data.
//!
//! - A follower killed with `kill -9` while the leader runs far past retention restarts, finds
//!   the leader's log start above its own log end, downloads the leader's snapshot
//!   (FetchSnapshot), loads it and catches up. Its workload state then equals the leader's:
//!   judged by this test from the files alone (the independent spec reader, its own decoding of
//!   the state record and its own CRC-32C): each node's latest snapshot extended over its own log
//!   batch by batch must give the same record count and checksum as the leader's at every
//!   offset both cover.
//! - Every log directory stays under retention + 2 segments while the leader runs at the
//!   maximum rate (60 s), and a member killed with `kill -9` while snapshots are being written
//!   restarts without loading a partial snapshot (its `.part` files are gone, every snapshot it
//!   keeps passes the checks).

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::snapshot_state::{
    compare_states, dir_listing, part_files, snapshot_files, snapshot_state, states_by_offset,
};
use support::{
    free_ports, member_placement, poll, quorum_status, stop_followers_then_leader, write_config,
    Server,
};

/// Segment, retention and snapshot sizes of a run.
#[derive(Clone, Copy, Debug)]
struct Sizes {
    segment_bytes: u64,
    retention_bytes: u64,
    snapshot_every_bytes: u64,
}

/// The catch-up run (5 MB/s): retention passed in under 2 s.
const SMALL: Sizes = Sizes {
    segment_bytes: 4 << 20,
    retention_bytes: 8 << 20,
    snapshot_every_bytes: 2 << 20,
};

/// The maximum-rate run (hundreds of MB/s). The log start can only move up to the latest
/// snapshot, which trails the log end by the uncommitted backlog (up to the workload's 32 MiB)
/// plus what is written while a snapshot is written and fsynced beside the log's own fsyncs
/// (measured: 40-50 MB at the maximum rate on this machine). With 4 MiB segments and 8 MiB
/// retention the directories reached 38 MB within a second; the sizes here leave that trail
/// room (retention + one segment = 96 MiB).
const MAX_RATE: Sizes = Sizes {
    segment_bytes: 32 << 20,
    retention_bytes: 64 << 20,
    snapshot_every_bytes: 16 << 20,
};

impl Sizes {
    /// What a log directory may hold: Kafka's retention is a soft limit of log plus snapshots,
    /// so a directory may exceed it by the active segment and the one being filled before
    /// retention runs again.
    fn dir_bound_bytes(&self) -> u64 {
        self.retention_bytes + 2 * self.segment_bytes
    }

    fn config(&self) -> String {
        format!(
            "{}metadata.log.segment.min.bytes=1048576\nmetadata.log.segment.bytes={}\n\
             metadata.max.retention.bytes={}\n\
             metadata.log.max.record.bytes.between.snapshots={}\n\
             controller.quorum.append.linger.ms=0\n",
            member_placement(),
            self.segment_bytes,
            self.retention_bytes,
            self.snapshot_every_bytes
        )
    }
}

struct Cluster {
    _dir: tempfile::TempDir,
    ports: [(i32, u16); 3],
    servers: Vec<Server>,
    args: Vec<String>,
    sizes: Sizes,
}

impl Cluster {
    fn start(sizes: Sizes, args: &[&str]) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let free = free_ports(3);
        let ports = [(1, free[0]), (2, free[1]), (3, free[2])];
        let servers = (1..=3)
            .map(|id| {
                let log_dir = dir.path().join(format!("node-{id}"));
                let config = write_config(dir.path(), id, &ports, &log_dir, &sizes.config());
                support::start(id, &config, &log_dir, args)
            })
            .collect();
        Cluster {
            _dir: dir,
            ports,
            servers,
            args: args.iter().map(|a| a.to_string()).collect(),
            sizes,
        }
    }

    fn all(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|(_, port)| format!("127.0.0.1:{port}"))
            .collect()
    }

    fn server(&self, id: i32) -> &Server {
        self.servers
            .iter()
            .find(|s| s.node_id == id)
            .expect("a member")
    }

    fn log_dir_of(&self, id: i32) -> PathBuf {
        self.server(id).partition_dir()
    }

    fn restart(&mut self, id: i32) {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let old = &self.servers[(id - 1) as usize];
        let (config, log_dir) = (old.config.clone(), old.log_dir.clone());
        self.servers[(id - 1) as usize] = support::start(id, &config, &log_dir, &args);
    }

    fn stderr_all(&self) -> String {
        support::stderr_tails(&self.servers, 40)
    }

    fn leader(&self) -> (i32, i32, i64) {
        let found = poll(Duration::from_secs(20), || {
            quorum_status(&self.all()).filter(|&(leader, _, _)| leader > 0)
        });
        found.unwrap_or_else(|| panic!("no leader within 20 s\n{}", self.stderr_all()))
    }

    /// Every directory's size now, checked against the bound.
    fn check_bounded(&self, largest: &mut u64) {
        let bound = self.sizes.dir_bound_bytes();
        for server in &self.servers {
            let bytes = dir_bytes(&server.partition_dir());
            *largest = (*largest).max(bytes);
            assert!(
                bytes <= bound,
                "node {}'s partition directory holds {bytes} bytes, above {bound} \
                 (retention + 2 segments):\n{:#?}",
                server.node_id,
                dir_listing(&server.partition_dir())
            );
        }
    }
}

/// Bytes of every file in `dir` (segments, indexes, snapshots, checkpoints).
fn dir_bytes(dir: &Path) -> u64 {
    dir_listing(dir).iter().map(|(_, len)| len).sum()
}

#[test]
fn a_follower_far_behind_catches_up_through_a_snapshot_with_the_leaders_state() {
    // 20,000 records of 256 B per second: 5 MB/s, retention's 8 MiB in under 2 s.
    let mut cluster = Cluster::start(SMALL, &["--throughput", "20000", "--record-size", "256"]);
    let (leader, _, _) = cluster.leader();
    let follower = if leader == 1 { 2 } else { 1 };
    // Past the first snapshots, then the follower dies.
    let first = poll(Duration::from_secs(30), || {
        (!snapshot_files(&cluster.server(follower).partition_dir()).is_empty()).then_some(())
    });
    assert!(
        first.is_some(),
        "no snapshot on the follower\n{}",
        cluster.stderr_all()
    );
    cluster.servers[(follower - 1) as usize].kill();
    let dead_end = support::read_live_log(&cluster.server(follower).partition_dir())
        .last()
        .map_or(0, |b| b.last_offset + 1);
    // The leader runs until its log starts far past the dead follower's log end.
    let leader_dir = cluster.server(leader).partition_dir();
    let mut largest = 0;
    let passed = poll(Duration::from_secs(60), || {
        cluster.check_bounded(&mut largest);
        let start = support::read_live_log(&leader_dir).first()?.base_offset;
        (start > dead_end + 100_000).then_some(start)
    });
    let Some(leader_start) = passed else {
        panic!(
            "the leader's log never started past {dead_end}\n{}",
            cluster.stderr_all()
        );
    };
    eprintln!("follower {follower} died at log end {dead_end}; leader {leader}'s log starts at {leader_start}");

    // A damaged newest snapshot (one bit flipped) and a torn `.part` on the dead follower's disk:
    // the restart must delete and report the first, and never load either.
    let follower_dir = cluster.server(follower).partition_dir();
    let (_, latest) = snapshot_files(&follower_dir).pop().unwrap();
    let mut damaged = std::fs::read(&latest).unwrap();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x04;
    let damaged_path = follower_dir.join(format!("{:020}-{:010}.checkpoint", dead_end + 7, 1));
    std::fs::write(&damaged_path, &damaged).unwrap();
    let torn_path = follower_dir.join(format!(
        "{:020}-{:010}-torn.checkpoint.part",
        dead_end + 9,
        1
    ));
    std::fs::write(&torn_path, &damaged[..middle]).unwrap();

    cluster.restart(follower);
    let loaded = poll(Duration::from_secs(60), || {
        cluster.check_bounded(&mut largest);
        let log = support::read_live_log(&follower_dir);
        let start = log.first()?.base_offset;
        (start >= leader_start && log.last()?.last_offset > start + 10_000).then_some(start)
    });
    let Some(follower_start) = loaded else {
        panic!(
            "follower {follower} never caught up from a snapshot\n{}",
            cluster.stderr_all()
        );
    };
    let stderr = cluster.server(follower).stderr();
    assert!(
        stderr.contains("snapshot failed its checks at start: deleted, not loaded")
            && stderr.contains(&damaged_path.display().to_string()),
        "the damaged snapshot was not reported\n{}",
        cluster.stderr_all()
    );
    assert!(!damaged_path.exists() && !torn_path.exists());
    assert!(
        stderr.contains("downloaded snapshot loaded"),
        "the follower's log restarted at {follower_start} without a snapshot download\n{}",
        cluster.stderr_all()
    );
    // It keeps following (more snapshots of its own beyond the downloaded one), then all stop.
    std::thread::sleep(Duration::from_secs(3));
    stop_followers_then_leader(&mut cluster.servers, leader);
    let leader_states = states_by_offset(&leader_dir);
    for other in (1..=3).filter(|&id| id != leader) {
        let dir = cluster.log_dir_of(other);
        // Each snapshot the member froze itself holds the leader's state at its offset (the
        // restarted member's own snapshots come after the one it downloaded: its state machine
        // continued from the loaded snapshot).
        let own: Vec<(i64, PathBuf)> = snapshot_files(&dir)
            .into_iter()
            .filter(|(end, _)| other != follower || *end > follower_start)
            .collect();
        let mut compared = 0;
        for (end, path) in &own {
            let Some(expected) = leader_states.get(end) else {
                continue;
            };
            let (_, state) = snapshot_state(path);
            assert_eq!(
                state,
                *expected,
                "node {other}'s snapshot {} differs from the leader's state",
                path.display()
            );
            compared += 1;
        }
        assert!(
            compared > 0,
            "node {other} froze no snapshot within the leader's range: {own:?}, leader {:?}..{:?}",
            leader_states.keys().next(),
            leader_states.keys().last()
        );
        let (offset, ours, theirs) = compare_states(&leader_dir, &dir);
        eprintln!("node {other} vs leader {leader} at offset {offset}: {theirs:?} / {ours:?}");
        assert_eq!(
            theirs, ours,
            "node {other}'s workload state differs from the leader's at offset {offset}"
        );
        assert!(ours.records > 0);
    }
    eprintln!(
        "largest partition directory: {largest} bytes (bound {})",
        SMALL.dir_bound_bytes()
    );
}

#[test]
fn directories_stay_bounded_at_the_maximum_rate_and_kill_9_never_loads_a_partial_snapshot() {
    let mut cluster = Cluster::start(
        MAX_RATE,
        &["--throughput", "3000000", "--record-size", "256"],
    );
    let (leader, _, _) = cluster.leader();
    let victim = if leader == 3 { 2 } else { 3 };
    let started = Instant::now();
    let mut largest = 0;
    let mut parts_left_by_kills = 0;
    let mut kills = 0;
    // Bounded: 60 s of sampling, a kill -9 and restart of the victim every 5 s.
    while started.elapsed() < Duration::from_secs(60) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            cluster.check_bounded(&mut largest);
            std::thread::sleep(Duration::from_millis(200));
        }
        let victim_dir = cluster.server(victim).partition_dir();
        cluster.servers[(victim - 1) as usize].kill();
        kills += 1;
        if !part_files(&victim_dir).is_empty() {
            parts_left_by_kills += 1;
        }
        cluster.restart(victim);
        // It restarts (recovery deleted the `.part` files) and every snapshot it keeps is whole.
        let up = poll(Duration::from_secs(20), || {
            let stderr = cluster.server(victim).stderr();
            stderr
                .matches("restored state")
                .count()
                .ge(&(kills + 1))
                .then_some(())
        });
        assert!(
            up.is_some(),
            "node {victim} did not restart\n{}",
            cluster.stderr_all()
        );
        for (_, path) in snapshot_files(&victim_dir) {
            let bytes = std::fs::read(&path).unwrap();
            let batches = kraft_interop::spec_reader::parse_segment(&bytes, 0);
            assert!(
                batches.fault.is_none() && batches.batches.len() == 3,
                "{} is not a whole snapshot: {:?}",
                path.display(),
                batches.fault
            );
        }
    }
    let stderr = cluster.stderr_all();
    assert!(
        !stderr.contains("snapshot failed its checks"),
        "a node met a damaged snapshot\n{stderr}"
    );
    eprintln!(
        "largest partition directory {largest} bytes (bound {}); {kills} kills, \
         {parts_left_by_kills} left a .part behind",
        MAX_RATE.dir_bound_bytes()
    );
    for server in &mut cluster.servers {
        server.kill();
    }
}
