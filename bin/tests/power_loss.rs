//! Issue 14 item 2: power loss on real processes. Three kraft-server nodes under the performance
//! load keep their log directories on kraft-powerfs mounts (a FUSE file system that drops every
//! write and name change not yet fsynced when the power is cut). The test cuts the power (SIGKILL
//! of the process, then the drop of its mount's unsynced changes) of one follower, of the leader,
//! of two nodes (the leader and a follower) and of all three at once, and after each cut checks:
//!
//! - what an observer saw committed before the cut (the high watermark from DescribeQuorum and
//!   the batches below it, read through the leader's mount) is on a majority of the nodes' disks
//!   right after the cut, byte for byte, before anyone restarts;
//! - every node's quorum-state is not older than before the cut (epoch, and the vote within it);
//! - after the restart the quorum elects a leader, every node catches up, and every node holds
//!   the committed batches byte for byte.
//!
//! The files are judged by the shared spec reader (`kraft_interop::spec_log`, no server code):
//! a cut may leave the last segment torn past the committed offsets (an append not yet
//! fdatasynced), never a torn or corrupt batch below them.
//!
//! Needs /dev/fuse and the right to mount (root here); skips loudly without them, and fails
//! instead when KRAFT_INTEROP_REQUIRED=1 (CI).

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kraft_interop::spec_log::{try_read_log, Tail};
use kraft_interop::QuorumState;
use kraft_powerfs::{CutReport, Mount, PowerFsError};
use support::{
    describe, free_ports, member_placement, poll, quorum_status, read_log_to, write_config, Server,
    StoredBatch,
};

const ARGS: [&str; 4] = ["--throughput", "2000", "--record-size", "256"];
const VOTERS: usize = 3;
const MAJORITY: usize = VOTERS / 2 + 1;
/// Records committed between two cuts (2 s of the load): every cut hits a node mid-stream.
const RECORDS_BETWEEN_CUTS: i64 = 4000;
/// The election state's file in the partition directory (replaced by rename on every change).
const QUORUM_STATE: &str = "quorum-state";

/// One member: its config, its mount (the log directory) over a backing directory, its process.
struct Node {
    id: i32,
    config: PathBuf,
    log_dir: PathBuf,
    backing: PathBuf,
    server: Option<Server>,
    mount: Option<Mount>,
}

impl Node {
    /// The partition directory, seen through the mount.
    fn partition_dir(&self) -> PathBuf {
        self.log_dir.join("__raft_performance_test-0")
    }

    fn mount(&mut self) {
        assert!(self.mount.is_none(), "node {} mounted twice", self.id);
        let mount = Mount::start(&self.backing, &self.log_dir)
            .unwrap_or_else(|e| panic!("mount for node {}: {e}", self.id));
        self.mount = Some(mount);
    }

    fn start(&mut self) {
        assert!(self.server.is_none(), "node {} started twice", self.id);
        self.server = Some(support::start(self.id, &self.config, &self.log_dir, &ARGS));
    }

    /// The power cut: SIGKILL (reaped), then the mount drops what was not made durable.
    fn cut(&mut self) -> CutReport {
        let mut server = self.server.take().expect("cut a running node");
        server.kill();
        let mount = self.mount.take().expect("cut a mounted node");
        mount
            .power_cut()
            .unwrap_or_else(|e| panic!("power cut of node {}: {e}", self.id))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // The process first: the mount cannot go away while it holds files open.
        if let Some(mut server) = self.server.take() {
            server.kill();
        }
        self.mount = None;
    }
}

struct Cluster {
    nodes: Vec<Node>,
    addrs: Vec<String>,
}

/// What an observer saw committed: the high watermark and every batch below it.
struct Observation {
    leader: i32,
    epoch: i32,
    high_watermark: i64,
    committed: Vec<StoredBatch>,
}

impl Cluster {
    fn node(&mut self, id: i32) -> &mut Node {
        &mut self.nodes[(id - 1) as usize]
    }

