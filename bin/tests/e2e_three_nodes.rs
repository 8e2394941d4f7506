//! Issues 7 and 14, three nodes in the shape of config/kraft-quorum-{1,2,3}.properties: one
//! leader within 5 s, followers replicate, `kill -9` of the leader elects a new leader with a
//! higher epoch within 5 s and the workload resumes there, the old leader rejoins and catches up.
//!
//! Durability is judged against history, not by comparing the nodes with each other: before each
//! kill the test records what was committed (the leader's high watermark from DescribeQuorum and
//! its log below it, read by the independent spec reader), and checks afterwards that every one
//! of those batches is on every node at the same offset, byte for byte. The second kill hits a
//! leader that owns an uncommitted tail (both followers frozen with SIGSTOP while it appends):
//! the restarted member must truncate that tail and hold the new leader's batches there instead.

mod support;

use std::time::{Duration, Instant};
use support::{
    describe, free_ports, member_placement, poll, quorum_status, read_live_log, read_log,
    read_log_to, write_config, History, Server, StoredBatch,
};

const ARGS: [&str; 4] = ["--throughput", "1000", "--record-size", "128"];
/// Batches the frozen-out leader must append beyond what the frozen followers hold before it is
/// killed. A follower may still take the first of them when thawed (the answer to a fetch it sent
/// before it froze waits in its socket); the others are orphans.
const ORPHAN_BATCHES: usize = 8;
/// Issue 7's bound on a failover after `kill -9` of the leader.
const ELECTION: Duration = Duration::from_secs(5);
/// The bound after thawing two frozen followers: their fetch timeouts expired while frozen, so
/// both turn prospective at the same instant and with equal logs their first elections may
/// split (each votes for itself) before randomized backoff separates them.
const THAWED_ELECTION: Duration = Duration::from_secs(10);
/// The bound on every running node's log reaching the recorded high watermark before a history
/// check: a follower that was not awaited (neither the new leader nor the restarted node) may
/// still be fetching the last committed batches.
const LOGS_REACH: Duration = Duration::from_secs(20);

struct Cluster {
    _dir: tempfile::TempDir,
    ports: [(i32, u16); 3],
    servers: Vec<Server>,
}

