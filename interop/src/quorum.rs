//! A quorum of members of both kinds on loopback, and what the tests wait for: who leads (from
//! every member's durable `quorum-state`, which both kinds write on each election-state change),
//! and which batches a majority holds (from the members' segment files, read with a parser of
//! our own that shares nothing with the Java side).

use crate::kafka::Kafka;
use crate::member::{Kind, Member};
use crate::process::{free_ports, poll, read_live_log, StoredBatch};
use std::path::Path;
use std::time::Duration;

/// The election state a member last made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuorumState {
    pub leader_id: i32,
    pub leader_epoch: i32,
    pub voted_id: i32,
}

impl QuorumState {
    /// Reads `<partition dir>/quorum-state` (Kafka's JSON, data_version 0 or 1); `None` when the
    /// file is missing or lacks one of the three fields, which both versions always write (Kafka's
    /// reader refuses such a file too, so a torn one cannot pass as "no vote").
    pub fn read(partition_dir: &Path) -> Option<QuorumState> {
        let text = std::fs::read_to_string(partition_dir.join("quorum-state")).ok()?;
        Some(QuorumState {
            leader_id: json_int(&text, "leaderId")? as i32,
            leader_epoch: json_int(&text, "leaderEpoch")? as i32,
            voted_id: json_int(&text, "votedId")? as i32,
        })
    }
}