    fn running(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|n| n.server.is_some())
            .map(|n| self.addrs[(n.id - 1) as usize].clone())
            .collect()
    }

    fn stderr_all(&self) -> String {
        let mut out = String::new();
        for node in &self.nodes {
            let path = node.log_dir.with_extension("stderr");
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(40).collect();
            out.push_str(&format!("--- node {} (last 40 lines) ---\n", node.id));
            for line in tail.into_iter().rev() {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    /// Waits for a leader whose high watermark passed `above`, then reads the committed batches
    /// through the leader's mount.
    fn observe(&self, above: i64) -> Observation {
        let status = poll(Duration::from_secs(20), || {
            quorum_status(&self.running()).filter(|(l, _, hw)| *l > 0 && *hw > above)
        });
        let Some((leader, epoch, high_watermark)) = status else {
            panic!(
                "no leader with a high watermark above {above} within 20 s\n{}",
                self.stderr_all()
            );
        };
        // The leader runs: its last segment may end in an append in progress, past the high
        // watermark only.
        let partition_dir = self.nodes[(leader - 1) as usize].partition_dir();
        let committed: Vec<StoredBatch> = read_log_to(&partition_dir, high_watermark)
            .into_iter()
            .filter(|b| b.base_offset < high_watermark)
            .collect();
        assert_eq!(
            committed.last().map(|b| b.last_offset + 1),
            Some(high_watermark),
            "the leader's log does not end a batch at the high watermark"
        );
        Observation {
            leader,
            epoch,
            high_watermark,
            committed,
        }
    }

    fn replication_lag(&self, node_id: i32) -> Option<i64> {
        let text = describe(&self.running(), "--replication")?;
        let row = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(&node_id.to_string()))?;
        // Columns as Kafka's tool: NodeId DirectoryId LogEndOffset Lag ...
        row.split_whitespace().nth(3)?.parse().ok()
    }
}

/// Whether `log` holds every batch of `committed` at the same offsets, byte for byte.
fn holds(log: &[StoredBatch], committed: &[StoredBatch]) -> bool {
    log.len() >= committed.len() && log[..committed.len()] == *committed
}

fn first_difference(log: &[StoredBatch], committed: &[StoredBatch]) -> String {
    match committed.iter().zip(log).find(|(c, l)| c != l) {
        Some((c, l)) => format!(
            "batch at {} differs (found base {}, {} bytes)",
            c.base_offset,
            l.base_offset,
            l.bytes.len()
        ),
        None => format!(
            "log ends at offset {} (committed up to {})",
            log.last().map_or(0, |b| b.last_offset + 1),
            committed.last().map_or(0, |b| b.last_offset + 1)
        ),
    }
}

fn skip_or_fail(reason: &str) {
    let message = format!("SKIPPED power-loss test: kraft-powerfs cannot mount here ({reason})");
    if std::env::var("KRAFT_INTEROP_REQUIRED").as_deref() == Ok("1") {
        panic!("{message}, and KRAFT_INTEROP_REQUIRED=1");
    }
    // Straight to stderr: libtest captures eprintln! of passing tests.
    let _ = writeln!(std::io::stderr().lock(), "\n*** {message} ***\n");
}

/// Starts three nodes on mounts, or `None` (after the loud skip) when FUSE is not usable.
fn start_cluster(dir: &Path) -> Option<Cluster> {
    match Mount::start(&dir.join("probe.backing"), &dir.join("probe")) {
        Ok(probe) => probe.unmount().expect("unmount the probe"),
        Err(PowerFsError::Unavailable { reason }) => {
            skip_or_fail(&reason);
            return None;
        }
        Err(e) => panic!("probe mount: {e}"),
    }
    let ports = free_ports(VOTERS);
    let ids: Vec<(i32, u16)> = (1..=VOTERS as i32).zip(ports.iter().copied()).collect();
    let mut nodes = Vec::new();
    for &(id, _) in &ids {
        let log_dir = dir.join(format!("node-{id}"));
        let config = write_config(dir, id, &ids, &log_dir, &member_placement());
        let backing = dir.join(format!("node-{id}.backing"));
        let mut node = Node {
            id,
            config,
            log_dir,
            backing,
            server: None,
            mount: None,
        };
        node.mount();
        node.start();
        nodes.push(node);
    }
    let addrs = ids.iter().map(|(_, p)| format!("127.0.0.1:{p}")).collect();
    Some(Cluster { nodes, addrs })
}

/// The nodes a scenario cuts, given the leader's id.
type Pick = fn(i32) -> Vec<i32>;

fn a_follower(leader: i32) -> i32 {
    (1..=VOTERS as i32)
        .find(|&id| id != leader)
        .expect("a follower")
}

/// Every node's `(epoch, voted id)` from its quorum-state file, read through its mount.
fn election_states(cluster: &Cluster) -> Vec<(i32, i32)> {
    cluster
        .nodes
        .iter()
        .map(|n| {
            let state = QuorumState::read(&n.partition_dir())
                .unwrap_or_else(|| panic!("node {} has no readable quorum-state", n.id));
            (state.leader_epoch, state.voted_id)
        })
        .collect()
}

/// Cuts the power of `victims` at once and mounts their directories again (without starting
/// them). Returns how many changes the cuts dropped.
fn cut(cluster: &mut Cluster, name: &str, victims: &[i32]) -> usize {
    let mut dropped = 0;
    for &id in victims {
        let report = cluster.node(id).cut();
        assert_eq!(report.failures, 0, "undo failures on node {id}: {report:?}");
        eprintln!("{name}: node {id} lost {report:?}");
        dropped += report.data_undone + report.names_undone;
    }
    for &id in victims {
        cluster.node(id).mount();
    }
    dropped
}

/// Right after a cut, before any restart: the committed batches are on a majority of disks. A
/// holder's log is whole below the high watermark and may be torn past it only (the cut lost an
/// append not yet fdatasynced); a node whose log is broken below it does not hold them.
fn check_majority(cluster: &Cluster, name: &str, observed: &Observation, victims: &[i32]) {
    let mut holders = Vec::new();
    let mut missing = Vec::new();
    for node in &cluster.nodes {
        match try_read_log(
            &node.partition_dir(),
            Tail::TornFrom(observed.high_watermark),
        ) {
            Ok(log) if holds(&log, &observed.committed) => holders.push(node.id),
            Ok(log) => {
                let why = first_difference(&log, &observed.committed);
                missing.push(format!("node {}: {why}", node.id));
            }
            Err(fault) => missing.push(format!("node {}: {fault}", node.id)),
        }
    }
    assert!(
        holders.len() >= MAJORITY,
        "{name}: records committed before the cut (high watermark {}, leader {} epoch {}) are on \
         nodes {holders:?} only after the power cut of {victims:?}: {missing:?}",
        observed.high_watermark,
        observed.leader,
        observed.epoch
    );
}

/// Node `id`'s election state after a cut is not older than `before`: a higher epoch, or the
/// same epoch with the same vote (if it had voted).
fn check_state(cluster: &Cluster, name: &str, id: i32, before: (i32, i32)) {
    let node = &cluster.nodes[(id - 1) as usize];
    let (epoch_before, voted_before) = before;
    let Some(after) = QuorumState::read(&node.partition_dir()) else {
        let raw = std::fs::read(node.partition_dir().join(QUORUM_STATE));
        panic!("{name}: node {id}'s quorum-state is missing or unreadable after the cut: {raw:?}");
    };
    let (epoch_after, voted_after) = (after.leader_epoch, after.voted_id);
    assert!(
        epoch_after > epoch_before
            || (epoch_after == epoch_before && (voted_before < 0 || voted_after == voted_before)),
        "{name}: node {id}'s quorum-state went back from epoch {epoch_before} vote \
         {voted_before} to epoch {epoch_after} vote {voted_after}"
    );
}

/// Starts `victims` again, waits until everyone caught up, and checks every node's log.
fn restart_and_check(cluster: &mut Cluster, name: &str, observed: &Observation, victims: &[i32]) {
    for &id in victims {
        cluster.node(id).start();
    }
    wait_caught_up(cluster, name, observed);
    for node in &cluster.nodes {
        // Running again: past the observed high watermark a log may end in an append in progress.
        let log = read_log_to(&node.partition_dir(), observed.high_watermark);
        assert!(
            holds(&log, &observed.committed),
            "{name}: node {} lacks records committed before the cut after catching up: {}",
            node.id,
            first_difference(&log, &observed.committed)
        );
    }
}

/// One cut of the nodes `pick` chooses (at once), with every check. Returns the high watermark
/// observed before the cut and how many changes the cut dropped.
fn cut_and_check(cluster: &mut Cluster, name: &str, pick: Pick, seen: i64) -> (i64, usize) {
    let observed = cluster.observe(seen + RECORDS_BETWEEN_CUTS);
    let victims = pick(observed.leader);
    let states = election_states(cluster);
    let dropped = cut(cluster, name, &victims);
    check_majority(cluster, name, &observed, &victims);
    for (id, before) in (1..).zip(states) {
        check_state(cluster, name, id, before);
    }
    restart_and_check(cluster, name, &observed, &victims);
    (observed.high_watermark, dropped)
}

/// The leader loses power and the two others elect a new one. Each of them has a trip wire on
/// `quorum-state` (see `kraft_powerfs::trip`): its power fails the moment it moves on from
/// replacing that file (after the directory fsync that completes the replace, if it makes one).
/// Whatever election state it left visible then, it may have acted on (a vote sent): the cut
/// must keep that state byte for byte.
fn election(cluster: &mut Cluster, seen: i64) -> (i64, usize) {
    let name = "election";
    let observed = cluster.observe(seen + RECORDS_BETWEEN_CUTS);
    let states = election_states(cluster);
    let leader = observed.leader;
    let others: Vec<i32> = (1..=VOTERS as i32).filter(|&id| id != leader).collect();
    for &id in &others {
        let mount = cluster.node(id).mount.as_ref().expect("mounted");
        mount.arm_trip(QUORUM_STATE);
    }
    let mut dropped = cut(cluster, name, &[leader]);
    let tripped = |cluster: &Cluster| -> Vec<i32> {
        let nodes = others.iter().map(|&id| &cluster.nodes[(id - 1) as usize]);
        let tripped = nodes.filter(|n| n.mount.as_ref().is_some_and(Mount::tripped));
        tripped.map(|n| n.id).collect()
    };
    let any = poll(Duration::from_secs(15), || {
        (!tripped(cluster).is_empty()).then_some(())
    });
    assert!(
        any.is_some(),
        "{name}: no survivor replaced its quorum-state within 15 s\n{}",
        cluster.stderr_all()
    );
    // The other one gets a moment to act on the election too (a tripped node may stall it).
    poll(Duration::from_secs(3), || {
        (tripped(cluster).len() == others.len()).then_some(())
    });
    let tripped = tripped(cluster);
    let paths: Vec<PathBuf> = cluster.nodes.iter().map(Node::partition_dir).collect();
    let state_path = |id: i32| paths[(id - 1) as usize].join(QUORUM_STATE);
    let visible: Vec<Vec<u8>> = tripped
        .iter()
        .map(|&id| std::fs::read(state_path(id)).expect("read the visible quorum-state"))
        .collect();
    for (id, state) in tripped.iter().zip(&visible) {
        eprintln!(
            "{name}: node {id} tripped with {}",
            String::from_utf8_lossy(state)
        );
    }
    dropped += cut(cluster, name, &others);
    for (&id, visible) in tripped.iter().zip(&visible) {
        let after = std::fs::read(state_path(id)).expect("read quorum-state after the cut");
        assert_eq!(
            String::from_utf8_lossy(&after),
            String::from_utf8_lossy(visible),
            "{name}: node {id} lost the election state it had moved on from"
        );
    }
    for (id, before) in (1..).zip(states) {
        check_state(cluster, name, id, before);
    }
    check_majority(cluster, name, &observed, &[leader]);
    let all: Vec<i32> = (1..=VOTERS as i32).collect();
    restart_and_check(cluster, name, &observed, &all);
    (observed.high_watermark, dropped)
}

/// A leader again, the high watermark past the observed one, and every node at lag 0.
fn wait_caught_up(cluster: &Cluster, name: &str, observed: &Observation) {
    let after = cluster.observe(observed.high_watermark);
    assert!(
        after.epoch >= observed.epoch,
        "{name}: epoch went back from {} to {}",
        observed.epoch,
        after.epoch
    );
    let caught_up = poll(Duration::from_secs(30), || {
        (1..=VOTERS as i32)
            .all(|id| cluster.replication_lag(id) == Some(0))
            .then_some(())
    });
    assert!(
        caught_up.is_some(),
        "{name}: not every node caught up within 30 s\n{}",
        cluster.stderr_all()
    );
}

#[test]
fn committed_records_and_votes_survive_power_cuts() {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut cluster) = start_cluster(dir.path()) else {
        return;
    };
    let mut seen = 0;
    let mut dropped_total = 0;

    let scenarios: [(&str, Pick); 4] = [
        ("one follower", |leader| vec![a_follower(leader)]),
        ("the leader", |leader| vec![leader]),
        ("leader and a follower", |leader| {
            vec![leader, a_follower(leader)]
        }),
        ("all nodes", |_| (1..=VOTERS as i32).collect()),
    ];
    for (name, pick) in scenarios {
        let (hw, dropped) = cut_and_check(&mut cluster, name, pick, seen);
        (seen, dropped_total) = (hw, dropped_total + dropped);
    }
    let (hw, dropped) = election(&mut cluster, seen);
    (seen, dropped_total) = (hw, dropped_total + dropped);
    eprintln!("committed up to offset {seen}; the cuts dropped {dropped_total} unsynced changes");
    // Under load, some appends are always between write and fdatasync: a run where no cut
    // dropped anything did not exercise the file system's model at all.
    assert!(dropped_total > 0, "no cut dropped any unsynced change");
}