impl Cluster {
    fn start() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let free = free_ports(3);
        let ports = [(1, free[0]), (2, free[1]), (3, free[2])];
        let servers = (1..=3)
            .map(|id| {
                let log_dir = dir.path().join(format!("node-{id}"));
                let config = write_config(dir.path(), id, &ports, &log_dir, &member_placement());
                support::start(id, &config, &log_dir, &ARGS)
            })
            .collect();
        Cluster {
            _dir: dir,
            ports,
            servers,
        }
    }

    fn addr(&self, id: i32) -> String {
        format!("127.0.0.1:{}", self.ports[(id - 1) as usize].1)
    }

    fn addrs(&self, ids: &[i32]) -> Vec<String> {
        ids.iter().map(|&id| self.addr(id)).collect()
    }

    fn all(&self) -> Vec<String> {
        self.addrs(&[1, 2, 3])
    }

    fn server(&self, id: i32) -> &Server {
        &self.servers[(id - 1) as usize]
    }

    fn server_mut(&mut self, id: i32) -> &mut Server {
        &mut self.servers[(id - 1) as usize]
    }

    fn stderr_all(&self) -> String {
        self.servers
            .iter()
            .map(|s| format!("--- node {} ---\n{}", s.node_id, s.stderr()))
            .collect()
    }

    fn restart(&mut self, id: i32) {
        let old = self.server(id);
        let (config, log_dir) = (old.config.clone(), old.log_dir.clone());
        *self.server_mut(id) = support::start(id, &config, &log_dir, &ARGS);
    }

    /// A leader other than `not`, in an epoch above `after_epoch`, as the members at `ids` see
    /// it, within `timeout`; panics otherwise.
    fn wait_leader(
        &self,
        ids: &[i32],
        (not, after_epoch): (i32, i32),
        timeout: Duration,
    ) -> (i32, i32) {
        let started = Instant::now();
        let found = poll(timeout, || {
            quorum_status(&self.addrs(ids))
                .filter(|&(leader, epoch, _)| leader > 0 && leader != not && epoch > after_epoch)
        });
        let Some((leader, epoch, _)) = found else {
            panic!(
                "no leader other than {not} above epoch {after_epoch} within {timeout:?}\n{}",
                self.stderr_all()
            );
        };
        eprintln!(
            "leader {leader} in epoch {epoch} after {:?}",
            started.elapsed()
        );
        (leader, epoch)
    }

    /// The leader prints a new report line: the workload runs (again) there.
    fn wait_workload(&self, leader: i32) {
        let before = self.server(leader).report_lines();
        let resumed = poll(Duration::from_secs(15), || {
            (self.server(leader).report_lines() > before).then_some(())
        });
        assert!(
            resumed.is_some(),
            "the workload does not run on leader {leader}\n{}",
            self.stderr_all()
        );
    }

    /// Waits until the high watermark reaches `offset` and member `id` then lags by nothing.
    fn wait_caught_up(&self, id: i32, offset: i64) {
        let all = self.all();
        let committed = poll(Duration::from_secs(20), || {
            quorum_status(&all).filter(|&(_, _, hw)| hw >= offset)
        });
        assert!(
            committed.is_some(),
            "the high watermark never reached {offset}\n{}",
            self.stderr_all()
        );
        let caught_up = poll(Duration::from_secs(20), || {
            replication_lag(&all, id).filter(|&lag| lag == 0)
        });
        assert!(
            caught_up.is_some(),
            "node {id} never caught up\n{}",
            self.stderr_all()
        );
    }

    /// Records what is committed now: the high watermark the leader reports (DescribeQuorum to
    /// `addrs`), and the batches below it in that leader's log. Returns the leader and the high
    /// watermark.
    fn record_committed(&self, history: &mut History, addrs: &[String]) -> (i32, i64) {
        let (leader, _, hw) = quorum_status(addrs).expect("DescribeQuorum");
        assert!(leader > 0, "no leader to record from");
        let log = read_log_to(&self.server(leader).partition_dir(), hw);
        let added = history.record(&log, hw);
        // The high watermark is a batch boundary (a follower's fetch offset or the leader's
        // flushed end), so the history now covers every committed offset.
        assert_eq!(
            history.end_offset(),
            hw,
            "recorded batches end below the high watermark"
        );
        eprintln!("recorded {added} more committed batches below high watermark {hw}");
        (leader, hw)
    }

    /// Waits (at most `LOGS_REACH`) until every node's log, as its segment files hold it, ends at
    /// or past `end_offset`; panics with every node's log end otherwise. The files are polled,
    /// not DescribeQuorum: a follower's lag there is the fetch offset the leader last saw.
    fn wait_logs_reach(&self, end_offset: i64, when: &str) {
        let ends = || -> Vec<(i32, i64)> {
            let end = |s: &Server| log_end(&read_live_log(&s.partition_dir()));
            self.servers.iter().map(|s| (s.node_id, end(s))).collect()
        };
        let reached = poll(LOGS_REACH, || {
            ends()
                .iter()
                .all(|&(_, end)| end >= end_offset)
                .then_some(())
        });
        if reached.is_none() {
            panic!(
                "{when}: not every node's log reached the recorded high watermark {end_offset} \
                 within {LOGS_REACH:?}; (node, log end): {:?}\n{}",
                ends(),
                self.stderr_all()
            );
        }
    }

    /// Every node's log holds every batch recorded committed, byte for byte, once it reached the
    /// recorded high watermark (logs of running nodes: only past the recorded batches may a log
    /// end torn).
    fn check_history(&self, history: &History, when: &str) {
        self.wait_logs_reach(history.end_offset(), when);
        for server in &self.servers {
            let log = read_log_to(&server.partition_dir(), history.end_offset());
            if let Err(e) = history.check(&log) {
                panic!(
                    "{when}: node {}: {e}\n{}",
                    server.node_id,
                    self.stderr_all()
                );
            }
        }
    }
}

