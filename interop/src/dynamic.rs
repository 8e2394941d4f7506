//! A dynamic quorum (KIP-853) of members of either kind on loopback: every member has
//! `controller.quorum.bootstrap.servers` (all members' addresses) instead of static voters, is
//! formatted before it starts, and becomes a voter by formatting (`--standalone`,
//! `--initial-controllers`) or by `add-controller` from either tool. What the tests wait for is
//! the voter set the leader reports (`describe --status` through our nodes: Kafka's
//! TestRaftServer answers no DescribeQuorum), and what was committed (the leader's log below its
//! high watermark, read with the spec reader).

use crate::format::Formatting;
use crate::history::History;
use crate::kafka::{Kafka, ToolOutput};
use crate::member::{Kind, Member};
use crate::process::{free_ports, poll, read_live_log, read_log_to};
use crate::quorum::QuorumState;
use crate::tools::{change_until, summarize, QuorumStatus, QuorumTool};
use std::path::Path;
use std::time::Duration;

/// Which tool sends a voter change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// Our `kraft-quorum`.
    Ours,
    /// Kafka's `kafka-metadata-quorum`.
    Kafka,
}

/// Attempts of one voter change while the leader may move, and how long each waits for it to
/// show in `describe --status`.
const CHANGE_ATTEMPTS: u32 = 6;
const CHANGE_SETTLE: Duration = Duration::from_secs(8);

pub struct DynamicQuorum {
    pub members: Vec<Member>,
    pub tool: QuorumTool,
    pub kafka: Option<Kafka>,
    /// Removed when dropped, kept (and named on stderr) when a test failed.
    dir: Option<tempfile::TempDir>,
}

impl Drop for DynamicQuorum {
    fn drop(&mut self) {
        crate::quorum::kill_keeping_dir_on_panic(&mut self.members, &mut self.dir);
    }
}

impl DynamicQuorum {
    /// Members `1..=kinds.len()`, unformatted and not started.
    pub fn new(
        server_binary: &Path,
        kafka: Option<&Kafka>,
        kinds: &[Kind],
        extra_config: &str,
        workload: (u32, u32),
    ) -> DynamicQuorum {
        let dir = tempfile::tempdir().expect("tempdir");
        let ports = free_ports(kinds.len());
        let bootstrap: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let bootstrap = bootstrap.join(",");
        let members = kinds
            .iter()
            .zip(&ports)
            .enumerate()
            .map(|(i, (kind, port))| {
                let id = i as i32 + 1;
                let log_dir = dir.path().join(format!("node-{id}"));
                Member::dynamic(
                    id,
                    *kind,
                    *port,
                    &bootstrap,
                    &log_dir,
                    extra_config,
                    workload,
                    server_binary,
                    kafka,
                )
            })
            .collect();
        DynamicQuorum {
            members,
            tool: QuorumTool::beside(server_binary),
            kafka: kafka.cloned(),
            dir: Some(dir),
        }
    }

    pub fn member(&mut self, id: i32) -> &mut Member {
        self.members
            .iter_mut()
            .find(|m| m.id == id)
            .unwrap_or_else(|| panic!("no member {id}"))
    }

    pub fn get(&self, id: i32) -> &Member {
        self.members
            .iter()
            .find(|m| m.id == id)
            .unwrap_or_else(|| panic!("no member {id}"))
    }

    /// Formats member `id`; panics with the tool's output when it fails.
    pub fn format(&mut self, id: i32, how: &Formatting) {
        let out = self.member(id).format(how);
        if let Err(e) = out {
            panic!("{e}");
        }
    }

    /// `127.0.0.1:port` of our running members, what our tool and Kafka's are pointed at (a
    /// TestRaftServer answers neither DescribeQuorum nor DescribeCluster).
    pub fn rust_bootstrap(&mut self) -> String {
        let addrs: Vec<String> = self
            .members
            .iter_mut()
            .filter(|m| m.kind == Kind::Rust)
            .filter_map(|m| m.is_running().then(|| format!("127.0.0.1:{}", m.port)))
            .collect();
        addrs.join(",")
    }

    /// The leader's `describe --status` through our running members.
    pub fn status(&mut self) -> Option<QuorumStatus> {
        let bootstrap = self.rust_bootstrap();
        if bootstrap.is_empty() {
            return None;
        }
        self.tool.status(&bootstrap).filter(|s| s.leader_id >= 0)
    }

    /// Waits until a leader reports exactly `voters` (ascending ids) and returns its status.
    pub fn wait_voters(&mut self, voters: &[i32], timeout: Duration) -> QuorumStatus {
        let mut last = None;
        let found = poll(timeout, || {
            let status = self.status();
            last.clone_from(&status);
            status.filter(|s| s.voter_ids() == voters)
        });
        found.unwrap_or_else(|| {
            panic!(
                "no leader reported voters {voters:?} within {timeout:?}; last status: \
                 {last:?}\n{}",
                self.diagnostics()
            )
        })
    }

    /// `add-controller` for member `id` (its config) with `tool`, retried (bounded) until the
    /// leader reports it as a voter; returns the runs' outputs.
    pub fn add_voter(&mut self, id: i32, tool: Tool) -> Vec<ToolOutput> {
        let config = self.get(id).config_path();
        let expected = self.get(id).directory_id.clone();
        let change = |q: &mut DynamicQuorum| {
            let bootstrap = q.rust_bootstrap();
            match tool {
                Tool::Ours => q.tool.add_controller(&bootstrap, &config),
                Tool::Kafka => q.kafka().add_controller(&bootstrap, &config),
            }
        };
        let done = |q: &mut DynamicQuorum| q.status().is_some_and(|s| s.has_voter(id, &expected));
        self.change(&format!("add voter {id} with {tool:?}"), change, done)
    }