fn json_int(text: &str, key: &str) -> Option<i64> {
    let at = text.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = text[at..].trim_start();
    let end = rest
        .find(|c: char| c != '-' && !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

pub struct Quorum {
    pub members: Vec<Member>,
    pub kafka: Kafka,
    /// Removed when the quorum is dropped, kept (and named on stderr) when a test failed.
    dir: Option<tempfile::TempDir>,
}

impl Drop for Quorum {
    fn drop(&mut self) {
        kill_keeping_dir_on_panic(&mut self.members, &mut self.dir);
    }
}

/// A quorum's teardown: every member killed; its directory removed, or kept (and named on
/// stderr) when a test failed, for the post-mortem.
pub(crate) fn kill_keeping_dir_on_panic(
    members: &mut [Member],
    dir: &mut Option<tempfile::TempDir>,
) {
    for m in members.iter_mut() {
        m.kill();
    }
    if std::thread::panicking() {
        if let Some(dir) = dir.take() {
            eprintln!(
                "kept the failed quorum's directories in {}",
                dir.keep().display()
            );
        }
    }
}

impl Quorum {
    /// Members `1..=kinds.len()` of the given kinds, static voters, not started yet.
    pub fn new(
        kafka: &Kafka,
        server_binary: &Path,
        kinds: &[Kind],
        extra_config: &str,
        workload: (u32, u32),
    ) -> Quorum {
        let dir = tempfile::tempdir().expect("tempdir");
        Quorum::new_in(dir, kafka, server_binary, kinds, extra_config, workload)
    }

    /// As `new`, with the members' log directories in `dir` (a benchmark's log disk).
    pub fn new_in(
        dir: tempfile::TempDir,
        kafka: &Kafka,
        server_binary: &Path,
        kinds: &[Kind],
        extra_config: &str,
        workload: (u32, u32),
    ) -> Quorum {
        let ports = free_ports(kinds.len());
        let voters: Vec<String> = ports
            .iter()
            .enumerate()
            .map(|(i, port)| format!("{}@127.0.0.1:{port}", i + 1))
            .collect();
        let voters = voters.join(",");
        let members = kinds
            .iter()
            .zip(&ports)
            .enumerate()
            .map(|(i, (kind, port))| {
                let id = i as i32 + 1;
                let log_dir = dir.path().join(format!("node-{id}"));
                Member::new(
                    id,
                    *kind,
                    *port,
                    &voters,
                    &log_dir,
                    extra_config,
                    workload,
                    server_binary,
                    kafka,
                )
            })
            .collect();
        Quorum {
            members,
            kafka: kafka.clone(),
            dir: Some(dir),
        }
    }

    pub fn start_all(&mut self) {
        for m in &mut self.members {
            m.start();
        }
    }

    pub fn member(&mut self, id: i32) -> &mut Member {
        self.members
            .iter_mut()
            .find(|m| m.id == id)
            .unwrap_or_else(|| panic!("no member {id}"))
    }

    pub fn bootstrap(&self) -> String {
        let all: Vec<String> = self
            .members
            .iter()
            .map(|m| format!("127.0.0.1:{}", m.port))
            .collect();
        all.join(",")
    }

    /// `(leader id, epoch)` when a running member's durable state says it leads the highest
    /// epoch any running member has seen, and a majority of the voters agree on that leader.
    pub fn leader(&mut self) -> Option<(i32, i32)> {
        let mut states = Vec::new();
        for m in &mut self.members {
            if m.is_running() {
                if let Some(s) = QuorumState::read(&m.partition_dir()) {
                    states.push((m.id, s));
                }
            }
        }
        let epoch = states.iter().map(|(_, s)| s.leader_epoch).max()?;
        let (leader, _) = states
            .iter()
            .find(|(id, s)| s.leader_epoch == epoch && s.leader_id == *id)?;
        let agree = states
            .iter()
            .filter(|(_, s)| s.leader_epoch == epoch && s.leader_id == *leader)
            .count();
        (agree > self.members.len() / 2).then_some((*leader, epoch))
    }

    /// Waits for a leader elected in an epoch above `after_epoch`.
    pub fn wait_leader_after(&mut self, after_epoch: i32, timeout: Duration) -> (i32, i32) {
        let found = poll(timeout, || self.leader().filter(|(_, e)| *e > after_epoch));
        found.unwrap_or_else(|| {
            panic!(
                "no leader above epoch {after_epoch} within {timeout:?}\n{}",
                self.diagnostics()
            )
        })
    }

    pub fn kind_of(&self, id: i32) -> Kind {
        self.members
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.kind)
            .expect("member")
    }

    /// The batches of each member's log while the quorum runs (for polling: the end of a log may
    /// be an append in progress; a torn or corrupt batch anywhere else fails the test).
    pub fn logs(&mut self) -> Vec<(i32, Vec<StoredBatch>)> {
        self.members
            .iter()
            .map(|m| (m.id, read_live_log(&m.partition_dir())))
            .collect()
    }

    /// Waits until a majority of the members' logs hold at least `batches` data batches written
    /// in `epoch` (replicated to a majority: committed), and returns the last such offset the
    /// majority holds.
    pub fn wait_committed_in_epoch(
        &mut self,
        epoch: i32,
        batches: usize,
        timeout: Duration,
    ) -> i64 {
        let majority = self.members.len() / 2 + 1;
        let found = poll(timeout, || {
            let mut ends: Vec<i64> = self
                .logs()
                .iter()
                .map(|(_, log)| {
                    let mine: Vec<&StoredBatch> = log.iter().filter(|b| b.epoch == epoch).collect();
                    if mine.len() > batches {
                        mine.last().map_or(-1, |b| b.last_offset)
                    } else {
                        -1
                    }
                })
                .collect();
            ends.sort_unstable_by(|a, b| b.cmp(a));
            let end = ends[majority - 1];
            (end >= 0).then_some(end)
        });
        found.unwrap_or_else(|| {
            panic!(
                "fewer than {batches} batches of epoch {epoch} on a majority within {timeout:?}\n{}",
                self.diagnostics()
            )
        })
    }

    /// Waits until member `id`'s log reaches `offset`, with the same batch there as the leader's.
    pub fn wait_caught_up(&mut self, id: i32, leader: i32, offset: i64, timeout: Duration) {
        let ok = poll(timeout, || {
            let logs = self.logs();
            let batch_at = |who: i32| {
                logs.iter().find(|(m, _)| *m == who).and_then(|(_, log)| {
                    log.iter()
                        .find(|b| b.base_offset <= offset && offset <= b.last_offset)
                        .cloned()
                })
            };
            let theirs = batch_at(leader)?;
            (batch_at(id)? == theirs).then_some(())
        });
        if ok.is_none() {
            panic!(
                "member {id} did not catch up to offset {offset} of leader {leader} within \
                 {timeout:?}\n{}",
                self.diagnostics()
            );
        }
    }

    /// Every member's durable state and the tail of its logs, for failure messages.
    pub fn diagnostics(&self) -> String {
        let mut out = String::new();
        for m in &self.members {
            out.push_str(&format!(
                "member {} ({}): quorum-state {:?}\n{}",
                m.id,
                m.kind,
                QuorumState::read(&m.partition_dir()),
                m.logs_tail(25)
            ));
        }
        out
    }

    /// SIGTERM to every running member, followers first (so no leader hands over needlessly).
    pub fn stop_all(&mut self) {
        let leader = self.leader().map(|(id, _)| id);
        for m in &mut self.members {
            if Some(m.id) != leader {
                m.terminate();
            }
        }
        for m in &mut self.members {
            m.terminate();
        }
    }
}