fn replication_lag(servers: &[String], node_id: i32) -> Option<i64> {
    let text = describe(servers, "--replication")?;
    let row = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&node_id.to_string()))?;
    // Columns as Kafka's tool: NodeId DirectoryId LogEndOffset Lag ...
    row.split_whitespace().nth(3)?.parse().ok()
}

fn others(of: i32) -> Vec<i32> {
    (1..=3).filter(|&id| id != of).collect()
}

fn log_end(log: &[StoredBatch]) -> i64 {
    log.last().map_or(0, |b| b.last_offset + 1)
}

#[test]
fn three_nodes_keep_every_committed_batch_and_truncate_an_orphaned_tail() {
    let mut cluster = Cluster::start();
    let mut history = History::new();
    let (leader, epoch) = cluster.wait_leader(&[1, 2, 3], (0, 0), ELECTION);
    cluster.wait_workload(leader);

    // Plain failover: kill -9 the leader once commits flow.
    let (recorded_from, hw) = cluster.record_committed(&mut history, &cluster.all());
    assert_eq!(recorded_from, leader);
    assert!(hw > 0 && !history.is_empty(), "nothing committed");
    cluster.server_mut(leader).kill();
    let (new_leader, _) = cluster.wait_leader(&others(leader), (leader, epoch), ELECTION);
    cluster.wait_workload(new_leader);
    cluster.restart(leader);
    cluster.wait_caught_up(leader, hw);
    cluster.check_history(&history, "after the first kill -9");

    let orphans = orphaned_tail_is_truncated(&mut cluster, &mut history);

    // Stop everyone gracefully (the leader resigns); each exits 0 and leaves a clean log that
    // holds everything ever recorded committed and none of the orphans.
    let (_, final_hw) = cluster.record_committed(&mut history, &cluster.all());
    assert!(final_hw > orphans.last().expect("orphans").last_offset);
    for server in cluster.servers.iter_mut() {
        let status = server.terminate(Duration::from_secs(15));
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(0),
            "node {} did not exit 0",
            server.node_id
        );
    }
    for server in &cluster.servers {
        let log = read_log(&server.partition_dir());
        if let Err(e) = history.check(&log) {
            panic!("after a graceful stop: node {}: {e}", server.node_id);
        }
        assert!(
            !orphans.iter().any(|o| log.contains(o)),
            "node {} holds an orphaned batch",
            server.node_id
        );
    }
    eprintln!(
        "{} committed batches up to offset {} on every node",
        history.len(),
        history.end_offset()
    );
}

/// The leader's uncommitted tail, as it was when the leader was killed.
struct KilledLeader {
    id: i32,
    epoch: i32,
    followers: Vec<i32>,
    /// Its batches at and above the high watermark it reported last.
    tail: Vec<StoredBatch>,
}

/// Freezes both followers, lets the leader append batches that cannot commit (no follower
/// fetches them), records what is committed and kills the leader. The followers stay frozen.
fn freeze_followers_and_kill_leader(cluster: &mut Cluster, history: &mut History) -> KilledLeader {
    let (leader, epoch, _) = quorum_status(&cluster.all()).expect("DescribeQuorum");
    assert!(leader > 0);
    cluster.record_committed(history, &cluster.all());
    let followers = others(leader);
    for &f in &followers {
        cluster.server(f).pause();
    }
    // Frozen: nothing more reaches their logs until they are thawed.
    let follower_end = followers
        .iter()
        .map(|&f| log_end(&read_live_log(&cluster.server(f).partition_dir())))
        .max()
        .expect("followers");
    let leader_dir = cluster.server(leader).partition_dir();
    let appended = poll(Duration::from_secs(10), || {
        let log = read_live_log(&leader_dir);
        let above = log.iter().filter(|b| b.base_offset >= follower_end).count();
        (above >= ORPHAN_BATCHES).then_some(())
    });
    assert!(
        appended.is_some(),
        "leader {leader} appended fewer than {ORPHAN_BATCHES} batches past the followers' \
         end {follower_end}\n{}",
        cluster.stderr_all()
    );
    let (_, hw) = cluster.record_committed(history, &cluster.addrs(&[leader]));
    assert!(
        hw <= follower_end,
        "high watermark {hw} above every follower's log end {follower_end}"
    );
    cluster.server_mut(leader).kill();
    let tail: Vec<StoredBatch> = read_log_to(&leader_dir, hw)
        .into_iter()
        .filter(|b| b.base_offset >= hw)
        .collect();
    assert!(tail.len() >= ORPHAN_BATCHES && tail.iter().all(|b| b.epoch == epoch));
    eprintln!(
        "leader {leader} killed with {} uncommitted batches of epoch {epoch} from offset {hw}, \
         the frozen followers' logs end at {follower_end}",
        tail.len()
    );
    KilledLeader {
        id: leader,
        epoch,
        followers,
        tail,
    }
}