    /// `remove-controller` of voter (`id`, `directory_id`) with `tool`, retried (bounded) until
    /// the leader no longer reports that replica key as a voter.
    pub fn remove_voter(&mut self, id: i32, directory_id: &str, tool: Tool) -> Vec<ToolOutput> {
        let change = |q: &mut DynamicQuorum| {
            let bootstrap = q.rust_bootstrap();
            match tool {
                Tool::Ours => q.tool.remove_controller(&bootstrap, id, directory_id),
                Tool::Kafka => q.kafka().remove_controller(&bootstrap, id, directory_id),
            }
        };
        let done =
            |q: &mut DynamicQuorum| q.status().is_some_and(|s| !s.has_voter(id, directory_id));
        self.change(&format!("remove voter {id} with {tool:?}"), change, done)
    }

    fn change(
        &mut self,
        what: &str,
        mut change: impl FnMut(&mut DynamicQuorum) -> ToolOutput,
        mut done: impl FnMut(&mut DynamicQuorum) -> bool,
    ) -> Vec<ToolOutput> {
        let result = change_until(
            self,
            (CHANGE_ATTEMPTS, CHANGE_SETTLE),
            &mut change,
            &mut done,
        );
        match result {
            Ok(runs) => {
                eprintln!(
                    "{what}: done after {} run(s)\n{}",
                    runs.len(),
                    summarize(&runs)
                );
                runs
            }
            Err(runs) => panic!(
                "{what}: not done after {CHANGE_ATTEMPTS} runs; last status {:?}\n{}\n{}",
                self.status(),
                summarize(&runs),
                self.diagnostics()
            ),
        }
    }

    fn kafka(&self) -> &Kafka {
        self.kafka
            .as_ref()
            .expect("Kafka's tool needs Kafka's jars")
    }

    /// Records what is committed now: the leader's high watermark (DescribeQuorum) and the
    /// batches below it in that leader's log. Returns (leader, high watermark).
    pub fn record_committed(&mut self, history: &mut History) -> (i32, i64) {
        let status = self.status().expect("DescribeQuorum from a leader");
        let (leader, hw) = (status.leader_id, status.high_watermark);
        let log = read_log_to(&self.get(leader).partition_dir(), hw);
        let added = history.record(&log, hw);
        eprintln!("recorded {added} more committed batches below high watermark {hw}");
        (leader, hw)
    }

    /// Waits (bounded) until the logs of `ids` reach what `history` recorded, then checks each
    /// holds every recorded batch byte for byte; panics naming the first that does not.
    pub fn check_history(&mut self, history: &History, ids: &[i32], timeout: Duration) {
        let end = history.end_offset();
        let ends = |q: &DynamicQuorum| -> Vec<(i32, i64)> {
            ids.iter()
                .map(|&id| {
                    let log = read_live_log(&q.get(id).partition_dir());
                    (id, log.last().map_or(0, |b| b.last_offset + 1))
                })
                .collect()
        };
        let reached = poll(timeout, || {
            ends(self).iter().all(|&(_, e)| e >= end).then_some(())
        });
        if reached.is_none() {
            panic!(
                "not every log of {ids:?} reached the recorded end {end} within {timeout:?}: \
                 {:?}\n{}",
                ends(self),
                self.diagnostics()
            );
        }
        for &id in ids {
            let log = read_log_to(&self.get(id).partition_dir(), end);
            if let Err(e) = history.check(&log) {
                panic!("member {id}: {e}\n{}", self.diagnostics());
            }
        }
        eprintln!(
            "{} committed batches up to offset {end} on members {ids:?}",
            history.len()
        );
    }

    /// `(leader, epoch)` from the durable `quorum-state` of the running members among `voters`
    /// (for a Java-led quorum, which answers no DescribeQuorum): a member leads the highest epoch
    /// any of them has seen, and a majority of `voters` agree.
    pub fn leader_by_states(&mut self, voters: &[i32]) -> Option<(i32, i32)> {
        let mut states = Vec::new();
        for m in self.members.iter_mut().filter(|m| voters.contains(&m.id)) {
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
        (agree > voters.len() / 2).then_some((*leader, epoch))
    }

    /// Waits until every member of `ids` holds more than `batches` batches written in `epoch`;
    /// returns the smallest last offset of those batches among them (all hold it: committed when
    /// `ids` are a majority of the voters).
    pub fn wait_batches_in_epoch(
        &mut self,
        ids: &[i32],
        epoch: i32,
        batches: usize,
        timeout: Duration,
    ) -> i64 {
        let found = poll(timeout, || {
            let mut ends = Vec::new();
            for &id in ids {
                let log = read_live_log(&self.get(id).partition_dir());
                let mine: Vec<i64> = log
                    .iter()
                    .filter(|b| b.epoch == epoch)
                    .map(|b| b.last_offset)
                    .collect();
                if mine.len() <= batches {
                    return None;
                }
                ends.push(*mine.last().expect("batches"));
            }
            ends.into_iter().min()
        });
        found.unwrap_or_else(|| {
            panic!(
                "members {ids:?} do not all hold {batches} batches of epoch {epoch} within \
                 {timeout:?}\n{}",
                self.diagnostics()
            )
        })
    }

    /// Every member's directory id, durable state and stderr tail, for failure messages.
    pub fn diagnostics(&self) -> String {
        self.members
            .iter()
            .map(|m| {
                format!(
                    "member {} ({}, directory id {}): quorum-state {:?}\n{}",
                    m.id,
                    m.kind,
                    m.directory_id,
                    QuorumState::read(&m.partition_dir()),
                    m.logs_tail(30)
                )
            })
            .collect()
    }
}