/// Kills a leader that owns an uncommitted tail, thaws the followers (they elect a new leader
/// and commit on), restarts the old leader and checks that the orphans of its tail (the batches
/// the new leader does not hold) were truncated and replaced by the new leader's batches.
/// Returns the orphans.
fn orphaned_tail_is_truncated(cluster: &mut Cluster, history: &mut History) -> Vec<StoredBatch> {
    let killed = freeze_followers_and_kill_leader(cluster, history);
    for &f in &killed.followers {
        cluster.server(f).resume();
    }
    let (new_leader, _) = cluster.wait_leader(
        &killed.followers,
        (killed.id, killed.epoch),
        THAWED_ELECTION,
    );
    cluster.wait_workload(new_leader);
    cluster.restart(killed.id);
    let tail_end = log_end(&killed.tail);
    cluster.wait_caught_up(killed.id, tail_end);
    let leaders = read_log_to(&cluster.server(new_leader).partition_dir(), tail_end);
    let orphans: Vec<StoredBatch> = killed
        .tail
        .iter()
        .filter(|b| !leaders.contains(b))
        .cloned()
        .collect();
    assert!(
        !orphans.is_empty(),
        "new leader {new_leader} holds the whole tail of killed leader {}: nothing to truncate",
        killed.id
    );
    eprintln!(
        "{} of the {} batches of the tail are orphans (from offset {})",
        orphans.len(),
        killed.tail.len(),
        orphans[0].base_offset
    );
    assert_replaced(cluster, killed.id, new_leader, &orphans);
    cluster.check_history(history, "after the orphaned tail");
    orphans
}

/// The restarted member no longer holds any orphan: from the first orphan up to the orphans' end
/// its log holds the new leader's batches (of later epochs than the orphans'), byte for byte.
fn assert_replaced(cluster: &Cluster, member: i32, new_leader: i32, orphans: &[StoredBatch]) {
    let (from, orphan_epoch) = (orphans[0].base_offset, orphans[0].epoch);
    let end = log_end(orphans);
    let span = |id: i32| -> Vec<StoredBatch> {
        read_log_to(&cluster.server(id).partition_dir(), end)
            .into_iter()
            .filter(|b| b.last_offset >= from && b.base_offset < end)
            .collect()
    };
    let (mine, leaders) = (span(member), span(new_leader));
    for orphan in orphans {
        assert!(
            !mine.contains(orphan),
            "node {member} still holds its uncommitted batch at offset {} (epoch {}) after \
             restarting under leader {new_leader}\n{}",
            orphan.base_offset,
            orphan.epoch,
            cluster.stderr_all()
        );
    }
    assert!(
        !mine.is_empty() && mine.iter().all(|b| b.epoch > orphan_epoch),
        "node {member} holds batches of an old epoch at offsets {from}..{end}: {:?}",
        mine.iter()
            .map(|b| (b.base_offset, b.epoch))
            .collect::<Vec<_>>()
    );
    assert!(
        mine == leaders,
        "node {member}'s batches at offsets {from}..{end} differ from leader {new_leader}'s"
    );
}
